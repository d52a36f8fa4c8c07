// Property-based fuzzing of the RPC boundary: random and mutated params for every method of the protocol, sent
// over JSON-RPC to the real handler table with a tiny model loaded, never produce an "engine bug" answer, a crash
// or a hang; each refusal is InvalidParams or a user error. The counts of inputs run are printed at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ResponseError } from 'vscode-jsonrpc/node';
import * as p from '../../src/engine/rpc/protocol.js';
import { connectEngineInProcess, type EnginePair } from '../helpers/engine-pair.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const RUNS_PER_METHOD = Number(process.env.XLM_FUZZ_RUNS ?? 150);
/** Far above any answer on a tiny model; reaching it means a hang. */
const ANSWER_MS = 20_000;

let tmp: string;
let modelDir: string;
let engine: EnginePair;
const cwd = process.cwd();
const env = { ...process.env };
const trainEnds: p.TrainEndParams[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-fuzz-'));
  modelDir = path.join(tmp, 'tiny');
  writeTinyXlmr(modelDir, { head: 'all', labels: ['entailment', 'neutral', 'contradiction'] });
  fs.writeFileSync(path.join(tmp, 'data.jsonl'), '{"text": "a b", "label": "neutral"}\n{"text": "c", "label": "entailment"}\n');
  // Random relative paths land in the scratch folder; nothing can reach a real Hub.
  process.chdir(tmp);
  Object.assign(process.env, { HF_HOME: path.join(tmp, 'hf'), HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
  delete process.env.HF_TOKEN;
  engine = connectEngineInProcess();
  engine.client.onNotification(p.trainEnd, (e) => trainEnds.push(e));
  await engine.client.sendRequest(p.modelLoad, { dir: modelDir });
});
after(() => {
  engine.dispose();
  process.chdir(cwd);
  process.env = env;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A valid request of each method: the base that mutations start from. */
const valid = (): Record<p.RequestName, Record<string, unknown> | undefined> => ({
  engineInfo: undefined,
  modelInfo: undefined,
  hubList: undefined,
  deviceResolve: { device: 'auto', purpose: 'inference' },
  modelLoad: { dir: modelDir, device: 'cpu' },
  tokenize: { text: 'Le café <mask>', textPair: 'b', maxLength: 16, model: modelDir },
  fillMask: { texts: ['hello <mask> world', '<mask>'], topK: 3, model: modelDir },
  classify: { inputs: [{ text: 'a', textPair: 'b' }, { text: 'c' }], model: modelDir },
  entities: { texts: ['Anna lives in Paris.', '😀 Berlin'], model: modelDir },
  qa: { question: 'Where?', context: 'Paris is big. 😀 Rome is old.', topK: 2, maxAnswerLength: 5, model: modelDir },
  nli: { premise: 'a cat', hypothesis: 'an animal', model: modelDir },
  zeroShot: { text: 'the match', labels: ['sport', 'politics'], hypothesisTemplate: 'It is {}.', multiLabel: false, model: modelDir },
  embed: { texts: ['a', 'b c'], normalize: true, model: modelDir },
  languageId: { texts: ['a', 'b c'], topK: 2, model: modelDir },
  sentencesSimilar: { text: 'a', files: [path.join(tmp, 'data.jsonl')], topK: 2, model: modelDir },
  sentencesIndex: { files: [path.join(tmp, 'data.jsonl')], model: modelDir },
  translate: { texts: ['hi'], targetLang: 'de', sourceLang: 'en', model: path.join(tmp, 'no-translator') },
  trainStart: { model: modelDir, data: path.join(tmp, 'data.jsonl'), task: 'sequence-classification', runFolder: 'runs', method: 'lora', epochs: 1, batchSize: 2, learningRate: 1e-3, maxLength: 16, loraRank: 2, seed: 1, device: 'cpu', memoryLimitMB: 0 },
  trainResume: { runDir: path.join(tmp, 'no-run') },
  trainStop: { runId: 'none' },
  trainDefaults: { model: modelDir, task: 'sequence-classification', method: 'lora', rows: 780, evalData: path.join(tmp, 'data.jsonl'), batchSize: 16 },
  modelCapabilities: { dirs: [modelDir, tmp] },
  evalRun: { model: modelDir, data: path.join(tmp, 'data.jsonl'), task: 'sequence-classification', batchSize: 2 },
  dataInspect: { file: path.join(tmp, 'data.jsonl') },
  dataAudit: { file: path.join(tmp, 'data.jsonl'), model: modelDir, folds: 2, noFolds: false, out: 'runs/audit' },
  hubDownload: { repoId: 'org/model', revision: 'main', offline: true },
  modelEnsureDefault: { storageDir: 'storage' },
  jobExport: { run: path.join(tmp, 'no-run'), out: path.join(tmp, 'job') },
  jobImport: { dir: path.join(tmp, 'no-job'), runFolder: 'runs' },
});

/** Methods whose accepted params start long work that writes where it is told (a run, a default-model build). */
const NOT_SENT_WHEN_ACCEPTED = new Set<p.RequestName>(['trainStart', 'modelEnsureDefault', 'dataAudit']);

const value = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `${s}<mask>${s}`),
  fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 5 }),
  fc.array(fc.record({ text: fc.string({ maxLength: 20 }), textPair: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) }), { maxLength: 4 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e9, Number.MAX_SAFE_INTEGER, '', '/', '..', 'cpu', 'quantum', null, true, [], {}),
);

