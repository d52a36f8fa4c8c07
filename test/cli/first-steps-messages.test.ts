// What a new user meets first: a missing file and a file with bad rows are named once; a negative number after a
// flag is its value; an unknown flag is named with the flag it was probably meant to be; `xlm data` lists its
// commands; a scorer that does not exist is named whatever flags follow it; `xlm --version` says the version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GLOBAL_OPTIONS } from '../../src/engine/cli/main.js';
import { editDistance, nearestFlag, parseFlags } from '../../src/engine/cli/parse-flags.js';
import type { OptionSpec } from '../../src/engine/cli/command.js';
import { runXlm } from '../helpers/cli.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { tempFolder } from '../data/temp-files.js';

const files = tempFolder('first-steps');
const model = join(files.dir, 'model');
writeTinyXlmr(model, { head: 'seq-cls', seed: 1, labels: ['no', 'yes'] });
const good = files.write('good.jsonl', ['{"text":"yes it is","label":"yes"}', '{"text":"no it is not","label":"no"}'].join('\n') + '\n');
const trainArgs = (data: string, ...extra: string[]) => ['train', '--model', model, '--task', 'seq-cls', '--train', data, '--out', join(files.dir, 'out'), '--threads', '1', ...extra];

test('a missing file is named once, by every command that reads one', async () => {
  const nope = join(files.dir, 'nope.jsonl');
  for (const argv of [['data', 'inspect', nope], ['eval', '--model', model, '--data', nope], trainArgs(nope), ['score', 'bleu', '--hyp', nope, '--ref', good]]) {
    const r = await runXlm(argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('xlm: ')).join('\n'), `xlm: ${nope}: no such file`, argv.join(' '));
  }
  const folder = await runXlm(['data', 'inspect', files.dir]);
  assert.equal(folder.stderr, `xlm: ${files.dir}: this is a folder; give a data file\n`);
});

test('a train file with bad rows opens with one header naming the file, then each row at its line and column', async () => {
  const bad = files.write('bad.jsonl', ['{"text":"a","label":"yes"}', '{"text":"b","label":"no", "oops"}', 'not json', '{"text":"c","label":"no"}'].join('\n') + '\n');
  const r = await runXlm(trainArgs(bad));
  assert.equal(r.code, 1);
  const lines = r.stderr.split('\n');
  const header = lines.findIndex((l) => l.startsWith('xlm: '));
  assert.equal(lines[header], `xlm: ${bad}: 2 bad rows:`);
  assert.match(lines[header + 1], new RegExp(`^  ${bad.replace(/[/.]/g, '\\$&')}:2:\\d+: invalid JSON`));
  assert.match(lines[header + 2], new RegExp(`^  ${bad.replace(/[/.]/g, '\\$&')}:3:1: invalid JSON`));
  assert.match(lines[header + 3], /^Fix these rows, or pass --on-error 'skip'/);
});

test('a negative number after a flag is its value: --lr -1 is refused as --lr=-1 is', async () => {
  const spaced = await runXlm(trainArgs(good, '--lr', '-1'));
  const joined = await runXlm(trainArgs(good, '--lr=-1'));
  assert.equal(spaced.code, 1);
  assert.equal(spaced.stderr, 'xlm: --lr must be above 0, got -1\n');
  assert.equal(spaced.stderr, joined.stderr);

  const options: Record<string, OptionSpec> = {
    lr: { type: 'string', arg: 'LR', help: '' },
    out: { type: 'string', short: 'o', arg: 'DIR', help: '' },
    text: { type: 'string', multiple: true, help: '' },
    ...GLOBAL_OPTIONS,
  };
  const parsed = parseFlags('probe', options, ['--lr', '-1e-4', '-o', '-2', '--text', '-.5', '--text', 'x', 'word', '--', '-3']);
  assert.deepEqual({ ...parsed.values }, { lr: '-1e-4', out: '-2', text: ['-.5', 'x'] });
  assert.deepEqual(parsed.positionals, ['word', '-3']);
  // A word that only starts with '-' is still taken for a flag, and the message says how to give it as a value.
  assert.throws(() => parseFlags('probe', options, ['--out', '--json']), /^--out needs a value \(--out DIR\), and "--json" after it reads as a flag; write --out=--json if that is the value \(xlm probe --help\)$/);
  assert.throws(() => parseFlags('probe', options, ['--lr']), /--lr needs a value: --lr LR \(xlm probe --help\)/);
  assert.throws(() => parseFlags('probe', options, ['--json=yes']), /--json takes no value; give --json alone, not --json=yes/);
  // A one-value flag given twice is refused (the last one won silently); a flag that takes many is not.
  assert.throws(() => parseFlags('probe', options, ['--lr', '1e-4', '--out', 'o', '--lr', '2e-4']), /^--lr is given twice \("1e-4", then "2e-4"\); give it once \(xlm probe --help\)$/);
  assert.throws(() => parseFlags('probe', options, ['-o', 'a', '--out=b']), /--out is given twice \("a", then "b"\)/);
});

