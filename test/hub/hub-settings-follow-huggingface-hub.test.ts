import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hubSettings } from '../../src/engine/hub/settings.js';

describe('hub settings are read from the environment as huggingface_hub reads them', () => {
  it('finds the cache folder in the same order', () => {
    const table: [NodeJS.ProcessEnv, string][] = [
      [{ HF_HUB_CACHE: '/c/hub', HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/h' }, '/c/hub'],
      [{ HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/h' }, '/legacy'],
      [{ HF_HOME: '/h', XDG_CACHE_HOME: '/x' }, '/h/hub'],
      [{ XDG_CACHE_HOME: '/x' }, '/x/huggingface/hub'],
      [{}, join(homedir(), '.cache', 'huggingface', 'hub')],
      [{ HF_HOME: '~/hf' }, join(homedir(), 'hf', 'hub')],
      [{ HF_HOME: '$BASE/hf', BASE: '/b' }, '/b/hf/hub'],
    ];
    for (const [env, cacheDir] of table) assert.equal(hubSettings({}, env).cacheDir, cacheDir, JSON.stringify(env));
  });

  it('reads HF_ENDPOINT without a trailing slash, and the offline switches', () => {
    assert.equal(hubSettings({}, {}).endpoint, 'https://huggingface.co');
    assert.equal(hubSettings({}, { HF_ENDPOINT: 'https://mirror.example/' }).endpoint, 'https://mirror.example');
    assert.equal(hubSettings({ endpoint: 'http://127.0.0.1:9' }, { HF_ENDPOINT: 'https://mirror.example' }).endpoint, 'http://127.0.0.1:9');
    const offline: [NodeJS.ProcessEnv, boolean | undefined, boolean][] = [
      [{ HF_HUB_OFFLINE: '1' }, undefined, true],
      [{ HF_HUB_OFFLINE: 'yes' }, undefined, true],
      [{ HF_HUB_OFFLINE: '0' }, undefined, false],
      [{ TRANSFORMERS_OFFLINE: 'TRUE' }, undefined, true],
      [{}, true, true],
      [{ HF_HUB_OFFLINE: '1' }, false, true],
      [{}, undefined, false],
    ];
    for (const [env, setting, expected] of offline) assert.equal(hubSettings({ offline: setting }, env).offline, expected, JSON.stringify([env, setting]));
  });

  it('takes the token from the setting, then HF_TOKEN, then the token file', () => {
    const home = mkdtempSync(join(tmpdir(), 'xlm-hf-home-'));
    try {
      writeFileSync(join(home, 'token'), 'hf_file\n');
      const env = { HF_HOME: home };
      assert.deepEqual(pick(hubSettings({ token: 'hf_setting' }, { ...env, HF_TOKEN: 'hf_env' })), ['hf_setting', 'setting']);
      assert.deepEqual(pick(hubSettings({}, { ...env, HF_TOKEN: 'hf_env' })), ['hf_env', 'HF_TOKEN']);
      assert.deepEqual(pick(hubSettings({}, { ...env, HUGGING_FACE_HUB_TOKEN: 'hf_old' })), ['hf_old', 'HUGGING_FACE_HUB_TOKEN']);
      assert.deepEqual(pick(hubSettings({}, env)), ['hf_file', 'token file']);
      assert.deepEqual(pick(hubSettings({}, { ...env, HF_TOKEN_PATH: join(home, 'elsewhere') })), [undefined, undefined]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

function pick(settings: { token?: string; tokenSource?: string }): [string | undefined, string | undefined] {
  return [settings.token, settings.tokenSource];
}
