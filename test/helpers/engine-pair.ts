/**
 * The engine's real handler table served in-process over a pair of streams, with a client connected to it:
 * what the extension sees of the engine, without forking a process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { createHandlers, type HandlerOptions } from '../../src/engine/rpc/handlers.js';
import { modelLoad } from '../../src/engine/rpc/protocol.js';
import { serveEngine } from '../../src/engine/rpc/server.js';
import { writeTinyXlmr } from './tiny-model.js';

export interface EnginePair {
  client: MessageConnection;
  dispose(): void;
}

export function connectEngineInProcess(options: HandlerOptions = {}): EnginePair {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  serveEngine(server, createHandlers(options), { engineVersion: 'test', devices: () => [] });
  client.listen();
  return {
    client,
    dispose() {
      client.dispose();
      server.dispose();
    },
  };
}

export interface EngineWithTinyModel {
  engine: EnginePair;
  /** The temporary folder the model is in (removed by dispose); tests may write their files there. */
  folder: string;
  /** A tiny XLM-R with every head (labels negative, positive), already loaded by the engine. */
  modelDir: string;
  dispose(): void;
}

/** An in-process engine with a tiny all-heads model written to a temporary folder and loaded. */
export async function connectEngineWithTinyModel(prefix: string): Promise<EngineWithTinyModel> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const modelDir = path.join(tmp, 'tiny');
  writeTinyXlmr(modelDir, { head: 'all', labels: ['negative', 'positive'] });
  const engine = connectEngineInProcess();
  await engine.client.sendRequest(modelLoad, { dir: modelDir });
  return {
    engine,
    folder: tmp,
    modelDir,
    dispose() {
      engine.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
