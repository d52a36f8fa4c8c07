// Engine messages that point at an option name it as the engine's option: the CLI says its flag (--tag-scheme,
// --no-quote, --name, ...) and the protocol its param (tagScheme, quote, name, ...), so a VS Code user is never
// told to pass a command-line flag; the CLI's eval report names its flags too.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flagOf } from '../../src/engine/cli/option-flags.js';
import { TagSchemeEvidence } from '../../src/engine/data/bio.js';
import { openDataset } from '../../src/engine/data/dataset.js';
import { formatDataErrorNaming, withReasonsNamed } from '../../src/engine/data/types.js';
import { field, isXlmError, reasonNaming, render, said, type XlmError } from '../../src/engine/errors.js';
import { evalJson, formatEvalReport } from '../../src/engine/eval/report.js';
import type { EvalResult } from '../../src/engine/eval/evaluate.js';
import { runFolderOptions } from '../../src/engine/jobs/source.js';
import { paramOf } from '../../src/engine/rpc/option-params.js';
import { TranslatorCache } from '../../src/engine/translate/cache.js';
import { collect, tempFolder } from './temp-files.js';

const files = tempFolder('messages-name-each-surface').dir;

function thrown(f: () => unknown): XlmError {
  try {
    f();
  } catch (e) {
    assert.ok(isXlmError(e), String(e));
    return e;
  }
  assert.fail('expected an XlmError');
}

test('the tag scheme read from mixed tags names --tag-scheme in the CLI and tagScheme in the protocol', () => {
  const evidence = new TagSchemeEvidence();
  evidence.add(['B-PER', 'E-PER', 'O', 'U-LOC']);
  const choice = evidence.decide();
  assert.equal(choice.scheme, 'iob2');
  assert.ok(choice.said, 'the reason keeps the option it names');
  assert.match(render(choice.said, flagOf), /read as IOB2 \(--tag-scheme names the file's scheme\)/);
  assert.match(render(choice.said, paramOf), /read as IOB2 \(tagScheme names the file's scheme\)/);
  assert.doesNotMatch(choice.reason, /--/);
  // The CLI's --json output says the flag, with nothing of the engine's bookkeeping left in it.
  const named = withReasonsNamed({ tagScheme: choice }, flagOf);
  assert.deepEqual(Object.keys(named.tagScheme!).sort(), ['reason', 'scheme']);
  assert.match(named.tagScheme!.reason, /--tag-scheme/);
});

test('a stray quote in a TSV read with quotes names --no-quote in the CLI and quote in the protocol', async () => {
  const file = join(files, 'quoted.tsv');
  writeFileSync(file, 'text\tlabel\n"a quoted field"\tyes\n"closed"and more\tno\nplain\tyes\n');
  const ds = await openDataset(file, { onError: 'skip', quote: true });
  await collect(ds);
  const error = ds.report.errors.find((e) => e.code === 'csv-syntax');
  assert.ok(error, `a csv-syntax error among ${JSON.stringify(ds.report.errors)}`);
  assert.equal(error.line, 3);
  assert.match(formatDataErrorNaming(error, flagOf), /quoted\.tsv:3:\d+: text after the closing quote .*read it with quote handling off \(--no-quote\)/);
  assert.match(formatDataErrorNaming(error, paramOf), /read it with quote handling off \(quote\)$/);
});

test('a folder that is no run names --run in the CLI and run in the protocol', () => {
  const dir = join(files, 'not-a-run');
  mkdirSync(dir, { recursive: true });
  const e = thrown(() => runFolderOptions(dir));
  assert.match(e.describeNaming(flagOf), /has no run\.json: --run takes a run folder/);
  assert.match(e.describeNaming(paramOf), /has no run\.json: run takes a run folder/);
});

test('translating with no model names --model in the CLI and the setting for VS Code users', async () => {
  const e = await new TranslatorCache().translator(undefined).then(
    () => assert.fail('expected an error'),
    (err: unknown) => err as XlmError,
  );
  assert.match(e.describeNaming(flagOf), /no translation model: give one as --model \(a folder or a Hub id/);
  assert.match(e.describeNaming(paramOf), /give one as model .*the setting xlm\.translationModel/);
});

test('xlm eval\'s report and eval.json name a skipped row\'s option by its flag', () => {
  const error = { file: 'dev.tsv', line: 3, column: 9, code: 'csv-syntax' as const, ...reasonNaming(said`text after the closing quote (${field('quote')})`) };
  const result = { skipped: { errorCount: 1, errors: [error] }, perLanguage: {}, metrics: {}, task: 'sequence-classification', examples: 0, data: 'dev.tsv', languageSource: 'column' } as unknown as EvalResult;
  assert.match(formatEvalReport(result, flagOf), /1 bad rows were skipped \(first: dev\.tsv:3:9: text after the closing quote \(--no-quote\)\)/);
  const json = evalJson(result, flagOf);
  assert.deepEqual(json.skipped.errors[0], { file: 'dev.tsv', line: 3, column: 9, code: 'csv-syntax', reason: 'text after the closing quote (--no-quote)' });
});
