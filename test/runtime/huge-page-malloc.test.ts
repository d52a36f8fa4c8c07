// Huge-page malloc for the processes that train (src/client/malloc.ts): the environment helper keeps what
// the user set, and the bundled `xlm` launcher, executed as the OS executes it, starts Node with the tunable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HUGE_PAGE_MALLOC, hugePageMallocOn, withHugePageMalloc } from '../../src/client/malloc.js';

const repo = resolve(__dirname, '../..');

test('withHugePageMalloc adds the tunable on Linux, keeps other tunables, and leaves a user-set hugetlb alone', () => {
  assert.equal(withHugePageMalloc({ PATH: '/bin' }, 'linux').GLIBC_TUNABLES, HUGE_PAGE_MALLOC);
  assert.equal(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux').GLIBC_TUNABLES, `glibc.malloc.arena_max=2:${HUGE_PAGE_MALLOC}`);
  assert.equal(withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux').GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0');
  assert.deepEqual(withHugePageMalloc({ PATH: '/bin' }, 'darwin'), { PATH: '/bin' });
  const env = { PATH: '/bin' };
  withHugePageMalloc(env, 'linux');
  assert.deepEqual(env, { PATH: '/bin' }, 'the caller\'s object is not changed');
  assert.equal(hugePageMallocOn({ GLIBC_TUNABLES: `glibc.malloc.arena_max=2:${HUGE_PAGE_MALLOC}` }), true);
  assert.equal(hugePageMallocOn({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), false);
  assert.equal(hugePageMallocOn({}), false);
});

test('the bundled xlm launcher starts Node with huge-page malloc', { skip: process.platform !== 'linux' && 'env -S shebangs are a POSIX launcher' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlm-launcher-'));
  try {
    // The project's own build (into the temporary folder), run as `xlm` is run: executed, not passed to node.
    const build = spawnSync(process.execPath, ['esbuild.mjs', `--outdir=${join(dir, 'dist')}`], { cwd: repo, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const cli = join(dir, 'dist', 'cli.js');
    chmodSync(cli, 0o755);
    assert.match(readFileSync(cli, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env -S /);
    // A preload that records what the started Node sees, then the launcher's own --help.
    const seen = join(dir, 'seen.json');
    const preload = join(dir, 'record-env.cjs');
    writeFileSync(preload, `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null }));\n`);
    // The bundle's externals (onnxruntime-node) resolve from the repository's node_modules, as from an install.
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${preload}`, NODE_PATH: join(repo, 'node_modules') };
    delete env.GLIBC_TUNABLES;
    const run = spawnSync(cli, ['--help'], { encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /usage: xlm COMMAND/);
    const recorded = JSON.parse(readFileSync(seen, 'utf8')) as { tunables: string | null };
    assert.equal(recorded.tunables, HUGE_PAGE_MALLOC);
    assert.equal(hugePageMallocOn({ GLIBC_TUNABLES: recorded.tunables }), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
