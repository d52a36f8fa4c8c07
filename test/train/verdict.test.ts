import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeVerdict, judgeLearning, type VerdictInput } from '../../src/engine/train/verdict.js';
import { adviceInEditor } from '../../src/panels/messages.js';

const flat = (n: number, v: number) => Array.from({ length: n }, () => v);
const falling = (n: number, from: number, to: number) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
const balanced = (classes: number, each: number) => flat(classes, each);

const base: VerdictInput = { head: 'seq-cls', method: 'lora', lr: 2e-4, defaultLr: 5e-3, epochs: 3, losses: [] };

test('a classifier whose loss stays at ln C did not learn, and the advice names the default learning rate and full fine-tuning', () => {
  // The run: LoRA at 2e-4 on 26 languages, the loss flat at ln 26.
  const v = judgeLearning({ ...base, losses: flat(147, Math.log(26) - 0.01), trainLabelCounts: balanced(26, 30), evalMetrics: { accuracy: 0.03 }, evalLabelCounts: balanced(26, 5) });
  assert.equal(v.learned, false);
  assert.equal(v.reasons.length, 2, v.reasons.join(' | '));
  // The final loss is the mean of the last tenth of the steps, and says so (the dashboard labels it the same way).
  assert.match(v.reasons[0]!, /final training loss \(mean of the last 15 steps\) was 3\.248, no lower than guessing the 26 labels by their frequency \(3\.258\)/);
  assert.equal(v.finalLossSteps, 15);
  assert.match(v.reasons[1]!, /accuracy on the eval rows is 3\.0%, no better than always answering the most frequent label \(3\.8%\)/);
  assert.match(v.advice.join(' '), /default learning rate for this model and method, 0\.005 \(this run used 0\.0002\)/);
  assert.match(v.advice.join(' '), /full fine-tuning/);
  assert.match(describeVerdict(v), /^the run did not learn: .* Try: /);
  // The data check is each surface's own: the CLI names its commands, the editor its audit command and no CLI command.
  assert.equal(v.dataCheck, 'labels');
  assert.match(describeVerdict(v), /xlm data inspect lists conflicting duplicates, xlm data audit the rows whose label the model doubts\.$/);
  const editor = adviceInEditor(v).join('; ');
  assert.match(editor, /"XLM: Audit labels of this file" on the training file marks conflicting duplicates/);
  assert.doesNotMatch(editor, /xlm data/);
});

test('a run whose loss falls well below chance and whose accuracy beats the majority class learned', () => {
  const v = judgeLearning({ ...base, lr: 5e-3, losses: falling(100, 3.3, 0.2), trainLabelCounts: balanced(26, 30), evalMetrics: { accuracy: 0.96 }, evalLabelCounts: balanced(26, 5) });
  assert.deepEqual({ learned: v.learned, reasons: v.reasons, advice: v.advice, dataCheck: v.dataCheck }, { learned: true, reasons: [], advice: [], dataCheck: undefined });
  assert.deepEqual(adviceInEditor(v), []);
  assert.ok(v.finalLoss! < 0.5 && Math.abs(v.chanceLoss! - Math.log(26)) < 1e-12);
  assert.equal(describeVerdict(v), 'the run learned');
});

test('chance is the entropy of the label frequencies: on 90/10 labels a loss at 0.33 learned nothing', () => {
  const counts = [90, 10];
  const h = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));
  assert.equal(judgeLearning({ ...base, losses: flat(20, h), trainLabelCounts: counts }).learned, false);
  assert.equal(judgeLearning({ ...base, losses: flat(20, 0.5 * h), trainLabelCounts: counts }).learned, true);
});

test('eval accuracy at the majority share is a miss even when the training loss fell (memorised, not learned)', () => {
  const v = judgeLearning({ ...base, losses: falling(50, 0.7, 0.05), trainLabelCounts: [50, 50], evalMetrics: { accuracy: 0.7 }, evalLabelCounts: [70, 30] });
  assert.equal(v.learned, false);
  assert.match(v.reasons.join(), /70\.0%, no better than always answering the most frequent label \(70\.0%\)/);
  assert.equal(judgeLearning({ ...base, losses: falling(50, 0.7, 0.05), trainLabelCounts: [50, 50], evalMetrics: { accuracy: 0.8 }, evalLabelCounts: [70, 30] }).learned, true);
});

