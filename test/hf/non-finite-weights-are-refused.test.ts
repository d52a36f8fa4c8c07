// NaN or infinite weights would load silently and print NaN probabilities; they are refused at load,
// naming the file and the tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XlmError } from '../../src/engine/errors.js';
import { loadModelFolder } from '../../src/engine/hf/folder.js';
import { layerNames } from '../../src/engine/hf/names.js';
import { openSafetensors } from '../../src/engine/hf/safetensors.js';
import { writeSafetensors, type TensorToWrite } from '../../src/engine/hf/safetensors-write.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { runXlm } from '../helpers/cli.js';

for (const [label, bad] of [['NaN', NaN], ['+Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
  test(`a weight that is ${label} is refused at load, naming the tensor (F32 and F16)`, async () => {
    for (const dtype of ['F32', 'F16'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'xlm-nan-'));
      try {
        writeTinyXlmr(dir, { head: 'seq-cls', labels: ['a', 'b'] });
        const path = join(dir, 'model.safetensors');
        const name = layerNames(1).valueBias;
        const file = openSafetensors(path);
        const tensors = new Map<string, TensorToWrite>();
        for (const n of file.names()) tensors.set(n, { dtype, shape: file.info(n).shape, data: file.readFloat32(n) });
        file.close();
        const data = tensors.get(name)!.data as Float32Array;
        data[3] = bad;
        data[5] = bad;
        writeSafetensors(path, tensors, { format: 'pt' });

        const folder = loadModelFolder(dir, { head: 'seq-cls' });
        try {
          assert.throws(
            () => folder.weights.get(name),
            (e: unknown) =>
              e instanceof XlmError &&
              e.code === 'hf/tensor-not-finite' &&
              e.place.file === path &&
              e.place.what === name &&
              new RegExp(`holds 2 values that are NaN or infinite \\(the first, ${label.replace('+', '')}, at element 3`).test(e.message),
          );
        } finally {
          folder.close();
        }
        const r = await runXlm(['classify', '--model', dir, '--threads', '1', 'hello']);
        assert.equal(r.code, 1);
        assert.ok(r.stderr.includes(`${path}: tensor '${name}' holds 2 values that are NaN or infinite`), r.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
}
