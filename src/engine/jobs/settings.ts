/**
 * settings.json of an exported job: the run's settings as the job's train.py reads them, and their mapping onto
 * transformers' TrainingArguments, peft's LoraConfig and the model config, for the job's `hf` engine.
 *
 * HF_MAPPING names, for every training option XLM Lab has, its counterpart there or the reason it has none; the
 * `hf` block of settings.json is computed from it (hfBlock), so the table and what the job passes cannot drift.
 */
import { metricForBestKey } from '../eval/best-tracker.js';
import { peftTargetModules } from '../train/lora.js';
import type { ResolvedTrainOptions, TrainOptions } from '../train/options.js';
import { HEAD_OF_TASK } from '../tasks/vocabulary.js';

/** The heads a job's train.py trains (settings.json's task): sequence classifiers (single texts or pairs) and token classifiers. */
export type JobHead = 'seq-cls' | 'token-cls';

/** The head a job trains for a run of this task; undefined for the tasks that train in XLM Lab only. */
export function jobHead(task: TrainOptions['task']): JobHead | undefined {
  if (task === 'translation') return undefined;
  const head = HEAD_OF_TASK[task];
  return head === 'seq-cls' || head === 'token-cls' ? head : undefined;
}

/** Where one of our settings goes in a transformers + peft run. */
export interface HfCounterpart {
  /** TrainingArguments fields it sets. */
  trainingArguments?: string[];
  /** LoraConfig fields it sets. */
  loraConfig?: string[];
  /** config.json fields it overrides (from_pretrained keyword arguments). */
  config?: string[];
  /** Why it needs no field there, or what in train.py carries it. */
  reason?: string;
}

