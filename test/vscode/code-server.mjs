// Shared by the extension-host test launcher and the end-to-end test: builds the extension, starts code-server
// (VS Code 1.100.3 served to a browser) on a free port with a throwaway profile, and launches Debian's Chromium
// through playwright-core. code-server and not @vscode/test-electron: test-electron downloads a VS Code build when
// it runs, which a machine without that download cannot do; code-server installs from npm (install-code-server.sh).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const codeServerEntry =
  process.env.XLM_CODE_SERVER_ENTRY ?? path.join(repoRoot, '.vscode-test/code-server/node_modules/code-server/out/node/entry.js');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Settings for a test profile: no trust prompt, no welcome page, no telemetry, no update checks. */
export const testSettings = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'chat.commandCenter.enabled': false,
  'update.mode': 'none',
};

export function checkTools() {
  const missing = [];
  if (!fs.existsSync(codeServerEntry)) missing.push(`code-server (run test/vscode/install-code-server.sh; looked for ${codeServerEntry})`);
  if (!fs.existsSync(chromiumPath)) missing.push(`chromium at ${chromiumPath} (apt-get install -y chromium)`);
  if (missing.length) throw new Error(`missing: ${missing.join('; ')}`);
}

/**
 * Runs `node esbuild.mjs [args]`. When that fails on a bundle the VS Code tests do not load (another part of the
 * project mid-change, e.g. the CLI), the extension, engine and webview bundles are built directly with the same
 * options, so the extension's tests still run; the failure is printed either way.
 */
export async function buildExtension(args = []) {
  const r = spawnSync(process.execPath, ['esbuild.mjs', ...args], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status === 0) return;
  process.stderr.write(`[build] esbuild.mjs failed (status ${r.status}); building the extension's own bundles directly:\n${r.stderr.split('\n').slice(0, 6).join('\n')}\n`);
  const esbuild = await import('esbuild');
  const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node'], minify: args.includes('--production'), sourcemap: !args.includes('--production'), absWorkingDir: repoRoot, logLevel: 'error' };
  const media = fs.existsSync(path.join(repoRoot, 'media')) ? fs.readdirSync(path.join(repoRoot, 'media')).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).map((f) => `media/${f}`) : [];
  await Promise.all([
    esbuild.build({ ...node, entryPoints: { extension: 'src/extension.ts', engine: 'src/engine/main.ts' }, outdir: 'dist' }),
    media.length && esbuild.build({ bundle: true, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: media, outdir: 'dist/media', absWorkingDir: repoRoot, minify: args.includes('--production'), logLevel: 'error' }),
  ]);
}

/** Starts code-server; resolves { url, stop, log } once it listens. */
export async function startCodeServer({ runDir, folder, settings = testSettings, extraArgs = [], env = {} }) {
  fs.mkdirSync(path.join(runDir, 'data', 'User'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'data', 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const args = [
    codeServerEntry, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--bind-addr', '127.0.0.1:0', '--config', path.join(runDir, 'config.yaml'),
    '--user-data-dir', path.join(runDir, 'data'), '--extensions-dir', path.join(runDir, 'exts'), ...extraArgs,
  ];
  if (folder) args.push(folder);
  const logFile = fs.createWriteStream(path.join(runDir, 'code-server.log'));
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within 60 s:\n${log}`)), 60_000);
    const onData = (d) => {
      logFile.write(d);
      log += d;
      const m = log.match(/HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`code-server exited early (${code}):\n${log}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', resolve);
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
    });
  return { url, stop, log: () => log };
}

/** Installs a .vsix into the profile's extensions folder (same folders startCodeServer uses). */
export function installVsix(runDir, vsix) {
  const r = spawnSync(process.execPath, [
    codeServerEntry, '--user-data-dir', path.join(runDir, 'data'), '--extensions-dir', path.join(runDir, 'exts'),
    '--config', path.join(runDir, 'config.yaml'), '--install-extension', vsix,
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`installing ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Kills a whole run after `ms` so a hung workbench cannot hang CI. */
export function deadline(ms, what) {
  return setTimeout(() => {
    console.error(`[${what}] TIMEOUT after ${ms} ms`);
    process.exit(2);
  }, ms).unref();
}

/** Writes the test workspace (a tiny model, data, a run) with test/vscode/workspace.ts through tsx. */
export function writeTestWorkspace(dir) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/vscode/workspace.ts'), dir], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`writing the test workspace failed:\n${r.stderr}`);
  return dir;
}
