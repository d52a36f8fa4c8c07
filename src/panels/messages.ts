/**
 * Every message between the extension and its webviews: one discriminated union per direction, shared by the
 * panel scripts (media/*.ts) and the panel classes. Messages from a webview are untrusted input: they pass through
 * a parser that checks every field before the extension acts on them.
 */

// ------------------------------------------------------------------ what the panels show

// The webview scripts compile this file too and import nothing of the engine, so the engine results the panels draw
// are spelled out here. messages-protocol.ts checks at compile time that each is the protocol's type, field for field.

/** A label and its probability (protocol.ts's LabelScore). */
export interface LabelScore {
  label: string;
  score: number;
}

/** The candidates for each `<mask>` of a text, and the text filled with the best ones (protocol.ts's FillMaskResult). */
export interface FillMaskResult {
  masks: { candidates: { token: string; text: string; id: number; score: number; startsWord: boolean }[]; offer: { token: string; text: string; id: number; score: number; startsWord: boolean; rank: number }; listed: number[]; words: number }[];
  filled: string;
  filledWords: string;
}

type Mask = FillMaskResult['masks'][number];
type Candidate = Mask['candidates'][number];

/**
 * A mask's candidates as the masked-word panel lists them: where the mask stands alone between spaces, the whole
 * words first (the offer, then the others as an editor lists them, each with its own probability) and the pieces
 * and marks after them, most probable first; where it touches other text, the model's order, all as `rest`.
 */
export function panelCandidates(mask: Mask): { words: Candidate[]; rest: Candidate[] } {
  if (mask.words === 0) return { words: [], rest: mask.candidates };
  const { rank: _rank, ...offer } = mask.offer;
  const ordered = [offer, ...mask.listed.map((j) => mask.candidates[j]!)];
  return { words: ordered.slice(0, mask.words), rest: ordered.slice(mask.words) };
}

/** Entailment, neutral and contradiction probabilities (protocol.ts's NliResult). */
export interface NliResult {
  entailment: number;
  neutral: number;
  contradiction: number;
}

/** One line of a run's metrics.jsonl: a training step, or an evaluation (protocol.ts's MetricsRecord). */
export interface MetricsRecord {
  step: number;
  epoch: number;
  loss?: number;
  lr?: number;
  grad_norm?: number;
  examples_per_s?: number;
  tokens_per_s?: number;
  eval?: Record<string, number>;
  confusion?: number[][];
  labels?: string[];
  /** Translation eval lines: sacreBLEU's signature of each pooled score. */
  signatures?: Record<string, string>;
}

/**
 * The eval metrics the dashboard draws a curve of: every pooled key of the runs' eval lines (accuracy, macro_f1,
 * loss; bleu, chrf, chrf++ of translation runs), in order of first appearance. Keys with a `/` (`accuracy/de`,
 * `bleu/en-de`) go to the per-language table instead.
 */
export function evalChartKeys(runs: readonly { records: readonly MetricsRecord[] }[]): string[] {
  return [...new Set(runs.flatMap((r) => r.records.flatMap((x) => Object.keys(x.eval ?? {}).filter((k) => !k.includes('/')))))];
}

/**
 * Whether an eval metric is a ratio in [0, 1] (accuracy, F1, precision, recall, and question answering's exact
 * match), drawn on an axis that never leaves [0, 1]; BLEU and chrF are 0–100 and loss is unbounded.
 */
export function isRatioMetric(key: string): boolean {
  return /(accuracy|f1|precision|recall|exact_match)$/.test(key);
}

/** The dashboard's title of an eval metric's chart, in words. */
export function evalChartTitle(key: string): string {
  return `Evaluation: ${metricInWords(key)}`;
}

/** An evaluation metric's key in words: "macro_f1" → "macro F1", "top5_accuracy" → "top-5 accuracy". */
export function metricInWords(key: string): string {
  const words: Record<string, string> = { exact_match: 'exact match (EM)', f1: 'F1', macro_f1: 'macro F1', micro_f1: 'micro F1', bleu: 'BLEU', chrf: 'chrF', 'chrf++': 'chrF++' };
  const top = /^top(\d+)_accuracy$/.exec(key);
  return words[key] ?? (top ? `top-${top[1]} accuracy` : key.replace(/_/g, ' '));
}