test('a scorer that does not exist is named whether flags follow it or not', async () => {
  const bare = await runXlm(['score', 'blue']);
  const flagged = await runXlm(['score', 'blue', '--hyp', good, '--ref', good]);
  assert.equal(flagged.code, 1);
  assert.equal(flagged.stderr, bare.stderr);
  assert.match(flagged.stderr, /^xlm: no scorer "blue"; scorers: bleu, chrf, chrf\+\+, qa \(xlm score NAME --help\)\n$/);
  const none = await runXlm(['score', '--hyp', good, '--ref', good]);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /scorers:\n {2}bleu/);
});

test('an unknown flag is named cleanly, with the flag of the command it was probably meant to be', async () => {
  const cases: [string[], string][] = [
    [['train', '--learning-rate', '1e-4'], 'xlm: train has no flag --learning-rate; did you mean --lr? (xlm train --help)\n'],
    [['train', '--learning_rate=1e-4'], 'xlm: train has no flag --learning_rate; did you mean --lr? (xlm train --help)\n'],
    [['train', '--epoch', '3'], 'xlm: train has no flag --epoch; did you mean --epochs? (xlm train --help)\n'],
    [['train', '--bacth-size', '8'], 'xlm: train has no flag --bacth-size; did you mean --batch-size? (xlm train --help)\n'],
    [['train', '-lr', '1'], 'xlm: train has no flag -lr; did you mean --lr? (xlm train --help)\n'],
    [['eval', '--eval-file', 'x.jsonl'], 'xlm: eval has no flag --eval-file; did you mean --data? (xlm eval --help)\n'],
    [['fill-mask', '--frobnicate'], 'xlm: fill-mask has no flag --frobnicate (xlm fill-mask --help)\n'],
    [['fill-mask', '-x'], 'xlm: fill-mask has no flag -x (xlm fill-mask --help)\n'],
  ];
  for (const [argv, says] of cases) {
    const r = await runXlm(argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stderr, says);
  }
  assert.equal(editDistance('epoch', 'epochs'), 1);
  assert.equal(editDistance('bacth', 'batch'), 1, 'two neighbours swapped are one edit');
  assert.equal(nearestFlag('max-answer', ['max-length', 'max-answer-length']), 'max-answer-length');
  assert.equal(nearestFlag('num-beams', ['eval-beams', 'lr']), 'eval-beams', 'an alias answers with the flag this command has');
  assert.equal(nearestFlag('hyp', ['lr', 'out', 'train']), undefined);
});

test('xlm data, xlm hub and xlm export list their commands; a word that is none of them is named', async () => {
  for (const [group, members] of [['data', ['data inspect', 'data audit']], ['hub', ['hub download', 'hub ls', 'hub rm']], ['export', ['export onnx']]] as const) {
    const r = await runXlm([group]);
    assert.equal(r.code, 1, group);
    assert.equal(r.stderr, '');
    for (const name of members) assert.match(r.stdout, new RegExp(`^  ${name} +\\S`, 'm'), `${group} lists ${name}`);
    assert.match(r.stdout, new RegExp(`xlm ${group} NAME --help`));
    const help = await runXlm([group, '--help']);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, r.stdout);
  }
  const unknown = await runXlm(['data', 'inspekt', 'x.jsonl', '--json']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'xlm: no data command "inspekt"; data commands: inspect, audit (xlm data NAME --help)\n');
});

test('xlm --version and xlm version print the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  for (const argv of [['--version'], ['version'], ['--debug', '--version'], ['train', '--version']]) {
    const r = await runXlm(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.equal(r.stdout, `xlm ${version}\n`, argv.join(' '));
    assert.equal(r.stderr, '');
  }
  assert.deepEqual(JSON.parse((await runXlm(['version', '--json'])).stdout), { version });
  assert.match((await runXlm(['--help'])).stdout, /--version +print the version of XLM Lab/);
});
