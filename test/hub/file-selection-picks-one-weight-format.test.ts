import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globToRegExp, selectFiles } from '../../src/engine/hub/file-selection.js';

const XLMR = ['.gitattributes', 'README.md', 'config.json', 'model.safetensors', 'pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'rust_model.ot',
  'sentencepiece.bpe.model', 'tokenizer.json', 'onnx/model.onnx', 'onnx/config.json'];
const MARIAN_PT = ['config.json', 'generation_config.json', 'pytorch_model.bin', 'tf_model.h5', 'rust_model.ot', 'source.spm', 'target.spm', 'vocab.json', 'tokenizer_config.json'];
const XENOVA = ['config.json', 'tokenizer.json', 'onnx/encoder_model.onnx', 'onnx/encoder_model_quantized.onnx', 'onnx/encoder_model_fp16.onnx',
  'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged_q4.onnx'];
const UNMERGED = ['config.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx', 'onnx/decoder_model.onnx_data'];
const SHARDED = ['config.json', 'pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin', 'pytorch_model.bin.index.json', 'tf_model.h5'];

describe('the default file choice takes one weight format and the tokenizer', () => {
  const cases: [string, string[], { include?: string[]; exclude?: string[] }, string[]][] = [
    ['safetensors win over every other format, ONNX duplicates included', XLMR, {},
      ['README.md', 'config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'tokenizer.json', 'onnx/config.json']],
    ['PyTorch weights when nothing else is there, with Marian sentencepiece files', MARIAN_PT, {},
      ['config.json', 'generation_config.json', 'pytorch_model.bin', 'source.spm', 'target.spm', 'vocab.json', 'tokenizer_config.json']],
    ['fp32 ONNX with the merged decoder from a transformers.js export', XENOVA, {},
      ['config.json', 'tokenizer.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx']],
    ['the decoder pair and its external data when no merged decoder exists', UNMERGED, {}, UNMERGED],
    ['sharded PyTorch weights with their index', SHARDED, {},
      ['config.json', 'pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin', 'pytorch_model.bin.index.json']],
    ['include patterns replace the default choice', XENOVA, { include: ['onnx/*_quantized.onnx', 'config.json'] }, ['config.json', 'onnx/encoder_model_quantized.onnx']],
    ['exclude applies after the default choice', XLMR, { exclude: ['onnx/*', 'README.md'] },
      ['config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'tokenizer.json']],
  ];
  for (const [name, paths, selection, expected] of cases) {
    it(name, () => assert.deepEqual(selectFiles(paths, selection), expected));
  }

  it('matches like fnmatch: * crosses folders, ? is one character, [!x] negates', () => {
    const table: [string, string, boolean][] = [
      ['*.json', 'onnx/config.json', true],
      ['onnx/*.onnx', 'onnx/a/b.onnx', true],
      ['model.safetensors', 'model-safetensors', false],
      ['model?.bin', 'model1.bin', true],
      ['model[!0-9].bin', 'model1.bin', false],
      ['model[!0-9].bin', 'modelx.bin', true],
      ['a+b(c).json', 'a+b(c).json', true],
    ];
    for (const [pattern, path, expected] of table) assert.equal(globToRegExp(pattern).test(path), expected, `${pattern} vs ${path}`);
  });
});
