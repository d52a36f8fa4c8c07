// Bundles the extension-host tests (test/vscode/suite/index.ts and what it imports) to out/test/index.js,
// the module VS Code loads as extensionTestsPath. `vscode` stays external: the extension host provides it.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { repoRoot } from './code-server.mjs';

export async function buildTests() {
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'test/vscode/suite/index.ts')],
    outfile: path.join(repoRoot, 'out/test/index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return path.join(repoRoot, 'out/test/index.js');
}
