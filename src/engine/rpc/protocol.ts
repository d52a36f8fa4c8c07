/**
 * The JSON-RPC protocol between the extension and the engine process: the one file both sides import, so a
 * method name, its params or its result cannot drift between them. Every message says who sends it and why.
 * The engine never imports `vscode`; this file imports only vscode-jsonrpc's message types, valibot and the task
 * vocabulary (tasks/vocabulary.ts, which imports nothing), so both sides spell every task the same.
 *
 * Every request's params are a valibot schema, and the params type is inferred from it, so what the extension
 * may send and what the engine accepts are one definition. The engine checks each request against its schema
 * before any handler runs and answers InvalidParams naming the field (`texts: expected an array of strings`).
 * Valibot because it is small (each check is its own function, so esbuild keeps only those used, a few KB in
 * each bundle), runs the same in Node and in the extension host, and needs no code generation or `eval`.
 */
import * as v from 'valibot';
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import { TASKS, TRAIN_TASKS, type TrainTask } from '../tasks/vocabulary.js';

export { TASKS, TRAIN_TASKS, type TrainTask };

/** Bumped when a message changes shape; the extension refuses an engine bundle that answers another version. */
export const PROTOCOL_VERSION = 2;

// ---------------------------------------------------------------------------------------------- errors

/** The `data` of every error response: an XlmError's code and place, so the extension can link to the file. */
export interface EngineErrorData {
  /** XlmError's code (`model/missing-file`, ...), or `internal` for a bug, `cancelled`, `method-not-found`. */
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** The tensor, key or column inside the file that is wrong. */
  what?: string;
}

/** JSON-RPC error codes of the engine (the -32000 range is the implementation-defined server range). */
export const EngineErrorCodes = {
  /** A problem the user can fix (bad file, bad flag): the message says what and where. */
  userError: -32001,
  /** A bug in the engine: the message is the exception's, the stack went to the engine log. */
  internalError: -32603,
  /** The method exists in the protocol but this engine build has no implementation for it yet. */
  methodNotFound: -32601,
  /** The request was cancelled by its sender. */
  requestCancelled: -32800,
  /** The params do not match the method's schema: the message names the field and what it must be. */
  invalidParams: -32602,
} as const;

// ---------------------------------------------------------------------------------------------- params checks

/** Bounds of the params checks: generous for real use, small enough that no request can exhaust the engine. */
export const PARAM_LIMITS = {
  /** Texts (or inputs) in one request. */
  texts: 100_000,
  /** UTF-16 code units in one text: a 1 MB paragraph fits, a runaway paste of a whole corpus does not. */
  textLength: 8_000_000,
  /** Code units in a path, a model id or a label. */
  name: 4_096,
  /** Candidate labels of a zero-shot request. */
  labels: 1_000,
  topK: 1_000,
  /** Tokens per input. */
  maxLength: 1_000_000,
  batchSize: 4_096,
  epochs: 10_000,
  loraRank: 4_096,
  /** MB of memory a run may use (a terabyte). */
  memoryLimitMB: 1_048_576,
} as const;

const text = v.pipe(v.string('expected a string'), v.maxLength(PARAM_LIMITS.textLength, `expected a text of at most ${PARAM_LIMITS.textLength} characters`));
const texts = v.pipe(
  v.array(text, 'expected an array of strings'),
  v.maxLength(PARAM_LIMITS.texts, `expected at most ${PARAM_LIMITS.texts} texts in one request`),
);
const name = (what: string) =>
  v.pipe(v.string(`expected ${what} (a string)`), v.nonEmpty(`expected ${what}, not an empty string`), v.maxLength(PARAM_LIMITS.name, `expected ${what} of at most ${PARAM_LIMITS.name} characters`));
const path = name('a path');
const integer = (min: number, max: number) =>
  v.pipe(v.number('expected a number'), v.integer('expected a whole number'), v.minValue(min, `expected at least ${min}`), v.maxValue(max, `expected at most ${max}`));
const positive = (max: number) =>
  v.pipe(v.number('expected a number'), v.finite('expected a finite number'), v.gtValue(0, 'expected a number above 0'), v.maxValue(max, `expected at most ${max}`));
const flag = v.boolean('expected true or false');
const oneOf = <const T extends readonly [string, ...string[]]>(options: T) => v.picklist(options, `expected one of ${options.map((o) => `"${o}"`).join(', ')}`);
/** An object of exactly these keys (an unknown key is a typo or a drifted protocol, refused by name). */
const params = <const E extends v.ObjectEntries>(entries: E) => v.strictObject(entries, 'expected an object of named params');
const optional = v.optional;

/** Every device setting, in the order the setting's enum, the CLI's help and the README list them. */
export const DEVICE_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
const device = oneOf(DEVICE_CHOICES);
/** Number formats of inference's matrix products: the checkpoint's floats, or int8 quantized at load (engine/model/quantize.ts). */
export const INFERENCE_DTYPES = ['fp32', 'int8'] as const;
const inferenceDtype = oneOf(INFERENCE_DTYPES);

// ---------------------------------------------------------------------------------------------- shared shapes

/**
 * A device as a user asks for it: `auto` picks the best present one for the graphs (engine/runtime/devices.ts); the
 * others are onnxruntime execution providers: cpu, webgpu (Direct3D 12, Metal or Vulkan), cuda (NVIDIA), dml
 * (DirectML, Windows) and coreml (macOS). The same words are the CLI's --device and the xlm.device setting.
 */
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];
export type InferenceDtype = (typeof INFERENCE_DTYPES)[number];
/** A device the engine can run on. */
export type DeviceName = Exclude<DeviceChoice, 'auto'>;