test('token classification: word accuracy at the share of O, or no entity found, did not learn', () => {
  const tags = [80, 10, 10];
  const atO = judgeLearning({ ...base, head: 'token-cls', losses: falling(30, 1, 0.1), trainLabelCounts: tags, evalMetrics: { accuracy: 0.8, f1: 0.1 }, evalLabelCounts: tags });
  assert.equal(atO.learned, false);
  assert.match(atO.reasons.join(), /word accuracy .* most frequent tag \(80\.0%\)/);
  const noEntity = judgeLearning({ ...base, head: 'token-cls', losses: falling(30, 1, 0.1), trainLabelCounts: tags, evalMetrics: { accuracy: 0.9, f1: 0 }, evalLabelCounts: tags });
  assert.deepEqual(noEntity.reasons, ['it found no entity of the eval rows (entity F1 0)']);
});

test('masked-LM: a loss that did not fall did not learn; too high a learning rate is advised down', () => {
  const v = judgeLearning({ ...base, head: 'mlm', method: 'full', lr: 1e-2, defaultLr: 5e-4, losses: falling(40, 5, 5.5) });
  assert.equal(v.learned, false);
  assert.match(v.advice[0]!, /lower the learning rate to the default .* 0\.0005/);
  assert.equal(v.dataCheck, undefined, 'masked-LM has no labels to check');
  assert.equal(judgeLearning({ ...base, head: 'mlm', losses: falling(40, 5, 3) }).learned, true);
});

test('question answering is judged by its eval F1 against the better trivial answer (first sentence or no answer), not by label frequencies', () => {
  const qa: VerdictInput = { head: 'qa', method: 'full', lr: 3e-3, defaultLr: 3e-3, epochs: 3, losses: falling(40, 5, 1) };
  const first = { f1: 0.094, name: 'the first sentence of the context' };
  const learned = judgeLearning({ ...qa, evalMetrics: { exact_match: 0.7, f1: 0.817 }, qaBaseline: first });
  assert.deepEqual({ learned: learned.learned, evalF1: learned.evalF1, baselineF1: learned.baselineF1 }, { learned: true, evalF1: 0.817, baselineF1: 0.094 });
  // A loss that fell does not save a run whose answers are no better than the first sentence.
  const flatF1 = judgeLearning({ ...qa, evalMetrics: { exact_match: 0, f1: 0.12 }, qaBaseline: first });
  assert.equal(flatF1.learned, false);
  assert.match(flatF1.reasons[0]!, /F1 on the eval questions is 12\.0, no better than always answering the first sentence of the context \(9\.4\)/);
  assert.equal(flatF1.dataCheck, 'answers');
  assert.match(describeVerdict(flatF1), /answer_start/);
  assert.match(adviceInEditor(flatF1).join(' '), /answer_start/);
  // Without eval questions, a loss that did not fall is the sign.
  const noEval = judgeLearning({ ...qa, losses: flat(20, 4.1) });
  assert.equal(noEval.learned, false);
  assert.match(noEval.reasons[0]!, /training loss did not fall/);
  assert.equal(judgeLearning(qa).learned, true);
});

test('a run of few steps at the default rate is told how few first, and not to raise the rate; one off the default rate is told that first', () => {
  const short = judgeLearning({ ...base, lr: 5e-3, losses: flat(1, Math.log(26)), trainLabelCounts: balanced(26, 30), steps: 1 });
  assert.equal(short.learned, false);
  assert.equal(short.advice[0], 'train longer: this run made 1 step, and a new head seldom leaves the label frequencies in under 150 (more epochs, or a higher step limit)');
  assert.ok(!short.advice.some((a) => a.startsWith('raise the learning rate')), short.advice.join(' | '));
  const slow = judgeLearning({ ...base, lr: 2e-5, losses: flat(15, Math.log(26)), trainLabelCounts: balanced(26, 30), steps: 15 });
  assert.match(slow.advice[0]!, /^train with the default learning rate/);
  assert.match(slow.advice[1]!, /^train longer: this run made 15 steps/);
  const long = judgeLearning({ ...base, lr: 5e-3, losses: flat(200, Math.log(26)), trainLabelCounts: balanced(26, 30), steps: 200 });
  assert.equal(long.advice.at(-1), 'train longer (6 epochs)');
  assert.match(long.advice[0]!, /^raise the learning rate/);
  const mlm = judgeLearning({ ...base, head: 'mlm', lr: 5e-3, losses: [3, 3, 3, 3, 3], steps: 5 });
  assert.ok(!mlm.advice.some((a) => a.includes('label frequencies')), 'a masked-LM run has no new head: ' + mlm.advice.join(' | '));
});
