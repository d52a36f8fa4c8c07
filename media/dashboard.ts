/**
 * The training dashboard's script: draws the selected runs' curves with uPlot (overlaid for comparison), the
 * progress, the configuration, the per-language evaluation table and the confusion matrix. Everything it shows
 * comes from messages of the extension; its state (the selected runs) survives hiding and reloads.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import { adviceInEditor, configKeyInWords, configValueInWords, describeLoss, evalChartKeys, evalChartTitle, formatTimeLeft, isRatioMetric, metricInWords, metricValue, type DashboardState, type FromDashboard, type MetricsRecord, type RunData, type RunProgress, type RunSummary, type ToDashboard } from '../src/panels/messages.js';
import { languageLabel } from './lib/language-label.js';
import { stepRange, stepTicks } from './lib/step-axis.js';
import { el, onThemeChange, themeColor, vscodeApi } from './lib/vscode.js';

const vscode = vscodeApi<FromDashboard, DashboardState>();
const app = document.getElementById('app')!;

let runs: RunSummary[] = [];
let selected: string[] = vscode.getState()?.selected ?? [];
const data = new Map<string, RunData>();
let progress: RunProgress | null = null;
const charts: uPlot[] = [];

interface ChartSpec {
  id: string;
  title: string;
  value: (r: MetricsRecord) => number | undefined;
  log?: boolean;
}

const CHARTS: ChartSpec[] = [
  { id: 'loss', title: 'Training loss', value: (r) => r.loss },
  { id: 'lr', title: 'Learning rate', value: (r) => r.lr },
  { id: 'grad', title: 'Gradient norm', value: (r) => r.grad_norm },
  { id: 'speed', title: 'Throughput (examples/s)', value: (r) => r.examples_per_s },
];

const palette = () => ['charts.blue', 'charts.orange', 'charts.green', 'charts.purple', 'charts.red', 'charts.yellow'].map((c, i) => themeColor(c, ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'][i]!));

window.addEventListener('message', (event: MessageEvent<ToDashboard>) => {
  const m = event.data;
  switch (m.type) {
    case 'runs':
      runs = m.runs;
      selected = m.selected;
      vscode.setState({ selected });
      break;
    case 'runData':
      data.clear();
      for (const run of m.runs) data.set(run.id, run);
      break;
    case 'append': {
      data.get(m.runId)?.records.push(...m.records);
      // The run list's step count follows the appended records, so it does not lag the progress line.
      const summary = runs.find((r) => r.id === m.runId);
      const last = m.records.filter((r) => r.loss !== undefined).at(-1);
      if (summary && last) Object.assign(summary, { steps: last.step, lastLoss: last.loss, live: true });
      break;
    }
    case 'progress':
      progress = m.progress;
      break;
  }
  render();
});
onThemeChange(render);
window.addEventListener('resize', () => charts.forEach((c) => c.setSize(chartSize())));
// Say 'ready' until the run list arrives: a panel revived while the extension is still activating can miss the first.
let answered = false;
window.addEventListener('message', (e: MessageEvent<ToDashboard>) => (answered ||= e.data.type === 'runs'));
vscode.postMessage({ type: 'ready' });
const hello = setInterval(() => (answered ? clearInterval(hello) : vscode.postMessage({ type: 'ready' })), 1500);

/** Charts laid out for the panel's width: as many columns of at least 380 px as fit, each filling its share. */
function chartSize(): { width: number; height: number } {
  // A little under the width, so that rounding and borders never push the last chart of a row onto the next.
  const available = Math.max(260, app.clientWidth - 24);
  const columns = Math.max(1, Math.floor((available + 16) / (380 + 16)));
  const width = Math.floor((available - 16 * (columns - 1)) / columns);
  return { width, height: Math.round(Math.min(240, Math.max(170, width * 0.45))) };
}

