import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { XlmError } from '../../src/engine/errors.js';
import { RepoCache } from '../../src/engine/hub/cache-layout.js';
import { downloadRepo } from '../../src/engine/hub/download.js';
import { FakeHub, regularFile, tinyModelRepo, type FakeRepo } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

const tiny = tinyModelRepo('org/tiny');
const configOnHub = /\/resolve\/[0-9a-f]+\/config\.json$/;
const weightsOnHub = /\/resolve\/[0-9a-f]+\/model\.safetensors$/;

/** Every file under a folder (links not followed), as paths relative to it. */
function everything(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true }).map(String).sort();
}

describe('a hostile Hub server cannot write outside the cache or slip in unverified bytes', () => {
  let hub: FakeHub;
  let home: HubHome;
  beforeEach(() => {
    home = tempHubHome();
  });
  afterEach(async () => {
    await hub?.close();
    home.cleanup();
  });

  async function refused(repos: FakeRepo[], tamper: (hub: FakeHub) => void, code: string, pattern: RegExp): Promise<void> {
    hub = await FakeHub.start({ repos });
    tamper(hub);
    await assert.rejects(
      downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY, concurrency: 1 }),
      (e: unknown) => e instanceof XlmError && e.code === code && pattern.test(e.message),
    );
  }

  it('refuses an ETag that is a relative path, naming the file and the server, and writes nothing outside', async () => {
    await refused(
      [tiny.repo],
      (h) => h.tamperNext(configOnHub, { etag: '"../../../../../../planted"' }),
      'hub/bad-etag',
      /127\.0\.0\.1:\d+ sent the ETag "\.\.\/\.\.\/.*planted" for org\/tiny\/config\.json/,
    );
    // The home holds only the cache; the would-be target beside it was never made.
    assert.deepEqual(readdirSync(home.home), ['hub']);
    assert.ok(!everything(home.cacheDir).some((p) => p.includes('planted')));
  });

  it('refuses an ETag that is an absolute path', async () => {
    const target = join(home.home, 'absolute-planted');
    await refused([tiny.repo], (h) => h.tamperNext(configOnHub, { etag: `"${target}"` }), 'hub/bad-etag', /neither a git blob id/);
    assert.ok(!existsSync(target));
    assert.ok(!existsSync(`${target}.incomplete`));
  });

  it('refuses an LFS X-Linked-Etag that is not a sha256 or git blob id', async () => {
    await refused([tiny.repo], (h) => h.tamperNext(weightsOnHub, { 'x-linked-etag': '"v2-weights"' }), 'hub/bad-etag', /model\.safetensors/);
  });

  it('refuses a listing with a file named ../x or an absolute path before any file is fetched', async () => {
    for (const name of ['../escaped.json', 'a/../../escaped.json', '/tmp/escaped.json', 'a\\..\\escaped.json', 'C:/escaped.json', 'a//b.json']) {
      const repo: FakeRepo = { ...tiny.repo, commits: { [tiny.second]: { ...tiny.files, [name]: regularFile('{}') } } };
      await refused([repo], () => {}, 'hub/bad-file-name', /not a plain relative path/);
      assert.equal(hub.requests.filter((r) => r.path.includes('/resolve/')).length, 0, name);
      await hub.close();
    }
  });

  it('checks a regular (non-LFS) file against its git blob id and deletes corrupt bytes', async () => {
    await refused([tiny.repo], (h) => h.corruptNext(/config\.json$/), 'hub/checksum-mismatch', /config\.json: the git blob id/);
    const blobs = join(home.cacheDir, 'models--org--tiny', 'blobs');
    assert.ok(!everything(blobs).some((p) => p.endsWith('.incomplete')), 'the bad download is removed');
  });

  it('refuses bytes whose git blob id is right-shaped but not theirs (a forged ETag)', async () => {
    await refused([tiny.repo], (h) => h.tamperNext(configOnHub, { etag: `"${'a'.repeat(40)}"` }), 'hub/checksum-mismatch', /aaaaaaaa/);
  });

  it('refuses a file whose size differs from the announced size', async () => {
    const size = tiny.files['model.safetensors'].content.length;
    await refused([tiny.repo], (h) => h.tamperNext(weightsOnHub, { 'x-linked-size': String(size + 7) }), 'hub/size-mismatch', new RegExp(`announced ${size + 7}`));
  });

  it('the cache itself refuses names that leave it, whoever calls it', () => {
    const cache = new RepoCache(home.cacheDir, 'org/tiny');
    assert.throws(() => cache.blobPath('../../x'), /not a Hub etag/);
    assert.throws(() => cache.snapshotFile(tiny.second, '../x'), /not a plain relative path/);
    assert.throws(() => cache.snapshotFolder('../../x'), /commit hash/);
    assert.throws(() => cache.refPath('../../../x'), /outside/);
    assert.equal(resolve(cache.refPath('refs/pr/1')), resolve(cache.folder, 'refs', 'refs', 'pr', '1'));
  });

  it('a clean download still links every snapshot file to a blob inside the cache', async () => {
    hub = await FakeHub.start({ repos: [tiny.repo] });
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    for (const file of result.files) {
      const link = join(result.folder, file.path);
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.deepEqual(readFileSync(link), tiny.files[file.path].content);
    }
  });
});
