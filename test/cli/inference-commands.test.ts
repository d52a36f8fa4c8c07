import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { COMMANDS } from '../../src/engine/cli/commands.js';
import { ordinal, pieceShown } from '../../src/engine/cli/fill-mask.js';
import { runXlm } from '../helpers/cli.js';

let root: string;
let mlm: string;
let cls: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-cli-'));
  mlm = join(root, 'mlm');
  cls = join(root, 'cls');
  writeTinyXlmr(mlm, { head: 'mlm', seed: 2 });
  writeTinyXlmr(cls, { head: 'seq-cls', seed: 3, labels: ['no', 'yes'] });
});

after(() => rmSync(root, { recursive: true, force: true }));

const run = (argv: string[], stdinText?: string) => runXlm(argv, { stdin: stdinText, env: { XLM_LAB_CACHE: join(root, 'cache') } });

test('fill-mask --json prints top-k tokens with probabilities for every mask', async () => {
  const r = await run(['fill-mask', '--model', mlm, '--text', 'The capital of France is <mask>.', '--text', 'Hello <mask> and <mask>.', '--top-k', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout) as { text: string; filled: string; masks: { candidates: { token: string; id: number; score: number }[] }[] }[];
  assert.deepEqual(results.map((x) => x.masks.length), [1, 2]);
  for (const m of results.flatMap((x) => x.masks)) {
    assert.equal(m.candidates.length, 3);
    assert.ok(m.candidates.every((c) => c.score > 0 && c.score <= 1 && typeof c.token === 'string'));
  }
});

test('fill-mask\'s text output fills each mask as inline fill-in does, and adds the top-1 pieces where they differ', async () => {
  const texts = ['Paris is the <mask> of France.', 'The capital of France is <mask>.', 'Das ist ein <mask> Haus.', 'un<mask>able'];
  const json = await run(['fill-mask', ...texts.flatMap((t) => ['--text', t]), '--json']);
  assert.equal(json.code, 0, json.stderr);
  const results = JSON.parse(json.stdout) as { text: string; filled: string; filledWords: string; masks: { offer: { rank: number; text: string; token: string; score: number }; words: number; candidates: { text: string; token: string; score: number; startsWord: boolean }[] }[] }[];
  const plain = await run(['fill-mask', ...texts.flatMap((t) => ['--text', t])]);
  assert.equal(plain.code, 0, plain.stderr);
  const expected = results.flatMap((r) => [
    r.text,
    `  → ${r.filledWords}`,
    ...(r.masks.some((m) => m.offer.rank !== 0) ? [`  top-1 pieces: ${r.filled}`] : []),
    ...r.masks.map((m, j) => `  mask ${j + 1}: ${m.candidates.map((c) => `${JSON.stringify(pieceShown(c, m.words > 0))} ${c.score.toFixed(4)}`).join('  ')}${m.offer.rank >= m.candidates.length ? `  (offered: ${JSON.stringify(m.offer.token)} ${m.offer.score.toFixed(4)}, the ${ordinal(m.offer.rank + 1)} most probable)` : ''}`),
  ]);
  // A piece that joins the word before the mask is marked "…" (the JSON keeps the token and says startsWord: false).
  assert.ok(results.some((r) => r.masks.some((m) => m.candidates.some((c) => !c.startsWord && c.text.trim()))), 'some candidate is a piece');
  assert.match(plain.stdout, /"…\S+" 0\.\d{4}/);
  assert.deepEqual(plain.stdout.split('\n').slice(0, -1), expected);
  for (const r of results) assert.equal(r.filledWords, r.text.replace('<mask>', r.masks[0].offer.text));
  assert.ok(results.some((r) => r.masks.some((m) => m.offer.rank !== 0)), 'a text whose most probable candidate is no whole word, so both lines show');
  // A mask inside a word takes the most probable piece.
  assert.equal(results[3].masks[0].offer.rank, 0);
});

test('texts come from stdin lines when none are given, and pairs from TEXT<TAB>PAIR lines', async () => {
  const fill = await run(['fill-mask', '--model', mlm, '--json'], 'A <mask> city.\n\nThe <mask> of Paris.\n');
  assert.equal(fill.code, 0, fill.stderr);
  assert.equal((JSON.parse(fill.stdout) as unknown[]).length, 2);

  const viaStdin = await run(['classify', '--model', cls, '--json'], 'The capital of France is Paris.\tBerlin is the capital of Germany!\n');
  const viaFlags = await run(['classify', '--model', cls, '--json', '--text', 'The capital of France is Paris.', '--pair', 'Berlin is the capital of Germany!']);
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.deepEqual(JSON.parse(viaStdin.stdout), JSON.parse(viaFlags.stdout));
  const [first] = JSON.parse(viaFlags.stdout) as { scores: { label: string; score: number }[] }[];
  assert.deepEqual(first.scores.map((s) => s.label).sort(), ['no', 'yes']);
});

test('classify and embed say which inputs were longer than the model reads; short ones pass without a word', async () => {
  const long = 'word '.repeat(2000).trim();
  const c = await run(['classify', '--model', cls, '--json'], `short text\n${long}\n`);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /^xlm classify: 1 of 2 inputs is longer than the model's \d+ tokens and was cut to fit; the answer reads only what is left \(input 2\)$/m);
  const e = await run(['embed', '--model', mlm, '--json'], `${long}\n${long}\nshort\n`);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stderr, /xlm embed: 2 of 3 inputs are longer than the model's \d+ tokens and were cut to fit; .*\(inputs 1, 2\)/);
  const quiet = await run(['embed', '--model', mlm, '--json'], 'short\n');
  assert.equal(quiet.stderr, '');
});

test('stdin is decoded as data files are: UTF-16 by its byte order mark, and bytes that are not UTF-8 refused in words', async () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Paris is big.\n', 'utf16le')]);
  const asUtf16 = await runXlm(['embed', '--model', mlm, '--json'], { stdin: utf16 as unknown as string, env: { XLM_LAB_CACHE: join(root, 'cache') } });
  assert.equal(asUtf16.code, 0, asUtf16.stderr);
  assert.deepEqual((JSON.parse(asUtf16.stdout) as { vectors: { text: string }[] }).vectors.map((v) => v.text), ['Paris is big.']);
  const latin1 = await runXlm(['embed', '--model', mlm], { stdin: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) as unknown as string, env: { XLM_LAB_CACHE: join(root, 'cache') } });
  assert.equal(latin1.code, 1);
  assert.equal(latin1.stderr, 'xlm: the text on standard input is not valid UTF-8; give UTF-8 text (iconv -f LATIN1 -t UTF-8 converts Latin-1)\n');
});

