/**
 * Turns a finished `xlm pretrain` run into the shipped default model folder (models/default/): weights in
 * float16, config, tokenizer, model card (README.md) and manifest.json (sha256 of every file, the recipe,
 * the corpus packages, steps, wall time, CPU and the exact losses of the first steps). See LONG_RUN.md.
 *
 *   npx tsx scripts/ship-default-model.ts --run OUT [--best | --checkpoint OUT.run/marks/step-N] [--dest models/default] [--dtype f16|f32]
 *   npx tsx scripts/ship-default-model.ts --head-only [--dest models/default]
 *
 * --best ships the validation mark with the highest cross-lingual retrieval top-1 on the validation verses
 * (the last such mark on a tie; the marks of every stage); without it, the weights of the last step. Then the language-identification
 * head is fitted on the shipped weights (tasks/language-id.ts; a few minutes) and the manifest covers it too.
 * --head-only fits the head again on the weights a shipped folder already has (after a change to how it is fitted)
 * and seals the folder's manifest anew; the weights and everything else stay as they are.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../src/engine/errors.js';
import { PRETRAIN_INFO_FILE, type ValidationRecord } from '../src/engine/pretrain/pretrain.js';
import { fitLanguageIdHead } from '../src/engine/pretrain/language-id-fit.js';
import { LATER_STAGES, type LaterStageKey } from '../src/engine/pretrain/recipe.js';
import { sealShippedModel, verifyShippedModel, SHIPPED_FOLDER, writeShippedModel, type ManifestBase } from '../src/engine/pretrain/shipped-model.js';
import { ModelCache } from '../src/engine/runtime/model-cache.js';

const { values: flags } = parseArgs({ options: { run: { type: 'string' }, 'head-only': { type: 'boolean' }, checkpoint: { type: 'string' }, best: { type: 'boolean' }, dest: { type: 'string' }, dtype: { type: 'string' }, threads: { type: 'string' } } });
(async () => {
  if (flags['head-only']) {
    if (flags.run || flags.checkpoint || flags.best || flags.dtype) throw new Error('--head-only refits the head of a shipped folder: give no --run, --checkpoint, --best or --dtype');
    const dest = resolve(flags.dest ?? join(__dirname, '..', SHIPPED_FOLDER));
    // The folder must be what its manifest says before the manifest is sealed anew over it.
    const { files: _files, ...base } = verifyShippedModel(dest);
    await fitHead(dest, base);
    return;
  }
  if (!flags.run) throw new Error('--run OUT is required: the --out folder of a finished xlm pretrain');
  if (flags.best && flags.checkpoint) throw new Error('give --best or --checkpoint, not both');
  const dtype = (flags.dtype ?? 'f16').toUpperCase();
  if (dtype !== 'F16' && dtype !== 'F32') throw new Error(`--dtype is ${flags.dtype}; expected f16 or f32`);
  let checkpoint = flags.checkpoint;
  if (flags.best) {
    const info = JSON.parse(readFileSync(join(flags.run, PRETRAIN_INFO_FILE), 'utf8')) as { validation?: ValidationRecord[] } & { [key in LaterStageKey]?: { validation?: ValidationRecord[] } };
    // Every stage's marks (a stage started from a shipped folder keeps no checkpoints of the stages before it).
    const scored = [...(info.validation ?? []), ...LATER_STAGES.flatMap((key) => info[key]?.validation ?? [])].filter((v) => v.checkpoint && v.report);
    const score = (v: ValidationRecord) => v.report!.retrieval.find((r) => !r.name.endsWith('held-out'))?.top1 ?? -1;
    if (!scored.length) throw new Error(`${flags.run}: the run kept no validation marks with a report; ship the last step (no --best)`);
    const best = scored.reduce((a, b) => (score(b) >= score(a) ? b : a));
    checkpoint = best.checkpoint;
    console.log(`best validation mark: ${best.mark}, step ${best.step}, retrieval top-1 ${(score(best) * 100).toFixed(1)}%`);
  }
  const dest = resolve(flags.dest ?? join(__dirname, '..', SHIPPED_FOLDER));
  await fitHead(dest, writeShippedModel({ run: flags.run, checkpoint, dest, dtype }));
})().catch((e: unknown) => {
  console.error(`ship-default-model: ${describeError(e)}`);
  process.exit(1);
});

/** Fits the language-identification head on the folder's weights, then writes the model card and seals the manifest. */
async function fitHead(dest: string, base: ManifestBase): Promise<void> {
  const cache = new ModelCache({ threads: flags.threads === undefined ? 0 : Number(flags.threads) });
  try {
    base.languageId = await fitLanguageIdHead(await cache.model(dest), base.recipe, { onProgress: (line) => console.log(line) });
  } finally {
    await cache.closeAll();
  }
  const manifest = sealShippedModel(dest, base);
  const bytes = Object.values(manifest.files).reduce((s, f) => s + f.bytes, 0);
  console.log(`wrote ${relative(process.cwd(), dest) || dest}: step ${manifest.step} of ${manifest.steps}, ${(manifest.parameters / 1e6).toFixed(2)}M parameters, ${(bytes / 1e6).toFixed(1)} MB in ${Object.keys(manifest.files).length} files + manifest.json`);
}
