// Parallel text for translation in its four layouts (two aligned files, TSV, HF datasets' JSONL, source/target
// JSONL): the units and their languages, and every bad row named by file, line (and column where it can be known:
// for JSON, the value at fault, counted in UTF-16 units).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { languageCodeProblem } from '../../src/engine/data/language-codes.js';
import { looksParallel, readParallel, type ParallelReadOptions } from '../../src/engine/data/parallel.js';
import { formatDataError, type DataErrorCode } from '../../src/engine/data/types.js';
import { tempFolder } from './temp-files.js';

const files = tempFolder('parallel');

type Expected = [line: number, column: number | undefined, code: DataErrorCode, reason: RegExp];

async function expectErrors(path: string, expected: Expected[], goodLines: number[], options: ParallelReadOptions = {}): Promise<void> {
  const data = await readParallel({ file: path }, { onError: 'skip', ...options });
  assert.deepEqual(data.units.map((u) => u.line), goodLines, 'good units kept');
  assert.equal(data.errors.length, expected.length, `errors: ${data.errors.map(formatDataError).join(' | ')}`);
  expected.forEach(([line, column, code, reason], i) => {
    const e = data.errors[i];
    assert.equal(e.file, path);
    assert.deepEqual([e.line, e.column, e.code], [line, column, code], formatDataError(e));
    assert.match(e.reason, reason);
  });
}

test('two aligned files: units with their lines, languages from the file names (corpus.en, corpus.de)', async () => {
  const en = files.write('corpus.en', 'Hello.\nGood morning.\n\nThank you.\n');
  const de = files.write('corpus.de', 'Hallo.\nGuten Morgen.\n\nDanke.\n');
  const data = await readParallel({ source: en, target: de });
  assert.deepEqual(data.units, [
    { source: 'Hello.', target: 'Hallo.', sourceLang: 'en', targetLang: 'de', file: en, line: 1 },
    { source: 'Good morning.', target: 'Guten Morgen.', sourceLang: 'en', targetLang: 'de', file: en, line: 2 },
    { source: 'Thank you.', target: 'Danke.', sourceLang: 'en', targetLang: 'de', file: en, line: 4 },
  ]);
  assert.equal(data.languagesFrom, 'file names');
  const asked = await readParallel({ source: en, target: de }, { sourceLang: 'en_XX', targetLang: 'de_DE' });
  assert.deepEqual([asked.sourceLang, asked.targetLang, asked.languagesFrom], ['en_XX', 'de_DE', 'options']);
});

test('two files whose line counts differ are refused with both counts; an empty side names its file and line', async () => {
  const src = files.write('a.txt', 'one\ntwo\nthree\nfour\nfive\n');
  const tgt = files.write('b.txt', 'eins\n\ndrei\n');
  await assert.rejects(readParallel({ source: src, target: tgt }), (e: Error) => {
    assert.match(e.message, new RegExp(`${tgt}:2: line 2 is empty here but not in ${src}`));
    assert.match(e.message, new RegExp(`${src}:4: ${src} has 5 lines and ${tgt} has 3: parallel files must have the same number of lines`));
    return true;
  });
  const skipped = await readParallel({ source: src, target: tgt }, { onError: 'skip' });
  assert.deepEqual(skipped.units.map((u) => [u.source, u.target]), [['one', 'eins'], ['three', 'drei']]);
  assert.equal(skipped.errorCount, 2);
});

test('TSV: a header of language codes names the pair; rows without one tab or with an empty side are errors', async () => {
  const path = files.write('pairs.tsv', ['en\tfr', 'cat\tchat', 'no tab here', 'a\tb\tc', 'dog\t ', '\tvide', 'house\tmaison'].join('\n'));
  await expectErrors(
    path,
    [
      [3, undefined, 'wrong-column-count', /expected source<TAB>target \(2 fields\), found 1 field \(no tab\)/],
      [4, undefined, 'wrong-column-count', /found 3 fields/],
      [5, 5, 'empty-text', /the target side is empty/],
      [6, 1, 'empty-text', /the source side is empty/],
    ],
    [2, 7],
  );
  const data = await readParallel({ file: path }, { onError: 'skip' });
  assert.deepEqual([data.sourceLang, data.targetLang, data.languagesFrom, data.format], ['en', 'fr', 'header', 'tsv']);
  assert.deepEqual(data.units[0], { source: 'cat', target: 'chat', sourceLang: 'en', targetLang: 'fr', file: path, line: 2 });
});