export interface DeviceInfo {
  name: DeviceName;
  available: boolean;
  /** Why a device is not available, or which provider serves it. */
  note?: string;
}

export interface EngineInfo {
  protocolVersion: number;
  engineVersion: string;
  node: string;
  pid: number;
  devices: DeviceInfo[];
  /** The protocol methods this engine build implements; the others answer MethodNotFound. */
  methods: string[];
}

export interface ModelInfo {
  dir: string;
  modelType: string;
  /** Heads this checkpoint carries weights for (language-identification: language-id.json beside the weights). */
  heads: ('masked-lm' | 'sequence-classification' | 'token-classification' | 'language-identification')[];
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  maxPositions: number;
  /** config.json's id2label, in id order, when the model has a classification head. */
  labels?: string[];
  /** The device the model's graphs run on (what `auto` chose, or CPU after a fallback). */
  device: DeviceName;
  /** The number format its inference graphs run in. */
  dtype: InferenceDtype;
  /**
   * Whether the model carries a calibrated translation threshold (translation-threshold.json): only then does the
   * hover look for possible translations among the workspace's sentences (sentences/index, sentences/similar).
   */
  findsTranslations: boolean;
}

export interface LabelScore {
  label: string;
  score: number;
}

// ---------------------------------------------------------------------------------------------- engine

/** Extension → engine, once after start: what this engine is and can do (version check, devices for the status item). */
export const engineInfo = new RequestType0<EngineInfo, EngineErrorData>('engine/info');

export interface EngineLogParams {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}
/** Engine → extension: one line for the "XLM Lab" output channel (stack traces of engine bugs go here too). */
export const engineLog = new NotificationType<EngineLogParams>('engine/log');

export const DeviceResolveParams = params({
  device,
  /** Inference graphs by default; providers differ in what they cover of a training step. */
  purpose: optional(oneOf(['inference', 'training'])),
});
export type DeviceResolveParams = v.InferOutput<typeof DeviceResolveParams>;
export interface DeviceResolveResult {
  /** The device that would run such graphs now. */
  device: DeviceName;
  /** One line when it is not the one asked for (auto ending on the CPU, a missing provider), saying why. */
  notice?: string;
}
/** Extension → engine: which device a setting comes to on this machine, for the status item before a model loads. */
export const deviceResolve = new RequestType<DeviceResolveParams, DeviceResolveResult, EngineErrorData>('device/resolve');

// ---------------------------------------------------------------------------------------------- model

export const ModelLoadParams = params({
  /** A Hugging Face model folder (config.json, tokenizer.json, model.safetensors). */
  dir: path,
  device: optional(device),
  /** `xlm.inference.dtype`: int8 quantizes the model's matrix products at load (smaller, faster on CPUs); default fp32. */
  dtype: optional(inferenceDtype),
});
export type ModelLoadParams = v.InferOutput<typeof ModelLoadParams>;
/** Extension → engine: make this folder the active model; later inference requests without `model` use it. */
export const modelLoad = new RequestType<ModelLoadParams, ModelInfo, EngineErrorData>('model/load');

export const MODEL_CAPABILITIES = ['fill-mask', 'classify', 'pair-classify', 'nli', 'token-classify', 'question-answering', 'translate', 'language-id'] as const;
/**
 * What a model folder can serve: fill-mask (masked-LM head), classify (a classifier of single texts), pair-classify
 * (of pairs), nli (a pair classifier with entailment / neutral / contradiction), token-classify (NER),
 * question-answering (a span head), translate (a sequence-to-sequence ONNX export), language-id.
 */
export type ModelCapability = (typeof MODEL_CAPABILITIES)[number];
export const ModelCapabilitiesParams = params({
  dirs: v.pipe(v.array(path, 'expected an array of paths'), v.maxLength(1000, 'expected at most 1000 folders')),
});
export type ModelCapabilitiesParams = v.InferOutput<typeof ModelCapabilitiesParams>;
export interface ModelCapabilities {
  dir: string;
  /** What people call it: a Hub snapshot's repo id, else the folder's name. */
  name: string;
  capabilities: ModelCapability[];
  /** A classifier's labels in id order. */
  labels?: string[];
  /** Why the folder is no model XLM Lab can use, in words. */
  problem?: string;
}
/** Extension → engine: what each folder can serve (read from config.json and the weights' headers, nothing loaded), for the model slots. */
export const modelCapabilities = new RequestType<ModelCapabilitiesParams, ModelCapabilities[], EngineErrorData>('model/capabilities');

/** Extension → engine: describe the active model (null when none is loaded), for the status item and pickers. */
export const modelInfo = new RequestType0<ModelInfo | null, EngineErrorData>('model/info');

// ---------------------------------------------------------------------------------------------- inference

export const TokenizeParams = params({
  text,
  textPair: optional(text),
  maxLength: optional(integer(1, PARAM_LIMITS.maxLength)),
  /** Tokenize with this folder's tokenizer instead of the active model's. */
  model: optional(path),
});
export type TokenizeParams = v.InferOutput<typeof TokenizeParams>;
export interface TokenizeResult {
  ids: number[];
  tokens: string[];
  /** [start, end) character offsets into the original text (or the pair's text for its tokens); [0,0] for specials. */
  offsets: [number, number][];
  /** The word each token belongs to; null for special tokens. */
  wordIds: (number | null)[];
  /** 0 for tokens of `text`, 1 for tokens of `textPair`. */
  sequenceIds: (number | null)[];
}
/** The mask the editor's features look for and write: the XLM-R family's mask token. */
export const MASK_TOKEN = '<mask>';

/** Extension → engine: tokens and offsets of a text, for the token view and for mapping masks to editor ranges. */
export const tokenize = new RequestType<TokenizeParams, TokenizeResult, EngineErrorData>('tokenize');

