/**
 * The engine's models: a folder is loaded once (config, tokenizer, weight headers) and each task's
 * session is built the first time that task is asked for, then reused. A folder whose files change on
 * disk (a training run wrote a new checkpoint there) is loaded afresh on the next request.
 *
 * A failed load or build is not cached: after an error (a truncated model.safetensors) the next request
 * tries again, and requests for other models are unaffected.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { positionLimit, type XlmrConfig } from '../hf/config.js';
import { CONFIG_FILE, WEIGHTS_FILE, WEIGHTS_INDEX_FILE, loadModelFolder, type ModelFolder } from '../hf/folder.js';
import { headTensorSpecs } from '../hf/names.js';
import type { HeadKind } from '../tasks/vocabulary.js';
import { buildInferenceGraph, headOfTask, type InferenceTask } from '../model/inference.js';
import type { InferenceDtype } from '../model/quantize.js';
import { XlmTokenizer } from '../tokenize/tokenizer.js';
import { createSession, type Device, type GraphSession } from './session.js';

export interface EngineRuntimeOptions {
  /** Intra-op threads of every session; 0 (default) lets onnxruntime use one per physical core. */
  threads?: number;
  device?: Device;
  /**
   * Number format of the inference graphs' matrix products: 'fp32' (default) as stored, or 'int8', quantized at
   * load time (model/quantize.ts). Evaluation's masked-LM scoring stays fp32.
   */
  dtype?: InferenceDtype;
  /** Where fallback notices go (a device that is not available). */
  onNotice?: (line: string) => void;
}

/** Each head in words: what it is, what needs it, what a model that has it is, and how to get one. */
const HEAD_DESCRIPTION: Record<HeadKind, { what: string; use: string; is: string; get: string }> = {
  mlm: { what: 'masked-language-model head', use: 'filling masks', is: 'a masked-language model (it fills masks)', get: 'pick a masked-language model (the default model is one), saved as XLMRobertaForMaskedLM' },
  'seq-cls': { what: 'classification head', use: 'classification', is: 'a classifier', get: 'fine-tune a classifier from it first (sequence or pair classification), or pick a model saved as XLMRobertaForSequenceClassification' },
  'token-cls': { what: 'token-classification head', use: 'token classification (NER)', is: 'a token classifier (NER)', get: 'fine-tune a token classifier from it first, or pick a model saved as XLMRobertaForTokenClassification' },
  qa: { what: 'question-answering head', use: 'question answering', is: 'a question-answering model', get: 'fine-tune a question-answering model from it first, or pick a model saved as XLMRobertaForQuestionAnswering' },
};

/** What a model folder is, by the heads it carries: "a masked-language model (it fills masks)", "an encoder with no task head". */
function modelKind(has: (head: HeadKind) => boolean): string {
  const kinds = (Object.keys(HEAD_DESCRIPTION) as HeadKind[]).filter(has).map((h) => HEAD_DESCRIPTION[h].is);
  return kinds.length ? kinds.join(' and ') : 'an encoder with no task head';
}

export class LoadedModel {
  private readonly sessions = new Map<InferenceTask, Promise<GraphSession>>();
  private closed = false;

  constructor(
    readonly folder: ModelFolder,
    readonly tokenizer: XlmTokenizer,
    private readonly options: EngineRuntimeOptions,
    /** Modification times of the files the model came from, to notice a rewrite. */
    readonly stamp: string,
  ) {}

  get dir(): string {
    return this.folder.dir;
  }

  /** The number format its inference graphs run in. */
  get dtype(): InferenceDtype {
    return this.options.dtype ?? 'fp32';
  }

  get config(): XlmrConfig {
    return this.folder.config;
  }

  /** Tokens a model input may hold: the tokenizer's limit, and the position table less XLM-R's pad offset. */
  get maxLength(): number {
    const positions = positionLimit(this.config);
    return Math.min(positions, this.tokenizer.modelMaxLength ?? positions);
  }

