/** dist/engine.js as the extension forks it, bundled into a temp folder so tests need no prior `npm run build`. */
import path from 'node:path';
import * as esbuild from 'esbuild';

const repo = path.resolve(__dirname, '../..');

/**
 * Bundles src/engine/main.ts to DIR/engine.js, and its training worker beside it as esbuild.mjs does; returns the
 * engine's path and the env that lets it find onnxruntime-node.
 */
export async function bundleEngine(dir: string): Promise<{ enginePath: string; env: NodeJS.ProcessEnv }> {
  const enginePath = path.join(dir, 'engine.js');
  await esbuild.build({
    entryPoints: { engine: path.join(repo, 'src/engine/main.ts'), 'training-worker': path.join(repo, 'src/engine/rpc/training-worker.ts') },
    outdir: dir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['onnxruntime-node'],
    logLevel: 'silent',
  });
  return { enginePath, env: { NODE_PATH: path.join(repo, 'node_modules') } };
}
