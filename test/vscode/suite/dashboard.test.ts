// The dashboard as a user meets it: Open a run folder (a cluster job's output, imported through job/import, or a
// run folder from elsewhere, read where it is) overlays its curves on the local runs', and a stopped run resumes from
// the dashboard's run list (Resume training), its curve going on in the same run.
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dashboardRead, test, waitFor } from './harness.js';
import type { XlmLabApi } from '../../../src/extension.js';

const api = async () => vscode.extensions.getExtension<XlmLabApi>('xlm-lab.xlm-lab')!.activate();
const folder = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;

/** What transformers' Trainer writes beside the model: log_history with training lines, eval lines and a summary. */
function trainerState(steps: number): object {
  const history: object[] = [];
  for (let step = 1; step <= steps; step++) {
    history.push({ step, epoch: step / 4, loss: 0.7 - 0.05 * step, learning_rate: 1e-4 * (1 - step / (steps + 1)), grad_norm: 1.5 });
    if (step % 4 === 0) history.push({ step, epoch: step / 4, eval_loss: 0.6, eval_accuracy: 0.5 + step / 40, eval_runtime: 0.3, eval_samples_per_second: 40 });
  }
  history.push({ step: steps, epoch: steps / 4, train_runtime: 12.5, train_loss: 0.5 });
  return { global_step: steps, log_history: history };
}

test('Open a run folder imports a cluster job\'s output (trainer_state.json) and overlays its curves on the local run', async () => {
  const xlm = await api();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-cluster-')), 'xnli-cluster');
  fs.mkdirSync(out);
  const tiny = path.join(folder(), 'models', 'tiny');
  for (const f of fs.readdirSync(tiny)) fs.copyFileSync(path.join(tiny, f), path.join(out, f));
  fs.writeFileSync(path.join(out, 'trainer_state.json'), JSON.stringify(trainerState(8)));
  await vscode.commands.executeCommand('xlm.openDashboard', path.join(folder(), 'runs', 'demo-run'));
  await dashboardRead(xlm);
  await waitFor('the demo run shown', () => xlm.dashboardView()?.shown.some((r) => r.id === 'demo-run'));

  const opened = await vscode.commands.executeCommand<{ run: string; imported: boolean } | undefined>('xlm.openRunFolder', out);
  assert.ok(opened, 'xlm.openRunFolder returned nothing');
  assert.equal(opened.imported, true);
  assert.equal(path.dirname(opened.run), path.join(folder(), 'runs'), 'imported into the run folder');
  const id = path.basename(opened.run);
  const view = await waitFor('the imported run shown', () => {
    const v = xlm.dashboardView();
    return v?.shown.some((r) => r.id === id) ? v : undefined;
  });
  const listed = view.runs.find((r) => r.id === id);
  assert.ok(listed, `the run list has ${id}: ${view.runs.map((r) => r.id).join(', ')}`);
  assert.equal(listed.steps, 8);
  assert.equal(listed.hasModel, true, 'its model is offered to a feature (Use model…)');
  // Overlaid: the local run stays shown beside it.
  assert.deepEqual(view.shown.map((r) => r.id).sort(), ['demo-run', id].sort());
  const records = view.shown.find((r) => r.id === id)!.records;
  assert.deepEqual(records.filter((r) => r.loss !== undefined).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(records.filter((r) => r.eval).map((r) => [r.step, r.eval!.accuracy]), [[4, 0.6], [8, 0.7]]);
  assert.ok(records.every((r) => !r.eval || r.eval.runtime === undefined), 'timings are not metrics');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}, 60_000);

test('Open a run folder reads a run folder from elsewhere where it is, beside the local runs', async () => {
  const xlm = await api();
  const elsewhere = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-elsewhere-')), 'colleague-run');
  fs.mkdirSync(elsewhere);
  fs.writeFileSync(path.join(elsewhere, 'metrics.jsonl'), [1, 2, 3].map((step) => JSON.stringify({ step, epoch: step / 3, loss: 1 / step }) + '\n').join(''));
  fs.writeFileSync(path.join(elsewhere, 'run.json'), JSON.stringify({ task: 'sequence-classification', method: 'full' }));
  const opened = await vscode.commands.executeCommand<{ run: string; imported: boolean } | undefined>('xlm.openRunFolder', elsewhere);
  assert.deepEqual(opened, { run: elsewhere, imported: false });
  const view = await waitFor('the opened run shown', () => {
    const v = xlm.dashboardView();
    return v?.shown.some((r) => r.dir === elsewhere) ? v : undefined;
  });
  assert.ok(view.runs.some((r) => r.id === 'demo-run'), 'the local runs are still listed');
  assert.deepEqual(view.shown.find((r) => r.dir === elsewhere)!.records.map((r) => r.step), [1, 2, 3]);
  assert.equal(fs.existsSync(path.join(folder(), 'runs', 'colleague-run')), false, 'read in place, not copied');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}, 60_000);

test('a stopped run is marked stopped in the run list, and Resume training continues it from its checkpoint in the same run', async () => {
  const xlm = await api();
  await waitFor('no run training', () => xlm.contextKeys()['xlm.training'] === false, 60_000);
  const started = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('xlm.fineTune', {
    data: path.join(folder(), 'sentiment.jsonl'), model: path.join(folder(), 'models', 'tiny'), task: 'sequence-classification',
    method: 'lora', epochs: 2000, batchSize: 4, learningRate: 1e-3, openDashboard: true,
  });
  assert.ok(started, 'xlm.fineTune returned no run');
  const steps = () => fs.readFileSync(path.join(started.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.loss !== undefined).map((r) => r.step as number);
  await waitFor('a few steps trained', () => fs.existsSync(path.join(started.runDir, 'metrics.jsonl')) && steps().length >= 3, 60_000);
  await vscode.commands.executeCommand('xlm.stopTraining', started.runId);
  await waitFor('the run stopped', () => xlm.contextKeys()['xlm.training'] === false, 60_000);
  const listed = await waitFor('the run listed as stopped', () => xlm.dashboardView()?.runs.find((r) => r.id === started.runId && r.state === 'stopped'));
  const saved = steps().at(-1)!;
  assert.equal(listed.steps, saved);
  assert.ok(fs.existsSync(path.join(started.runDir, `checkpoint-${saved}`)), `checkpoint-${saved} written by the stop`);

  const resumed = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('xlm.resumeTraining', started.runDir);
  assert.deepEqual(resumed, { runId: started.runId, runDir: started.runDir }, 'the same run goes on');
  assert.equal(xlm.contextKeys()['xlm.training'], true);
  await waitFor('steps after the checkpoint', () => steps().length >= saved + 3, 60_000);
  await vscode.commands.executeCommand('xlm.stopTraining', started.runId);
  await waitFor('the run stopped again', () => xlm.contextKeys()['xlm.training'] === false, 60_000);
  // One curve: the resumed run went on from the saved step, every step once.
  const all = steps();
  assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1));
  assert.ok(all.length > saved + 2);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}, 180_000);
