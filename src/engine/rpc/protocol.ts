/**
 * The JSON-RPC protocol between the extension and the engine process: the one file both sides import, so a
 * method name, its params or its result cannot drift between them. Every message says who sends it and why.
 * The engine never imports `vscode`; this file imports only vscode-jsonrpc's message types.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';

/** Bumped when a message changes shape; the extension refuses an engine bundle that answers another version. */
export const PROTOCOL_VERSION = 1;

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
} as const;

// ---------------------------------------------------------------------------------------------- shared shapes

/**
 * An onnxruntime execution provider the engine can run on: cpu, webgpu (Direct3D 12, Metal or Vulkan), cuda (NVIDIA),
 * dml (DirectML, Windows) and coreml (macOS). The same words are the CLI's --device and the xlm.device setting.
 */
export type DeviceName = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
/** A device as a user asks for it: `auto` picks the best present one for the graphs (engine/runtime/devices.ts). */
export type DeviceChoice = 'auto' | DeviceName;
/** Every device setting, in the order the setting's enum, the CLI's help and the README list them. */
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

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
  /** Heads this checkpoint carries weights for. */
  heads: ('masked-lm' | 'sequence-classification' | 'token-classification')[];
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  maxPositions: number;
  /** config.json's id2label, in id order, when the model has a classification head. */
  labels?: string[];
  /** The device the model's graphs run on (what `auto` chose, or CPU after a fallback). */
  device: DeviceName;
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

export interface DeviceResolveParams {
  device: DeviceChoice;
  /** Inference graphs by default; providers differ in what they cover of a training step. */
  purpose?: 'inference' | 'training';
}
export interface DeviceResolveResult {
  /** The device that would run such graphs now. */
  device: DeviceName;
  /** One line when it is not the one asked for (auto ending on the CPU, a missing provider), saying why. */
  notice?: string;
}
/** Extension → engine: which device a setting comes to on this machine, for the status item before a model loads. */
export const deviceResolve = new RequestType<DeviceResolveParams, DeviceResolveResult, EngineErrorData>('device/resolve');

// ---------------------------------------------------------------------------------------------- model

export interface ModelLoadParams {
  /** A Hugging Face model folder (config.json, tokenizer.json, model.safetensors). */
  dir: string;
  device?: DeviceChoice;
}
/** Extension → engine: make this folder the active model; later inference requests without `model` use it. */
export const modelLoad = new RequestType<ModelLoadParams, ModelInfo, EngineErrorData>('model/load');

/** Extension → engine: describe the active model (null when none is loaded), for the status item and pickers. */
export const modelInfo = new RequestType0<ModelInfo | null, EngineErrorData>('model/info');

// ---------------------------------------------------------------------------------------------- inference

export interface TokenizeParams {
  text: string;
  textPair?: string;
  maxLength?: number;
  /** Tokenize with this folder's tokenizer instead of the active model's. */
  model?: string;
}
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
/** Extension → engine: tokens and offsets of a text, for the token view and for mapping masks to editor ranges. */
export const tokenize = new RequestType<TokenizeParams, TokenizeResult, EngineErrorData>('tokenize');

export interface FillMaskParams {
  /** Each text holds one or more `<mask>` tokens. */
  texts: string[];
  topK?: number;
  model?: string;
}
export interface MaskCandidate {
  token: string;
  id: number;
  score: number;
}
export interface FillMaskResult {
  /** One entry per `<mask>` in the text, in order. */
  masks: { candidates: MaskCandidate[] }[];
  /** The text with every mask replaced by its best candidate. */
  filled: string;
}
/** Extension → engine: top-k words for each `<mask>` (masked-word panel, inline fill-in, Fill mask command). */
export const fillMask = new RequestType<FillMaskParams, FillMaskResult[], EngineErrorData>('fillMask');

export interface ClassifyInput {
  text: string;
  /** The second text of a pair (XLM-R's `<s> A </s></s> B </s>` template). */
  textPair?: string;
}
export interface ClassifyParams {
  inputs: ClassifyInput[];
  model?: string;
}
/** Per input, every label of config.json's id2label with its probability, best first. */
export type ClassifyResult = LabelScore[][];
/** Extension → engine: label probabilities of texts or pairs (Classify selection, hover). */
export const classify = new RequestType<ClassifyParams, ClassifyResult, EngineErrorData>('classify');

