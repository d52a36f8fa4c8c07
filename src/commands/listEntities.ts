/**
 * List entities in this file: the entities model reads the active file (any language, highlights included) and a
 * quick pick lists each entity with its type, score and line; moving through the list reveals each one, choosing
 * one selects it.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { describeType, type DocumentEntity, type EntityHighlighter } from '../features/entities.js';

/** An entity as the command returns it (for tests and other extensions): offsets in the document. */
interface ListedEntity {
  type: string;
  text: string;
  score: number;
  start: number;
  end: number;
}

export function registerListEntities(ctx: Ctx, highlighter: EntityHighlighter): void {
  ctx.command('xlm.listEntities', 'List entities in this file', async (): Promise<ListedEntity[] | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showInformationMessage('XLM Lab: open a file to list its entities.');
    const doc = editor.document;
    let entities: DocumentEntity[];
    try {
      entities = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'XLM: finding entities' }, () => highlighter.entities(doc, { quiet: false }));
    } catch (e) {
      await ctx.showError('List entities in this file', e);
      return undefined;
    }
    const listed = entities.map((e) => ({ type: e.type, text: e.text, score: e.score, start: doc.offsetAt(e.range.start), end: doc.offsetAt(e.range.end) }));
    ctx.output.info(`Entities in ${vscode.workspace.asRelativePath(doc.uri)}: ${entities.length} (${summarise(entities)})`);
    if (!entities.length) {
      void vscode.window.showInformationMessage('XLM Lab: the entities model found no entity in this file.');
      return listed;
    }
    showEntities(editor, entities);
    return listed;
  });
}

function summarise(entities: readonly DocumentEntity[]): string {
  const counts = new Map<string, number>();
  for (const e of entities) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} ${type}`).join(', ') || 'none';
}

function reveal(editor: vscode.TextEditor, e: DocumentEntity, select: boolean): void {
  if (select) editor.selection = new vscode.Selection(e.range.start, e.range.end);
  editor.revealRange(e.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

function showEntities(editor: vscode.TextEditor, entities: DocumentEntity[]): void {
  type Item = vscode.QuickPickItem & { entity: DocumentEntity };
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = `Entities in ${vscode.workspace.asRelativePath(editor.document.uri)}: ${summarise(entities)}`;
  pick.placeholder = 'Type to filter by text or type; choose one to select it in the editor.';
  pick.matchOnDescription = true;
  pick.items = entities.map((entity) => ({
    entity,
    label: entity.text.replace(/\s+/g, ' '),
    description: `${describeType(entity.type)} · ${(100 * entity.score).toFixed(1)}%`,
    detail: `line ${entity.range.start.line + 1}: ${editor.document.lineAt(entity.range.start.line).text.trim().slice(0, 120)}`,
  }));
  pick.onDidChangeActive((items) => items[0] && reveal(editor, items[0].entity, false));
  pick.onDidAccept(() => {
    const chosen = pick.selectedItems[0];
    if (chosen) reveal(editor, chosen.entity, true);
    pick.hide();
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}
