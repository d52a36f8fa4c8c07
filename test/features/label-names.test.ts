// A classifier whose labels are language codes shows them as languages ("German (deu)") in the hover and Classify
// selection, and the label audit's diagnostics and quick fixes name them so; other labels, and two-label sets whose
// codes may be words, stay as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditFlagInWords, labelNamer } from '../../src/features/labelNames.js';

test('labels that are all language codes are named, with the code beside the name', () => {
  const named = labelNamer(['deu', 'rus', 'ukr', 'swh', 'fr']);
  assert.equal(named('deu'), 'German (deu)');
  assert.equal(named('ukr'), 'Ukrainian (ukr)');
  assert.equal(named('fr'), 'French (fr)');
});

test('one label that is not a code leaves every label as it is; so do two labels, and words', () => {
  const mixed = labelNamer(['deu', 'rus', 'other']);
  assert.deepEqual(['deu', 'rus', 'other'].map(mixed), ['deu', 'rus', 'other']);
  const two = labelNamer(['no', 'ja']);
  assert.deepEqual(['no', 'ja'].map(two), ['no', 'ja'], 'two labels: more likely words than Norwegian and Japanese');
  const sentiment = labelNamer(['positive', 'negative', 'neutral']);
  assert.equal(sentiment('positive'), 'positive');
  const upper = labelNamer(['DEU', 'RUS', 'FRA']);
  assert.equal(upper('DEU'), 'DEU', 'upper-case codes are not taken for languages');
});

test("an audit flag on language-code labels reads 'Ukrainian (ukr)' in its message and its quick fix; other flags are unchanged", () => {
  const flag = { kind: 'label' as const, line: 3, column: 10, endColumn: 15, given: 'ukr', suggested: 'rus', suggestedProbability: 0.57, fix: { text: '"rus"' }, score: 0.4, message: "the label 'ukr' is likely wrong: out of sample the model gives it 12% and 'rus' 57%" };
  const named = auditFlagInWords(flag, labelNamer(['deu', 'rus', 'ukr']));
  assert.equal(named.message, "the label 'Ukrainian (ukr)' is likely wrong: out of sample the model gives it 12% and 'Russian (rus)' 57%");
  assert.equal(named.suggestedWords, 'Russian (rus)');
  assert.deepEqual(named.fix, { text: '"rus"' }, 'the fix still writes the code');
  const words = auditFlagInWords({ ...flag, given: 'negative', suggested: 'positive', message: "the label 'negative' is likely wrong" }, labelNamer(['negative', 'positive', 'neutral']));
  assert.equal(words.message, "the label 'negative' is likely wrong");
  assert.equal(words.suggestedWords, undefined);
});
