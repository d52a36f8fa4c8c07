/**
 * Ask a question about this file: the question-answering slot's model reads the selection (else the whole
 * document) and the best answer is selected and revealed; the answers panel (src/panels/answersPanel.ts) lists the
 * top spans with their scores and the sentence around each, and clicking one selects it instead.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { AnswersPanel } from '../panels/answersPanel.js';

const TOP_K = 5;

/** An answer with its offsets counted from the start of the document (UTF-16 code units, as the editor counts). */
interface DocumentAnswer extends p.QaAnswer {
  sentence: string;
}

export function registerAskQuestion(ctx: Ctx): void {
  ctx.command('xlm.askQuestion', 'Ask a question about this file', async (question?: string): Promise<DocumentAnswer[] | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showInformationMessage('XLM Lab: open a file to ask a question about it.');
    const doc = editor.document;
    const range = editor.selection.isEmpty ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)) : editor.selection;
    const context = doc.getText(range);
    const fromSelection = !editor.selection.isEmpty;
    if (!context.trim()) return void vscode.window.showInformationMessage('XLM Lab: the file (or the selection) has no text to answer from.');
    // Without a question-answering model, say so before asking the question.
    if (question === undefined) {
      try {
        await ctx.ensureModel('questionAnswering');
      } catch (e) {
        void ctx.showError('Ask a question about this file', e);
        return undefined;
      }
    }
    question ??= await vscode.window.showInputBox({
      title: 'XLM: Ask a question about this file',
      prompt: editor.selection.isEmpty ? 'The answer is taken from the whole file.' : 'The answer is taken from the selection.',
      placeHolder: 'Who wrote it?',
      validateInput: (q) => (q.trim() ? undefined : 'Type a question.'),
    });
    if (!question?.trim()) return undefined;
    const base = doc.offsetAt(range.start);
    let answers: DocumentAnswer[];
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'XLM: answering' }, async () => {
        const { dir: model } = await ctx.ensureModel('questionAnswering');
        return ctx.request(p.qa, { question: question!, context, topK: TOP_K, model });
      });
      answers = result.answers.map((a) => ({
        ...a,
        start: base + a.start,
        end: base + a.end,
        sentenceStart: base + a.sentenceStart,
        sentenceEnd: base + a.sentenceEnd,
        sentence: context.slice(a.sentenceStart, a.sentenceEnd).replace(/\s+/g, ' ').trim(),
      }));
    } catch (e) {
      await ctx.showError('Ask a question about this file', e);
      return undefined;
    }
    const best = answers[0];
    const text = doc.getText();
    AnswersPanel.createOrShow(ctx).show({
      question, uri: doc.uri.toString(), document: vscode.workspace.asRelativePath(doc.uri), fromSelection,
      answers: answers.map((a) => ({ answer: a.answer, score: a.score, start: a.start, end: a.end, before: text.slice(a.sentenceStart, a.start), after: text.slice(a.end, a.sentenceEnd) })),
    });
    if (!best) {
      void vscode.window.showInformationMessage('XLM: no answer found in this text.');
      return [];
    }
    ctx.output.info(`Question "${question.slice(0, 80)}": ${answers.map((a) => `"${a.answer.slice(0, 40)}" ${(100 * a.score).toFixed(1)}%`).join(', ')}`);
    select(editor, best);
    return answers;
  });
}

function select(editor: vscode.TextEditor, a: p.QaAnswer): void {
  const range = new vscode.Range(editor.document.positionAt(a.start), editor.document.positionAt(a.end));
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
