import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { generateQa, writeQaJsonl } from '../helpers/qa-data.js';

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

test('the fine-tune wizard path: data/inspect suggests question answering for a QA file, and train/start trains a QA model the qa request answers with', async () => {
  const data = join(root, 'squad-like.jsonl');
  writeQaJsonl(data, generateQa(24, 'en', 5));
  const inspected = await engine.client.sendRequest(p.dataInspect, { file: data });
  assert.equal(inspected.suggestedTask, 'question-answering');
  assert.equal(inspected.rows, 24);
  assert.deepEqual(inspected.problems, []);
  const ends: p.TrainEndParams[] = [];
  const sub = engine.client.onNotification(p.trainEnd, (e) => ends.push(e));
  try {
    const started = await engine.client.sendRequest(p.trainStart, {
      model: join(root, 'qa'), data, task: 'question-answering', method: 'full', epochs: 1, batchSize: 8, learningRate: 1e-3, maxLength: 64, runFolder: join(root, 'runs'),
    });
    for (let i = 0; i < 1200 && !ends.some((e) => e.runId === started.runId); i++) await new Promise((r) => setTimeout(r, 50));
    const end = ends.find((e) => e.runId === started.runId);
    assert.equal(end?.status, 'completed', JSON.stringify(end));
    const config = JSON.parse(readFileSync(join(started.runDir, 'config.json'), 'utf8')) as { architectures: string[] };
    assert.deepEqual(config.architectures, ['XLMRobertaForQuestionAnswering']);
    const r = await engine.client.sendRequest(p.qa, { question: 'Where?', context: 'Paris is big. Berlin is old.', model: started.runDir });
    assert.ok(r.answers.length > 0);
  } finally {
    sub.dispose();
  }
});