test('TSV: a header naming another pair than the one asked for is an error; a first row of text is data', async () => {
  const path = files.write('pair-de.tsv', 'en\tde\nHello\tHallo\n');
  await expectErrors(path, [[1, undefined, 'wrong-language', /the header names the pair en-de, but en-fr was asked for/]], [2], { sourceLang: 'en', targetLang: 'fr' });
  const plain = files.write('plain.tsv', 'Hello\tHallo\nYes\tJa\n');
  const data = await readParallel({ file: plain }, { sourceLang: 'en', targetLang: 'de' });
  assert.deepEqual(data.units.map((u) => [u.line, u.sourceLang, u.targetLang]), [[1, 'en', 'de'], [2, 'en', 'de']]);
});

test('HF datasets JSONL: the translation keys must hold the pair asked for', async () => {
  const path = files.write('wmt.jsonl', [
    '{"translation": {"de": "Hallo Welt", "en": "Hello world"}}',
    '{"translation": {"en": "Good night", "fr": "Bonne nuit"}}',
    '{"translation": {"en": "Yes", "de": ""}}',
    '{"translation": {"english": "Yes", "de": "Ja"}}',
    '{"translation": ["en", "de"]}',
    '{"translation": {"en": "No", "de": "Nein"}}',
  ].join('\n'));
  await expectErrors(
    path,
    [
      [2, 17, 'wrong-language', /"translation" has en, fr, not de \(the pair asked for is en-de\)/],
      [3, 17, 'empty-text', /"translation"."de" is empty/],
      [4, 17, 'wrong-language', /"english" is not a language code/],
      [5, 17, 'wrong-type', /"translation" must be an object of language code to text/],
    ],
    [1, 6],
    { sourceLang: 'en', targetLang: 'de' },
  );
  const data = await readParallel({ file: path }, { sourceLang: 'en', targetLang: 'de', onError: 'skip' });
  assert.deepEqual(data.units[0], { source: 'Hello world', target: 'Hallo Welt', sourceLang: 'en', targetLang: 'de', file: path, line: 1 });
});

test('HF datasets JSONL without a pair asked for: the first line\'s two keys, in order, on every line', async () => {
  const path = files.write('keys.jsonl', [
    '{"translation": {"cs": "Ahoj", "en": "Hi"}}',
    '{"translation": {"cs": "Ano", "en": "Yes"}}',
    '{"translation": {"de": "Ja", "en": "Yes"}}',
  ].join('\n'));
  await expectErrors(path, [[3, 17, 'wrong-language', /has de, en, not cs \(the pair of the first line is cs-en\)/]], [1, 2]);
  const data = await readParallel({ file: path }, { onError: 'skip' });
  assert.deepEqual([data.sourceLang, data.targetLang, data.languagesFrom], ['cs', 'en', 'json keys']);
  const many = files.write('many.jsonl', '{"translation": {"en": "a", "de": "b", "fr": "c"}}\n');
  await expectErrors(many, [[1, 17, 'wrong-language', /holds 3 languages \(en, de, fr\); say which pair/]], []);
  // One side asked for: the other is the first line's other key, then fixed.
  const one = await readParallel({ file: path }, { targetLang: 'en', onError: 'skip' });
  assert.deepEqual(one.units.map((u) => `${u.sourceLang}-${u.targetLang}`), ['cs-en', 'cs-en']);
  assert.match(one.errors[0].reason, /has de, en, not cs \(the pair of the first line is cs-en\)/);
  const onlyFr = /with only fr asked for it must hold fr and one other language/;
  await expectErrors(path, [[1, 17, 'wrong-language', onlyFr], [2, 17, 'wrong-language', onlyFr], [3, 17, 'wrong-language', onlyFr]], [], { sourceLang: 'fr' });
});

