// The dashboard names metrics and configuration keys in words and shows shares as percentages (its per-language
// table showed "macro_f1 0.800" beside a run line saying "eval accuracy 100.0%", and raw keys such as batchSize).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configKeyInWords, evalChartTitle, metricInWords, metricValue } from '../../src/panels/messages.js';

test('metric keys in words, shares as percentages, losses as numbers, config keys in words', () => {
  assert.equal(metricInWords('macro_f1'), 'macro F1');
  assert.equal(metricInWords('micro_f1'), 'micro F1');
  assert.equal(metricInWords('top5_accuracy'), 'top-5 accuracy');
  assert.equal(metricInWords('accuracy'), 'accuracy');
  assert.equal(metricInWords('word_accuracy'), 'word accuracy');
  assert.equal(evalChartTitle('micro_f1'), 'Evaluation: micro F1');
  assert.equal(metricValue('accuracy', 0.8), '80.0%');
  assert.equal(metricValue('macro_f1', 0.61234), '61.2%');
  assert.equal(metricValue('loss', 0.69314), '0.693');
  assert.equal(configKeyInWords('batchSize'), 'batch size');
  assert.equal(configKeyInWords('learningRate'), 'learning rate');
  assert.equal(configKeyInWords('runFolder'), 'run folder');
  assert.equal(configKeyInWords('max_length'), 'max length');
  assert.equal(configKeyInWords('loraR'), 'LoRA rank');
});
