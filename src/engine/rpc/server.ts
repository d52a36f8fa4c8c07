/**
 * The engine side of the JSON-RPC connection: registers the handler table's methods, checks every request's params
 * against its protocol schema before a handler sees them (InvalidParams naming the field), turns exceptions into typed
 * error responses (the engine keeps running after one), answers MethodNotFound for a name the protocol does not have,
 * and forwards log lines to the extension.
 */
import {
  CancellationToken,
  Disposable,
  MessageConnection,
  NotificationType,
  ResponseError,
} from 'vscode-jsonrpc';
import { XlmError } from '../errors.js';
import { ioError } from '../io-errors.js';
import { paramOf } from './option-params.js';
import {
  EngineErrorCodes,
  EngineErrorData,
  EngineInfo,
  EngineLogParams,
  PROTOCOL_VERSION,
  ParamsOf,
  RequestName,
  ResultOf,
  checkParams,
  engineLog,
  paramSchemas,
  requests,
} from './protocol.js';

export interface HandlerContext {
  /** Cancelled when the extension cancels the request (or the connection closes). */
  token: CancellationToken;
  /** Sends a notification (progress, metrics) to the extension. */
  notify<P>(type: NotificationType<P>, params: P): void;
  log(level: EngineLogParams['level'], message: string): void;
}

export type Handler<K extends RequestName> = (params: ParamsOf<K>, ctx: HandlerContext) => Promise<ResultOf<K>> | ResultOf<K>;

/** Requests the handler table serves: every protocol request but engine/info, which the server answers itself. */
export type ServedRequest = Exclude<RequestName, 'engineInfo'>;

/** Maps every protocol request to its engine function: a request added to the protocol without one does not compile. */
export type HandlerTable = { [K in ServedRequest]: Handler<K> };

export interface ServerOptions {
  engineVersion: string;
  /** Devices for engine/info; asked lazily because probing loads the native runtime. */
  devices: () => Promise<EngineInfo['devices']> | EngineInfo['devices'];
}

/** Registers `table` on `connection` (engine/info is built in) and starts listening. */
export function serveEngine(connection: MessageConnection, table: HandlerTable, options: ServerOptions): Disposable {
  const log = (level: EngineLogParams['level'], message: string): void => {
    void connection.sendNotification(engineLog, { level, message }).catch(() => undefined);
  };
  const fullTable: { [K in RequestName]: Handler<K> } = {
    ...table,
    engineInfo: async () => ({
      protocolVersion: PROTOCOL_VERSION,
      engineVersion: options.engineVersion,
      node: process.version,
      pid: process.pid,
      devices: await options.devices(),
      methods: Object.values(requests).map((r) => r.method).sort(),
    }),
  };

  const disposables: Disposable[] = [];
  for (const name of Object.keys(fullTable) as RequestName[]) {
    const handler = fullTable[name] as Handler<RequestName>;
    const method = requests[name].method;
    disposables.push(
      connection.onRequest(method, async (...args: unknown[]) => {
        // vscode-jsonrpc passes (params, token) for a request with named params, (token) for one without, and
        // each item of positional (array) params as its own argument.
        const token = args[args.length - 1] as CancellationToken;
        const sent = args.length === 1 ? undefined : args.length === 2 ? args[0] : args.slice(0, -1);
        let params: ParamsOf<RequestName>;
        if (name in paramSchemas) {
          const checked = checkParams(name as keyof typeof paramSchemas, sent);
          if (!checked.ok) return new ResponseError<EngineErrorData>(EngineErrorCodes.invalidParams, `'${method}': ${checked.message}`, { code: 'invalid-params', message: checked.message, what: checked.field });
          params = checked.params as unknown as ParamsOf<RequestName>;
        } else {
          params = undefined as ParamsOf<RequestName>;
        }
        const ctx: HandlerContext = {
          token,
          notify: (type, p) => void connection.sendNotification(type, p).catch(() => undefined),
          log,
        };
        try {
          return await handler(params, ctx);
        } catch (e) {
          return toResponseError(method, e, token, log);
        }
      }),
    );
  }

  // Every protocol method has its handler above: what reaches this one is a name the protocol does not have.
  disposables.push(
    connection.onRequest((method) => {
      const message = `'${method}' is not an XLM Lab engine method.`;
      return new ResponseError<EngineErrorData>(EngineErrorCodes.methodNotFound, message, { code: 'method-not-found', message });
    }),
  );

  connection.listen();
  return Disposable.create(() => disposables.forEach((d) => d.dispose()));
}

/** The error payload of an exception (for notifications such as train/end; responses use toResponseError). */
export function errorData(thrown: unknown): EngineErrorData {
  const e = ioError(thrown);
  if (e instanceof XlmError) return { code: e.code, message: e.describeNaming(paramOf), ...e.placeNaming(paramOf) };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/** The one place an exception becomes an error response; bugs leave their stack in the engine log. */
export function toResponseError(
  method: string,
  e: unknown,
  token: CancellationToken,
  log: (level: EngineLogParams['level'], message: string) => void,
): ResponseError<EngineErrorData> {
  if (e instanceof ResponseError) return e as ResponseError<EngineErrorData>;
  e = ioError(e);
  if (e instanceof XlmError) {
    const located = e.describeNaming(paramOf);
    return new ResponseError<EngineErrorData>(EngineErrorCodes.userError, located, {
      code: e.code,
      message: e.messageNaming(paramOf),
      ...e.placeNaming(paramOf),
    });
  }
  if (token.isCancellationRequested) {
    return new ResponseError<EngineErrorData>(EngineErrorCodes.requestCancelled, `'${method}' was cancelled.`, {
      code: 'cancelled',
      message: `'${method}' was cancelled.`,
    });
  }
  const err = e instanceof Error ? e : new Error(String(e));
  log('error', `'${method}' failed with an engine bug: ${err.stack ?? err.message}`);
  const message = `${err.message} (engine bug in '${method}'; the stack trace is in the XLM Lab output channel)`;
  return new ResponseError<EngineErrorData>(EngineErrorCodes.internalError, message, { code: 'internal', message: err.message });
}
