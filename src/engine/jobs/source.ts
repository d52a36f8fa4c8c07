/**
 * The run a job is exported from: a run folder the editor started (RUN/run.json holds its train/start
 * parameters), read into the same training options the run trained with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XlmError, field, said } from '../errors.js';
import { checkParams } from '../rpc/protocol.js';
import { trainOptionsOfRun } from '../rpc/training.js';
import type { TrainOptions } from '../train/options.js';

export const RUN_SETTINGS_FILE = 'run.json';

export function runFolderOptions(dir: string): TrainOptions {
  const file = join(resolve(dir), RUN_SETTINGS_FILE);
  if (!existsSync(file)) {
    throw new XlmError('not-a-run', said`${dir} has no ${RUN_SETTINGS_FILE}: ${field('run')} takes a run folder started from the editor, or a JSON file of xlm train's flags`, { file: dir });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new XlmError('bad-json', `${RUN_SETTINGS_FILE} is not JSON: ${(e as Error).message}`, { file });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new XlmError('bad-json', `${RUN_SETTINGS_FILE} must hold an object`, { file });
  // run.json is the train/start parameters plus the run's id and start time.
  const { runId: _id, started: _started, ...params } = parsed as Record<string, unknown>;
  const checked = checkParams('trainStart', params);
  if (!checked.ok) throw new XlmError('bad-run-settings', `${RUN_SETTINGS_FILE}: ${checked.message}`, { file, what: checked.field });
  return trainOptionsOfRun(checked.params, resolve(dir));
}
