/** The NLI panel's script: premise/hypothesis inputs with three probability bars, and zero-shot labels. */
import './nli.css';
import type { FromNliPanel, NliPanelState, ToNliPanel } from '../src/panels/messages.js';
import { el, percent, vscodeApi } from './lib/vscode.js';

// The panel's inputs, results and message live in the webview state: a hidden tab's page is unloaded and a
// reload starts it again, and both come back to what the user left (VS Code keeps the state for the panel).
const vscode = vscodeApi<FromNliPanel, NliPanelState>();
const app = document.getElementById('app')!;

const premise = el('textarea', { id: 'premise', rows: 3, placeholder: 'Premise' });
const hypothesis = el('textarea', { id: 'hypothesis', rows: 2, placeholder: 'Hypothesis' });
const check = el('button', {}, 'Check entailment');
const nliResult = el('div', { className: 'bars', id: 'nli-result' });
const zsText = el('textarea', { id: 'zs-text', rows: 2, placeholder: 'Text to label' });
const zsLabels = el('input', { type: 'text', id: 'zs-labels', placeholder: 'Labels, comma-separated (sport, politics, weather)' });
const zsRun = el('button', { className: 'secondary' }, 'Rank labels');
const zsResult = el('div', { className: 'bars', id: 'zs-result' });
const message = el('p', { className: 'warning' });
// Offered with a message that no model serves NLI: opens the picker for that feature.
const pick = el('button', { className: 'secondary', hidden: true }, 'Select a model for NLI');
pick.addEventListener('click', () => vscode.postMessage({ type: 'selectModel' }));

app.append(
  el('h2', {}, 'Premise and hypothesis'), el('label', { htmlFor: 'premise' }, 'Premise'), premise, el('label', { htmlFor: 'hypothesis' }, 'Hypothesis'), hypothesis, check, nliResult, message, pick,
  el('h2', {}, 'Zero-shot labels'), zsText, zsLabels, zsRun, zsResult,
);
// Defaults first: a state saved by an older version of the panel may lack a field.
let state: NliPanelState = { premise: '', hypothesis: '', zsText: '', zsLabels: '', ...vscode.getState() };
premise.value = state.premise;
hypothesis.value = state.hypothesis;
zsText.value = state.zsText;
zsLabels.value = state.zsLabels;
if (state.nli) showNli(state.nli);
if (state.zeroShot) bars(zsResult, state.zeroShot.map((l) => [l.label, l.score]));
if (state.message) message.textContent = state.message;
pick.hidden = !state.selectModel;

function save(change: Partial<NliPanelState>): void {
  state = { ...state, premise: premise.value, hypothesis: hypothesis.value, zsText: zsText.value, zsLabels: zsLabels.value, ...change };
  vscode.setState(state);
}
for (const input of [premise, hypothesis, zsText, zsLabels]) input.addEventListener('input', () => save({}));

check.addEventListener('click', () => vscode.postMessage({ type: 'checkEntailment', premise: premise.value, hypothesis: hypothesis.value }));
zsRun.addEventListener('click', () => vscode.postMessage({ type: 'zeroShot', text: zsText.value, labels: zsLabels.value.split(',').map((s) => s.trim()).filter(Boolean) }));

function bars(target: HTMLElement, rows: [string, number][]): void {
  target.replaceChildren();
  for (const [label, score] of rows) {
    const bar = el('div', { className: 'bar' }, el('div', { className: 'fill' }));
    (bar.firstChild as HTMLElement).style.width = percent(score);
    target.append(el('span', { className: `label ${label}` }, label), bar, el('span', { className: 'num' }, percent(score)));
  }
}

function showNli(scores: NonNullable<NliPanelState['nli']>): void {
  bars(nliResult, [['entailment', scores.entailment], ['neutral', scores.neutral], ['contradiction', scores.contradiction]]);
}

window.addEventListener('message', (event: MessageEvent<ToNliPanel>) => {
  const m = event.data;
  message.textContent = '';
  pick.hidden = true;
  if (m.type === 'inputs') {
    premise.value = m.premise;
    hypothesis.value = m.hypothesis;
    save({ message: undefined, selectModel: false });
  } else if (m.type === 'nli') {
    showNli(m.scores);
    save({ nli: m.scores, message: undefined, selectModel: false });
  } else if (m.type === 'zeroShot') {
    bars(zsResult, m.labels.map((l) => [l.label, l.score]));
    save({ zeroShot: m.labels, message: undefined, selectModel: false });
  } else {
    message.textContent = m.text;
    pick.hidden = !m.selectModel;
    save({ message: m.text, selectModel: m.selectModel === true });
  }
});
vscode.postMessage({ type: 'ready' });