export const HF_MAPPING: Record<keyof TrainOptions, HfCounterpart> = {
  model: { reason: 'the job carries the starting weights as model/ (new head and LoRA matrices as XLM Lab drew them); AutoModelFor….from_pretrained reads it' },
  task: { reason: 'picks AutoModelForSequenceClassification (seq-cls) or AutoModelForTokenClassification (token-cls)' },
  train: { reason: 'converted at export to data/train.jsonl, tokenized by XLM Lab (input_ids, label or labels)' },
  eval: { reason: 'converted at export to data/eval.jsonl' },
  out: { trainingArguments: ['output_dir'] },
  method: { reason: 'lora: peft.get_peft_model(model, LoraConfig(...)); full: the model as loaded' },
  loraR: { loraConfig: ['r'] },
  loraAlpha: { loraConfig: ['lora_alpha'] },
  loraDropout: { loraConfig: ['lora_dropout'] },
  loraTargets: { loraConfig: ['target_modules'] },
  lr: { trainingArguments: ['learning_rate'] },
  epochs: { trainingArguments: ['num_train_epochs'] },
  maxSteps: { trainingArguments: ['max_steps'] },
  batchSize: { trainingArguments: ['per_device_train_batch_size', 'per_device_eval_batch_size', 'accelerator_config'] },
  gradAccum: { trainingArguments: ['gradient_accumulation_steps'] },
  maxLength: { reason: 'applied at export: data/*.jsonl holds sequences already cut to this many tokens' },
  warmupRatio: { trainingArguments: ['warmup_steps'] },
  schedule: { trainingArguments: ['lr_scheduler_type'] },
  weightDecay: { trainingArguments: ['weight_decay'] },
  maxGradNorm: { trainingArguments: ['max_grad_norm'] },
  optimizer: { trainingArguments: ['optim'] },
  adamBeta1: { trainingArguments: ['adam_beta1'] },
  adamBeta2: { trainingArguments: ['adam_beta2'] },
  adamEps: { trainingArguments: ['adam_epsilon'] },
  dropout: { config: ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout'] },
  seed: { trainingArguments: ['seed', 'data_seed'] },
  shuffle: { trainingArguments: ['group_by_length'], reason: "the batch order is XLM Lab's (train.py's batch sampler), shuffled or not; transformers' own grouping is off" },
  evalEvery: { trainingArguments: ['eval_strategy', 'eval_steps'] },
  saveEvery: { trainingArguments: ['save_strategy', 'save_steps'] },
  logEvery: { trainingArguments: ['logging_strategy', 'logging_steps'] },
  resume: { reason: 'a job starts where the run started; a job cut short restarts (the hf engine: Trainer.train(resume_from_checkpoint=...))' },
  device: { reason: 'the launcher decides: one process per GPU (nccl), or CPU processes (gloo)' },
  threads: { reason: 'OMP_NUM_THREADS of each process (torchrun sets 1 unless told otherwise)' },
  spin: { reason: 'a thread-pool setting of onnxruntime; PyTorch sets its own OpenMP waiting' },
  mlmProbability: { reason: 'masked-LM runs are not exported (the job trains seq-cls and token-cls)' },
  wholeWordMask: { reason: 'masked-LM runs are not exported (the job trains seq-cls and token-cls)' },
  inPlace: { reason: "a buffer choice of XLM Lab's onnxruntime engine; it changes no number" },
  evalFraction: { reason: 'the split is made at export: data/eval.jsonl holds the held-out rows' },
  evalFractionMinRows: { reason: 'the split is made at export: data/eval.jsonl holds the held-out rows' },
  trainLanguage: { reason: 'applied at export: data/train.jsonl holds only those languages' },
  metricForBest: { trainingArguments: ['metric_for_best_model', 'greater_is_better', 'load_best_model_at_end'] },
  patience: { reason: 'transformers.EarlyStoppingCallback(early_stopping_patience=N) in train.py' },
  readOptions: { reason: 'applied at export: the data is read with them and written as JSONL' },
  labelNames: { reason: "applied at export: the labels' names are settings.json's labels and the model's id2label" },
  qa: { reason: 'question-answering runs are not exported (the job trains seq-cls and token-cls)' },
  memoryLimitMB: { reason: "a guard for this machine's memory; the cluster's scheduler allocates the job's" },
};

/** What the job derives from the options at export (XLM Lab's step plan). */
export interface JobPlan {
  totalSteps: number;
  warmupSteps: number;
}

/** TrainingArguments, LoraConfig and config overrides for the job's `hf` engine, from HF_MAPPING's fields. */
export function hfBlock(o: ResolvedTrainOptions, plan: JobPlan, adapterTargets = peftTargetModules(o.loraTargets)): { training_arguments: Record<string, unknown>; lora_config: Record<string, unknown> | null; config_overrides: Record<string, unknown> } {
  const head = jobHead(o.task);
  if (!head) throw new Error(`a job trains sequence or token classifiers, not ${o.task}`);
  const best = o.metricForBest ? metricForBestKey(head, o.metricForBest) : undefined;
  const values: Record<string, unknown> = {
    output_dir: 'output',
    learning_rate: o.lr,
    num_train_epochs: o.epochs,
    // The step count is XLM Lab's (epochs over its batch plan), so both engines run the same number of steps.
    max_steps: plan.totalSteps,
    // train.py's sampler yields the run's whole batches and accelerate splits each across the processes.
    per_device_train_batch_size: o.batchSize,
    per_device_eval_batch_size: o.batchSize,
    accelerator_config: { split_batches: true },
    gradient_accumulation_steps: o.gradAccum,
    // transformers rounds warmup_ratio * steps up, as XLM Lab does; the step count is given, so is the warm-up.
    warmup_steps: plan.warmupSteps,
    lr_scheduler_type: o.schedule === 'linear' ? 'linear' : plan.warmupSteps > 0 ? 'constant_with_warmup' : 'constant',
    weight_decay: o.weightDecay,
    max_grad_norm: o.maxGradNorm,
    optim: o.optimizer === 'adamw' ? 'adamw_torch' : 'sgd',
    adam_beta1: o.adamBeta1,
    adam_beta2: o.adamBeta2,
    adam_epsilon: o.adamEps,
    seed: o.seed,
    data_seed: o.seed,
    group_by_length: false,
    eval_strategy: o.eval || o.evalFraction ? (o.evalEvery ? 'steps' : 'no') : 'no',
    eval_steps: o.evalEvery ?? null,
    // load_best_model_at_end needs a save at every evaluation.
    save_strategy: o.saveEvery || best ? 'steps' : 'no',
    save_steps: best && o.evalEvery ? o.evalEvery : (o.saveEvery ?? null),
    logging_strategy: 'steps',
    logging_steps: o.logEvery,
    metric_for_best_model: best?.key ?? null,
    greater_is_better: best?.greaterIsBetter ?? null,
    load_best_model_at_end: !!best,
  };
  const loraValues: Record<string, unknown> = { r: o.loraR, lora_alpha: o.loraAlpha, lora_dropout: o.loraDropout, target_modules: adapterTargets };
  const configValues: Record<string, unknown> = o.dropout === undefined ? {} : { hidden_dropout_prob: o.dropout, attention_probs_dropout_prob: o.dropout, classifier_dropout: o.dropout };
  const pick = (field: 'trainingArguments' | 'loraConfig' | 'config', from: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const counterpart of Object.values(HF_MAPPING)) for (const name of counterpart[field] ?? []) if (name in from) out[name] = from[name];
    return out;
  };
  return {
    // Always passed alongside: the job's own data is pre-tokenized, and reports go nowhere but the log.
    training_arguments: { ...pick('trainingArguments', values), remove_unused_columns: false, report_to: 'none' },
    lora_config: o.method === 'lora'
      ? { ...pick('loraConfig', loraValues), task_type: head === 'seq-cls' ? 'SEQ_CLS' : 'TOKEN_CLS', modules_to_save: ['classifier'], bias: 'none' }
      : null,
    config_overrides: pick('config', configValues),
  };
}
