/**
 * The results of a label audit where the labels are written: each flag a diagnostic at its value's line and columns
 * in the data file (Problems panel), with quick fixes "Change label to X" (a WorkspaceEdit, so Undo reverts it) and
 * "Ignore" (remembered in workspaceState by the row's text, so the same row stays quiet in later audits, wherever it
 * moves). When the file changes, the flags of the rows an edit touched are cleared (their columns no longer hold, and
 * a quick fix has dealt with its own), and the others move with their rows: applying one fix leaves the rest in place.
 */
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import type * as p from '../engine/rpc/protocol.js';
import { auditFlagInWords as inWords, labelNamer, type NamedFlag } from './labelNames.js';

const SOURCE = 'XLM audit';
/** A suggested label at least this probable out of sample is the preferred quick fix (applied by a single keystroke). */
const PREFERRED_ABOVE = 0.8;
const IGNORED_KEY = 'xlm.audit.ignored';
export const IGNORE_COMMAND = 'xlm.auditIgnore';

/** The flag behind each diagnostic shown, by file: the diagnostics a code action request brings are copies, without it. */
type Shown = { diagnostic: vscode.Diagnostic; flag: NamedFlag }[];

export class AuditDiagnostics implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
  private readonly collection = vscode.languages.createDiagnosticCollection('xlm-audit');
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly shown = new Map<string, Shown>();

  constructor(private readonly state: vscode.Memento) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        const shown = this.shown.get(e.document.uri.toString());
        if (e.contentChanges.length && shown) this.set(e.document.uri, followEdits(shown, e.contentChanges, (line) => (line < e.document.lineCount ? e.document.lineAt(line).text : '')));
      }),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, this, { providedCodeActionKinds: AuditDiagnostics.providedCodeActionKinds }),
      vscode.commands.registerCommand(IGNORE_COMMAND, (uri: vscode.Uri, flag: p.DataAuditFlag) => this.ignore(uri, flag)),
    );
  }

  /**
   * Shows an audit's flags on the file (replacing its earlier ones), less those the user ignored; returns how many
   * are shown. Labels that are language codes (all of the file's `labels`) are named in words, as the hover names them.
   */
  async show(uri: vscode.Uri, flags: readonly p.DataAuditFlag[], labels: readonly string[] = []): Promise<number> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const name = labelNamer(labels);
    const ignored = new Set(this.state.get<string[]>(IGNORED_KEY, []));
    const shown: Shown = [];
    for (const flag of flags) {
      if (flag.line > doc.lineCount || ignored.has(ignoreKey(uri, doc, flag))) continue;
      const range = new vscode.Range(flag.line - 1, flag.column - 1, flag.line - 1, Math.max(flag.endColumn, flag.column + 1) - 1);
      const named = inWords(flag, name);
      const d = new vscode.Diagnostic(range, named.message, flag.kind === 'length' ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning);
      d.source = SOURCE;
      d.code = flag.kind === 'tag' ? 'likely wrong tag' : flag.kind === 'label' ? 'likely wrong label' : flag.kind === 'duplicate' ? 'conflicting duplicate' : flag.kind === 'language' ? 'other language' : 'long row';
      shown.push({ diagnostic: d, flag: named });
    }
    this.set(uri, shown);
    return shown.length;
  }

  private set(uri: vscode.Uri, shown: Shown): void {
    if (shown.length) this.shown.set(uri.toString(), shown);
    else this.shown.delete(uri.toString());
    this.collection.set(uri, shown.map((s) => s.diagnostic));
  }

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const shown = this.shown.get(doc.uri.toString()) ?? [];
    for (const d of context.diagnostics) {
      if (d.source !== SOURCE || !d.range.intersection(range)) continue;
      const flag = shown.find((s) => s.diagnostic.range.isEqual(d.range) && s.diagnostic.message === d.message)?.flag;
      if (!flag) continue;
      if (flag.fix && flag.suggested !== undefined) {
        const what = flag.kind === 'tag' ? 'tag' : flag.kind === 'language' ? 'language' : 'label';
        // The model's guess with how sure it is: a suggestion at 57% is a guess to check, not a fix to take blindly
        // (a user trial saw "Change label to ukr" offered for a Russian row at 57%); only a sure one is preferred.
        const sure = flag.suggestedProbability;
        const change = new vscode.CodeAction(`Change ${what} to ${flag.suggestedWords ?? flag.suggested}${sure === undefined ? '' : ` (the model gives it ${Math.round(100 * sure)}%)`}`, vscode.CodeActionKind.QuickFix);
        change.edit = new vscode.WorkspaceEdit();
        change.edit.replace(doc.uri, d.range, flag.fix.text);
        change.diagnostics = [d];
        change.isPreferred = sure === undefined || sure >= PREFERRED_ABOVE;
        actions.push(change);
      }
      // One row can carry several flags on the same label (a likely wrong label and a conflicting duplicate): each Ignore names its own.
      const title = `Ignore this ${String(d.code ?? 'flag')}`;
      const ignore = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
      ignore.command = { command: IGNORE_COMMAND, title, arguments: [doc.uri, flag] };
      ignore.diagnostics = [d];
      actions.push(ignore);
    }
    return actions;
  }

  private async ignore(uri: vscode.Uri, flag: p.DataAuditFlag): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const key = ignoreKey(uri, doc, flag);
    const ignored = new Set(this.state.get<string[]>(IGNORED_KEY, []));
    ignored.add(key);
    await this.state.update(IGNORED_KEY, [...ignored]);
    this.set(uri, (this.shown.get(uri.toString()) ?? []).filter((s) => ignoreKey(uri, doc, s.flag) !== key));
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/**
 * The flags left after an edit, moved with their rows: a flag on a line whose text the edit changed goes (its row
 * changed); a flag below the edit moves by the lines it added or removed. A line the edit only moved keeps its flag:
 * whole lines deleted or inserted above it (a change from column 0 to column 0 of the flagged line, its text empty
 * or ending in a line break), or a line break typed at the end of the flagged line (`lineAfter` reads the document
 * after the change, to see that nothing of the line went down with it; only for an event of one change). Changes
 * are taken from the bottom of the file up, so each one's range still refers to the lines as they were.
 */
