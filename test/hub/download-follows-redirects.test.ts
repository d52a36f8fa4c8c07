import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { downloadRepo } from '../../src/engine/hub/download.js';
import { FakeHub, tinyModelRepo, type FakeHubOptions } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

const TOKEN = 'hf_test_token';

describe('downloads follow the Hub redirects and keep the token on the Hub', () => {
  let hub: FakeHub | undefined;
  let home: HubHome;
  beforeEach(() => {
    home = tempHubHome();
  });
  afterEach(async () => {
    await hub?.close();
    home.cleanup();
  });

  async function download(options: Omit<FakeHubOptions, 'repos' | 'token'>, repoId = 'org/private'): Promise<void> {
    const tiny = tinyModelRepo('org/private', { private: true });
    const renamed = tinyModelRepo('old-org/private', { renamedTo: 'org/private' });
    hub = await FakeHub.start({ repos: [tiny.repo, renamed.repo], token: TOKEN, ...options });
    const result = await downloadRepo(repoId, { settings: home.settings(hub.url, { token: TOKEN }), retry: FAST_RETRY });
    assert.deepEqual(readFileSync(join(result.folder, 'model.safetensors')), tiny.files['model.safetensors'].content);
    assert.deepEqual(readFileSync(join(result.folder, 'config.json')), tiny.files['config.json'].content);
  }

  it('follows an absolute redirect to a CDN on another host without sending it the Authorization header', async () => {
    await download({ lfsRedirect: 'cdn' });
    const cdn = hub!.requestsTo('cdn');
    assert.ok(cdn.some((r) => r.path.startsWith('/lfs/') && r.status === 200), 'LFS bytes came from the CDN');
    assert.ok(cdn.every((r) => r.authorization === undefined), 'the CDN never saw the token');
    const hubSide = hub!.requestsTo('hub');
    assert.ok(hubSide.length > 0 && hubSide.every((r) => r.authorization === `Bearer ${TOKEN}`), 'every Hub request carried the token');
    assert.ok(hubSide.some((r) => r.method === 'HEAD' && r.status === 302), 'the LFS HEAD stopped at the CDN redirect');
  });

  it('follows a relative redirect on the same host, keeping the token', async () => {
    await download({ lfsRedirect: 'relative', regularViaResolveCache: true });
    assert.equal(hub!.requestsTo('cdn').length, 0);
    const served = hub!.requests.filter((r) => r.method === 'GET' && (r.path.startsWith('/lfs/') || r.path.startsWith('/api/resolve-cache/')));
    assert.ok(served.some((r) => r.path.startsWith('/lfs/')) && served.some((r) => r.path.startsWith('/api/resolve-cache/')));
    assert.ok(served.every((r) => r.authorization === `Bearer ${TOKEN}` && r.status === 200));
  });

  it('follows the relative redirect of a renamed repo for the listing and the files', async () => {
    await download({}, 'old-org/private');
    assert.ok(hub!.requests.some((r) => r.path === '/api/models/old-org/private/revision/main' && r.status === 307));
    assert.ok(hub!.requests.some((r) => r.path === '/api/models/org/private/revision/main' && r.status === 200));
    assert.ok(hub!.requests.some((r) => r.path.startsWith('/old-org/private/resolve/') && r.status === 307));
  });
});
