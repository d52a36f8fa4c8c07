/** The masked-word panel's script: candidate bars per `<mask>`; a click asks the extension to insert the word. */
import './mask.css';
import { panelCandidates, type FromMaskPanel, type ToMaskPanel } from '../src/panels/messages.js';
import { el, percent, vscodeApi } from './lib/vscode.js';

const vscode = vscodeApi<FromMaskPanel>();
const app = document.getElementById('app')!;

window.addEventListener('message', (event: MessageEvent<ToMaskPanel>) => {
  const m = event.data;
  app.replaceChildren();
  if (m.type === 'loading') {
    app.append(el('p', { className: 'sentence' }, m.sentence), el('p', { className: 'empty' }, 'Predicting…'));
  } else if (m.type === 'message') {
    app.append(el('p', { className: 'warning' }, m.text));
    if (m.action) {
      const button = el('button', {}, m.action.label);
      const command = m.action.command;
      button.addEventListener('click', () => vscode.postMessage({ type: 'runCommand', command }));
      app.append(button);
    }
  } else {
    app.append(el('p', { className: 'sentence' }, m.sentence), el('p', { className: 'filled' }, m.result.filledWords));
    m.result.masks.forEach((mask, maskIndex) => {
      app.append(el('h2', {}, `<mask> ${maskIndex + 1}`));
      const bars = el('div', { className: 'bars' });
      const add = (candidates: typeof mask.candidates, marked: boolean) => {
        for (const c of candidates) {
          const word = c.text;
          // Between spaces, a piece that does not start a word joins the word before it ("the" + "m" reads "them"):
          // shown as "…m". A mark is shown as itself ("," not "…,"); where the mask touches text (Chinese has no
          // spaces) every candidate joins it, and none is marked.
          const shown = !marked || c.startsWord || !/[\p{L}\p{N}]/u.test(word) ? word || c.token : `…${word}`;
          const pick = el('button', { className: 'candidate', title: c.startsWord ? `Insert "${word}"` : `Insert "${word}" (joins the word before the mask)` }, shown);
          pick.addEventListener('click', () => vscode.postMessage({ type: 'insert', maskIndex, text: c.text }));
          const bar = el('div', { className: 'bar' }, el('div', { className: 'fill' }));
          (bar.firstChild as HTMLElement).style.width = percent(c.score);
          bars.append(pick, bar, el('span', { className: 'num' }, percent(c.score)));
        }
      };
      // Between spaces the mask stands for a word: words first (as inline fill-in offers them), then what would
      // join the word before or is a mark, each with the model's probability; one grid, so the bars line up.
      const { words, rest } = panelCandidates(mask);
      add(words, true);
      if (words.length && rest.length) bars.append(el('p', { className: 'group' }, 'Pieces and marks (a piece joins the word before the mask)'));
      add(rest, words.length > 0);
      app.append(bars);
    });
  }
});
vscode.postMessage({ type: 'ready' });
