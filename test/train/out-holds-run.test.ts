// A new run into a folder that holds an earlier run is refused (it mixed the two: checkpoints side by side, metrics
// appended, and a later --resume continued from the old run's last checkpoint); --resume continues it.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('out-holds-run');
const MODEL = join(__dirname, '..', '..', 'models', 'default');

test('xlm train into a folder with an earlier run is refused, naming --resume and --out; --resume continues it', async () => {
  const data = files.write('two.jsonl', ['a', 'b', 'c', 'd'].map((t, i) => JSON.stringify({ text: t, label: i % 2 ? 'x' : 'y' })).join('\n') + '\n');
  const out = join(files.dir, 'run');
  const args = ['train', '--model', MODEL, '--task', 'sequence-classification', '--train', data, '--out', out, '--threads', '1'];
  const first = await runXlm([...args, '--max-steps', '2', '--save-every', '1']);
  assert.equal(first.code, 0, first.stderr);
  const before = readdirSync(out).sort();
  const again = await runXlm([...args, '--max-steps', '1']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /^xlm: .*run: this folder already holds a training run \(checkpoint-1, checkpoint-2, metrics\.jsonl, model\.safetensors\); continue it with --resume, or give another --out/m);
  assert.deepEqual(readdirSync(out).sort(), before, 'nothing in the folder changed');
  const resumed = await runXlm([...args, '--max-steps', '3', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from .*checkpoint-2 at step 2/);
  // A folder with metrics but no checkpoint (a run killed before its first save) is not offered --resume.
  const bare = join(files.dir, 'bare');
  mkdirSync(bare);
  writeFileSync(join(bare, 'metrics.jsonl'), '{"step":1,"loss":1}\n');
  const refused = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', data, '--out', bare, '--threads', '1', '--max-steps', '1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /this folder already holds a training run \(metrics\.jsonl\); it has no checkpoint to resume from: give another --out, or delete that folder first/);
  // Not a run, but a file the trained model would be written over: refused, the file kept; other files are no bar.
  const mine = join(files.dir, 'mine');
  mkdirSync(mine);
  writeFileSync(join(mine, 'config.json'), '{"mine": 1}\n');
  writeFileSync(join(mine, 'notes.txt'), 'notes\n');
  const over = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', data, '--out', mine, '--threads', '1', '--max-steps', '1']);
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /mine: this folder holds config\.json; saving the trained model would overwrite it: give another --out \(a new or empty folder\)/);
  assert.equal(readFileSync(join(mine, 'config.json'), 'utf8'), '{"mine": 1}\n');
  const notes = join(files.dir, 'notes');
  mkdirSync(notes);
  writeFileSync(join(notes, 'notes.txt'), 'notes\n');
  const beside = await runXlm(['train', '--model', MODEL, '--task', 'sequence-classification', '--train', data, '--out', notes, '--threads', '1', '--max-steps', '1']);
  assert.equal(beside.code, 0, beside.stderr);
  assert.equal(readFileSync(join(notes, 'notes.txt'), 'utf8'), 'notes\n');
});