  /** Whether the checkpoint carries this head's weights. */
  hasHead(head: HeadKind): boolean {
    return this.folder.weights.hasHead(head);
  }

  /** The session for a task, built on first use (the graph is dropped once onnxruntime holds the weights). */
  session(task: InferenceTask): Promise<GraphSession> {
    if (this.closed) throw new Error(`model ${this.dir} was closed`);
    let pending = this.sessions.get(task);
    if (!pending) {
      pending = this.build(task);
      this.sessions.set(task, pending);
      pending.catch(() => this.sessions.delete(task));
    }
    return pending;
  }

  private async build(task: InferenceTask): Promise<GraphSession> {
    const head = headOfTask(task);
    if (head) {
      const { what, use, get } = HEAD_DESCRIPTION[head];
      if (!this.hasHead(head)) {
        throw new XlmError('model-no-head', `this model has no ${what}, which ${use} needs: it is ${modelKind((h) => this.hasHead(h))}. To fix: ${get}`, { file: this.folder.weights.path, what: head });
      }
      this.folder.weights.check(headTensorSpecs(this.config, head, this.config.id2label.length));
    }
    // onnxruntime copies the weights into the session, so the graph and its arrays can go after this.
    return createSession(buildInferenceGraph(task, this.config, this.folder.weights, this.dtype), {
      threads: this.options.threads,
      device: this.options.device,
      onNotice: this.options.onNotice,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const pending of sessions) {
      try {
        await (await pending).session.release();
      } catch {
        // A session that failed to build has nothing to release.
      }
    }
    this.folder.close();
  }
}

export class ModelCache {
  private readonly models = new Map<string, LoadedModel>();
  private readonly tokenizers = new Map<string, { stamp: string; tokenizer: XlmTokenizer }>();

  constructor(readonly options: EngineRuntimeOptions = {}) {}

  /** The model of a folder, loaded once; reloaded when its files changed since. */
  async model(dirArg: string): Promise<LoadedModel> {
    const dir = resolve(dirArg);
    const stamp = folderStamp(dir);
    const cached = this.models.get(dir);
    if (cached && cached.stamp === stamp) return cached;
    if (cached) {
      this.models.delete(dir);
      await cached.close();
    }
    const folder = loadModelFolder(dir, { head: 'encoder' });
    let tokenizer: XlmTokenizer;
    try {
      tokenizer = this.tokenizer(dir);
    } catch (e) {
      folder.close();
      throw e;
    }
    const model = new LoadedModel(folder, tokenizer, this.options, stamp);
    this.models.set(dir, model);
    return model;
  }

  /** The tokenizer of a folder alone (tokenizing needs no weights, so a folder without them still tokenizes). */
  tokenizer(dirArg: string): XlmTokenizer {
    const dir = resolve(dirArg);
    const stamp = folderStamp(dir);
    const cached = this.tokenizers.get(dir);
    if (cached && cached.stamp === stamp) return cached.tokenizer;
    const tokenizer = XlmTokenizer.fromFolder(dir);
    this.tokenizers.set(dir, { stamp, tokenizer });
    return tokenizer;
  }

  async evict(dirArg: string): Promise<void> {
    const dir = resolve(dirArg);
    const model = this.models.get(dir);
    this.models.delete(dir);
    this.tokenizers.delete(dir);
    await model?.close();
  }

  async closeAll(): Promise<void> {
    const models = [...this.models.values()];
    this.models.clear();
    this.tokenizers.clear();
    for (const model of models) await model.close();
  }
}

/** Size and modification time of the files a model is made of ('' for an absent file). */
function folderStamp(dir: string): string {
  return [CONFIG_FILE, 'tokenizer.json', WEIGHTS_FILE, WEIGHTS_INDEX_FILE]
    .map((name) => {
      try {
        const s = statSync(join(dir, name));
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return '';
      }
    })
    .join('|');
}
