import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataset } from '../../src/engine/data/dataset.js';
import { isXlmError } from '../../src/engine/errors.js';
import { collect, lines, tempFolder } from './temp-files.js';

const files = tempFolder('formats');

test('JSON Lines: BOM, CRLF and blank lines do not shift line numbers', async () => {
  const path = files.write('a.jsonl', '\uFEFF{"text":"Hallo Welt","label":"pos","lang":"de"}\r\n\r\n{"text":"Bonjour","label":"neg","lang":"fr"}\r\n');
  const ds = await openDataset(path);
  assert.equal(ds.format, 'jsonl');
  assert.equal(ds.kind, 'sequence-classification');
  assert.deepEqual(ds.columns, { text: 'text', label: 'label', language: 'lang' });
  const rows = await collect(ds);
  assert.deepEqual(rows, [
    { text: 'Hallo Welt', label: 'pos', language: 'de', source: { file: path, line: 1 } },
    { text: 'Bonjour', label: 'neg', language: 'fr', source: { file: path, line: 3 } },
  ]);
});

test('CSV: quoted commas, doubled quotes, embedded CRLF newlines; a record is numbered by its first line', async () => {
  const csv = '\uFEFFsentence,category\r\n"Hello, world",greeting\r\n"She said ""hi""\r\nand left",story\r\n\r\nplain,other\r\n';
  const path = files.write('b.csv', csv);
  const ds = await openDataset(path);
  assert.equal(ds.format, 'csv');
  assert.deepEqual(ds.columns, { text: 'sentence', label: 'category' });
  const rows = await collect(ds);
  assert.deepEqual(
    rows.map((r) => [r.text, r.label, r.source.line]),
    [
      ['Hello, world', 'greeting', 2],
      ['She said "hi"\nand left', 'story', 3],
      ['plain', 'other', 6],
    ],
  );
});

test('TSV with premise/hypothesis is pair classification', async () => {
  const path = files.write('c.tsv', 'premise\thypothesis\tlabel\nA man sleeps.\tA person rests.\tentailment\nIt rains.\tThe sun shines.\tcontradiction\n');
  const ds = await openDataset(path);
  assert.equal(ds.format, 'tsv');
  assert.equal(ds.kind, 'pair-classification');
  const rows = await collect(ds);
  assert.deepEqual(rows[1], { text: 'It rains.', textPair: 'The sun shines.', label: 'contradiction', source: { file: path, line: 3 } });
});

test('TSV quoting is detected: RFC-quoted fields are unquoted, plain-text quotes stay text', async () => {
  // As pandas writes a TSV: only fields that need it are quoted, their quotes doubled.
  const quoted = files.write('quoted.tsv', 'text\tlabel\n"she said ""hi""\tand\nleft"\tx\nplain\ty\n');
  const q = await openDataset(quoted);
  assert.match(q.formatReason, /fields are quoted/);
  assert.deepEqual((await collect(q)).map((r) => [r.text, r.source.line]), [['she said "hi"\tand\nleft', 2], ['plain', 4]]);

  const plain = files.write('plain.tsv', 'text\tlabel\n"Stop!" he said.\tx\nShe said "no\ty\n');
  const p = await openDataset(plain);
  assert.match(p.formatReason, /quotes are plain text/);
  assert.deepEqual((await collect(p)).map((r) => r.text), ['"Stop!" he said.', 'She said "no']);
});

test("XNLI's original TSV: detected from its header, quotes inside sentences are plain text", async () => {
  const header = 'language\tgold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tpromptID\tpairID\tgenre';
  const rowA = 'fr\tneutral\t\t\t\t\t"Eh bien, je n\'y pensais pas.\tJe suis "retourné" lui parler.\t1\t1\tfacetoface';
  const rowB = 'de\tcontradictory\t\t\t\t\tEr sagte "Nein\tEr sagte ja.\t2\t2\tfiction';
  const path = files.write('xnli.dev.tsv', [header, rowA, rowB, ''].join('\n'));
  const ds = await openDataset(path);
  assert.equal(ds.format, 'xnli');
  assert.equal(ds.kind, 'pair-classification');
  assert.deepEqual(ds.columns, { text: 'sentence1', pair: 'sentence2', label: 'gold_label', language: 'language' });
  const rows = await collect(ds);
  assert.deepEqual(
    rows.map((r) => [r.language, r.label, r.text, r.textPair, r.source.line]),
    [
      ['fr', 'neutral', '"Eh bien, je n\'y pensais pas.', 'Je suis "retourné" lui parler.', 2],
      ['de', 'contradiction', 'Er sagte "Nein', 'Er sagte ja.', 3],
    ],
  );
});