export const FillMaskParams = params({
  /** Each text holds one or more `<mask>` tokens. */
  texts,
  topK: optional(integer(1, PARAM_LIMITS.topK)),
  model: optional(path),
});
export type FillMaskParams = v.InferOutput<typeof FillMaskParams>;
export interface MaskCandidate {
  /**
   * The piece as text, decoded alone as transformers' fill-mask pipeline gives its `token_str` (SentencePiece: no
   * leading space; byte-level BPE: " Paris"; WordPiece: "##ing").
   */
  token: string;
  /** What writing the candidate in place of the mask adds: `token` without its word-start space or WordPiece's ##. */
  text: string;
  id: number;
  score: number;
  /**
   * Whether the piece starts a word, by its tokenizer's mark (SentencePiece's ▁, byte-level BPE's Ġ, no WordPiece
   * ##). Where the mask stands alone between spaces, a piece that does not start a word is glued onto the word
   * before it ("the" + "m" reads "them").
   */
  startsWord: boolean;
}
/** The candidate a mask offers first, and its rank (0 = most probable). */
export interface MaskOffer extends MaskCandidate {
  rank: number;
}
export interface FillMaskResult {
  /**
   * One entry per `<mask>` in the text, in order: its top-k candidates, most probable first, and the one offered
   * first (inline fill-in's ghost text) with its rank in the model's order: between spaces the most probable whole
   * word in the text's scripts (in another script only when none is), found below the top k when none made it
   * (rank ≥ k, up to 50), else the top piece (rank 0).
   */
  masks: {
    candidates: MaskCandidate[];
    offer: MaskOffer;
    /**
     * The candidates after the offer in the order an editor lists them (indices into `candidates`, the offer's own
     * left out): where the mask stands alone, whole words in the text's scripts, then other whole words, then pieces
     * and marks, each most probable first; where it touches other text, the model's order.
     */
    listed: number[];
    /**
     * How many of the offer and `listed`, in that order, are whole words: where the mask stands alone, the
     * masked-word panel lists these apart from the pieces and marks that follow; 0 where it touches other text (or
     * no whole word came up), and the panel keeps the model's order.
     */
    words: number;
  }[];
  /**
   * The text with every mask replaced by its most probable piece, decoded, as transformers' pipeline gives its
   * `sequence` (a continuation piece glues onto the word before: "Paris is them of France.").
   */
  filled: string;
  /** The text with each mask replaced by its offer's text: what inline fill-in would write. */
  filledWords: string;
}
/** Extension → engine: top-k words for each `<mask>` (masked-word panel, inline fill-in, Fill mask command). */
export const fillMask = new RequestType<FillMaskParams, FillMaskResult[], EngineErrorData>('fillMask');

const ClassifyInput = v.strictObject(
  {
    text,
    /** The second text of a pair (XLM-R's `<s> A </s></s> B </s>` template). */
    textPair: optional(text),
  },
  'expected an object {text, textPair?}',
);
export type ClassifyInput = v.InferOutput<typeof ClassifyInput>;
export const ClassifyParams = params({
  inputs: v.pipe(v.array(ClassifyInput, 'expected an array of {text, textPair?} objects'), v.maxLength(PARAM_LIMITS.texts, `expected at most ${PARAM_LIMITS.texts} inputs in one request`)),
  model: optional(path),
});
export type ClassifyParams = v.InferOutput<typeof ClassifyParams>;
/** Per input, every label of config.json's id2label with its probability, best first. */
export type ClassifyResult = LabelScore[][];
/** Extension → engine: label probabilities of texts or pairs (Classify selection, hover). */
export const classify = new RequestType<ClassifyParams, ClassifyResult, EngineErrorData>('classify');

export const QaParams = params({
  question: v.pipe(text, v.check((q) => q.trim() !== '', 'expected a question, not an empty string')),
  /** The text the answer is taken from (a document or a selection); any length, read in overlapping windows. */
  context: text,
  /** Answers to return, best first (default 5). */
  topK: optional(integer(1, PARAM_LIMITS.topK)),
  /** Longest answer in tokens (default 30). */
  maxAnswerLength: optional(integer(1, 1_000)),
  model: optional(path),
});
export type QaParams = v.InferOutput<typeof QaParams>;
export interface QaAnswer {
  answer: string;
  /** Probability among the n-best spans of the context. */
  score: number;
  /** [start, end) of the answer in UTF-16 code units of `context` (what the editor counts). */
  start: number;
  end: number;
  /** [start, end) of the sentence around the answer, in UTF-16 code units of `context`. */
  sentenceStart: number;
  sentenceEnd: number;
}
export interface QaResult {
  answers: QaAnswer[];
}
/** Extension → engine: the best answer spans to a question in a text, with a model saved as XLMRobertaForQuestionAnswering (Ask a question about this file). */
export const qa = new RequestType<QaParams, QaResult, EngineErrorData>('qa');

export const EntitiesParams = params({
  /** Texts to read (the editor sends one per line); each answer's spans count from the start of its own text. */
  texts,
  model: optional(path),
});
export type EntitiesParams = v.InferOutput<typeof EntitiesParams>;
export interface TextEntity {
  /** The entity type: the model's label without its B-/I- prefix (PER, LOC, ...). */
  type: string;
  /** [start, end) of the whole entity in UTF-16 code units of its text (what the editor counts). */
  start: number;
  end: number;
  text: string;
  /** Mean probability of its words' tags. */
  score: number;
}
/** Extension → engine: the named entities of each text from a token-classification model, B-/I- runs merged (entity highlights, List entities). */
export const entities = new RequestType<EntitiesParams, TextEntity[][], EngineErrorData>('entities');

