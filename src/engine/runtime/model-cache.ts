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

const HEAD_DESCRIPTION: Record<HeadKind, { what: string; cls: string; use: string }> = {
  mlm: { what: 'masked-LM head (lm_head.*)', cls: 'XLMRobertaForMaskedLM', use: 'fill-mask' },
  'seq-cls': { what: 'sequence-classification head (classifier.dense.*, classifier.out_proj.*)', cls: 'XLMRobertaForSequenceClassification', use: 'classify' },
  'token-cls': { what: 'token-classification head (classifier.weight, classifier.bias)', cls: 'XLMRobertaForTokenClassification', use: 'token classification' },
  qa: { what: 'question-answering head (qa_outputs.weight, qa_outputs.bias)', cls: 'XLMRobertaForQuestionAnswering', use: 'question answering' },
};

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
      const { what, cls, use } = HEAD_DESCRIPTION[head];
      if (!this.hasHead(head)) {
        throw new XlmError('model-no-head', `this checkpoint has no ${what}; ${use} needs a model saved as ${cls}`, { file: this.folder.weights.path, what: head });
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
