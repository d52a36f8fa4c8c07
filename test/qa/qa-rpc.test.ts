import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

let root: string;
let engine: EnginePair;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-qa-rpc-'));
  writeTinyXlmr(join(root, 'qa'), { head: 'qa', seed: 3, maxPositionEmbeddings: 130 });
  writeTinyXlmr(join(root, 'mlm'), { head: 'mlm' });
  engine = connectEngineInProcess();
});
after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

test('the qa request answers with scores, UTF-16 spans of the given text and the sentence around each answer', async () => {
  const context = 'Smile 😀 and 𠀀 here. Paris is the capital of France! The cat is in the house.\nBerlin is big.';
  const r = await engine.client.sendRequest(p.qa, { question: 'What is the capital of France?', context, topK: 4, model: join(root, 'qa') });
  assert.equal(r.answers.length, 4);
  for (const a of r.answers) {
    assert.equal(context.slice(a.start, a.end), a.answer);
    assert.ok(a.sentenceStart <= a.start && a.end <= a.sentenceEnd, 'the sentence holds the answer');
    // From the start of the answer's first sentence to the end of its last (a random model's span may cross one).
    const sentences = ['Smile 😀 and 𠀀 here.', 'Paris is the capital of France!', 'The cat is in the house.', 'Berlin is big.'];
    assert.ok(sentences.some((s) => context.indexOf(s) === a.sentenceStart), `starts a sentence: ${context.slice(a.sentenceStart, a.sentenceEnd)}`);
    assert.ok(sentences.some((s) => context.indexOf(s) + s.length === a.sentenceEnd), `ends a sentence: ${context.slice(a.sentenceStart, a.sentenceEnd)}`);
  }
  for (let i = 1; i < r.answers.length; i++) assert.ok(r.answers[i].score <= r.answers[i - 1].score);
});

test('a model without a QA head is a user error naming the head, and the engine keeps serving', async () => {
  await assert.rejects(engine.client.sendRequest(p.qa, { question: 'Where?', context: 'Here.', model: join(root, 'mlm') }), (e: ResponseError<p.EngineErrorData>) => {
    assert.equal(e.code, p.EngineErrorCodes.userError);
    assert.match(e.message, /no question-answering head/);
    return true;
  });
  await assert.rejects(engine.client.sendRequest(p.qa, { question: '  ', context: 'Here.', model: join(root, 'qa') }), /question: expected a question, not an empty string/);
  const ok = await engine.client.sendRequest(p.qa, { question: 'Where?', context: 'Here.', model: join(root, 'qa') });
  assert.ok(ok.answers.length >= 1);
});
