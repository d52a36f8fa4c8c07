// model/ensureDefault over the real handler table: the model that ships in models/default is answered at once (no
// build, no progress), even with a built fallback in the storage folder; the folder it names loads with model/load.
// (Reusing a built fallback when no model ships: default-model-reuse.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { createHandlers } from '../../src/engine/rpc/handlers.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { DEFAULT_MODEL_FOLDER, loadDefaultRecipe } from '../../src/engine/pretrain/default-model.js';
import { corpusVersion, PRETRAIN_INFO_FILE, pretrainHash } from '../../src/engine/pretrain/pretrain.js';
import { findShippedModel } from '../../src/engine/pretrain/shipped-model.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

test('model/ensureDefault answers the shipped default model at once, ahead of a fallback in the storage folder', async () => {
  const storage = mkdtempSync(join(tmpdir(), 'xlm-default-rpc-'));
  const a = new PassThrough();
  const b = new PassThrough();
  const server = createMessageConnection(new StreamMessageReader(a), new StreamMessageWriter(b));
  const client = createMessageConnection(new StreamMessageReader(b), new StreamMessageWriter(a));
  try {
    // A tiny folder carrying the fallback recipe's hash, as an earlier build would have left it.
    const dir = join(storage, DEFAULT_MODEL_FOLDER);
    mkdirSync(dir);
    writeTinyXlmr(dir, { head: 'mlm' });
    writeFileSync(join(dir, PRETRAIN_INFO_FILE), JSON.stringify({ hash: pretrainHash(loadDefaultRecipe(), corpusVersion()) }));
    serveEngine(server, createHandlers(), { engineVersion: 'test', devices: () => [] });
    const progress: p.ModelDefaultProgressParams[] = [];
    client.onNotification(p.modelDefaultProgress, (params) => progress.push(params));
    client.listen();

    const info = await client.sendRequest(p.engineInfo);
    assert.ok(info.methods.includes('model/ensureDefault'));
    const result = await client.sendRequest(p.modelEnsureDefault, { storageDir: storage });
    const shipped = findShippedModel();
    assert.ok(shipped, 'models/default ships in the repository');
    assert.deepEqual(result, { dir: resolve(shipped), reused: true, seconds: 0 });
    assert.deepEqual(progress, []);
    const loaded = await client.sendRequest(p.modelLoad, { dir: result.dir });
    assert.ok(loaded.heads.includes('masked-lm') && loaded.heads.includes('language-identification'), loaded.heads.join(', '));
    assert.ok(JSON.parse(readFileSync(join(dir, PRETRAIN_INFO_FILE), 'utf8')).hash);
  } finally {
    client.dispose();
    server.dispose();
    rmSync(storage, { recursive: true, force: true });
  }
});
