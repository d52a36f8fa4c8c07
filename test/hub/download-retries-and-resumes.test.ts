import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { XlmError } from '../../src/engine/errors.js';
import { downloadRepo } from '../../src/engine/hub/download.js';
import { FakeHub, sha256, tinyModelRepo, type FakeHubOptions } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

const WEIGHT_BYTES = 200_000;
const tiny = tinyModelRepo('org/tiny', {}, WEIGHT_BYTES);
const weights = tiny.files['model.safetensors'].content;
const weightsSha = sha256(weights);
const weightsOnCdn = new RegExp(`/lfs/${weightsSha}$`);

describe('downloads survive server errors, cut bodies and cancellation, and reject corrupt bytes', () => {
  let hub: FakeHub;
  let home: HubHome;
  let blobs: string;
  async function startHub(options: Partial<FakeHubOptions> = {}): Promise<void> {
    hub = await FakeHub.start({ repos: [tiny.repo], ...options });
  }
  beforeEach(() => {
    home = tempHubHome();
    blobs = join(home.cacheDir, 'models--org--tiny', 'blobs');
  });
  afterEach(async () => {
    await hub.close();
    home.cleanup();
  });

  it('retries 5xx answers with backoff and then succeeds', async () => {
    await startHub();
    hub.failNext(/^\/api\/models\/org\/tiny\//, 500, 1);
    hub.failNext(/\/resolve\/[0-9a-f]+\/model\.safetensors$/, 503, 2);
    hub.failNext(weightsOnCdn, 502, 1);
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    assert.deepEqual(readFileSync(join(result.folder, 'model.safetensors')), weights);
    const statuses = (match: RegExp): number[] => hub.requests.filter((r) => match.test(r.path)).map((r) => r.status);
    assert.deepEqual(statuses(/^\/api\/models\//), [500, 200]);
    assert.deepEqual(statuses(/\/resolve\/[0-9a-f]+\/model\.safetensors$/), [503, 503, 302]);
    assert.deepEqual(statuses(weightsOnCdn), [502, 200]);
  });

  it('resumes a body cut short with a Range request from the bytes it kept', async () => {
    // Throttled, so the client has written the early chunks long before the connection drops.
    await startHub({ chunkBytes: 10_000, chunkDelayMs: 3 });
    const cutAt = 70_000;
    hub.cutNext(weightsOnCdn, cutAt);
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    const gets = hub.requests.filter((r) => weightsOnCdn.test(r.path));
    assert.equal(gets.length, 2);
    assert.equal(gets[0].range, undefined);
    // The resume starts where the kept bytes end: at most the cut point (bytes still in a socket buffer when
    // the connection dropped are lost), and well past zero.
    const start = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? '')?.[1]);
    assert.ok(start >= cutAt / 2 && start <= cutAt, `resumed at ${gets[1].range}`);
    assert.equal(gets[1].status, 206);
    assert.deepEqual(readFileSync(join(result.folder, 'model.safetensors')), weights);
    assert.ok(!existsSync(join(blobs, `${weightsSha}.incomplete`)));
  });

  it('drops a connection that stalls past the idle timeout and resumes with a Range request', async () => {
    await startHub({ chunkBytes: 10_000, chunkDelayMs: 3 });
    hub.stallNext(weightsOnCdn, 50_000);
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY, idleTimeoutMs: 300 });
    const gets = hub.requests.filter((r) => weightsOnCdn.test(r.path));
    assert.equal(gets.length, 2);
    const start = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? '')?.[1]);
    assert.ok(start >= 25_000 && start <= 50_000, `resumed at ${gets[1].range}`);
    assert.deepEqual(readFileSync(join(result.folder, 'model.safetensors')), weights);
  });

  it('fetches several files at once, never more than the concurrency limit', async () => {
    await startHub({ chunkBytes: 4_000, chunkDelayMs: 2 });
    // Four throttled files of 20 KB or more: both workers are sending from the start, whatever the machine's
    // load (with small regular files in the mix, one worker could finish them all while the other still waited).
    const include = ['*.safetensors', '*.model', '*.bin', '*.h5'];
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY, concurrency: 2, include });
    assert.equal(result.files.length, 4);
    assert.equal(hub.maxBodiesInFlight, 2);
  });

  it('rejects bytes whose sha256 differs from the etag, naming file and hashes, and removes the bad blob', async () => {
    await startHub();
    hub.corruptNext(weightsOnCdn);
    let error: unknown;
    await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY }).catch((e) => (error = e));
    assert.ok(error instanceof XlmError && error.code === 'hub/checksum-mismatch', String(error));
    assert.ok(error.message.includes('org/tiny/model.safetensors'));
    assert.ok(error.message.includes(`etag says ${weightsSha}`));
    const actual = /sha256 of the downloaded bytes is ([0-9a-f]{64})/.exec(error.message)?.[1];
    assert.ok(actual && actual !== weightsSha, error.message);
    assert.deepEqual(
      readdirSync(blobs).filter((name) => name.startsWith(weightsSha)),
      [],
    );
    assert.ok(!existsSync(join(home.cacheDir, 'models--org--tiny', 'refs', 'main')), 'a failed download records no ref');

    const retried = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    assert.deepEqual(readFileSync(join(retried.folder, 'model.safetensors')), weights);
  });

  it('cancels mid-file keeping the partial blob, and the next download resumes it with a Range request', async () => {
    await startHub({ chunkBytes: 8 * 1024, chunkDelayMs: 2 });
    const controller = new AbortController();
    let error: unknown;
    await downloadRepo('org/tiny', {
      settings: home.settings(hub.url),
      retry: FAST_RETRY,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.file === 'model.safetensors' && p.bytes >= 64 * 1024) controller.abort();
      },
    }).catch((e) => (error = e));
    assert.ok(error instanceof XlmError && error.code === 'cancelled', String(error));
    assert.match(error.message, /resumed/);

    const partial = join(blobs, `${weightsSha}.incomplete`);
    const kept = statSync(partial).size;
    assert.ok(kept >= 64 * 1024 && kept < WEIGHT_BYTES, `kept ${kept} bytes`);
    assert.deepEqual(readFileSync(partial), weights.subarray(0, kept));

    const before = hub.requests.length;
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    const resumed = hub.requests.slice(before).filter((r) => weightsOnCdn.test(r.path));
    assert.deepEqual(
      resumed.map((r) => [r.range, r.status]),
      [[`bytes=${kept}-`, 206]],
    );
    assert.deepEqual(readFileSync(join(result.folder, 'model.safetensors')), weights);
    assert.ok(!existsSync(partial));
  });
});
