// Runs the extension-host tests (test/vscode/suite/) inside a real VS Code: code-server 1.100.3's extension host,
// opened by headless Chromium. code-server refuses --extensionDevelopmentPath/--extensionTestsPath on its command
// line, so they travel in the workbench URL's `payload`, and the workbench reports the test module's result
// through window.codeAutomationExit (the mechanism @vscode/test-web uses). Exit code: the tests' (0 pass, 1 fail),
// 2 when the launcher itself fails or the run passes its time limit (XLM_EXT_TEST_TIMEOUT_MS, default 480 s: a guard against a hung workbench, sized for the suite's training tests — label audit folds, defaults that learn — on a busy 2-core machine).
// Usage: node test/vscode/run-ext-tests.mjs [--no-build]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExtension, checkTools, deadline, launchChromium, repoRoot, startCodeServer, writeTestWorkspace } from './code-server.mjs';
import { buildTests } from './build-tests.mjs';

const timeoutMs = Number(process.env.XLM_EXT_TEST_TIMEOUT_MS ?? 480_000);
const verbose = process.env.XLM_EXT_TEST_VERBOSE === '1';
// Workbench chatter that says nothing about our tests.
const noise = /open-vsx\.org|Resolv|Creating a socket|Service Worker|builtin extensions cache|ChatSessionStore|ExtensionService#_doActivateExtension|^\s+at /;

const t0 = Date.now();
deadline(timeoutMs, 'run-ext-tests');
checkTools();
if (!process.argv.includes('--no-build')) await buildExtension();
const testsModule = await buildTests();
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-ext-tests-'));
const workspace = writeTestWorkspace(path.join(runDir, 'workspace'));
console.log(`[run-ext-tests] built in ${Date.now() - t0} ms; run folder ${runDir}`);

const server = await startCodeServer({ runDir, folder: workspace });
let browser;
let code = 2;
try {
  browser = await launchChromium();
  const page = await browser.newPage();
  const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (c) => resolve(c)));
  await page.exposeFunction('codeAutomationLog', (level, args) => {
    const line = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    if (!verbose && noise.test(line)) return;
    (level === 'error' || level === 'warn' ? console.error : console.log)(line);
  });
  const browserLog = fs.createWriteStream(path.join(runDir, 'browser-console.log'));
  page.on('console', (m) => browserLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => browserLog.write(`[pageerror] ${e.message}\n`));
  // code-server's remote authority is "remote": the extension host resolves these against its own file system.
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://remote${repoRoot}`],
    ['extensionTestsPath', `vscode-remote://remote${testsModule}`],
  ];
  // The workbench page can take over 30 s (playwright's default) to load on a machine busy with other work.
  await page.goto(`${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`, { timeout: 180_000 });
  code = await exited;
} catch (e) {
  console.error('[run-ext-tests] launcher error:', e);
  code = 2;
} finally {
  await browser?.close();
  await server.stop();
}
console.log(`[run-ext-tests] exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in ${runDir})`);
process.exit(code);
