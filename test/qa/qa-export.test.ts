import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx } from '../../src/engine/model/export-onnx.js';
import { ModelCache } from '../../src/engine/runtime/model-cache.js';
import { answerQuestions } from '../../src/engine/tasks/question-answering.js';
import { writeTinyXlmr } from '../helpers/tiny-model.js';

const CASES = [
  { question: 'What is the capital of France?', context: 'Paris is the capital of France and Berlin is the capital of Germany.' },
  { question: 'Who was born free?', context: 'All human rights are equal. I love the old city of Rome, Italy.' },
];

test('a question-answering export runs in transformers.js\'s question-answering pipeline and gives our answers', async () => {
  const root = mkdtempSync(join(tmpdir(), 'xlm-export-qa-'));
  const modelDir = join(root, 'tiny');
  const cache = new ModelCache({ threads: 1 });
  try {
    writeTinyXlmr(modelDir, { head: 'qa', seed: 11 });
    const result = exportOnnx(modelDir, join(root, 'exported', 'tiny-qa'));
    assert.equal(result.head, 'qa');
    assert.deepEqual(JSON.parse(readFileSync(join(root, 'exported', 'tiny-qa', 'config.json'), 'utf8')).architectures, ['XLMRobertaForQuestionAnswering']);
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = join(root, 'exported');
    const answerer = await pipeline('question-answering', 'tiny-qa', { local_files_only: true, dtype: 'fp32' });
    try {
      const ours = await answerQuestions(await cache.model(modelDir), CASES);
      for (let i = 0; i < CASES.length; i++) {
        const theirs = (await answerer(CASES[i].question, CASES[i].context, { top_k: 3 })) as unknown as { answer: string; score: number }[];
        // transformers.js scores a span by p(start) * p(end), the same order as our start + end logits.
        assert.deepEqual(theirs.map((t) => t.answer.trim()), ours[i].nBest.slice(0, 3).map((s) => s.text), `case ${i}: the same three best answers`);
      }
    } finally {
      await answerer.dispose();
    }
  } finally {
    await cache.closeAll();
    rmSync(root, { recursive: true, force: true });
  }
});
