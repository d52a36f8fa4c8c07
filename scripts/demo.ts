/**
 * `npm run demo`: what the default model does, measured on text it never trained on, every figure with its
 * baseline beside it. Nothing is pre-trained here: the model ships in models/default (without it, the fallback
 * recipe is built first, minutes, and the figures are that small model's).
 *
 * 1. The model: size, load time, fill-mask latency at 32 tokens (median and p95 of 100 runs).
 * 2. Fill-mask on the test split (UDHR test articles, Quran test chapters), per language and averaged, beside the
 *    unigram baseline (the language's five most frequent pieces in its training text).
 * 3. Translation-pair detection by the cosine of `xlm embed` vectors alone, the threshold chosen on the
 *    validation verses, accuracy on the test verses.
 * 4. Cross-lingual retrieval top-1 among every test verse (hundreds of candidates) per language pair, pairs of
 *    different scripts apart; the same on the held-out source (emoji names, never trained on); character-3-gram
 *    overlap beside each.
 * 5. Language identification by the head that ships with the model, macro-F1 on the UDHR test articles.
 * 6. Zero-shot cross-lingual transfer: a classifier fine-tuned on English passages only (does a passage come
 *    from the UDHR or from the Quran?) and tested on held-out passages in the 10 other languages both texts have,
 *    balanced accuracy beside a length-only baseline fitted on the same English rows.
 * Everything lands in examples/runs/demo-STAMP/ (the fine-tuned model, metrics.jsonl, summary.json).
 *
 * Each target printed is the project's goal for the shipped model (from its issue tracker), and each says whether
 * it is met; where the model does worse than a baseline the output says so in words. Progress lines go to stderr;
 * the [N s] after a heading is when that section's work began, in seconds since the demo started.
 *
 *   npx tsx scripts/demo.ts [--threads N] [--model DIR] [--runs-dir DIR]
 * (--model: another pre-trained folder with xlm-lab-pretrain.json, e.g. a validation mark of a run.)
 */
import { mkdirSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../src/engine/errors.js';
import { cacheRoot } from '../src/engine/cli/inputs.js';
import { classificationMetrics } from '../src/engine/metrics/index.js';
import { shuffledIndices } from '../src/engine/data/shuffle.js';
import { COPIED_DECLARATIONS, loadUdhrCorpus } from '../src/engine/pretrain/corpus.js';
import { identifiableRows } from '../src/engine/pretrain/language-id-fit.js';
import { bestThreshold } from '../src/engine/pretrain/measures.js';
import { ensureDefaultModel } from '../src/engine/pretrain/default-model.js';
import { languageByCode } from '../src/engine/pretrain/languages.js';
import { loadRecipeSegments, PRETRAIN_INFO_FILE } from '../src/engine/pretrain/pretrain.js';
import { LATER_STAGES, type LaterStageKey, type PretrainRecipe } from '../src/engine/pretrain/recipe.js';
import { udhrSegments, type CorpusSegment } from '../src/engine/pretrain/sources.js';
import { buildValidationSets, evaluateValidation, type RetrievalReport } from '../src/engine/pretrain/validation.js';
import type { MaskCandidate } from '../src/engine/rpc/protocol.js';
import { ModelCache } from '../src/engine/runtime/model-cache.js';
import { classify } from '../src/engine/tasks/classify.js';
import { fillMask } from '../src/engine/tasks/fill-mask.js';
import { hasLanguageId, identifyLanguage, languageIdHead } from '../src/engine/tasks/language-id.js';
import { train } from '../src/engine/train/train-task.js';
import { createRng } from '../src/engine/rng/rng.js';

const { values: flags } = parseArgs({ options: { threads: { type: 'string' }, model: { type: 'string' }, 'runs-dir': { type: 'string' } } });
const threads = flags.threads === undefined ? 0 : Number(flags.threads);
const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const say = (line = '') => process.stdout.write(`${line}\n`);
/** A retrieval set's name in words: "quran-test" is the test split's Quran verses; "X-held-out" a source training never read. */
function setInWords(name: string): string {
  const split = /^quran-(\w+)$/.exec(name);
  if (split) return `Quran verses of the ${split[1]} split`;
  const held = /^(.+)-held-out$/.exec(name);
  return held ? `${held[1]}, a source training never read` : name;
}

/** A heading, stamped with the time its section's work begins; `when` replaces the stamp where that work was done earlier. */
const section = (title: string, when = `${seconds().toFixed(0)} s`) => say(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}  [${when}]`);
/** What the demo is computing now, on stderr, so that a long step is never silent. */
const progress = (what: string) => process.stderr.write(`  [${seconds().toFixed(0)} s] ${what}\n`);
/** The project's goals for the shipped model (from its issue tracker) that this run measured, each met or not. */
const targets: { what: string; value: string; met: boolean }[] = [];
/** Records a target (for the summary) and returns its verdict: "met" or "not met". */
const target = (what: string, value: string, met: boolean) => {
  targets.push({ what, value, met });
  return met ? 'met' : 'not met';
};
const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const name = (code: string) => languageByCode(code)?.name ?? code;
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
/** The mean over gold classes of the share of each class predicted right: 50% for any constant answer between two classes. */
const balancedAccuracy = (gold: readonly string[], pred: readonly string[]) =>
  mean([...new Set(gold)].map((k) => {
    const rows = gold.flatMap((g, i) => (g === k ? [i] : []));
    return rows.filter((i) => pred[i] === k).length / rows.length;
  }));

/** Rows of `cells` laid out in columns, `per` to a line. */
function columns(cells: readonly string[], per: number, width: number): string {
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += per) lines.push('  ' + cells.slice(i, i + per).map((c) => c.padEnd(width)).join('').trimEnd());
  return lines.join('\n');
}

/** Every segment the recipe reads, with its split; UDHR only for recipes without a "corpus" key. */
function recipeSegments(recipe: PretrainRecipe): CorpusSegment[] {
  const corpus = loadUdhrCorpus(recipe.languages);
  return recipe.corpus ? loadRecipeSegments(recipe, corpus) : udhrSegments(corpus, recipe.validationArticles ?? [], recipe.heldOutArticles);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function retrievalLines(r: RetrievalReport): string[] {
  return [
    `  ${setInWords(r.name)}: ${r.languages.length} languages, ${r.candidates} candidates for each query, ${r.pairs} ordered pairs (${r.crossScriptPairs} of different scripts); chance ${pct(1 / r.candidates)}`,
    `    all pairs          model ${pct(r.top1).padStart(6)}   character 3-grams ${pct(r.trigram).padStart(6)}`,
    `    same script        model ${pct(r.top1SameScript).padStart(6)}   character 3-grams ${pct(r.trigramSameScript).padStart(6)}`,
    `    different scripts  model ${pct(r.top1CrossScript).padStart(6)}   character 3-grams ${pct(r.trigramCrossScript).padStart(6)}`,
    `    by the hover's margin score (cosine over the k = 4 nearest in the other language): all pairs ${pct(r.top1Margin)}, different scripts ${pct(r.top1MarginCrossScript)}`,
    ...belowBaseline(r),
  ];
}

