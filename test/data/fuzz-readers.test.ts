// Property-based fuzzing of every data reader (JSONL, CSV, TSV, XNLI TSV, CoNLL, plain text, parallel files,
// format detection, the JSON error locator): random bytes, near-valid token soup and mutated valid files, in
// UTF-8, UTF-16 and UTF-32. Whatever the input, a read ends within a time limit and a memory bound, and every
// problem is a row error naming the file and a line of it, or an XlmError naming the file: never a TypeError or
// RangeError, never a hang. Round trips check that well-formed files read back exactly what was written.
//
// Runs are seeded (XLM_FUZZ_SEED, default fixed) and sized for CI (XLM_FUZZ_RUNS scales them, e.g. 20 for a long
// local hunt); each property prints how many inputs it ran.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { TAG_SCHEMES } from '../../src/engine/data/bio.js';
import { openDataset } from '../../src/engine/data/dataset.js';
import { detectFormat } from '../../src/engine/data/detect.js';
import { locateJsonError } from '../../src/engine/data/json-error.js';
import { readParallel, type ParallelInput } from '../../src/engine/data/parallel.js';
import type { DataError, DataFormat, ReadOptions } from '../../src/engine/data/types.js';
import { isXlmError } from '../../src/engine/errors.js';
import { tempFolder } from './temp-files.js';

const SEED = Number(process.env.XLM_FUZZ_SEED ?? 20261205);
const SCALE = Number(process.env.XLM_FUZZ_RUNS ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
/** One read of an input of at most a few KiB: far above what it takes, far below a hang. */
const READ_TIMEOUT_MS = 5000;
/** Heap a read may add for an input of at most 8 KiB (held rows, error lists, decoders). */
const HEAP_BOUND_BYTES = 64 * 1024 * 1024;

const files = tempFolder('fuzz');
let fileCounter = 0;

const FORMATS: (DataFormat | undefined)[] = [undefined, 'jsonl', 'csv', 'tsv', 'xnli', 'conll', 'text', 'parallel'];
const EXTENSIONS = ['', '.jsonl', '.json', '.csv', '.tsv', '.conll', '.txt', '.iob'];

const SEEDS: Record<string, string> = {
  jsonl: '{"text": "Das Essen war großartig.", "label": "positive", "lang": "de"}\n{"sentence1": "A man.", "sentence2": "A person.", "gold_label": "-"}\n{"tokens": ["Anna", "lebt"], "ner_tags": ["B-PER", "O"]}\n',
  csv: 'text,label,lang\n"Hello, world",greeting,en\n"multi\r\nline ""quoted""",other,fr\nplain,greeting,de\n',
  tsv: 'premise\thypothesis\tlabel\nA man sleeps.\tA person rests.\tentailment\n"Stop!" he said.\tHe spoke.\tneutral\n',
  xnli: 'language\tgold_label\tsentence1\tsentence2\nfr\tneutral\tIl dort.\tIl se repose.\nde\tcontradictory\tEr sagte "Nein\tEr sagte ja.\n',
  conll: '-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\nPeter NNP I-NP B-PER\nBlackburn NNP I-NP E-PER\n\nfr:Paris\tU-LOC\n',
  text: 'Alle Menschen sind frei.\n\nTous les êtres humains naissent libres.\r\n😀 emoji line\n',
};

/** Pieces that make near-valid files of every format, so the soup reaches deep into the readers. */
const PIECES = [
  '{', '}', '[', ']', '"', "'", ',', ':', '\t', ' ', '\n', '\r\n', '\r', '\\', '\\u', '\\ud800', '-', '0', '1', '1e999', 'null', 'true',
  '"text"', '"label"', '"tokens"', '"tags"', '"ner_tags"', 'text', 'label', 'premise', 'hypothesis', 'text_a', 'text_b', 'gold_label', 'language',
  'lang', 'sentence1', 'sentence2', 'B-PER', 'I-PER', 'E-PER', 'S-LOC', 'L-ORG', 'U-MISC', 'I-LOC', 'O', '-DOCSTART-', 'en:', 'entailment',
  'neutral', 'ü', '😀', '\u0000', '\ufeff', '\u202e', '\x1b[2J', '\ud800', 'x'.repeat(70), '""', '"a""b"',
];

const textArb = fc.array(fc.constantFrom(...PIECES), { maxLength: 120 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));

/** Words, tags and values a data file is made of; some of them wrong. */
const WORDS = ['Anna', 'Paris', 'en:Paris', 'xx:', 'O', 'B-PER', 'I-PER', 'E-PER', 'S-LOC', 'L-ORG', 'U-MISC', 'I-LOC', 'B-', 'X-Y', 'entailment', 'neutral', 'contradictory', '-', 'positive', '0', '2', '"quoted"', 'a"b', '', 'ü', '😀', '\u202e', '\x1b[31m', 'NNP', 'I-NP'];
const COLUMNS = ['text', 'label', 'lang', 'language', 'premise', 'hypothesis', 'sentence1', 'sentence2', 'text_a', 'text_b', 'gold_label', 'tokens', 'tags', 'ner_tags', 'words', 'labels', 'category', 'en', 'fr', 'x'];
const jsonValue = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.integer({ min: -2, max: 5 }),
  fc.constantFrom(null, true, 1.5, 1e300),
  fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.integer({ min: -1, max: 4 }), fc.constant(null)), { maxLength: 6 }),
  fc.dictionary(fc.constantFrom(...COLUMNS), fc.constantFrom(...WORDS), { maxKeys: 2 }),
);
/** Line-shaped files: token lines, delimited rows, JSON objects, headers, blank lines, -DOCSTART-: deep into every reader. */
const lineArb = fc.oneof(
  fc.constant(''),
  fc.constant('-DOCSTART- -X- O O'),
  fc.tuple(fc.array(fc.constantFrom(...WORDS, ...COLUMNS), { minLength: 1, maxLength: 5 }), fc.constantFrom(' ', '\t', ',', ' \t')).map(([fields, sep]) => fields.join(sep)),
  fc.dictionary(fc.constantFrom(...COLUMNS), jsonValue, { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...WORDS)).map(([w, t]) => `${w} ${t}`),
);
const linesArb = fc.tuple(fc.array(lineArb, { maxLength: 40 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => Buffer.from(lines.join(eol) + eol, 'utf8'));

const bytesArb = fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b));

