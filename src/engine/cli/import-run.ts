/** `xlm import-run`: a cluster job's results (model folder and curves) as a run folder the dashboard lists. */
import { XlmError } from '../errors.js';
import { importRun } from '../jobs/import.js';
import type { CommandSpec } from './command.js';

export const importRunCommand: CommandSpec = {
  name: 'import-run',
  summary: "bring a cluster job's results back: its model and curves as a run the dashboard lists",
  args: 'DIR',
  options: {
    runs: { type: 'string', arg: 'DIR', help: 'the run folder to add the run to (default runs, as xlm.runFolder)' },
    name: { type: 'string', arg: 'NAME', help: "the run's folder name (default: the job folder's name)" },
  },
  details: [
    'DIR is an exported job folder (its output/ is read) or any folder a job wrote: an HF model folder with',
    "metrics.jsonl (XLM Lab's format) or trainer_state.json (transformers' log_history, converted).",
    'The model must load in XLM Lab; checkpoint-N folders stay where they are.',
  ],
  async run(ctx) {
    const dir = ctx.positionals[0];
    if (!dir) throw new XlmError('cli-bad-flag', 'import-run needs DIR: the job folder or its output folder', { what: 'DIR' });
    const result = importRun(dir, (ctx.values.runs as string | undefined) ?? 'runs', ctx.values.name as string | undefined);
    ctx.io.stdout.write(JSON.stringify({ run: result.run, records: result.records, eval_records: result.evalRecords, last_eval: result.lastEval ?? null }) + '\n');
    return 0;
  },
};
