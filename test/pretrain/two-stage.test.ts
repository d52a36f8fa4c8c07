// A recipe with a second stage (recipes/default.json's "ranking" stage): the second stage starts from the first
// stage's weights at fromStep rounded to float16, so a first stage shipped at that step (xlm pretrain --start-from)
// trains exactly as one run of both stages; the shipped folder's manifest and card describe both stages.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isXlmError } from '../../src/engine/errors.js';
import { pretrain } from '../../src/engine/pretrain/pretrain.js';
import { loadRecipe, parseRecipe, type PretrainRecipe } from '../../src/engine/pretrain/recipe.js';
import { exportShippedModel } from '../../src/engine/pretrain/shipped-model.js';

const scratch = mkdtempSync(join(tmpdir(), 'xlm-two-stage-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const tiny = loadRecipe(resolve(__dirname, '../../recipes/tiny.json'));
const recipe: PretrainRecipe = parseRecipe(
  {
    ...tiny,
    steps: 8,
    evaluation: { steps: [2, 4], keepCheckpoints: true },
    secondStage: { name: 'ranking', fromStep: 4, objectives: [{ name: 'mlm', weight: 0.5 }, { name: 'rank', weight: 0.5 }], steps: 3, batchSize: 8, maxLength: 32, learningRate: 0.002, warmupSteps: 1, seed: 5, rankWeight: 1, evaluation: { steps: [], keepCheckpoints: true } },
  },
  'two-stage.json',
);

test('a second stage parses with its own mixture and schedule, and is refused where it cannot work', () => {
  assert.equal(recipe.secondStage?.fromStep, 4);
  assert.equal(recipe.secondStage?.rankWeight, 1);
  const bad = (stage: Record<string, unknown>, what: RegExp) =>
    assert.throws(() => parseRecipe({ ...tiny, secondStage: { ...recipe.secondStage, ...stage } }, 'bad.json'), (e: unknown) => isXlmError(e) && e.place.file === 'bad.json' && what.test(e.message));
  bad({ fromStep: 31 }, /^"secondStage\.fromStep" is 31; expected a whole number from 1 to 30/);
  bad({ maxLength: 65 }, /^"secondStage\.maxLength" is 65; expected a whole number from 16 to 64/);
  bad({ objectives: [{ name: 'mlm', weight: 1 }, { name: 'nsp', weight: 1 }] }, /^"secondStage\.objectives" cannot hold "nsp"/);
  bad({ rankWeight: undefined }, /^"secondStage\.rankWeight" is missing/);
  bad({ extra: 1 }, /^"secondStage\.extra" is not a recipe key/);
});

test('starting the second stage from the first stage shipped at fromStep trains exactly as one run of both stages', { timeout: 300_000 }, async () => {
  const whole = await pretrain(recipe, join(scratch, 'whole'), { threads: 1 });
  assert.equal(whole.losses.length, 7, 'four first-stage steps and three second-stage steps');
  const info = JSON.parse(readFileSync(join(scratch, 'whole', 'xlm-lab-pretrain.json'), 'utf8')) as { validation: { step: number; checkpoint: string }[]; secondStage: { firstLosses: number[]; fromStep: number } };
  assert.deepEqual(info.validation.map((v) => v.step), [2, 4]);
  assert.equal(info.secondStage.fromStep, 4);
  assert.deepEqual(info.secondStage.firstLosses, whole.losses.slice(4));

  // The first stage as a shipped model at step 4 (float16 weights), then the second stage from it.
  const first = join(scratch, 'first');
  exportShippedModel({ run: join(scratch, 'whole'), checkpoint: info.validation[1]!.checkpoint, dest: first });
  const resumed = await pretrain(recipe, join(scratch, 'resumed'), { threads: 1, startFrom: first });
  assert.deepEqual(resumed.losses.slice(-3), whole.losses.slice(-3), 'the second stage\'s losses, bit for bit');
  assert.deepEqual(readFileSync(join(scratch, 'resumed', 'model.safetensors')), readFileSync(join(scratch, 'whole', 'model.safetensors')), 'the same final weights');

  // A folder of another step, or a recipe with one stage, is refused, naming what is wrong.
  const early = join(scratch, 'early');
  exportShippedModel({ run: join(scratch, 'whole'), checkpoint: info.validation[0]!.checkpoint, dest: early });
  await assert.rejects(pretrain(recipe, join(scratch, 'never'), { startFrom: early }), (e: unknown) => isXlmError(e) && e.code === 'pretrain-start' && e.place.what === 'step' && /holds step 2; the second stage starts from step 4/.test(e.message));
  await assert.rejects(pretrain(tiny, join(scratch, 'never'), { startFrom: first }), (e: unknown) => isXlmError(e) && /has one stage/.test(e.message));

  // Shipped whole: the manifest counts both stages and keeps the second stage's exact first losses; the card says so.
  const shipped = exportShippedModel({ run: join(scratch, 'whole'), dest: join(scratch, 'shipped') });
  assert.deepEqual([shipped.step, shipped.steps, shipped.losses.length], [7, 7, 7]);
  assert.deepEqual(shipped.secondStage?.lossTrajectory, whole.losses.slice(4));
  assert.deepEqual(shipped.lossTrajectory, whole.losses.slice(0, 4));
  // The card's curve counts a second-stage mark's hours from the start of the run: both stages' marks, in order.
  assert.deepEqual(shipped.validation.map((v) => v.step), [2, 4, 7]);
  const [, atFour, atEnd] = shipped.validation;
  assert.ok(atEnd!.trainSeconds >= atFour!.trainSeconds, `hours run on across the stages: ${atFour!.trainSeconds} then ${atEnd!.trainSeconds}`);
  const card = readFileSync(join(scratch, 'shipped', 'README.md'), 'utf8');
  assert.match(card, /Second stage \("ranking"\), from the first stage's weights at step 4 rounded to float16, with a fresh optimizer: mlm 0\.5, rank 0\.5; 8 rows of up to 32 tokens, ranking-loss weight 1/);
  assert.match(card, /Shipped weights: step 7 of 7/);
});

test('a third stage follows the second from its last weights; started from the first two stages shipped at its fromStep, it trains exactly as one run of all three', { timeout: 300_000 }, async () => {
  const third = { name: 'ranking-2', fromStep: 7, objectives: [{ name: 'mlm', weight: 0.5 }, { name: 'rank', weight: 0.5 }], steps: 3, batchSize: 8, maxLength: 32, learningRate: 0.001, warmupSteps: 1, seed: 6, rankWeight: 1, rankWindow: 4, evaluation: { steps: [2], keepCheckpoints: true } };
  const three = parseRecipe({ ...tiny, steps: 8, evaluation: { steps: [2, 4], keepCheckpoints: true }, secondStage: { ...recipe.secondStage, evaluation: { steps: [3], keepCheckpoints: true } }, thirdStage: third }, 'three.json');
  assert.equal(three.thirdStage?.fromStep, 7);
  assert.throws(() => parseRecipe({ ...tiny, steps: 8, secondStage: recipe.secondStage, thirdStage: { ...third, fromStep: 8 } }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"thirdStage\.fromStep" is 8; expected a whole number from 5 to 7/.test(e.message));
  assert.throws(() => parseRecipe({ ...tiny, steps: 8, thirdStage: third }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"thirdStage" needs a secondStage/.test(e.message));

  const whole = await pretrain(three, join(scratch, 'three-whole'), { threads: 1 });
  assert.equal(whole.losses.length, 10, 'four, three and three steps');
  const info = JSON.parse(readFileSync(join(scratch, 'three-whole', 'xlm-lab-pretrain.json'), 'utf8')) as { secondStage: { validation: { step: number; checkpoint: string }[] }; thirdStage: { fromStep: number; firstLosses: number[]; startedFrom: string } };
  assert.equal(info.thirdStage.fromStep, 7);
  assert.equal(info.thirdStage.startedFrom, 'the second stage of this run');
  assert.deepEqual(info.thirdStage.firstLosses, whole.losses.slice(7));

  // The first two stages shipped at step 7 (the second stage's last mark), then the third stage from that folder.
  const firstTwo = join(scratch, 'first-two');
  const end = info.secondStage.validation.find((v) => v.step === 7)!;
  exportShippedModel({ run: join(scratch, 'three-whole'), checkpoint: end.checkpoint, dest: firstTwo });
  const resumed = await pretrain(three, join(scratch, 'three-resumed'), { threads: 1, startFrom: firstTwo });
  assert.deepEqual(resumed.losses.slice(-3), whole.losses.slice(-3), "the third stage's losses, bit for bit");
  assert.deepEqual(readFileSync(join(scratch, 'three-resumed', 'model.safetensors')), readFileSync(join(scratch, 'three-whole', 'model.safetensors')), 'the same final weights');
  const shipped = exportShippedModel({ run: join(scratch, 'three-resumed'), dest: join(scratch, 'three-shipped') });
  assert.deepEqual([shipped.step, shipped.steps, shipped.losses.length], [10, 10, 10]);
  assert.deepEqual(shipped.thirdStage?.lossTrajectory, whole.losses.slice(7));
  assert.deepEqual(shipped.secondStage?.lossTrajectory, whole.losses.slice(4, 7), "the second stage's record comes along from the start folder");
  assert.deepEqual(shipped.validation.map((v) => v.step), [2, 4, 7, 9, 10], "every stage's marks, in order");
  assert.ok(shipped.validation[4]!.trainSeconds >= shipped.validation[2]!.trainSeconds, 'hours run on across the stages');
  const card = readFileSync(join(scratch, 'three-shipped', 'README.md'), 'utf8');
  assert.match(card, /Third stage \("ranking-2"\), from the second stage's last weights at step 7 rounded to float16, with a fresh optimizer: mlm 0\.5, rank 0\.5; 8 rows of up to 32 tokens, ranking-loss weight 1, each ranking batch's translations drawn from 4 consecutive units/);

  // A folder of the second stage's end made by another second stage is refused.
  const other = parseRecipe({ ...tiny, steps: 8, evaluation: { steps: [2, 4], keepCheckpoints: true }, secondStage: { ...recipe.secondStage, evaluation: { steps: [3], keepCheckpoints: true }, seed: 9 }, thirdStage: third }, 'other.json');
  await assert.rejects(pretrain(other, join(scratch, 'never'), { startFrom: firstTwo }), (e: unknown) => isXlmError(e) && e.code === 'pretrain-start' && /not of the second stage/.test(e.message));
});

test('a fourth stage follows the third; started from the first three stages shipped at its fromStep, or from the first two, it trains exactly as one run of all four', { timeout: 300_000 }, async () => {
  const third = { name: 'ranking-2', fromStep: 7, objectives: [{ name: 'mlm', weight: 0.5 }, { name: 'rank', weight: 0.5 }], steps: 3, batchSize: 8, maxLength: 32, learningRate: 0.001, warmupSteps: 1, seed: 6, rankWeight: 1, rankWindow: 4, evaluation: { steps: [3], keepCheckpoints: true } };
  const fourth = { ...third, name: 'ranking-3', fromStep: 10, steps: 2, seed: 7, evaluation: { steps: [1], keepCheckpoints: true } };
  const base = { ...tiny, steps: 8, evaluation: { steps: [2, 4], keepCheckpoints: true }, secondStage: { ...recipe.secondStage, evaluation: { steps: [3], keepCheckpoints: true } }, thirdStage: third };
  const four = parseRecipe({ ...base, fourthStage: fourth }, 'four.json');
  assert.equal(four.fourthStage?.fromStep, 10);
  assert.throws(() => parseRecipe({ ...base, fourthStage: { ...fourth, fromStep: 11 } }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"fourthStage\.fromStep" is 11; expected a whole number from 8 to 10/.test(e.message));
  const { thirdStage: _t, ...noThird } = base;
  assert.throws(() => parseRecipe({ ...noThird, fourthStage: fourth }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"fourthStage" needs a thirdStage/.test(e.message));

  const whole = await pretrain(four, join(scratch, 'four-whole'), { threads: 1 });
  assert.equal(whole.losses.length, 12, 'four, three, three and two steps');
  const info = JSON.parse(readFileSync(join(scratch, 'four-whole', 'xlm-lab-pretrain.json'), 'utf8')) as { validation: { step: number; checkpoint: string }[]; secondStage: { validation: { step: number; checkpoint: string }[] }; thirdStage: { validation: { step: number; checkpoint: string }[] }; fourthStage: { fromStep: number; firstLosses: number[]; startedFrom: string } };
  assert.equal(info.fourthStage.fromStep, 10);
  assert.equal(info.fourthStage.startedFrom, 'the third stage of this run');
  assert.deepEqual(info.fourthStage.firstLosses, whole.losses.slice(10));

  // From the first three stages shipped at step 10: the fourth alone; from the first two at step 7: the third and the fourth.
  const firstThree = join(scratch, 'first-three');
  exportShippedModel({ run: join(scratch, 'four-whole'), checkpoint: info.thirdStage.validation.find((v) => v.step === 10)!.checkpoint, dest: firstThree });
  const firstTwo = join(scratch, 'four-first-two');
  exportShippedModel({ run: join(scratch, 'four-whole'), checkpoint: info.secondStage.validation.find((v) => v.step === 7)!.checkpoint, dest: firstTwo });
  for (const [from, trained] of [[firstThree, 2], [firstTwo, 5]] as const) {
    const out = join(scratch, `four-from-${trained}`);
    const resumed = await pretrain(four, out, { threads: 1, startFrom: from });
    assert.deepEqual(resumed.losses.slice(-trained), whole.losses.slice(-trained), `the last ${trained} losses, bit for bit`);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(scratch, 'four-whole', 'model.safetensors')), 'the same final weights');
  }
  const shipped = exportShippedModel({ run: join(scratch, 'four-from-2'), dest: join(scratch, 'four-shipped') });
  assert.deepEqual([shipped.step, shipped.steps, shipped.losses.length], [12, 12, 12]);
  assert.deepEqual(shipped.fourthStage?.lossTrajectory, whole.losses.slice(10));
  assert.equal(shipped.fourthStage?.startedFrom, resolve(firstThree));
  assert.deepEqual(shipped.thirdStage?.lossTrajectory, whole.losses.slice(7, 10), "the earlier stages' records come along from the start folder");
  assert.deepEqual([shipped.secondStage?.startedFrom, shipped.thirdStage?.startedFrom], ['the first stage of this run', 'the second stage of this run'], 'with where each started');
  assert.equal(shipped.thirdStage?.lossKernel, shipped.fourthStage?.lossKernel, 'and the loss kernel each recorded');
  assert.deepEqual(shipped.validation.map((v) => v.step), [2, 4, 7, 10, 11, 12], "every stage's marks, in order");
  const card = readFileSync(join(scratch, 'four-shipped', 'README.md'), 'utf8');
  assert.match(card, /Fourth stage \("ranking-3"\), from the third stage's last weights at step 10 rounded to float16/);
  assert.match(card, /started from the shipped model of the first three stages/);
  assert.match(card, /So are the fourth stage's \(`fourthStage\.lossTrajectory`\), from the model of the first three stages shipped at step 10/);

  // The first three stages' folder under a recipe whose third stage differs is refused, naming what must be equal.
  const otherThird = parseRecipe({ ...base, thirdStage: { ...third, seed: 9 }, fourthStage: fourth }, 'other.json');
  await assert.rejects(pretrain(otherThird, join(scratch, 'never'), { startFrom: firstThree }), (e: unknown) => isXlmError(e) && e.place.what === 'recipe' && /holds step 10, the end of a third stage, but not of the third stage of ".*" \(secondStage and thirdStage must be equal\)/.test(e.message));
  // A start folder at a step where no stage starts: the error names where each stage starts.
  const early = join(scratch, 'four-early');
  exportShippedModel({ run: join(scratch, 'four-whole'), checkpoint: info.validation.find((v) => v.step === 2)!.checkpoint, dest: early });
  await assert.rejects(pretrain(four, join(scratch, 'never'), { startFrom: early }), (e: unknown) => isXlmError(e) && e.place.what === 'step' && /holds step 2; the second stage starts from step 4 \(secondStage\.fromStep\), or the third from step 7 \(thirdStage\.fromStep\), or the fourth from step 10 \(fourthStage\.fromStep\)$/.test(e.message));
});

test('a fifth stage follows the fourth and a sixth starts within the fifth (which stops there, its schedule unchanged); started from the first five stages shipped at its fromStep, it trains exactly as one run of all six', { timeout: 300_000 }, async () => {
  const third = { name: 'ranking-2', fromStep: 7, objectives: [{ name: 'mlm', weight: 0.5 }, { name: 'rank', weight: 0.5 }], steps: 3, batchSize: 8, maxLength: 32, learningRate: 0.001, warmupSteps: 1, seed: 6, rankWeight: 1, rankWindow: 4, evaluation: { steps: [3], keepCheckpoints: true } };
  const fourth = { ...third, name: 'ranking-3', fromStep: 10, steps: 2, seed: 7, evaluation: { steps: [2], keepCheckpoints: true } };
  // The fifth stage's schedule runs over 3 steps; the sixth starts after 2 of them, as the shipped model's sixth stage
  // started from a mark within the fifth.
  const fifth = { ...third, name: 'ranking-4', fromStep: 12, steps: 3, warmupSteps: 0, seed: 8, evaluation: { steps: [1], keepCheckpoints: true } };
  const sixth = { ...third, name: 'ranking-5', fromStep: 14, steps: 2, seed: 9, evaluation: { steps: [1], keepCheckpoints: true } };
  const base = { ...tiny, steps: 8, evaluation: { steps: [2, 4], keepCheckpoints: true }, secondStage: { ...recipe.secondStage, evaluation: { steps: [3], keepCheckpoints: true } }, thirdStage: third, fourthStage: fourth };
  const six = parseRecipe({ ...base, fifthStage: fifth, sixthStage: sixth }, 'six.json');
  assert.throws(() => parseRecipe({ ...base, fifthStage: { ...fifth, fromStep: 13 } }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"fifthStage\.fromStep" is 13; expected a whole number from 11 to 12/.test(e.message));
  assert.throws(() => parseRecipe({ ...base, fifthStage: fifth, sixthStage: { ...sixth, fromStep: 16 } }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"sixthStage\.fromStep" is 16; expected a whole number from 13 to 15/.test(e.message));
  assert.throws(() => parseRecipe({ ...base, fifthStage: fifth, sixthStage: { ...sixth, fromStep: 12 } }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"sixthStage\.fromStep" is 12; expected a whole number from 13 to 15/.test(e.message));
  const { fourthStage: _f, ...noFourth } = base;
  assert.throws(() => parseRecipe({ ...noFourth, fifthStage: fifth }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"fifthStage" needs a fourthStage/.test(e.message));
  assert.throws(() => parseRecipe({ ...base, sixthStage: sixth }, 'bad.json'), (e: unknown) => isXlmError(e) && /^"sixthStage" needs a fifthStage/.test(e.message));

  const whole = await pretrain(six, join(scratch, 'six-whole'), { threads: 1 });
  assert.equal(whole.losses.length, 16, 'four, three, three, two, two (of three) and two steps');
  // Stopping the fifth where the sixth starts keeps its schedule over its 3 steps (its second step at 2/3 of the peak
  // learning rate, not 1/2): a fifth of 2 steps ends elsewhere.
  const shortFifth = await pretrain(parseRecipe({ ...base, fifthStage: { ...fifth, steps: 2 }, sixthStage: sixth }, 'short.json'), join(scratch, 'six-short-fifth'), { threads: 1 });
  assert.deepEqual(shortFifth.losses.slice(0, 14), whole.losses.slice(0, 14), 'the same losses until the fifth stage\'s second step (its update differs)');
  assert.notDeepEqual(readFileSync(join(scratch, 'six-short-fifth', 'model.safetensors')), readFileSync(join(scratch, 'six-whole', 'model.safetensors')));
  const info = JSON.parse(readFileSync(join(scratch, 'six-whole', 'xlm-lab-pretrain.json'), 'utf8')) as { fourthStage: { validation: { step: number; checkpoint: string }[] }; fifthStage: { fromStep: number; firstLosses: number[]; startedFrom: string; validation: { step: number; checkpoint: string }[] }; sixthStage: { firstLosses: number[]; startedFrom: string } };
  assert.equal(info.fifthStage.startedFrom, 'the fourth stage of this run');
  assert.deepEqual(info.fifthStage.firstLosses, whole.losses.slice(12, 14));
  assert.equal(info.sixthStage.startedFrom, 'the fifth stage of this run');
  assert.deepEqual(info.sixthStage.firstLosses, whole.losses.slice(14));

  // From the first four stages' folder (the fifth and sixth train), and from the first five's (the sixth trains).
  const firstFour = join(scratch, 'first-four');
  exportShippedModel({ run: join(scratch, 'six-whole'), checkpoint: info.fourthStage.validation.find((v) => v.step === 12)!.checkpoint, dest: firstFour });
  const firstFive = join(scratch, 'first-five');
  exportShippedModel({ run: join(scratch, 'six-whole'), checkpoint: info.fifthStage.validation.find((v) => v.step === 14)!.checkpoint, dest: firstFive });
  for (const [from, trained] of [[firstFour, 4], [firstFive, 2]] as const) {
    const out = join(scratch, `six-from-${trained}`);
    const resumed = await pretrain(six, out, { threads: 1, startFrom: from });
    assert.deepEqual(resumed.losses.slice(-trained), whole.losses.slice(-trained), `the last ${trained} losses, bit for bit`);
    assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(scratch, 'six-whole', 'model.safetensors')), 'the same final weights');
  }
  const shipped = exportShippedModel({ run: join(scratch, 'six-from-2'), dest: join(scratch, 'six-shipped') });
  assert.deepEqual(shipped.sixthStage?.lossTrajectory, whole.losses.slice(14));
  assert.equal(shipped.sixthStage?.startedFrom, resolve(firstFive));
  assert.deepEqual(shipped.fifthStage?.lossTrajectory, whole.losses.slice(12, 14), "the fifth stage's record comes along from the start folder");

  // A mark within the fifth stage of a run that went on past it (the fifth stage's mark at step 13, exported from the
  // run whose fifth ran to 14), under a recipe whose sixth stage starts there: the fifth stage's record is cut at the
  // mark, and the run is that recipe's whole run bit for bit.
  const six13 = parseRecipe({ ...base, fifthStage: fifth, sixthStage: { ...sixth, fromStep: 13 } }, 'six13.json');
  const midFifth = join(scratch, 'mid-fifth');
  exportShippedModel({ run: join(scratch, 'six-whole'), checkpoint: info.fifthStage.validation.find((v) => v.step === 13)!.checkpoint, dest: midFifth });
  const fromMid = await pretrain(six13, join(scratch, 'six13-from-mark'), { threads: 1, startFrom: midFifth });
  const whole13 = await pretrain(six13, join(scratch, 'six13-whole'), { threads: 1 });
  assert.deepEqual(fromMid.losses.slice(-2), whole13.losses.slice(-2), "the sixth stage's losses, bit for bit");
  assert.deepEqual(fromMid.losses.slice(0, -2), whole13.losses.slice(0, -2).map((x) => Math.round(x * 1000) / 1000), "the earlier stages' as the folder recorded them, the fifth cut at step 13");
  assert.equal(whole13.losses.length, 15);
  assert.deepEqual(readFileSync(join(scratch, 'six13-from-mark', 'model.safetensors')), readFileSync(join(scratch, 'six13-whole', 'model.safetensors')));
  const midInfo = JSON.parse(readFileSync(join(scratch, 'six13-from-mark', 'xlm-lab-pretrain.json'), 'utf8')) as { fifthStage: { losses: number[]; validation: { step: number }[] } };
  assert.equal(midInfo.fifthStage.losses.length, 1, "the fifth stage's record ends at the mark");
  assert.deepEqual(midInfo.fifthStage.validation.map((v) => v.step), [13]);
  const card = readFileSync(join(scratch, 'six-shipped', 'README.md'), 'utf8');
  assert.match(card, /Fifth stage \("ranking-4"\), from the fourth stage's last weights at step 12 rounded to float16.*linear decay over 3, stopped at step 14, where the sixth stage starts\)/);
  assert.match(card, /Sixth stage \("ranking-5"\), from the fifth stage's last weights at step 14 rounded to float16/);
  assert.match(card, /So are the sixth stage's \(`sixthStage\.lossTrajectory`\), from the model of the first five stages shipped at step 14/);
});
