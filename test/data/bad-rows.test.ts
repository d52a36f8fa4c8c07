// One file per kind of bad row: the error names file:line:column and the reason, and the good rows around
// it are still read. Columns are 1-based UTF-16 columns, counted by hand below each row.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from '../../src/engine/errors.js';
import { flagOf } from '../../src/engine/cli/option-flags.js';
import { openDataset } from '../../src/engine/data/dataset.js';
import { formatDataError, type DataErrorCode, type ReadOptions } from '../../src/engine/data/types.js';
import { collect, lines, tempFolder } from './temp-files.js';

const files = tempFolder('bad-rows');

type Expected = [line: number, column: number | undefined, code: DataErrorCode, reason: RegExp];

async function expectBadRows(name: string, content: string | Uint8Array, expected: Expected[], goodLines: number[], options: ReadOptions = {}): Promise<void> {
  const path = files.write(name, content);
  const ds = await openDataset(path, { onError: 'skip', ...options });
  const rows = await collect(ds);
  assert.deepEqual(lines(rows), goodLines, 'good rows kept');
  const errors = ds.report.errors;
  assert.equal(errors.length, expected.length, `errors: ${errors.map(formatDataError).join(' | ')}`);
  expected.forEach(([line, column, code, reason], i) => {
    const e = errors[i];
    assert.equal(e.file, path);
    assert.deepEqual([e.line, e.column, e.code], [line, column, code], formatDataError(e));
    // As the CLI prints it: an option the reason names is its flag there (the engine's reason names textColumn).
    assert.match(e.said ? render(e.said, flagOf) : e.reason, reason);
  });
}

test('invalid JSON: the column where the JSON goes wrong, and why', async () => {
  await expectBadRows(
    'invalid.jsonl',
    [
      '{"text": "ok", "label": "a"}',
      '{"text": "ok", "label": pos}', // 'p' at column 25
      '{"text":"a","label":"x",}', // '}' at column 25
      '{"text":"abc', // the string opened at column 9
      "{'text': 'single quotes'}", // column 2
      '{"text": "z", "label": "b"}',
    ].join('\n'),
    [
      [2, 25, 'invalid-json', /unexpected 'p' where a value should be/],
      [3, 25, 'invalid-json', /trailing comma before '}'/],
      [4, 9, 'invalid-json', /never closed/],
      [5, 2, 'invalid-json', /double-quoted key/],
    ],
    [1, 6],
  );
});

test('a key written twice in a row: the row is refused at the second key, not read with the first value dropped', async () => {
  await expectBadRows(
    'repeated.jsonl',
    [
      '{"text": "a", "label": "x"}',
      '{"text": "first", "label": "x", "text": "second"}', // the second "text" at column 33
      '{"text": "b", "meta": {"text": 1, "text": 2}, "label": "y"}', // nested keys are not the row's columns
      '{"te\\u0078t": "c", "text": "d", "label": "x"}', // the same key spelt with an escape, at column 20
      '{"text": "say \\"text\\": twice", "label": "x", "note": "\\\\", "label2": "[{"}',
    ].join('\n'),
    [
      [2, 33, 'duplicate-key', /the key "text" appears twice in this row; JSON keeps only the last value/],
      [4, 20, 'duplicate-key', /the key "text" appears twice/],
    ],
    [1, 3, 5],
  );
});

test('a JSON line that is not an object', async () => {
  await expectBadRows('array.jsonl', '{"text":"a","label":"x"}\n  [1, 2]\n"just a string"\n', [
    [2, 3, 'not-an-object', /found an array/],
    [3, 1, 'not-an-object', /found string/],
  ], [1]);
});

test('a missing column and a value of the wrong type', async () => {
  await expectBadRows(
    'missing.jsonl',
    ['{"text":"a","label":"x"}', '{"label":"x"}', '{"text": 42, "label":"x"}', '{"text":"b"}'].join('\n'),
    [
      [2, undefined, 'missing-column', /no 'text'/],
      [3, 10, 'wrong-type', /'text' must be a string, found number 42/],
      [4, undefined, 'missing-column', /no label: 'label' is missing/],
    ],
    [1],
  );
});

