import { XlmError } from '../errors.js';

/**
 * The one way this folder raises user-fixable errors. The file goes in the error's place, not in
 * its message: XlmError prints `file: message`, so a message that named the file again would say
 * it twice. `what` is the tensor or JSON key at fault.
 */
export function hfError(code: string, file: string, message: string, what?: string): XlmError {
  return new XlmError(`hf/${code}`, message, what === undefined ? { file } : { file, what });
}
