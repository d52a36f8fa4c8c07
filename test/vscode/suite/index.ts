/**
 * Entry of the extension-host tests (extensionTestsPath → out/test/index.js). VS Code calls run(); resolving
 * means pass, rejecting means fail. Test modules register with the harness on import, in this order.
 */
import './engine-lifecycle.test.js';
import './features.test.js';
import './panels-and-palette.test.js';
import './audit.test.js';
import './entities.test.js';
import { runAll } from './harness.js';

export function run(): Promise<void> {
  return runAll();
}