export interface NliParams {
  premise: string;
  hypothesis: string;
  model?: string;
}
export interface NliResult {
  entailment: number;
  neutral: number;
  contradiction: number;
}
/** Extension → engine: entailment/neutral/contradiction for a premise and hypothesis (NLI panel, Check entailment). */
export const nli = new RequestType<NliParams, NliResult, EngineErrorData>('nli');

export interface ZeroShotParams {
  text: string;
  labels: string[];
  /** `{}` is replaced by each label; default "This example is {}.". */
  hypothesisTemplate?: string;
  multiLabel?: boolean;
  model?: string;
}
/** Extension → engine: rank free-form labels for a text with an NLI model (NLI panel's zero-shot section). */
export const zeroShot = new RequestType<ZeroShotParams, LabelScore[], EngineErrorData>('zeroShot');

export interface EmbedParams {
  texts: string[];
  normalize?: boolean;
  model?: string;
}
export interface EmbedResult {
  dim: number;
  vectors: number[][];
}
/** Extension → engine: mean-pooled sentence vectors (hover's nearest sentences in other languages). */
export const embed = new RequestType<EmbedParams, EmbedResult, EngineErrorData>('embed');

export interface TranslateParams {
  texts: string[];
  targetLang: string;
  sourceLang?: string;
  model?: string;
}
export interface TranslateResult {
  translations: string[];
}
/** Extension → engine: translate texts with the configured translation model (Translate selection, hover). */
export const translate = new RequestType<TranslateParams, TranslateResult, EngineErrorData>('translate');

// ---------------------------------------------------------------------------------------------- training

export type TrainTask = 'sequence-classification' | 'pair-classification' | 'token-classification' | 'masked-lm';

export interface TrainStartParams {
  /** Model folder to start from. */
  model: string;
  /** Training data file (jsonl, csv, tsv). */
  data: string;
  /** Held-out data; when absent the engine splits `data`. */
  evalData?: string;
  task: TrainTask;
  /** Folder under which the run's own folder (config.json, metrics.jsonl, checkpoints) is created. */
  runFolder: string;
  method: 'lora' | 'full';
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  maxLength?: number;
  loraRank?: number;
  seed?: number;
  device?: DeviceChoice;
}
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

export interface TrainStopParams {
  /** The run to stop; all runs when absent. */
  runId?: string;
}
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
}
/** Engine → extension: a run finished, was stopped, or failed; ends its progress notification. */
export const trainEnd = new NotificationType<TrainEndParams>('train/end');

// ---------------------------------------------------------------------------------------------- evaluation and data

export interface EvalRunParams {
  model?: string;
  data: string;
  task?: TrainTask;
  batchSize?: number;
}
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

export interface DataInspectParams {
  file: string;
}
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
  problems: DataProblem[];
}
/** Extension → engine: columns, counts and problems of a data file (the fine-tune quick picks suggest the task). */
export const dataInspect = new RequestType<DataInspectParams, DataInspectResult, EngineErrorData>('data/inspect');

// ---------------------------------------------------------------------------------------------- hub

export interface HubDownloadParams {
  repoId: string;
  revision?: string;
  /** From VS Code's SecretStorage (command "XLM: Set Hugging Face Token"); never logged. */
  token?: string;
  /** `xlm.hub.offline`: serve from the cache only, never contact the Hub. */
  offline?: boolean;
  /**
   * The user agreed to the size. Without it, a download of 1 GB or more fails with code `hub/needs-confirmation`
   * and a message stating the size, before any byte is fetched; the extension asks and sends the request again.
   */
  confirmed?: boolean;
}
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

export interface ModelEnsureDefaultParams {
  /** The folder that holds `default-model/`: the extension's global storage path (context.globalStorageUri.fsPath). */
  storageDir: string;
}
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
  engineInfo, deviceResolve, modelLoad, modelInfo, tokenize, fillMask, classify, nli, zeroShot, embed, translate,
  trainStart, trainStop, evalRun, dataInspect, hubDownload, hubList, modelEnsureDefault,
} as const;

/** Every notification of the protocol (engine → extension). */
export const notifications = { engineLog, trainProgress, trainMetrics, trainLog, trainEnd, hubProgress, modelDefaultProgress } as const;

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
