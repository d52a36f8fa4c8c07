import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadRepo } from '../../src/engine/hub/download.js';
import type { DownloadProgress } from '../../src/engine/hub/progress.js';
import { etagOf, FakeHub, lfsFile, regularFile, seededBytes, tinyModelRepo } from '../helpers/fake-hub.js';
import { FAST_RETRY, tempHubHome, type HubHome } from '../helpers/hub-home.js';

const tiny = tinyModelRepo('org/tiny');
const onnxCommit = 'c'.repeat(40);
const onnxRepo = {
  id: 'Xenova/tiny-mt',
  commits: {
    [onnxCommit]: {
      'config.json': regularFile('{"model_type":"marian"}'),
      'onnx/encoder_model.onnx': lfsFile(seededBytes(40_000, 21)),
      'onnx/encoder_model_quantized.onnx': lfsFile(seededBytes(10_000, 22)),
      'onnx/decoder_model_merged.onnx': lfsFile(seededBytes(50_000, 23)),
      'onnx/decoder_model.onnx': lfsFile(seededBytes(45_000, 24)),
      'onnx/decoder_with_past_model.onnx': lfsFile(seededBytes(44_000, 25)),
    },
  },
  branches: { main: onnxCommit },
};

describe('downloading a repo writes the huggingface_hub cache layout', () => {
  let hub: FakeHub;
  let home: HubHome;
  before(async () => {
    hub = await FakeHub.start({ repos: [tiny.repo, onnxRepo] });
    home = tempHubHome();
  });
  after(async () => {
    await hub.close();
    home.cleanup();
  });

  it('names blobs by etag, links snapshots relatively and records refs/main', async () => {
    const events: DownloadProgress[] = [];
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY, onProgress: (p) => events.push(p) });
    const repoFolder = join(home.cacheDir, 'models--org--tiny');
    assert.equal(result.commit, tiny.second);
    assert.equal(result.folder, join(repoFolder, 'snapshots', tiny.second));
    assert.equal(readFileSync(join(repoFolder, 'refs', 'main'), 'utf8'), tiny.second);

    const expected = ['README.md', 'config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'tokenizer.json'];
    assert.deepEqual(readdirSync(result.folder).sort(), expected);
    for (const name of expected) {
      const link = join(result.folder, name);
      const etag = etagOf(tiny.files[name]);
      assert.ok(lstatSync(link).isSymbolicLink(), `${name} is a symlink`);
      assert.equal(readlinkSync(link), join('..', '..', 'blobs', etag));
      assert.deepEqual(readFileSync(link), tiny.files[name].content);
    }
    // LFS blobs are named by their sha256, regular files by their git sha1 (40 hex).
    assert.match(etagOf(tiny.files['model.safetensors']), /^[0-9a-f]{64}$/);
    assert.match(etagOf(tiny.files['config.json']), /^[0-9a-f]{40}$/);
    assert.deepEqual(readdirSync(join(repoFolder, 'blobs')).sort(), expected.map((n) => etagOf(tiny.files[n])).sort());

    assert.deepEqual(result.skipped.sort(), ['.gitattributes', 'pytorch_model.bin', 'tf_model.h5']);
    const last = events[events.length - 1];
    const total = expected.reduce((sum, n) => sum + tiny.files[n].content.length, 0);
    assert.equal(last.overallTotal, total);
    assert.equal(last.overallBytes, total);
    assert.equal(last.filesDone, expected.length);
    assert.equal(result.bytesDownloaded, total);
    assert.ok(events.some((e) => e.file === 'model.safetensors' && e.bytes > 0 && e.bytes < e.total!), 'per-file progress before the end');
  });

  it('fetches nothing again when the snapshot is complete', async () => {
    const before = hub.requests.length;
    const result = await downloadRepo('org/tiny', { settings: home.settings(hub.url), retry: FAST_RETRY });
    const fresh = hub.requests.slice(before);
    assert.deepEqual(fresh.map((r) => r.path), ['/api/models/org/tiny/revision/main']);
    assert.equal(result.bytesDownloaded, 0);
  });

  it('resolves a branch, a tag and a commit to their snapshots', async () => {
    const settings = home.settings(hub.url);
    const dev = await downloadRepo('org/tiny', { settings, revision: 'dev', retry: FAST_RETRY });
    assert.equal(dev.commit, tiny.first);
    assert.equal(JSON.parse(readFileSync(join(dev.folder, 'config.json'), 'utf8')).revision, 1);
    assert.equal(readFileSync(join(home.cacheDir, 'models--org--tiny', 'refs', 'dev'), 'utf8'), tiny.first);

    const tag = await downloadRepo('org/tiny', { settings, revision: 'v1.0', retry: FAST_RETRY });
    assert.equal(tag.commit, tiny.second);
    assert.equal(readFileSync(join(home.cacheDir, 'models--org--tiny', 'refs', 'v1.0'), 'utf8'), tiny.second);

    const byCommit = await downloadRepo('org/tiny', { settings, revision: tiny.first, retry: FAST_RETRY });
    assert.equal(byCommit.folder, dev.folder);
    assert.ok(!existsSync(join(home.cacheDir, 'models--org--tiny', 'refs', tiny.first)), 'a commit hash writes no ref');
    // The two commits share the weights: one blob on disk.
    const weightsBlob = etagOf(tiny.files['model.safetensors']);
    assert.equal(readlinkSync(join(dev.folder, 'model.safetensors')), join('..', '..', 'blobs', weightsBlob));
  });

  it('takes fp32 ONNX graphs with the merged decoder from a repo without safetensors, linked from nested folders', async () => {
    const result = await downloadRepo('Xenova/tiny-mt', { settings: home.settings(hub.url), retry: FAST_RETRY });
    assert.deepEqual(result.files.map((f) => f.path).sort(), ['config.json', 'onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx']);
    const link = join(result.folder, 'onnx', 'encoder_model.onnx');
    assert.equal(readlinkSync(link), join('..', '..', '..', 'blobs', etagOf(onnxRepo.commits[onnxCommit]['onnx/encoder_model.onnx'])));
    assert.deepEqual(readFileSync(link), onnxRepo.commits[onnxCommit]['onnx/encoder_model.onnx'].content);
  });

  it('takes exactly the files named by include patterns, minus exclude', async () => {
    const result = await downloadRepo('Xenova/tiny-mt', {
      settings: home.settings(hub.url),
      include: ['onnx/*_quantized.onnx', '*.json'],
      exclude: ['config.json'],
      retry: FAST_RETRY,
    });
    assert.deepEqual(result.files.map((f) => f.path), ['onnx/encoder_model_quantized.onnx']);
  });
});
