/**
 * The task vocabulary: one word per task, the same in the protocol (train/start, eval/run, data/inspect), in the
 * engine's options and results, and in the CLI (which also takes its short spellings, cli/task-flag.ts). What a task
 * means to another layer (the head it trains and runs, the kind of data it reads) is a table keyed by the task, so
 * the compiler refuses a task added here without its row. This file imports nothing: the protocol re-exports it,
 * and the extension's bundle carries it.
 */
export const TASKS = ['sequence-classification', 'pair-classification', 'token-classification', 'masked-lm', 'question-answering'] as const;
export type Task = (typeof TASKS)[number];

/**
 * What a run trains (train/start, xlm train): every task above, and translation, an encoder-decoder's task
 * (seq2seq/) with no encoder head of its own, so it has no row in the head and data tables below.
 */
export const TRAIN_TASKS = [...TASKS, 'translation'] as const;
export type TrainTask = (typeof TRAIN_TASKS)[number];

/**
 * The head a task trains and runs, in the names of the checkpoint's modules (classifier, lm_head, qa_outputs; see
 * hf/names.ts). A head is not a task: a pair classifier is a sequence classifier that reads two texts.
 */
export const HEAD_OF_TASK = {
  'sequence-classification': 'seq-cls',
  'pair-classification': 'seq-cls',
  'token-classification': 'token-cls',
  'masked-lm': 'mlm',
  'question-answering': 'qa',
} as const satisfies Record<Task, string>;
export type HeadKind = (typeof HEAD_OF_TASK)[Task];
/** Every head, in the order of TASKS. */
export const HEAD_KINDS: readonly HeadKind[] = [...new Set(Object.values(HEAD_OF_TASK))];

/**
 * What the columns of a data file hold, as the task they are for; parallel text (translation's) is its own kind.
 * Question answering's SQuAD files are read by qa/ rather than the tabular readers, so they are not a kind here.
 */
export type DataKind = Exclude<Task, 'question-answering'> | 'parallel';

/**
 * The kind a task's data is read as: undefined for sequence classification, which reads single texts or pairs,
 * whichever the columns hold; 'squad' for question answering's own reader (data/qa.ts).
 */
export const DATA_OF_TASK: Record<Task, DataKind | 'squad' | undefined> = {
  'sequence-classification': undefined,
  'pair-classification': 'pair-classification',
  'token-classification': 'token-classification',
  'masked-lm': 'masked-lm',
  'question-answering': 'squad',
};

/** What a row of a task's data holds, in words (for the error when a file holds something else). */
export const ROWS_OF_TASK: Record<Task, string> = {
  'sequence-classification': 'text (and pair) and label',
  'pair-classification': 'premise/hypothesis (text and pair) and label',
  'token-classification': 'tokens and tags',
  'masked-lm': 'text',
  'question-answering': 'context, question and answers (SQuAD JSON or JSON Lines)',
};

/** Whether data read as `kind` serves `task` (sequence classification takes pairs too). */
export function dataFitsTask(task: Task, kind: DataKind): boolean {
  const wanted = DATA_OF_TASK[task];
  return wanted === undefined ? kind === 'sequence-classification' || kind === 'pair-classification' : kind === wanted;
}

/** The kind the tabular readers read a task's data as (undefined: whichever the columns hold; QA reads its own files). */
export function tabularKindOf(task: Task): DataKind | undefined {
  const kind = DATA_OF_TASK[task];
  return kind === 'squad' ? undefined : kind;
}

/** The task a file of this kind suggests (parallel text suggests none of these: it is translation's). */
export function taskOfDataKind(kind: DataKind): Exclude<Task, 'question-answering'> | undefined {
  return kind === 'parallel' ? undefined : kind;
}
