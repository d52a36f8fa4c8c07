import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradCheck } from '../helpers/gradcheck.js';
import { gradCases } from './op-cases.js';

for (const c of gradCases.filter((c) => c.finiteDifferences !== false)) {
  test(`${c.name}: autodiff matches central differences`, async () => {
    const r = await gradCheck(c.inputs, c.build, c.eps ?? 1e-6);
    assert.ok(r.maxRelError < (c.tolerance ?? 1e-5), `max relative error ${r.maxRelError} (abs ${r.maxAbsError})`);
  });
}
