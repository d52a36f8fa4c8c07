/**
 * The job folder as data: every training option has a transformers / peft counterpart or a stated reason, the
 * hf block passes exactly the mapped fields with our values, the generated Python compiles and the shell launchers
 * parse; a run folder started from the editor exports with its automatic eval split; import-run reads transformers'
 * trainer_state.json; bad input names the file and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HF_MAPPING, hfBlock } from '../../src/engine/jobs/settings.js';
import { resolveOptions, type TrainOptions } from '../../src/engine/train/options.js';
import { listRuns, readRun } from '../../src/panels/runs.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

/** TrainingArguments fields of transformers (4.41+, where evaluation_strategy became eval_strategy). */
const TRAINING_ARGUMENTS = new Set(['output_dir', 'learning_rate', 'num_train_epochs', 'max_steps', 'per_device_train_batch_size', 'per_device_eval_batch_size', 'accelerator_config', 'gradient_accumulation_steps', 'warmup_steps', 'lr_scheduler_type', 'weight_decay', 'max_grad_norm', 'optim', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'seed', 'data_seed', 'group_by_length', 'eval_strategy', 'eval_steps', 'save_strategy', 'save_steps', 'logging_strategy', 'logging_steps', 'metric_for_best_model', 'greater_is_better', 'load_best_model_at_end', 'remove_unused_columns', 'report_to']);
const LORA_CONFIG = new Set(['r', 'lora_alpha', 'lora_dropout', 'target_modules', 'task_type', 'modules_to_save', 'bias']);
const MODEL_CONFIG = new Set(['hidden_dropout_prob', 'attention_probs_dropout_prob', 'classifier_dropout']);

/** Every option given, so every counterpart has a value to carry. */
const EVERY_OPTION: Required<TrainOptions> = {
  model: 'm', task: 'token-classification', train: 't.jsonl', eval: 'e.jsonl', out: 'o', method: 'lora', loraR: 4, loraAlpha: 8, loraDropout: 0.05, loraTargets: ['query', 'output.dense'],
  lr: 3e-4, epochs: 2, maxSteps: 40, batchSize: 8, gradAccum: 2, maxLength: 64, warmupRatio: 0.1, schedule: 'constant', weightDecay: 0.02, maxGradNorm: 0.5,
  optimizer: 'adamw', adamBeta1: 0.8, adamBeta2: 0.99, adamEps: 1e-7, dropout: 0, seed: 9, shuffle: true, evalEvery: 10, saveEvery: 20, logEvery: 5, resume: false,
  device: 'cpu', threads: 1, spin: false, mlmProbability: 0.15, wholeWordMask: false, inPlace: true, evalFraction: 0.1, evalFractionMinRows: 50, trainLanguage: ['en'],
  metricForBest: 'f1', patience: 3, readOptions: {}, memoryLimitMB: 0, labelNames: ['O', 'B-PER'], qa: {},
};

test('every training option has a TrainingArguments / LoraConfig / config counterpart or a stated reason', () => {
  for (const key of Object.keys(EVERY_OPTION) as (keyof TrainOptions)[]) {
    const c = HF_MAPPING[key];
    assert.ok(c, `${key} is in the mapping`);
    const fields = [...(c.trainingArguments ?? []), ...(c.loraConfig ?? []), ...(c.config ?? [])];
    assert.ok(fields.length > 0 || (c.reason ?? '').length > 20, `${key}: a counterpart or a reason`);
    for (const f of c.trainingArguments ?? []) assert.ok(TRAINING_ARGUMENTS.has(f), `${key}: ${f} is a TrainingArguments field`);
    for (const f of c.loraConfig ?? []) assert.ok(LORA_CONFIG.has(f), `${key}: ${f} is a LoraConfig field`);
    for (const f of c.config ?? []) assert.ok(MODEL_CONFIG.has(f), `${key}: ${f} is an XLM-R config field`);
  }
  assert.deepEqual(Object.keys(HF_MAPPING).sort(), Object.keys(EVERY_OPTION).sort(), 'the mapping covers exactly the options');
});

