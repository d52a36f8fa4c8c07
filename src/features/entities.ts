/**
 * Entity highlights (NER): with a model in the entities slot (`xlm.models.tokenClassification`, or `xlm.model`
 * when it has a token-classification head), the named entities of the visible documents in
 * `xlm.entities.languages` are decorated, one theme colour per entity type, and hovering one shows its type and
 * score. Runs debounced after a document opens or changes, cancels the previous run of that document, and asks the
 * engine only for lines it has not read yet with this model (cached by line text), so typing re-reads one line.
 *
 * With no entities model nothing runs and nothing is said (the user has not asked for entities); a model set for
 * the slot that cannot serve it turns the status item to a warning through ensureModel, as every feature does.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { setting } from '../client/config.js';
import { affectsSlots, modelName, slotSettingKey } from '../client/slots.js';
import * as p from '../engine/rpc/protocol.js';

const DEBOUNCE_MS = 400;
const CACHE_LINES = 20_000;
/** Colour slots contributed in package.json (xlm.entity1Background …), each paired with a chart colour for its underline. */
const PALETTE = ['charts.blue', 'charts.green', 'charts.orange', 'charts.purple', 'charts.red', 'charts.yellow'] as const;

/** Common entity types in words, for the hover and the list. */
const TYPE_WORDS: Record<string, string> = {
  PER: 'person', PERSON: 'person', LOC: 'location', GPE: 'place', ORG: 'organisation', MISC: 'miscellaneous',
  DATE: 'date', TIME: 'time', MONEY: 'money', PERCENT: 'percentage', NORP: 'group', FAC: 'facility', EVENT: 'event',
  PRODUCT: 'product', LAW: 'law', LANGUAGE: 'language', WORK_OF_ART: 'work of art', QUANTITY: 'quantity', CARDINAL: 'number', ORDINAL: 'ordinal',
};

export function describeType(type: string): string {
  const words = TYPE_WORDS[type.toUpperCase()];
  return words ? `${type} (${words})` : type;
}

/** An entity of a document: its range in the document and what the model said. */
export interface DocumentEntity {
  type: string;
  text: string;
  score: number;
  range: vscode.Range;
}

interface DocumentState {
  version: number;
  model: string;
  entities: DocumentEntity[];
}

/** The entity type a label names (its B-/I-/E-/S-/L-/U- prefix dropped), undefined for O. */
function typeOfLabel(label: string): string | undefined {
  if (label === 'O' || label === 'o') return undefined;
  return label.replace(/^[BIESLU][-_]/, '');
}

