import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyNerModel, type TinyNerModel } from '../helpers/tiny-ner-model.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import * as p from '../../src/engine/rpc/protocol.js';
import { entityWords, labelAsTag } from '../../src/engine/tasks/entities.js';

let root: string;
let ner: TinyNerModel;
let engine: EnginePair;

const TAGS = { Anna: 'B-PER', Schmidt: 'I-PER', Berlin: 'B-LOC', Paris: 'B-LOC', Siemens: 'B-ORG', Lena: 'B-PER' };

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-entities-'));
  ner = writeTinyNerModel(join(root, 'ner'), TAGS);
  engine = connectEngineInProcess();
});

after(() => {
  engine.dispose();
  rmSync(root, { recursive: true, force: true });
});

const spans = (found: p.TextEntity[]) => found.map((e) => [e.type, e.start, e.end, e.text]);

test('entities: B- and I- words merge into one entity, with UTF-16 spans and the mean score of its words', async () => {
  const [found, empty] = await engine.client.sendRequest(p.entities, { texts: ['Anna Schmidt lives in Berlin.', '  '], model: ner.dir });
  assert.deepEqual(spans(found!), [['PER', 0, 12, 'Anna Schmidt'], ['LOC', 22, 28, 'Berlin']]);
  for (const e of found!) assert.ok(Math.abs(e.score - ner.score) < 1e-4, `score ${e.score}, expected ${ner.score}`);
  assert.deepEqual(empty, []);
});

test('entities: two B- words in a row are two entities; punctuation is a word of its own', async () => {
  const [found] = await engine.client.sendRequest(p.entities, { texts: ['Anna Lena, Siemens (Paris)'], model: ner.dir });
  assert.deepEqual(spans(found!), [['PER', 0, 4, 'Anna'], ['PER', 5, 9, 'Lena'], ['ORG', 11, 18, 'Siemens'], ['LOC', 20, 25, 'Paris']]);
});

test('entities: spans count UTF-16 code units past emoji and characters outside the BMP', async () => {
  const text = '😀𠀀 Anna Schmidt 🎉 Berlin';
  const [found] = await engine.client.sendRequest(p.entities, { texts: [text], model: ner.dir });
  assert.deepEqual(spans(found!), [['PER', 5, 17, 'Anna Schmidt'], ['LOC', 21, 27, 'Berlin']]);
  for (const e of found!) assert.equal(text.slice(e.start, e.end), e.text);
});

test('entities: a text longer than the model window is read in windows, and entities past the first are found', async () => {
  // The tiny model takes 38 tokens; "in" is one token, so 100 of them need three windows.
  const filler = Array.from({ length: 100 }, () => 'in').join(' ');
  const text = `Anna ${filler} Paris ${filler} Siemens`;
  const [found] = await engine.client.sendRequest(p.entities, { texts: [text], model: ner.dir });
  assert.deepEqual(spans(found!), [['PER', 0, 4, 'Anna'], ['LOC', 305, 310, 'Paris'], ['ORG', 611, 618, 'Siemens']]);
});

test('entities: labels without B-/I- (PER, LOC) and BILOU labels are merged by type', async () => {
  const plain = writeTinyNerModel(join(root, 'plain'), { Anna: 'PER', Schmidt: 'PER', Berlin: 'LOC' });
  const [found] = await engine.client.sendRequest(p.entities, { texts: ['Anna Schmidt in Berlin'], model: plain.dir });
  assert.deepEqual(spans(found!), [['PER', 0, 12, 'Anna Schmidt'], ['LOC', 16, 22, 'Berlin']]);
  const bilou = writeTinyNerModel(join(root, 'bilou'), { Anna: 'B-PER', Schmidt: 'L-PER', Berlin: 'U-LOC', Paris: 'U-LOC' });
  const [again] = await engine.client.sendRequest(p.entities, { texts: ['Anna Schmidt Berlin Paris'], model: bilou.dir });
  assert.deepEqual(spans(again!), [['PER', 0, 12, 'Anna Schmidt'], ['LOC', 13, 19, 'Berlin'], ['LOC', 20, 25, 'Paris']]);
});

test('entities: a model without a token-classification head is refused with what it lacks, and the engine keeps serving', async () => {
  const plain = join(root, 'mlm');
  writeTinyXlmr(plain, { head: 'mlm' });
  await assert.rejects(engine.client.sendRequest(p.entities, { texts: ['Anna'], model: plain }), /token-classification head/);
  const [found] = await engine.client.sendRequest(p.entities, { texts: ['Anna'], model: ner.dir });
  assert.deepEqual(spans(found!), [['PER', 0, 4, 'Anna']]);
});

test('labelAsTag: seqeval tags from the usual label spellings', () => {
  const cases: [string, string][] = [['O', 'O'], ['B-PER', 'B-PER'], ['I_LOC', 'I-LOC'], ['L-ORG', 'E-ORG'], ['U-MISC', 'S-MISC'], ['PER', 'I-PER'], ['Brand', 'I-Brand']];
  assert.deepEqual(cases.map(([label]) => labelAsTag(label)), cases.map(([, tag]) => tag));
});

test('entityWords: letters and digits run together, other characters stand alone, Han characters are words', () => {
  const text = 'Jean-Pierre (42) 北京';
  assert.deepEqual(entityWords(text).map((w) => text.slice(w.start, w.end)), ['Jean', '-', 'Pierre', '(', '42', ')', '北', '京']);
});
