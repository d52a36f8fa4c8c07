// What every command gets from runCli instead of writing it again: --threads checked once, and Ctrl-C as an abort
// signal for the commands that can stop cleanly (train, pretrain, data audit, hub download), taken from Node only
// while such a command runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandContext, CommandSpec } from '../../src/engine/cli/command.js';
import type { CliIo } from '../../src/engine/cli/io.js';
import { runCli } from '../../src/engine/cli/main.js';
import { XlmError } from '../../src/engine/errors.js';

function io(signal?: AbortSignal): CliIo & { err: () => string } {
  let stderr = '';
  return { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, env: {}, now: Date.now, ...(signal ? { signal } : {}), err: () => stderr };
}

function command(name: string, run: (ctx: CommandContext) => Promise<number>): CommandSpec {
  return { name, summary: 'a test command', run };
}

test('--threads reaches the command as a number, 0 when not given, and a bad value is refused before it runs', async () => {
  const seen: number[] = [];
  const probe = command('probe', async (ctx) => {
    seen.push(ctx.threads);
    return 0;
  });
  assert.equal(await runCli(['probe', '--threads', '3'], io(), [probe]), 0);
  assert.equal(await runCli(['probe'], io(), [probe]), 0);
  const bad = io();
  assert.equal(await runCli(['probe', '--threads', 'two'], bad, [probe]), 1);
  assert.deepEqual(seen, [3, 0]);
  assert.match(bad.err(), /--threads is "two"; expected a whole number/);
});

test('Ctrl-C aborts the signal of a command that asked for it, and the handler is gone when the command returns', async () => {
  const before = process.listenerCount('SIGINT');
  let aborted = false;
  const stoppable = command('stoppable', async (ctx) => {
    const signal = ctx.cancelSignal();
    assert.equal(ctx.cancelSignal(), signal, 'one signal a run');
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    process.emit('SIGINT');
    aborted = signal.aborted;
    return aborted ? 130 : 0;
  });
  assert.equal(await runCli(['stoppable'], io(), [stoppable]), 130);
  assert.ok(aborted);
  assert.equal(process.listenerCount('SIGINT'), before);
});

test('a command that never asks leaves Ctrl-C to Node, and a caller\'s own signal is used as it is', async () => {
  const before = process.listenerCount('SIGINT');
  const quick = command('quick', async () => {
    assert.equal(process.listenerCount('SIGINT'), before);
    return 0;
  });
  assert.equal(await runCli(['quick'], io(), [quick]), 0);
  const own = new AbortController();
  const given = command('given', async (ctx) => {
    assert.equal(ctx.cancelSignal(), own.signal);
    assert.equal(process.listenerCount('SIGINT'), before);
    return 0;
  });
  assert.equal(await runCli(['given'], io(own.signal), [given]), 0);
});

test('a command stopped by Ctrl-C exits with 130 and says it was cancelled, not that it failed', async () => {
  const stopped = command('stopped', async (ctx) => {
    const signal = ctx.cancelSignal();
    process.emit('SIGINT');
    if (signal.aborted) throw new XlmError('cancelled', 'pre-training was cancelled');
    return 0;
  });
  const run = io();
  assert.equal(await runCli(['stopped'], run, [stopped]), 130);
  assert.equal(run.err(), 'xlm: pre-training was cancelled\n');
  const failing = command('failing', async () => {
    throw new XlmError('bad-option', 'nope');
  });
  const failed = io();
  assert.equal(await runCli(['failing'], failed, [failing]), 1);
});
