import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstInvalidUtf8, readLines, type TextLine } from '../../src/engine/data/lines.js';
import { createRng } from '../../src/engine/rng/rng.js';
import { tempFolder } from './temp-files.js';

const files = tempFolder('lines');

async function all(path: string, maxLineBytes?: number): Promise<TextLine[]> {
  const out: TextLine[] = [];
  for await (const line of readLines(path, { maxLineBytes })) out.push(line);
  return out;
}

test('lines across many 1 MiB chunks keep exact numbers and text, with CRLF and multi-byte characters at chunk edges', async () => {
  const rng = createRng(7);
  // Pieces of 1- to 4-byte characters, so chunk edges fall inside multi-byte sequences somewhere.
  const pieces = ['abc', 'é', 'жжж', '中文', '🙂', ' ', 'zé🙂', 'Ωmega'];
  const expected: string[] = [];
  let size = 0;
  while (size < 3.5 * 1024 * 1024) {
    const parts: string[] = [];
    for (let i = rng.int(120); i > 0; i--) parts.push(pieces[rng.int(pieces.length)]);
    const line = parts.join('');
    expected.push(line);
    size += Buffer.byteLength(line) + 2;
  }
  const path = files.write('many.txt', expected.join('\r\n') + '\r\n');
  const got = await all(path);
  assert.equal(got.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (got[i].text !== expected[i] || got[i].line !== i + 1) assert.fail(`line ${i + 1}: got ${JSON.stringify(got[i].text.slice(0, 40))}`);
  }
  assert.ok(got.every((l) => l.problem === undefined));
});

test('a line longer than a chunk is read whole; one over the limit is refused without losing its neighbours', async () => {
  const long = 'x'.repeat(1_500_000);
  const tooLong = 'y'.repeat(2_500_000);
  const path = files.write('long.txt', `first\n${long}\n${tooLong}\nlast`);
  const got = await all(path, 2_000_000);
  assert.deepEqual(got.map((l) => [l.line, l.text.length, l.problem?.code]), [
    [1, 5, undefined],
    [2, 1_500_000, undefined],
    [3, 0, 'line-too-long'],
    [4, 4, undefined],
  ]);
  assert.match(got[2].problem!.reason, /line is 2500000 bytes, over the limit of 2000000/);
});

test('invalid UTF-8 deep in the file is pinned to its line; the byte order mark goes only at the start', async () => {
  const filler = `${'o'.repeat(299)}\n`.repeat(5_000); // 1.5 MB: the bad line lies in the second chunk
  const path = files.write(
    'bad.txt',
    Buffer.concat([Buffer.from('\uFEFFstart\n'), Buffer.from(filler), Buffer.from([0x61, 0xc3, 0x28, 0x0a]), Buffer.from('\uFEFFkept')]),
  );
  const got = await all(path);
  assert.equal(got[0].text, 'start');
  const bad = got[5_001];
  assert.equal(bad.line, 5_002);
  assert.equal(bad.problem?.code, 'invalid-utf8');
  assert.equal(bad.problem?.column, 2);
  assert.equal(got[5_002].text, '\uFEFFkept');
  assert.equal(got.length, 5_003);
});

test('firstInvalidUtf8 refuses overlong forms, encoded surrogates, stray continuation bytes and cut sequences', () => {
  const at = (...bytes: number[]) => firstInvalidUtf8(Uint8Array.from(bytes));
  assert.equal(at(0x61, 0xc3, 0xa9), 3); // "aé": valid
  assert.equal(at(0xf0, 0x9f, 0x99, 0x82), 4); // emoji: valid
  assert.equal(at(0x61, 0xc0, 0xaf), 1); // overlong '/'
  assert.equal(at(0xe0, 0x80, 0xaf), 0); // overlong 3-byte
  assert.equal(at(0xed, 0xa0, 0x80), 0); // encoded surrogate D800
  assert.equal(at(0x61, 0x80), 1); // continuation byte alone
  assert.equal(at(0x61, 0x62, 0xe2, 0x82), 2); // cut at the end
  assert.equal(at(0xf4, 0x90, 0x80, 0x80), 0); // above U+10FFFF
});
