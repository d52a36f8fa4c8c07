/**
 * Hover on a sentence: its label and probability from the classifier slot's model (or, with none, its language
 * from the fill-mask model's language-id head), and its translation (from the
 * translation model when one is set; otherwise the workspace sentences of other languages that the engine finds
 * above the model's calibrated similarity threshold, labelled as possible translations, and nothing below it).
 * Debounced, cached per model and sentence, cancelled with the hover. The workspace's sentences are indexed in the
 * background once a document the hover serves is shown while the engine runs, or when the engine comes up with one
 * shown (and again after a data file changes), so the first hover does not wait for the whole workspace to be embedded.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { setting } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { labelNamer } from './labelNames.js';
import { sentenceAt } from './sentence.js';
import { dataGeneration, escape, indexWorkspaceSentences, onDataFilesChanged, possibleTranslations } from './similarSentences.js';

const DEBOUNCE_MS = 250;
const TITLE = '**XLM Lab**\n\n';
const CACHE_SIZE = 200;
/** Over this, the hover is slow enough to log which operation was slow (the vscode-eslint time-budget habit). */
const WARN_MS = 1500;
/** How long a hover waits for the workspace's sentences to be indexed before it says the search is still being prepared. */
const INDEX_WAIT_MS = 1000;
/** A shown document or a data change waits this long before the index is brought up to date (editor switching settles first). */
const INDEX_DELAY_MS = 1500;

export class SentenceHover implements vscode.HoverProvider, vscode.Disposable {
  private readonly cache = new Map<string, vscode.MarkdownString>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private indexTimer: ReturnType<typeof setTimeout> | undefined;
  /** The indexing of the workspace's sentences for a model and data generation: under way, done (true) or failed (false). */
  private index: { key: string; done: Promise<boolean>; cancel: vscode.CancellationTokenSource } | undefined;

