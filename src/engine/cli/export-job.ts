/** `xlm export-job`: a training run as a distributed PyTorch job folder (torchrun, accelerate, Slurm, Ray). */
import { statSync } from 'node:fs';
import { readJsonFile } from '../hf/json.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isXlmError, XlmError } from '../errors.js';
import { exportJob } from '../jobs/export.js';
import { runFolderOptions } from '../jobs/source.js';
import type { TrainOptions } from '../train/options.js';
import type { CommandSpec, OptionValues } from './command.js';
import { trainCommand, trainOptionsFromFlags } from './train.js';
import { nearestFlag } from './parse-flags.js';
import { flagOf } from './option-flags.js';

/** A JSON settings file: `xlm train`'s flag names as keys ({"model": "...", "task": "seq-cls", "batch-size": 8}); paths relative to the file. */
function configOptions(file: string, writtenKeys: Map<string, string>): TrainOptions {
  const parsed = readJsonFile(file);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new XlmError('bad-json', "expected an object of xlm train's flags, e.g. {\"model\": \"DIR\", \"task\": \"seq-cls\", \"train\": \"data.jsonl\"}", { file });
  const here = dirname(resolve(file));
  const values: OptionValues = {};
  // xlm train's own flags and --threads, a global flag train reads.
  const known = [...Object.keys(trainCommand.options ?? {}), 'threads'];
  for (const [written, value] of Object.entries(parsed as Record<string, unknown>)) {
    // Keys are xlm train's flags; max_steps and maxSteps are read as max-steps, anything else is refused by name.
    const kebab = written.replace(/_/g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    const key = known.includes(kebab) ? kebab : undefined;
    if (!key) {
      const near = nearestFlag(kebab, known);
      throw new XlmError('bad-json', `"${written}" is not a flag of xlm train${near ? `; did you mean "${near}"?` : ''} (xlm train --help lists them)`, { file, what: written });
    }
    if (values[key] !== undefined) throw new XlmError('bad-json', `"${written}" gives "${key}" a second time; give it once`, { file, what: written });
    writtenKeys.set(key, written);
    if (typeof value === 'boolean') values[key] = value;
    else if (typeof value === 'number' || typeof value === 'string') values[key] = String(value);
    else throw new XlmError('bad-json', `"${written}" must be a string, a number or true/false`, { file, what: written });
  }
  const path = (key: string) => {
    const v = values[key];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) values[key] = join(here, v);
  };
  ['model', 'train', 'eval'].forEach(path);
  if (typeof values.model !== 'string') throw new XlmError('bad-json', 'needs "model": the model folder to start from', { file, what: 'model' });
  // The job writes its own output; "out" is the job's --out (or output/ beside train.py).
  try {
    return trainOptionsFromFlags({ ...values, out: values.out ?? join(here, 'output') }, values.model);
  } catch (e) {
    // The flag's words ("train needs --train") said of the file's key.
    if (isXlmError(e) && e.code === 'cli-bad-flag') throw new XlmError('bad-json', e.message.replace(/--([a-z0-9-]+)/g, '"$1"'), { file, ...(e.place.what ? { what: e.place.what.replace(/^--/, '') } : {}) });
    throw e;
  }
}

export const exportJobCommand: CommandSpec = {
  name: 'export-job',
  summary: 'write a training run as a distributed PyTorch job folder (torchrun, accelerate, Slurm, Ray)',
  options: {
    run: { type: 'string', arg: 'RUN_OR_CONFIG', help: "a run folder started from the editor (its run.json), or a JSON file of xlm train's flags" },
    out: { type: 'string', short: 'o', arg: 'DIR', help: 'the job folder to write (new or empty)' },
  },
  details: [
    'The job folder holds settings.json, the data as JSONL (tokenized by XLM Lab), the starting weights in model/, train.py',
    '(transformers Trainer + peft when installed, else the plain-PyTorch XLM-R it carries, under DistributedDataParallel),',
    'launch/ (torchrun.sh, accelerate.yaml, slurm.sbatch, ray_job.py; the lines to edit say EDIT) and a README.',
    'A config file: {"model": "DIR", "task": "seq-cls", "train": "train.jsonl", "batch-size": 8, "lr": 2e-5, ...}.',
    'Bring the results back with `xlm import-run`.',
  ],
  async run(ctx) {
    const run = ctx.values.run as string | undefined;
    const out = ctx.values.out as string | undefined;
    if (!run) throw new XlmError('cli-bad-flag', 'export-job needs --run RUN_OR_CONFIG (a run folder or a JSON file of xlm train\'s flags)', { what: '--run' });
    if (!out) throw new XlmError('cli-bad-flag', 'export-job needs --out DIR (the job folder to write)', { what: '--out' });
    let isDir: boolean;
    try {
      isDir = statSync(run).isDirectory();
    } catch {
      throw new XlmError('file-missing', `--run ${run}: no such run folder or settings file`, { file: run });
    }
    const onLog = (line: string) => ctx.io.stderr.write(`xlm export-job: ${line}\n`);
    // A settings file's values are checked where xlm train checks its flags; what is wrong is said of the file's key.
    const written = new Map<string, string>();
    // The key as the file writes it (no_shuffle for --no-shuffle included), quoted in messages, bare in the error's place.
    const writtenKey = (option: string) => {
      const kebab = flagOf(option).replace(/^--/, '');
      return written.get(kebab) ?? kebab;
    };
    const keyOf = (option: string) => `"${writtenKey(option)}"`;
    let result: Awaited<ReturnType<typeof exportJob>>;
    try {
      result = isDir
        ? await exportJob(runFolderOptions(run), out, resolve(run), { onLog, nameOption: flagOf })
        : await exportJob(configOptions(run, written), out, resolve(run), { onLog, nameOption: keyOf });
    } catch (e) {
      if (!isDir && isXlmError(e) && e.code === 'bad-option') throw new XlmError('bad-json', e.messageNaming(keyOf), { file: run, ...(e.place.what ? { what: writtenKey(e.place.what) } : {}) });
      throw e;
    }
    ctx.io.stdout.write(JSON.stringify({ dir: result.dir, train_rows: result.trainRows, eval_rows: result.evalRows, total_steps: result.totalSteps }) + '\n');
    return 0;
  },
};
