// Every `--flag` that the README or the source (error messages, help, comments) names must be a flag of the
// `xlm` CLI, or belong to another program that the same README line names. A message that suggests a flag
// which does not exist sends the user nowhere.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../../src/engine/cli/commands.js';
import { GLOBAL_OPTIONS } from '../../src/engine/cli/main.js';
import { runXlm } from '../helpers/cli.js';
import { tempFolder } from '../data/temp-files.js';

const ROOT = join(__dirname, '..', '..');
const FLAG = /(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/g;

/** Flags of other programs, each with the text that must sit on the same line or the one before to show whose flag it is. */
const FOREIGN: Record<string, RegExp> = {
  'install-extension': /\bcode --install-extension\b/,
  repeats: /bench\/train\.ts/,
  'base-only': /bench\/train\.ts/,
  minutes: /bench\/xlmr-translator\.ts/,
  steps: /bench\/train-translation\.ts/,
  batch: /bench\/train-translation\.ts/,
  length: /bench\/train-translation\.ts/,
  'd-model': /bench\/train-translation\.ts/,
  strict: /npm run check:hf/,
  run: /ship-default-model\.ts/,
  best: /ship-default-model\.ts/,
  import: /\bnode --import\b/,
  placements: /device-check\.ts/,
  only: /bench\/(infer|editor)\.ts/,
  requests: /bench\/editor\.ts/,
  cold: /bench\/editor\.ts/,
  quick: /bench\/(editor|infer|train)\.ts/,
  target: /npm run package|scripts\/package\.mjs/,
  // An exported cluster job's programs (README, Running on a cluster).
  engine: /train\.py --engine/,
  config: /accelerate launch --config_file/,
  nproc: /torchrun --nproc_per_node/,
  standalone: /torchrun --nproc_per_node \d+ --standalone/,
  share: /bench\/audit-flip\.ts/,
  corrupt: /bench\/audit-flip\.ts/,
  rows: /bench\/audit-flip\.ts/,
  write: /scripts\/calibrate-translation-threshold\.ts/,
  mode: /bench\/audit-flip\.ts/,
  retrain: /bench\/audit-flip\.ts/,
  'show-false': /bench\/audit-flip\.ts/,
  'head-only': /ship-default-model\.ts/,
  languages: /bench\/audit-flip\.ts/,
  'our-export': /bench\/translate\.ts/,
  size: /bench\/train-profile\.ts/,
};

function cliFlags(): Set<string> {
  const flags = new Set(Object.keys(GLOBAL_OPTIONS));
  for (const command of COMMANDS) for (const name of Object.keys(command.options ?? {})) flags.add(name);
  return flags;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

function unknownFlags(path: string, known: Set<string>): string[] {
  const found: string[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    for (const [, flag] of line.matchAll(FLAG)) {
      if (known.has(flag)) continue;
      if (FOREIGN[flag]?.test(`${lines[i - 1] ?? ''}\n${line}`)) continue;
      found.push(`${path.slice(ROOT.length + 1)}:${i + 1}: --${flag}`);
    }
  });
  return found;
}

test('every --flag the README names is a flag of xlm (or of the program named beside it)', () => {
  assert.deepEqual(unknownFlags(join(ROOT, 'README.md'), cliFlags()), []);
});

test('every --flag the source names (error messages, help, comments) is a flag of xlm', () => {
  const known = cliFlags();
  const unknown = sourceFiles(join(ROOT, 'src')).flatMap((file) => unknownFlags(file, known));
  assert.deepEqual(unknown, []);
});

test('the walker sees flags in messages: a made-up one is reported', () => {
  const files = tempFolder('flags');
  const path = files.write('message.ts', "throw new Error('raise it with --max-line-byte');\nconst ok = '--json';\n");
  const found = unknownFlags(path, cliFlags()).map((f) => f.replace(/^.*:(\d+): /, '$1: '));
  assert.deepEqual(found, ['1: --max-line-byte']);
});

test('the flags that data error messages suggest do what the message says', async () => {
  const files = tempFolder('flags-behave');
  const long = `{"text":"${'x'.repeat(200)}","label":"a"}`;
  const jsonl = files.write('long.jsonl', `{"text":"a","label":"a"}\n${long}\n`);
  const refused = await runXlm(['data', 'inspect', jsonl, '--max-line-bytes', '100', '--json']);
  assert.equal(refused.code, 0, refused.stderr);
  const summary = JSON.parse(refused.stdout);
  assert.deepEqual(summary.errors.map((e: { line: number; code: string }) => [e.line, e.code]), [[2, 'line-too-long']]);
  assert.match(summary.errors[0].reason, /over the limit of 100 .*--max-line-bytes/);
  const raised = JSON.parse((await runXlm(['data', 'inspect', jsonl, '--max-line-bytes', '1000', '--json'])).stdout);
  assert.equal(raised.errorCount, 0);
  assert.equal(raised.rows, 2);

  // --quote reads "a" as a quoted a (a duplicate of the next row); --no-quote keeps the quotes as text.
  const tsv = files.write('quotes.tsv', 'text\tlabel\n"a"\tx\na\tx\n');
  const inspect = async (...flags: string[]) => JSON.parse((await runXlm(['data', 'inspect', tsv, '--json', ...flags])).stdout);
  assert.equal((await inspect()).duplicates.rows, 0, 'one wrapped field in four: quotes are plain text by default');
  assert.equal((await inspect('--quote')).duplicates.rows, 1);
  const wrapped = files.write('wrapped.tsv', 'text\tlabel\n"a"\t"x"\na\t"x"\n');
  const quotedByDefault = JSON.parse((await runXlm(['data', 'inspect', wrapped, '--json'])).stdout);
  const plain = JSON.parse((await runXlm(['data', 'inspect', wrapped, '--json', '--no-quote'])).stdout);
  assert.deepEqual([quotedByDefault.duplicates.rows, quotedByDefault.labels], [1, { x: 2 }]);
  assert.deepEqual([plain.duplicates.rows, plain.labels], [0, { '"x"': 2 }]);
  const both = await runXlm(['data', 'inspect', tsv, '--quote', '--no-quote']);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--quote and --no-quote contradict/);
});

test('xlm data inspect FILE --pair FILE reads two line-aligned files as the README shows', async () => {
  const files = tempFolder('flags-pair');
  const en = files.write('train.en', 'Thank you.\nGood night.\n');
  const fr = files.write('train.fr', 'Merci.\nBonne nuit.\n');
  const r = await runXlm(['data', 'inspect', en, '--pair', fr, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual([s.format, s.pairs, s.languages.source, s.languages.target], ['two-files', 2, 'en', 'fr']);
});
