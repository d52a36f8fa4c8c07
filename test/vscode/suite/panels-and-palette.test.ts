// The NLI panel shows why it cannot answer instead of dropping the error, and the command palette hides commands
// that cannot apply: Stop training shows only while a run is training (the xlm.training context key).
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test, waitFor } from './harness.js';
import type { XlmLabApi } from '../../../src/extension.js';
import type { NliResult } from '../../../src/engine/rpc/protocol.js';

const api = async () => vscode.extensions.getExtension<XlmLabApi>('xlm-lab.xlm-lab')!.activate();
const folder = () => vscode.workspace.workspaceFolders![0]!.uri;

test('the NLI panel opened with a model that cannot answer shows the error in the panel, after the inputs', async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  const previous = config.get<string>('model');
  // A sentiment classifier (negative / positive): no entailment verdicts.
  await config.update('model', path.join(folder().fsPath, 'models', 'tiny'), vscode.ConfigurationTarget.Global);
  try {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const xlm = await api();
    const scores = await vscode.commands.executeCommand<NliResult | undefined>('xlm.checkEntailment', 'A man plays guitar.', 'Someone makes music.');
    assert.equal(scores, undefined, 'a sentiment model gives no entailment scores');
    // The error comes back before the page has loaded; it waits for the page instead of being dropped.
    const shown = await waitFor('the error delivered to the NLI page', () => {
      const m = xlm.nliPanelMessages();
      return m?.some((x) => x.type === 'message') ? m : undefined;
    });
    const error = shown.find((x) => x.type === 'message');
    assert.ok(error && error.type === 'message' && error.text.length > 0, JSON.stringify(shown));
    // In words: what the model lacks and what to pick, no head or tensor names.
    assert.equal((error as { text: string }).text, 'tiny cannot serve the NLI panel and zero-shot labels: it has no pair classifier whose labels are entailment, neutral and contradiction. Pick a model that has one with "XLM: Select model" → NLI.');
    assert.deepEqual(shown[0], { type: 'inputs', premise: 'A man plays guitar.', hypothesis: 'Someone makes music.' }, 'the inputs reach the page first');
  } finally {
    await config.update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
});

test('Stop training is in the palette only while a run is training (xlm.training follows the run)', async () => {
  const palette = vscode.extensions.getExtension('xlm-lab.xlm-lab')!.packageJSON.contributes.menus.commandPalette as { command: string; when: string }[];
  assert.equal(palette.find((m) => m.command === 'xlm.stopTraining')?.when, 'xlm.training');
  assert.equal(palette.find((m) => m.command === 'xlm.stopEngine')?.when, 'xlm.engineRunning');
  const xlm = await api();
  // An earlier test's run may still be finishing: wait until nothing trains.
  await waitFor('no run training', () => xlm.contextKeys()['xlm.training'] === false, 60_000);
  const started = await vscode.commands.executeCommand<{ runId: string } | undefined>('xlm.fineTune', {
    data: path.join(folder().fsPath, 'sentiment.jsonl'),
    model: path.join(folder().fsPath, 'models', 'tiny'),
    task: 'sequence-classification',
    method: 'lora',
    epochs: 50,
    batchSize: 4,
    learningRate: 1e-3,
    openDashboard: false,
  });
  assert.ok(started, 'xlm.fineTune returned no run');
  assert.equal(xlm.contextKeys()['xlm.training'], true, 'training as soon as the engine accepted the run');
  assert.equal(xlm.contextKeys()['xlm.engineRunning'], true);
  const stopped = await vscode.commands.executeCommand<string[] | undefined>('xlm.stopTraining', started.runId);
  assert.deepEqual(stopped, [started.runId]);
  await waitFor('xlm.training false after the run ended', () => xlm.contextKeys()['xlm.training'] === false, 60_000);
}, 150_000);

test('Export run as a cluster job writes the job of an editor run; Import a cluster job\'s results adds what it trained as a run', async () => {
  const xlm = await api();
  await waitFor('no run training', () => xlm.contextKeys()['xlm.training'] === false, 60_000);
  const started = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('xlm.fineTune', {
    data: path.join(folder().fsPath, 'sentiment.jsonl'), model: path.join(folder().fsPath, 'models', 'tiny'), task: 'sequence-classification',
    method: 'lora', epochs: 1, batchSize: 4, learningRate: 1e-3, openDashboard: false,
  });
  assert.ok(started, 'xlm.fineTune returned no run');
  await waitFor('the run ended', () => xlm.contextKeys()['xlm.training'] === false, 120_000);
  const jobDir = path.join(folder().fsPath, 'jobs', `${started.runId}-job`);
  const exported = await vscode.commands.executeCommand<{ dir: string; totalSteps: number } | undefined>('xlm.exportJob', started.runDir, jobDir);
  assert.ok(exported, 'xlm.exportJob returned nothing');
  assert.equal(exported.dir, jobDir);
  for (const file of ['settings.json', 'train.py', 'xlmr_torch.py', 'launch/slurm.sbatch', 'README.md']) assert.ok(fs.existsSync(path.join(jobDir, file)), `${file} in the job`);
  // The job trains in one process here (the distributed runs are the unit tests'), then comes back as a run.
  // Asynchronously: the extension host (where this test runs) must keep answering while the job trains.
  await promisify(execFile)('/usr/bin/python3', ['train.py', '--engine', 'torch'], { cwd: jobDir, timeout: 120_000 });
  const imported = await vscode.commands.executeCommand<{ run: string; records: number } | undefined>('xlm.importRun', jobDir);
  assert.ok(imported, 'xlm.importRun returned nothing');
  assert.equal(path.dirname(imported.run), path.join(folder().fsPath, 'runs'));
  assert.equal(fs.readFileSync(path.join(imported.run, 'metrics.jsonl'), 'utf8').trim().split('\n').length, imported.records);
  assert.ok(imported.records >= exported.totalSteps, 'every step of the job is a line of the run');
}, 300_000);

test('Open the sample data reveals the workspace\'s examples/ folder and opens its README', async () => {
  const opened = await vscode.commands.executeCommand<string | undefined>('xlm.openSampleData');
  assert.equal(opened, path.join(folder().fsPath, 'examples'));
  await waitFor('the README open', () => vscode.window.activeTextEditor?.document.uri.fsPath === path.join(folder().fsPath, 'examples', 'README.md'));
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
});

test('Why a feature cannot run is in the palette only while a feature could not run (xlm.hasProblems follows the problems)', async () => {
  const xlm = await api();
  const config = vscode.workspace.getConfiguration('xlm');
  const previous = config.get<string>('model');
  try {
    await config.update('model', path.join(folder().fsPath, 'models', 'tiny-pair'), vscode.ConfigurationTarget.Global);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 28);
    void vscode.commands.executeCommand('xlm.classifySelection');
    await waitFor('xlm.hasProblems set', () => xlm.contextKeys()['xlm.hasProblems'] === true);
    // A classifier that fits clears its problem; the key follows whether any problem is left (earlier tests' may be).
    await config.update('model', path.join(folder().fsPath, 'models', 'tiny'), vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('xlm.classifySelection');
    assert.ok(!xlm.problems().some((p) => p.includes('Classify selection')));
    assert.equal(xlm.contextKeys()['xlm.hasProblems'], xlm.problems().length > 0);
  } finally {
    await config.update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
});
