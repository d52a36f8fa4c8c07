/** Stop training and Open training dashboard. */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import * as p from '../engine/rpc/protocol.js';
import { DashboardPanel } from '../panels/dashboard.js';

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

  ctx.command('xlm.openDashboard', 'Open training dashboard', (runDir?: string) => {
    DashboardPanel.createOrShow(ctx, typeof runDir === 'string' ? runDir : undefined);
  }, false);
}
