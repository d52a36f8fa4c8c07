// A classifier whose labels are language codes shows them as languages ("German (deu)") in the hover and Classify
// selection; other labels, and two-label sets whose codes may be words, stay as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelNamer } from '../../src/features/labelNames.js';

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