/** A valid request with one key replaced by a random value, removed, or a random key added; or random params. */
function paramsFor(base: Record<string, unknown> | undefined): fc.Arbitrary<unknown> {
  const keys = Object.keys(base ?? {});
  const mutated = fc.record({ key: keys.length ? fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })) : fc.string({ maxLength: 8 }), drop: fc.boolean(), value }).map(({ key, drop, value: v }) => {
    const next: Record<string, unknown> = { ...base };
    if (drop && key in next) delete next[key];
    else next[key] = v;
    return next;
  });
  return fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: value }, { weight: 1, arbitrary: fc.constant(base) });
}

const counts = { sent: 0, accepted: 0, invalidParams: 0, userError: 0, methodNotFound: 0, notSent: 0 };

async function answer(method: string, params: unknown): Promise<'ok' | ResponseError<p.EngineErrorData>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${method} ${JSON.stringify(params)} did not answer in ${ANSWER_MS} ms`)), ANSWER_MS)));
  try {
    const sent = params === undefined ? engine.client.sendRequest(method) : engine.client.sendRequest(method, params);
    await Promise.race([sent, hang]);
    return 'ok';
  } catch (e) {
    if (e instanceof ResponseError) return e as ResponseError<p.EngineErrorData>;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

for (const name of Object.keys(p.requests) as p.RequestName[]) {
  test(`fuzzed ${p.requests[name].method} params get an answer that is never an engine bug`, async () => {
    const base = valid()[name];
    await fc.assert(
      fc.asyncProperty(paramsFor(base), async (params) => {
        // JSON is what travels: the engine sees the params as the wire carries them.
        const wire: unknown = params === undefined ? undefined : JSON.parse(JSON.stringify(params) ?? 'null');
        if (NOT_SENT_WHEN_ACCEPTED.has(name) && p.checkParams(name as keyof typeof p.paramSchemas, wire).ok) {
          counts.notSent++;
          return;
        }
        counts.sent++;
        const got = await answer(p.requests[name].method, wire);
        if (got === 'ok') return void counts.accepted++;
        assert.notEqual(got.code, p.EngineErrorCodes.internalError, `engine bug for ${name} ${JSON.stringify(wire)}: ${got.message}`);
        if (got.code === p.EngineErrorCodes.invalidParams) {
          counts.invalidParams++;
          assert.ok(got.data?.what, `InvalidParams without a field: ${got.message}`);
        } else if (got.code === p.EngineErrorCodes.userError) counts.userError++;
        else assert.fail(`unexpected error code ${got.code} for ${name} ${JSON.stringify(wire)}: ${got.message}`);
      }),
      { numRuns: RUNS_PER_METHOD, seed: Number(process.env.XLM_FUZZ_SEED ?? 19) },
    );
  });
}

test('random method names answer MethodNotFound', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 16 }).filter((m) => !Object.values(p.requests).some((r) => r.method === m) && !m.startsWith('$/')), value, async (method, params) => {
      counts.sent++;
      const got = await answer(method, JSON.parse(JSON.stringify(params) ?? 'null'));
      assert.ok(got !== 'ok' && got.code === p.EngineErrorCodes.methodNotFound, `${method} did not answer MethodNotFound`);
      counts.methodNotFound++;
    }),
    { numRuns: RUNS_PER_METHOD, seed: 19 },
  );
});

test('after the fuzzing the engine still answers, and no training run it started failed with an engine bug', async () => {
  const info = await engine.client.sendRequest(p.engineInfo);
  assert.equal(info.protocolVersion, p.PROTOCOL_VERSION);
  assert.deepEqual(trainEnds.filter((e) => e.error?.code === 'internal'), []);
  console.log(`rpc fuzz: ${JSON.stringify(counts)}`);
});
