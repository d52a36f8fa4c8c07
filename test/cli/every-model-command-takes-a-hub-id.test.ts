// One resolver for every command that takes --model: a Hub id is looked up in the HF cache, else downloaded,
// for classify and fill-mask as for translate and zero-shot (they used to treat it as a path).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { FakeHub, lfsFile, regularFile, type FakeFile } from '../helpers/fake-hub.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let hub: FakeHub;

/** A fake Hub repo holding the files of a tiny model folder (weights as LFS, the rest as regular files). */
function repoOf(id: string, dir: string) {
  const files: Record<string, FakeFile> = {};
  for (const name of readdirSync(dir)) files[name] = name.endsWith('.safetensors') ? lfsFile(readFileSync(join(dir, name))) : regularFile(readFileSync(join(dir, name)));
  const commit = createHash('sha1').update(id).digest('hex');
  return { id, commits: { [commit]: files }, branches: { main: commit } };
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'xlm-cli-hub-id-'));
  writeTinyXlmr(join(root, 'mlm'), { head: 'mlm', seed: 2 });
  writeTinyXlmr(join(root, 'cls'), { head: 'seq-cls', labels: ['neg', 'pos'], seed: 3 });
  hub = await FakeHub.start({ repos: [repoOf('org/tiny-mlm', join(root, 'mlm')), repoOf('org/tiny-cls', join(root, 'cls'))] });
});

after(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

const env = () => ({ HF_HOME: join(root, 'hf'), HF_ENDPOINT: hub.url, XLM_LAB_CACHE: join(root, 'cache') });

test('classify, fill-mask, embed and tokenize take a Hub id: downloaded once, then served from the cache', async () => {
  const runs: Array<[string[], RegExp]> = [
    [['classify', '--model', 'org/tiny-cls', 'hello world'], /^(neg|pos)\t/],
    [['fill-mask', '--model', 'org/tiny-mlm', 'hello <mask>'], /\S/],
    [['embed', '--model', 'org/tiny-mlm', 'hello'], /\S/],
    [['tokenize', '--model', 'org/tiny-mlm', 'hello'], /\S/],
  ];
  for (const [argv, says] of runs) {
    const r = await runXlm([...argv, '--threads', '1'], { env: env() });
    assert.equal(r.code, 0, `${argv[0]}: ${r.stderr}`);
    assert.match(r.stdout, says, argv[0]);
  }
  const listings = hub.requests.filter((r) => r.path.startsWith('/api/models/'));
  assert.deepEqual(listings.map((r) => r.path.split('/')[4]), ['tiny-cls', 'tiny-mlm'], 'each repo is listed once; later runs use the cache');
});

test('offline, an uncached Hub id says how to get it, for classify as for zero-shot', async () => {
  const r = await runXlm(['classify', '--model', 'org/not-cached', '--offline', 'x'], { env: env() });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /org\/not-cached \(revision main\) is not in the Hugging Face cache .*offline mode is on/);
});