test('source/target JSONL: optional per-line codes, checked; a line of neither layout says what is expected', async () => {
  const path = files.write('st.jsonl', [
    '{"source": "Hello", "target": "Bonjour", "source_lang": "en", "target_lang": "fr"}',
    '{"source": "Hello", "target": "Hallo", "source_lang": "en", "target_lang": "german"}',
    '{"source": "Thanks", "target": 3}',
    '{"text": "Hello"}',
    '{"source": "Bye", "target": "Au revoir"}',
  ].join('\n'));
  await expectErrors(
    path,
    [
      [2, 76, 'wrong-language', /"target_lang": "german" is not a language code/],
      [3, 32, 'wrong-type', /"target" must be a string, found number/],
      [4, undefined, 'missing-column', /expected \{"translation": \{"en": "...", "de": "..."\}\} or \{"source": "...", "target": "..."\}; this line has text/],
    ],
    [1, 5],
  );
  const data = await readParallel({ file: path }, { onError: 'skip' });
  assert.deepEqual(data.units.map((u) => [u.sourceLang, u.targetLang]), [['en', 'fr'], [undefined, undefined]]);
  await expectErrors(path, [
    [1, 78, 'wrong-language', /"target_lang" is fr, but de was asked for/],
    [2, 76, 'wrong-language', /"target_lang": "german" is not a language code/],
    [3, 32, 'wrong-type', /must be a string/],
    [4, undefined, 'missing-column', /expected/],
  ], [5], { sourceLang: 'en', targetLang: 'de' });
});

test('bad UTF-8 and bad JSON are named by line and column', async () => {
  const tsv = files.write('bytes.tsv', Buffer.concat([Buffer.from('ok\tok\nbad\tb'), Buffer.from([0xc3, 0x28]), Buffer.from('\nfine\tgut\n')]));
  await expectErrors(tsv, [[2, 6, 'invalid-utf8', /invalid UTF-8/]], [1, 3]);
  const jsonl = files.write('bad.jsonl', '{"source": "a", "target": "b"}\n{"source": "a" "target": "b"}\n');
  await expectErrors(jsonl, [[2, 16, 'invalid-json', /expected ',' or '}'/]], [1]);
});

test('a pair asked for with a code that is not one is refused before reading', async () => {
  const path = files.write('ok.tsv', 'a\tb\n');
  await assert.rejects(readParallel({ file: path }, { sourceLang: 'English' }), /sourceLang: "English" is not a language code/);
  await assert.rejects(readParallel({ file: files.write('noext', 'just text\n') }), /cannot tell how it holds parallel text/);
  await assert.rejects(readParallel({ source: path, target: `${path}.missing` }), /ok\.tsv\.missing: no such file/);
});

test('language codes: ISO 639, BCP-47 and the model families\' codes pass; words and typos do not', () => {
  for (const good of ['en', 'de', 'deu', 'ger', 'zh-Hant', 'sr-Latn-RS', 'pt-BR', 'de_DE', 'en_XX', 'deu_Latn', 'zho_Hans', 'taq_Tfng', 'yue']) {
    assert.equal(languageCodeProblem(good), undefined, good);
  }
  for (const [bad, reason] of [['english', /not a language code/], ['eg', /eg is not an ISO 639-1 language code/], ['', /empty/], ['e', /not a language code/], ['en US', /not a language code/], ['de-', /not a language code/]] as const) {
    assert.match(languageCodeProblem(bad) ?? '', reason, bad);
  }
});

test('looksParallel: HF translation and source/target JSONL, and a TSV headed by codes; not a classification TSV', async () => {
  assert.equal(await looksParallel(files.write('a.jsonl', '{"translation": {"en": "a", "de": "b"}}\n')), true);
  assert.equal(await looksParallel(files.write('b.jsonl', '{"source": "a", "target": "b"}\n')), true);
  assert.equal(await looksParallel(files.write('c.tsv', 'en\tde\na\tb\n')), true);
  assert.equal(await looksParallel(files.write('d.tsv', 'text\tlabel\na\tpos\n')), false);
  assert.equal(await looksParallel(files.write('e.jsonl', '{"text": "a", "label": "pos"}\n')), false);
});

test('requireLanguages: a file without a pair is refused once; a JSONL line naming no language is a bad row', async () => {
  const tsv = files.write('nolang.tsv', 'Hello\tHallo\n');
  await assert.rejects(readParallel({ file: tsv }, { requireLanguages: true }), /nolang\.tsv: the language pair is not known \(\?-\?\); give sourceLang and targetLang/);
  assert.equal((await readParallel({ file: tsv }, { requireLanguages: true, sourceLang: 'en', targetLang: 'de' })).units.length, 1);
  const jsonl = files.write('somelang.jsonl', '{"source": "a", "target": "b", "source_lang": "en", "target_lang": "de"}\n{"source": "c", "target": "d", "source_lang": "en"}\n');
  await expectErrors(jsonl, [[2, undefined, 'wrong-language', /no target language: the line names none \(target_lang\) and none was asked for/]], [1], { requireLanguages: true });
});
