/**
 * The engine on a platform without onnxruntime-node's native runtime: it still starts and answers, so the
 * extension shows why instead of a crash; every request fails with the same message.
 */
import { XlmError } from '../errors.js';
import { requests, type RequestName } from './protocol.js';
import type { Handler, HandlerTable } from './server.js';

export const UNSUPPORTED_PLATFORM = 'unsupported-platform';

export function unsupportedPlatformHandlers(message: string): HandlerTable {
  const fail: Handler<RequestName> = () => {
    throw new XlmError(UNSUPPORTED_PLATFORM, message);
  };
  return Object.fromEntries((Object.keys(requests) as RequestName[]).filter((k) => k !== 'engineInfo').map((k) => [k, fail])) as HandlerTable;
}
