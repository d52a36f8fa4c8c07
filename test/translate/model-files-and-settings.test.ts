import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSeq2SeqFiles } from '../../src/engine/translate/files.js';
import { readGenerationSettings } from '../../src/engine/translate/settings.js';
import { guessLanguage, languageSupport, languageToken, sameLanguage } from '../../src/engine/translate/languages.js';
import { isXlmError } from '../../src/engine/errors.js';

let root: string;
let counter = 0;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'xlm-seq2seq-files-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function folder(files: string[]): string {
  const dir = join(root, `m${counter++}`);
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const FILE_CASES: { name: string; files: string[]; expect: { layout: string; decoder: string; encoder: string } | RegExp; layout?: 'merged' | 'split' }[] = [
  { name: 'merged in onnx/', files: ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'], expect: { layout: 'merged', encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' } },
  { name: 'split in onnx/', files: ['onnx/encoder_model.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx'], expect: { layout: 'split', encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model.onnx' } },
  { name: 'both: merged first', files: ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx'], expect: { layout: 'merged', encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' } },
  { name: 'both, split asked for', layout: 'split', files: ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx'], expect: { layout: 'split', encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model.onnx' } },
  { name: 'optimum-cli output at the root', files: ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx'], expect: { layout: 'split', encoder: 'encoder_model.onnx', decoder: 'decoder_model.onnx' } },
  { name: 'quantized only', files: ['onnx/encoder_model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx'], expect: { layout: 'merged', encoder: 'onnx/encoder_model_quantized.onnx', decoder: 'onnx/decoder_model_merged_quantized.onnx' } },
  { name: 'fp32 preferred to quantized', files: ['onnx/encoder_model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'], expect: { layout: 'merged', encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' } },
  { name: 'decoder without its with-past half', files: ['onnx/encoder_model.onnx', 'onnx/decoder_model.onnx'], expect: /Found: onnx\/decoder_model\.onnx, onnx\/encoder_model\.onnx/ },
  { name: 'PyTorch weights only', files: ['pytorch_model.bin'], expect: /Found: no \.onnx file.*optimum-cli export onnx/ },
];

for (const c of FILE_CASES) {
  test(`ONNX file choice: ${c.name}`, () => {
    const dir = folder(c.files);
    if (c.expect instanceof RegExp) {
      assert.throws(() => findSeq2SeqFiles(dir, { layout: c.layout }), (e) => isXlmError(e) && c.expect instanceof RegExp && c.expect.test(e.message) && e.place.file === dir);
      return;
    }
    const found = findSeq2SeqFiles(dir, { layout: c.layout });
    assert.equal(found.layout, c.expect.layout);
    assert.equal(found.encoder, join(dir, c.expect.encoder));
    assert.equal(found.decoder, join(dir, c.expect.decoder));
    assert.equal(found.decoderWithPast !== undefined, c.expect.layout === 'split');
  });
}

function writeConfig(config: object, generation?: object): string {
  const dir = folder([]);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (generation) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generation));
  return dir;
}

// The keys of Helsinki-NLP/opus-mt-en-de's config.json (sizes as published), and its generation_config.json.
const OPUS_MT_CONFIG = {
  _name_or_path: 'Helsinki-NLP/opus-mt-en-de', model_type: 'marian', vocab_size: 58101, d_model: 512, decoder_layers: 6, decoder_attention_heads: 8,
  max_position_embeddings: 512, pad_token_id: 58100, eos_token_id: 0, decoder_start_token_id: 58100, bad_words_ids: [[58100]], num_beams: 4, max_length: 512,
};