type Mutation = { at: number; kind: 'insert' | 'delete' | 'flip' | 'duplicate'; bytes: Uint8Array; length: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'delete', 'flip', 'duplicate'),
  bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...PIECES).map((p) => new Uint8Array(Buffer.from(p, 'utf8')))),
  length: fc.integer({ min: 1, max: 64 }),
});

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let b = seed;
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    else if (m.kind === 'flip' && at < b.length) {
      b = Buffer.from(b);
      b[at] ^= m.bytes[0] || 0x80;
    } else if (m.kind === 'duplicate') b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
  }
  return b;
}

const mutatedArb = fc.tuple(fc.constantFrom(...Object.values(SEEDS)), fc.array(mutationArb, { minLength: 1, maxLength: 6 })).map(([seed, ms]) => mutate(Buffer.from(seed, 'utf8'), ms));

/** The same content as UTF-8, UTF-16 LE/BE (with or without a BOM) or UTF-32 (refused whole). */
const encodingArb = fc.constantFrom('utf8', 'utf8-bom', 'utf16le-bom', 'utf16be-bom', 'utf16le', 'utf32le-bom');
function encode(content: Buffer, encoding: string): Buffer {
  if (encoding === 'utf8') return content;
  if (encoding === 'utf8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), content]);
  const text = content.toString('utf8');
  if (encoding.startsWith('utf16')) {
    const le = Buffer.from(text, 'utf16le');
    const body = encoding.startsWith('utf16be') ? Buffer.from(le).swap16() : le;
    const bom = !encoding.endsWith('-bom') ? [] : encoding.startsWith('utf16be') ? [0xfe, 0xff] : [0xff, 0xfe];
    return Buffer.concat([Buffer.from(bom), body]);
  }
  const cps = [...text].map((c) => c.codePointAt(0)!);
  const out = Buffer.alloc(4 + cps.length * 4);
  out.writeUInt32LE(0xfeff, 0);
  cps.forEach((cp, i) => out.writeUInt32LE(cp, 4 + i * 4));
  return out;
}

const optionsArb: fc.Arbitrary<ReadOptions> = fc.record(
  {
    format: fc.constantFrom(...FORMATS),
    maxLineBytes: fc.constantFrom(undefined, 8, 64, 1024),
    tagScheme: fc.constantFrom(undefined, ...TAG_SCHEMES),
    labelsOptional: fc.boolean(),
    onError: fc.constantFrom(undefined, 'stop' as const, 'skip' as const),
    maxErrors: fc.constantFrom(undefined, 1, 3),
    labels: fc.constantFrom(undefined, ['positive', 'greeting', 'entailment', 'neutral', 'contradiction']),
    id2label: fc.constantFrom<Record<number, string> | undefined>(undefined, { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'E-PER', 4: 'S-LOC' }, { 0: 'entailment', 1: 'neutral', 2: 'contradiction' }),
    kind: fc.constantFrom(undefined, 'sequence-classification' as const, 'pair-classification' as const, 'token-classification' as const, 'masked-lm' as const, 'parallel' as const),
    textColumn: fc.constantFrom(undefined, 'text', 'x', 'column1'),
    quote: fc.constantFrom(undefined, true, false),
    header: fc.constantFrom(undefined, true, false),
  },
  { requiredKeys: [] },
);

interface Outcome {
  rows: number;
  errors: DataError[];
}

/** Reads a whole file as a trainer would; resolves to its rows and errors, or rejects with what the reader threw. */
async function readAll(path: string, options: ReadOptions): Promise<Outcome> {
  const ds = await openDataset(path, options);
  let rows = 0;
  for await (const batch of ds.batches()) rows += batch.length;
  return { rows, errors: ds.report.errors.concat(ds.report.warnings) };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} did not finish in ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The property every reader keeps: it ends, in bounded memory, with located row errors or a located XlmError. */
async function readsCleanly(content: Buffer, options: ReadOptions, extension: string, pairContent?: Buffer): Promise<void> {
  const path = join(files.dir, `in-${fileCounter++}${extension}`);
  writeFileSync(path, content);
  const read: ReadOptions = { ...options, onError: options.onError ?? 'skip' };
  const pairPath = read.format === 'parallel' || pairContent !== undefined ? join(files.dir, `in-${fileCounter++}.pair`) : undefined;
  if (pairPath !== undefined) {
    writeFileSync(pairPath, pairContent ?? content);
    read.pairPath = pairPath;
  }
  const lineCount = Math.max(content.length, pairContent?.length ?? 0) + 1; // a line per byte at most
  const heapBefore = process.memoryUsage().heapUsed;
  let outcome: Outcome;
  try {
    outcome = await withTimeout(readAll(path, read), `reading ${path}`);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('HANG')) throw e;
    assert.ok(isXlmError(e), `not an XlmError: ${e instanceof Error ? e.stack : String(e)}`);
    assert.ok(e.message.length > 0 && !/'undefined'|NaN|\[object /.test(e.message), `message: ${e.message}`);
    assert.ok(e.place.file === path || e.place.file === pairPath || e.message.includes(path), `the error names no file: ${e.message}`);
    if (e.place.line !== undefined) assert.ok(Number.isInteger(e.place.line) && e.place.line >= 1 && e.place.line <= lineCount, `line ${e.place.line}`);
    return;
  }
  for (const error of outcome.errors) {
    assert.ok(error.file === path || error.file === pairPath, `row error names another file: ${error.file}`);
    assert.ok(Number.isInteger(error.line) && error.line >= 1 && error.line <= lineCount, `row error line ${error.line} of at most ${lineCount}`);
    if (error.column !== undefined) assert.ok(Number.isInteger(error.column) && error.column >= 1, `column ${error.column}`);
    assert.ok(typeof error.reason === 'string' && error.reason.length > 0 && !/undefined|NaN|\[object /.test(error.reason), `reason: ${error.reason}`);
  }
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < HEAP_BOUND_BYTES, `a read of ${content.length} bytes grew the heap by ${grown} bytes`);
}

async function check(name: string, property: fc.IAsyncPropertyWithHooks<unknown[]> | fc.IAsyncProperty<unknown[]>, numRuns: number): Promise<void> {
  const details = await fc.check(property, { seed: SEED, numRuns, interruptAfterTimeLimit: 60_000 * SCALE });
  console.log(`fuzz ${name}: ${details.numRuns} inputs (seed ${SEED}), ${details.failed ? 'FAILED' : 'no failure'}`);
  if (details.failed) assert.fail(`${fc.defaultReportMessage(details) ?? 'failed'}\n${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
  assert.equal(details.interrupted, false, `${name}: interrupted by the time limit after ${details.numRuns} inputs`);
}

test('fuzz: random bytes in every format and encoding', async () => {
  await check(
    'random bytes',
    fc.asyncProperty(bytesArb, optionsArb, fc.constantFrom(...EXTENSIONS), async (bytes, options, ext) => readsCleanly(bytes, options, ext)),
    runs(250),
  );
});

test('fuzz: near-valid token soup and line-shaped files in every format and encoding', async () => {
  await check(
    'token soup and line-shaped files',
    fc.asyncProperty(fc.oneof(textArb, linesArb, linesArb), optionsArb, fc.constantFrom(...EXTENSIONS), encodingArb, async (text, options, ext, encoding) => readsCleanly(encode(text, encoding), options, ext)),
    runs(600),
  );
});

test('fuzz: mutated valid files (inserted, deleted, flipped and duplicated bytes)', async () => {
  await check(
    'mutated files',
    fc.asyncProperty(mutatedArb, optionsArb, fc.constantFrom(...EXTENSIONS), encodingArb, async (bytes, options, ext, encoding) => readsCleanly(encode(bytes, encoding), options, ext)),
    runs(400),
  );
});

test('fuzz: parallel files of different, mutated contents', async () => {
  await check(
    'parallel files',
    fc.asyncProperty(fc.oneof(mutatedArb, textArb, linesArb), fc.oneof(mutatedArb, textArb, linesArb, bytesArb), fc.constantFrom(undefined, 8, 1024), async (a, b, maxLineBytes) =>
      readsCleanly(a, { format: 'parallel', maxLineBytes }, '.en', b),
    ),
    runs(150),
  );
});

/** Translation data in each layout the parallel reader knows, to mutate. */
const PARALLEL_SEEDS = [
  '{"translation": {"en": "Hello", "de": "Hallo"}}\n{"translation": {"de": "Ja", "en": "Yes", "fr": "Oui"}}\n{"translation": {"english": "x", "de": ""}}\n',
  '{"source": "Hello", "target": "Bonjour", "source_lang": "en", "target_lang": "fr"}\n{"source": "a", "target": 3}\n{"source": "b", "target": "c", "target_lang": "xx"}\n',
  'en\tde\nHello\tHallo\nno tab\n\tleer\na\tb\tc\n',
];
const parallelArb = fc.oneof(
  fc.tuple(fc.constantFrom(...PARALLEL_SEEDS), fc.array(mutationArb, { maxLength: 6 })).map(([seed, ms]) => mutate(Buffer.from(seed, 'utf8'), ms)),
  linesArb,
  textArb,
);

test('fuzz: the parallel reader (two files, TSV, JSONL) ends with located errors or a located XlmError', async () => {
  await check(
    'readParallel',
    fc.asyncProperty(
      parallelArb,
      fc.option(parallelArb, { nil: undefined }),
      fc.constantFrom('.jsonl', '.tsv', '.en', ''),
      fc.constantFrom(undefined, 'en', 'de', 'de_DE', 'english'),
      fc.constantFrom(undefined, 'de', 'fr', 'deu_Latn'),
      fc.boolean(),
      async (a, b, ext, sourceLang, targetLang, requireLanguages) => {
        const path = join(files.dir, `par-${fileCounter++}${ext}`);
        writeFileSync(path, a);
        const other = b === undefined ? undefined : join(files.dir, `par-${fileCounter++}.de`);
        if (other !== undefined && b !== undefined) writeFileSync(other, b);
        const input: ParallelInput = other === undefined ? { file: path } : { source: path, target: other };
        const lineCount = Math.max(a.length, b?.length ?? 0) + 1;
        try {
          const data = await withTimeout(readParallel(input, { sourceLang, targetLang, requireLanguages, onError: 'skip' }), `reading ${path}`);
          for (const e of data.errors) {
            assert.ok(e.file === path || e.file === other, `row error names another file: ${e.file}`);
            assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lineCount, `row error line ${e.line}`);
            assert.ok(e.reason.length > 0 && !/undefined|NaN|\[object /.test(e.reason), `reason: ${e.reason}`);
          }
          for (const u of data.units) assert.ok(u.source.trim() !== '' && u.target.trim() !== '' && u.line >= 1);
        } catch (e) {
          if (e instanceof Error && e.message.startsWith('HANG')) throw e;
          assert.ok(isXlmError(e), `not an XlmError: ${e instanceof Error ? e.stack : String(e)}`);
          assert.ok(!/'undefined'|NaN|\[object /.test(e.message), `message: ${e.message}`);
          assert.ok(e.place.file === path || e.place.file === other || e.place.what !== undefined, `the error names no file or option: ${e.message}`);
        }
      },
    ),
    runs(300),
  );
});

test('fuzz: format detection never throws anything but a located XlmError', async () => {
  await check(
    'detectFormat',
    fc.asyncProperty(fc.oneof(bytesArb, textArb, mutatedArb, linesArb), fc.constantFrom(...EXTENSIONS), async (bytes, ext) => {
      const path = join(files.dir, `detect-${fileCounter++}${ext}`);
      writeFileSync(path, bytes);
      try {
        const found = await detectFormat(path);
        assert.ok(FORMATS.includes(found.format));
      } catch (e) {
        assert.ok(isXlmError(e) && e.place.file === path, String(e));
      }
    }),
    runs(300),
  );
});

test('fuzz: the JSON error locator points inside the line for every line JSON.parse refuses', () => {
  const jsonish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join('')),
    fc.json().chain((j) => fc.tuple(fc.constant(j), fc.nat(), fc.constantFrom(...PIECES)).map(([s, at, p]) => s.slice(0, at % (s.length + 1)) + p + s.slice(at % (s.length + 1)))),
  );
  let ran = 0;
  fc.assert(
    fc.property(jsonish, (line) => {
      ran++;
      try {
        JSON.parse(line);
        return;
      } catch {
        // only refused lines are located
      }
      const found = locateJsonError(line);
      assert.ok(Number.isInteger(found.index) && found.index >= 0 && found.index <= line.length, `index ${found.index} of ${line.length}`);
      assert.ok(found.reason.length > 0);
    }),
    { seed: SEED, numRuns: runs(2000) },
  );
  console.log(`fuzz locateJsonError: ${ran} inputs (seed ${SEED}), no failure`);
});

// Round trips: what a correct writer writes, the reader reads back exactly.

const cell = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', '\t', 'ü', '😀', '—'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 20 })
  .filter((s) => s.trim() !== '' && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s) && !/^\s|\s$/.test(s) && !s.includes('\r') && !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')));

test('fuzz round trip: RFC 4180 CSV with commas, quotes and line breaks inside fields reads back every value and line', async () => {
  const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  await check(
    'CSV round trip',
    fc.asyncProperty(fc.array(fc.tuple(cell, fc.constantFrom('pos', 'neg')), { minLength: 1, maxLength: 20 }), fc.boolean(), async (rows, crlf) => {
      const eol = crlf ? '\r\n' : '\n';
      const path = files.write(`rt-${fileCounter++}.csv`, `text,label${eol}` + rows.map(([t, l]) => `${csvField(t)},${l}`).join(eol) + eol);
      const ds = await openDataset(path);
      const read: [string, string | undefined, number][] = [];
      for await (const r of ds) read.push([r.text, r.label, r.source.line]);
      let line = 2;
      const expected = rows.map(([t, l]) => {
        const at = line;
        line += t.split('\n').length;
        return [t, l, at] as [string, string, number];
      });
      assert.deepEqual(read, expected);
    }),
    runs(200),
  );
});

test('fuzz round trip: JSON Lines with any string, NER JSONL and CoNLL read back exactly', async () => {
  const anyText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '' && !/^[\s\u00a0\ufeff]+$/.test(s));
  await check(
    'JSONL round trip',
    fc.asyncProperty(fc.array(fc.tuple(anyText, fc.constantFrom('a', 'b')), { minLength: 1, maxLength: 20 }), async (rows) => {
      const path = files.write(`rt-${fileCounter++}.jsonl`, rows.map(([text, label]) => JSON.stringify({ text, label })).join('\n') + '\n');
      const read: [string, string | undefined][] = [];
      for await (const r of await openDataset(path)) read.push([r.text, r.label]);
      assert.deepEqual(read, rows);
    }),
    runs(200),
  );
  const word = fc.string({ unit: fc.constantFrom('a', 'B', 'ü', '😀', '-', '.', '1', 'ß'), minLength: 1, maxLength: 8 }).filter((w) => w !== '-DOCSTART-' && !w.startsWith('-DOCSTART-'));
  const sentence = fc.array(fc.tuple(word, fc.constantFrom('O', 'B-PER', 'B-LOC')), { minLength: 1, maxLength: 10 });
  await check(
    'CoNLL round trip',
    fc.asyncProperty(fc.array(sentence, { minLength: 1, maxLength: 8 }), async (sentences) => {
      // IOB2 from B-/O soup: an entity continues with I- of its type.
      const tagged = sentences.map((s) => s.map(([w, t], i) => [w, i > 0 && t !== 'O' && s[i - 1][1] === t ? t.replace('B-', 'I-') : t] as [string, string]));
      const path = files.write(`rt-${fileCounter++}.conll`, tagged.map((s) => s.map(([w, t]) => `${w} ${t}`).join('\n')).join('\n\n') + '\n');
      const read: [string[], string[]][] = [];
      for await (const r of await openDataset(path, { tagScheme: 'iob2' })) read.push([r.tokens!, r.tags!]);
      assert.deepEqual(read, tagged.map((s) => [s.map(([w]) => w), s.map(([, t]) => t)]));
    }),
    runs(200),
  );
});
