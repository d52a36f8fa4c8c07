// The fine-tune wizard's Customize… boxes say what was typed and what is expected (a user typed "abc" for epochs
// and read only "A positive number").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberProblem } from '../../src/client/numberInput.js';

test('a refused hyperparameter says what was typed and what is expected', () => {
  assert.equal(numberProblem('abc', 'Epochs', true, 10_000), '"abc" is not a number; epochs is a whole number from 1 to 10000');
  assert.equal(numberProblem('2.5', 'Epochs', true, 10_000), 'Epochs is a whole number from 1 to 10000, not 2.5');
  assert.equal(numberProblem('0', 'Batch size', true, 4096), 'Batch size is a whole number from 1 to 4096, not 0');
  assert.equal(numberProblem('-1e-3', 'Learning rate', false, Infinity), 'Learning rate is a number above 0, such as 0.001 or 5e-4, not -1e-3');
  assert.equal(numberProblem('', 'Learning rate', false, Infinity), '"" is not a number; learning rate is a number above 0, such as 0.001 or 5e-4');
  assert.equal(numberProblem(' 3 ', 'Epochs', true, 10_000), undefined);
  assert.equal(numberProblem('5e-4', 'Learning rate', false, Infinity), undefined);
  // The wizard's learning-rate box keeps train/start's limit (at most 1), so a refused value is refused here, not after.
  assert.equal(numberProblem('2', 'Learning rate', false, 1), 'Learning rate is a number above 0 and at most 1, such as 0.001 or 5e-4, not 2');
  assert.equal(numberProblem('1', 'Learning rate', false, 1), undefined);
});