test("XNLI's TSV: a label outside entailment/neutral/contradiction is an error at file:line:column, not a fourth class", async () => {
  const header = 'language\tgold_label\tsentence1\tsentence2';
  const path = files.write('xnli.typo.tsv', [header, 'en\tentailment\tA man sleeps.\tA person rests.', 'de\tneutrl\tEr schläft.\tEr ruht.', 'fr\t-\tIl dort.\tIl rêve.', 'es\tcontradiction\tDuerme.\tCorre.', ''].join('\n'));
  const ds = await openDataset(path, { onError: 'skip' });
  assert.equal(ds.format, 'xnli');
  assert.deepEqual((await collect(ds)).map((r) => r.label), ['entailment', 'contradiction']);
  assert.deepEqual(ds.report.errors.map((e) => [e.file, e.line, e.column, e.code]), [[path, 3, 4, 'unknown-label']]);
  assert.match(ds.report.errors[0].reason, /label 'neutrl' is not an XNLI class: expected entailment, neutral, contradiction/);
  assert.equal(ds.report.warningCount, 1, "'-' stays a warning");
  await assert.rejects(async () => collect(await openDataset(path)), /xnli\.typo\.tsv:3:4: label 'neutrl'/);
});

test('text_a / text_b (GLUE and SuperGLUE exports) are the text and pair columns', async () => {
  const csv = files.write('pairs.csv', 'idx,text_a,text_b,label\n0,A man sleeps.,A person rests.,entailment\n');
  const ds = await openDataset(csv);
  assert.equal(ds.kind, 'pair-classification');
  assert.deepEqual(ds.columns, { text: 'text_a', pair: 'text_b', label: 'label' });
  assert.deepEqual((await collect(ds)).map((r) => [r.text, r.textPair, r.label]), [['A man sleeps.', 'A person rests.', 'entailment']]);
  // A CSV without the .csv extension is told by its header, text_a included.
  const noExtension = files.write('pairs', 'text_a,text_b,label\nx,y,z\n');
  assert.equal((await openDataset(noExtension)).format, 'csv');
});

test("MultiNLI JSONL: a '-' gold label is reported as a warning and left out, not an error", async () => {
  const path = files.write(
    'mnli.jsonl',
    [
      '{"annotator_labels":["neutral"],"genre":"slate","gold_label":"neutral","pairID":"1","sentence1":"A","sentence2":"B"}',
      '{"annotator_labels":["neutral","contradiction"],"genre":"slate","gold_label":"-","pairID":"2","sentence1":"C","sentence2":"D"}',
      '{"annotator_labels":["entailment"],"genre":"slate","gold_label":"entailment","pairID":"3","sentence1":"E","sentence2":"F"}',
    ].join('\n'),
  );
  const ds = await openDataset(path); // onError 'stop' by default: the '-' row must not stop it
  const rows = await collect(ds);
  assert.deepEqual(rows.map((r) => [r.text, r.textPair, r.label]), [['A', 'B', 'neutral'], ['E', 'F', 'entailment']]);
  assert.equal(ds.report.errorCount, 0);
  assert.equal(ds.report.warningCount, 1);
  assert.equal(ds.report.warnings[0].line, 2);
  assert.equal(ds.report.warnings[0].code, 'no-gold-label');
  assert.match(ds.report.warnings[0].reason, /no consensus/);
});

