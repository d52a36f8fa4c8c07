/** --task of xlm train and xlm eval: the task vocabulary's words, or the CLI's short spellings of them. */
import { XlmError } from '../errors.js';
import { TASKS, type Task } from '../tasks/vocabulary.js';

/** The short spelling of each task on the command line (`--task qa`); the full word is taken too. */
export const CLI_TASK_NAME: Record<Task, string> = {
  'sequence-classification': 'seq-cls',
  'pair-classification': 'nli',
  'token-classification': 'token-cls',
  'masked-lm': 'mlm',
  'question-answering': 'qa',
};

/** --task's help: every task's short spelling, then the commands' own choices (train's translation). */
export function taskHelp(extra: readonly string[] = []): string {
  return `${[...TASKS.map((t) => CLI_TASK_NAME[t]), ...extra].join(' | ')} (or the full names: ${TASKS.join(', ')})`;
}

/** --task's value as a task of the vocabulary, or one of `extra`; undefined when the flag is absent. */
export function taskFlag<E extends string = never>(value: unknown, extra: readonly E[] = []): Task | E | undefined {
  if (value === undefined) return undefined;
  const v = String(value);
  if ((extra as readonly string[]).includes(v)) return v as E;
  const task = TASKS.find((t) => t === v || CLI_TASK_NAME[t] === v);
  if (task === undefined) {
    throw new XlmError('cli-bad-flag', `--task is "${v}"; expected one of ${[...TASKS.map((t) => CLI_TASK_NAME[t]), ...extra].join(', ')}`, { what: '--task' });
  }
  return task;
}
