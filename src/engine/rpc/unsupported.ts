/**
 * The engine on a platform without onnxruntime-node's native runtime: it still starts and answers, so the
 * extension shows why instead of a crash; every request fails with the same message.
 */
import { XlmError } from '../errors.js';
import { requests } from './protocol.js';
import type { Handler, HandlerTable, ServedRequest } from './server.js';

export const UNSUPPORTED_PLATFORM = 'unsupported-platform';

export function unsupportedPlatformHandlers(message: string): HandlerTable {
  const fail: Handler<ServedRequest> = () => {
    throw new XlmError(UNSUPPORTED_PLATFORM, message);
  };
  // Every served request, built from the protocol's list (so it is total as HandlerTable asks).
  return Object.fromEntries((Object.keys(requests) as ServedRequest[]).filter((k) => (k as string) !== 'engineInfo').map((k) => [k, fail])) as HandlerTable;
}