test('an unknown label, when the label set is given', async () => {
  await expectBadRows(
    'labels.jsonl',
    '{"text":"a","label":"pos"}\n{"text":"b", "label": "positive"}\n{"text":"c","label":7}\n',
    [
      [2, 23, 'unknown-label', /label 'positive' is not one of: pos, neg/],
      [3, 21, 'unknown-label', /label '7' is not one of/],
    ],
    [1],
    { labels: ['pos', 'neg'] },
  );
});

test('an id outside id2label', async () => {
  await expectBadRows('ids.jsonl', '{"text":"a","label":1}\n{"text":"b","label":5}\n', [[2, 21, 'unknown-label', /label id 5 is not in id2label \(ids: 0, 1\)/]], [1], {
    id2label: { 0: 'neg', 1: 'pos' },
  });
});

test('empty text, in JSONL and in a CSV field', async () => {
  await expectBadRows('empty.jsonl', '{"text":"a","label":"x"}\n{"text":"   ","label":"x"}\n', [[2, 9, 'empty-text', /'text' \(the text\) is empty/]], [1]);
  await expectBadRows('empty.csv', 'label,text\npos,fine\nneg,\npos,"  "\n', [
    [3, 5, 'empty-text', /is empty/],
    [4, 5, 'empty-text', /is empty/],
  ], [2]);
});

test('wrong number of columns: the first extra field, or the end of a short row', async () => {
  await expectBadRows(
    'columns.csv',
    'text,label\nfine,pos\na,b,c\nlonely\n"x, y",neg\n',
    [
      [3, 5, 'wrong-column-count', /3 fields where the header has 2 \(text, label\); the first extra field starts here/],
      [4, 7, 'wrong-column-count', /1 fields where the header has 2 .*missing: label/],
    ],
    [2, 5],
  );
});

test('broken CSV quotes: text after a closing quote, and a quote never closed; reading resumes after them', async () => {
  await expectBadRows(
    'quotes.csv',
    'text,label\nok,pos\n"a"b,neg\nfine,neg\n"never closed,pos\nnext,neg\nlast,pos\n',
    [
      [3, 4, 'csv-syntax', /text after the closing quote/],
      [5, 1, 'csv-syntax', /the quote opened here is not closed before the end of the file/],
    ],
    [2, 4, 6, 7],
  );
});

test('a stray quote that closes lines later is blamed on its own line, and the rows it swallowed are read again', async () => {
  await expectBadRows(
    'stray.csv',
    'text,label\n"stray,pos\nb,neg\nc"x,pos\nd,neg\n',
    [[2, 1, 'csv-syntax', /the quote opened here closes at line 4 column 2 and text follows it there; a stray quote\?/]],
    [3, 4, 5],
  );
});

