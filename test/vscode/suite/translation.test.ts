// Translation fine-tuning from the editor: xlm.fineTune with a parallel TSV and a tiny Marian folder starts a
// translation run (run.json says so), its metrics.jsonl carries BLEU and chrF eval lines (the dashboard's curves),
// the finish notice offers the model for translation, and choosing that fills the translation slot.
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, waitFor } from './harness.js';
import type { XlmLabApi } from '../../../src/extension.js';
import { evalChartKeys, type MetricsRecord } from '../../../src/panels/messages.js';

const api = async () => vscode.extensions.getExtension<XlmLabApi>('xlm-lab.xlm-lab')!.activate();
const folder = () => vscode.workspace.workspaceFolders![0]!.uri;
const read = (file: string) => vscode.workspace.fs.readFile(vscode.Uri.file(file)).then((b) => new TextDecoder().decode(b), () => '');

test('Fine-tune with parallel text trains a translation run whose model fills the translation slot', async () => {
  const xlm = await api();
  const started = await vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('xlm.fineTune', {
    data: path.join(folder().fsPath, 'parallel.tsv'),
    evalData: path.join(folder().fsPath, 'parallel.tsv'),
    model: path.join(folder().fsPath, 'models', 'tiny-marian'),
    task: 'translation',
    method: 'lora',
    epochs: 2,
    batchSize: 4,
    learningRate: 2e-3,
    openDashboard: false,
  });
  assert.ok(started, 'xlm.fineTune returned no run');
  const run = JSON.parse(await read(path.join(started.runDir, 'run.json'))) as { task: string; model: string };
  assert.equal(run.task, 'translation');
  const notice = await waitFor('the finish notice', () => xlm.finishNotices().find((n) => n.runId === started.runId), 120_000);
  const useForTranslation = notice.actions.find((a) => /Translate selection/.test(a));
  assert.ok(useForTranslation, `offers: ${notice.actions.join(', ')}`);
  const records = (await read(path.join(started.runDir, 'metrics.jsonl'))).split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricsRecord);
  assert.ok(records.some((r) => Number.isFinite(r.loss)), 'no loss lines');
  const curves = evalChartKeys([{ records }]);
  assert.ok(curves.includes('bleu') && curves.includes('chrf'), `eval curves: ${curves.join(', ')}`);
  // What the "Use for Translate selection …" button runs.
  await vscode.commands.executeCommand('xlm.selectModel', started.runDir, 'translation');
  try {
    const slots = await xlm.slotModels();
    assert.equal(slots.translation?.name, path.basename(started.runDir));
    assert.equal(slots.translation?.source, 'setting');
  } finally {
    await vscode.workspace.getConfiguration('xlm').update('models.translation', undefined, vscode.ConfigurationTarget.Global);
  }
}, 180_000);