test('the hf block passes every mapped field, with our values (warm-up rounded up, constant schedule with warm-up, best metric by task)', () => {
  const o = resolveOptions(EVERY_OPTION);
  const hf = hfBlock(o, { totalSteps: 40, warmupSteps: 4 });
  const mapped = (field: 'trainingArguments' | 'loraConfig' | 'config') => new Set(Object.values(HF_MAPPING).flatMap((c) => c[field] ?? []));
  assert.deepEqual(new Set(Object.keys(hf.training_arguments)), new Set([...mapped('trainingArguments'), 'remove_unused_columns', 'report_to']));
  assert.deepEqual(new Set(Object.keys(hf.config_overrides)), mapped('config'));
  assert.deepEqual(hf.training_arguments, {
    output_dir: 'output', learning_rate: 3e-4, num_train_epochs: 2, max_steps: 40, per_device_train_batch_size: 8, per_device_eval_batch_size: 8,
    accelerator_config: { split_batches: true }, gradient_accumulation_steps: 2, warmup_steps: 4, lr_scheduler_type: 'constant_with_warmup',
    weight_decay: 0.02, max_grad_norm: 0.5, optim: 'adamw_torch', adam_beta1: 0.8, adam_beta2: 0.99, adam_epsilon: 1e-7, seed: 9, data_seed: 9,
    group_by_length: false, eval_strategy: 'steps', eval_steps: 10, save_strategy: 'steps', save_steps: 10, logging_strategy: 'steps', logging_steps: 5,
    metric_for_best_model: 'f1', greater_is_better: true, load_best_model_at_end: true, remove_unused_columns: false, report_to: 'none',
  });
  // 'output.dense' alone means the feed-forward output: PEFT gets a regular expression that leaves attention.output.dense out.
  assert.deepEqual(hf.lora_config, { r: 4, lora_alpha: 8, lora_dropout: 0.05, target_modules: '.*\\.(query|layer\\.\\d+\\.output\\.dense)', task_type: 'TOKEN_CLS', modules_to_save: ['classifier'], bias: 'none' });
  assert.deepEqual(hf.config_overrides, { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout: 0 });
  const full = hfBlock(resolveOptions({ ...EVERY_OPTION, task: 'sequence-classification', method: 'full', schedule: 'linear', optimizer: 'sgd', dropout: undefined, metricForBest: 'f1' }), { totalSteps: 40, warmupSteps: 0 });
  assert.equal(full.lora_config, null);
  assert.deepEqual(full.config_overrides, {});
  assert.equal(full.training_arguments.metric_for_best_model, 'macro_f1');
  assert.equal(full.training_arguments.lr_scheduler_type, 'linear');
  assert.equal(full.training_arguments.optim, 'sgd');
});

