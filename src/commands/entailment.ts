/** Check entailment: premise and hypothesis from two selections, or asked for; shown in the NLI panel. */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import type { NliResult } from '../engine/rpc/protocol.js';
import { NliPanel } from '../panels/nliPanel.js';

export function registerEntailment(ctx: Ctx): void {
  ctx.command('xlm.checkEntailment', 'Check entailment', async (premiseArg?: string, hypothesisArg?: string): Promise<NliResult | undefined> => {
    const editor = vscode.window.activeTextEditor;
    const selections = editor?.selections.filter((s) => !s.isEmpty).map((s) => editor.document.getText(s)) ?? [];
    // Without an NLI model the panel says so (and offers the picker) before anything is asked for.
    const needsAsking = (premiseArg ?? selections[0]) === undefined || (hypothesisArg ?? selections[1]) === undefined;
    if (needsAsking && !(await NliPanel.createOrShow(ctx).hasModel())) return undefined;
    const premise = premiseArg ?? selections[0] ?? (await vscode.window.showInputBox({ title: 'Check entailment (1/2)', prompt: 'Premise' }));
    if (premise === undefined) return undefined;
    const hypothesis = hypothesisArg ?? selections[1] ?? (await vscode.window.showInputBox({ title: 'Check entailment (2/2)', prompt: 'Hypothesis' }));
    if (hypothesis === undefined) return undefined;
    return NliPanel.createOrShow(ctx).check(premise, hypothesis);
  });
}