export const NliParams = params({
  premise: text,
  hypothesis: text,
  model: optional(path),
});
export type NliParams = v.InferOutput<typeof NliParams>;
export interface NliResult {
  entailment: number;
  neutral: number;
  contradiction: number;
}
/** Extension → engine: entailment/neutral/contradiction for a premise and hypothesis (NLI panel, Check entailment). */
export const nli = new RequestType<NliParams, NliResult, EngineErrorData>('nli');

export const ZeroShotParams = params({
  text,
  labels: v.pipe(
    v.array(name('a label'), 'expected an array of label strings'),
    v.minLength(1, 'expected at least one label'),
    v.maxLength(PARAM_LIMITS.labels, `expected at most ${PARAM_LIMITS.labels} labels`),
  ),
  /** `{}` is replaced by each label; default "This example is {}.". */
  hypothesisTemplate: optional(name('a template')),
  multiLabel: optional(flag),
  model: optional(path),
});
export type ZeroShotParams = v.InferOutput<typeof ZeroShotParams>;
/** Extension → engine: rank free-form labels for a text with an NLI model (NLI panel's zero-shot section). */
export const zeroShot = new RequestType<ZeroShotParams, LabelScore[], EngineErrorData>('zeroShot');

export const EmbedParams = params({
  texts,
  normalize: optional(flag),
  model: optional(path),
});
export type EmbedParams = v.InferOutput<typeof EmbedParams>;
export interface EmbedResult {
  dim: number;
  vectors: number[][];
}
/** Extension → engine: mean-pooled sentence vectors (hover's nearest sentences in other languages). */
export const embed = new RequestType<EmbedParams, EmbedResult, EngineErrorData>('embed');

export const LanguageIdParams = params({
  texts,
  topK: optional(integer(1, PARAM_LIMITS.topK)),
  model: optional(path),
});
export type LanguageIdParams = v.InferOutput<typeof LanguageIdParams>;
export interface LanguageIdResult {
  /** Per text, the most likely languages best first: ISO 639-3 code, the language's name and the probability. */
  languages: (LabelScore & { name: string })[][];
  /**
   * Per text, whether it has fewer letters than the head reads reliably (20): its answer is still given, but the
   * hover shows none for such a text and the CLI marks it.
   */
  tooShort: boolean[];
}
/**
 * Extension → engine: which language each text is in, from the language-identification head of the model
 * (the default model ships one); hover shows it when the model has no classifier of its own.
 */
export const languageId = new RequestType<LanguageIdParams, LanguageIdResult, EngineErrorData>('languageId');

export const SentencesSimilarParams = params({
  text,
  /** The workspace's data files to search (JSON lines, CSV, TSV; rows with a language column). */
  files: v.pipe(v.array(path, 'expected an array of paths'), v.maxLength(1_000, 'expected at most 1000 files')),
  topK: optional(integer(1, PARAM_LIMITS.topK)),
  model: optional(path),
});
export type SentencesSimilarParams = v.InferOutput<typeof SentencesSimilarParams>;
export interface SimilarSentenceResult {
  text: string;
  language: string;
  similarity: number;
  score: number;
  places: { file: string; line: number }[];
}
export interface SentencesSimilarResult {
  /**
   * Sentences of other languages whose score reaches the model's calibrated threshold, best first, each once
   * (rows equal once normalised, in the same language, are one sentence) with every file and line it occurs at.
   * Empty when the model has no calibrated threshold.
   */
  matches: SimilarSentenceResult[];
  /**
   * When no sentence reaches the threshold: the best-scoring sentence of another language all the same (the hover
   * shows it as the nearest, saying it may not be a translation). Absent when there is a match or no other language.
   */
  nearest?: SimilarSentenceResult;
  /**
   * The threshold and how it was obtained (translation-threshold.json of the model), when the model has one: what
   * is compared (the cosine of the centred vectors, or its margin over each side's nearest sentences of other
   * languages), the least value shown, and the precision and recall it had on held-out pairs.
   */
  threshold?: { score: 'cosine' | 'margin'; value: number; /** The least cosine a match must also reach (under a margin threshold). */ floor?: number; precision: number; recall: number; note: string };
  /** Distinct sentences searched, the rows they came from, files read anew for this request. */
  sentences: number;
  rows: number;
  filesRead: number;
  /** Files that are not sentence data, with the reason. */
  skipped: { file: string; reason: string }[];
  truncated: boolean;
}
/**
 * Extension → engine: the workspace sentences of other languages that are possible translations of a text (the
 * hover, without a translation model). The engine reads and indexes the files itself, lazily and per file.
 */
export const sentencesSimilar = new RequestType<SentencesSimilarParams, SentencesSimilarResult, EngineErrorData>('sentences/similar');

export const SentencesIndexParams = params({
  /** The workspace's data files to index (as sentences/similar's files). */
  files: v.pipe(v.array(path, 'expected an array of paths'), v.maxLength(1_000, 'expected at most 1000 files')),
  model: optional(path),
});
export type SentencesIndexParams = v.InferOutput<typeof SentencesIndexParams>;
export interface SentencesIndexResult {
  /** Distinct sentences in the index, the rows they came from, files read anew, sentences embedded by this call. */
  sentences: number;
  rows: number;
  filesRead: number;
  embedded: number;
  skipped: { file: string; reason: string }[];
  truncated: boolean;
}
/**
 * Extension → engine: read and embed the workspace's data files ahead of the first hover, so that sentences/similar
 * then embeds only the hovered text. Cancellable; a cancelled call keeps the batches it embedded.
 */
export const sentencesIndex = new RequestType<SentencesIndexParams, SentencesIndexResult, EngineErrorData>('sentences/index');

