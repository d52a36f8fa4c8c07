// Entity highlights (NER) in the editor: decorations by type from the entities slot's model, the hover over an
// entity, List entities in this file, highlights following edits, and the status item's warning when the model
// set for the slot cannot serve it. The tiny NER model tags Anna, Lena (B-PER), Schmidt (I-PER), Berlin, Paris
// (B-LOC) and Siemens (B-ORG), every other word O (test/helpers/tiny-ner-model.ts).
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, waitFor } from './harness.js';
import type { XlmLabApi } from '../../../src/extension.js';

const api = async () => vscode.extensions.getExtension<XlmLabApi>('xlm-lab.xlm-lab')!.activate();
const folder = () => vscode.workspace.workspaceFolders![0]!.uri;
const config = () => vscode.workspace.getConfiguration('xlm');

test('with an entities model, the open file\'s entities are highlighted by type, hovered with type and score, and listed', async () => {
  const previous = config().get<string>('model');
  await config().update('model', '', vscode.ConfigurationTarget.Global);
  await config().update('models.tokenClassification', path.join(folder().fsPath, 'models', 'tiny-ner'), vscode.ConfigurationTarget.Global);
  try {
    const xlm = await api();
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'people.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    const uri = doc.uri.toString();
    const highlights = await waitFor('entity highlights', () => (xlm.entityHighlights(uri)?.length ? xlm.entityHighlights(uri) : undefined), 30_000);
    // One colour per type, in the order of the model's labels (O, B-PER, I-PER, B-LOC, B-ORG).
    assert.deepEqual(highlights, [
      { type: 'PER', colour: 0, ranges: [[0, 0, 0, 12]] },
      { type: 'LOC', colour: 1, ranges: [[0, 22, 0, 28], [1, 28, 1, 33]] },
      { type: 'ORG', colour: 2, ranges: [[1, 0, 1, 7]] },
    ]);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 7));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*PER \\?\(person\\?\)\*\* 99\\?\.9% · entity from tiny\\?-ner/);
    const nothing = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 16));
    assert.doesNotMatch(nothing.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n'), /entity from/, 'no entity hover on "lives"');

    const listed = await vscode.commands.executeCommand<{ type: string; text: string; score: number; start: number; end: number }[]>('xlm.listEntities');
    assert.deepEqual(listed?.map((e) => [e.type, e.text, doc.getText(new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)))]), [
      ['PER', 'Anna Schmidt', 'Anna Schmidt'], ['LOC', 'Berlin', 'Berlin'], ['ORG', 'Siemens', 'Siemens'], ['LOC', 'Paris', 'Paris'],
    ]);
    for (const e of listed!) assert.ok(e.score > 0.99 && e.score <= 1, `score ${e.score}`);
    // The list is a quick pick; accepting the active (first) item selects that entity in the editor.
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await waitFor('the first entity selected', () => doc.getText(editor.selection) === 'Anna Schmidt');

    // An edit is read again (debounced): a new name on line 3 is highlighted, the other lines are unchanged.
    await editor.edit((b) => b.replace(doc.lineAt(2).range, 'Lena stays in Paris.'));
    const after = await waitFor('the edited line highlighted', () => {
      const h = xlm.entityHighlights(uri);
      return h?.find((t) => t.type === 'PER')?.ranges.length === 2 ? h : undefined;
    }, 30_000);
    assert.deepEqual(after.find((t) => t.type === 'PER')?.ranges, [[0, 0, 0, 12], [2, 0, 2, 4]]);
    assert.deepEqual(after.find((t) => t.type === 'LOC')?.ranges, [[0, 22, 0, 28], [1, 28, 1, 33], [2, 14, 2, 19]]);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  } finally {
    await config().update('models.tokenClassification', undefined, vscode.ConfigurationTarget.Global);
    await config().update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
}, 90_000);

test('entities: a model set for the slot that cannot serve it turns the status item to a warning saying why; with none, nothing is highlighted', async () => {
  const previous = config().get<string>('model');
  const xlm = await api();
  try {
    await config().update('model', '', vscode.ConfigurationTarget.Global);
    await config().update('models.tokenClassification', path.join(folder().fsPath, 'models', 'tiny-nli'), vscode.ConfigurationTarget.Global);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'people.txt'));
    await vscode.window.showTextDocument(doc);
    const why = await waitFor('the problem noted', () => xlm.problems().find((p) => p.includes('entity highlights')), 30_000);
    assert.equal(why, 'tiny-nli cannot serve entity highlights (NER): it has no token-classification head. Pick a model that has one with "XLM: Select model" → Entities.');
    assert.equal(xlm.engineState().health.kind, 'ready');
    assert.deepEqual(xlm.entityHighlights(doc.uri.toString()) ?? [], [], 'nothing highlighted');

    // No model for the slot at all: highlights stay off without a word; the list command says what to pick.
    await config().update('models.tokenClassification', undefined, vscode.ConfigurationTarget.Global);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(xlm.entityHighlights(doc.uri.toString()) ?? [], []);
    void vscode.commands.executeCommand('xlm.listEntities');
    const none = await waitFor('the list command\'s problem', () => xlm.problems().find((p) => p.startsWith('No model for entity highlights')));
    assert.match(none, /pick one with "XLM: Select model" → Entities \(setting xlm\.models\.tokenClassification\); it needs a token-classification head/);
  } finally {
    await config().update('models.tokenClassification', undefined, vscode.ConfigurationTarget.Global);
    await config().update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
}, 60_000);
