/** `xlm train`: fine-tune a model folder (full or LoRA) on a data file; one JSON metrics line per logged step. */
import { resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { METRICS_FOR_BEST } from '../eval/best-tracker.js';
import { formatEvalLineTable, isRatio } from '../eval/report.js';
import { DEVICE_CHOICES } from '../runtime/devices.js';
import type { Device } from '../runtime/session.js';
import { DEFAULT_BATCH_SIZE, trainingDefaults } from '../train/defaults.js';
import { parseLoraTargets } from '../train/lora.js';
import { spinWhenIdle } from '../train/runner.js';
import { train } from '../train/train-task.js';
import type { TrainOptions } from '../train/train.js';
import type { TrainEvalMetrics, TrainProgress, TrainStepMetrics } from '../train/options.js';
import { SEQ2SEQ_LORA_TARGETS } from '../seq2seq/loss.js';
import { encoderDecoderKind } from '../seq2seq/xlmr-encoder-decoder.js';
import { formatTranslationScores } from '../seq2seq/evaluation.js';
import { trainTranslation } from '../seq2seq/train-run.js';
import type { CommandSpec, OptionSpec, OptionValues } from './command.js';
import { DATA_READ_OPTIONS, languageList, readOptionsFromFlags } from './data-flags.js';
import { flagNumber, MODEL_OPTION, modelDir } from './inputs.js';
import { taskFlag, taskHelp } from './task-flag.js';
import { flagOf } from './option-flags.js';
import { EXIT_CANCELLED } from './io.js';

const str = (arg: string, help: string): OptionSpec => ({ type: 'string', arg, help });

/** The defaults table's classification learning rate, for the help text. */
const classificationLr = (method: 'full' | 'lora', hiddenSize: number): string => trainingDefaults({ task: 'sequence-classification', method, hiddenSize }).lr.toExponential();

const OPTIONS: Record<string, OptionSpec> = {
  ...MODEL_OPTION,
  task: str('TASK', taskHelp(['translation'])),
  train: str('FILE', 'training data (JSONL/CSV/TSV/CoNLL/text; see the data formats)'),
  eval: str('FILE', 'evaluation data, same format'),
  out: { type: 'string', short: 'o', arg: 'DIR', help: 'output folder: checkpoint-N/, the final model, metrics.jsonl' },
  method: str('full|lora', 'full fine-tuning (default) or LoRA'),
  'lora-r': str('N', 'LoRA rank (default 8)'),
  'lora-alpha': str('A', 'LoRA alpha (default 16)'),
  'lora-dropout': str('P', 'dropout on LoRA inputs (default 0.1)'),
  'lora-targets': str('LIST', 'comma-separated: query,key,value,attention.output.dense,intermediate.dense,output.dense (default query,value); translation: q_proj,k_proj,v_proj,out_proj,fc1,fc2 (default q_proj,v_proj)'),
  'label-smoothing': str('E', 'translation: label smoothing of the cross-entropy, as transformers\' label_smoothing_factor (default 0)'),
  'source-lang': str('LANG', 'translation: the source language, for models with language tokens (M2M100 / NLLB: en, fr, eng_Latn, ...)'),
  'target-lang': str('LANG', 'translation: the target language (M2M100 / NLLB; Marian models with >>xx<< tokens)'),
  'train-target': str('FILE', 'translation: the target side of two line-aligned files, --train being the source side'),
  lr: str('LR', `peak learning rate (default from the training-defaults table by task, method and model size; for classification: full ${classificationLr('full', 256)} / LoRA ${classificationLr('lora', 256)} on small models, ${classificationLr('full', 768)} / ${classificationLr('lora', 768)} on base-size ones; the log says which)`),
  epochs: str('N', 'epochs (default: enough for 150 optimizer steps, 3 to 20; 2 from 10,000 rows, 1 from 100,000)'),
  'max-steps': str('N', 'optimizer steps; overrides --epochs'),
  'batch-size': str('N', `examples per micro-batch (default ${DEFAULT_BATCH_SIZE})`),
  'grad-accum': str('N', 'micro-batches per optimizer step (default 1)'),
  'max-length': str('N', 'tokens per example, specials included (default 128)'),
  'warmup-ratio': str('R', 'fraction of steps warming up linearly from 0 (default 0.1)'),
  schedule: str('linear|constant', 'after warm-up: linear decay to 0 (default) or constant'),
  'weight-decay': str('W', 'AdamW decoupled weight decay, not on biases and LayerNorm weights (default 0.01)'),
  'max-grad-norm': str('N', 'clip the global gradient norm (default 1.0; 0 = off)'),
  optimizer: str('adamw|sgd', 'optimizer (default adamw)'),
  'adam-beta1': str('B', 'default 0.9'),
  'adam-beta2': str('B', 'default 0.999'),
  'adam-eps': str('E', 'default 1e-8'),
  dropout: str('P', "replace every dropout probability of the model's config (0 = off)"),
  seed: str('N', 'seed of shuffling, dropout, masking and new weights (default 42)'),
  'no-shuffle': { type: 'boolean', help: 'keep the file order (no shuffling, no length grouping)' },
  'eval-every': str('N', 'evaluate every N steps (and at the end)'),
  'save-every': str('N', 'write OUT/checkpoint-STEP every N steps (and at the end)'),
  'log-every': str('N', 'metrics line every N steps (default 1)'),
  resume: { type: 'boolean', help: 'continue from the newest OUT/checkpoint-N' },
  device: str('DEV', `${DEVICE_CHOICES.join(' | ')}; auto (default) picks the best GPU provider present whose kernels cover training, else the CPU with one line saying why`),
  'mlm-probability': str('P', 'masked-LM: fraction of tokens masked (default 0.15)'),
  'whole-word-mask': { type: 'boolean', help: 'masked-LM: mask every sub-token of a chosen word' },
  'eval-fraction': str('F', 'without --eval: hold out this share of the training rows (stratified; translation: a seeded share of the pairs) for evaluation'),
  'label-names': str('LIST', 'names of integer labels 0,1,2,... in order (the dataset\'s label map, e.g. entailment,neutral,contradiction for MNLI\'s ids; NLI names make a model the NLI panel accepts)'),
  'train-language': str('LIST', 'train only on rows in these languages (comma-separated codes; zero-shot transfer); --eval keeps all'),
  'metric-for-best': str('accuracy|f1|em|loss|bleu|chrf', 'keep the best evaluation\'s checkpoint by this metric (translation: bleu or chrf; qa: f1 or em, exact match); it becomes the final model in OUT/'),
  'eval-target': str('FILE', 'translation: the target side of two line-aligned eval files, --eval being the source side'),
  'eval-beams': str('N', 'translation: beams of the evaluation\'s decoding (default 1: greedy)'),
  patience: str('N', 'with --metric-for-best: stop after N evaluations without improvement'),
  // How to read --train and --eval; --train-language is the language filter here (--eval keeps every language).
  ...Object.fromEntries(Object.entries(DATA_READ_OPTIONS).filter(([name]) => name !== 'only-language')),
  stride: str('N', 'qa: tokens shared by consecutive windows of a long context (default 128, at most a third of --max-length)'),
  'n-best': str('N', 'qa: start and end positions tried per window when decoding answers for evaluation (default 20)'),
  'max-answer-length': str('N', 'qa: longest answer in tokens (default 30)'),
  'null-threshold': str('X', 'qa, SQuAD v2.0 data: answer nothing when the null score beats the best span by more than X (default 0)'),
  'memory-limit-mb': str('MB', "refuse to start when the run's estimated peak memory is above this (default: the machine's memory)"),
};

function number(values: OptionValues, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = flagNumber(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new XlmError('cli-bad-flag', `--${name} is "${String(v)}"; expected a number`, { what: `--${name}` });
  return n;
}

function oneOf<T extends string>(values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const v = values[name] as string | undefined;
  if (v !== undefined && !allowed.includes(v as T)) throw new XlmError('cli-bad-flag', `--${name} is "${v}"; expected one of ${allowed.join(', ')}`, { what: `--${name}` });
  return v as T | undefined;
}

export function trainOptionsFromFlags(values: OptionValues, model: string): TrainOptions {
  const need = (name: string) => {
    const v = values[name] as string | undefined;
    if (!v) throw new XlmError('cli-bad-flag', `train needs --${name}`, { what: `--${name}` });
    return v;
  };
  const task = taskFlag(values.task, ['translation'] as const);
  if (!task) throw new XlmError('cli-bad-flag', `train needs --task (${taskHelp(['translation'])})`, { what: '--task' });
  const targets = values['lora-targets'] as string | undefined;
  const seq2seq = task === 'translation';
  for (const flag of ['eval-target', 'eval-beams', 'train-target', 'label-smoothing', 'source-lang', 'target-lang']) {
    if (!seq2seq && values[flag] !== undefined) throw new XlmError('cli-bad-flag', `--${flag} is for --task translation`, { what: `--${flag}` });
  }
  return {
    model, task, train: need('train'), eval: values.eval as string | undefined, out: need('out'),
    method: oneOf(values, 'method', ['full', 'lora'] as const),
    loraR: number(values, 'lora-r'), loraAlpha: number(values, 'lora-alpha'), loraDropout: number(values, 'lora-dropout'),
    loraTargets: targets === undefined ? undefined : wrapTargets(targets, seq2seq && !encoderDecoderKind(resolve(model)) ? SEQ2SEQ_LORA_TARGETS : undefined),
    lr: number(values, 'lr'), epochs: number(values, 'epochs'), maxSteps: number(values, 'max-steps'),
    batchSize: number(values, 'batch-size'), gradAccum: number(values, 'grad-accum'), maxLength: number(values, 'max-length'),
    warmupRatio: number(values, 'warmup-ratio'), schedule: oneOf(values, 'schedule', ['linear', 'constant'] as const),
    weightDecay: number(values, 'weight-decay'), maxGradNorm: number(values, 'max-grad-norm'),
    optimizer: oneOf(values, 'optimizer', ['adamw', 'sgd'] as const),
    adamBeta1: number(values, 'adam-beta1'), adamBeta2: number(values, 'adam-beta2'), adamEps: number(values, 'adam-eps'),
    dropout: number(values, 'dropout'), seed: number(values, 'seed'), shuffle: values['no-shuffle'] ? false : undefined,
    evalEvery: number(values, 'eval-every'), saveEvery: number(values, 'save-every'), logEvery: number(values, 'log-every'),
    resume: values.resume === true, device: oneOf<Device>(values, 'device', DEVICE_CHOICES),
    threads: number(values, 'threads'), mlmProbability: number(values, 'mlm-probability'), wholeWordMask: values['whole-word-mask'] === true,
    evalFraction: number(values, 'eval-fraction'),
    trainLanguage: typeof values['train-language'] === 'string' ? languageList(values['train-language'], '--train-language') : undefined,
    labelNames: typeof values['label-names'] === 'string' ? labelNameList(values['label-names']) : undefined,
    metricForBest: oneOf(values, 'metric-for-best', METRICS_FOR_BEST), patience: number(values, 'patience'),
    readOptions: readOptionsFromFlags(values),
    memoryLimitMB: number(values, 'memory-limit-mb'),
    ...(task === 'question-answering' ? { qa: { stride: number(values, 'stride'), nBest: number(values, 'n-best'), maxAnswerLength: number(values, 'max-answer-length'), nullThreshold: number(values, 'null-threshold') } } : {}),
  };
}

function labelNameList(list: string): string[] {
  const names = list.split(',').map((s) => s.trim());
  if (names.length < 2 || names.some((n) => !n) || new Set(names).size !== names.length) throw new XlmError('cli-bad-flag', `--label-names is "${list}"; expected two or more distinct comma-separated names, label 0's first`, { what: '--label-names' });
  return names;
}

function wrapTargets(list: string, allowed?: readonly string[]): string[] {
  try {
    return parseLoraTargets(list, allowed);
  } catch (e) {
    throw new XlmError('cli-bad-flag', (e as Error).message, { what: '--lora-targets' });
  }
}

/**
 * A logged step or evaluation as a line for people: "step 50/196 (epoch 0.26): loss 2.3143, lr 4.9e-3, 58.1 examples/s,
 * about 2 min left"; "evaluation at step 100: loss 0.2134, accuracy 95.1%, macro_f1 94.4%". The time left is the
 * remaining steps at the pace since the first logged step.
 */
export class StepLines {
  private total = 0;
  private first?: { step: number; at: number };

  constructor(private readonly now: () => number) {}

  progress(p: TrainProgress): void {
    if (p.totalSteps > 0) this.total = p.totalSteps;
  }

  line(m: TrainStepMetrics | TrainEvalMetrics): string {
    if ('eval' in m) {
      // The pooled figures; the per-language ones ("accuracy/de") are in the table at the end and in metrics.jsonl.
      const figures = Object.entries(m.eval).filter(([k]) => !k.includes('/')).map(([k, v]) => `${k} ${figure(k, v)}`);
      return `evaluation at step ${m.step}: ${figures.join(', ')}`;
    }
    const at = this.now();
    if (!this.first) this.first = { step: m.step, at };
    const of = this.total ? `/${this.total}` : '';
    const parts = [`loss ${m.loss.toFixed(4)}`, `lr ${m.lr === 0 ? 0 : m.lr.toExponential(1)}`, `${m.examples_per_s.toFixed(1)} examples/s`];
    const done = m.step - this.first.step;
    if (this.total && done > 0 && m.step < this.total) parts.push(`about ${timeInWords(((at - this.first.at) / 1000 / done) * (this.total - m.step))} left`);
    return `step ${m.step}${of} (epoch ${m.epoch.toFixed(2)}): ${parts.join(', ')}`;
  }
}

/** Shares (accuracy, QA's exact match and F1) as percentages, sacreBLEU's 0-100 scores with one decimal, the rest with four. */
function figure(name: string, v: number): string {
  if (isRatio(name)) return `${(100 * v).toFixed(1)}%`;
  if (name === 'bleu' || name === 'chrf' || name === 'chrf++') return v.toFixed(1);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

/** "40 s", "3 min", "1 h 05 min". */
export function timeInWords(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'fine-tune a model (full or LoRA) for seq-cls, token-cls, mlm or qa; checkpoints load in transformers',
  options: OPTIONS,
  details: [
    'Data: JSONL with text + label, premise/hypothesis (or sentence1/sentence2) + label, tokens + tags (token-cls), text (mlm); CSV/TSV/CoNLL too.',
    'qa: SQuAD v1.1/v2.0 JSON or JSON Lines with context, question, answers {text, answer_start}; windows of --max-length (default 384 for qa) with --stride; eval lines carry exact_match and f1, pooled and per language.',
    'Each logged step prints a line for people on a terminal (step of total, loss, learning rate, examples/s, time left); piped or with --json,',
    'one JSON line {step, epoch, loss, lr, grad_norm, examples_per_s, tokens_per_s} (evaluations: {step, epoch, eval: {...}}). Both go to OUT/metrics.jsonl as JSON.',
    'Ctrl-C stops at the next step and writes OUT/checkpoint-STEP; --resume continues from it.',
    'Translation (--task translation, a Marian / M2M100 / NLLB / MBart folder, or an XLM-R folder: an encoder-decoder warm-started from it,',
    'saved as transformers\' EncoderDecoderModel; its LoRA targets are XLM-R\'s, query,value by default): --train is TSV (source<TAB>target) or JSONL',
    '({"translation": {"en": ..., "fr": ...}} or {"source": ..., "target": ...}), or --train SRC --train-target TGT (line-aligned);',
    '--label-smoothing 0.1 as transformers; --source-lang/--target-lang for language-token models.',
    'Its evaluation (--eval FILE [--eval-target TGT] or --eval-fraction F, every --eval-every N steps and at the end) translates',
    'the eval sources (greedy, or --eval-beams N) and logs {"eval": {"bleu", "chrf", "chrf++", "bleu/en-de", ...}, "signatures": {...}};',
    '--metric-for-best bleu|chrf keeps the best checkpoint.',
    'Same seed, data and --threads give bit-identical weights on CPU.',
    'Eval lines carry every metric pooled and per language ({"eval": {"accuracy": ..., "accuracy/de": ...}}): train with',
    '--train-language en and --eval on every language for the zero-shot cross-lingual table.',
  ],
  async run(ctx) {
    // A run from a terminal lets onnxruntime's threads spin when nothing else is running (VS Code's runs never do),
    // judged now, before the run's own loading adds to the load; the run logs it as its sessions are made.
    const spin = spinWhenIdle();
    const options = trainOptionsFromFlags(ctx.values, (await modelDir(ctx)));
    // One thread has no pool to spin: nothing to decide, nothing to say.
    options.spin = options.threads === 1 ? false : spin;
    const forPeople = !ctx.values.json && ctx.io.stdout.isTTY === true;
    const lines = new StepLines(() => ctx.io.now());
    const hooks = {
      signal: ctx.cancelSignal(),
      onProgress: (p: TrainProgress) => lines.progress(p),
      onMetrics: (m: TrainStepMetrics | TrainEvalMetrics) => ctx.io.stdout.write(forPeople ? `${lines.line(m)}\n` : JSON.stringify(m) + '\n'),
      onLog: (line: string) => ctx.io.stderr.write(`xlm train: ${line}\n`),
      nameOption: flagOf,
    };
    const result = options.task === 'translation'
      ? await trainTranslation({
        ...options, task: 'translation', labelSmoothing: number(ctx.values, 'label-smoothing'),
        sourceLang: ctx.values['source-lang'] as string | undefined, targetLang: ctx.values['target-lang'] as string | undefined,
        trainTarget: ctx.values['train-target'] as string | undefined,
        evalTarget: ctx.values['eval-target'] as string | undefined, evalBeams: number(ctx.values, 'eval-beams'),
      }, hooks)
      : await train(options, hooks);
    if (result.translationScores) {
      const beams = number(ctx.values, 'eval-beams') ?? 1;
      ctx.io.stderr.write(`xlm train: evaluation at step ${result.lastEval!.step} (${beams === 1 ? 'greedy' : `${beams} beams`}):\n${formatTranslationScores(result.translationScores)}`);
      return result.cancelled ? EXIT_CANCELLED : 0;
    }
    const table = result.lastEval && formatEvalLineTable(result.lastEval.eval);
    if (table) ctx.io.stderr.write(`xlm train: evaluation at step ${result.lastEval!.step} (%; avg = mean over languages, all = pooled):\n${table}`);
    return result.cancelled ? EXIT_CANCELLED : 0;
  },
};
