/**
 * The exported job is the same run: `torchrun --nproc_per_node 2 --standalone` on the job (2 processes, batch 4
 * each, gloo) ends at the weights of XLM Lab's own single-process run with batch 8, same seed, shuffled data
 * order, warm-up, clipping and AdamW, for sequence and token classification; `xlm import-run` brings the result
 * back as a run whose model XLM Lab loads and evaluates to the job's own final evaluation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/engine/train/train-task.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { readAllFloat32 } from '../helpers/safetensors.js';
import { runXlm } from '../helpers/cli.js';
import { assertSameWeights, jsonLines, rowsFor, TORCHRUN, torchrunLogs, torchrunStreams } from './job-fixtures.js';

for (const [task, method] of [['seq-cls', 'full'], ['token-cls', 'full'], ['seq-cls', 'lora']] as const) {
  test(`${task} ${method}: torchrun with 2 processes of batch 4 ends at our single-process batch-8 weights; the imported run evaluates as the job did`, { timeout: 600_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'xlm-job-'));
    try {
      const model = join(root, 'model');
      writeTinyXlmr(model, { head: task, seed: 5, labels: ['LABEL_0', 'LABEL_1', 'LABEL_2'] });
      writeFileSync(join(root, 'train.jsonl'), rowsFor(task, 21, 0));
      writeFileSync(join(root, 'eval.jsonl'), rowsFor(task, 7, 3));
      const lr = 3e-3;
      const flags = { model: 'model', task, train: 'train.jsonl', eval: 'eval.jsonl', method, 'lora-r': 4, 'lora-alpha': 8, 'lora-dropout': 0, 'lora-targets': 'query,value,output.dense', 'batch-size': 8, epochs: 2, lr, 'warmup-ratio': 0.2, 'max-grad-norm': 0.5, 'weight-decay': 0.05, dropout: 0, seed: 11, 'eval-every': 3 };
      writeFileSync(join(root, 'run-settings.json'), JSON.stringify(flags));

      const exported = await runXlm(['export-job', '--run', join(root, 'run-settings.json'), '--out', join(root, 'job')]);
      assert.equal(exported.code, 0, exported.stderr);
      const settings = JSON.parse(readFileSync(join(root, 'job', 'settings.json'), 'utf8')) as { total_steps: number; batch: { global_batch_size: number } };
      assert.equal(settings.total_steps, 6);
      assert.equal(settings.batch.global_batch_size, 8);

      await train({ model, task: task === 'seq-cls' ? 'sequence-classification' : 'token-classification', train: join(root, 'train.jsonl'), eval: join(root, 'eval.jsonl'), out: join(root, 'ours'), method, loraR: 4, loraAlpha: 8, loraDropout: 0, loraTargets: ['query', 'value', 'output.dense'], batchSize: 8, epochs: 2, lr, warmupRatio: 0.2, maxGradNorm: 0.5, weightDecay: 0.05, dropout: 0, seed: 11, evalEvery: 3, threads: 1, device: 'cpu' });

      const job = spawnSync(TORCHRUN[0], [...TORCHRUN.slice(1), '--nproc_per_node', '2', '--standalone', ...torchrunStreams(join(root, 'logs')), 'train.py', '--engine', 'torch'], {
        cwd: join(root, 'job'), encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 480_000,
      });
      assert.equal(job.status, 0, `torchrun failed:\n${job.stdout}\n${job.stderr}\n${torchrunLogs(join(root, 'logs'))}`);
      assert.match(job.stdout, /engine torch, 2 process\(es\)/);

      assertSameWeights(readAllFloat32(join(root, 'ours', 'model.safetensors')), readAllFloat32(join(root, 'job', 'output', 'model.safetensors')), lr);
      if (method === 'lora') assert.ok(existsSync(join(root, 'job', 'output', 'adapter_model.safetensors')), 'a LoRA job writes a PEFT adapter');

      // Step by step, the job's curve is ours: same loss, learning rate and gradient norm at every step.
      const ourLines = jsonLines(join(root, 'ours', 'metrics.jsonl'));
      const jobLines = jsonLines(join(root, 'job', 'output', 'metrics.jsonl'));
      const steps = (lines: Record<string, unknown>[]) => lines.filter((l) => typeof l.loss === 'number');
      assert.equal(steps(jobLines).length, 6);
      steps(ourLines).forEach((l, i) => {
        const j = steps(jobLines)[i];
        assert.equal(j.step, l.step);
        for (const key of ['loss', 'lr', 'grad_norm']) assert.ok(Math.abs((j[key] as number) - (l[key] as number)) <= 1e-4 * Math.max(1, Math.abs(l[key] as number)), `step ${l.step} ${key}: job ${j[key]}, ours ${l[key]}`);
      });
      const evalsOf = (lines: Record<string, unknown>[]) => lines.filter((l) => l.eval) as { step: number; eval: Record<string, number> }[];
      assert.deepEqual(evalsOf(jobLines).map((l) => l.step), [3, 6]);
      for (const [i, ours] of evalsOf(ourLines).entries()) {
        const theirs = evalsOf(jobLines)[i];
        assert.deepEqual(Object.keys(theirs.eval).sort(), Object.keys(ours.eval).sort(), 'the job reports the metrics our evaluation reports');
        for (const [k, v] of Object.entries(ours.eval)) assert.ok(Math.abs(theirs.eval[k] - v) <= 1e-4, `eval at step ${ours.step}, ${k}: job ${theirs.eval[k]}, ours ${v}`);
      }

      // Back in XLM Lab: the run lists with its curves, and its model evaluates to the job's last evaluation.
      const imported = await runXlm(['import-run', join(root, 'job'), '--runs', join(root, 'runs')]);
      assert.equal(imported.code, 0, imported.stderr);
      const { run } = JSON.parse(imported.stdout) as { run: string };
      assert.equal(run, join(root, 'runs', 'job'));
      assert.deepEqual(jsonLines(join(run, 'metrics.jsonl')), jobLines);
      const evaluated = await runXlm(['eval', '--model', run, '--data', join(root, 'eval.jsonl'), '--task', task, '--json', '--out', join(root, 'eval.json')]);
      assert.equal(evaluated.code, 0, evaluated.stderr);
      const report = JSON.parse(readFileSync(join(root, 'eval.json'), 'utf8')) as { metrics: Record<string, number> };
      const last = evalsOf(jobLines).at(-1)!.eval;
      for (const [k, v] of Object.entries(report.metrics)) if (k in last) assert.ok(Math.abs(last[k] - v) <= 1e-4, `xlm eval ${k} ${v}, the job's ${last[k]}`);
      assert.ok('accuracy' in report.metrics && 'loss' in report.metrics);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}
