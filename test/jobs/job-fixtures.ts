/** What the job tests share: tiny data, torchrun on this machine, and the weight comparison. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const TORCHRUN = existsSync('/usr/bin/torchrun') ? ['/usr/bin/torchrun'] : ['/usr/bin/python3', '-m', 'torch.distributed.run'];
// Debian's torch 1.13 on Python 3.11 reads "--redirects" / "--tee" values other than 1 and 2 as None (3.11's IntFlag
// iterates neither its zero member nor the alias 3) and torchrun fails at start, defaults included. So: stderr to log
// files (read back when the job fails), stdout to files and the console. Newer PyTorch has no such bug.
export function torchrunStreams(logDir: string): string[] {
  return ['--redirects', '2', '--tee', '1', '--log_dir', logDir];
}

export function torchrunLogs(logDir: string): string {
  return spawnSync('sh', ['-c', `find "${logDir}" -name 'std*.log' -exec sh -c 'echo "== $1"; cat "$1"' _ {} \\;`], { encoding: 'utf8' }).stdout;
}

const WORDS = ['Paris', 'Berlin', 'Madrid', 'the', 'cat', 'Anna', 'lives', 'in', 'Москва', 'dog', 'Maria', 'works', 'at', 'café', 'Jean', 'near', 'Lisboa'];
const TAG_OF: Record<string, string> = { Paris: 'B-LOC', Berlin: 'B-LOC', Madrid: 'B-LOC', Москва: 'B-LOC', Lisboa: 'B-LOC', Anna: 'B-PER', Maria: 'B-PER', Jean: 'B-PER' };

/** 21 rows of 2–9 words (batches 8, 8, 5 per epoch: the last one splits 3 + 2), all lengths different enough to shuffle visibly. */
function sentences(count: number, salt: number): string[][] {
  return Array.from({ length: count }, (_, i) => Array.from({ length: 2 + ((i * 5 + salt) % 8) }, (_, k) => WORDS[(i * 7 + k * 3 + salt) % WORDS.length]));
}

export function rowsFor(task: 'seq-cls' | 'token-cls', count: number, salt: number): string {
  return sentences(count, salt).map((words, i) => JSON.stringify(task === 'seq-cls'
    ? { text: words.join(' '), label: ['pos', 'neg', 'neutral'][(i + salt) % 3], language: i % 2 ? 'de' : 'en' }
    : { tokens: words, tags: words.map((w, k) => (TAG_OF[w] ? (k > 0 && TAG_OF[words[k - 1]] === TAG_OF[w] ? TAG_OF[w].replace('B-', 'I-') : TAG_OF[w]) : 'O')), language: i % 2 ? 'de' : 'en' })).join('\n') + '\n';
}

export function assertSameWeights(ours: Map<string, Float32Array>, job: Map<string, Float32Array>, lr: number): void {
  assert.deepEqual([...job.keys()].sort(), [...ours.keys()].sort(), 'the job saves the tensors our engine saves');
  for (const [name, expected] of ours) {
    const got = job.get(name)!;
    let err = 0;
    let scale = 0;
    expected.forEach((v, i) => { err = Math.max(err, Math.abs(got[i] - v)); scale = Math.max(scale, Math.abs(v)); });
    // key.bias has a gradient that is zero in exact arithmetic: Adam turns its rounding noise into steps of up to lr.
    const floor = name.endsWith('key.bias') ? 5 * lr : 1e-9;
    assert.ok(err <= 1e-4 * scale || err <= floor, `${name}: max difference ${err} against max |value| ${scale}`);
  }
}

export const jsonLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

