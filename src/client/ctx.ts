/**
 * Owns the engine's lifecycle for the extension: the lazily forked process, the health model behind the one status
 * item, the "XLM Lab" output channel, the enabled/disabled command pairs and the active model. Two disposal scopes:
 * the extension's (everything here) and the engine session's (what lives only as long as one engine process).
 */
import * as vscode from 'vscode';
import { CancellationToken, NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { EngineProcess, EngineUnavailableError, describeEngineExit } from './engineProcess.js';
import { Health, viewHealth, withProblems } from './health.js';
import { device, inferenceDtype } from './config.js';
import { SLOTS, affectsSlots, modelName, slot, slotModel, slotSettingKey, type SlotId, type SlotModel } from './slots.js';
import { showEngineError } from './errors.js';
import { formatTimeLeft, isRatioMetric } from '../panels/messages.js';
import * as p from '../engine/rpc/protocol.js';

/** At most one progress line of a kind (a run's steps, the default model's build) per this many ms in the log. */
const LOG_EVERY_MS = 30_000;

export type CommandHandler = (...args: never[]) => unknown;

interface CommandSpec {
  run: CommandHandler;
  /** A command that needs the engine gets a stand-in while the engine cannot start, saying why and offering the fix. */
  needsEngine: boolean;
  title: string;
}

export class NoModelError extends Error {
  constructor(readonly slotId: SlotId = 'fillMask') {
    const s = slot(slotId);
    super(`No model for ${s.serves}: pick one with "XLM: Select model" → ${s.label} (setting xlm.${slotSettingKey(slotId)}); it needs ${s.needs}.`);
    this.name = 'NoModelError';
  }
}

/** The model set for a feature cannot serve it: says what it lacks in words and what to pick instead. */
export class UnfitModelError extends Error {
  constructor(readonly slotId: SlotId, name: string) {
    const s = slot(slotId);
    super(`${name} cannot serve ${s.serves}: it has no ${s.needs.replace(/^an? /, '')}. Pick a model that has one with "XLM: Select model" → ${s.label}.`);
    this.name = 'NoModelError';
  }
}

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly engine: EngineProcess;
  /** Methods sent to the engine, newest last (the extension-host tests read it through the API). */
  readonly requestLog: string[] = [];
  /** Requests sent since activation (the log above keeps the last 200 only). */
  requestCount = 0;
  /** The notices shown when runs finished (what they said, the buttons they offered), oldest first: for tests. */
  readonly finishNotices: { runId: string; message: string; actions: string[] }[] = [];
  engineInfo: p.EngineInfo | undefined;

  private readonly status: vscode.StatusBarItem;
  private readonly extensionScope: vscode.Disposable[] = [];
  private sessionScope: vscode.Disposable[] = [];
  private readonly commands = new Map<string, CommandSpec>();
  private readonly registered = new Map<string, vscode.Disposable>();
  private inFlight: string[] = [];
  private loadingModel: string | undefined;
  /** The last model loaded (its device shows on the status item). */
  private loadedModel: p.ModelInfo | undefined;
  /** Models this engine session has loaded, by folder. */
  private readonly loaded = new Map<string, p.ModelInfo>();
  /** What each folder can serve, asked once per folder until settings change or a run rewrites it. */
  private readonly capabilityCache = new Map<string, Promise<p.ModelCapabilities | undefined>>();
  /** Which model serves which feature, for the status item's tooltip and menu; refreshed on settings changes. */
  slotModels = new Map<SlotId, SlotModel>();
  /** What xlm.device comes to on this machine (auto resolved, fallbacks applied), asked when the engine starts. */
  private deviceInUse: p.DeviceName | undefined;
  /** Set when the engine reports that onnxruntime-node has no native runtime for this platform. */
  private platformProblem: string | undefined;
  private readonly training = new Map<string, p.TrainProgressParams>();
  /** Runs whose train/end came, so a start answered after its own end does not mark the run training again. */
  private readonly ended = new Set<string>();
  private lastError: string | undefined;
  private crashLoop = false;
  private readonly healthEmitter = new vscode.EventEmitter<Health>();
  readonly onHealthChange = this.healthEmitter.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('XLM Lab', { log: true });
    this.status = vscode.window.createStatusBarItem('xlm.engine', vscode.StatusBarAlignment.Left, 10);
    this.status.name = 'XLM Lab engine';
    this.status.command = 'xlm.showStatusMenu';
    this.engine = new EngineProcess({
      enginePath: vscode.Uri.joinPath(extension.extensionUri, 'dist', 'engine.js').fsPath,
      onOutput: (line) => this.output[line.level](line.message),
      onStateChange: (state) => {
        if (state === 'running') {
          this.lastError = undefined;
          void this.resolveDevice();
          void this.refreshSlots();
        }
        this.render();
      },
      onExit: (exit) => this.onEngineExit(exit.onPurpose, exit.code, exit.signal),
    });
    this.engine.onNotification(p.engineLog, ({ level, message }) => this.output[level === 'warn' ? 'warn' : level](message));
    this.engine.onNotification(p.trainProgress, (progress) => {
      this.training.set(progress.runId, progress);
      // The log follows a long run too, not only the status item: one line every LOG_EVERY_MS at most.
      if (progress.totalSteps) {
        const pct = Math.round((100 * progress.step) / progress.totalSteps);
        this.logEvery(`train ${progress.runId}`, `[run ${progress.runId}] step ${progress.step}/${progress.totalSteps} (${pct}%), epoch ${progress.epoch.toFixed(1)}, ${formatTimeLeft(progress.etaSeconds)}`);
      }
      this.render();
    });
    this.engine.onNotification(p.trainMetrics, ({ runId, record }) => {
      if (!record.eval) return;
      const shown = Object.entries(record.eval).filter(([k]) => !k.includes('/')).slice(0, 6);
      // Shares as percentages, as the dashboard and xlm train write them.
      this.output.info(`[run ${runId}] evaluation at step ${record.step}: ${shown.map(([k, v]) => `${k} ${isRatioMetric(k) ? `${(100 * v).toFixed(1)}%` : Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ')}`);
    });
    this.engine.onNotification(p.trainEnd, (end) => {
      if (end.outputDir) this.capabilityCache.delete(end.outputDir);
      this.training.delete(end.runId);
      this.ended.add(end.runId);
      this.render();
    });
    this.engine.onNotification(p.trainLog, ({ runId, level, message }) => this.output[level](`[run ${runId}] ${message}`));
    this.extensionScope.push(this.output, this.status, this.healthEmitter, this.defaultBuildEmitter, { dispose: () => this.engine.dispose() });
    this.extensionScope.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsSlots(e)) {
          this.capabilityCache.clear();
          // Reading a folder's capabilities needs the engine: asked now only when it runs, else when it starts.
          if (this.engine.state === 'running') void this.refreshSlots();
        }
        if (e.affectsConfiguration('xlm.inference.dtype')) {
          // Loaded models are in the old format: the next request loads each again in the new one.
          this.loadedModel = undefined;
          this.loaded.clear();
        }
        if (!e.affectsConfiguration('xlm.device')) return;
        // The loaded model's sessions are on the old device: the next request loads it again on the new one.
        this.loadedModel = undefined;
        this.loaded.clear();
        this.deviceInUse = undefined;
        if (this.engine.state === 'running') void this.resolveDevice();
        this.render();
      }),
    );
    this.render();
    this.status.show();
  }

  get health(): Health {
    if (this.platformProblem) return { kind: 'error', message: this.platformProblem };
    if (this.lastError && this.engine.state === 'stopped') return { kind: 'error', message: this.lastError };
    if (this.engine.state === 'stopped') return { kind: 'stopped', onPurpose: this.engine.isStoppedOnPurpose };
    if (this.engine.state === 'starting') return { kind: 'starting' };
    if (this.loadingModel) return { kind: 'loadingModel', model: this.loadingModel };
    const run = [...this.training.values()].at(-1);
    if (run) return { kind: 'training', runId: run.runId, percent: run.totalSteps ? (100 * run.step) / run.totalSteps : 0, etaSeconds: run.etaSeconds };
    if (this.inFlight.length) return { kind: 'busy', what: this.inFlight.at(-1)! };
    return { kind: 'ready', model: this.loadedModel?.dir };
  }

  /** Registers a command; `needsEngine` commands are swapped for a stand-in while the engine cannot start. */
  command(name: string, title: string, run: CommandHandler, needsEngine = true): void {
    this.commands.set(name, { run, needsEngine, title });
    this.registerCommand(name);
  }

  /** A run the engine accepted: it counts as training (Stop training shows) before its first progress. */
  runStarted(runId: string): void {
    if (this.ended.has(runId) || this.training.has(runId)) return;
    this.training.set(runId, { runId, step: 0, totalSteps: 0, epoch: 0, etaSeconds: null });
    this.render();
  }

  /** A stopped run about to be resumed under its id: its earlier train/end no longer says it ended. */
  runResuming(runId: string): void {
    this.ended.delete(runId);
  }

  /** The runs this engine is training now (the dashboard offers Resume only for runs not among them). */
  trainingRuns(): ReadonlySet<string> {
    return new Set(this.training.keys());
  }

  /** Something that must be released when the current engine process goes away. */
  inSession(d: vscode.Disposable): void {
    this.sessionScope.push(d);
  }

  request<R>(type: RequestType0<R, p.EngineErrorData>, token?: CancellationToken): Promise<R>;
  request<P, R>(type: RequestType<P, R, p.EngineErrorData>, params: P, token?: CancellationToken): Promise<R>;
  async request(type: RequestType<unknown, unknown, p.EngineErrorData> | RequestType0<unknown, p.EngineErrorData>, ...rest: unknown[]): Promise<unknown> {
    this.requestLog.push(type.method);
    this.requestCount++;
    if (this.requestLog.length > 200) this.requestLog.shift();
    this.inFlight.push(type.method);
    this.render();
    try {
      const result = await (this.engine.request as (t: unknown, ...r: unknown[]) => Promise<unknown>)(type, ...rest);
      if (!this.engineInfo) this.engineInfo = await this.engine.info();
      return result;
    } catch (e) {
      if (e instanceof EngineUnavailableError && e.reason === 'crash-loop' && !this.crashLoop) {
        this.crashLoop = true;
        this.refreshCommands();
      }
      throw e;
    } finally {
      this.inFlight.splice(this.inFlight.indexOf(type.method), 1);
      this.render();
    }
  }

  notify<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    const d = this.engine.onNotification(type, handler);
    return new vscode.Disposable(() => d.dispose());
  }

  /** What a folder can serve (model/capabilities), cached per folder; undefined when the engine cannot say. */
  capabilities(dir: string): Promise<p.ModelCapabilities | undefined> {
    let pending = this.capabilityCache.get(dir);
    if (!pending) {
      pending = this.request(p.modelCapabilities, { dirs: [dir] }).then(
        ([c]) => c,
        (e: unknown) => {
          this.capabilityCache.delete(dir);
          this.output.warn(`Could not read what ${dir} can serve: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        },
      );
      this.capabilityCache.set(dir, pending);
    }
    return pending;
  }

  /** The folder that serves a feature (src/client/slots.ts says how it is chosen). */
  slotModel(id: SlotId): Promise<SlotModel> {
    return slotModel(id, (dir) => this.capabilities(dir));
  }

  private readonly lastLogged = new Map<string, number>();

  /** Writes a progress line to the log unless one of the same kind went out in the last LOG_EVERY_MS. */
  logEvery(kind: string, line: string): void {
    const now = Date.now();
    if (now - (this.lastLogged.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.lastLogged.set(kind, now);
    this.output.info(line);
  }

  /** The default model's build while it runs (its last progress), for the masked-word panel; undefined otherwise. */
  defaultBuild: p.ModelDefaultProgressParams | undefined;
  private readonly defaultBuildEmitter = new vscode.EventEmitter<p.ModelDefaultProgressParams | undefined>();
  readonly onDefaultBuild = this.defaultBuildEmitter.event;

  setDefaultBuild(progress: p.ModelDefaultProgressParams | undefined): void {
    this.defaultBuild = progress;
    this.defaultBuildEmitter.fire(progress);
  }

  /** Features that could not run for want of a fitting model, with why: the status item turns to a warning. */
  readonly problems = new Map<SlotId, string>();

  private noteProblem(slotId: SlotId, why: string | undefined): void {
    if ((this.problems.get(slotId) ?? undefined) === why) return;
    if (why) {
      this.problems.set(slotId, why);
      this.output.warn(why);
    } else this.problems.delete(slotId);
    this.render();
  }

  /**
   * Forgets why a feature could not run once the user has left it (its panel closed): the status item stays a
   * warning only while the feature is in use (a user saw it stay one for the whole session after one look at the NLI panel).
   */
  clearProblem(slotId: SlotId): void {
    this.noteProblem(slotId, undefined);
  }

  /** Re-reads which model serves which feature, for the status item. */
  async refreshSlots(): Promise<void> {
    const next = new Map<SlotId, SlotModel>();
    for (const s of SLOTS) next.set(s.id, await this.slotModel(s.id).catch(() => ({ dir: '', name: 'none', source: 'none' as const })));
    this.slotModels = next;
    this.render();
  }

  /**
   * Loads the model that serves a feature into the engine (unless this engine session already has it) and checks
   * that it can serve it; requests then name it (`model: info.dir`), so each feature runs on its own model.
   */
  async ensureModel(slotId: SlotId = 'fillMask', token?: CancellationToken): Promise<p.ModelInfo> {
    const chosen = await this.slotModel(slotId);
    try {
      if (!chosen.dir) throw chosen.unfit ? new UnfitModelError(slotId, chosen.unfit) : new NoModelError(slotId);
      if (chosen.source === 'setting' && slotId !== 'translation') {
        const caps = await this.capabilities(chosen.dir);
        if (caps && !slot(slotId).fits(caps)) throw new UnfitModelError(slotId, chosen.name);
      }
    } catch (e) {
      this.noteProblem(slotId, (e as Error).message);
      throw e;
    }
    this.noteProblem(slotId, undefined);
    const known = this.loaded.get(chosen.dir);
    if (known) return known;
    this.loadingModel = chosen.dir;
    this.output.info(`Loading ${modelName(chosen.dir)} for ${slot(slotId).serves} (${chosen.dir})…`);
    this.render();
    try {
      const info = await this.request(p.modelLoad, { dir: chosen.dir, device: device(), dtype: inferenceDtype() }, token);
      this.loaded.set(chosen.dir, info);
      this.loadedModel = info;
      this.output.info(`Loaded ${modelName(chosen.dir)} for ${slot(slotId).serves} (${chosen.dir}: ${info.modelType}, ${info.layers} layers) on ${info.device}, ${info.dtype}`);
      return info;
    } finally {
      this.loadingModel = undefined;
      this.render();
    }
  }

  /** Asks the engine which device xlm.device comes to, for the status item; its line (why not a GPU) goes to the log. */
  private async resolveDevice(): Promise<void> {
    const asked = device();
    try {
      const r = await this.engine.request(p.deviceResolve, { device: asked });
      if (asked !== device()) return; // the setting changed meanwhile; that change asks again
      this.deviceInUse = r.device;
      if (r.notice) this.output.warn(r.notice);
      this.render();
    } catch (e) {
      const data = (e as { data?: p.EngineErrorData }).data;
      if (data?.code === 'unsupported-platform') {
        // Nothing will run on this machine: say so on the status item, not only when a command fails.
        this.platformProblem = data.message;
        this.render();
        return;
      }
      this.output.warn(`Could not ask the engine which device xlm.device "${asked}" comes to: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async start(): Promise<p.EngineInfo> {
    this.crashLoop = false;
    this.engineInfo = await this.engine.start();
    this.refreshCommands();
    this.output.info(`Engine ${this.engineInfo.engineVersion} started (pid ${this.engineInfo.pid}, node ${this.engineInfo.node}); methods: ${this.engineInfo.methods.join(', ')}`);
    return this.engineInfo;
  }

  async restart(): Promise<p.EngineInfo> {
    this.output.info('Restarting the engine on request.');
    await this.engine.stop();
    return this.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    this.refreshCommands();
  }

  /** Shows an engine or request failure with the action that fixes it; cancellations stay silent. */
  showError(what: string, e: unknown): Promise<void> {
    return showEngineError(this.output, what, e);
  }

  dispose(): void {
    this.sessionScope.forEach((d) => d.dispose());
    this.registered.forEach((d) => d.dispose());
    this.extensionScope.forEach((d) => d.dispose());
  }

  private onEngineExit(onPurpose: boolean, code: number | null, signal: NodeJS.Signals | null): void {
    this.sessionScope.forEach((d) => d.dispose());
    this.sessionScope = [];
    this.loadedModel = undefined;
    this.loaded.clear();
    this.loadingModel = undefined;
    this.engineInfo = undefined;
    this.deviceInUse = undefined;
    this.training.clear();
    if (onPurpose) {
      this.output.info('Engine stopped.');
    } else {
      this.lastError = `The engine ${describeEngineExit(code, signal)}. The next request starts a new one.`;
      this.output.error(this.lastError);
    }
    this.render();
  }

  private refreshCommands(): void {
    for (const [name, spec] of this.commands) if (spec.needsEngine) this.registerCommand(name);
  }

  private registerCommand(name: string): void {
    const spec = this.commands.get(name)!;
    this.registered.get(name)?.dispose();
    const available = !spec.needsEngine || (!this.engine.isStoppedOnPurpose && !this.crashLoop);
    const handler = available ? spec.run : () => this.engineDown(spec.title);
    this.registered.set(name, vscode.commands.registerCommand(name, handler as (...args: unknown[]) => unknown));
  }

  private async engineDown(title: string): Promise<void> {
    const why = this.crashLoop ? 'kept crashing, so automatic restarts are off' : 'is stopped';
    const pick = await vscode.window.showWarningMessage(`XLM Lab: the engine ${why}, so "${title}" cannot run.`, 'Restart engine', 'Show log');
    if (pick === 'Restart engine') await vscode.commands.executeCommand('xlm.restartEngine');
    if (pick === 'Show log') this.output.show();
  }

  private render(): void {
    const health = this.health;
    const view = withProblems(viewHealth(health, this.loadedModel?.device ?? this.deviceInUse ?? device()), health, this.problems.size);
    this.status.text = view.text;
    const tooltip = new vscode.MarkdownString(`**XLM Lab** — ${view.summary}\n\n`, true);
    tooltip.isTrusted = { enabledCommands: ['xlm.openDashboard', 'xlm.showLog', 'xlm.restartEngine', 'xlm.showProblems'] };
    if (this.slotModels.size) {
      tooltip.appendMarkdown('Models: ' + SLOTS.map((s) => `${s.label} **${escapeMarkdown(this.slotModels.get(s.id)?.name ?? 'none')}**`).join(' · ') + '\n\n');
    }
    tooltip.appendMarkdown('[$(graph) Open dashboard](command:xlm.openDashboard) · [$(output) Show log](command:xlm.showLog) · [$(debug-restart) Restart engine](command:xlm.restartEngine)');
    this.status.tooltip = tooltip;
    this.status.backgroundColor =
      view.severity === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : view.severity === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.healthEmitter.fire(health);
    this.setContextKeys();
  }

  /** The `when` clause keys as last set (the extension's API shows them to tests). */
  readonly contextKeys = new Map<string, boolean>();

  /**
   * `when` clause keys (package.json's menus.commandPalette): the palette hides Stop training while no run is
   * training, Stop engine while no engine runs, and Why a feature cannot run while every feature could. Set only on change: setContext is a round trip.
   */
  private setContextKeys(): void {
    const keys: [string, boolean][] = [
      ['xlm.training', this.training.size > 0],
      ['xlm.engineRunning', this.engine.state !== 'stopped'],
      ['xlm.hasProblems', this.problems.size > 0],
    ];
    for (const [key, value] of keys) {
      if (this.contextKeys.get(key) === value) continue;
      this.contextKeys.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
