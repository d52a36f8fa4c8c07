/**
 * `exportJob`: a training run as a self-contained distributed PyTorch job folder (settings.json, data as
 * JSONL, the starting weights, train.py with its XLM-R, launchers, README). It is a TrainingRun that stops after
 * its data phases: the model, the data, the split and the tokenization are the run's own, so the job trains on
 * exactly the rows, labels and token ids that `xlm train` would, and starts from the weights it would.
 */
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { LoadedDataset } from '../data/index.js';
import { XlmError, type Said } from '../errors.js';
import { rowLanguages } from '../eval/languages.js';
import { metricForBestKey } from '../eval/best-tracker.js';
import { Graph } from '../graph/graph.js';
import { configForHead, writeHfCheckpoint } from '../hf/checkpoint.js';
import { encoderTensorSpecs, headTensorSpecs } from '../hf/names.js';
import { writeSafetensors, type TensorToWrite } from '../hf/safetensors-write.js';
import { writeFileAtomic } from '../hf/atomic.js';
import { adapterConfig } from '../train/checkpoint.js';
import type { Feature } from '../train/features.js';
import { isLoraName } from '../train/lora.js';
import { modelLoss } from '../train/model-loss.js';
import { TrainingRun, type TrainHooks, type TrainOptions, type TrainResult } from '../train/train.js';
import { hfBlock, jobHead, type JobHead } from './settings.js';

export const JOB_SETTINGS_FILE = 'settings.json';
/** The job's fixed files (src/engine/jobs/files): train.py and its XLM-R, the launchers, and the README's template. */
const JOB_FILES = ['train.py', 'xlmr_torch.py', 'launch/torchrun.sh', 'launch/accelerate.yaml', 'launch/slurm.sbatch', 'launch/ray_job.py'];
const README_TEMPLATE = 'README.md';

export interface ExportJobResult {
  dir: string;
  trainRows: number;
  evalRows: number;
  totalSteps: number;
  files: string[];
}

/** The folder of the job's fixed files: files/ beside this module (the source tree), or dist/job-files beside the bundle (esbuild.mjs copies it). */
function jobFiles(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'files'), join(dir, 'job-files')]) {
      if ([...JOB_FILES, README_TEMPLATE].every((f) => existsSync(join(candidate, f)))) return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new XlmError('job-files-missing', `no files/train.py or job-files/train.py in any folder above ${__dirname}; XLM Lab's installation is incomplete (npm run build copies them to dist/job-files)`, { what: 'job-files/train.py' });
}

export async function exportJob(options: TrainOptions, dir: string, source: string, hooks: TrainHooks = {}): Promise<ExportJobResult> {
  const out = resolve(dir);
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw new XlmError('job-folder-not-empty', `${out} is not empty; export a job into a new or empty folder`, { file: out });
  }
  if (!jobHead(options.task)) {
    throw new XlmError('bad-option', `export-job exports sequence, pair and token classification runs; ${options.task} runs train in XLM Lab only`, { what: 'task' });
  }
  const job = new JobExport(options, out, source, hooks);
  await job.run();
  return job.exported!;
}

class JobExport extends TrainingRun {
  exported: ExportJobResult | undefined;

  constructor(options: TrainOptions, private readonly dir: string, private readonly source: string, hooks: TrainHooks) {
    // The memory guard is this machine's; the job's memory is the cluster's. Nothing is trained or written to `out`.
    super({ ...options, out: dir, memoryLimitMB: Number.MAX_SAFE_INTEGER, resume: false }, hooks);
  }

  /** The run's memory estimate is for training here; the job trains elsewhere, so its line would only mislead. */
  protected override log(line: string | Said): void {
    if (typeof line !== 'string' || !line.startsWith('estimated peak memory')) super.log(line);
  }

  protected override async phases(): Promise<TrainResult> {
    this.model = this.loadModel();
    await this.readData();
    this.plan = this.encode();
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    const files: string[] = [];
    const { train, eval: evalData } = this.data;
    files.push(this.writeRows('data/train.jsonl', train, this.plan.features));
    if (evalData && this.plan.evalFeatures) files.push(this.writeRows('data/eval.jsonl', evalData, this.plan.evalFeatures, rowLanguages(evalData).languages));
    files.push(...this.writeModel());
    files.push(this.writeSettings());
    const source = jobFiles();
    mkdirSync(join(this.dir, 'launch'), { recursive: true });
    for (const name of JOB_FILES) {
      copyFileSync(join(source, name), join(this.dir, name));
      // The shell launchers stay executable (a packaged copy may have lost the bit).
      if (name.endsWith('.sh') || name.endsWith('.sbatch')) chmodSync(join(this.dir, name), statSync(join(this.dir, name)).mode | 0o755);
      files.push(name);
    }
    const o = this.o;
    const fill: Record<string, string | number> = { source: this.source, task: o.task, method: o.method, train_rows: train.size, eval_rows: evalData?.size ?? 0, total_steps: this.plan.totalSteps, batch_size: o.batchSize };
    writeFileAtomic(join(this.dir, 'README.md'), readFileSync(join(source, README_TEMPLATE), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => String(fill[key])));
    files.push('README.md');
    this.exported = { dir: this.dir, trainRows: train.size, evalRows: evalData?.size ?? 0, totalSteps: this.plan.totalSteps, files };
    this.log(`wrote ${this.dir}: ${train.size} training rows, ${evalData?.size ?? 0} evaluation rows, ${this.plan.totalSteps} steps`);
    return { out: this.dir, steps: 0, cancelled: false, lastLoss: undefined, checkpoints: [], device: 'none' };
  }