export function followEdits(shown: Shown, changes: readonly vscode.TextDocumentContentChangeEvent[], lineAfter?: (line: number) => string): Shown {
  let kept = shown;
  for (const change of [...changes].sort((a, b) => b.range.start.compareTo(a.range.start))) {
    const { start, end } = change.range;
    const segments = change.text.split('\n');
    const added = segments.length - 1;
    const delta = added - (end.line - start.line);
    // Whole lines in or out before `end.line`: that line's own text is not touched.
    const wholeLines = start.character === 0 && end.character === 0 && (change.text === '' || change.text.endsWith('\n'));
    // A line break typed after the end of `start.line` (nothing of the line went down to the new line).
    const breakAtEnd = changes.length === 1 && change.range.isEmpty && /^\r?\n/.test(change.text) && lineAfter !== undefined && lineAfter(start.line + added) === segments.at(-1);
    kept = kept.flatMap((s): Shown => {
      const { range } = s.diagnostic;
      if (range.end.line < start.line) return [s];
      if (breakAtEnd && range.start.line === start.line && range.end.line === start.line) return [s];
      if (range.start.line > end.line || (wholeLines && range.start.line === end.line)) return [shifted(s, delta)];
      return [];
    });
  }
  return kept;
}

function shifted(s: Shown[number], delta: number): Shown[number] {
  if (delta === 0) return s;
  const { range } = s.diagnostic;
  const moved = new vscode.Diagnostic(new vscode.Range(range.start.line + delta, range.start.character, range.end.line + delta, range.end.character), s.diagnostic.message, s.diagnostic.severity);
  moved.source = s.diagnostic.source;
  moved.code = s.diagnostic.code;
  return { diagnostic: moved, flag: { ...s.flag, line: s.flag.line + delta } };
}

/** A flag's identity across audits and edits: the file, the kind, the value and the text of its line. */
function ignoreKey(uri: vscode.Uri, doc: vscode.TextDocument, flag: p.DataAuditFlag): string {
  const line = doc.lineAt(flag.line - 1).text;
  const digest = createHash('sha256').update(line).digest('hex').slice(0, 16);
  return `${vscode.workspace.asRelativePath(uri)}|${flag.kind}|${flag.given}|${flag.token ?? ''}|${digest}`;
}