  constructor(private readonly ctx: Ctx) {
    // The index is brought up to date in the background: after a data file changes, and when a document the hover
    // serves is shown while the engine is up anyway (starting the engine for it alone is left to the first hover).
    const soon = () => {
      clearTimeout(this.indexTimer);
      this.indexTimer = setTimeout(() => void this.warm(), INDEX_DELAY_MS);
    };
    // When the engine comes up, for whatever feature, a new engine holds no index: it is built then if a document
    // the hover serves is shown, so the first hover over it finds it ready (a user's first hover asked to hover again).
    let starting = false;
    this.subscriptions.push(
      ctx.onHealthChange((health) => {
        if (health.kind === 'starting') {
          starting = true;
          this.index?.cancel.cancel();
          this.index = undefined;
        } else if (starting && health.kind !== 'stopped' && health.kind !== 'error') {
          starting = false;
          // Not beside a training run the engine came up for: the first hover indexes then, as before.
          const editor = vscode.window.activeTextEditor;
          if (editor && serves(editor.document) && health.kind !== 'training') soon();
        }
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor && serves(editor.document) && ctx.engine.state === 'running') soon();
      }),
      onDataFilesChanged(() => {
        if (this.index) soon();
      }),
    );
  }

  dispose(): void {
    clearTimeout(this.indexTimer);
    this.index?.cancel.cancel();
    for (const d of this.subscriptions) d.dispose();
  }

  /** Indexes for the model the hover would search with (none when a translation model is set: the hover translates). */
  private async warm(): Promise<void> {
    const [reader, translator] = await Promise.all([this.ctx.slotModel('fillMask'), this.ctx.slotModel('translation')]);
    if (!setting('hover.enabled', true) || !reader.dir || translator.dir) return;
    try {
      const info = await this.ctx.ensureModel('fillMask');
      if (info.findsTranslations) await this.indexed(info.dir);
    } catch (e) {
      this.ctx.output.warn(`Could not load the model to index the workspace's sentences for the hover: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * The indexing of the workspace's sentences for `model` at the current data generation, started when there is
   * none (a newer one cancels an older one, which keeps what it embedded); resolves true once done.
   */
  private indexed(model: string): Promise<boolean> {
    const key = `${model}\0${dataGeneration()}`;
    if (this.index?.key === key) return this.index.done;
    this.index?.cancel.cancel();
    const cancel = new vscode.CancellationTokenSource();
    const started = Date.now();
    const done = indexWorkspaceSentences(this.ctx, model, cancel.token).then(
      (result) => {
        if (result?.embedded) this.ctx.output.info(`Indexed ${result.sentences} sentences of the workspace's data for the hover's possible translations (${result.embedded} embedded now, ${Date.now() - started} ms).`);
        return true;
      },
      (e: unknown) => {
        if (!cancel.token.isCancellationRequested) this.ctx.output.warn(`Could not index the workspace's sentences for the hover: ${e instanceof Error ? e.message : String(e)}`);
        // Only this indexing's own record: a cancelled one that fails late must not drop a newer one of the same key.
        if (this.index?.done === done) this.index = undefined;
        return false;
      },
    );
    this.index = { key, done, cancel };
    return done;
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!serves(document)) return undefined;
    const sentence = sentenceAt(document, position);
    if (!sentence || sentence.text.length < 3) return undefined;
    // The label comes from the classifier slot; without one, the language from the fill-mask model's language-id head.
    const [classifier, reader, translator] = await Promise.all([this.ctx.slotModel('classifier'), this.ctx.slotModel('fillMask'), this.ctx.slotModel('translation')]);
    if (!classifier.dir && !reader.dir) return undefined;
    const key = `${classifier.dir}\0${reader.dir}\0${translator.dir}\0${dataGeneration()}\0${sentence.text}`;
    const cached = this.cache.get(key);
    if (cached) return new vscode.Hover(cached, sentence.range);

    await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
    if (token.isCancellationRequested) return undefined;
    const started = Date.now();
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(TITLE);
    let complete = true;
    let info: p.ModelInfo | undefined;
    try {
      info = reader.dir ? await this.ctx.ensureModel('fillMask', token) : undefined;
      if (classifier.dir) {
        const { dir: model } = await this.ctx.ensureModel('classifier', token);
        const [labels] = await this.ctx.request(p.classify, { inputs: [{ text: sentence.text }], model }, token);
        const best = labels?.[0];
        const named = labelNamer((labels ?? []).map((l) => l.label));
        if (best) md.appendMarkdown(`$(tag) **${escape(named(best.label))}** ${(100 * best.score).toFixed(1)}%` + (labels.length > 1 ? ` · ${labels.slice(1, 3).map((l) => `${escape(named(l.label))} ${(100 * l.score).toFixed(1)}%`).join(' · ')}` : '') + '\n\n');
      } else if (info?.heads.includes('language-identification')) {
        // No classifier set: the language, from the fill-mask model's language-id head (the default model has one).
        // A sentence under 20 letters gets no language: the head is often wrong there, and sure of itself.
        const { languages, tooShort } = await this.ctx.request(p.languageId, { texts: [sentence.text], topK: 3, model: info.dir }, token);
        // Under 50% (as shown, to a tenth of a percent) the answer is marked unsure, as xlm language-id marks it.
        const [best, ...rest] = tooShort[0] ? [] : (languages[0] ?? []);
        if (tooShort[0]) md.appendMarkdown('$(symbol-text) *Too short for the model to name its language.*\n\n');
        else if (best) md.appendMarkdown(`$(symbol-text) **${escape(best.name)}** ${(100 * best.score).toFixed(1)}%${Math.round(1000 * best.score) < 500 ? ' (unsure)' : ''}` + (rest.length ? ` · ${rest.map((l) => `${escape(l.name)} ${(100 * l.score).toFixed(1)}%`).join(' · ')}` : '') + '\n\n');
      }
    } catch (e) {
      complete = false;
      md.appendMarkdown(`$(warning) Classification unavailable: ${escape(e instanceof Error ? e.message : String(e))}\n\n`);
    }
    if (token.isCancellationRequested) return undefined;
    const classifiedMs = Date.now() - started;
    try {
      if (translator.dir) {
        const { translations } = await this.ctx.request(p.translate, { texts: [sentence.text], targetLang: vscode.env.language.split('-')[0] ?? 'en', model: translator.dir }, token);
        md.appendMarkdown(`$(globe) ${escape(translations[0] ?? '')}\n`);
      } else if (info?.findsTranslations) {
        // Workspace sentences of other languages, only those the model's calibrated threshold counts as possible
        // translations. The first hover in a workspace starts indexing its sentences and waits for it only briefly.
        const ready = await Promise.race([this.indexed(info.dir), new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), INDEX_WAIT_MS))]);
        if (ready === 'waiting') {
          complete = false;
          md.appendMarkdown("$(loading~spin) *Reading the workspace's data for possible translations; hover again in a moment.*\n");
        } else md.appendMarkdown(await possibleTranslations(this.ctx, info.dir, sentence.text, token));
      }
    } catch (e) {
      complete = false;
      md.appendMarkdown(`\n$(warning) Translation unavailable: ${escape(e instanceof Error ? e.message : String(e))}\n`);
    }
    const elapsed = Date.now() - started;
    if (elapsed > WARN_MS) this.ctx.output.warn(`Hover took ${elapsed} ms (classify ${classifiedMs} ms, translation ${elapsed - classifiedMs} ms); budget ${WARN_MS} ms.`);
    if (token.isCancellationRequested) return undefined;
    // Nothing to say (no label, no language, no translation line): no hover rather than a box with a title alone.
    if (md.value === TITLE) return undefined;
    if (complete) {
      this.cache.set(key, md);
      if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    return new vscode.Hover(md, sentence.range);
  }
}

/** Whether the hover serves this document: it is on and the document's language is one of xlm.hover.languages. */
function serves(document: vscode.TextDocument): boolean {
  return setting('hover.enabled', true) && setting<string[]>('hover.languages', ['plaintext', 'markdown']).includes(document.languageId);
}
