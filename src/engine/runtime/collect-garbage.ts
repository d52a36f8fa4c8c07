/**
 * A full garbage collection, on demand. Building a training graph reads every frozen weight into JS typed arrays,
 * which onnxruntime copies when it creates the session; the arrays are garbage from then on, but V8 sees little
 * JS allocation during training and may keep them for several steps: at XLM-R base size 1 GB held on top of the
 * step's own peak. Collecting once, right after the sessions exist, returns it before the first step.
 *
 * `gc` is exposed without a command-line flag (the engine runs in VS Code's Node, a worker thread and the `xlm`
 * launcher): the flag is set at run time and a fresh context, which reads it when created, hands out `gc`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
