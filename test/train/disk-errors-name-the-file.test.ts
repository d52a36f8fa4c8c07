// Disk failures are the user's to fix: a full disk, an --out under a file, a folder or a FIFO where a weights
// file should be each give a message naming the file and what to do (never "looks like a bug"), and a
// checkpoint that fails halfway leaves no partial folder behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs, { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError } from '../../src/engine/errors.js';
import { writeFileAtomic } from '../../src/engine/hf/atomic.js';
import { ioError } from '../../src/engine/io-errors.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let base: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-disk-errors-'));
  base = join(root, 'base');
  writeTinyXlmr(base, { head: 'seq-cls', labels: ['a', 'b'], seed: 4 });
  const rows = ['one two', 'three four', 'five six', 'seven eight'].map((text, i) => JSON.stringify({ text, label: i % 2 ? 'a' : 'b' }));
  writeFileSync(join(root, 'cls.jsonl'), rows.join('\n') + '\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

const trainArgs = (out: string) => ['train', '--model', base, '--task', 'seq-cls', '--train', join(root, 'cls.jsonl'), '--out', out, '--batch-size', '2', '--max-steps', '2', '--save-every', '1', '--threads', '1'];

test('an --out below a file names the path and says a part of it is a file', async () => {
  writeFileSync(join(root, 'a-file'), 'x');
  const out = join(root, 'a-file', 'run');
  const r = await runXlm(trainArgs(out));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /a part of this path is a file, not a folder \(ENOTDIR\)/);
  assert.ok(r.stderr.includes(join(root, 'a-file')), r.stderr);
  assert.doesNotMatch(r.stderr, /looks like a bug/);
});

test('a full disk during a checkpoint names the file, and the partial checkpoint folder is removed', async () => {
  const out = join(root, 'out-full');
  // The disk "fills up" when the training state is written: its file is opened on /dev/full, whose writes fail with ENOSPC.
  const realOpen = fs.openSync;
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) =>
    /\.partial-\d+[\\/]training_state\.safetensors\.tmp-/.test(String(path))
      ? realOpen('/dev/full', 'w')
      : (realOpen as (...a: unknown[]) => number)(path, ...rest)) as typeof fs.openSync;
  syncBuiltinESMExports();
  let r;
  try {
    r = await runXlm(trainArgs(out));
  } finally {
    fs.openSync = realOpen;
    syncBuiltinESMExports();
  }
  assert.equal(r.code, 1);
  assert.match(r.stderr, /training_state\.safetensors: no space left on the disk while writing this file \(ENOSPC\)\. Free disk space/);
  assert.doesNotMatch(r.stderr, /looks like a bug/);
  assert.deepEqual(readdirSync(out).filter((name) => name.startsWith('checkpoint-')), [], 'no checkpoint folder, partial or whole');
});

test('a model.safetensors that is a folder, a FIFO or a device is refused by name, before it is opened', async () => {
  const cases: Array<[string, (path: string) => void, RegExp]> = [
    ['folder', (p) => mkdirSync(p), /this is a folder, not a regular file/],
    ['fifo', (p) => assert.equal(spawnSync('mkfifo', [p]).status, 0), /this is a named pipe \(FIFO\), not a regular file/],
    ['device', (p) => fs.symlinkSync('/dev/zero', p), /this is a device, not a regular file/],
  ];
  for (const [name, make, message] of cases) {
    const dir = join(root, `special-${name}`);
    writeTinyXlmr(dir, { head: 'seq-cls', labels: ['a', 'b'] });
    const weights = join(dir, 'model.safetensors');
    rmSync(weights);
    make(weights);
    // A child process with a time limit: before the check, opening the FIFO blocked forever.
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'src/engine/cli/bin.ts', 'classify', '--model', dir, 'hello'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, `${name}: the command hung`);
    assert.equal(child.status, 1, `${name}: ${child.stderr}`);
    assert.match(child.stderr, message);
    assert.ok(child.stderr.includes(weights), child.stderr);
  }
});

test('config.json or tokenizer.json as a FIFO is refused too', async () => {
  for (const file of ['config.json', 'tokenizer.json']) {
    const dir = join(root, `fifo-${file}`);
    writeTinyXlmr(dir, { head: 'seq-cls', labels: ['a', 'b'] });
    rmSync(join(dir, file));
    assert.equal(spawnSync('mkfifo', [join(dir, file)]).status, 0);
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'src/engine/cli/bin.ts', 'classify', '--model', dir, 'hello'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, `${file}: the command hung`);
    assert.match(child.stderr, /named pipe \(FIFO\), not a regular file/);
  }
});

test('the one I/O helper: each errno gets the file and advice; other errors pass through', () => {
  const errno = (code: string, syscall: string, path?: string) => Object.assign(new Error(`${code}: x`), { code, syscall, path });
  const cases: Array<[string, string, RegExp]> = [
    ['ENOSPC', 'write', /no space left on the disk while writing this file \(ENOSPC\)/],
    ['EROFS', 'open', /this file is on a read-only file system \(EROFS\)\. Choose a folder on a writable disk/],
    ['EACCES', 'open', /permission denied/],
    ['EISDIR', 'read', /this is a folder where a file was expected/],
  ];
  for (const [code, syscall, message] of cases) {
    const e = ioError(errno(code, syscall, '/data/x.bin'));
    assert.ok(e instanceof XlmError, code);
    assert.equal(e.place.file, '/data/x.bin');
    assert.match(e.toString(), new RegExp(`^/data/x\\.bin: ${message.source}`));
  }
  const bug = new TypeError('x is undefined');
  assert.equal(ioError(bug), bug);
  assert.throws(() => writeFileAtomic(join(root, 'a-file', 'y.json'), '{}'), (e: unknown) => e instanceof XlmError && e.code === 'io/not-a-folder' && e.place.file === join(root, 'a-file', 'y.json'));
  assert.ok(!existsSync(join(root, 'a-file.tmp')));
});
