// The same extension-host tests (out/test/index.js) in desktop VS Code through @vscode/test-electron, for machines
// that can download VS Code (this project's CI machines cannot: they use run-ext-tests.mjs with code-server).
// Usage: node test/vscode/run-desktop.mjs [VSCODE_VERSION]   (default 1.100.3, the version code-server serves)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildExtension, repoRoot, writeTestWorkspace } from './code-server.mjs';
import { buildTests } from './build-tests.mjs';

const version = process.argv[2] ?? '1.100.3';
await buildExtension();
const testsModule = await buildTests();
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-desktop-tests-'));
const workspace = writeTestWorkspace(path.join(runDir, 'workspace'));
const userData = path.join(runDir, 'user-data');
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off' }));
try {
  const code = await runTests({
    version,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsModule,
    launchArgs: [workspace, '--disable-extensions', '--user-data-dir', userData, '--skip-welcome', '--skip-release-notes'],
  });
  process.exit(code);
} catch (e) {
  console.error(`[run-desktop] ${e instanceof Error ? e.message : String(e)}`);
  console.error('[run-desktop] Desktop VS Code could not be downloaded or started here; run `npm run test:vscode` (code-server) instead.');
  process.exit(typeof e === 'number' ? e : 2);
}
