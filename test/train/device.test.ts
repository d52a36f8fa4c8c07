import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/engine/train/train-task.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

test('asking for a device that cannot run here falls back to CPU with one line saying why', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-device-'));
  try {
    writeTinyXlmr(join(root, 'm'), { head: 'seq-cls', seed: 1 });
    writeFileSync(join(root, 'd.jsonl'), ['{"text":"The cats.","label":"a"}', '{"text":"The dogs.","label":"b"}'].join('\n'));
    for (const device of ['cuda', 'webgpu'] as const) {
      const lines: string[] = [];
      const r = await train({ model: join(root, 'm'), task: 'sequence-classification', train: join(root, 'd.jsonl'), out: join(root, `o-${device}`), maxSteps: 1, batchSize: 2, device, threads: 1 }, { onLog: (l) => lines.push(l) });
      const notices = lines.filter((l) => l.startsWith(`device ${device}:`));
      if (r.device === device) assert.equal(notices.length, 0);
      else {
        assert.equal(r.device, 'cpu');
        assert.equal(notices.length, 1, `one notice, got ${JSON.stringify(lines)}`);
        assert.match(notices[0], new RegExp(`${device} is not available \\(.+\\); running on cpu`));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