test('invalid UTF-8: the line, and the column of the bad byte in characters', async () => {
  const good = Buffer.from('{"text":"gut","label":"x"}\n');
  // 'ü' is two bytes but one character: the bad byte 0xff is byte 16 and character 15.
  const bad = Buffer.concat([Buffer.from('{"text":"über '), Buffer.from([0xff]), Buffer.from('","label":"x"}\n')]);
  await expectBadRows('utf8.jsonl', Buffer.concat([good, bad, good]), [[2, 15, 'invalid-utf8', /invalid UTF-8 at byte 16 .*\(bytes ff/]], [1, 3]);
});

test('a line over the length limit', async () => {
  const long = `{"text":"${'x'.repeat(80)}","label":"a"}`;
  await expectBadRows('long.jsonl', `{"text":"a","label":"a"}\n${long}\n{"text":"b","label":"a"}\n`, [[2, undefined, 'line-too-long', /line is 103 bytes, over the limit of 50/]], [1, 3], {
    maxLineBytes: 50,
  });
});

test('NER tags that are not IOB2: I- after O, a type change inside an entity, a BIOES tag, a line without a tag', async () => {
  const conll = [
    'Anna B-PER', // 1
    'lebt O',
    '',
    'in O', // 4
    'New I-LOC', // 5: I- after O, tag at column 5
    'York I-LOC',
    '',
    'Die O', // 8
    'EU B-ORG',
    '',
    'Bad B-PER', // 11
    'tag I-ORG', // 12: type changes, column 5
    '',
    'x E-PER', // 14: column 3
    '',
    'single', // 16: one column
    '',
    'good B-LOC', // 18
    '',
  ].join('\n');
  await expectBadRows(
    'tags.conll',
    conll,
    [
      [5, 5, 'invalid-bio', /token 2 'New': I-LOC after O starts an entity, but IOB2 starts entities with B-LOC; .*read it with --tag-scheme iob1 to convert it/],
      [12, 5, 'invalid-bio', /I-ORG after B-PER: the tags of one entity must share its type/],
      [14, 3, 'invalid-bio', /'E-PER' is not a BIO tag.*BIOES/],
      [16, 1, 'wrong-column-count', /needs the token and its tag/],
    ],
    [1, 8, 18],
  );
});

test("tagScheme 'iob1' converts the original CoNLL-2003 scheme instead of refusing it", async () => {
  const path = files.write('iob1.conll', 'in O\nNew I-LOC\nYork I-LOC\nand O\nParis I-LOC\nI-LOC-next B-LOC\n');
  const rows = await collect(await openDataset(path, { tagScheme: 'iob1' }));
  assert.deepEqual(rows[0].tags, ['O', 'B-LOC', 'I-LOC', 'O', 'B-LOC', 'B-LOC']);
});

test('NER JSONL: tokens and tags of different lengths', async () => {
  await expectBadRows('ner.jsonl', '{"tokens":["a","b"],"tags":["O","O"]}\n{"tokens":["a","b"],"tags":["O"]}\n', [[2, 28, 'tag-count', /2 tokens but 1 tags/]], [1]);
});

test('parallel files out of step: an empty side, and one file longer than the other', async () => {
  const en = files.write('p.en', 'one\ntwo\n\nfour\nfive\n');
  const de = files.write('p.de', 'eins\nzwei\ndrei\nvier\n');
  const ds = await openDataset(en, { pairPath: de, onError: 'skip' });
  assert.deepEqual(lines(await collect(ds)), [1, 2, 4]);
  assert.deepEqual(
    ds.report.errors.map((e) => [e.file, e.line, e.code]),
    [
      [en, 3, 'empty-text'],
      [en, 5, 'unaligned'],
    ],
  );
  assert.match(ds.report.errors[1].reason, /p\.en has 5 lines and .*p\.de has 4: parallel files must have the same number of lines \(line 5 on has no partner/);
});

test('JSONL whose first object is empty: the columns come from the first row that has some, and a row with none says which it lacks', async () => {
  await expectBadRows('empty-first.jsonl', '{}\n{"text":"a","label":"x"}\n', [[1, undefined, 'missing-column', /no 'text' \(the text column\)/]], [2]);
  await expectBadRows('only-empty.jsonl', '{}\n{}\n', [
    [1, undefined, 'missing-column', /^no text column: this row has no fields; looked for text, sentence, .* \(or name it with --text-column\)$/],
    [2, undefined, 'missing-column', /^no text column/],
  ], []);
});

test('a CoNLL file with no blank lines cannot grow one sentence without bound: over maxLineBytes it is a bad row at its first line', async () => {
  const runOn = Array.from({ length: 500 }, (_, i) => `w${i} O`).join('\n');
  await expectBadRows('run-on.conll', `a B-PER\n\n${runOn}\n\nb B-LOC\n`, [[3, undefined, 'line-too-long', /this sentence runs over 1000 characters \(to line \d+ and on\): is a blank line missing between sentences\? \(raise --max-line-bytes/]], [1, 504], { maxLineBytes: 1000 });
});
