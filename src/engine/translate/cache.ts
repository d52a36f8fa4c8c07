/**
 * Translation models by the name a user gives (a folder or a Hub repo id, through the hub's resolveModel),
 * loaded once and kept: the CLI loads one per command, the engine keeps them between requests.
 */
import { XlmError, field, isXlmError, said } from '../errors.js';
import { resolveModel, type ResolveOptions } from '../hub/index.js';
import { findSeq2SeqFiles, REQUIRED_TRANSLATION_FILES } from './files.js';
import type { Seq2SeqLoadOptions } from './model.js';
import { Translator } from './translator.js';

export interface TranslatorLoadOptions extends Seq2SeqLoadOptions {
  /** Hub settings and progress for a repo id that is not on disk yet. */
  resolve?: ResolveOptions;
}

/** The folder of a translation model: a repo's default download may leave the ONNX graphs out, so they are asked for. */
export async function translationFolder(idOrPath: string, opts: ResolveOptions = {}): Promise<{ folder: string; name: string }> {
  const resolved = await resolveModel(idOrPath, opts);
  try {
    findSeq2SeqFiles(resolved.folder);
  } catch (e) {
    // A cached or downloaded repo whose snapshot lacks the graphs (a repo with safetensors too): fetch them by name.
    if (resolved.source === 'folder' || !isXlmError(e)) throw e;
    const completed = await resolveModel(idOrPath, { ...opts, requiredFiles: REQUIRED_TRANSLATION_FILES });
    return { folder: completed.folder, name: idOrPath };
  }
  return { folder: resolved.folder, name: idOrPath };
}

export async function loadTranslator(idOrPath: string, opts: TranslatorLoadOptions = {}): Promise<Translator> {
  const { folder, name } = await translationFolder(idOrPath, opts.resolve);
  return Translator.load(folder, { ...opts, name });
}

export class TranslatorCache {
  private readonly loaded = new Map<string, Promise<Translator>>();

  constructor(private readonly options: TranslatorLoadOptions = {}) {}

  translator(idOrPath: string | undefined): Promise<Translator> {
    if (!idOrPath) {
      return Promise.reject(new XlmError('translate/no-model', said`no translation model: give one as ${field('model')} (a folder or a Hub id such as Xenova/opus-mt-en-de; in VS Code, the setting xlm.translationModel)`, { what: 'model' }));
    }
    let pending = this.loaded.get(idOrPath);
    if (!pending) {
      pending = loadTranslator(idOrPath, this.options);
      this.loaded.set(idOrPath, pending);
      // A failed load is not kept: the next request tries again (the user may have fixed the folder).
      pending.catch(() => this.loaded.delete(idOrPath));
    }
    return pending;
  }

  async closeAll(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    for (const pending of all) {
      try {
        await (await pending).close();
      } catch {
        // A translator that failed to load holds no sessions.
      }
    }
  }
}
