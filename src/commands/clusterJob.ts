/** Export run as a cluster job, and Import a cluster job's results (a run the dashboard then draws). */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { runFolder } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { DashboardPanel } from '../panels/dashboard.js';
import { listRuns } from '../panels/runs.js';
import { describeLoss } from '../panels/messages.js';
import { offerModel } from './selectModel.js';

/** Runs started from the editor (only they say what they train, in run.json), newest first. */
async function pickRun(): Promise<string | undefined> {
  const runs = listRuns([runFolder()]).filter((r) => fs.existsSync(path.join(r.dir, 'run.json')));
  if (!runs.length) {
    void vscode.window.showInformationMessage(`XLM Lab: no run started from the editor in ${runFolder()}; start one with Fine-tune, or use \`xlm export-job --run SETTINGS.json\` for a run of the command line.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.id, description: [`${r.steps} steps`, describeLoss(r)].filter(Boolean).join(', '), dir: r.dir })),
    { title: 'Export run as a cluster job', placeHolder: 'The run whose settings and data the job takes' },
  );
  return picked?.dir;
}

export function registerClusterJob(ctx: Ctx): void {
  ctx.command('xlm.exportJob', 'Export run as a cluster job', async (runArg?: string, outArg?: string): Promise<p.JobExportResult | undefined> => {
    const run = typeof runArg === 'string' ? runArg : await pickRun();
    if (!run) return undefined;
    let out = typeof outArg === 'string' ? outArg : undefined;
    if (!out) {
      const parent = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Write the job folder here', title: 'Where the job folder goes' });
      if (!parent?.[0]) return undefined;
      out = path.join(parent[0].fsPath, `${path.basename(run)}-job`);
    }
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'XLM: exporting the run as a cluster job' }, () => ctx.request(p.jobExport, { run, out }));
      ctx.output.info(`Exported ${run} as a job in ${result.dir}: ${result.trainRows} training rows, ${result.evalRows} evaluation rows, ${result.totalSteps} steps.`);
      void vscode.window.showInformationMessage(`XLM Lab: the job is in ${result.dir} (torchrun, accelerate, Slurm and Ray launchers).`, 'Open its README').then((pick) => {
        if (pick) void vscode.window.showTextDocument(vscode.Uri.file(path.join(result.dir, 'README.md')));
      });
      return result;
    } catch (e) {
      await ctx.showError('Export run as a cluster job', e);
      return undefined;
    }
  });

  ctx.command('xlm.importRun', "Import a cluster job's results", async (dirArg?: string): Promise<p.JobImportResult | undefined> => {
    let dir = typeof dirArg === 'string' ? dirArg : undefined;
    if (!dir) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Import', title: 'A job folder, or the output folder a job wrote' });
      if (!picked?.[0]) return undefined;
      dir = picked[0].fsPath;
    }
    try {
      const result = await ctx.request(p.jobImport, { dir, runFolder: runFolder() });
      ctx.output.info(`Imported ${dir} as ${result.run}: ${result.records} metrics lines (${result.evalRecords} evaluations).`);
      await DashboardPanel.showFolder(ctx, result.run);
      void offerModel(ctx, result.run, `XLM Lab: imported ${path.basename(result.run)}, drawn on the dashboard`);
      return result;
    } catch (e) {
      await ctx.showError("Import a cluster job's results", e);
      return undefined;
    }
  });
}