export const TranslateParams = params({
  texts,
  targetLang: name('a language code'),
  sourceLang: optional(name('a language code')),
  model: optional(path),
});
export type TranslateParams = v.InferOutput<typeof TranslateParams>;
export interface TranslateResult {
  translations: string[];
}
/** Extension → engine: translate texts with the configured translation model (Translate selection, hover). */
export const translate = new RequestType<TranslateParams, TranslateResult, EngineErrorData>('translate');

// ---------------------------------------------------------------------------------------------- training

export const TrainStartParams = params({
  /** Model folder to start from. */
  model: path,
  /** Training data file (jsonl, csv, tsv); for translation a parallel file, or the source side of two line-aligned files. */
  data: path,
  /** Translation: the target side of two line-aligned files, `data` being the source side. */
  dataTarget: optional(path),
  /** Held-out data; when absent the engine splits `data`. */
  evalData: optional(path),
  task: oneOf(TRAIN_TASKS),
  /** Translation: the language pair (codes such as en, fr or eng_Latn), for models with language tokens; else read from the data. */
  sourceLang: optional(name('a language code')),
  targetLang: optional(name('a language code')),
  /** Translation: label smoothing of the cross-entropy (transformers' label_smoothing_factor). */
  labelSmoothing: optional(v.pipe(v.number('expected a number'), v.minValue(0, 'expected at least 0'), v.ltValue(1, 'expected a number below 1'))),
  /** Folder under which the run's own folder (config.json, metrics.jsonl, checkpoints) is created. */
  runFolder: path,
  method: oneOf(['lora', 'full']),
  epochs: optional(positive(PARAM_LIMITS.epochs)),
  batchSize: optional(integer(1, PARAM_LIMITS.batchSize)),
  learningRate: optional(positive(1)),
  maxLength: optional(integer(1, PARAM_LIMITS.maxLength)),
  loraRank: optional(integer(1, PARAM_LIMITS.loraRank)),
  seed: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  device: optional(device),
  /** `xlm.memoryLimitMB`: refuse a run whose estimated peak memory exceeds it (0 or absent: the machine's memory). */
  memoryLimitMB: optional(integer(0, PARAM_LIMITS.memoryLimitMB)),
});
export type TrainStartParams = v.InferOutput<typeof TrainStartParams>;
export interface TrainStartResult {
  runId: string;
  /** The run's folder; its metrics.jsonl is what the dashboard reads. */
  runDir: string;
}
/**
 * Extension → engine: start a training run in the background. Answers as soon as the options are checked and the
 * run folder exists (bad options fail this request); progress, metrics and log lines follow as notifications until
 * train/end. The run's own settings are written to RUN/run.json (RUN/config.json becomes the trained model's).
 */
export const trainStart = new RequestType<TrainStartParams, TrainStartResult, EngineErrorData>('train/start');

export const TrainDefaultsParams = params({
  /** The model folder the run starts from (its config.json's hidden size picks the row). */
  model: path,
  task: oneOf(TRAIN_TASKS),
  method: oneOf(['lora', 'full']),
  /** Rows of the training file (the wizard's data/inspect count); without evalData the run holds a tenth out. */
  rows: optional(integer(0, Number.MAX_SAFE_INTEGER)),
  evalData: optional(path),
  batchSize: optional(integer(1, PARAM_LIMITS.batchSize)),
});
export type TrainDefaultsParams = v.InferOutput<typeof TrainDefaultsParams>;
export interface TrainDefaultsResult {
  learningRate: number;
  epochs: number;
  batchSize: number;
  warmupRatio: number;
  /** The table row in words ("defaults for LoRA of classification on 702 rows with a small model …"). */
  why: string;
  /** What the row was chosen for, short ("702 training rows and a small model"): the wizard's Start item says it. */
  chosenFor: string;
  /** The method the wizard offers first for this model: full fine-tuning for a small model, LoRA for a base-sized one. */
  recommendedMethod: 'lora' | 'full';
  /**
   * Translation: which languages the model lets a run choose (none: one fixed pair, leave sourceLang/targetLang out;
   * target: Marian's >>xx<< tokens; both: M2M100 / NLLB language tokens) and the codes it knows.
   */
  languages?: { takes: 'none' | 'target' | 'both'; codes: string[] };
}
/**
 * Extension → engine: the training defaults (the one table xlm train also reads) for a run, so the fine-tune wizard
 * shows and starts with the values that learn for this task, method, model size and data size.
 */
export const trainDefaults = new RequestType<TrainDefaultsParams, TrainDefaultsResult, EngineErrorData>('train/defaults');

export const TrainResumeParams = params({
  /** A run folder started from the editor (its run.json says what it trains) that holds a complete checkpoint-N. */
  runDir: path,
});
export type TrainResumeParams = v.InferOutput<typeof TrainResumeParams>;
/**
 * Extension → engine: continue a stopped run from its latest checkpoint, in the same folder and under the same run
 * id (`xlm train --resume` for a run of the editor): its metrics.jsonl goes on from the checkpoint's step, and the
 * same notifications follow as for train/start. A folder without run.json or a checkpoint, a finished run, or one
 * that is training fails this request.
 */
export const trainResume = new RequestType<TrainResumeParams, TrainStartResult, EngineErrorData>('train/resume');

export const TrainStopParams = params({
  /** The run to stop; all runs when absent. */
  runId: optional(name('a run id')),
});
export type TrainStopParams = v.InferOutput<typeof TrainStopParams>;
/** Extension → engine: stop a run (Stop training, Cancel on the progress notification); it writes a last checkpoint. */
export const trainStop = new RequestType<TrainStopParams, { stopped: string[] }, EngineErrorData>('train/stop');

