// Text from data files reaches the terminal through inspect tables, error messages and logs. A label such as
// "\x1b[2J" or a right-to-left override must show as text, never act on the terminal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printable } from '../../src/engine/cli/io.js';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('printable');
/** Anything a terminal would act on: C0 but tab and newline, DEL, C1, bidi overrides. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test('printable writes control characters out and keeps text, tabs, newlines and a leading progress redraw', () => {
  assert.equal(printable('label \x1b[31mred\x1b[0m'), 'label \\u001b[31mred\\u001b[0m');
  assert.equal(printable('a\tb\nc'), 'a\tb\nc');
  assert.equal(printable('x\ry\u009b2J\u202eevil\u0000'), 'x\\u000dy\\u009b2J\\u202eevil\\u0000');
  assert.equal(printable('\r\x1b[Kdownloading \x1b]0;title\x07'), '\r\x1b[Kdownloading \\u001b]0;title\\u0007');
  // In --json output the escapes decode back to the very characters: the JSON stays valid and says the same.
  const value = { label: '\u009b2J \u202e \x7f \x1b[0m ü' };
  assert.deepEqual(JSON.parse(printable(JSON.stringify(value))), value);
  assert.equal(printable('Größe 😀 مرحبا'), 'Größe 😀 مرحبا');
});

test('xlm data inspect prints labels, texts and errors from the file with their control characters escaped', async () => {
  const rows = [
    JSON.stringify({ text: 'clear \x1b[2J\x1b[H screen', label: '\x1b[31mred\x1b[0m' }),
    JSON.stringify({ text: 'clear \x1b[2J\x1b[H screen', label: 'ok\u202e' }),
    JSON.stringify({ text: 'csi \u009b31m', label: 'ok\u202e' }),
    JSON.stringify({ text: '', label: 'bell\x07' }),
  ];
  const path = files.write('escapes.jsonl', rows.join('\n') + '\n');
  const r = await runXlm(['data', 'inspect', path]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, CONTROL);
  assert.match(r.stdout, /\\u001b\[31mred\\u001b\[0m 1/);
  assert.match(r.stdout, /ok\\u202e 2/);
  assert.match(r.stdout, /conflict at lines 1, 2/);
  const json = await runXlm(['data', 'inspect', path, '--json']);
  assert.doesNotMatch(json.stdout, CONTROL);
  assert.deepEqual(JSON.parse(json.stdout).labels, { 'ok\u202e': 2, '\x1b[31mred\x1b[0m': 1 }, '--json stays JSON and says the same');

  const labels = files.write('labels.csv', 'text,label\nhello,"\x1b]8;;http://x\x07link"\n');
  const refused = await runXlm(['data', 'inspect', labels, '--label-column', 'lab\x1bel']);
  assert.equal(refused.code, 1);
  assert.doesNotMatch(refused.stderr, CONTROL);
  assert.match(refused.stderr, /'lab\\u001bel'/);
});
