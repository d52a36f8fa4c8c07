/**
 * Open a run folder: a folder from elsewhere on the dashboard beside the local runs. A cluster job's output (what
 * `xlm import-run` takes: trainer_state.json and/or metrics.jsonl beside an HF model, or the job folder itself) is
 * imported through job/import into the run folder; a run folder of XLM Lab (or a folder of them) is read where it
 * is. Either way its curves overlay the local runs', and a folder with a model is offered to the features it fits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { runFolder } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { DashboardPanel } from '../panels/dashboard.js';
import { listRuns } from '../panels/runs.js';
import { offerModel } from './selectModel.js';

export interface OpenedRunFolder {
  /** The run folder the dashboard shows: the import's new run, or the folder itself. */
  run: string;
  imported: boolean;
}

/** What a job writes and an XLM Lab run does not have: a run started from the editor has run.json. */
function isJobOutput(dir: string): boolean {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (has('run.json')) return false;
  // The job folder (settings.json, output/), or its output: trainer_state.json without XLM Lab's metrics.jsonl,
  // or both as the exported train.py writes them beside the model.
  return (has('settings.json') && has('output')) || (has('trainer_state.json') && has('config.json'));
}

export function registerOpenRunFolder(ctx: Ctx): void {
  ctx.command('xlm.openRunFolder', 'Open a run folder', async (dirArg?: string): Promise<OpenedRunFolder | undefined> => {
    let dir = typeof dirArg === 'string' ? path.resolve(dirArg) : undefined;
    if (!dir) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Open run folder', title: "A run folder, a folder of runs, or a cluster job's output (trainer_state.json, metrics.jsonl)" });
      if (!picked?.[0]) return undefined;
      dir = picked[0].fsPath;
    }
    try {
      if (isJobOutput(dir)) {
        const result = await ctx.request(p.jobImport, { dir, runFolder: runFolder() });
        ctx.output.info(`Opened ${dir}: imported as ${result.run}, ${result.records} metrics lines (${result.evalRecords} evaluations).`);
        await DashboardPanel.showFolder(ctx, result.run);
        void offerModel(ctx, result.run, `XLM Lab: imported ${path.basename(result.run)}, drawn on the dashboard`);
        return { run: result.run, imported: true };
      }
      const runs = listRuns([dir]);
      if (!runs.length) {
        throw new Error(`${dir} holds no run: a run folder has metrics.jsonl (or run.json), a cluster job's output has trainer_state.json or metrics.jsonl beside config.json.`);
      }
      await DashboardPanel.showFolder(ctx, runs.find((r) => r.dir === dir)?.dir ?? runs[0]!.dir);
      ctx.output.info(`Opened ${dir}: ${runs.length} run${runs.length === 1 ? '' : 's'} read where ${runs.length === 1 ? 'it is' : 'they are'}.`);
      const own = runs.find((r) => r.dir === dir);
      if (own?.hasModel) void offerModel(ctx, dir, `XLM Lab: opened ${own.id}, drawn on the dashboard`);
      return { run: own?.dir ?? runs[0]!.dir, imported: false };
    } catch (e) {
      await ctx.showError('Open a run folder', e);
      return undefined;
    }
  });
}