test('CoNLL-2003: -DOCSTART-, four columns, tag in the last; a sentence starts at its first token line', async () => {
  const conll = ['-DOCSTART- -X- -X- O', '', 'EU NNP B-NP B-ORG', 'rejects VBZ B-VP O', 'German JJ B-NP B-MISC', '', 'Peter NNP B-NP B-PER', 'Blackburn NNP I-NP I-PER', ''].join('\n');
  const path = files.write('eng.train', conll);
  const ds = await openDataset(path);
  assert.equal(ds.format, 'conll');
  assert.equal(ds.kind, 'token-classification');
  const rows = await collect(ds);
  assert.deepEqual(rows, [
    { text: 'EU rejects German', tokens: ['EU', 'rejects', 'German'], tags: ['B-ORG', 'O', 'B-MISC'], source: { file: path, line: 3 } },
    { text: 'Peter Blackburn', tokens: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'], source: { file: path, line: 7 } },
  ]);
});

test("WikiANN: tab-separated, the 'xx:' language prefix becomes the language; without prefixes there is none", async () => {
  const path = files.write('wikiann.txt', 'fr:Paris\tB-LOC\nfr:est\tO\nfr:belle\tO\n\nBerlin\tB-LOC\nwächst\tO\n');
  const rows = await collect(await openDataset(path));
  assert.deepEqual(rows.map((r) => [r.tokens, r.language, r.source.line]), [
    [['Paris', 'est', 'belle'], 'fr', 1],
    [['Berlin', 'wächst'], undefined, 5],
  ]);
});

test('plain text: one sentence per line for masked-LM, blank lines skipped, language from the option', async () => {
  const path = files.write('corpus.txt', 'Erste Zeile.\n\nZweite Zeile.\n');
  const ds = await openDataset(path, { language: 'de' });
  assert.equal(ds.format, 'text');
  assert.equal(ds.kind, 'masked-lm');
  assert.deepEqual(await collect(ds), [
    { text: 'Erste Zeile.', language: 'de', source: { file: path, line: 1 } },
    { text: 'Zweite Zeile.', language: 'de', source: { file: path, line: 3 } },
  ]);
});

test('parallel text as two aligned files', async () => {
  const en = files.write('train.en', 'Good morning.\nThank you.\n');
  const fr = files.write('train.fr', 'Bonjour.\nMerci.\n');
  const ds = await openDataset(en, { pairPath: fr, language: 'en', pairLanguage: 'fr' });
  assert.equal(ds.kind, 'parallel');
  assert.deepEqual(await collect(ds), [
    { text: 'Good morning.', textPair: 'Bonjour.', language: 'en', pairLanguage: 'fr', source: { file: en, line: 1 } },
    { text: 'Thank you.', textPair: 'Merci.', language: 'en', pairLanguage: 'fr', source: { file: en, line: 2 } },
  ]);
});

test('parallel text as a two-column TSV whose header names the languages', async () => {
  const path = files.write('en-de.tsv', 'en\tde\nHouse\tHaus\nTree\tBaum\n');
  const ds = await openDataset(path);
  assert.equal(ds.kind, 'parallel');
  const rows = await collect(ds);
  assert.deepEqual(rows[1], { text: 'Tree', textPair: 'Baum', language: 'en', pairLanguage: 'de', source: { file: path, line: 3 } });
});

test('integer labels and integer NER tags are mapped through id2label', async () => {
  const nli = files.write('nli.jsonl', '{"premise":"P","hypothesis":"H","label":2}\n{"premise":"Q","hypothesis":"I","label":"0"}\n');
  const id2label = { 0: 'entailment', 1: 'neutral', 2: 'contradiction' };
  assert.deepEqual((await collect(await openDataset(nli, { id2label }))).map((r) => r.label), ['contradiction', 'entailment']);

  const ner = files.write('ner.jsonl', '{"tokens":["Anna","lebt"],"ner_tags":[1,0]}\n');
  const ds = await openDataset(ner, { id2label: { 0: 'O', 1: 'B-PER', 2: 'I-PER' } });
  assert.equal(ds.kind, 'token-classification');
  assert.deepEqual((await collect(ds))[0].tags, ['B-PER', 'O']);
});

test('column overrides pick columns the detector does not know; a misspelled one is refused at once', async () => {
  const path = files.write('reviews.csv', 'id,review,stars\n1,Great phone,5\n2,Meh,2\n');
  const ds = await openDataset(path, { textColumn: 'review', labelColumn: 'stars' });
  assert.deepEqual((await collect(ds)).map((r) => [r.text, r.label]), [['Great phone', '5'], ['Meh', '2']]);
  await assert.rejects(openDataset(path, { textColumn: 'reveiw', labelColumn: 'stars' }), (e: unknown) => {
    assert.ok(isXlmError(e));
    assert.equal(e.code, 'data/no-such-column');
    assert.match(e.message, /'reveiw'.*id, review, stars/);
    return true;
  });
});

test('ids and names as labels in one file are refused at the row that differs from the first; a null label says null', async () => {
  const path = files.write('mixed.jsonl', ['{"text":"a","label":0}', '{"text":"b","label":"pos"}', '{"text":"c","label":1}', '{"text":"d","label":null}'].join('\n') + '\n');
  const ds = await openDataset(path, { onError: 'skip' });
  const rows = await collect(ds);
  assert.deepEqual(rows.map((r) => r.label), ['0', '1']);
  const reasons = ds.report.errors.map((e) => `${e.line}: ${e.reason}`);
  assert.match(reasons[0]!, /^2: label 'pos' is a name, but the first labelled row \(line 1\) has the number '0': give every row a name, or every row a number/);
  assert.match(reasons[1]!, /^4: no label: 'label' is null/);
  const names = files.write('names.csv', 'text,label\na,pos\nb,neg\nc,5star\n');
  assert.deepEqual((await collect(await openDataset(names))).map((r) => r.label), ['pos', 'neg', '5star'], 'names that hold digits are names');
  const signed = files.write('signed.csv', 'text,label\na,-1\nb,0\nc,1\n');
  assert.deepEqual((await collect(await openDataset(signed))).map((r) => r.label), ['-1', '0', '1'], 'sentiment coded -1, 0, 1 is all ids');
  const signedJson = files.write('signed.jsonl', '{"text":"a","label":-1}\n{"text":"b","label":1}\n');
  assert.deepEqual((await collect(await openDataset(signedJson))).map((r) => r.label), ['-1', '1']);
});

test('a file with no text column is refused with the columns it has', async () => {
  const path = files.write('nocol.jsonl', '{"body":"x","label":"a"}\n');
  await assert.rejects(openDataset(path), /no text column .* among: body, label/);
});

test('a headerless TSV reads its columns by position (text, label)', async () => {
  const path = files.write('sst.tsv', 'a fine film\t1\na dull film\t0\n');
  const ds = await openDataset(path);
  assert.deepEqual(ds.columns, { text: 'column1', label: 'column2' });
  assert.deepEqual(lines(await collect(ds)), [1, 2]);
});

test('format override: a .jsonl file read as plain text', async () => {
  const path = files.write('raw.jsonl', '{"not":"parsed"}\n');
  const ds = await openDataset(path, { format: 'text' });
  assert.deepEqual((await collect(ds)).map((r) => r.text), ['{"not":"parsed"}']);
});

test('a .csv or .tsv whose lines are separated otherwise is read as what it is, and a semicolon header is refused with what to do', async () => {
  const json = files.write('looks-json.csv', ['{"text":"I love it","label":"pos"}', '{"text":"Bad","label":"neg"}'].join('\n') + '\n');
  const asJson = await openDataset(json);
  assert.equal(asJson.format, 'jsonl');
  assert.deepEqual((await collect(asJson)).map((r) => r.label), ['pos', 'neg'], 'labels, not \'"label": "pos"}\'');
  const tabs = files.write('tabs.csv', 'text\tlabel\nI love it\tpos\nBad\tneg\n');
  const asTsv = await openDataset(tabs);
  assert.equal(asTsv.format, 'tsv');
  assert.deepEqual((await collect(asTsv)).map((r) => [r.text, r.label]), [['I love it', 'pos'], ['Bad', 'neg']]);
  const commas = files.write('commas.tsv', 'text,label\nI love it,pos\n');
  assert.equal((await openDataset(commas)).format, 'csv');
  const semi = files.write('semi.csv', 'text;label\nI love it;pos\n');
  await assert.rejects(openDataset(semi), (e: unknown) => isXlmError(e) && e.place.file === semi && e.place.line === 1 && /separated by semicolons; \.csv files are read with commas/.test(e.message));
  const dup = files.write('dup.csv', 'text,label,text\nI love it,pos,a\n');
  await assert.rejects(openDataset(dup), (e: unknown) => isXlmError(e) && e.place.line === 1 && /names the column 'text' twice \(columns 1 and 3\); give each column its own name/.test(e.message));
  // A spreadsheet's trailing separators are empty names, not a column named twice.
  const trailing = files.write('trailing.csv', 'text,label,,\nhello there,pos,,\nbye,neg,,\n');
  assert.deepEqual((await collect(await openDataset(trailing))).map((r) => r.label), ['pos', 'neg']);
  // A CSV whose text holds semicolons and JSON-like text is still CSV.
  const plain = files.write('plain.csv', 'text,label\n"a; b",pos\n"{""x"": 1}",neg\n');
  assert.deepEqual((await collect(await openDataset(plain))).map((r) => r.text), ['a; b', '{"x": 1}']);
});

test('a JSON array file is refused with how to convert it', async () => {
  const path = files.write('array.json', '[{"text":"a"}]');
  await assert.rejects(openDataset(path), /JSON Lines/);
});

test('onlyLanguages keeps the rows of the training language and counts the rest as filtered', async () => {
  const path = files.write('multi.jsonl', '{"text":"a","label":"x","lang":"en"}\n{"text":"b","label":"y","lang":"de"}\n{"text":"c","label":"x","lang":"en"}\n');
  const ds = await openDataset(path, { onlyLanguages: ['en'] });
  assert.deepEqual((await collect(ds)).map((r) => r.text), ['a', 'c']);
  assert.equal(ds.report.filtered, 1);
});

test('an empty file and a missing file are refused by name', async () => {
  await assert.rejects(openDataset(files.write('empty.jsonl', '\n\n')), /has no rows/);
  await assert.rejects(openDataset(`${files.dir}/nope.jsonl`), /nope\.jsonl: no such file/);
});
