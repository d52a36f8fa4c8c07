/**
 * The engine side of model/ensureDefault: ensureDefaultModel into the extension's global storage, its
 * progress forwarded as model/defaultProgress, the request's cancellation aborting the build.
 */
import { modelDefaultProgress } from './protocol.js';
import type { HandlerTable } from './server.js';
import { ensureDefaultModel } from '../pretrain/default-model.js';

export function defaultModelHandlers(): Pick<HandlerTable, 'modelEnsureDefault'> {
  return {
    modelEnsureDefault: async ({ storageDir }, ctx) => {
      const abort = new AbortController();
      const sub = ctx.token.onCancellationRequested(() => abort.abort());
      try {
        const built = await ensureDefaultModel({
          cacheDir: storageDir,
          signal: abort.signal,
          onProgress: (p) => ctx.notify(modelDefaultProgress, { phase: p.phase, message: p.message, fraction: p.fraction, step: p.step, steps: p.steps }),
        });
        if (!built.reused) ctx.log('info', `built the default model in ${built.dir} (${built.seconds.toFixed(0)} s)`);
        return { dir: built.dir, reused: built.reused, seconds: built.seconds };
      } finally {
        sub.dispose();
      }
    },
  };
}
