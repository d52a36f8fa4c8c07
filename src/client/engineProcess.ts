/**
 * One engine process and its JSON-RPC connection, without any VS Code API (so it is tested under plain Node).
 * It forks dist/engine.js on the first request, fails every request in flight when the process dies (an error,
 * not a hang), and starts a fresh process on the next request after a crash. A stop on purpose stays stopped until
 * `start()` is called. Too many crashes in a short time stop the automatic restarts, so a broken build does not
 * fork forever.
 */
import { ChildProcess, fork } from 'node:child_process';
import {
  CancellationToken,
  Disposable,
  MessageConnection,
  NotificationType,
  RequestType,
  RequestType0,
  ResponseError,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import { IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { EngineErrorCodes, EngineErrorData, EngineInfo, PROTOCOL_VERSION, engineInfo } from '../engine/rpc/protocol.js';
import { withHugePageMalloc } from './malloc.js';
import { engineOutputReader, lineSplitter, type EngineOutputLine } from './engineOutput.js';

export type EngineProcessState = 'stopped' | 'starting' | 'running';

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when stop() asked for it. */
  onPurpose: boolean;
}

export interface EngineProcessOptions {
  /** Absolute path of dist/engine.js. */
  enginePath: string;
  env?: NodeJS.ProcessEnv;
  /** Each whole line the engine writes to stdout or stderr (its own log, native runtime warnings, crash traces), with the level to log it at. */
  onOutput?: (line: EngineOutputLine) => void;
  onStateChange?: (state: EngineProcessState) => void;
  onExit?: (exit: EngineExit) => void;
  /** Crashes tolerated within `crashWindowMs` before automatic restarts stop (default 5 in 3 minutes). */
  maxCrashes?: number;
  crashWindowMs?: number;
}

/** Thrown for requests while the engine cannot serve them: stopped on purpose, crashed, or crashing repeatedly. */
export class EngineUnavailableError extends Error {
  constructor(
    message: string,
    readonly reason: 'stopped' | 'crashed' | 'crash-loop' | 'start-failed',
  ) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

interface Session {
  child: ChildProcess;
  connection: MessageConnection;
  info: Promise<EngineInfo>;
  pending: Set<(error: Error) => void>;
  disposables: Disposable[];
}

export class EngineProcess {
  private session: Session | undefined;
  private stoppedOnPurpose = false;
  private crashTimes: number[] = [];
  private stateValue: EngineProcessState = 'stopped';
  /**
   * Listeners by notification method. vscode-jsonrpc keeps one handler per method (a second registration replaces
   * the first), so each session registers one dispatcher per method that calls every listener.
   */
  private readonly listeners = new Map<string, { type: NotificationType<unknown>; handlers: Set<(p: unknown) => void> }>();

  constructor(private readonly options: EngineProcessOptions) {}

  get state(): EngineProcessState {
    return this.stateValue;
  }

  get pid(): number | undefined {
    return this.session?.child.pid;
  }

  /** True after stop() until start(): requests are refused instead of starting an engine. */
  get isStoppedOnPurpose(): boolean {
    return this.stoppedOnPurpose;
  }

  /** Adds a notification listener for the current and every future engine session; any number per method. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): Disposable {
    let entry = this.listeners.get(type.method);
    if (!entry) {
      entry = { type: type as NotificationType<unknown>, handlers: new Set() };
      this.listeners.set(type.method, entry);
      if (this.session) this.session.disposables.push(this.dispatch(this.session.connection, type.method));
    }
    const h = handler as (p: unknown) => void;
    entry.handlers.add(h);
    return Disposable.create(() => entry.handlers.delete(h));
  }

  private dispatch(connection: MessageConnection, method: string): Disposable {
    const entry = this.listeners.get(method)!;
    return connection.onNotification(entry.type, (params: unknown) => {
      for (const handler of [...entry.handlers]) handler(params);
    });
  }

  /** Starts the engine if needed (clearing a stop on purpose) and answers its engine/info. */
  async start(): Promise<EngineInfo> {
    this.stoppedOnPurpose = false;
    this.crashTimes = [];
    return this.ensureSession().info;
  }

  async info(): Promise<EngineInfo> {
    return this.ensureSession().info;
  }

  request<R>(type: RequestType0<R, EngineErrorData>, token?: CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, EngineErrorData>, params: P, token?: CancellationToken): Promise<R>;
  async request(type: RequestType<unknown, unknown, EngineErrorData> | RequestType0<unknown, EngineErrorData>, ...rest: unknown[]): Promise<unknown> {
    const session = this.ensureSession();
    await session.info;
    const hasParams = type.numberOfParams !== 0 && !(rest.length === 1 && CancellationToken.is(rest[0]));
    const params = hasParams ? rest[0] : undefined;
    const token = (hasParams ? rest[1] : rest[0]) as CancellationToken | undefined;
    // Cancelled while waiting for the engine (a hover the pointer has left, a keystroke that replaced the request):
    // it is not sent at all. Sent with a token already cancelled, vscode-jsonrpc would send its cancel a timer tick
    // after the request, by which time the engine may have started the work.
    if (token?.isCancellationRequested) {
      const message = `'${type.method}' was cancelled before it was sent.`;
      throw new ResponseError<EngineErrorData>(EngineErrorCodes.requestCancelled, message, { code: 'cancelled', message });
    }
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      session.pending.add(fail);
      const sent = hasParams
        ? session.connection.sendRequest(type as RequestType<unknown, unknown, EngineErrorData>, params, token)
        : session.connection.sendRequest(type as RequestType0<unknown, EngineErrorData>, token);
      sent.then(resolve, reject).finally(() => session.pending.delete(fail));
    });
  }

  /** Stops the engine on purpose: it is not restarted until start() (or a restart command). */
  async stop(): Promise<void> {
    this.stoppedOnPurpose = true;
    await this.killSession();
  }

  /** Stops and starts a fresh engine (Restart engine). */
  async restart(): Promise<EngineInfo> {
    await this.stop();
    return this.start();
  }

  dispose(): void {
    this.stoppedOnPurpose = true;
    void this.killSession();
  }

  private ensureSession(): Session {
    if (this.session) return this.session;
    if (this.stoppedOnPurpose) {
      throw new EngineUnavailableError('The XLM Lab engine is stopped. Run "XLM: Restart engine" to start it.', 'stopped');
    }
    const maxCrashes = this.options.maxCrashes ?? 5;
    const windowMs = this.options.crashWindowMs ?? 180_000;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < windowMs);
    if (this.crashTimes.length >= maxCrashes) {
      throw new EngineUnavailableError(
        `The XLM Lab engine crashed ${this.crashTimes.length} times in ${Math.round(windowMs / 1000)} s; automatic restarts are off. See the XLM Lab output channel, then run "XLM: Restart engine".`,
        'crash-loop',
      );
    }
    this.session = this.spawn();
    return this.session;
  }

  private spawn(): Session {
    this.setState('starting');
    const child = fork(this.options.enginePath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Huge-page malloc: training steps page-fault their large temporaries afresh otherwise (malloc.ts).
      env: withHugePageMalloc({ ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: '1' }),
      execArgv: [],
    });
    for (const stream of [child.stdout, child.stderr]) {
      const read = engineOutputReader();
      const lines = lineSplitter((line) => this.options.onOutput?.(read(line)));
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => lines.push(text));
      stream?.on('end', () => lines.end());
    }
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    const session: Session = { child, connection, pending: new Set(), disposables: [], info: Promise.resolve() as never };
    for (const method of this.listeners.keys()) session.disposables.push(this.dispatch(connection, method));
    connection.listen();

    let exitSeen = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (exitSeen) return;
      exitSeen = true;
      const onPurpose = this.stoppedOnPurpose || this.session !== session;
      if (!onPurpose) this.crashTimes.push(Date.now());
      const how = spawnError ? `could not start: ${spawnError.message}` : describeEngineExit(code, signal);
      const error = new EngineUnavailableError(
        onPurpose ? 'The XLM Lab engine was stopped while answering this request.' : `The XLM Lab engine ${how} while answering this request. The next request starts a new engine.`,
        spawnError ? 'start-failed' : 'crashed',
      );
      for (const fail of session.pending) fail(error);
      session.pending.clear();
      session.disposables.forEach((d) => d.dispose());
      connection.dispose();
      if (this.session === session) {
        this.session = undefined;
        this.setState('stopped');
      }
      this.options.onExit?.({ code, signal, onPurpose });
    };
    child.on('exit', (code, signal) => onGone(code, signal));
    child.on('error', (err) => onGone(null, null, err));

    session.info = new Promise<EngineInfo>((resolve, reject) => {
      session.pending.add(reject);
      connection.sendRequest(engineInfo).then(
        (info) => {
          session.pending.delete(reject);
          if (info.protocolVersion !== PROTOCOL_VERSION) {
            reject(new EngineUnavailableError(`dist/engine.js speaks protocol ${info.protocolVersion}, the extension ${PROTOCOL_VERSION}: rebuild with \`node esbuild.mjs\`.`, 'start-failed'));
            return;
          }
          if (this.session === session) this.setState('running');
          resolve(info);
        },
        (e: unknown) => {
          session.pending.delete(reject);
          reject(e instanceof ResponseError ? new Error(e.message) : e);
        },
      );
    });
    session.info.catch(() => undefined);
    return session;
  }

  private async killSession(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    this.setState('stopped');
    const child = session.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Closing IPC lets the engine exit by itself (it exits on 'disconnect'); SIGKILL if it does not within 2 s.
    if (child.connected) child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private setState(state: EngineProcessState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.options.onStateChange?.(state);
  }
}

/**
 * How the engine ended, in words. A SIGKILL nobody here sent is, on Linux and macOS, almost always the OS
 * reclaiming memory (the OOM killer, macOS's jetsam): the engine gets no chance to say anything, so this says it.
 */
export function describeEngineExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') {
    return 'was killed by the operating system (SIGKILL), most likely because the machine ran out of memory. ' +
      'For training, a smaller batch size or maximum length, or LoRA instead of full fine-tuning, needs less; ' +
      'xlm.memoryLimitMB makes a run that will not fit refuse to start instead';
  }
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