export interface TrainProgressParams {
  runId: string;
  step: number;
  totalSteps: number;
  epoch: number;
  /** Seconds to the end of the run at the current speed; null until known. */
  etaSeconds: number | null;
}
/** Engine → extension: where a run is, for the status item ("training 43%") and the progress notification. */
export const trainProgress = new NotificationType<TrainProgressParams>('train/progress');

/** One line of a run's metrics.jsonl: a training step, or an evaluation (`eval` set). */
export interface MetricsRecord {
  step: number;
  epoch: number;
  loss?: number;
  lr?: number;
  grad_norm?: number;
  examples_per_s?: number;
  tokens_per_s?: number;
  /** Evaluation metrics (accuracy, f1, per-language keys like `accuracy/de`), present on eval lines. */
  eval?: Record<string, number>;
  /** Confusion matrix of an eval line: rows are gold labels, columns predictions, in `labels` order. */
  confusion?: number[][];
  labels?: string[];
  /** Translation eval lines: sacreBLEU's signature of each pooled score (bleu, chrf, chrf++). */
  signatures?: Record<string, string>;
}
export interface TrainMetricsParams {
  runId: string;
  record: MetricsRecord;
}
/** Engine → extension: a line just appended to metrics.jsonl, so the open dashboard draws it without polling. */
export const trainMetrics = new NotificationType<TrainMetricsParams>('train/metrics');

export interface TrainLogParams {
  runId: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}
/** Engine → extension: a trainer message (data problems, checkpoint written) for the output channel. */
export const trainLog = new NotificationType<TrainLogParams>('train/log');

export interface TrainEndParams {
  runId: string;
  status: 'completed' | 'stopped' | 'failed';
  error?: EngineErrorData;
  /** Folder of the final model, loadable with model/load. */
  outputDir?: string;
  /** Whether a completed run learned (its loss fell below chance, its eval accuracy above the majority class); also in RUN/verdict.json. */
  verdict?: TrainVerdict;
}

/** What in the training file a run that did not learn should check: its labels, or its QA answers' offsets. */
export type DataCheck = 'labels' | 'answers';

/** A completed run's verdict, as RUN/verdict.json holds it (train/verdict.ts judges it). */
export interface TrainVerdict {
  learned: boolean;
  /** Why not, in words (empty when it learned). */
  reasons: string[];
  /** What to try instead (empty when it learned), in words every surface shows as they are. */
  advice: string[];
  /**
   * What in the training file to check, when the data may be at fault: the labels (conflicting duplicates, labels
   * the text does not support) or the answers (an answer not at its answer_start). Each surface names its own tool
   * for it (the CLI `xlm data inspect` / `xlm data audit`, the editor its audit command), so it is not in `advice`.
   */
  dataCheck?: DataCheck;
  /**
   * Mean training loss over the last tenth of the logged steps (one noisy step says little), labelled as such
   * wherever it is shown: "final loss 0.735 (mean of the last 13 steps)".
   */
  finalLoss?: number;
  /** How many logged steps finalLoss averages. */
  finalLossSteps?: number;
  /** The loss of always predicting the training labels' frequencies (their entropy). */
  chanceLoss?: number;
  /** The eval metric compared with its baseline: accuracy (seq-cls) or word accuracy (token-cls). */
  evalAccuracy?: number;
  /** The share of the most frequent eval label (for token-cls: of the most frequent tag among eval words). */
  majorityAccuracy?: number;
  /** Question answering: the eval F1 (0–1) compared with its baseline. */
  evalF1?: number;
  /** Question answering: the F1 of the better trivial answer, the context's first sentence or no answer. */
  baselineF1?: number;
  /** Which trivial answer baselineF1 is, in words ("the first sentence" or "no answer"). */
  baselineName?: string;
}

/** Engine → extension: a run finished, was stopped, or failed; ends its progress notification. */
export const trainEnd = new NotificationType<TrainEndParams>('train/end');

// ---------------------------------------------------------------------------------------------- evaluation and data

export const EvalRunParams = params({
  model: optional(path),
  data: path,
  task: optional(oneOf(TASKS)),
  batchSize: optional(integer(1, PARAM_LIMITS.batchSize)),
});
export type EvalRunParams = v.InferOutput<typeof EvalRunParams>;
export interface EvalRunResult {
  metrics: Record<string, number>;
  /** Metrics per language code when the data has a language column. */
  perLanguage?: Record<string, Record<string, number>>;
  confusion?: number[][];
  labels?: string[];
  examples: number;
}
/** Extension → engine: evaluate a model on a data file (Evaluate model on a file). */
export const evalRun = new RequestType<EvalRunParams, EvalRunResult, EngineErrorData>('eval/run');

export const DataInspectParams = params({
  file: path,
  /** The target side of two line-aligned parallel files, `file` being the source side. */
  target: optional(path),
});
export type DataInspectParams = v.InferOutput<typeof DataInspectParams>;
export interface DataProblem {
  line: number;
  /** 1-based, in UTF-16 code units (as VS Code counts), where known. */
  column?: number;
  severity: 'error' | 'warning';
  message: string;
}
export interface DataInspectResult {
  format: string;
  rows: number;
  columns: string[];
  /** The task the columns suggest (text+label → sequence-classification, premise+hypothesis → pair-classification). */
  suggestedTask?: TrainTask;
  labels?: Record<string, number>;
  languages?: Record<string, number>;
  /** Parallel text: the language pair the data names (a TSV header, JSON keys, file extensions), when it names one. */
  sourceLang?: string;
  targetLang?: string;
  problems: DataProblem[];
}
/** Extension → engine: columns, counts and problems of a data file (the fine-tune quick picks suggest the task). */
export const dataInspect = new RequestType<DataInspectParams, DataInspectResult, EngineErrorData>('data/inspect');

