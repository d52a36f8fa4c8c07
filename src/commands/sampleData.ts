/**
 * Open the sample data (the walkthrough's step): the `examples/` folder of a clone of XLM Lab (the workspace's
 * `examples/`, or the workspace itself when it is that folder) is revealed in the Explorer with its README, which
 * says what each file is for. Without one, a file dialog for data files opens in the workspace.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';

async function exists(uri: vscode.Uri): Promise<boolean> {
  return vscode.workspace.fs.stat(uri).then(() => true, () => false);
}

/** The examples folder among the workspace folders: one with langid/train.jsonl. */
async function examplesFolder(): Promise<vscode.Uri | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const candidate of [vscode.Uri.joinPath(folder.uri, 'examples'), folder.uri]) {
      if (await exists(vscode.Uri.joinPath(candidate, 'langid', 'train.jsonl'))) return candidate;
    }
  }
  return undefined;
}

export function registerSampleData(ctx: Ctx): void {
  ctx.command(
    'xlm.openSampleData',
    'Open the sample data',
    async (): Promise<string | undefined> => {
      const examples = await examplesFolder();
      if (examples) {
        const train = vscode.Uri.joinPath(examples, 'langid', 'train.jsonl');
        await vscode.commands.executeCommand('revealInExplorer', train);
        const readme = vscode.Uri.joinPath(examples, 'README.md');
        await vscode.window.showTextDocument(await exists(readme) ? readme : train, { preview: false });
        return examples.fsPath;
      }
      const picked = await vscode.window.showOpenDialog({
        title: 'Open a data file (the sample data is the examples/ folder of a clone of XLM Lab)',
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        canSelectMany: false,
        filters: { 'Data files': ['jsonl', 'csv', 'tsv', 'json', 'conll'] },
      });
      if (!picked?.[0]) return undefined;
      await vscode.window.showTextDocument(picked[0]);
      return picked[0].fsPath;
    },
    false,
  );
}