test('words for people: an encoder is no translation model, a recipe name that is not there lists those that are, --top-k past the limit and a bad flag before the model loads', async () => {
  const tr = await run(['translate', '--model', mlm, 'hello']);
  assert.equal(tr.code, 1);
  assert.match(tr.stderr, /this is an encoder model \(xlm-roberta: fill-mask, classification, sentence vectors\), not a translation model; give a translation model/);
  const recipe = await run(['pretrain', '--recipe', 'no-such-recipe', '--out', join(root, 'never')]);
  assert.match(recipe.stderr, /there is no recipe named "no-such-recipe"; give a recipe file \(a path to its \.json\) or one of the recipes XLM Lab ships: default, quick, tiny/);
  const many = await run(['fill-mask', '--model', mlm, '--top-k', '999999', 'A <mask>.']);
  assert.match(many.stderr, /--top-k is 999999; at most 1000 candidates per mask are listed/);
  const early = await run(['classify', '--model', join(root, 'no-model-here'), '--batch-size', 'abc', 'x']);
  assert.match(early.stderr, /--batch-size is "abc"/, 'the flag is said, not the missing model');
});

test('bad input exits 1 with one located line and no stack; --debug adds the stack', async () => {
  const broken = join(root, 'broken');
  writeTinyXlmr(broken, { head: 'mlm', seed: 2 });
  const weights = join(broken, 'model.safetensors');
  truncateSync(weights, Math.floor(statSync(weights).size / 3));

  const cases: { argv: string[]; says: RegExp }[] = [
    { argv: ['fill-mask', '--model', broken, '--text', 'a <mask>'], says: new RegExp(`^xlm: ${weights.replace(/[/.]/g, '\\$&')}: .*truncated`) },
    { argv: ['fill-mask', '--model', mlm, '--text', 'no mask here'], says: /^xlm: text 1 has no <mask>/ },
    { argv: ['fill-mask', '--model', mlm, '--top-k', '0', 'a <mask>'], says: /^xlm: --top-k is "0"/ },
    { argv: ['fill-mask', '--model', mlm, '--frobnicate'], says: /^xlm: fill-mask has no flag --frobnicate \(xlm fill-mask --help\)$/m },
    { argv: ['classify', '--model', mlm, '--text', 'hello'], says: /this model has no classification head, which classification needs: it is a masked-language model/ },
    { argv: ['embed', '--model', join(root, 'nowhere'), 'x'], says: /nowhere: no such folder/ },
    { argv: ['fill-mask', '--offline', '--model', 'no-such-model-folder', 'a <mask>'], says: /^xlm: --model "no-such-model-folder" is no folder \(.* does not exist\), so it was taken as a Hugging Face model id\. no-such-model-folder \(revision main\) is not in the Hugging Face cache/ },
    { argv: ['fly'], says: /^xlm: unknown command "fly"; commands: / },
    { argv: ['fil-mask', 'Paris is the <mask>.'], says: /^xlm: unknown command "fil-mask"; did you mean fill-mask\? \(xlm fill-mask --help\)$/m },
  ];
  for (const { argv, says } of cases) {
    const r = await run(argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line for ${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, says);
  }
  const debug = await run(['fill-mask', '--model', broken, '--text', 'a <mask>', '--debug']);
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /\n\s+at /, 'the stack is printed with --debug');
});