/** A metric's value as the dashboard's tables show it: a share as a percentage, anything else with 3 decimals. */
export function metricValue(key: string, v: number): string {
  return isRatioMetric(key) ? `${(100 * v).toFixed(1)}%` : v.toFixed(3);
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/**
 * A language code's English name (ICU's Intl.DisplayNames, no fallback): `deu` → German, `de-CH` → Swiss High
 * German; undefined for what is not a code ICU names. Shared by the dashboard's per-language table
 * (media/lib/language-label.ts) and the extension's label words (src/features/labelNames.ts).
 */
export function languageNameOfCode(code: string): string | undefined {
  if (!/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/.test(code)) return undefined;
  try {
    return languageNames.of(code.replaceAll('_', '-'));
  } catch {
    return undefined;
  }
}

const TASK_IN_WORDS: Record<string, string> = {
  'sequence-classification': 'text classification',
  'pair-classification': 'pair classification',
  'token-classification': 'token classification (entities)',
  'masked-lm': 'masked-language-model adaptation',
  'question-answering': 'question answering',
  translation: 'translation',
};

/**
 * A run configuration's value in words, with the value as written kept for the tooltip: the task and method as the
 * wizard names them, a path by its last part (the model that ships as "the default model"), a start time in local
 * time, `auto` as what it means.
 */
export function configValueInWords(key: string, value: unknown): { text: string; title?: string } {
  if (typeof value === 'object' && value !== null) return { text: JSON.stringify(value) };
  const raw = String(value);
  if (key === 'task' && TASK_IN_WORDS[raw]) return { text: TASK_IN_WORDS[raw], title: raw };
  if (key === 'method' && (raw === 'lora' || raw === 'full')) return { text: raw === 'lora' ? 'LoRA' : 'full fine-tuning', title: raw };
  if (key === 'device' && raw === 'auto') return { text: 'automatic (a GPU when one works, else the CPU)', title: raw };
  if (/^(?:\/|[A-Za-z]:[\\/]|\\\\)/.test(raw)) {
    const parts = raw.split(/[\\/]+/).filter(Boolean);
    const name = parts.at(-1) ?? raw;
    const shipped = key === 'model' && name === 'default' && parts.at(-2) === 'models';
    // A file keeps its folder (langid/train.jsonl and pairs/train.jsonl are both train.jsonl); a folder its name.
    const shown = /\.[A-Za-z0-9]{1,6}$/.test(name) && parts.length > 1 ? `${parts.at(-2)}/${name}` : name;
    return { text: shipped ? 'the default model' : shown, title: raw };
  }
  if ((key === 'started' || key === 'finished' || key.endsWith('At')) && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(raw)) {
    const when = new Date(raw);
    if (!Number.isNaN(when.getTime())) {
      const pad = (n: number) => String(n).padStart(2, '0');
      return { text: `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ${pad(when.getHours())}:${pad(when.getMinutes())}`, title: raw };
    }
  }
  return { text: raw };
}

/** A run configuration's key in words: "batchSize" → "batch size", "max_length" → "max length". */
export function configKeyInWords(key: string): string {
  const named: Record<string, string> = { loraR: 'LoRA rank', loraAlpha: 'LoRA alpha', loraTargets: 'LoRA targets', loraRank: 'LoRA rank', lr: 'learning rate' };
  return named[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

export interface RunSummary {
  id: string;
  dir: string;
  /** The last step in metrics.jsonl so far. */
  steps: number;
  /** The training loss of that last step (one noisy step: shown as "last step's loss"). */
  lastLoss?: number;
  /** A finished run's final loss and how many steps it averages (its verdict's, the number the verdict judges). */
  finalLoss?: { value: number; steps?: number };
  modified: number;
  live: boolean;
  /** finished (verdict.json written), stopped (a checkpoint and no final model), or still being written / unknown. */
  state: 'finished' | 'stopped' | 'unknown';
  /** For a finished run: whether it learned. */
  learned?: boolean;
  /** Whether the folder holds a final model (config.json and weights or a LoRA adapter) that can serve a feature. */
  hasModel: boolean;
}

/** A finished run's verdict (RUN/verdict.json): whether it learned, why not and what to try (protocol.ts's TrainVerdict). */
export interface RunVerdict {
  learned: boolean;
  reasons: string[];
  advice: string[];
  /** What in the training file to check (the labels, or QA answers' offsets), named in each surface's own words. */
  dataCheck?: 'labels' | 'answers';
  finalLoss?: number;
  /** How many logged steps finalLoss averages (absent in verdicts of earlier versions: the last tenth). */
  finalLossSteps?: number;
  chanceLoss?: number;
  evalAccuracy?: number;
  majorityAccuracy?: number;
  /** Question answering: the eval F1 (0–1), and that of the better trivial answer (first sentence, or no answer). */
  evalF1?: number;
  baselineF1?: number;
  baselineName?: string;
}

/**
 * The loss a run list and a verdict show, with what it is: a finished run's "final loss 0.735 (mean of the last 13
 * steps)", the same number its verdict judged; a run still going (or stopped) has only its last step's loss.
 */
export function describeLoss(run: Pick<RunSummary, 'lastLoss' | 'finalLoss'>): string | undefined {
  if (run.finalLoss) {
    const { value, steps } = run.finalLoss;
    return `final loss ${value.toFixed(3)} (${steps === undefined ? 'mean of the last tenth of the steps' : steps === 1 ? 'its last step' : `mean of the last ${steps} steps`})`;
  }
  return run.lastLoss === undefined ? undefined : `last step's loss ${run.lastLoss.toFixed(3)}`;
}

/**
 * What a run that did not learn should try, in the editor's words: the engine's advice, then the data check named
 * by the editor's own command (the CLI names its `xlm data` commands instead).
 */
export function adviceInEditor(v: Pick<RunVerdict, 'advice' | 'dataCheck'>): string[] {
  if (!v.dataCheck) return v.advice;
  const check =
    v.dataCheck === 'answers'
      ? 'check that each answer is in its context at the offset answer_start gives: a wrong offset teaches the model the wrong words'
      : 'check that the labels follow from the text: "XLM: Audit labels of this file" on the training file marks conflicting duplicates and labels the model doubts';
  return [...v.advice, check];
}

/** Time left in words: "45 s left", "3 min left", "1 h 05 min left". */
export function formatTimeLeft(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'time left unknown';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s left`;
  // Whole minutes first, then hours: 3,590 s is "1 h 00 min", not "60 min".
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min left`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min left`;
}

export interface RunData {
  id: string;
  dir: string;
  config: Record<string, unknown>;
  records: MetricsRecord[];
  /** Lines of metrics.jsonl that were not valid JSON (reported, not drawn). */
  badLines: number[];
  verdict?: RunVerdict;
}

export interface RunProgress {
  runId: string;
  step: number;
  totalSteps: number;
  etaSeconds: number | null;
}

// ------------------------------------------------------------------ dashboard

export type ToDashboard =
  | { type: 'runs'; runs: RunSummary[]; selected: string[] }
  | { type: 'runData'; runs: RunData[] }
  | { type: 'append'; runId: string; records: MetricsRecord[] }
  | { type: 'progress'; progress: RunProgress | null };

export type FromDashboard =
  | { type: 'ready' }
  | { type: 'selectRuns'; runIds: string[] }
  | { type: 'stopRun'; runId: string }
  | { type: 'refresh' }
  /** Continue a stopped run from its checkpoint (Resume training). */
  | { type: 'resumeRun'; runId: string }
  /** Offer the run's model to the features it fits ("Use for …"). */
  | { type: 'useModel'; runId: string }
  /** Pick a folder (a cluster job's output, a run folder from elsewhere) and show its runs (Open a run folder). */
  | { type: 'openRunFolder' };

/** What the dashboard keeps with vscode.setState, and what the serializer gets back after a reload. */
export interface DashboardState {
  selected: string[];
}

// ------------------------------------------------------------------ masked-word panel

export type ToMaskPanel =
  | { type: 'loading'; sentence: string }
  | { type: 'result'; sentence: string; result: FillMaskResult }
  | { type: 'message'; text: string; action?: { label: string; command: string } };

export type FromMaskPanel = { type: 'ready' } | { type: 'insert'; maskIndex: number; text: string } | { type: 'runCommand'; command: string };

// ------------------------------------------------------------------ NLI panel

export type ToNliPanel =
  | { type: 'inputs'; premise: string; hypothesis: string }
  | { type: 'nli'; premise: string; hypothesis: string; scores: NliResult }
  | { type: 'zeroShot'; text: string; labels: LabelScore[] }
  /** `selectModel`: the message is that no model serves NLI, and the panel offers the picker for that slot. */
  | { type: 'message'; text: string; selectModel?: boolean };

/** What the NLI panel's page keeps in its webview state, so a hidden tab or a reload shows it again. */
export interface NliPanelState {
  premise: string;
  hypothesis: string;
  zsText: string;
  zsLabels: string;
  nli?: NliResult;
  zeroShot?: LabelScore[];
  /** The last error or notice shown, until the next result replaces it. */
  message?: string;
  /** The message offers the model picker (no model serves NLI). */
  selectModel?: boolean;
}

export type FromNliPanel =
  | { type: 'ready' }
  | { type: 'checkEntailment'; premise: string; hypothesis: string }
  | { type: 'zeroShot'; text: string; labels: string[] }
  | { type: 'selectModel' };

// ------------------------------------------------------------------ answers panel (Ask a question about this file)

/**
 * One answer as the panel lists it: its probability among the top spans, its [start, end) in the document (UTF-16
 * code units, as VS Code counts), and the sentence around it cut into the text before the answer, the answer and
 * the text after it (runs of whitespace shown as one space), so the page can highlight the span.
 */
export interface PanelAnswer {
  answer: string;
  score: number;
  start: number;
  end: number;
  before: string;
  after: string;
}

/** The answers to one question about one document. */
export interface PanelAnswers {
  question: string;
  /** The document's URI (the page sends it back with a click, so a reloaded panel still selects in the right file). */
  uri: string;
  /** The document's name for people (its workspace-relative path, or "Untitled-1"). */
  document: string;
  /** Whether the answers were taken from a selection rather than the whole document. */
  fromSelection: boolean;
  answers: PanelAnswer[];
}

export type ToAnswersPanel =
  | { type: 'answers'; answers: PanelAnswers }
  /** Which row is selected in the editor now (after a click, or -1 when the text there changed). */
  | { type: 'selected'; index: number }
  | { type: 'message'; text: string };

/** What the answers panel keeps in its webview state: a hidden tab or a reload shows the same list. */
export interface AnswersPanelState {
  answers?: PanelAnswers;
  selected?: number;
  message?: string;
}

export type FromAnswersPanel =
  | { type: 'ready' }
  /** A row was clicked: select that answer in its document. */
  | { type: 'reveal'; uri: string; index: number; start: number; end: number; answer: string }
  /** What the page shows after drawing a list: each row's text as rendered (rank, answer, score, sentence). */
  | { type: 'shown'; rows: string[] };

// ------------------------------------------------------------------ validation of webview → extension messages

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 100_000): v is string => typeof v === 'string' && v.length <= max;
const isStrArray = (v: unknown, maxItems = 1000): v is string[] => Array.isArray(v) && v.length <= maxItems && v.every((s) => isStr(s, 1000));

/** Commands a panel may ask the extension to run (its "fix" buttons); anything else is refused. */
export const PANEL_COMMANDS = ['xlm.selectModel', 'xlm.restartEngine', 'xlm.showLog', 'xlm.fineTune'] as const;

export function parseFromDashboard(m: unknown): FromDashboard | undefined {
  if (!isObj(m)) return undefined;
  switch (m.type) {
    case 'ready':
    case 'refresh':
    case 'openRunFolder':
      return { type: m.type };
    case 'selectRuns':
      return isStrArray(m.runIds, 50) ? { type: 'selectRuns', runIds: m.runIds } : undefined;
    case 'stopRun':
    case 'resumeRun':
    case 'useModel':
      return isStr(m.runId, 200) ? { type: m.type, runId: m.runId } : undefined;
  }
  return undefined;
}

export function parseFromMaskPanel(m: unknown): FromMaskPanel | undefined {
  if (!isObj(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'insert':
      return Number.isInteger(m.maskIndex) && (m.maskIndex as number) >= 0 && isStr(m.text, 200) ? { type: 'insert', maskIndex: m.maskIndex as number, text: m.text } : undefined;
    case 'runCommand':
      return isStr(m.command) && (PANEL_COMMANDS as readonly string[]).includes(m.command) ? { type: 'runCommand', command: m.command } : undefined;
  }
  return undefined;
}

export function parseFromNliPanel(m: unknown): FromNliPanel | undefined {
  if (!isObj(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'checkEntailment':
      return isStr(m.premise, 10_000) && isStr(m.hypothesis, 10_000) ? { type: 'checkEntailment', premise: m.premise, hypothesis: m.hypothesis } : undefined;
    case 'zeroShot':
      return isStr(m.text, 10_000) && isStrArray(m.labels, 100) ? { type: 'zeroShot', text: m.text, labels: m.labels } : undefined;
    case 'selectModel':
      return { type: 'selectModel' };
  }
  return undefined;
}

const isOffset = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

export function parseFromAnswersPanel(m: unknown): FromAnswersPanel | undefined {
  if (!isObj(m)) return undefined;
  switch (m.type) {
    case 'ready':
      return { type: 'ready' };
    case 'reveal':
      return isStr(m.uri, 4000) && isOffset(m.index) && isOffset(m.start) && isOffset(m.end) && (m.end as number) >= (m.start as number) && isStr(m.answer, 10_000)
        ? { type: 'reveal', uri: m.uri, index: m.index as number, start: m.start as number, end: m.end as number, answer: m.answer }
        : undefined;
    case 'shown':
      return Array.isArray(m.rows) && m.rows.length <= 100 && m.rows.every((r) => isStr(r, 20_000)) ? { type: 'shown', rows: m.rows as string[] } : undefined;
  }
  return undefined;
}

export function parseDashboardState(s: unknown): DashboardState {
  return isObj(s) && isStrArray(s.selected, 50) ? { selected: s.selected } : { selected: [] };
}