// ---------------------------------------------------------------------------------------------- cluster jobs

export const JobExportParams = params({
  /** A run folder started from the editor (its run.json says what it trains). */
  run: path,
  /** The job folder to write: new or empty. */
  out: path,
});
export type JobExportParams = v.InferOutput<typeof JobExportParams>;
export interface JobExportResult {
  dir: string;
  trainRows: number;
  evalRows: number;
  totalSteps: number;
}
/** Extension → engine: write a run as a distributed PyTorch job folder (Export run as a cluster job). */
export const jobExport = new RequestType<JobExportParams, JobExportResult, EngineErrorData>('job/export');

export const JobImportParams = params({
  /** A job folder or the output folder a job wrote. */
  dir: path,
  /** The run folder (xlm.runFolder) the run is added to. */
  runFolder: path,
});
export type JobImportParams = v.InferOutput<typeof JobImportParams>;
export interface JobImportResult {
  /** The new run's folder: the dashboard lists it, and its model loads. */
  run: string;
  records: number;
  evalRecords: number;
}
/** Extension → engine: a cluster job's results as a run folder (Import a cluster job's results). */
export const jobImport = new RequestType<JobImportParams, JobImportResult, EngineErrorData>('job/import');

export const DataAuditParams = params({
  file: path,
  /** The model the folds fine-tune from (or, with noFolds, the fine-tuned model whose predictions are used); default: the active model. */
  model: optional(path),
  /** Out-of-fold probabilities from this many folds (default 5), each predicted by logistic regression on the model's frozen features trained on the others. */
  folds: optional(integer(2, 20)),
  /** What predicts each fold: 'features' (default), logistic regression on the model's frozen features; 'lora', a LoRA fine-tuning of the model (slow). */
  method: optional(oneOf(['features', 'lora'])),
  /** The model's own predictions instead of folds. */
  noFolds: optional(flag),
  /** The run folder: audit.json is written there. */
  out: path,
});
export type DataAuditParams = v.InferOutput<typeof DataAuditParams>;
export interface DataAuditFlag {
  kind: 'label' | 'tag' | 'duplicate' | 'language' | 'length';
  /** 1-based line; the value spans [column, endColumn) on it, in UTF-16 code units (as VS Code counts). */
  line: number;
  column: number;
  endColumn: number;
  given: string;
  suggested?: string;
  /** Label and tag flags: the out-of-sample probability of `suggested` (the quick fix says it, so a weak guess is seen as one). */
  suggestedProbability?: number;
  /** What writes `suggested` in place of the value, encoded for the file's format; absent when there is no suggestion. */
  fix?: { text: string };
  score: number;
  message: string;
  /** NER: the word whose tag is flagged. */
  token?: string;
}
export interface DataAuditResult {
  /** audit.json's path. */
  report: string;
  rows: number;
  task: 'seq-cls' | 'token-cls';
  folds: number;
  /** The file's labels (NER: tags), so the editor can show them in words (language codes as "Russian (rus)"). */
  labels: string[];
  /** How the folds' probabilities were made (absent with noFolds): logistic regression on the model's frozen features, or LoRA fine-tuning. */
  method?: 'features' | 'lora';
  /** The share of rows (words) whose given label the model finds most probable out of sample (with noFolds, in its own predictions); absent when none was predicted. */
  agreement?: number;
  /** Set when that agreement is too low for the flags to be trusted: why, and what to do (words for people). */
  caution?: string;
  flags: DataAuditFlag[];
}
/**
 * Extension → engine: audit the labels of a data file (Audit labels of this file): k-fold logistic regression on the
 * model's frozen features and confident learning, plus conflicting duplicates, odd languages and lengths;
 * data/auditProgress notifications meanwhile. Cancellable: a cancelled audit stops at the next batch or iteration.
 */
export const dataAudit = new RequestType<DataAuditParams, DataAuditResult, EngineErrorData>('data/audit');

export interface DataAuditProgressParams {
  file: string;
  /** 0..1 of the whole audit. */
  fraction: number;
  /** One line for the progress notification ("fold 2/5, step 40/120"). */
  message: string;
}
/** Engine → extension: where a data/audit is, for its progress notification. */
export const dataAuditProgress = new NotificationType<DataAuditProgressParams>('data/auditProgress');

// ---------------------------------------------------------------------------------------------- hub

export const HubDownloadParams = params({
  repoId: name('a Hub model id'),
  revision: optional(name('a revision')),
  /** From VS Code's SecretStorage (command "XLM: Set Hugging Face Token"); never logged. */
  token: optional(name('a token')),
  /** `xlm.hub.offline`: serve from the cache only, never contact the Hub. */
  offline: optional(flag),
  /**
   * The user agreed to the size. Without it, a download of 1 GB or more fails with code `hub/needs-confirmation`
   * and a message stating the size, before any byte is fetched; the extension asks and sends the request again.
   */
  confirmed: optional(flag),
});
export type HubDownloadParams = v.InferOutput<typeof HubDownloadParams>;
export interface HubDownloadResult {
  /** The snapshot folder in the HF cache, loadable with model/load. */
  dir: string;
}
/** Extension → engine: fetch a model into the HF cache (Select active model → Hub id). Cancellable. */
export const hubDownload = new RequestType<HubDownloadParams, HubDownloadResult, EngineErrorData>('hub/download');

export interface HubProgressParams {
  repoId: string;
  file: string;
  bytes: number;
  totalBytes: number | null;
}
/** Engine → extension: bytes fetched so far of one file of a hub/download, for its progress notification. */
export const hubProgress = new NotificationType<HubProgressParams>('hub/progress');