test('tokenize, embed and export onnx run from the table', async () => {
  const tok = await run(['tokenize', '--model', mlm, '--json', 'Hello world']);
  assert.equal(tok.code, 0, tok.stderr);
  const [t] = JSON.parse(tok.stdout) as { ids: number[]; tokens: string[]; offsets: [number, number][] }[];
  assert.equal(t.ids[0], 0);
  assert.equal(t.tokens.length, t.offsets.length);

  const emb = await run(['embed', '--model', mlm, '--normalize', '--json', 'Hello', 'world']);
  assert.equal(emb.code, 0, emb.stderr);
  const { dim, vectors } = JSON.parse(emb.stdout) as { dim: number; vectors: { vector: number[] }[] };
  assert.equal(vectors.length, 2);
  assert.equal(vectors[0].vector.length, dim);
  assert.ok(Math.abs(Math.hypot(...vectors[0].vector) - 1) < 1e-5);

  const out = join(root, 'export');
  const exp = await run(['export', 'onnx', '--model', mlm, '--out', out]);
  assert.equal(exp.code, 0, exp.stderr);
  assert.ok(existsSync(join(out, 'onnx', 'model.onnx')) && existsSync(join(out, 'tokenizer.json')));
});

test('--model tiny builds a tiny random model once into the cache folder and --help says so', async () => {
  const r = await run(['fill-mask', '--model', 'tiny', '--json', 'a <mask>']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(root, 'cache', 'tiny-random-mlm', 'model.safetensors')));
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const c of COMMANDS) assert.ok(help.stdout.includes(c.name), `help lists ${c.name}`);
  assert.match(help.stdout, /--model tiny/);
});

test('--device on an inference command: a missing provider falls back to the CPU with one line saying why; an unknown word is refused', async () => {
  const cuda = await run(['fill-mask', '--model', mlm, '--device', 'cuda', '--json', 'a <mask> b']);
  assert.equal(cuda.code, 0, cuda.stderr);
  assert.match(cuda.stderr, /device cuda: cuda is not available .*running on cpu/);
  const cpu = await run(['fill-mask', '--model', mlm, '--device', 'cpu', '--json', 'a <mask> b']);
  assert.equal(cpu.stdout, cuda.stdout, 'the fallback computes what the CPU computes');
  const bad = await run(['classify', '--model', cls, '--device', 'quantum', 'hello']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--device is "quantum"; expected one of auto, cpu, webgpu, cuda, dml, coreml/);
  for (const name of ['fill-mask', 'classify', 'embed', 'eval', 'zero-shot']) {
    assert.ok(COMMANDS.find((c) => c.name === name)?.options?.device, `xlm ${name} takes --device`);
  }
});

