// The run list and the verdict show one loss with one label. The list said "loss 0.6142" (the last step) while the
// verdict said the loss "ended at 0.735" (the mean of the last tenth of the steps): two numbers for one thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judgeLearning, VERDICT_FILE } from '../../src/engine/train/verdict.js';
import { describeLoss } from '../../src/panels/messages.js';
import { listRuns } from '../../src/panels/runs.js';

test('a finished run lists the final loss its verdict judged, labelled as the mean of the same steps', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-loss-label-'));
  try {
    const run = path.join(root, 'stuck');
    fs.mkdirSync(run);
    // 130 steps near chance for two labels, the last one a lucky low step.
    const losses = Array.from({ length: 130 }, (_, i) => (i === 129 ? 0.6142 : 0.735 + 0.01 * Math.sin(i)));
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), losses.map((loss, i) => JSON.stringify({ step: i + 1, epoch: 0, loss }) + '\n').join(''));
    const verdict = judgeLearning({ head: 'seq-cls', method: 'lora', lr: 2e-4, defaultLr: 1e-3, epochs: 3, losses, trainLabelCounts: [50, 50] });
    fs.writeFileSync(path.join(run, VERDICT_FILE), JSON.stringify(verdict));
    assert.equal(verdict.learned, false);

    const [listed] = listRuns([root]);
    assert.equal(listed!.lastLoss, 0.6142);
    const shown = describeLoss(listed!)!;
    assert.equal(shown, `final loss ${verdict.finalLoss!.toFixed(3)} (mean of the last 13 steps)`);
    // The verdict's reason names the same number and the same steps.
    const [value, steps] = [/final loss ([\d.]+)/.exec(shown)![1], /last (\d+) steps/.exec(shown)![1]];
    assert.match(verdict.reasons[0]!, new RegExp(`final training loss \\(mean of the last ${steps} steps\\) was ${value!.replace('.', '\\.')}`));
    assert.doesNotMatch(shown, /0\.614/, 'not the last step');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a run without a verdict (training, stopped) shows its last step\'s loss and says so', () => {
  assert.equal(describeLoss({ lastLoss: 0.61424 }), "last step's loss 0.614");
  assert.equal(describeLoss({}), undefined);
  assert.equal(describeLoss({ lastLoss: 0.6, finalLoss: { value: 0.7351 } }), 'final loss 0.735 (mean of the last tenth of the steps)');
  assert.equal(describeLoss({ finalLoss: { value: 0.5, steps: 1 } }), 'final loss 0.500 (its last step)');
});
