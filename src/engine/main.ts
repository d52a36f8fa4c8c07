/**
 * Entry of the engine process (dist/engine.js). The extension forks it with an IPC channel and talks JSON-RPC
 * over that channel; stdout and stderr go to the extension's output channel. The engine never imports `vscode`.
 */
import { IPCMessageReader, IPCMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { nativeRuntimeProblem } from './runtime/platform.js';
import { unsupportedPlatformHandlers } from './rpc/unsupported.js';
import { serveEngine } from './rpc/server.js';
import { version } from '../../package.json';

if (!process.send) {
  process.stderr.write('dist/engine.js is the XLM Lab engine process: the extension forks it with IPC. For a terminal, use `xlm` (dist/cli.js).\n');
  process.exit(2);
}

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
// XLM_ENGINE_PLATFORM=os-arch makes the engine act as if it ran there (the tests' way to see an unsupported platform).
const [platform, arch] = (process.env.XLM_ENGINE_PLATFORM ?? `${process.platform}-${process.arch}`).split('-');
const problem = nativeRuntimeProblem(platform, arch);
if (problem) {
  process.stderr.write(`[engine] ${problem}\n`);
  serveEngine(connection, unsupportedPlatformHandlers(problem), { engineVersion: version, devices: () => [{ name: 'cpu', available: false, note: problem }] });
} else {
  // Imported only here: the handlers load onnxruntime-node's native runtime, which the check above found.
  void import('./rpc/handlers.js').then(({ createHandlers, probeDevices }) => serveEngine(connection, createHandlers(), { engineVersion: version, devices: probeDevices }));
}

// The extension going away (window closed, extension host crashed) must not leave an orphan engine behind.
process.on('disconnect', () => process.exit(0));
connection.onClose(() => process.exit(0));
// A handler's exception becomes an error response in the server; anything escaping a handler is logged, and the
// engine keeps serving the requests that do work.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`[engine] unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});
