/**
 * Entry of the `xlm` launcher (dist/cli.js; `npx tsx src/engine/cli/bin.ts` from source). It checks for
 * onnxruntime-node's native runtime before loading the commands, which load it: on a platform without one (an
 * Intel Mac) the user reads why and where xlm runs, not a "Cannot find module" trace.
 */
import { nativeRuntimeProblem } from '../runtime/platform.js';

const problem = nativeRuntimeProblem();
if (problem) {
  process.stderr.write(`xlm: ${problem}\n`);
  process.exitCode = 1;
} else {
  void import('./main.js').then(({ runCli }) => runCli(process.argv.slice(2))).then((code) => {
    process.exitCode = code;
  });
}
