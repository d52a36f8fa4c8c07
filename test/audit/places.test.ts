// Where the audit says a value is written, in each format: columns are 1-based UTF-16 columns, counted by hand
// under each line; endColumn is just past the value, and encode() writes a new value the way the format needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locateFields, type PlaceRequest } from '../../src/engine/audit/places.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('audit-places');

async function placesOf(name: string, content: string, requests: PlaceRequest[]) {
  const path = files.write(name, content);
  const found = await locateFields(path, {}, requests);
  return found.map((p) => p && { line: p.line, column: p.column, endColumn: p.endColumn, sample: p.encode('B-LOC, "x"') });
}

test('JSONL: the label string with its quotes, and the n-th element of a tag list', async () => {
  const content = [
    '{"text": "Paris, je t\'aime", "label": "fra"}',
    //                                     ^ column 39, "fra" ends before column 44
    '{"tokens": ["Anna", "lebt", "in", "Rom"], "ner_tags": ["B-PER", "O" , "O", "B-LOC"]}',
    //                                                      ^56      ^65  ^71  ^76
  ].join('\n');
  assert.deepEqual(await placesOf('a.jsonl', content.split('\n')[0] + '\n', [{ line: 1, field: 'label' }]), [{ line: 1, column: 39, endColumn: 44, sample: '"B-LOC, \\"x\\""' }]);
  const tags = await placesOf('b.jsonl', content.split('\n')[1] + '\n', [0, 1, 3].map((index) => ({ line: 1, field: 'ner_tags', index })));
  assert.deepEqual(tags.map((p) => [p!.column, p!.endColumn]), [[56, 63], [65, 68], [76, 83]]);
});

test('CSV: a quoted cell keeps its quotes and doubles the new value\'s; a bare cell stays bare unless it must be quoted', async () => {
  const content = 'text,label,lang\n"Hello, world",greeting,en\nBonjour,"salut ""x""",fr\r\n';
  //                                  line 2: greeting at 16..23; line 3: "salut ""x""" at 9..21
  const found = await placesOf('c.csv', content, [{ line: 2, field: 'label' }, { line: 3, field: 'label' }, { line: 3, field: 'lang' }]);
  assert.deepEqual(found, [
    { line: 2, column: 16, endColumn: 24, sample: '"B-LOC, ""x"""' },
    { line: 3, column: 9, endColumn: 22, sample: '"B-LOC, ""x"""' },
    { line: 3, column: 23, endColumn: 25, sample: '"B-LOC, ""x"""' },
  ]);
});

test('TSV and CoNLL: the cell up to the tab, the tag up to the line\'s end, on the word\'s own line', async () => {
  const tsv = await placesOf('d.tsv', 'text\tlabel\nEin Satz.\tpositiv\n', [{ line: 2, field: 'label' }]);
  assert.deepEqual(tsv.map((p) => p && [p.line, p.column, p.endColumn]), [[2, 11, 18]]);
  const conll = 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n';
  const found = await placesOf('e.conll', conll, [{ line: 1, field: 'tags', index: 1 }, { line: 4, field: 'tags', index: 0 }]);
  assert.deepEqual(found.map((p) => p && [p.line, p.column, p.endColumn, p.sample]), [[2, 18, 19, 'B-LOC, "x"'], [4, 16, 21, 'B-LOC, "x"']]);
});
