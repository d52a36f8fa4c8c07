/**
 * Which files of a repo to download. By default: configs, tokenizers and one set of weights: safetensors
 * if the repo has them (no PyTorch pickles, TensorFlow, Flax, Rust or ONNX duplicates), else the fp32 ONNX
 * graphs of an export (what the translation models ship), else the PyTorch weights. Patterns are
 * fnmatch-style as in huggingface_hub's allow_patterns: `*` also crosses '/', so `*.json` matches `onnx/config.json`.
 */

export interface FileSelection {
  /** Patterns of files to take; when given, they replace the default choice entirely. */
  include?: string[];
  /** Patterns of files to leave out; applied after everything else. */
  exclude?: string[];
}

/** Configs, tokenizers (sentencepiece `.model`/`.spm`, vocab and merges `.txt`), safetensors, the model card. */
export const DEFAULT_INCLUDE = ['*.json', '*.safetensors', '*.model', '*.spm', '*.txt', 'README.md'];

/** Reduced-precision siblings of an ONNX graph (transformers.js exports); the fp32 graph is the default. */
const ONNX_VARIANT = /_(quantized|fp16|int8|uint8|q4|q4f16|bnb4|q8)\.onnx(_data|\.data)?$/;

/** The decoder pair a merged decoder replaces (optimum writes all three). */
const UNMERGED_DECODER = /(^|\/)decoder_(model|with_past_model)\.onnx(_data|\.data)?$/;

const patternCache = new Map<string, RegExp>();

/** Python's fnmatch: `*` any run of characters, `?` one, `[seq]` / `[!seq]` a class. */
export function globToRegExp(pattern: string): RegExp {
  const cached = patternCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        source += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  const regexp = new RegExp(`^${source}$`, 's');
  patternCache.set(pattern, regexp);
  return regexp;
}

export function matchesAny(path: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globToRegExp(p).test(path));
}

/** The repo files to download, in the Hub's order. */
export function selectFiles(paths: readonly string[], selection: FileSelection = {}): string[] {
  const exclude = selection.exclude ?? [];
  let chosen: string[];
  if (selection.include?.length) {
    chosen = paths.filter((p) => matchesAny(p, selection.include!));
  } else {
    chosen = defaultChoice(paths);
  }
  return chosen.filter((p) => !matchesAny(p, exclude));
}

function defaultChoice(paths: readonly string[]): string[] {
  const hasSafetensors = paths.some((p) => p.endsWith('.safetensors'));
  const hasOnnx = paths.some((p) => isOnnxFile(p));
  const mergedFolders = new Set(paths.filter((p) => /(^|\/)decoder_model_merged\.onnx$/.test(p)).map(folderOf));
  return paths.filter((p) => {
    if (isOnnxFile(p)) {
      // The engine builds its own graph from safetensors; ONNX graphs matter only for repos without them
      // (transformers.js / optimum exports of translation models), and then in fp32 with the merged decoder.
      if (hasSafetensors || ONNX_VARIANT.test(p)) return false;
      return !(UNMERGED_DECODER.test(p) && mergedFolders.has(folderOf(p)));
    }
    if (matchesAny(p, DEFAULT_INCLUDE)) return true;
    // A repo with neither safetensors nor ONNX still gets its PyTorch weights, so the loader can say what to convert.
    return !hasSafetensors && !hasOnnx && /(^|\/)pytorch_model(-\d+-of-\d+)?\.bin$/.test(p);
  });
}

function isOnnxFile(path: string): boolean {
  return /\.onnx(_data|\.data)?$/.test(path);
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}