export class EntityHighlighter implements vscode.HoverProvider, vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly decorations = PALETTE.map((chart, i) =>
    vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor(`xlm.entity${i + 1}Background`),
      borderColor: new vscode.ThemeColor(chart),
      borderStyle: 'solid',
      borderWidth: '0 0 2px 0',
      overviewRulerColor: new vscode.ThemeColor(chart),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    }),
  );
  /** Entity type → palette index, fixed per model from its labels (so a type keeps its colour in every file). */
  private colours = new Map<string, number>();
  private coloursModel = '';
  /** Entities per model and line text. */
  private readonly lineCache = new Map<string, p.TextEntity[]>();
  private readonly documents = new Map<string, DocumentState>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, vscode.CancellationTokenSource>();
  /** What each visible document was last decorated with, per type (the extension-host tests read it). */
  readonly applied = new Map<string, { type: string; colour: number; ranges: vscode.Range[] }[]>();

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      ...this.decorations,
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.schedule(e.document, 0))),
      vscode.workspace.onDidChangeTextDocument((e) => e.contentChanges.length && this.schedule(e.document, DEBOUNCE_MS)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affectsSlots(e) && !e.affectsConfiguration('xlm.entities')) return;
        this.documents.clear();
        for (const editor of vscode.window.visibleTextEditors) this.schedule(editor.document, 0);
      }),
    );
    let engineRunning = ctx.engine.state === 'running';
    this.disposables.push(
      ctx.onHealthChange(() => {
        const now = ctx.engine.state === 'running';
        if (now && !engineRunning) for (const editor of vscode.window.visibleTextEditors) this.schedule(editor.document, DEBOUNCE_MS);
        engineRunning = now;
      }),
    );
    for (const editor of vscode.window.visibleTextEditors) this.schedule(editor.document, 0);
  }

  /** Whether highlights run on their own in this document (the list command runs in any). */
  private wanted(doc: vscode.TextDocument): boolean {
    return setting('entities.enabled', true) && setting<string[]>('entities.languages', ['plaintext', 'markdown']).includes(doc.languageId) && (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled');
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!this.wanted(doc)) {
      if (this.applied.has(doc.uri.toString())) this.decorate(doc, []);
      return;
    }
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.running.get(key)?.cancel();
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      void this.entities(doc, { quiet: true }).catch(() => undefined);
    }, delay));
  }

  /**
   * The entities of a document (read now unless this version is known), decorated in its visible editors.
   * `quiet`: automatic highlights; with no model for the slot they do nothing, and errors go to the log only.
   */
  async entities(doc: vscode.TextDocument, o: { quiet: boolean }): Promise<DocumentEntity[]> {
    const key = doc.uri.toString();
    if (o.quiet) {
      // Highlights start no engine for `xlm.model` alone (whether it has a token-classification head is the
      // engine's to read): they wait for the engine to run, as a window that does not use XLM Lab pays nothing.
      if (!setting<string>(slotSettingKey('tokenClassification'), '').trim() && this.ctx.engine.state !== 'running') {
        this.decorate(doc, []);
        return [];
      }
      const chosen = await this.ctx.slotModel('tokenClassification');
      if (!chosen.dir) {
        this.decorate(doc, []);
        return [];
      }
    }
    this.running.get(key)?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running.set(key, cts);
    try {
      const info = await this.ctx.ensureModel('tokenClassification', cts.token);
      const known = this.documents.get(key);
      if (known && known.version === doc.version && known.model === info.dir) {
        this.decorate(doc, known.entities, info);
        return known.entities;
      }
      const version = doc.version;
      const lines = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
      const missing = [...new Set(lines.filter((l) => l.trim() && !this.lineCache.has(`${info.dir}\0${l}`)))];
      if (missing.length) {
        const found = await this.ctx.request(p.entities, { texts: missing, model: info.dir }, cts.token);
        missing.forEach((line, i) => this.lineCache.set(`${info.dir}\0${line}`, found[i] ?? []));
        while (this.lineCache.size > CACHE_LINES) this.lineCache.delete(this.lineCache.keys().next().value!);
      }
      if (cts.token.isCancellationRequested || doc.version !== version) throw new vscode.CancellationError();
      const entities = lines.flatMap((line, i) =>
        (this.lineCache.get(`${info.dir}\0${line}`) ?? []).map((e) => ({ type: e.type, text: e.text, score: e.score, range: new vscode.Range(i, e.start, i, e.end) })),
      );
      this.documents.set(key, { version, model: info.dir, entities });
      this.decorate(doc, entities, info);
      return entities;
    } catch (e) {
      if (o.quiet) {
        if (!(e instanceof vscode.CancellationError) && !isCancelled(e) && !(e instanceof Error && e.name === 'NoModelError')) {
          this.ctx.output.warn(`Entity highlights for ${vscode.workspace.asRelativePath(doc.uri)}: ${e instanceof Error ? e.message : String(e)}`);
        }
        this.decorate(doc, []);
      }
      throw e;
    } finally {
      if (this.running.get(key) === cts) this.running.delete(key);
      cts.dispose();
    }
  }

  /** The entity under a position of a document already read (no engine request at hover time). */
  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const state = this.documents.get(doc.uri.toString());
    if (!state || state.version !== doc.version) return undefined;
    const e = state.entities.find((x) => x.range.contains(position));
    if (!e) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`$(symbol-field) **${escape(describeType(e.type))}** ${(100 * e.score).toFixed(1)}% · entity from ${escape(modelName(state.model))}`);
    return new vscode.Hover(md, e.range);
  }

  private colourOf(type: string, info?: p.ModelInfo): number {
    if (info && info.dir !== this.coloursModel) {
      this.coloursModel = info.dir;
      this.colours = new Map();
      for (const label of info.labels ?? []) {
        const t = typeOfLabel(label);
        if (t && !this.colours.has(t)) this.colours.set(t, this.colours.size % PALETTE.length);
      }
    }
    let c = this.colours.get(type);
    if (c === undefined) {
      c = this.colours.size % PALETTE.length;
      this.colours.set(type, c);
    }
    return c;
  }

  private decorate(doc: vscode.TextDocument, entities: readonly DocumentEntity[], info?: p.ModelInfo): void {
    const byColour: vscode.Range[][] = PALETTE.map(() => []);
    const byType = new Map<string, { type: string; colour: number; ranges: vscode.Range[] }>();
    for (const e of entities) {
      const colour = this.colourOf(e.type, info);
      byColour[colour]!.push(e.range);
      const entry = byType.get(e.type) ?? { type: e.type, colour, ranges: [] };
      entry.ranges.push(e.range);
      byType.set(e.type, entry);
    }
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document !== doc) continue;
      this.decorations.forEach((d, i) => editor.setDecorations(d, byColour[i]!));
    }
    if (entities.length || this.applied.has(doc.uri.toString())) this.applied.set(doc.uri.toString(), [...byType.values()]);
  }

  private forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.running.get(key)?.cancel();
    this.documents.delete(key);
    this.applied.delete(key);
  }

  dispose(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.running.forEach((c) => c.cancel());
    this.disposables.forEach((d) => d.dispose());
  }
}

function isCancelled(e: unknown): boolean {
  return (e as { code?: number })?.code === p.EngineErrorCodes.requestCancelled;
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
