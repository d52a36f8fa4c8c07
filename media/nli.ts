/** The NLI panel's script: premise/hypothesis inputs with three probability bars, and zero-shot labels. */
import './nli.css';
import type { FromNliPanel, ToNliPanel } from '../src/panels/messages.js';
import { el, percent, vscodeApi } from './lib/vscode.js';

const vscode = vscodeApi<FromNliPanel>();
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

app.append(
  el('h2', {}, 'Premise and hypothesis'), el('label', { htmlFor: 'premise' }, 'Premise'), premise, el('label', { htmlFor: 'hypothesis' }, 'Hypothesis'), hypothesis, check, nliResult, message,
  el('h2', {}, 'Zero-shot labels'), zsText, zsLabels, zsRun, zsResult,
);
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

window.addEventListener('message', (event: MessageEvent<ToNliPanel>) => {
  const m = event.data;
  message.textContent = '';
  if (m.type === 'inputs') {
    premise.value = m.premise;
    hypothesis.value = m.hypothesis;
  } else if (m.type === 'nli') {
    bars(nliResult, [['entailment', m.scores.entailment], ['neutral', m.scores.neutral], ['contradiction', m.scores.contradiction]]);
  } else if (m.type === 'zeroShot') {
    bars(zsResult, m.labels.map((l) => [l.label, l.score]));
  } else {
    message.textContent = m.text;
  }
});
vscode.postMessage({ type: 'ready' });
