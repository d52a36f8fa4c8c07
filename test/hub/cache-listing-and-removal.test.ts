import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XlmError } from '../../src/engine/errors.js';
import { listCachedModels, removeCachedModel } from '../../src/engine/hub/cache-scan.js';
import { downloadRepo } from '../../src/engine/hub/download.js';
import { FakeHub, tinyModelRepo } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

describe('the cache listing counts each blob once, and removal frees what no other revision uses', () => {
  let hub: FakeHub;
  let home: HubHome;
  const tiny = tinyModelRepo('org/tiny');
  const other = tinyModelRepo('solo', {}, 10_000);
  const bytesOf = (files: Record<string, { content: Buffer }>, names: string[]): number => names.reduce((sum, n) => sum + files[n].content.length, 0);
  const shared = ['tokenizer.json', 'sentencepiece.bpe.model', 'README.md', 'model.safetensors'];
  const firstConfig = (): number => tiny.repo.commits[tiny.first]['config.json'].content.length;

  before(async () => {
    hub = await FakeHub.start({ repos: [tiny.repo, other.repo] });
    home = tempHubHome();
    const settings = home.settings(hub.url);
    await downloadRepo('org/tiny', { settings, retry: FAST_RETRY });
    await downloadRepo('org/tiny', { settings, revision: 'dev', retry: FAST_RETRY });
    await downloadRepo('solo', { settings, retry: FAST_RETRY });
    // A download interrupted earlier, and a dataset folder that the model listing must ignore.
    writeFileSync(join(home.cacheDir, 'models--org--tiny', 'blobs', `${'f'.repeat(64)}.incomplete`), Buffer.alloc(1234));
    mkdirSync(join(home.cacheDir, 'datasets--org--data', 'snapshots'), { recursive: true });
  });
  after(async () => {
    await hub.close();
    home.cleanup();
  });

  it('lists repos with revisions, refs, model type and sizes', () => {
    const models = listCachedModels(home.settings(hub.url));
    assert.deepEqual(models.map((m) => m.repoId), ['org/tiny', 'solo']);
    const [model] = models;
    const expected = bytesOf(tiny.files, [...shared, 'config.json']) + firstConfig();
    assert.equal(model.sizeOnDisk, expected);
    assert.equal(model.incompleteBytes, 1234);
    assert.ok(model.lastModified > Date.now() - 600_000 && model.lastModified <= Date.now());
    const byCommit = new Map(model.revisions.map((r) => [r.commit, r]));
    assert.deepEqual(byCommit.get(tiny.second)?.refs, ['main']);
    assert.deepEqual(byCommit.get(tiny.first)?.refs, ['dev']);
    assert.equal(byCommit.get(tiny.second)?.modelType, 'xlm-roberta');
    assert.equal(byCommit.get(tiny.second)?.sizeOnDisk, bytesOf(tiny.files, [...shared, 'config.json']));
    assert.deepEqual(byCommit.get(tiny.first)?.files, ['README.md', 'config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'tokenizer.json']);
  });

  it('removes one revision, keeping the blobs the other still links', () => {
    const settings = home.settings(hub.url);
    const result = removeCachedModel('org/tiny', { revision: 'dev', settings });
    assert.deepEqual(result.removedRevisions, [tiny.first]);
    assert.equal(result.freedBytes, firstConfig());
    const repo = join(home.cacheDir, 'models--org--tiny');
    assert.ok(!existsSync(join(repo, 'refs', 'dev')));
    assert.ok(!existsSync(join(repo, 'snapshots', tiny.first)));
    assert.deepEqual(readFileSync(join(repo, 'snapshots', tiny.second, 'model.safetensors')), tiny.files['model.safetensors'].content);
    const [model] = listCachedModels(settings);
    assert.deepEqual(model.revisions.map((r) => r.commit), [tiny.second]);
  });

  it('removes a whole repo, and says so when the repo is not cached', () => {
    const settings = home.settings(hub.url);
    const result = removeCachedModel('org/tiny', { settings });
    assert.equal(result.freedBytes, bytesOf(tiny.files, [...shared, 'config.json']) + 1234);
    assert.ok(!existsSync(join(home.cacheDir, 'models--org--tiny')));
    assert.deepEqual(listCachedModels(settings).map((m) => m.repoId), ['solo']);
    assert.throws(() => removeCachedModel('org/tiny', { settings }), (e: unknown) => e instanceof XlmError && e.code === 'hub/not-cached');
    assert.throws(
      () => removeCachedModel('solo', { settings, revision: 'nope' }),
      (e: unknown) => e instanceof XlmError && e.code === 'hub/revision-not-cached' && e.message.includes('main'),
    );
  });
});
