/**
 * The engine's real handler table served in-process over a pair of streams, with a client connected to it:
 * what the extension sees of the engine, without forking a process.
 */
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { createHandlers } from '../../src/engine/rpc/handlers.js';
import { serveEngine } from '../../src/engine/rpc/server.js';

export interface EnginePair {
  client: MessageConnection;
  dispose(): void;
}

export function connectEngineInProcess(): EnginePair {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  serveEngine(server, createHandlers(), { engineVersion: 'test', devices: () => [] });
  client.listen();
  return {
    client,
    dispose() {
      client.dispose();
      server.dispose();
    },
  };
}
