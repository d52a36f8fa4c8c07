import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XlmError } from '../../src/engine/errors.js';
import { downloadRepo } from '../../src/engine/hub/download.js';
import { resolveModel } from '../../src/engine/hub/resolve.js';
import { FakeHub, gitBlobSha1, tinyModelRepo } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

/** Writes a model into the cache by hand, exactly as Python's huggingface_hub would have left it. */
function placeInCache(cacheDir: string, repoId: string, commit: string, files: Record<string, string>, refs: string[]): string {
  const repo = join(cacheDir, `models--${repoId.replace('/', '--')}`);
  const snapshot = join(repo, 'snapshots', commit);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const etag = gitBlobSha1(Buffer.from(text));
    writeFileSync(join(repo, 'blobs', etag), text);
    symlinkSync(join('..', '..', 'blobs', etag), join(snapshot, name));
  }
  for (const ref of refs) {
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', ref), commit);
  }
  return snapshot;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<XlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof XlmError, `expected ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

describe('resolveModel finds models in folders and in the cache before touching the network', () => {
  let hub: FakeHub;
  let home: HubHome;
  const tiny = tinyModelRepo('org/tiny');
  before(async () => {
    hub = await FakeHub.start({ repos: [tiny.repo] });
    home = tempHubHome();
  });
  after(async () => {
    await hub.close();
    home.cleanup();
  });

  it('offline mode never connects and says how to get a model that is not cached', async () => {
    const settings = home.settings(hub.url, {}, { HF_HUB_OFFLINE: '1' });
    assert.equal(settings.offline, true);
    const error = await rejectsWithCode(resolveModel('org/tiny', { settings }), 'hub/offline-not-cached');
    assert.match(error.message, /not in the Hugging Face cache/);
    assert.match(error.message, /xlm hub download org\/tiny/);
    await rejectsWithCode(downloadRepo('org/tiny', { settings }), 'hub/offline-not-cached');
    assert.equal(hub.connections, 0);
    assert.equal(hub.requests.length, 0);
  });

  it('offline mode serves a downloaded model from the cache with no request', async () => {
    const online = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    const connections = hub.connections;
    const requests = hub.requests.length;
    const offline = home.settings(hub.url, { offline: true });
    assert.deepEqual(await resolveModel('org/tiny', { settings: offline }), {
      folder: online.folder,
      source: 'cache',
      repoId: 'org/tiny',
      revision: 'main',
      commit: tiny.second,
    });
    const served = await downloadRepo('org/tiny', { settings: offline });
    assert.equal(served.fromCache, true);
    assert.equal(served.folder, online.folder);
    assert.ok(served.files.some((f) => f.path === 'model.safetensors'));
    const missing = await rejectsWithCode(resolveModel('org/tiny', { settings: offline, requiredFiles: ['onnx/encoder_model.onnx'] }), 'hub/offline-not-cached');
    assert.match(missing.message, /lacks onnx\/encoder_model\.onnx/);
    assert.equal(hub.connections, connections);
    assert.equal(hub.requests.length, requests);
  });

  it('finds by id, with no network, a model placed in the cache layout as Python leaves it', async () => {
    const commit = 'a1'.repeat(20);
    const snapshot = placeInCache(home.cacheDir, 'python/model', commit, { 'config.json': '{"model_type":"xlm-roberta"}' }, ['main', 'v2']);
    const connections = hub.connections;
    // Online settings: the cache is consulted first, so the Hub is not asked at all.
    const settings = home.settings(hub.url);
    assert.equal((await resolveModel('python/model', { settings })).folder, snapshot);
    assert.equal((await resolveModel('python/model', { settings, revision: 'v2' })).source, 'cache');
    assert.equal((await resolveModel('python/model', { settings, revision: commit })).folder, snapshot);
    assert.equal(hub.connections, connections);
  });

  it('completes a cached snapshot that lacks a required file, fetching only that file', async () => {
    const settings = home.settings(hub.url);
    const before = hub.requests.length;
    const resolved = await resolveModel('org/tiny', { settings, requiredFiles: ['pytorch_model.bin'], retry: FAST_RETRY });
    assert.equal(resolved.source, 'download');
    assert.deepEqual(readFileSync(join(resolved.folder, 'pytorch_model.bin')), tiny.files['pytorch_model.bin'].content);
    const fetched = hub.requests.slice(before).filter((r) => r.method === 'HEAD').map((r) => r.path.split('/').pop());
    assert.deepEqual(fetched, ['pytorch_model.bin']);
  });

  it('downloads a repo the cache lacks, when online', async () => {
    const fresh = tempHubHome();
    try {
      const resolved = await resolveModel('org/tiny', { settings: fresh.settings(hub.url), revision: 'dev', retry: FAST_RETRY });
      assert.equal(resolved.source, 'download');
      assert.equal(resolved.commit, tiny.first);
      assert.equal(resolved.folder, join(fresh.cacheDir, 'models--org--tiny', 'snapshots', tiny.first));
    } finally {
      fresh.cleanup();
    }
  });

  it('takes an existing folder as it is and refuses a path that does not exist', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'xlm-model-'));
    try {
      const connections = hub.connections;
      assert.deepEqual(await resolveModel(folder, { settings: home.settings(hub.url) }), { folder, source: 'folder' });
      await rejectsWithCode(resolveModel(join(folder, 'missing'), { settings: home.settings(hub.url) }), 'model/folder-not-found');
      await rejectsWithCode(resolveModel('./no/such/folder', { settings: home.settings(hub.url) }), 'model/folder-not-found');
      await rejectsWithCode(resolveModel('not a repo id', { settings: home.settings(hub.url) }), 'hub/bad-repo-id');
      assert.equal(hub.connections, connections);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