test('xlm tokenize reads TEXT<TAB>PAIR lines as pairs, keeps blank lines, and takes --truncation and --offsets', async () => {
  type Row = { text: string; textPair?: string; tokens: string[]; offsets: [number, number][]; sequenceIds: (number | null)[] };
  const r = await run(['tokenize', '--model', mlm, '--json', '--max-length', '10', '--truncation', 'only_second'], 'a b c\tParis is big\n\n😀 x\n');
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Row[];
  assert.deepEqual(rows.map((x) => [x.text, x.textPair]), [['a b c', 'Paris is big'], ['', undefined], ['😀 x', undefined]]);
  // only_second: the first text stays whole, the second loses what does not fit.
  const [pair] = rows;
  assert.equal(pair.tokens.length, 10);
  assert.equal(pair.sequenceIds.filter((s) => s === 0).length, 5, "a b c keeps its five tokens ('▁a ▁ b ▁ c')");
  assert.equal(pair.sequenceIds.filter((s) => s === 1).length, 1);
  assert.deepEqual(rows[1].tokens, ['<s>', '</s>']);

  const utf16 = JSON.parse((await run(['tokenize', '--model', mlm, '--json', '😀 x'])).stdout) as Row[];
  const points = JSON.parse((await run(['tokenize', '--model', mlm, '--json', '--offsets', 'code-points', '😀 x'])).stdout) as Row[];
  assert.deepEqual(utf16[0].offsets.at(-2), [3, 4]);
  assert.deepEqual(points[0].offsets.at(-2), [2, 3], 'x is the third code point');

  const cases: Array<[string[], RegExp]> = [
    [['--truncation', 'shortest'], /--truncation is "shortest"; it must be one of longest_first, only_first, only_second/],
    [['--offsets', 'bytes'], /--offsets is "bytes"/],
    [['--max-length', '6', '--truncation', 'only_first', '--text', 'a', '--pair', 'Paris is big'], /only_first truncation cannot fit/],
  ];
  for (const [argv, says] of cases) {
    const bad = await run(['tokenize', '--model', mlm, ...argv, ...(argv.includes('--text') ? [] : ['x'])]);
    assert.equal(bad.code, 1, argv.join(' '));
    assert.match(bad.stderr, says);
  }
});

test('classify refuses the kind of input a classifier was not trained on (config.json xlm_lab.input), and checks nothing when the model does not say', async () => {
  const configPath = join(cls, 'config.json');
  const original = readFileSync(configPath, 'utf8');
  try {
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(original), xlm_lab: { input: 'single' } }));
    const pair = await run(['classify', '--model', cls, '--text', 'hello', '--pair', 'bonjour']);
    assert.equal(pair.code, 1);
    assert.match(pair.stderr, /^xlm: .*this classifier was trained on single texts \(config\.json: xlm_lab\.input "single"\), and input 1 is a pair of texts: give texts without a pair, or use a pair classifier$/m);
    assert.equal((await run(['classify', '--model', cls, '--text', 'hello'])).code, 0);
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(original), xlm_lab: { input: 'pair' } }));
    const single = await run(['classify', '--model', cls, '--text', 'hello']);
    assert.equal(single.code, 1);
    assert.match(single.stderr, /trained on pairs of texts \(config\.json: xlm_lab\.input "pair"\), and input 1 is a single text: give each text with its pair/);
  } finally {
    writeFileSync(configPath, original);
  }
  assert.equal((await run(['classify', '--model', cls, '--text', 'hello', '--pair', 'bonjour'])).code, 0, 'a model that does not say takes either');
});