function render(): void {
  charts.splice(0).forEach((c) => c.destroy());
  app.replaceChildren();
  app.append(runList());
  if (progress) app.append(progressBar(progress));
  const shown = selected.map((id) => data.get(id)).filter((r): r is RunData => Boolean(r));
  if (!shown.length) {
    app.append(el('p', { className: 'empty' }, runs.length ? 'Select a run above.' : 'No runs yet. Start one with "XLM: Fine-tune XLM on workspace data", or open a run folder from elsewhere (a cluster job\'s output); runs appear here from their metrics.jsonl.'));
    return;
  }
  const grid = el('section', { className: 'charts' });
  app.append(grid);
  for (const spec of CHARTS) chart(grid, spec.title, spec.id, shown, spec.value);
  for (const key of evalChartKeys(shown)) chart(grid, evalChartTitle(key), `eval-${key}`, shown, (r) => r.eval?.[key], isRatioMetric(key));
  const first = shown[0]!;
  if (first.verdict) grid.before(verdictNote(first));
  app.append(configTable(first), languageTable(first), confusion(first));
  const bad = shown.flatMap((r) => r.badLines.map((l) => `${r.id}/metrics.jsonl:${l}`));
  if (bad.length) app.append(el('p', { className: 'warning' }, `Skipped lines that are not JSON: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ` and ${bad.length - 5} more` : ''}`));
}

/** Whether the run learned, from its verdict.json: a warning with the reasons and what to try, or one line. */
function verdictNote(run: RunData): HTMLElement {
  const v = run.verdict!;
  if (v.learned) {
    const parts = [
      v.finalLoss !== undefined && v.chanceLoss !== undefined ? `${describeLoss({ finalLoss: { value: v.finalLoss, steps: v.finalLossSteps } })} against ${v.chanceLoss.toFixed(3)} for guessing by label frequency` : '',
      v.evalAccuracy !== undefined && v.majorityAccuracy !== undefined ? `eval accuracy ${(100 * v.evalAccuracy).toFixed(1)}%, majority class ${(100 * v.majorityAccuracy).toFixed(1)}%` : '',
      v.evalF1 !== undefined && v.baselineF1 !== undefined ? `eval F1 ${(100 * v.evalF1).toFixed(1)}, answering ${v.baselineName ?? 'a trivial answer'} ${(100 * v.baselineF1).toFixed(1)}` : '',
    ].filter(Boolean);
    return el('p', { className: 'verdict learned' }, `${run.id} learned${parts.length ? `: ${parts.join('; ')}` : ''}.`);
  }
  return el(
    'section',
    { className: 'verdict not-learned' },
    el('h2', {}, `${run.id} did not learn`),
    el('ul', {}, ...v.reasons.map((r) => el('li', {}, r))),
    el('p', {}, 'Try:'),
    el('ul', {}, ...adviceInEditor(v).map((a) => el('li', {}, a))),
  );
}

