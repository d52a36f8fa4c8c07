import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { analyticGradients } from '../helpers/gradcheck.js';
import { gradCases } from './op-cases.js';

/** Every case of the gradient table, computed by PyTorch in one Python process. */
function torchGradients(): Record<string, { loss: number; grads: Record<string, number[] | null> }> {
  const payload = gradCases.map((c) => ({ name: c.name, inputs: c.inputs, torch: c.torch }));
  const r = spawnSync('/usr/bin/python3', [join(__dirname, '..', 'helpers', 'torch_grads.py')], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`torch_grads.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const reference = torchGradients();

for (const c of gradCases) {
  test(`${c.name}: loss and gradients match PyTorch`, async () => {
    const ours = await analyticGradients(c.inputs, c.build);
    const theirs = reference[c.name];
    const float32 = c.inputs.some((i) => i.dtype === 'float32');
    const tol = float32 ? 1e-5 : 1e-10;
    assert.ok(Math.abs(ours.loss - theirs.loss) <= tol * Math.max(1, Math.abs(theirs.loss)), `loss ${ours.loss} vs ${theirs.loss}`);
    for (const [name, g] of ours.grads) {
      const expected = theirs.grads[name];
      assert.ok(expected, `PyTorch gave no gradient for ${name}`);
      assert.equal(g.length, expected.length);
      g.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) <= tol * Math.max(1, Math.abs(expected[k])), `${name}[${k}]: ${v} vs PyTorch ${expected[k]}`));
    }
  });
}
