/** Stop training, Resume training and Open training dashboard. */
import * as vscode from 'vscode';
import path from 'node:path';
import type { Ctx } from '../client/ctx.js';
import { runFolder } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { DashboardPanel } from '../panels/dashboard.js';
import { describeLoss } from '../panels/messages.js';
import { listRuns } from '../panels/runs.js';
import { followRun } from './fineTune.js';

export function registerTraining(ctx: Ctx): void {
  ctx.command('xlm.stopTraining', 'Stop training', async (runId?: string): Promise<string[] | undefined> => {
    if (ctx.engine.state !== 'running') {
      void vscode.window.showInformationMessage('XLM Lab: no training is running (the engine is not running).');
      return [];
    }
    try {
      const { stopped } = await ctx.request(p.trainStop, { runId });
      void vscode.window.showInformationMessage(stopped.length ? `XLM Lab: stopped ${stopped.join(', ')}.` : 'XLM Lab: no training is running.');
      return stopped;
    } catch (e) {
      await ctx.showError('Stop training', e);
      return undefined;
    }
  }, false);

  ctx.command('xlm.resumeTraining', 'Resume training', async (runDirArg?: string): Promise<p.TrainStartResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('XLM Lab: training is off in an untrusted workspace.');
      return undefined;
    }
    const runDir = typeof runDirArg === 'string' ? runDirArg : await pickStoppedRun(ctx);
    if (!runDir) return undefined;
    try {
      ctx.runResuming(path.basename(runDir));
      const resumed = await ctx.request(p.trainResume, { runDir });
      ctx.runStarted(resumed.runId);
      ctx.output.info(`Training run ${resumed.runId} resumed in ${resumed.runDir}`);
      void followRun(ctx, resumed);
      if (DashboardPanel.current) DashboardPanel.current.select([resumed.runId]);
      return resumed;
    } catch (e) {
      await ctx.showError('Resume training', e);
      return undefined;
    }
  });

  ctx.command('xlm.openDashboard', 'Open training dashboard', (runDir?: string) => {
    DashboardPanel.createOrShow(ctx, typeof runDir === 'string' ? runDir : undefined);
  }, false);
}

/** Runs that stopped with a checkpoint and no final model, newest first, to continue. */
async function pickStoppedRun(ctx: Ctx): Promise<string | undefined> {
  const runs = listRuns([runFolder()], ctx.trainingRuns()).filter((r) => r.state === 'stopped');
  if (!runs.length) {
    void vscode.window.showInformationMessage(`XLM Lab: no stopped run to resume in ${runFolder()} (a run resumes from the checkpoint its Stop wrote).`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.id, description: [`stopped at step ${r.steps}`, describeLoss(r)].filter(Boolean).join(', '), dir: r.dir })),
    { title: 'Resume training', placeHolder: 'The run to continue from its last checkpoint' },
  );
  return picked?.dir;
}
