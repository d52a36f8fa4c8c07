// Workspace trust for settings: an untrusted workspace cannot switch offline mode off or point XLM Lab at a
// model, run folder or token of its choosing, and relative paths never resolve inside the untrusted folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resolveSettingPath, trustedValue } from '../../src/client/trust.js';

test('an untrusted workspace cannot turn xlm.hub.offline off: the user\'s value holds', () => {
  const inspected = { defaultValue: false, globalValue: true, workspaceValue: false };
  assert.equal(trustedValue('hub.offline', inspected, false, false), true);
  assert.equal(trustedValue('hub.offline', { defaultValue: false, workspaceValue: true }, false, false), false, 'a workspace value is not read at all');
  assert.equal(trustedValue('hub.offline', inspected, true, false), undefined, 'trusted: the normal lookup applies');
});

test('model, runFolder, translationModel and hub.token come from user settings only when untrusted; others are free', () => {
  for (const key of ['model', 'runFolder', 'translationModel', 'hub.token']) {
    assert.equal(trustedValue(key, { defaultValue: '', globalValue: '/mine', workspaceValue: '/theirs' }, false, ''), '/mine', key);
  }
  assert.equal(trustedValue('topK', { defaultValue: 5, workspaceValue: 9 }, false, 5), undefined);
});

test('relative paths resolve in the workspace folder when trusted, in the home folder when not', () => {
  assert.equal(resolveSettingPath('runs', true, '/work/repo', '/home/me'), join('/work/repo', 'runs'));
  assert.equal(resolveSettingPath('runs', false, '/work/repo', '/home/me'), join('/home/me', 'runs'));
  assert.equal(resolveSettingPath('../models/x', false, '/work/repo', '/home/me'), join('/home/me', '../models/x'));
  assert.equal(resolveSettingPath('/opt/models/x', false, '/work/repo', '/home/me'), '/opt/models/x');
  assert.equal(resolveSettingPath('C:\\models\\x', false, '/work/repo', '/home/me'), 'C:\\models\\x');
});