/** In words, where the model retrieves fewer translations than character-3-gram overlap. */
function belowBaseline(r: RetrievalReport): string[] {
  const rows = [['all pairs', r.top1, r.trigram], ['same-script pairs', r.top1SameScript, r.trigramSameScript], ['different-script pairs', r.top1CrossScript, r.trigramCrossScript]] as const;
  const worse = rows.filter(([, model, base]) => model !== null && base !== null && model < base);
  if (!worse.length) return [];
  return [`    worse than the baseline here: the model finds fewer translations than character-3-gram overlap (${worse.map(([what, model, base]) => `${what} ${pct(model)} against ${pct(base)}`).join('; ')})`];
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const runDir = join(flags['runs-dir'] ? resolve(flags['runs-dir']) : join(__dirname, '..', 'examples', 'runs'), `demo-${stamp}`);
  mkdirSync(runDir, { recursive: true });
  const summary: Record<string, unknown> = { runDir };
  const cache = new ModelCache({ threads });

  say(`XLM Lab demo: ${flags.model ? 'the model given by --model' : 'the default model'} measured on text it never trained on (the test splits), each figure beside a baseline.`);
  say('A "target" is the project\'s goal for the shipped model, from its issue tracker; "met" or "not met" says where the model');
  say('stands against it (timings depend on this machine), not whether anything on your machine passed or failed.');
  say('[N s] after a heading: when that section\'s work began, in seconds since the demo started; progress lines go to stderr.');

  section('1. The default model');
  let dir = flags.model ? resolve(flags.model) : undefined;
  if (!dir) {
    const built = await ensureDefaultModel({ cacheDir: cacheRoot(process.env), threads, onProgress: (p) => say(`  [${(p.fraction * 100).toFixed(0).padStart(3)}%] ${p.message}`) });
    if (!built.reused && !built.shipped) say(`  no shipped model in models/default: built the fallback in ${built.seconds.toFixed(0)} s`);
    dir = built.dir;
  }
  const run = JSON.parse(readFileSync(join(dir, PRETRAIN_INFO_FILE), 'utf8')) as { recipe: PretrainRecipe; trainSeconds: number } & { [key in LaterStageKey]?: { trainSeconds: number } };
  // Every stage's training time for a recipe with later stages.
  const info = { ...run, trainSeconds: run.trainSeconds + LATER_STAGES.reduce((n, key) => n + (run[key]?.trainSeconds ?? 0), 0) };
  const recipe = info.recipe;
  const bytes = readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
  const weightBytes = statSync(join(dir, 'model.safetensors')).size;
  let t = performance.now();
  const model = await cache.model(dir);
  const loadSeconds = (performance.now() - t) / 1000;
  const params = recipe.model;
  say(`  ${relative(process.cwd(), dir) || dir}: ${params.layers} layers, hidden ${params.hidden}, ${model.config.vocab_size} pieces; weights ${(weightBytes / 1e6).toFixed(1)} MB, folder ${(bytes / 1e6).toFixed(1)} MB`);
  say(`  recipe "${recipe.name}": ${recipe.languages.length} languages, ${(info.trainSeconds / 3600).toFixed(2)} h of training`);
  t = performance.now();
  await fillMask(model, ['All human beings are born <mask> and equal in dignity and rights.'], { topK: 5 });
  const firstFill = (performance.now() - t) / 1000;
  // 32 tokens: a sentence of that length with one mask, 100 runs after the first.
  let text32 = 'Everyone has the right to <mask>, liberty and security of person, and the right to take part in the government of his country, directly or through freely chosen representatives';
  while (model.tokenizer.encode(text32).ids.length > 32) text32 = text32.split(' ').slice(0, -1).join(' ');
  const tokens32 = model.tokenizer.encode(text32).ids.length;
  const latencies: number[] = [];
  for (let i = 0; i < 100; i++) {
    t = performance.now();
    await fillMask(model, [text32], { topK: 5 });
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  const latency = { median: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), tokens: tokens32 };
  say(`  load ${loadSeconds.toFixed(2)} s (target < 2 s: ${target('load < 2 s', `${loadSeconds.toFixed(2)} s`, loadSeconds < 2)}), first fill-mask ${firstFill.toFixed(2)} s (target < 1 s: ${target('first fill-mask < 1 s', `${firstFill.toFixed(2)} s`, firstFill < 1)})`);
  say(`  fill-mask at ${tokens32} tokens: median ${latency.median.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms over 100 runs (${threads === 1 ? '1 thread' : `${threads || 'all'} threads`})`);
  summary.model = { dir, weightBytes, folderBytes: bytes, trainSeconds: info.trainSeconds, loadSeconds, firstFillMaskSeconds: firstFill, fillMaskMs: latency };

  section('2. Fill-mask on the test split (UDHR test articles, Quran test chapters)');
  progress('reading the corpus and counting each language\'s training pieces (the unigram baseline)…');
  const segments = recipeSegments(recipe);
  const streams = new Map<string, number[]>();
  for (const s of segments) {
    if (s.split !== 'train' || s.source === recipe.corpus?.heldOutSource) continue;
    let ids = streams.get(s.lang);
    if (!ids) streams.set(s.lang, (ids = []));
    for (const id of model.tokenizer.encode(s.text, null, { addSpecialTokens: false }).ids) ids.push(id);
  }
  const heldOut = recipe.corpus?.heldOutSource;
  progress(`building the test sets (masked paragraphs; retrieval verses${heldOut ? ` and the held-out ${heldOut} texts` : ''}, with their character-3-gram baseline)…`);
  const test = buildValidationSets(segments, streams, model.tokenizer, heldOut, 'test');
  progress(`scoring fill-mask on ${test.fillMask.length} test paragraphs…`);
  // Fill-mask here, retrieval and pairs in section 3: the two parts of one evaluation, which share nothing.
  const report = await evaluateValidation(model, { ...test, reference: [], retrieval: [] });
  const examples = ['eng', 'fra', 'rus', 'arb', 'cmn'].flatMap((lang) => {
    const line = test.fillMask.find((p) => p.lang === lang && p.text.length > 40);
    if (!line) return [];
    const words = line.text.split(' ');
    const at = words.findIndex((w, i) => i >= 3 && /^\p{L}{4,}$/u.test(w) && model.tokenizer.encode(w, null, { addSpecialTokens: false }).ids.length === 1);
    if (at < 0) return [];
    const shown = words.slice(0, Math.max(at + 6, 12));
    const answer = shown[at];
    shown[at] = '<mask>';
    return [{ lang, masked: shown.join(' '), answer }];
  });
  const filled = await fillMask(model, examples.map((e) => e.masked), { topK: 5 });
  // A piece as the masked-word panel shows it: one that continues the word before the mask ("the" + "m" reads "them") as "…m".
  const piece = (c: MaskCandidate) => (!c.text.trim() ? '\u2581' : c.startsWord ? c.text : `\u2026${c.text}`);
  if (examples.length) {
    say('  A word of a test sentence masked. "fill-in writes": the whole word the editor offers there (inline fill-in\'s ghost');
    say('  text). "top 5 pieces": the model\'s raw subword pieces, most probable first, "…" marking a piece that continues the');
    say('  word before the mask; the top-5 accuracy below counts these pieces.');
  }
  examples.forEach((e, i) => {
    const { offer, candidates } = filled[i].masks[0];
    const why = offer.rank < candidates.length ? '' : ` (${ordinal(offer.rank + 1)} in the model's order: none of its top ${candidates.length} is a whole word)`;
    say(`  ${name(e.lang)}: ${e.masked}`);
    say(`    answer "${e.answer}"; fill-in writes "${offer.text}"${why}${offer.text === e.answer ? ', the answer' : ''}`);
    say(`    top 5 pieces: ${candidates.map(piece).join(' \u00b7 ')}`);
  });
  const perLang = Object.entries(report.fillMaskPerLanguage).sort((a, b) => b[1].top5 / Math.max(1e-9, b[1].unigram) - a[1].top5 / Math.max(1e-9, a[1].unigram));
  say(`  top-5 accuracy per language (model / unigram baseline), ${report.maskedPieces} masked pieces, best ratio first:`);
  say(columns(perLang.map(([l, s]) => `${l} ${(100 * s.top5).toFixed(0)}/${(100 * s.unigram).toFixed(0)}`), 8, 13));
  const ratios = perLang.map(([, s]) => s.top5 / Math.max(1e-9, s.unigram));
  const atLeast4 = ratios.filter((r) => r >= 4).length;
  say(`  average over ${perLang.length} languages: model ${pct(report.fillMaskTop5)}, unigram ${pct(report.unigramTop5)}, ratio ${report.fillMaskRatio.toFixed(2)}x (target ≥ 4x: ${target('fill-mask top-5 ≥ 4x the unigram baseline', `${report.fillMaskRatio.toFixed(2)}x`, report.fillMaskRatio >= 4)}); ${atLeast4} of ${perLang.length} languages at ≥ 4x`);
  const belowUnigram = perLang.filter(([, s]) => s.top5 < s.unigram).map(([l]) => l);
  say(belowUnigram.length ? `  worse than the baseline: in ${belowUnigram.length} of ${perLang.length} languages the model's top 5 holds the masked piece less often than the unigram baseline does (${belowUnigram.join(', ')})` : `  the model is above its unigram baseline in every one of the ${perLang.length} languages`);
  say(`  masked-LM loss ${report.mlmLoss.toFixed(3)} nats`);
  summary.fillMask = { top5: report.fillMaskTop5, unigram: report.unigramTop5, ratio: report.fillMaskRatio, mlmLoss: report.mlmLoss, pieces: report.maskedPieces, languagesAt4x: atLeast4, perLanguage: report.fillMaskPerLanguage, examples: examples.map((e, i) => ({ ...e, top5: filled[i].masks[0].candidates.map((c) => c.token.trim()), offer: { text: filled[i].masks[0].offer.text, rank: filled[i].masks[0].offer.rank } })) };

  section('3. Translation-pair detection by the cosine of the sentence vectors alone');
  progress('building the validation sets…');
  const validation = buildValidationSets(segments, streams, model.tokenizer, undefined, 'validation');
  validation.fillMask = [];
  validation.retrieval = validation.retrieval.filter((r) => !r.name.endsWith('held-out'));
  if (validation.retrieval.length) progress(`choosing the pair threshold on the validation verses (embedding ${validation.retrieval.map((r) => r.units.length * r.languages.length).reduce((a, b) => a + b, 0)} verses)…`);
  const threshold = validation.retrieval.length ? (await evaluateValidation(model, validation)).retrieval[0]?.pairThreshold : undefined;
  const retrievalStarted = seconds();
  if (test.retrieval.length) progress(`scoring retrieval and pairs on the test split (embedding ${test.retrieval.map((r) => `${r.units.length * r.languages.length} ${r.name}`).join(' and ')} texts)…`);
  const retrievalReport = await evaluateValidation(model, { ...test, fillMask: [] }, { pairThreshold: threshold });
  const verses = retrievalReport.retrieval.find((r) => !r.name.endsWith('held-out'));
  const other = retrievalReport.retrieval.find((r) => r.name.endsWith('held-out'));
  if (verses && threshold !== undefined) {
    const accuracy = verses.pairAccuracyAtGiven!;
    say(`  ${verses.pairCount} test pairs (${setInWords(verses.name)}; each verse with its translation, and with another verse of the same two languages; chance 50%)`);
    say(`  threshold ${threshold.toFixed(3)} chosen on the validation verses: accuracy ${accuracy.toFixed(3)} (target ≥ 0.90: ${target('pair accuracy ≥ 0.90', accuracy.toFixed(3), accuracy >= 0.9)}); best threshold on the test pairs themselves would give ${verses.pairAccuracy!.toFixed(3)}`);
    if (accuracy <= 0.5) say(`  worse than the baseline: no better than chance (50%)`);
    summary.pairs = { accuracy: verses.pairAccuracyAtGiven, threshold, oracleAccuracy: verses.pairAccuracy, pairs: verses.pairCount };
  } else say('  this model\'s recipe has no parallel verses to test on');

  section('4. Cross-lingual retrieval (vectors of xlm embed, centred per language; top-1)', `${retrievalStarted.toFixed(0)} s, scored with section 3's pairs`);
  for (const r of [verses, other]) if (r) for (const line of retrievalLines(r)) say(line);
  if (verses) {
    const langs = verses.languages;
    say(`  ${setInWords(verses.name)}, top-1 % per pair (row: query language, column: searched language):`);
    say(`      ${langs.map((l) => l.padStart(5)).join('')}`);
    for (const a of langs) say(`  ${a.padEnd(4)}${langs.map((b) => (a === b ? '    .' : (100 * verses.perPair[`${a}>${b}`].top1).toFixed(0).padStart(5))).join('')}`);
    const eng = langs.filter((b) => b !== 'eng' && verses.perPair[`eng>${b}`]?.crossScript);
    if (eng.length) say(`  English against other scripts: ${eng.map((b) => `${b} ${pct(verses.perPair[`eng>${b}`].top1)} (3-gram ${pct(verses.perPair[`eng>${b}`].trigram)})`).join(', ')}`);
  }
  if (verses) say(`  target: top-1 ≥ 90% on average over the pairs of ${setInWords(verses.name)}: ${pct(verses.top1)}, ${target('retrieval top-1 ≥ 90%', pct(verses.top1), verses.top1 >= 0.9)}`);
  summary.retrieval = retrievalReport.retrieval;

  section('5. Language identification (the head that ships with the model)');
  if (hasLanguageId(model.dir)) {
    const head = languageIdHead(model);
    const known = new Set(head.labels);
    // Scored: the test paragraphs a language can be told from (pretrain/language-id-fit.ts, identifiableRows).
    const sorted = identifiableRows(segments.filter((s) => s.source === 'udhr' && s.split === 'test'));
    const rows = sorted.kept.filter((s) => known.has(s.lang));
    const predicted = (await identifyLanguage(model, rows.map((r) => r.text), { topK: 1 })).map((s) => s[0].label);
    const m = classificationMetrics(rows.map((r) => r.lang), predicted, head.labels);
    const present = m.perClass.filter((c) => c.support > 0);
    const macro = mean(present.map((c) => c.f1));
    const worst = [...present].sort((a, b) => a.f1 - b.f1).filter((c) => c.f1 < 1).slice(0, 12);
    say(`  ${rows.length} paragraphs of the UDHR test articles in ${present.length} languages (the head knows ${head.labels.length})`);
    const setAside = [
      sorted.copied.length ? `${sorted.copied.length} paragraphs of ${[...new Set(sorted.copied.map((r) => r.lang))].map((l) => `${l} (the package's ${l} declaration is ${COPIED_DECLARATIONS[l]}'s text)`).join(', ')}` : '',
      sorted.letterless.length ? `${sorted.letterless.length} without a letter (placeholders such as "${sorted.letterless[0]!.text}")` : '',
      sorted.shared.length ? `${sorted.shared.length} whose text is word for word another language's (${[...new Set(sorted.shared.map((r) => r.lang))].sort().join(', ')})` : '',
    ].filter(Boolean);
    if (setAside.length) say(`  not scored: ${setAside.join('; ')}`);
    const majority = Math.max(...present.map((c) => c.support)) / rows.length;
    say(`  macro-F1 ${macro.toFixed(3)}, accuracy ${m.accuracy.toFixed(3)} (target macro-F1 ≥ 0.98 over ≥ 50 languages: ${target('language-ID macro-F1 ≥ 0.98 over ≥ 50 languages', `${macro.toFixed(3)} over ${present.length}`, macro >= 0.98 && present.length >= 50)}); majority-class baseline accuracy ${majority.toFixed(3)}`);
    if (m.accuracy <= majority) say('  worse than the baseline: no more accurate than always answering the most frequent language');
    if (worst.length) say(`  languages below F1 1.0: ${worst.map((c) => `${c.label} ${c.f1.toFixed(2)}`).join(', ')}${present.filter((c) => c.f1 < 1).length > worst.length ? ', ...' : ''}`);
    summary.languageId = { macroF1: macro, accuracy: m.accuracy, languages: present.length, paragraphs: rows.length, notScored: { copied: sorted.copied.length, letterless: sorted.letterless.length, shared: sorted.shared.length }, perLanguage: Object.fromEntries(present.map((c) => [c.label, c.f1])) };
  } else say('  this model has no language-identification head (language-id.json)');

  section('6. Zero-shot cross-lingual transfer (fine-tuned on English only)');
  // Which text a passage comes from: the Universal Declaration of Human Rights or the Quran. Trained on English
  // passages of the training split only (as many Quran verses, drawn at random, as there are UDHR paragraphs);
  // tested on the test split (held-out UDHR articles, held-out Quran chapters) in every language both texts have.
  const quranLanguages = new Set(segments.filter((s) => s.source === 'quran').map((s) => s.lang));
  const passages = segments.filter((s) => (s.source === 'udhr' || s.source === 'quran') && quranLanguages.has(s.lang));
  const englishUdhr = passages.filter((s) => s.lang === 'eng' && s.split === 'train' && s.source === 'udhr');
  const englishQuran = passages.filter((s) => s.lang === 'eng' && s.split === 'train' && s.source === 'quran');
  if (englishUdhr.length && englishQuran.length) {
    const order = shuffledIndices(englishQuran.length, createRng(42));
    const trainRows = [...englishUdhr, ...[...order.slice(0, englishUdhr.length)].map((i) => englishQuran[i])].map((s) => ({ text: s.text, label: s.source }));
    const testRows = passages.filter((s) => s.split === 'test');
    const trainFile = join(runDir, 'source-train-eng.jsonl');
    writeFileSync(trainFile, trainRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(runDir, 'source-test.jsonl'), testRows.map((r) => JSON.stringify({ text: r.text, label: r.source, lang: r.lang })).join('\n') + '\n');
    say(`  task: does a passage come from the UDHR or from the Quran? ${trainRows.length} English training passages (half each); test: the test split in the ${quranLanguages.size} languages both texts have`);
    const out = join(runDir, 'source-classifier');
    progress(`fine-tuning on the ${trainRows.length} English passages…`);
    const result = await train({ model: model.dir, task: 'sequence-classification', train: trainFile, out, method: 'full', lr: 3e-4, epochs: 6, batchSize: 16, maxLength: 64, warmupRatio: 0.1, seed: 42, logEvery: 10, threads });
    say(`  fine-tuned ${result.steps} steps on English passages, last loss ${result.lastLoss?.toFixed(3)}; model in ${relative(process.cwd(), out)}`);
    const classifier = await cache.model(out);
    progress(`classifying the ${testRows.length} test passages…`);
    const scores = await classify(classifier, testRows.map((r) => ({ text: r.text })));
    // Baseline: the passage's length alone (in the model's tokens), thresholded where it best splits the English training rows.
    const tokens = (text: string) => model.tokenizer.encode(text).ids.length;
    const cut = bestThreshold(trainRows.map((r) => tokens(r.text)), trainRows.map((r) => r.label === 'udhr'));
    const byLang = new Map<string, { gold: string[]; pred: string[]; length: string[] }>();
    testRows.forEach((r, i) => {
      const e = byLang.get(r.lang) ?? { gold: [], pred: [], length: [] };
      e.gold.push(r.source);
      e.pred.push(scores[i][0].label);
      e.length.push(tokens(r.text) > cut.threshold ? 'udhr' : 'quran');
      byLang.set(r.lang, e);
    });
    const per = [...byLang].map(([lang, e]) => ({ lang, n: e.gold.length, balanced: balancedAccuracy(e.gold, e.pred), length: balancedAccuracy(e.gold, e.length) }));
    per.sort((a, b) => (a.lang === 'eng' ? -1 : b.lang === 'eng' ? 1 : b.balanced - a.balanced));
    const eng = per.find((p) => p.lang === 'eng');
    const others = per.filter((p) => p.lang !== 'eng');
    say(`  balanced accuracy per language (chance 50%; in parentheses: the length-only baseline), English first:`);
    say(columns(per.map((p) => `${p.lang} ${(100 * p.balanced).toFixed(0)} (${(100 * p.length).toFixed(0)})`), 6, 16));
    const belowLength = per.filter((p) => p.balanced <= p.length);
    if (belowLength.length) say(`  worse than the baseline: in ${belowLength.map((p) => `${p.lang} (${pct(p.balanced)} against ${pct(p.length)})`).join(', ')} the classifier is no better than the passage's length alone`);
    say(`  English ${pct(eng?.balanced)}; the other ${others.length} languages: mean ${pct(mean(others.map((p) => p.balanced)))} (length alone ${pct(mean(others.map((p) => p.length)))}); different scripts from English: ${pct(mean(others.filter((p) => languageByCode(p.lang)?.script !== 'Latin').map((p) => p.balanced)))}`);
    summary.zeroShot = { task: 'udhr-or-quran', metric: 'balanced accuracy', trainRows: trainRows.length, steps: result.steps, english: eng, others: { languages: others.length, balancedAccuracy: mean(others.map((p) => p.balanced)), lengthBaseline: mean(others.map((p) => p.length)) }, perLanguage: per };
  } else say('  this model\'s recipe has no Quran and UDHR text in English to fine-tune on');

  section('Summary');
  const total = seconds();
  summary.totalSeconds = total;
  summary.targets = targets;
  writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  say(`  fill-mask top-5 ${pct(report.fillMaskTop5)} vs unigram ${pct(report.unigramTop5)} (${report.fillMaskRatio.toFixed(2)}x)`);
  if (verses) say(`  pairs by cosine ${(summary.pairs as { accuracy?: number } | undefined)?.accuracy?.toFixed(3) ?? '-'} | retrieval top-1 ${pct(verses.top1)} (3-gram ${pct(verses.trigram)}), different scripts ${pct(verses.top1CrossScript)} (3-gram ${pct(verses.trigramCrossScript)})`);
  if (other) say(`  ${setInWords(other.name)}: retrieval top-1 ${pct(other.top1)} (3-gram ${pct(other.trigram)})${other.top1 < other.trigram ? ', below its 3-gram baseline' : ''}`);
  if (summary.languageId) say(`  language identification macro-F1 ${(summary.languageId as { macroF1: number }).macroF1.toFixed(3)} over ${(summary.languageId as { languages: number }).languages} languages`);
  const zs = summary.zeroShot as { english?: { balanced: number }; others: { languages: number; balancedAccuracy: number; lengthBaseline: number } } | undefined;
  if (zs) say(`  zero-shot (UDHR or Quran, trained on English): English ${pct(zs.english?.balanced)}, ${zs.others.languages} other languages ${pct(zs.others.balancedAccuracy)} (length alone ${pct(zs.others.lengthBaseline)})`);
  say(`  load ${loadSeconds.toFixed(2)} s, fill-mask at ${tokens32} tokens median ${latency.median.toFixed(1)} ms (p95 ${latency.p95.toFixed(1)} ms)`);
  const listed = (xs: typeof targets) => xs.map((x) => `${x.what} (${x.value})`).join('; ');
  const met = targets.filter((x) => x.met);
  const missed = targets.filter((x) => !x.met);
  say(`  the project's targets for the shipped model: ${met.length} of ${targets.length} met${met.length ? `: ${listed(met)}` : ''}`);
  if (missed.length) say(`  not met: ${listed(missed)}`);
  say(`  demo took ${total.toFixed(0)} s; run folder: ${relative(process.cwd(), runDir)}`);
  await cache.closeAll();
}

main().catch((e) => {
  process.stderr.write(`demo: ${describeError(e)}\n`);
  if (!(e instanceof Error && e.name === 'XlmError') && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
