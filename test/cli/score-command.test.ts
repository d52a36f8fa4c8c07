// `xlm score bleu|chrf|chrf++` on files prints what sacreBLEU's command line prints for the same files (its text
// line, and its JSON object with --json), from the frozen sacreBLEU fixtures; and bad files are refused by name.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

interface Case {
  name: string;
  hypotheses: string[];
  references: string[][];
}
interface Result {
  case: string;
  settings: { metric: 'bleu' | 'chrf'; tokenize?: string; smooth?: string; smoothValue?: number; lowercase?: boolean; wordOrder?: number; whitespace?: boolean; epsSmoothing?: boolean; effectiveOrder?: boolean };
  expected: { text: string; json: Record<string, unknown>; score: number };
}

const dir = join(__dirname, '..', 'fixtures', 'sacrebleu');
const cases: Case[] = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases;
const results: Result[] = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).results;

/** The fixture's settings as flags; undefined when the CLI has no flag for one of them (sacreBLEU's API-only ones). */
function flags(s: Result['settings']): string[] | undefined {
  if (s.whitespace || s.epsSmoothing || s.effectiveOrder) return undefined;
  const name = s.metric === 'bleu' ? 'bleu' : s.wordOrder === 2 ? 'chrf++' : 'chrf';
  const out = ['score', name];
  if (s.tokenize) out.push('--tokenize', s.tokenize);
  if (s.smooth) out.push('--smooth', s.smooth);
  if (s.smoothValue !== undefined) out.push('--smooth-value', String(s.smoothValue));
  if (s.lowercase) out.push('--lowercase');
  return out;
}

function writeCase(folder: string, c: Case): string[] {
  writeFileSync(join(folder, 'hyp.txt'), c.hypotheses.join('\n') + '\n');
  return c.references.flatMap((refs, k) => {
    const file = join(folder, `ref${k}.txt`);
    writeFileSync(file, refs.join('\n') + '\n');
    return ['--ref', file];
  });
}

test('every fixture the CLI can express prints sacreBLEU\'s text line and JSON', async () => {
  const folder = tempFolder('score').dir;
  let checked = 0;
  for (const r of results) {
    const argv = flags(r.settings);
    if (!argv) continue;
    const c = cases.find((x) => x.name === r.case)!;
    const refs = writeCase(folder, c);
    const text = await runXlm([...argv, '--hyp', join(folder, 'hyp.txt'), ...refs]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, `${r.expected.text}\n`, `${r.case} ${argv.join(' ')}`);
    const json = await runXlm([...argv, '--hyp', join(folder, 'hyp.txt'), ...refs, '--json']);
    const printed = JSON.parse(json.stdout) as Record<string, unknown>;
    for (const [key, value] of Object.entries(r.expected.json)) assert.deepEqual(printed[key], value, `${r.case} ${argv.join(' ')}: ${key}`);
    assert.ok(Math.abs((printed.bleu ?? printed.chrf) as number - r.expected.score) <= 1e-9);
    checked++;
  }
  assert.ok(checked >= 70, `only ${checked} fixtures checked through the CLI`);
});

test('--width sets the printed digits as sacreBLEU\'s -w does', async () => {
  const folder = tempFolder('score').dir;
  const c = cases.find((x) => x.name === 'english')!;
  const refs = writeCase(folder, c);
  const run = await runXlm(['score', 'chrf', '--hyp', join(folder, 'hyp.txt'), ...refs, '--width', '4']);
  const exact = results.find((r) => r.case === 'english' && r.settings.metric === 'chrf')!.expected.score;
  assert.match(run.stdout, new RegExp(` = ${exact.toFixed(4).replace('.', '\\.')}\\n$`));
});

test('a reference file with another number of lines is refused, naming both files and counts', async () => {
  const folder = tempFolder('score').dir;
  writeFileSync(join(folder, 'hyp.txt'), 'a\nb\nc\n');
  writeFileSync(join(folder, 'ref.txt'), 'a\nb\n');
  const run = await runXlm(['score', 'bleu', '--hyp', join(folder, 'hyp.txt'), '--ref', join(folder, 'ref.txt')]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^xlm: \S*ref\.txt:3: this file has 2 lines and \S*hyp\.txt has 3: a reference file needs one line per hypothesis line\n$/);
});

test('bad bytes, a missing file, a bad tokenizer and a missing --ref are clear errors', async () => {
  const folder = tempFolder('score').dir;
  writeFileSync(join(folder, 'hyp.txt'), Buffer.from([0x61, 0x0a, 0x62, 0xff, 0x63, 0x0a]));
  writeFileSync(join(folder, 'ref.txt'), 'a\nb\n');
  const bad = await runXlm(['score', 'chrf', '--hyp', join(folder, 'hyp.txt'), '--ref', join(folder, 'ref.txt')]);
  assert.match(bad.stderr, /hyp\.txt:2:2: invalid UTF-8/);
  const missing = await runXlm(['score', 'bleu', '--hyp', join(folder, 'nope.txt'), '--ref', join(folder, 'ref.txt')]);
  assert.equal(missing.stderr, `xlm: ${join(folder, 'nope.txt')}: no such file\n`, 'the path once');
  const tok = await runXlm(['score', 'bleu', '--hyp', join(folder, 'ref.txt'), '--ref', join(folder, 'ref.txt'), '--tokenize', 'moses']);
  assert.match(tok.stderr, /--tokenize is "moses"; expected one of 13a, intl, zh, char, none/);
  const noRef = await runXlm(['score', 'bleu', '--hyp', join(folder, 'ref.txt')]);
  assert.match(noRef.stderr, /needs at least one --ref FILE/);
  const smooth = await runXlm(['score', 'bleu', '--hyp', join(folder, 'ref.txt'), '--ref', join(folder, 'ref.txt'), '--smooth-value', '0.2']);
  assert.match(smooth.stderr, /--smooth-value only applies to --smooth floor or --smooth add-k/);
});

test('xlm score lists the scorers, and an unknown one is named', async () => {
  const list = await runXlm(['score']);
  assert.match(list.stdout, /bleu[\s\S]*chrf[\s\S]*chrf\+\+/);
  const unknown = await runXlm(['score', 'meteor']);
  assert.match(unknown.stderr, /no scorer "meteor"; scorers: bleu, chrf, chrf\+\+/);
});