  /** One JSON line per row: the token ids and labels the run trains on, the language, and the text for people. */
  private writeRows(path: string, data: LoadedDataset, features: readonly Feature[], languages?: readonly string[]): string {
    const fd = openSync(join(this.dir, path), 'w');
    try {
      let chunk = '';
      for (let i = 0; i < features.length; i++) {
        const f = features[i];
        const row: Record<string, unknown> = { input_ids: f.ids };
        if (this.head === 'token-cls') Object.assign(row, { labels: f.tokenLabels, tokens: data.tokens(i) });
        else {
          row.label = f.label;
          row.text = data.text(i);
          const pair = data.textPair(i);
          if (pair !== undefined) row.text_pair = pair;
        }
        const language = languages?.[i] ?? data.language(i);
        if (language !== undefined) row.language = language;
        chunk += JSON.stringify(row) + '\n';
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      if (chunk) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  /**
   * model/: the weights the run would start from, under HF's names, as float32: the checkpoint's, and the new
   * head drawn from the run's seed (by building the run's loss graph once, so the draws come in the run's order);
   * model/lora_init.safetensors: the LoRA matrices as drawn.
   */
  private writeModel(): string[] {
    const o = this.o;
    const { config, folder } = this.model;
    const labels = this.data.labels ?? [];
    const lora = o.method === 'lora' ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targets: o.loraTargets } : undefined;
    const head = this.head as JobHead;
    const loss = modelLoss({ head: head, config, numLabels: labels.length, weights: folder.weights, method: o.method, lora, dropout: o.dropout, initSeed: o.seed });
    const graph = new Graph('job-start');
    const { trainable } = loss.build(graph, { seed: graph.input('seed', 'uint32', []), counter: graph.input('counter', 'uint32', []) });
    const tensors = new Map<string, TensorToWrite>();
    for (const spec of [...encoderTensorSpecs(config), ...headTensorSpecs(config, head, labels.length)]) {
      tensors.set(spec.name, { dtype: 'F32', shape: spec.shape, data: loss.weight(spec.name, spec.shape) });
    }
    writeHfCheckpoint(join(this.dir, 'model'), { config: configForHead(config, head, labels), tokenizerFrom: folder.dir, tensors });
    const written = ['model/'];
    if (lora) {
      const init = new Map<string, TensorToWrite>(trainable.filter((p) => isLoraName(p.name)).map((p) => [p.name, { dtype: 'F32', shape: p.shape, data: p.initial }]));
      writeSafetensors(join(this.dir, 'model', 'lora_init.safetensors'), init, { format: 'pt' });
      written.push('model/lora_init.safetensors');
    }
    return written;
  }

  private writeSettings(): string {
    const o = this.o;
    const { stepsPerEpoch, totalSteps, warmupSteps } = this.plan;
    const labels = this.data.labels ?? [];
    const lora = o.method === 'lora' ? { r: o.loraR, alpha: o.loraAlpha, dropout: o.loraDropout, targets: o.loraTargets } : null;
    const best = o.metricForBest ? metricForBestKey(this.head, o.metricForBest) : null;
    const settings = {
      format: 'xlm-lab-job/1',
      source: this.source,
      task: this.head,
      method: o.method,
      labels,
      // Per-language scores of an eval file grouped by its labels (languages) give each label's own F1, as the engine's do.
      languages_are_labels: this.data.eval ? rowLanguages(this.data.eval).source === 'label' : false,
      pad_id: this.model.tokenizer.padId,
      seed: o.seed,
      epochs: o.epochs,
      max_steps: o.maxSteps ?? null,
      steps_per_epoch: stepsPerEpoch,
      total_steps: totalSteps,
      batch: { global_batch_size: o.batchSize, grad_accum: o.gradAccum, max_length: this.model.maxLength, shuffle: o.shuffle },
      optimizer: { kind: o.optimizer, lr: o.lr, weight_decay: o.weightDecay, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps, max_grad_norm: o.maxGradNorm },
      schedule: { kind: o.schedule, warmup_ratio: o.warmupRatio, warmup_steps: warmupSteps },
      dropout: o.dropout ?? null,
      lora,
      adapter_config: lora
        ? adapterConfig({ head: this.head, method: o.method, config: this.model.config, labels, baseModel: this.model.folder.dir, numLabels: labels.length, lora, trainableNames: [], trainerState: {}, weight: () => new Float32Array() })
        : null,
      eval_every: o.evalEvery ?? null,
      save_every: o.saveEvery ?? null,
      log_every: o.logEvery,
      metric_for_best: best ? { key: best.key, greater_is_better: best.greaterIsBetter } : null,
      patience: o.patience ?? null,
      data: { train: 'data/train.jsonl', eval: this.data.eval ? 'data/eval.jsonl' : null, train_rows: this.data.train.size, eval_rows: this.data.eval?.size ?? 0 },
      model: 'model',
      hf: hfBlock(o, { totalSteps, warmupSteps }),
    };
    writeFileAtomic(join(this.dir, JOB_SETTINGS_FILE), JSON.stringify(settings, null, 2) + '\n');
    return JOB_SETTINGS_FILE;
  }
}