test('a run folder started from the editor exports with its held-out tenth; the Python compiles and the launchers parse', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-export-'));
  try {
    writeTinyXlmr(join(root, 'model'), { head: 'seq-cls', seed: 3 });
    const rows = Array.from({ length: 60 }, (_, i) => JSON.stringify({ text: `sentence number ${i} about ${['cats', 'dogs'][i % 2]}`, label: ['a', 'b'][i % 2] }));
    writeFileSync(join(root, 'train.jsonl'), rows.join('\n') + '\n');
    const run = join(root, 'runs', '2026-12-06T01-00-00Z-lora');
    mkdirSync(run, { recursive: true });
    writeFileSync(join(run, 'run.json'), JSON.stringify({ runId: '2026-12-06T01-00-00Z-lora', started: '2026-12-06T01:00:00.000Z', model: join(root, 'model'), data: join(root, 'train.jsonl'), task: 'sequence-classification', runFolder: join(root, 'runs'), method: 'lora', epochs: 1, batchSize: 4, learningRate: 1e-3, maxLength: 32, loraRank: 2, seed: 5 }));
    const r = await runXlm(['export-job', '--run', run, '--out', join(root, 'job')]);
    assert.equal(r.code, 0, r.stderr);
    const job = join(root, 'job');
    const settings = JSON.parse(readFileSync(join(job, 'settings.json'), 'utf8')) as {
      method: string; lora: { r: number }; labels: string[]; data: { train_rows: number; eval_rows: number }; total_steps: number; batch: { max_length: number }; adapter_config: { r: number };
    };
    assert.equal(settings.method, 'lora');
    assert.equal(settings.lora.r, 2);
    assert.deepEqual(settings.labels, ['a', 'b']);
    assert.equal(settings.data.train_rows + settings.data.eval_rows, 60);
    assert.equal(settings.data.eval_rows, 6);
    assert.equal(settings.total_steps, Math.ceil(54 / 4));
    assert.equal(settings.batch.max_length, 32);
    assert.equal(settings.adapter_config.r, 2);
    const first = JSON.parse(readFileSync(join(job, 'data', 'train.jsonl'), 'utf8').split('\n')[0]) as Record<string, unknown>;
    assert.ok(Array.isArray(first.input_ids) && typeof first.label === 'number' && typeof first.text === 'string');
    assert.deepEqual(readdirSync(join(job, 'launch')).sort(), ['accelerate.yaml', 'ray_job.py', 'slurm.sbatch', 'torchrun.sh']);
    for (const f of ['torchrun.sh', 'slurm.sbatch', 'accelerate.yaml', 'ray_job.py']) assert.match(readFileSync(join(job, 'launch', f), 'utf8'), /EDIT/, `${f} marks the lines to edit`);
    assert.match(readFileSync(join(job, 'launch', 'slurm.sbatch'), 'utf8'), /srun \$TORCHRUN --nnodes "\$SLURM_NNODES"/);
    const readme = readFileSync(join(job, 'README.md'), 'utf8');
    assert.match(readme, /xlm import-run/);
    assert.match(readme, /sequence-classification, lora fine-tuning, 54 training rows, 6 evaluation rows, 14 optimizer steps of 4 examples/);
    assert.doesNotMatch(readme, /\{\{/, 'every placeholder of the template is filled');
    for (const f of ['torchrun.sh', 'slurm.sbatch']) assert.ok(statSync(join(job, 'launch', f)).mode & 0o100, `${f} is executable`);
    const compiled = spawnSync('/usr/bin/python3', ['-m', 'py_compile', 'train.py', 'xlmr_torch.py', 'launch/ray_job.py'], { cwd: job, encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
    for (const script of ['launch/torchrun.sh', 'launch/slurm.sbatch']) {
      const parsed = spawnSync('bash', ['-n', script], { cwd: job, encoding: 'utf8' });
      assert.equal(parsed.status, 0, `${script}: ${parsed.stderr}`);
    }
    // A job folder is written once: a second export into it is refused, naming the folder.
    const again = await runXlm(['export-job', '--run', run, '--out', job]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /not empty/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("import-run converts transformers' log_history into metrics.jsonl; a bad metrics line is named by file and line", async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-import-'));
  try {
    const out = join(root, 'hf-output');
    writeTinyXlmr(out, { head: 'seq-cls', seed: 4 });
    const history = [
      { step: 10, epoch: 0.5, loss: 0.9, learning_rate: 1e-4, grad_norm: 2.5 },
      { step: 20, epoch: 1, loss: 0.7, learning_rate: 5e-5, grad_norm: 1.5 },
      { step: 20, epoch: 1, eval_loss: 0.6, eval_accuracy: 0.75, eval_macro_f1: 0.7, eval_runtime: 1.2, eval_samples_per_second: 30 },
      { step: 20, epoch: 1, train_runtime: 50, train_loss: 0.8, total_flos: 1 },
    ];
    writeFileSync(join(out, 'trainer_state.json'), JSON.stringify({ global_step: 20, log_history: history }));
    const r = await runXlm(['import-run', out, '--runs', join(root, 'runs'), '--name', 'cluster-a']);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(join(root, 'runs', 'cluster-a', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(lines, [
      { step: 10, epoch: 0.5, loss: 0.9, lr: 1e-4, grad_norm: 2.5 },
      { step: 20, epoch: 1, loss: 0.7, lr: 5e-5, grad_norm: 1.5 },
      { step: 20, epoch: 1, eval: { loss: 0.6, accuracy: 0.75, macro_f1: 0.7 } },
    ]);
    assert.ok(readdirSync(join(root, 'runs', 'cluster-a')).includes('model.safetensors'));
    // The dashboard lists it beside local runs and draws its curves.
    const listed = listRuns([join(root, 'runs')]);
    assert.deepEqual(listed.map((run) => [run.id, run.steps, run.lastLoss]), [['cluster-a', 20, 0.7]]);
    assert.deepEqual(readRun(join(root, 'runs', 'cluster-a')).records.filter((rec) => rec.eval).map((rec) => rec.eval), [{ loss: 0.6, accuracy: 0.75, macro_f1: 0.7 }]);

    writeFileSync(join(out, 'metrics.jsonl'), '{"step": 1, "loss": 1}\n{"loss": 2}\n');
    const bad = await runXlm(['import-run', out, '--runs', join(root, 'runs')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /metrics\.jsonl:2/);
    assert.match(bad.stderr, /numeric "step"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("export-job's JSON of train flags: snake_case and camelCase keys are read as the flags, an unknown key is refused by name, a syntax error at its line", async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-job-keys-'));
  try {
    writeTinyXlmr(join(root, 'model'), { head: 'seq-cls', seed: 5 });
    writeFileSync(join(root, 'train.jsonl'), ['a', 'b', 'c', 'd'].map((t, i) => JSON.stringify({ text: t, label: i % 2 ? 'x' : 'y' })).join('\n') + '\n');
    const write = (name: string, body: string) => {
      writeFileSync(join(root, name), body);
      return join(root, name);
    };
    const ok = write('ok.json', JSON.stringify({ model: 'model', task: 'seq-cls', train: 'train.jsonl', max_steps: 3, batchSize: 2, threads: 1 }));
    const exported = await runXlm(['export-job', '--run', ok, '--out', join(root, 'job')]);
    assert.equal(exported.code, 0, exported.stderr);
    const settings = JSON.parse(readFileSync(join(root, 'job', 'settings.json'), 'utf8')) as { total_steps: number; batch: { global_batch_size: number } };
    assert.deepEqual([settings.total_steps, settings.batch.global_batch_size], [3, 2], 'max_steps and batchSize took effect');
    const typo = await runXlm(['export-job', '--run', write('typo.json', JSON.stringify({ model: 'model', trian: 'train.jsonl' })), '--out', join(root, 'job2')]);
    assert.match(typo.stderr, /typo\.json: "trian" is not a flag of xlm train; did you mean "train"\?/);
    const bogus = await runXlm(['export-job', '--run', write('bogus.json', JSON.stringify({ model: 'model', train: 'train.jsonl', task: 'seq-cls', bogus: 1 })), '--out', join(root, 'job3')]);
    assert.match(bogus.stderr, /bogus\.json: "bogus" is not a flag of xlm train/);
    const missing = await runXlm(['export-job', '--run', write('missing.json', JSON.stringify({ model: 'model', task: 'seq-cls' })), '--out', join(root, 'job4')]);
    assert.match(missing.stderr, /missing\.json: train needs "train"/);
    const beta = await runXlm(['export-job', '--run', write('beta.json', JSON.stringify({ model: 'model', task: 'seq-cls', train: 'train.jsonl', 'adam-beta1': 'abc' })), '--out', join(root, 'job6')]);
    assert.match(beta.stderr, /beta\.json: "adam-beta1" is "abc"; expected a number/);
    // A value out of range is said of the key as the file writes it, not of xlm train's flag.
    const range = await runXlm(['export-job', '--run', write('range.json', JSON.stringify({ model: 'model', task: 'seq-cls', train: 'train.jsonl', warmup_ratio: 2 })), '--out', join(root, 'job7')]);
    assert.equal(range.code, 1);
    assert.match(range.stderr, /range\.json: "warmup_ratio" must be from 0 to 1 \(the share of steps that warm up\), got 2/);
    assert.doesNotMatch(range.stderr, /--warmup/);
    const lr = await runXlm(['export-job', '--run', write('lr.json', JSON.stringify({ model: 'model', task: 'seq-cls', train: 'train.jsonl', lr: -1 })), '--out', join(root, 'job8')]);
    assert.match(lr.stderr, /lr\.json: "lr" must be above 0, got -1/);
    const broken = await runXlm(['export-job', '--run', write('broken.json', '{"model": "model",\n'), '--out', join(root, 'job5')]);
    assert.match(broken.stderr, /broken\.json:2:1: not valid JSON/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
