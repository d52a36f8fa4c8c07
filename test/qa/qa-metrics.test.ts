import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerTokens, normalizeAnswer, rulesFor, scoreAnswer, scoreQa } from '../../src/engine/metrics/qa.js';

test('SQuAD v1.1 normalisation: lower case, ASCII punctuation, a/an/the, whitespace', () => {
  assert.equal(normalizeAnswer('The  Eiffel-Tower, an icon!'), 'eiffeltower icon');
  // Only ASCII punctuation goes under SQuAD's rules; a word containing "the" keeps it.
  assert.equal(normalizeAnswer('«Theatre» the end'), '«theatre» end');
});

test('MLQA normalisation per language: Unicode punctuation, articles, Chinese mixed segmentation', () => {
  assert.equal(normalizeAnswer('«Theatre» the end', 'en'), 'theatre end');
  assert.equal(normalizeAnswer('Der Bundestag und die Länder', 'de'), 'bundestag und länder');
  assert.equal(normalizeAnswer('Los Ángeles, la ciudad', 'es'), 'ángeles ciudad');
  assert.equal(normalizeAnswer('những con mèo của tôi', 'vi'), 'con mèo tôi');
  assert.equal(normalizeAnswer('المدينة', 'ar'), 'مدينة');
  assert.deepEqual(answerTokens('北京大学, Peking University。', 'zh'), ['北', '京', '大', '学', 'peking', 'university']);
  assert.equal(normalizeAnswer('the भारत', 'hi'), 'the भारत');
  assert.equal(rulesFor('fr'), 'squad');
  assert.equal(rulesFor(undefined), 'squad');
  assert.equal(rulesFor('zh'), 'mlqa');
});

test('languages outside MLQA: SQuAD rules, characters of unspaced scripts as tokens', () => {
  assert.deepEqual(answerTokens('กรุงเทพ มหานคร', 'th'), ['ก', 'ร', 'ุ', 'ง', 'เ', 'ท', 'พ', 'ม', 'ห', 'า', 'น', 'ค', 'ร']);
  assert.deepEqual(answerTokens('Le Louvre', 'fr'), ['le', 'louvre']);
});

test('exact match and F1 on hand-computed cases', () => {
  // pred: [eiffel, tower, paris]; gold: [eiffel, tower]: precision 2/3, recall 1, F1 = 0.8.
  assert.deepEqual(scoreAnswer('the Eiffel Tower, Paris', ['Eiffel Tower']), { exactMatch: 0, f1: 0.8 });
  // The best over several gold answers.
  assert.deepEqual(scoreAnswer('Paris', ['in Paris', 'Paris']), { exactMatch: 1, f1: 1 });
  // Chinese: 4 predicted characters, 2 gold, 2 shared: P 1/2, R 1, F1 2/3.
  const zh = scoreAnswer('北京大学', ['北京'], 'zh');
  assert.equal(zh.exactMatch, 0);
  assert.ok(Math.abs(zh.f1 - 2 / 3) < 1e-12);
  // Unanswerable: only the empty prediction scores.
  assert.deepEqual(scoreAnswer('', []), { exactMatch: 1, f1: 1 });
  assert.deepEqual(scoreAnswer('Paris', []), { exactMatch: 0, f1: 0 });
  assert.deepEqual(scoreAnswer('the', ['Paris']), { exactMatch: 0, f1: 0 });
});

test('pooled and per-language percentages; a question without a prediction scores 0', () => {
  const s = scoreQa([
    { id: '1', language: 'en', predicted: 'Paris', gold: ['Paris'] },
    { id: '2', language: 'en', predicted: 'the Eiffel Tower, Paris', gold: ['Eiffel Tower'] },
    { id: '3', language: 'de', predicted: undefined, gold: ['Berlin'] },
    { id: '4', language: 'de', predicted: 'die Stadt Berlin', gold: ['Berlin'] },
  ]);
  assert.equal(s.questions, 4);
  assert.equal(s.unanswered, 1);
  // Only row 1 matches exactly (row 4 normalises to "stadt berlin", "die" dropped as a German article).
  assert.equal(s.exact_match, 25);
  assert.ok(Math.abs(s.perLanguage.en.f1 - 90) < 1e-9);
  // de row 4: [stadt, berlin] vs [berlin]: P 1/2, R 1, F1 2/3; row 3 unanswered: 0.
  assert.ok(Math.abs(s.perLanguage.de.f1 - 100 / 3) < 1e-9);
  assert.ok(Math.abs(s.f1 - (100 + 80 + 0 + 200 / 3) / 4) < 1e-9);
});
