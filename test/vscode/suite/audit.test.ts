// Audit labels of this file in the editor: the flags become diagnostics at the label's exact columns, "Change label
// to X" edits the file (and Undo reverts it) and clears that row's flag while the others stay, an edit above a flag
// moves it with its row, and "Ignore" hides a flag in this audit and the next. The tiny random classifier's own predictions are used (no folds: the fold training is
// tested in test/audit/), so the conflicting duplicate (line 13 repeats line 1 with the other label, as line 14 does with the same), which the
// audit flags whatever the model says, is the flag followed here.
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, waitFor } from './harness.js';
import type { DataAuditResult } from '../../../src/engine/rpc/protocol.js';

const folder = () => vscode.workspace.workspaceFolders![0]!.uri;
const file = () => vscode.Uri.joinPath(folder(), 'audit.jsonl');
const audit = () => vscode.commands.executeCommand<DataAuditResult | undefined>('xlm.auditLabels', file(), { model: path.join(folder().fsPath, 'models', 'tiny'), noFolds: true });
/** Line 13's conflicting duplicate (line 16 has the other). */
const duplicateDiagnostic = () => vscode.languages.getDiagnostics(file()).find((d) => d.source === 'XLM audit' && d.code === 'conflicting duplicate' && d.range.start.line === 12);
const auditDiagnostics = () => vscode.languages.getDiagnostics(file()).filter((d) => d.source === 'XLM audit');
const where = (ds: readonly vscode.Diagnostic[]) => ds.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.character} ${String(d.code)}`).sort();

test('Audit labels of this file: a diagnostic on the label, Change label (undoable) leaves the other flags, edits move them, Ignore remembered', async () => {
  const doc = await vscode.workspace.openTextDocument(file());
  const editor = await vscode.window.showTextDocument(doc);
  const result = await audit();
  assert.ok(result, 'the audit answered');
  assert.equal(result.rows, 16);
  // How far the flags can be trusted travels with them to the extension: the agreement, and a caution below 80%.
  const agreement = result.agreement;
  assert.ok(agreement !== undefined && agreement >= 0 && agreement <= 1, `agreement ${agreement}`);
  assert.equal(result.caution !== undefined, agreement < 0.8, `agreement ${agreement}, caution ${result.caution}`);
  const d = await waitFor('the duplicate diagnostic', duplicateDiagnostic);
  assert.equal(d.range.start.line, 12);
  assert.equal(doc.getText(d.range), '"negative"', 'the diagnostic spans the label as written');
  assert.match(d.message, /labelled 'positive' at lines 1, 14/);
  const second = await waitFor('the second duplicate', () => auditDiagnostics().find((x) => x.code === 'conflicting duplicate' && x.range.start.line === 15));
  assert.equal(doc.getText(second.range), '"positive"');
  const before = auditDiagnostics();

  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', file(), d.range);
  const titles = actions.map((a) => a.title);
  assert.ok(titles.includes('Change label to positive') && titles.includes('Ignore this conflicting duplicate'), titles.join(', '));
  const change = actions.find((a) => a.title === 'Change label to positive')!;
  assert.ok(await vscode.workspace.applyEdit(change.edit!));
  assert.equal(doc.lineAt(12).text, '{"text":"I love this film!","label":"positive","lang":"en"}');
  // The fixed row's flags go; every other flag stays where it was (a user trial lost all nine others to one fix).
  await waitFor('the fixed row\'s flag gone', () => !auditDiagnostics().some((x) => x.range.start.line === 12));
  assert.deepEqual(where(auditDiagnostics()), where(before.filter((x) => x.range.start.line !== 12)));
  // A whole line added at the start of a flagged line moves that flag and those below it with their rows; a flag
  // above the edit stays.
  const insert = new vscode.WorkspaceEdit();
  insert.insert(file(), new vscode.Position(15, 0), '{"text":"added","label":"positive","lang":"en"}\n');
  assert.ok(await vscode.workspace.applyEdit(insert));
  const moved = await waitFor('the second duplicate moved down a line', () => auditDiagnostics().find((x) => x.code === 'conflicting duplicate' && x.range.start.line === 16));
  assert.equal(doc.getText(moved.range), '"positive"', 'still on its label');
  assert.deepEqual(where(auditDiagnostics().filter((x) => x.range.start.line < 15)), where(before.filter((x) => x.range.start.line < 15 && x.range.start.line !== 12)));
  // A line break typed at the end of the flagged line leaves its flag where it is.
  const enter = new vscode.WorkspaceEdit();
  enter.insert(file(), new vscode.Position(16, doc.lineAt(16).text.length), '\n');
  assert.ok(await vscode.workspace.applyEdit(enter));
  await new Promise((r) => setTimeout(r, 300));
  const stayed = auditDiagnostics().find((x) => x.code === 'conflicting duplicate' && x.range.start.line === 16);
  assert.ok(stayed && doc.getText(stayed.range) === '"positive"', `the flag stays on its row after a line break at its end: ${where(auditDiagnostics()).join(', ')}`);
  await vscode.window.showTextDocument(doc, editor.viewColumn);
  for (let i = 0; i < 3; i++) await vscode.commands.executeCommand('undo');
  await waitFor('the label back after Undo', () => doc.lineAt(12).text.includes('"label":"negative"') && doc.lineCount === 17);
  await doc.save();

  await audit();
  const again = await waitFor('the duplicate flagged again', duplicateDiagnostic);
  const ignore = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', file(), again.range)).find((a) => a.title === 'Ignore this conflicting duplicate')!;
  await vscode.commands.executeCommand(ignore.command!.command, ...(ignore.command!.arguments ?? []));
  await waitFor('the ignored flag gone', () => !duplicateDiagnostic());
  await audit();
  assert.equal(duplicateDiagnostic(), undefined, 'an ignored flag stays hidden in the next audit');
  assert.ok(auditDiagnostics().some((x) => x.code === 'conflicting duplicate' && x.range.start.line === 15), 'the other duplicate is still flagged');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}, 120_000);
