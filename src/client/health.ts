/**
 * The engine's one health model and how the status item shows it. Pure data and strings: ctx.ts owns the state,
 * this file only says how each state reads, so every state has exactly one look.
 */
import { formatTimeLeft } from '../panels/messages.js';

export type Health =
  | { kind: 'stopped'; onPurpose: boolean }
  | { kind: 'starting' }
  | { kind: 'loadingModel'; model: string }
  | { kind: 'ready'; model?: string }
  | { kind: 'busy'; what: string }
  | { kind: 'training'; runId: string; percent: number; etaSeconds: number | null }
  | { kind: 'error'; message: string };

export interface HealthView {
  text: string;
  /** First line of the tooltip; the actions follow it. */
  summary: string;
  severity: 'ok' | 'warning' | 'error';
}

/** What each request does, in words for the status item (never the method's name). */
const DOING: Record<string, string> = {
  'engine/info': 'starting',
  'device/resolve': 'checking the device',
  'model/load': 'loading a model',
  'model/capabilities': 'reading model folders',
  'model/info': 'reading the model',
  'model/ensureDefault': 'preparing the default model',
  tokenize: 'tokenizing',
  fillMask: 'filling in',
  classify: 'classifying',
  qa: 'answering',
  entities: 'finding entities',
  nli: 'checking entailment',
  zeroShot: 'labelling',
  embed: 'reading sentences',
  languageId: 'identifying the language',
  translate: 'translating',
  'train/start': 'starting a training run',
  'train/defaults': 'choosing training settings',
  'train/stop': 'stopping training',
  'eval/run': 'evaluating',
  'data/inspect': 'reading the data file',
  'hub/download': 'downloading a model',
  'hub/list': 'listing downloaded models',
};

export function describeWork(method: string): string {
  return DOING[method] ?? 'working';
}

export function viewHealth(h: Health, device: string): HealthView {
  const dev = device.toUpperCase();
  switch (h.kind) {
    case 'stopped':
      return {
        text: '$(circle-slash) XLM',
        summary: h.onPurpose ? 'Engine stopped. It starts again with Restart engine.' : 'Engine not running. It starts on the first request.',
        severity: h.onPurpose ? 'warning' : 'ok',
      };
    case 'starting':
      return { text: '$(loading~spin) XLM: starting', summary: 'Engine starting…', severity: 'ok' };
    case 'loadingModel':
      return { text: `$(loading~spin) XLM: loading model`, summary: `Loading ${h.model}…`, severity: 'ok' };
    case 'ready':
      return { text: `$(check) XLM · ${dev}`, summary: h.model ? `Ready on ${dev} with ${h.model}` : `Ready on ${dev}; no model loaded yet`, severity: 'ok' };
    case 'busy':
      return { text: `$(loading~spin) XLM: ${describeWork(h.what)} · ${dev}`, summary: `Working: ${describeWork(h.what)}`, severity: 'ok' };
    case 'training':
      return {
        text: `$(pulse) XLM: training ${Math.round(h.percent)}% · ${formatTimeLeft(h.etaSeconds)} · ${dev}`,
        summary: `Training run ${h.runId}: ${Math.round(h.percent)}%, ${formatTimeLeft(h.etaSeconds)}`,
        severity: 'ok',
      };
    case 'error':
      return { text: '$(error) XLM: error', summary: h.message, severity: 'error' };
  }
}

/**
 * A feature that cannot run turns an idle item (ready, or not started yet: a feature can find no model before any
 * request reaches the engine) to a warning with a "why" action, as vscode-eslint does; busy, training and failed
 * items keep their own look.
 */
export function withProblems(view: HealthView, h: Health, problems: number): HealthView {
  const idle = h.kind === 'ready' || (h.kind === 'stopped' && !h.onPurpose);
  if (!idle || problems === 0) return view;
  return {
    text: view.text.replace('$(check)', '$(warning)').replace('$(circle-slash)', '$(warning)'),
    severity: 'warning',
    summary: `${view.summary.replace(/\.$/, '')}. ${problems === 1 ? 'A feature cannot' : `${problems} features cannot`} run: [$(question) Why?](command:xlm.showProblems)`,
  };
}
