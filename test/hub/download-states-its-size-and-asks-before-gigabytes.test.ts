// A Hub download states its size before any byte is fetched, is refused when the cache's disk cannot hold it,
// and asks before a gigabyte or more: the CLI takes --yes or a "y" at the prompt, the RPC a `confirmed` flag.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hubDownload } from '../../src/engine/cli/hub.js';
import type { CliIo } from '../../src/engine/cli/io.js';
import { XlmError } from '../../src/engine/errors.js';
import { downloadRepo, freeDiskBytes, type DownloadPlan } from '../../src/engine/hub/download.js';
import { createHandlers } from '../../src/engine/rpc/handlers.js';
import { FakeHub, tinyModelRepo } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

const tiny = tinyModelRepo('org/tiny');
const resolves = (hub: FakeHub) => hub.requests.filter((r) => r.path.includes('/resolve/') || r.server === 'cdn');

function io(env: NodeJS.ProcessEnv, answer?: string): { io: CliIo; err: () => string; out: () => string } {
  let out = '';
  let err = '';
  const stdin = answer === undefined ? undefined : Object.assign(Readable.from([answer]), { isTTY: true });
  return {
    io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: answer !== undefined }, stdin, env, now: Date.now, signal: new AbortController().signal },
    out: () => out,
    err: () => err,
  };
}

describe('downloads state their size, check the disk, and ask before gigabytes', () => {
  let hub: FakeHub;
  let home: HubHome;
  beforeEach(() => {
    home = tempHubHome();
  });
  afterEach(async () => {
    await hub.close();
    home.cleanup();
  });

  it('states the size first, and counts what the cache already holds as nothing to fetch', async () => {
    hub = await FakeHub.start({ repos: [tiny.repo] });
    const plans: DownloadPlan[] = [];
    await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY, onPlan: (p) => plans.push(p) });
    const chosen = ['config.json', 'tokenizer.json', 'sentencepiece.bpe.model', 'README.md', 'model.safetensors'];
    const bytes = chosen.reduce((sum, f) => sum + tiny.files[f].content.length, 0);
    assert.equal(plans[0].files, 5);
    assert.equal(plans[0].bytesToFetch, bytes);
    assert.equal(plans[0].totalBytes, bytes);
    assert.ok(plans[0].freeBytes !== undefined && plans[0].freeBytes > 0);
    await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY, onPlan: (p) => plans.push(p) });
    assert.equal(plans[1].bytesToFetch, 0, 'the second run fetches nothing');
  });

  it('refuses a download larger than the free disk space before fetching anything', async () => {
    hub = await FakeHub.start({ repos: [tiny.repo], listedSizes: { 'model.safetensors': 1e16 } });
    await assert.rejects(
      downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY }),
      (e: unknown) => e instanceof XlmError && e.code === 'hub/disk-space' && /needs 10000\.0 TB more in the cache, but only .* is free on its disk/.test(e.message) && e.place.file === home.cacheDir,
    );
    assert.deepEqual(resolves(hub), []);
    assert.ok(freeDiskBytes(home.cacheDir)! > 0, 'the free space of a folder not made yet is its disk\'s');
  });

  it('the CLI without a terminal stops before 2 GB and names --yes; with --yes it downloads, size stated first', async () => {
    hub = await FakeHub.start({ repos: [tiny.repo], listedSizes: { 'model.safetensors': 2e9 } });
    const env = { HF_HOME: home.home, HF_ENDPOINT: hub.url };
    const refused = io(env);
    assert.equal(await hubDownload({ repo: 'org/tiny' }, refused.io), 1);
    assert.match(refused.err(), /org\/tiny is 2\.0 GB to download .*Add --yes to download it/);
    assert.match(refused.err(), /^xlm: org\/tiny: 5 files, 2\.0 GB to download; .* free on the cache's disk\n/);
    assert.deepEqual(resolves(hub), [], 'nothing was fetched');

    const agreed = io(env);
    assert.equal(await hubDownload({ repo: 'org/tiny', yes: true }, agreed.io), 0, agreed.err());
    assert.ok(resolves(hub).length > 0);
  });

  it('at a terminal the CLI asks; "n" stops it, "y" downloads', async () => {
    hub = await FakeHub.start({ repos: [tiny.repo], listedSizes: { 'model.safetensors': 2e9 } });
    const env = { HF_HOME: home.home, HF_ENDPOINT: hub.url };
    const no = io(env, 'n\n');
    assert.equal(await hubDownload({ repo: 'org/tiny' }, no.io), 130);
    assert.match(no.err(), /Download 2\.0 GB\? \[y\/N\] /);
    assert.match(no.err(), /not confirmed; nothing was downloaded/);
    assert.deepEqual(resolves(hub), []);
    const yes = io(env, 'y\n');
    assert.equal(await hubDownload({ repo: 'org/tiny' }, yes.io), 0, yes.err());
  });

  it('over RPC, hub/download of 1 GB or more answers hub/needs-confirmation with the size until confirmed', async () => {
    hub = await FakeHub.start({ repos: [tiny.repo], listedSizes: { 'model.safetensors': 3e9 } });
    const saved = { HF_HOME: process.env.HF_HOME, HF_ENDPOINT: process.env.HF_ENDPOINT, HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE };
    Object.assign(process.env, { HF_HOME: home.home, HF_ENDPOINT: hub.url });
    delete process.env.HF_HUB_OFFLINE;
    try {
      const handlers = createHandlers();
      const ctx = { token: { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) }, notify: () => {} } as never;
      await assert.rejects(async () => handlers.hubDownload!({ repoId: 'org/tiny' }, ctx), (e: unknown) => e instanceof XlmError && e.code === 'hub/needs-confirmation' && /org\/tiny is 3\.0 GB to download \(5 files/.test(e.message));
      assert.deepEqual(resolves(hub), []);
      const result = await handlers.hubDownload!({ repoId: 'org/tiny', confirmed: true }, ctx);
      assert.match(result.dir, /models--org--tiny/);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
});
