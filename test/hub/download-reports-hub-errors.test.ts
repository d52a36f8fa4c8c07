import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XlmError } from '../../src/engine/errors.js';
import { downloadRepo } from '../../src/engine/hub/download.js';
import { FakeHub, tinyModelRepo } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

const TOKEN = 'hf_right_token';

/** Rejects with an XlmError of `code` whose message contains every one of `parts`. */
async function rejectsWith(promise: Promise<unknown>, code: string, parts: (string | RegExp)[]): Promise<XlmError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof XlmError, `expected an XlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(e.message.includes(part), `message lacks "${part}": ${e.message}`);
      else assert.match(e.message, part);
    }
    return e;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

/** A port on which nothing listens: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Hub failures become messages that say what to do', () => {
  let hub: FakeHub;
  let home: HubHome;
  before(async () => {
    hub = await FakeHub.start({
      repos: [tinyModelRepo('org/private', { private: true }).repo, tinyModelRepo('org/gated', { gated: true }).repo, tinyModelRepo('org/public').repo],
      token: TOKEN,
    });
    home = tempHubHome();
  });
  after(async () => {
    await hub.close();
    home.cleanup();
  });

  it('401 without a token says a token is needed and where to set it', async () => {
    const settings = home.settings(hub.url);
    await rejectsWith(downloadRepo('org/private', { settings, retry: FAST_RETRY }), 'hub/auth-required', ['401', 'org/private', 'no token was sent', 'XLM: Set Hugging Face Token', 'HF_TOKEN']);
  });

  it('401 with a wrong token says the token was refused', async () => {
    const settings = home.settings(hub.url, { token: 'hf_wrong' });
    await rejectsWith(downloadRepo('org/private', { settings, retry: FAST_RETRY }), 'hub/auth-required', ['was refused', 'from the token given to XLM Lab (--token', 'HF_TOKEN']);
  });

  it('a gated repo without a token points to its page and the token settings', async () => {
    const settings = home.settings(hub.url);
    await rejectsWith(downloadRepo('org/gated', { settings, retry: FAST_RETRY }), 'hub/gated', ['gated', `${hub.url}/org/gated`, 'XLM: Set Hugging Face Token']);
  });

  it('succeeds with the token from the setting, from HF_TOKEN and from the token file', async () => {
    const fromSetting = await downloadRepo('org/private', { settings: home.settings(hub.url, { token: TOKEN }), retry: FAST_RETRY });
    assert.ok(fromSetting.files.length > 0);
    const fromEnv = home.settings(hub.url, {}, { HF_TOKEN: TOKEN });
    assert.equal(fromEnv.tokenSource, 'HF_TOKEN');
    await downloadRepo('org/gated', { settings: fromEnv, retry: FAST_RETRY });
    writeFileSync(join(home.home, 'token'), `${TOKEN}\n`);
    const fromFile = home.settings(hub.url);
    assert.equal(fromFile.tokenSource, 'token file');
    await downloadRepo('org/gated', { settings: fromFile, revision: 'dev', retry: FAST_RETRY });
  });

  it('404 names the missing repo, revision or file', async () => {
    const settings = home.settings(hub.url);
    await rejectsWith(downloadRepo('org/nothing', { settings, retry: FAST_RETRY }), 'hub/repo-not-found', ['"org/nothing"', hub.url]);
    await rejectsWith(downloadRepo('org/public', { settings, revision: 'no-such-branch', retry: FAST_RETRY }), 'hub/revision-not-found', [
      '"no-such-branch"',
      'org/public',
    ]);
    // A file listed by the API that the resolve endpoint no longer has (deleted meanwhile).
    hub.failNext(/\/org\/public\/resolve\/.*\/config\.json$/, 404, 1, { 'x-error-code': 'EntryNotFound' });
    await rejectsWith(downloadRepo('org/public', { settings, retry: FAST_RETRY }), 'hub/file-not-found', ['"config.json"', 'org/public']);
  });

  it('5xx that never ends gives up after the bounded retries', async () => {
    const settings = home.settings(hub.url);
    const listing = (): number => hub.requests.filter((r) => r.path === '/api/models/org/public/revision/main').length;
    const before = listing();
    // Exactly as many failures as tries: one fewer would succeed, and none stays armed for other tests.
    hub.failNext(/\/api\/models\/org\/public\//, 503, FAST_RETRY.retries + 1);
    await rejectsWith(downloadRepo('org/public', { settings, retry: FAST_RETRY }), 'hub/server', ['4 times', 'HTTP 503']);
    assert.equal(listing() - before, FAST_RETRY.retries + 1);
  });

  it('a Hub that cannot be reached suggests offline mode', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    await rejectsWith(downloadRepo('org/public', { settings: home.settings(endpoint), retry: FAST_RETRY }), 'hub/unreachable', [
      'ECONNREFUSED',
      'HF_HUB_OFFLINE=1',
      'xlm.hub.offline',
    ]);
  });

  it('a malformed repo id is refused before any request', async () => {
    const before = hub.connections;
    await rejectsWith(downloadRepo('org/../etc', { settings: home.settings(hub.url) }), 'hub/bad-repo-id', ['ORG/NAME']);
    assert.equal(hub.connections, before);
  });
});