export interface HubCachedModel {
  repoId: string;
  revision: string;
  dir: string;
  modelType?: string;
}
/** Extension → engine: the models already in the HF cache (Select active model offers them). */
export const hubList = new RequestType0<HubCachedModel[], EngineErrorData>('hub/list');

// ---------------------------------------------------------------------------------------------- default model

export const ModelEnsureDefaultParams = params({
  /** The folder that holds `default-model/`: the extension's global storage path (context.globalStorageUri.fsPath). */
  storageDir: path,
});
export type ModelEnsureDefaultParams = v.InferOutput<typeof ModelEnsureDefaultParams>;
export interface ModelEnsureDefaultResult {
  /** The default model's folder, loadable with model/load. */
  dir: string;
  /** True when an up-to-date build was already there. */
  reused: boolean;
  /** Seconds the build took (0 when reused). */
  seconds: number;
}
/**
 * Extension → engine: the embedded default model (XLM-R pre-trained by XLM Lab on the UDHR), built into
 * `storageDir` on first need (minutes on a laptop CPU; model/defaultProgress notifications meanwhile) and reused
 * while its recipe, corpus and code are unchanged. Cancellable: a cancelled build leaves nothing behind.
 */
export const modelEnsureDefault = new RequestType<ModelEnsureDefaultParams, ModelEnsureDefaultResult, EngineErrorData>('model/ensureDefault');

export interface ModelDefaultProgressParams {
  phase: 'corpus' | 'tokenizer' | 'model' | 'train' | 'save' | 'done';
  /** One line for the progress notification ("step 120/300  loss 5.412  80 s, about 120 s left"). */
  message: string;
  /** 0..1 of the whole build. */
  fraction: number;
  step?: number;
  steps?: number;
}
/** Engine → extension: where a model/ensureDefault build is, for its progress notification. */
export const modelDefaultProgress = new NotificationType<ModelDefaultProgressParams>('model/defaultProgress');

// ---------------------------------------------------------------------------------------------- tables

/** Every request of the protocol, keyed by a short name; the server's handler table is typed against it. */
export const requests = {
  engineInfo, deviceResolve, modelLoad, modelInfo, modelCapabilities, tokenize, fillMask, classify, qa, entities, nli, zeroShot, embed, languageId, sentencesSimilar, sentencesIndex, translate,
  trainStart, trainResume, trainStop, trainDefaults, evalRun, dataInspect, dataAudit, hubDownload, hubList, modelEnsureDefault, jobExport, jobImport,
} as const;

/** The params schema of every request that takes params; the engine checks each request against its entry. */
export const paramSchemas = {
  deviceResolve: DeviceResolveParams,
  modelLoad: ModelLoadParams,
  modelCapabilities: ModelCapabilitiesParams,
  tokenize: TokenizeParams,
  fillMask: FillMaskParams,
  classify: ClassifyParams,
  qa: QaParams,
  entities: EntitiesParams,
  nli: NliParams,
  zeroShot: ZeroShotParams,
  embed: EmbedParams,
  languageId: LanguageIdParams,
  sentencesSimilar: SentencesSimilarParams,
  sentencesIndex: SentencesIndexParams,
  translate: TranslateParams,
  trainStart: TrainStartParams,
  trainResume: TrainResumeParams,
  trainStop: TrainStopParams,
  trainDefaults: TrainDefaultsParams,
  evalRun: EvalRunParams,
  dataInspect: DataInspectParams,
  dataAudit: DataAuditParams,
  hubDownload: HubDownloadParams,
  modelEnsureDefault: ModelEnsureDefaultParams,
  jobExport: JobExportParams,
  jobImport: JobImportParams,
} as const satisfies { [K in RequestName]?: v.GenericSchema<ParamsOf<K>> };

/**
 * Checks a request's params against its method's schema: the parsed params, or the first problem as
 * `field.path: expected …, got …` and the field's path.
 */
export function checkParams<K extends keyof typeof paramSchemas>(request: K, input: unknown): { ok: true; params: ParamsOf<K> } | { ok: false; message: string; field: string } {
  if (Array.isArray(input)) return { ok: false, message: `params: expected an object of named params, got ${describeValue(input)}`, field: 'params' };
  const result = v.safeParse(paramSchemas[request] as v.GenericSchema, input, { abortEarly: true });
  if (result.success) return { ok: true, params: result.output as ParamsOf<K> };
  const issue = result.issues[0];
  const path = issue.path ?? [];
  const field = path.map((item) => (typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`)).join('').replace(/^\./, '') || 'params';
  const last = path[path.length - 1];
  let message: string;
  // valibot reports an unknown key as expecting `never`, and a missing one as expecting the key itself.
  if (issue.type === 'strict_object' && last && issue.expected === 'never') message = `${field}: not a param of '${requests[request].method}'`;
  else if (issue.type === 'strict_object' && last) message = `${field}: missing; it is required`;
  else message = `${field}: ${issue.message}, got ${describeValue(issue.input)}`;
  return { ok: false, message, field };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Every notification of the protocol (engine → extension). */
export const notifications = { engineLog, trainProgress, trainMetrics, trainLog, trainEnd, hubProgress, modelDefaultProgress, dataAuditProgress } as const;

export type RequestName = keyof typeof requests;
type Phantom<T> = T extends { readonly _: infer U } ? NonNullable<U> : never;
/** The params of a request (`void` for parameterless ones). */
export type ParamsOf<K extends RequestName> = Phantom<(typeof requests)[K]> extends [infer P, unknown, unknown, unknown] ? P : void;
/** The result of a request. */
export type ResultOf<K extends RequestName> = Phantom<(typeof requests)[K]> extends [unknown, infer R, unknown, unknown]
  ? R
  : Phantom<(typeof requests)[K]> extends [infer R, unknown, unknown]
    ? R
    : never;
