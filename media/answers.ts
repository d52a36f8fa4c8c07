/**
 * The answers panel's script: the question, then one row per answer span, best first, with its probability and
 * the sentence around it (the span highlighted). Clicking a row (or Enter on it) asks the extension to select that
 * span in the document. The list and the selected row live in the webview state, so they survive a hidden tab and
 * a window reload.
 */
import './answers.css';
import type { AnswersPanelState, FromAnswersPanel, PanelAnswers, ToAnswersPanel } from '../src/panels/messages.js';
import { el, percent, vscodeApi } from './lib/vscode.js';

const vscode = vscodeApi<FromAnswersPanel, AnswersPanelState>();
const app = document.getElementById('app')!;
let state: AnswersPanelState = { ...vscode.getState() };

function save(change: Partial<AnswersPanelState>): void {
  state = { ...state, ...change };
  vscode.setState(state);
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ');

function render(): void {
  app.replaceChildren();
  const { answers, selected, message } = state;
  if (!answers) {
    app.append(el('p', { className: 'empty' }, 'Run "XLM: Ask a question about this file" in an editor; its answers appear here.'));
  } else {
    app.append(
      el('h2', {}, answers.question),
      el('p', { className: 'note' }, `From ${answers.fromSelection ? 'the selection in ' : ''}${answers.document}. ${answers.answers.length ? 'The best answer is selected in the editor; click another to select it instead.' : ''}`),
    );
    if (!answers.answers.length) app.append(el('p', { className: 'empty' }, 'No answer was found in this text.'));
    else app.append(list(answers, selected ?? 0));
  }
  if (message) app.append(el('p', { className: 'warning', id: 'message' }, message));
  vscode.postMessage({ type: 'shown', rows: [...app.querySelectorAll('li.answer')].map(rowText) });
}

/** A drawn row in words, for the extension's tests: "1. | Paris | 73.2% | She lived in [Paris]." (the highlight in brackets). */
function rowText(li: Element): string {
  const part = (selector: string) => li.querySelector(selector)?.textContent ?? '';
  const sentence = [...(li.querySelector('.sentence')?.childNodes ?? [])].map((n) => (n.nodeName === 'MARK' ? `[${n.textContent}]` : n.textContent)).join('');
  return [part('.rank'), part('.text'), part('.score'), sentence].join(' | ');
}

function list(answers: PanelAnswers, selected: number): HTMLElement {
  const ol = el('ol', { className: 'answers' });
  answers.answers.forEach((a, i) => {
    const sentence = el('p', { className: 'sentence' }, oneLine(a.before), el('mark', {}, oneLine(a.answer)), oneLine(a.after));
    const score = el('span', { className: 'score', title: 'Probability among the top answer spans' }, percent(a.score));
    const bar = el('div', { className: 'bar' }, el('div', { className: 'fill' }));
    (bar.firstChild as HTMLElement).style.width = percent(a.score);
    const li = el('li', { className: `answer${i === selected ? ' selected' : ''}`, tabIndex: 0, title: 'Select this answer in the editor' },
      el('div', { className: 'head' }, el('span', { className: 'rank' }, `${i + 1}.`), el('strong', { className: 'text' }, oneLine(a.answer).trim() || '(empty answer)'), score, bar),
      sentence);
    li.setAttribute('role', 'button');
    li.setAttribute('aria-pressed', String(i === selected));
    const reveal = () => vscode.postMessage({ type: 'reveal', uri: answers.uri, index: i, start: a.start, end: a.end, answer: a.answer });
    li.addEventListener('click', reveal);
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        reveal();
      }
    });
    ol.append(li);
  });
  return ol;
}

window.addEventListener('message', (event: MessageEvent<ToAnswersPanel>) => {
  const m = event.data;
  if (m.type === 'answers') save({ answers: m.answers, selected: 0, message: undefined });
  else if (m.type === 'selected') save({ selected: m.index, ...(m.index >= 0 ? { message: undefined } : {}) });
  else save({ message: m.text });
  render();
});
render();
vscode.postMessage({ type: 'ready' });