test('generation settings: generation_config.json is used alone when it exists (token ids fall back to config.json); Marian starts with pad and forbids it', () => {
  const marian = readGenerationSettings(writeConfig(OPUS_MT_CONFIG, { num_beams: 6, max_length: 256, forced_eos_token_id: 0, renormalize_logits: true, bad_words_ids: [[58100]] }));
  assert.deepEqual(
    { start: marian.decoderStartTokenId, eos: marian.eosTokenIds, pad: marian.padTokenId, bad: marian.badTokenIds, beams: marian.numBeams, max: marian.maxLength, forcedEos: marian.forcedEosTokenId, heads: marian.decoderHeads, headDim: marian.headDim, renorm: marian.renormalizeLogits },
    { start: 58100, eos: [0], pad: 58100, bad: [58100], beams: 6, max: 256, forcedEos: 0, heads: 8, headDim: 64, renorm: true },
  );
  assert.deepEqual(readGenerationSettings(writeConfig(OPUS_MT_CONFIG, { num_beams: 6 })).badTokenIds, [], "config.json's bad_words_ids is not read beside a generation_config.json");
  const m2m = readGenerationSettings(writeConfig({ model_type: 'm2m_100', vocab_size: 128112, d_model: 1024, decoder_layers: 12, decoder_attention_heads: 16, pad_token_id: 1, eos_token_id: 2, decoder_start_token_id: 2, early_stopping: true }));
  assert.equal(m2m.maxLength, 21, "transformers' default: 20 new tokens after the start token");
  assert.equal(m2m.numBeams, 1);
  assert.equal(m2m.earlyStopping, true);
  assert.equal(m2m.forcedBosTokenId, undefined);
});

test('generation settings: a missing token id, a multi-token bad word and heads that do not divide d_model are refused at their key', () => {
  const cases: [object, object | undefined, string, RegExp][] = [
    [{ ...OPUS_MT_CONFIG, pad_token_id: undefined }, undefined, 'pad_token_id', /"pad_token_id" is missing/],
    [OPUS_MT_CONFIG, { bad_words_ids: [[1, 2]] }, 'bad_words_ids', /only single forbidden tokens/],
    [{ ...OPUS_MT_CONFIG, decoder_attention_heads: 7 }, undefined, 'decoder_attention_heads', /not a multiple/],
    [{ ...OPUS_MT_CONFIG, eos_token_id: 'x' }, undefined, 'eos_token_id', /expected a token id/],
  ];
  for (const [config, generation, key, message] of cases) {
    assert.throws(() => readGenerationSettings(writeConfig(config, generation)), (e) => isXlmError(e) && e.place.what === key && message.test(e.message), key);
  }
});

test('language schemes are read from the tokens: M2M100, NLLB, mBART-50, Marian target tokens, an opus-mt pair by name', () => {
  const m2m = languageSupport({ tokens: ['<s>', '__en__', '__fr__', '__zh__'], names: [] });
  assert.equal(m2m.scheme, 'm2m100');
  assert.equal(languageToken(m2m, 'fr', 'target'), '__fr__');
  assert.equal(languageToken(m2m, '__zh__', 'target'), '__zh__');
  const nllb = languageSupport({ tokens: ['eng_Latn', 'fra_Latn', 'zho_Hans'], names: [] });
  assert.equal(nllb.scheme, 'nllb');
  assert.equal(languageToken(nllb, 'fr', 'target'), 'fra_Latn');
  assert.equal(languageToken(nllb, 'zh', 'source'), 'zho_Hans');
  assert.equal(languageToken(nllb, 'fra_Latn', 'target'), 'fra_Latn');
  const mbart = languageSupport({ tokens: ['en_XX', 'fr_XX', 'zh_CN'], names: [] });
  assert.equal(mbart.scheme, 'mbart50');
  assert.equal(languageToken(mbart, 'fr', 'target'), 'fr_XX');
  assert.equal(languageToken(mbart, 'zh', 'source'), 'zh_CN');
  const romance = languageSupport({ tokens: ['>>fr<<', '>>es<<', '>>pt_br<<'], names: ['Helsinki-NLP/opus-mt-en-ROMANCE'] });
  assert.equal(romance.scheme, 'marian-target-token');
  assert.equal(languageToken(romance, 'fr', 'target'), '>>fr<<');
  const pair = languageSupport({ tokens: ['</s>'], names: [undefined, 'Xenova/opus-mt-de-en'] });
  assert.deepEqual(pair.pair, { from: 'de', to: 'en' });
  assert.equal(languageSupport({ tokens: [], names: ['my-model'] }).scheme, 'none');

  assert.equal(guessLanguage('東京は日本の首都です。'), 'ja');
  assert.equal(guessLanguage('Москва — столица России.'), 'ru');
  assert.equal(guessLanguage('The capital of France'), undefined);
  assert.ok(sameLanguage('eng_Latn', 'en') && sameLanguage('__de__', 'DE') && !sameLanguage('fr', 'de'));
});
