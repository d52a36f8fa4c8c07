// UTF-16 files (Excel's "Unicode text", Notepad's and PowerShell's "Unicode") are decoded whole, with or without
// a byte order mark; UTF-32 files and broken UTF-16 are refused as a whole with the reason. Before, line 1 was
// "invalid UTF-8" and the other rows were read as good rows with NUL bytes in their labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDataset } from '../../src/engine/data/dataset.js';
import { decodeWhole, sniffEncoding } from '../../src/engine/data/encoding.js';
import { XlmError } from '../../src/engine/errors.js';
import { collect, lines, tempFolder } from './temp-files.js';

const files = tempFolder('encodings');

function utf16(text: string, order: 'le' | 'be', bom: boolean): Buffer {
  const le = Buffer.from((bom ? '\ufeff' : '') + text, 'utf16le');
  if (order === 'le') return le;
  const be = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    be[i] = le[i + 1];
    be[i + 1] = le[i];
  }
  return be;
}

const TSV = 'text\tlabel\r\nDas Essen war großartig 😀\tpositive\r\nНе понравилось\tnegative\r\n\r\nC\'est bon\tpositive\r\n';

for (const [order, bom] of [['le', true], ['be', true], ['le', false], ['be', false]] as const) {
  test(`UTF-16 ${order.toUpperCase()} ${bom ? 'with' : 'without'} a byte order mark: every row read, nothing refused, no NUL bytes`, async () => {
    const path = files.write(`excel-${order}-${bom}.tsv`, utf16(TSV, order, bom));
    const ds = await openDataset(path);
    const rows = await collect(ds);
    assert.equal(ds.report.errorCount, 0);
    assert.deepEqual(rows.map((r) => [r.text, r.label]), [
      ['Das Essen war großartig 😀', 'positive'],
      ['Не понравилось', 'negative'],
      ["C'est bon", 'positive'],
    ]);
    assert.deepEqual(lines(rows), [2, 3, 5]);
  });
}

test('a UTF-16 file over several read chunks keeps every character across chunk borders and every line number', async () => {
  const n = 60_000; // about 3.6 MB as UTF-16: four 1 MiB chunks
  const body = Array.from({ length: n }, (_, i) => `{"text":"zeile ${i} größer 😀 ✓","label":"${i % 2 ? 'a' : 'b'}"}`).join('\n');
  const path = files.write('big.jsonl', utf16(body + '\n', 'le', true));
  const ds = await openDataset(path);
  let count = 0;
  for await (const row of ds) {
    assert.equal(row.text, `zeile ${count} größer 😀 ✓`);
    assert.equal(row.source.line, count + 1);
    count++;
  }
  assert.equal(count, n);
  assert.equal(ds.report.errorCount, 0);
});

test('the format of a UTF-16 file is detected from its decoded content (CoNLL with no extension)', async () => {
  const path = files.write('wikiann-utf16', utf16('Paris B-LOC\nist O\nschön O\n\nRom B-LOC\n', 'le', true));
  const ds = await openDataset(path);
  assert.equal(ds.format, 'conll');
  assert.deepEqual((await collect(ds)).map((r) => r.tags), [['B-LOC', 'O', 'O'], ['B-LOC']]);
});

test('UTF-32, with or without a byte order mark, is refused as a whole, naming the file and how to convert it', async () => {
  const le = Buffer.alloc(TSV.length * 4);
  [...TSV].forEach((c, i) => le.writeUInt32LE(c.codePointAt(0)!, i * 4));
  const withBom = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), le]);
  for (const [name, bytes] of [['u32-bom.tsv', withBom], ['u32.tsv', le]] as const) {
    const path = files.write(name, bytes);
    await assert.rejects(openDataset(path), (e: unknown) => {
      assert.ok(e instanceof XlmError);
      assert.equal(e.code, 'data/encoding');
      assert.equal(e.place.file, path);
      assert.match(e.message, /is UTF-32 .*save it as UTF-8/);
      return true;
    });
  }
});

test('UTF-32 on standard input is refused as standard input, with no file to convert; other bytes still name it', () => {
  const le = Buffer.alloc(TSV.length * 4);
  [...TSV].forEach((c, i) => le.writeUInt32LE(c.codePointAt(0)!, i * 4));
  assert.throws(() => decodeWhole(le, 'stdin', true), (e: unknown) => e instanceof XlmError && e.place.what === 'stdin' && e.place.file === undefined && /^the text on standard input is UTF-32 \(NUL bytes in three of every four\).*iconv -f UTF-32 -t UTF-8 converts it/.test(e.message));
  assert.throws(() => decodeWhole(Buffer.from([0x66, 0xff, 0x66]), 'stdin', true), (e: unknown) => e instanceof XlmError && /^the text on standard input is not valid UTF-8/.test(e.message));
});

test('an unpaired surrogate in a UTF-16 file refuses the file at its line, before a row is trained on', async () => {
  const good = utf16('text\tlabel\nfine\ta\nalso fine\tb\n', 'le', true);
  const bad = Buffer.concat([good, Buffer.from([0x62, 0x00, 0x00, 0xd8, 0x62, 0x00, 0x09, 0x00, 0x61, 0x00, 0x0a, 0x00])]); // line 4: "b", a lone high surrogate, "b\ta"
  const path = files.write('lone-surrogate.tsv', bad);
  await assert.rejects(async () => collect(await openDataset(path, { onError: 'skip' })), (e: unknown) => {
    assert.ok(e instanceof XlmError);
    assert.equal(e.place.line, 4);
    assert.match(e.message, /:4: this UTF-16 file has an unpaired surrogate/);
    return true;
  });
});

test('UTF-8 text, with or without a BOM, and binary-looking bytes stay UTF-8', () => {
  assert.equal(sniffEncoding(Buffer.from('plain ascii text, long enough'), 'f').encoding, 'utf-8');
  assert.deepEqual(sniffEncoding(Buffer.from('\ufeffmit BOM', 'utf8'), 'f').bomBytes, 3);
  assert.equal(sniffEncoding(Buffer.from([1, 0, 2, 0, 0, 0, 3, 4, 5, 6, 7, 8]), 'f').encoding, 'utf-8');
});
