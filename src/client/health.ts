/**
 * The engine's one health model and how the status item shows it. Pure data and strings: ctx.ts owns the state,
 * this file only says how each state reads, so every state has exactly one look.
 */
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

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'ETA unknown';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `ETA ${s}s`;
  if (s < 3600) return `ETA ${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `ETA ${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
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
      return { text: `$(loading~spin) XLM: ${h.what} · ${dev}`, summary: `Working: ${h.what}`, severity: 'ok' };
    case 'training':
      return {
        text: `$(pulse) XLM: training ${Math.round(h.percent)}% · ${formatEta(h.etaSeconds)} · ${dev}`,
        summary: `Training run ${h.runId}: ${Math.round(h.percent)}%, ${formatEta(h.etaSeconds)}`,
        severity: 'ok',
      };
    case 'error':
      return { text: '$(error) XLM: error', summary: h.message, severity: 'error' };
  }
}