function runList(): HTMLElement {
  const list = el('fieldset', { className: 'runs' }, el('legend', {}, 'Runs'));
  for (const run of runs) {
    const box = el('input', { type: 'checkbox', checked: selected.includes(run.id), value: run.id });
    box.addEventListener('change', () => {
      const ids = [...list.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
      vscode.postMessage({ type: 'selectRuns', runIds: ids });
    });
    const loss = describeLoss(run) ? ` · ${describeLoss(run)}` : '';
    const state = run.state === 'stopped' ? ' · stopped' : run.learned === false ? ' · did not learn' : '';
    const label = el('label', { className: `run${run.state === 'stopped' ? ' stopped' : ''}${run.learned === false ? ' not-learned' : ''}`, title: run.dir }, box, `${run.live ? '● ' : ''}${run.id} · step ${run.steps}${loss}${state}`);
    const item = el('span', { className: 'run-item' }, label);
    // A stopped run continues from its checkpoint; a final model that learned can serve a feature (as the finish
    // notice offers it: a model that did not learn is not offered).
    if (run.state === 'stopped') item.append(action('Resume', `Continue ${run.id} from its checkpoint at step ${run.steps}`, { type: 'resumeRun', runId: run.id }));
    if (run.hasModel && run.learned !== false) item.append(action('Use model…', `Use the model of ${run.id} for a feature it fits`, { type: 'useModel', runId: run.id }));
    list.append(item);
  }
  const tools = el('span', { className: 'run-tools' }, action('Open a run folder…', "Show a run folder from elsewhere, or a cluster job's output (trainer_state.json, metrics.jsonl)", { type: 'openRunFolder' }), action('Refresh', 'Read the run folders again', { type: 'refresh' }));
  list.append(tools);
  return list;
}

/** A small button that sends one message. */
function action(text: string, title: string, message: FromDashboard): HTMLElement {
  const button = el('button', { className: 'secondary', title }, text);
  button.addEventListener('click', () => vscode.postMessage(message));
  return button;
}

function progressBar(p: RunProgress): HTMLElement {
  const fraction = p.totalSteps ? p.step / p.totalSteps : 0;
  const eta = formatTimeLeft(p.etaSeconds);
  const stop = el('button', {}, 'Stop');
  stop.addEventListener('click', () => vscode.postMessage({ type: 'stopRun', runId: p.runId }));
  const bar = el('div', { className: 'bar' }, el('div', { className: 'fill' }));
  (bar.firstChild as HTMLElement).style.width = `${(100 * fraction).toFixed(1)}%`;
  return el('section', { className: 'progress' }, el('span', {}, `${p.runId}: step ${p.step} / ${p.totalSteps} (${Math.round(100 * fraction)}%) · ${eta}`), bar, stop);
}

function chart(parent: HTMLElement, title: string, id: string, shown: RunData[], value: (r: MetricsRecord) => number | undefined, ratio = false): void {
  const tables: uPlot.AlignedData[] = [];
  const kept: RunData[] = [];
  for (const run of shown) {
    const points = run.records.map((r) => [r.step, value(r)] as const).filter((pt): pt is readonly [number, number] => typeof pt[1] === 'number' && Number.isFinite(pt[1]));
    if (!points.length) continue;
    tables.push([points.map((pt) => pt[0]), points.map((pt) => pt[1])]);
    kept.push(run);
  }
  if (!tables.length) return;
  const aligned = tables.length === 1 ? tables[0]! : uPlot.join(tables);
  const colors = palette();
  const fg = themeColor('foreground', '#ccc');
  const grid = themeColor('editorWidget.border', '#8884');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const box = el('figure', { className: 'chart' });
  box.dataset.chart = id;
  box.dataset.points = String(tables.reduce((n, t) => n + t[0].length, 0));
  parent.append(box);
  charts.push(
    new uPlot(
      {
        title,
        ...chartSize(),
        // Axes from the data: steps from the first to the last point drawn; a ratio (accuracy, F1, exact match) stays within [0, 1].
        scales: { x: { time: false, range: (_u, min, max) => stepRange(min, max) }, ...(ratio ? { y: { range: ratioRange } } : {}) },
        // Whole steps only, one tick per STEP_TICK_PX at most.
        axes: [{ ...axis, label: 'step', splits: (u: uPlot, _axis: number, min: number, max: number) => stepTicks(min, max, u.bbox.width / devicePixelRatio / STEP_TICK_PX) }, { ...axis, size: 64, values: (_u: uPlot, splits: number[]) => splits.map(ratio ? percentTick : tick) }],
        series: [{ label: 'step' }, ...kept.map((run, i) => ({ label: run.id, stroke: colors[i % colors.length], width: 2, spanGaps: true, points: { show: tables[i]![0].length < 40 } }))],
        legend: { show: kept.length > 1 },
      },
      aligned,
      box,
    ),
  );
}

/** The narrowest room a step tick gets on the axis (uPlot's own spacing is 50). */
const STEP_TICK_PX = 60;

/** A ratio's axis: the data's span with a little room, never below 0 or above 1. */
function ratioRange(_u: uPlot, min: number, max: number): uPlot.Range.MinMax {
  const pad = Math.max(0.02, (max - min) * 0.1);
  return [Math.max(0, min - pad), Math.min(1, max + pad)];
}

/** A share's axis in percent, as the tables and the run line give it: 0.85 → "85%". */
function percentTick(v: number): string {
  return `${Number((100 * v).toPrecision(3))}%`;
}

/** Axis numbers that stay readable from learning rates (1e-5) to token throughput (1e4). */
function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-2 || a >= 1e5) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

