/**
 * One task vocabulary (src/engine/tasks/vocabulary.ts): the protocol, the engine and the CLI spell every task the
 * same, the CLI's short spellings name the same tasks, and every task has its head, data kind and words. The
 * compiler refuses a task without a row in the Record<Task, …> tables; these tests catch what it cannot: a table
 * filled at run time, a help text or a refusal that leaves a task out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as p from '../../src/engine/rpc/protocol.js';
import { DATA_OF_TASK, HEAD_KINDS, HEAD_OF_TASK, ROWS_OF_TASK, TASKS } from '../../src/engine/tasks/vocabulary.js';
import { CLI_TASK_NAME, taskFlag } from '../../src/engine/cli/task-flag.js';
import { trainOptionsFromFlags } from '../../src/engine/cli/train.js';
import { runXlm } from '../helpers/cli.js';

test('the protocol sends the engine\'s task vocabulary, not a copy of it', () => {
  assert.equal(p.TASKS, TASKS);
});

test('every task has its head, its data kind, its words and a short CLI spelling of its own', () => {
  for (const task of TASKS) {
    assert.ok(HEAD_KINDS.includes(HEAD_OF_TASK[task]), `${task}: head`);
    assert.ok(task in DATA_OF_TASK, `${task}: data kind`);
    assert.ok(ROWS_OF_TASK[task], `${task}: what its rows hold`);
    assert.ok(CLI_TASK_NAME[task], `${task}: CLI spelling`);
  }
  assert.equal(new Set(Object.values(CLI_TASK_NAME)).size, TASKS.length, 'no two tasks share a short spelling');
  assert.deepEqual(HEAD_KINDS, ['seq-cls', 'token-cls', 'mlm', 'qa']);
});

test('--task takes the short spelling and the full word for the same task, and refuses another word, naming the choices', () => {
  for (const task of TASKS) {
    assert.equal(taskFlag(CLI_TASK_NAME[task]), task);
    assert.equal(taskFlag(task), task);
    assert.equal(trainOptionsFromFlags({ task: CLI_TASK_NAME[task], train: 't.jsonl', out: 'o' }, 'model').task, task);
  }
  assert.equal(taskFlag('translation', ['translation'] as const), 'translation');
  assert.throws(() => taskFlag('ner'), /--task is "ner"; expected one of seq-cls, nli, token-cls, mlm, qa$/);
});

for (const command of ['train', 'eval']) {
  test(`xlm ${command} --help lists every task by both spellings`, async () => {
    const help = await runXlm([command, '--help']);
    assert.equal(help.code, 0, help.stderr);
    const line = help.stdout.split('\n').find((l) => /--task\b/.test(l));
    assert.ok(line, help.stdout);
    for (const task of TASKS) {
      assert.match(line, new RegExp(`\\b${CLI_TASK_NAME[task]}\\b`), `${command} --help: ${CLI_TASK_NAME[task]}`);
      assert.ok(line.includes(task), `${command} --help: ${task}`);
    }
  });
}

test('train/start refuses a task outside the vocabulary, listing every one', async () => {
  const schema = p.TrainStartParams;
  const v = await import('valibot');
  const r = v.safeParse(schema, { model: 'm', data: 'd', task: 'seq-cls', runFolder: 'r', method: 'lora' });
  assert.equal(r.success, false);
  const message = r.issues![0].message;
  for (const task of TASKS) assert.ok(message.includes(`"${task}"`), message);
});
