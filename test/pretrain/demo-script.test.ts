import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

interface DemoSummary {
  runDir: string;
  defaultModel: { reused: boolean; lastLoss: number };
  fillMask: { top5: number; baseline: number; perLanguage: Record<string, number>; maskedPieces: number };
  langid: { macro_f1: number; perLanguage: Record<string, { accuracy: number; f1: number }> };
  pairs: { accuracy: number; threshold: number; devAccuracy: number; cosineOnly: { accuracy: number }; lengthOnly: { accuracy: number; devAccuracy: number }; weights: { cosine: number; lengthDisagreement: number } };
  retrieval: { mean: number; chance: number; languages: string[]; top1: (number | null)[][] };
}

test('npm run demo, on the tiny recipe: builds the model, then every section runs and lands in the run folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-demo-'));
  try {
    const args = ['--import', 'tsx', join(ROOT, 'scripts/demo.ts'), '--recipe', join(ROOT, 'recipes/tiny.json'), '--cache-dir', join(dir, 'cache'), '--runs-dir', join(dir, 'runs'), '--threads', '2'];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    assert.equal(run.status, 0, `demo failed:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
    for (const heading of ['1. The default model', '2. Fill-mask on held-out articles', '3. Language identification', '4. Translation-pair detection', '5. Cross-lingual retrieval', 'Summary']) {
      assert.ok(run.stdout.includes(heading), `no section "${heading}" in:\n${run.stdout}`);
    }
    assert.match(run.stdout, /built .* in \d+ s/);
    const runs = readdirSync(join(dir, 'runs'));
    assert.equal(runs.length, 1);
    const runDir = join(dir, 'runs', runs[0]);
    assert.match(run.stdout, new RegExp(`run folder: ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as DemoSummary;
    assert.equal(summary.defaultModel.reused, false);
    // The tiny recipe's three languages are the ones scored for fill-mask, each on some masked pieces.
    assert.deepEqual(Object.keys(summary.fillMask.perLanguage).sort(), ['eng', 'fra', 'rus']);
    assert.ok(summary.fillMask.maskedPieces > 50);
    for (const x of [summary.fillMask.top5, summary.fillMask.baseline, summary.langid.macro_f1, summary.pairs.accuracy, summary.retrieval.mean]) assert.ok(x >= 0 && x <= 1, `${x} is not a share`);
    // Language identification is scored on all 26 languages of examples/langid; retrieval on every ordered pair.
    assert.equal(Object.keys(summary.langid.perLanguage).length, 26);
    assert.equal(summary.retrieval.languages.length, 26);
    assert.equal(summary.retrieval.top1.flat().filter((v) => v !== null).length, 26 * 25);
    assert.equal(summary.retrieval.chance, 1 / 5);
    // The fine-tuned language identifier is an ordinary HF folder with its metrics for the dashboard.
    assert.ok(existsSync(join(runDir, 'langid', 'model.safetensors')), 'langid has no model.safetensors');
    assert.ok(readFileSync(join(runDir, 'langid', 'metrics.jsonl'), 'utf8').trim().split('\n').length > 1);
    // Pair detection: each signal alone and both, fitted on the validation pairs, which they split at least as
    // well as chance. Lengths do not depend on the model, so even the tiny one's length prior beats chance (its
    // three languages give offsets; the other 23 count as 0), and a longer disagreement lowers the odds.
    assert.ok(Number.isFinite(summary.pairs.threshold) && summary.pairs.devAccuracy >= 0.5, JSON.stringify(summary.pairs));
    assert.ok(summary.pairs.lengthOnly.devAccuracy > 0.6 && summary.pairs.lengthOnly.accuracy > 0.6, JSON.stringify(summary.pairs));
    assert.ok(summary.pairs.weights.lengthDisagreement < 0, JSON.stringify(summary.pairs));
    for (const x of [summary.pairs.cosineOnly.accuracy, summary.pairs.lengthOnly.accuracy]) assert.ok(x >= 0 && x <= 1);
    assert.match(run.stdout, /cosine of the sentence vectors alone +\d\.\d{3} +\(\d\.\d{3}\)/);
    assert.match(run.stdout, /pair detection accuracy \d\.\d{3}, macro-F1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
