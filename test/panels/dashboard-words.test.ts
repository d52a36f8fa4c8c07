// The dashboard names metrics and configuration keys in words and shows shares as percentages (its per-language
// table showed "macro_f1 0.800" beside a run line saying "eval accuracy 100.0%", and raw keys such as batchSize).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configKeyInWords, configValueInWords, evalChartTitle, metricInWords, metricValue } from '../../src/panels/messages.js';

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

test('config values in words, each with the value as written for the tooltip (a user saw "sequence-classification", "lora", "auto", an ISO time and the install path)', () => {
  assert.deepEqual(configValueInWords('task', 'sequence-classification'), { text: 'text classification', title: 'sequence-classification' });
  assert.deepEqual(configValueInWords('method', 'lora'), { text: 'LoRA', title: 'lora' });
  assert.equal(configValueInWords('task', 'masked-lm').text, 'masked-language-model adaptation', "run.json's own spelling of the task");
  assert.deepEqual(configValueInWords('method', 'full'), { text: 'full fine-tuning', title: 'full' });
  assert.equal(configValueInWords('device', 'auto').text, 'automatic (a GPU when one works, else the CPU)');
  assert.equal(configValueInWords('device', 'cpu').text, 'cpu');
  assert.deepEqual(configValueInWords('model', '/home/u/.vscode/extensions/xlm-lab.xlm-lab-0.1.0/models/default'), { text: 'the default model', title: '/home/u/.vscode/extensions/xlm-lab.xlm-lab-0.1.0/models/default' });
  assert.equal(configValueInWords('data', '/ws/langid/train.jsonl').text, 'langid/train.jsonl', 'a file with its folder: pairs/train.jsonl is a train.jsonl too');
  assert.equal(configValueInWords('runFolder', 'C:\\work\\runs').text, 'runs');
  const started = configValueInWords('started', '2026-12-07T11:39:00.399Z');
  assert.match(started.text, /^2026-12-0[67] \d\d:\d\d$/);
  assert.equal(started.title, '2026-12-07T11:39:00.399Z');
  assert.deepEqual(configValueInWords('learningRate', 0.005), { text: '0.005' });
  assert.deepEqual(configValueInWords('loraTargets', ['query', 'value']), { text: '["query","value"]' });
});