function configTable(run: RunData): HTMLElement {
  // Keys in words (batchSize: "batch size"); the key itself is the cell's tooltip.
  const rows = Object.entries(run.config).map(([k, v]) => {
    const value = configValueInWords(k, v);
    return el('tr', {}, el('th', { title: k }, configKeyInWords(k)), el('td', value.title ? { title: value.title } : {}, value.text));
  });
  return el('section', { className: 'config' }, el('h2', {}, `Configuration of ${run.id}`), rows.length ? el('table', {}, ...rows) : el('p', { className: 'empty' }, 'No config.json in this run.'));
}

function languageTable(run: RunData): HTMLElement {
  const last = [...run.records].reverse().find((r) => r.eval && Object.keys(r.eval).some((k) => k.includes('/')));
  const section = el('section', { className: 'languages' }, el('h2', {}, 'Evaluation per language'));
  if (!last?.eval) return section.appendChild(el('p', { className: 'empty' }, 'No per-language metrics yet (eval lines with keys like accuracy/de).')).parentElement!;
  const byLang = new Map<string, Map<string, number>>();
  for (const [key, v] of Object.entries(last.eval)) {
    const [metric, lang] = key.split('/');
    if (!lang || !metric) continue;
    if (!byLang.has(lang)) byLang.set(lang, new Map());
    byLang.get(lang)!.set(metric, v);
  }
  const metrics = [...new Set([...byLang.values()].flatMap((m) => [...m.keys()]))];
  const head = el('tr', {}, el('th', {}, 'language'), ...metrics.map((m) => el('th', { title: m }, metricInWords(m))));
  const rows = [...byLang].map(([lang, m]) => el('tr', {}, el('td', { title: lang }, languageLabel(lang)), ...metrics.map((k) => el('td', { className: 'num' }, m.has(k) ? metricValue(k, m.get(k)!) : '–'))));
  // Keys that are scripts: rows without a language, grouped by writing system (a script one language owns is named as that language).
  const scripts = [...byLang.keys()].some((k) => languageLabel(k).endsWith(' script'));
  section.append(el('p', { className: 'note' }, scripts ? `step ${last.step} · rows without a language grouped by writing system` : `step ${last.step}`), el('table', {}, head, ...rows));
  return section;
}

function confusion(run: RunData): HTMLElement {
  const last = [...run.records].reverse().find((r) => r.confusion && r.labels);
  const section = el('section', { className: 'confusion' }, el('h2', {}, 'Confusion matrix'));
  if (!last?.confusion || !last.labels) {
    // A finished run (it has a verdict) will not get one: say which runs have one instead of "yet".
    const evaluated = run.records.some((r) => r.eval);
    const why = !run.verdict
      ? 'No confusion matrix yet: it comes with the first evaluation of a classifier.'
      : evaluated
        ? 'No confusion matrix: this run\'s evaluations have none (a classifier\'s evaluations do; token classification reports scores per entity type).'
        : 'No confusion matrix: this run made no evaluation (give it evaluation data, or a training file large enough to hold a tenth out).';
    return section.appendChild(el('p', { className: 'empty' }, why)).parentElement!;
  }
  const max = Math.max(1, ...last.confusion.flat());
  const head = el('tr', {}, el('th', {}, 'gold \\ predicted'), ...last.labels.map((l) => el('th', {}, l)));
  const rows = last.confusion.map((row, i) =>
    el('tr', {}, el('th', {}, last.labels![i] ?? String(i)), ...row.map((n) => {
      const cell = el('td', { className: 'heat', title: `${n}` }, String(n));
      cell.style.setProperty('--heat', `${Math.round((100 * n) / max)}%`);
      return cell;
    })),
  );
  section.append(el('table', {}, head, ...rows));
  return section;
}
