import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hubDownload, hubDownloadCommand, hubList, hubListCommand, hubRemove, hubRemoveCommand } from '../../src/engine/cli/hub.js';
import type { CliIo } from '../../src/engine/cli/io.js';
import { runCli } from '../../src/engine/cli/main.js';
import { FakeHub, tinyModelRepo } from '../helpers/fake-hub.js';
import { tempHubHome, type HubHome } from '../helpers/hub-home.js';

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

/** Streams that record what is written, and a clock that moves one second per reading. */
function capture(env: NodeJS.ProcessEnv, tty: boolean): Captured {
  let out = '';
  let err = '';
  let clock = 0;
  return {
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: false },
      stderr: { write: (s: string) => (err += s), isTTY: tty, columns: 200 },
      env,
      now: () => (clock += 1000),
      signal: new AbortController().signal,
    },
    out: () => out,
    err: () => err,
  };
}

describe('the xlm hub commands print results on stdout and progress on stderr', () => {
  let hub: FakeHub;
  let home: HubHome;
  let env: NodeJS.ProcessEnv;
  const tiny = tinyModelRepo('org/tiny');
  before(async () => {
    hub = await FakeHub.start({ repos: [tiny.repo] });
    home = tempHubHome();
    env = { HF_HOME: home.home, HF_ENDPOINT: hub.url };
  });
  after(async () => {
    await hub.close();
    home.cleanup();
  });

  it('download --json prints one JSON document; plain progress lines go to stderr', async () => {
    const run = capture(env, false);
    assert.equal(await hubDownload({ repo: 'org/tiny', revision: 'dev', json: true }, run.io), 0);
    const result = JSON.parse(run.out());
    assert.equal(result.commit, tiny.first);
    assert.ok(existsSync(join(result.folder, 'config.json')));
    assert.ok(result.skipped.includes('.gitattributes'));
    assert.match(run.err(), /^org\/tiny: model\.safetensors done \(150\.0 kB\), \d\/5 files$/m);
    assert.match(run.err(), /^org\/tiny: \d+% \(.* of .*\), .*\/s, ETA /m);
    assert.ok(!run.err().includes('\r'), 'no carriage returns when stderr is not a terminal');
  });

  it('download on a terminal draws a bar in place and prints the snapshot path on stdout', async () => {
    const run = capture(env, true);
    assert.equal(await hubDownload({ repo: 'org/tiny', include: 'config.json,*.safetensors', json: false }, run.io), 0);
    assert.equal(run.out(), `${join(home.cacheDir, 'models--org--tiny', 'snapshots', tiny.second)}\n`);
    assert.match(run.err(), /\r\x1b\[Korg\/tiny \[[#-]{20}\] \d+% /);
    assert.match(run.err(), /org\/tiny: 2 files, .* downloaded in /);
    assert.match(run.err(), /skipped \(use --include to take them\): .*tokenizer\.json/);
  });

  it('download errors print one line and exit with 1', async () => {
    const run = capture(env, false);
    assert.equal(await hubDownload({ repo: 'org/missing' }, run.io), 1);
    assert.match(run.err(), /^xlm: No model repository "org\/missing"/);
    assert.equal(run.out(), '');
  });

  it('a pattern that matches no file names the flag it came from', async () => {
    const run = capture(env, false);
    assert.equal(await hubDownload({ repo: 'org/tiny', include: 'nothing-*.xyz', exclude: 'config.json' }, run.io), 1);
    assert.match(run.err(), /^xlm: None of the \d+ files of org\/tiny at main matched --include nothing-\*\.xyz minus --exclude config\.json\. Files: /);
  });

  it('the command table entries parse the flags: xlm hub download REPO --revision R --include P --json', async () => {
    const run = capture(env, false);
    const code = await runCli(['hub', 'download', 'org/tiny', '--revision', 'dev', '--include', 'config.json', '--include', 'README.md', '--json'], run.io, [
      hubDownloadCommand,
      hubListCommand,
      hubRemoveCommand,
    ]);
    assert.equal(code, 0, run.err());
    const result = JSON.parse(run.out());
    assert.equal(result.commit, tiny.first);
    assert.deepEqual(result.files.map((f: { path: string }) => f.path).sort(), ['README.md', 'config.json']);
    const bad = capture(env, false);
    assert.equal(await runCli(['hub', 'rm'], bad.io, [hubRemoveCommand]), 1);
    assert.match(bad.err(), /^xlm: expected one repo id/);
  });

  it('ls lists the cache as a table or JSON, with presets on request', async () => {
    const plain = capture(env, false);
    assert.equal(await hubList({ presets: true }, plain.io), 0);
    assert.match(plain.out(), /^REPO\s+REVISIONS\s+SIZE\s+MODIFIED\s+PATH$/m);
    assert.match(plain.out(), /^org\/tiny\s+dev \(\w{7}\) main \(\w{7}\)\s+\d+\.\d kB /m);
    assert.match(plain.out(), /^xlm-roberta-base\s+fill-mask\s+~1\.1 GB\s+no /m);

    const json = capture(env, false);
    assert.equal(await hubList({ json: true }, json.io), 0);
    const listed = JSON.parse(json.out());
    assert.equal(listed.cacheDir, home.cacheDir);
    assert.deepEqual(listed.models.map((m: { repoId: string }) => m.repoId), ['org/tiny']);
  });

  it('rm removes a revision and then the repo', async () => {
    const revision = capture(env, false);
    assert.equal(await hubRemove({ repo: 'org/tiny', revision: 'dev' }, revision.io), 0);
    assert.match(revision.out(), /^Removed org\/tiny revision dev: .* freed\.$/m);
    const snapshot = join(home.cacheDir, 'models--org--tiny', 'snapshots', tiny.second, 'config.json');
    assert.equal(readFileSync(snapshot, 'utf8'), tiny.files['config.json'].content.toString());
    const all = capture(env, false);
    assert.equal(await hubRemove({ repo: 'org/tiny', json: true }, all.io), 0);
    assert.equal(JSON.parse(all.out()).repoId, 'org/tiny');
    assert.ok(!existsSync(join(home.cacheDir, 'models--org--tiny')));
  });
});
