// Optimizer settings out of range are refused before any work, naming the setting (an --adam-beta2 of 5 trained
// into NaN and blamed the learning rate); numbers are read in decimal only (--epochs 0x10 ran 16 epochs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import { resolveOptions, type TrainOptions } from '../../src/engine/train/options.js';
import { flagNumber } from '../../src/engine/cli/inputs.js';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

const base: TrainOptions = { model: 'm', task: 'sequence-classification', train: 't.jsonl', out: 'o' };

test('resolveOptions refuses optimizer settings out of range, naming each', () => {
  const refused = (o: Partial<TrainOptions>, what: RegExp) => assert.throws(() => resolveOptions({ ...base, ...o }), (e: unknown) => isXlmError(e) && what.test(e.message), JSON.stringify(o));
  refused({ adamBeta1: 2 }, /adamBeta1 must be at least 0 and below 1, got 2/);
  refused({ adamBeta2: 5 }, /adamBeta2 must be at least 0 and below 1, got 5/);
  refused({ adamBeta2: 1 }, /adamBeta2/);
  refused({ weightDecay: -5 }, /weightDecay must be 0 or more \(0: no weight decay\), got -5/);
  refused({ maxGradNorm: -1 }, /maxGradNorm must be 0 or more \(0: no clipping\), got -1/);
  refused({ adamEps: 0 }, /adamEps must be above 0/);
  refused({ lr: 0 }, /lr must be above 0, got 0/);
  refused({ lr: Infinity }, /lr must be above 0/);
  refused({ warmupRatio: 2 }, /warmupRatio must be from 0 to 1 \(the share of steps that warm up\), got 2$/);
  assert.equal(resolveOptions({ ...base, warmupRatio: 1, adamBeta2: 0.98, weightDecay: 0, maxGradNorm: 0 }).warmupRatio, 1, 'the edges that mean something are accepted');
});

test('flag numbers are decimal: hex, binary and words are not numbers', () => {
  assert.equal(flagNumber('1e-4'), 1e-4);
  assert.equal(flagNumber('.5'), 0.5);
  assert.equal(flagNumber('16'), 16);
  assert.equal(flagNumber('-1'), -1);
  for (const v of ['0x10', '0b11', '0o7', 'abc', '', ' ', '1,5', 'Infinity']) assert.ok(Number.isNaN(flagNumber(v)), v);
});

test('xlm train refuses a hex number and a translation-only flag on another task before any training', async () => {
  const files = tempFolder('option-ranges');
  const data = files.write('d.jsonl', '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n');
  const args = ['train', '--model', join(__dirname, '..', '..', 'models', 'default'), '--task', 'seq-cls', '--train', data, '--out', join(files.dir, 'out')];
  const hex = await runXlm([...args, '--epochs', '0x10']);
  assert.equal(hex.code, 1);
  assert.match(hex.stderr, /--epochs is "0x10"; expected a number/);
  const smoothing = await runXlm([...args, '--label-smoothing', '0.1']);
  assert.equal(smoothing.code, 1);
  assert.match(smoothing.stderr, /--label-smoothing is for --task translation/);
});
