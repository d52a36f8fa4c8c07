// `npm run package`: one .vsix per platform onnxruntime-node ships native binaries for, each holding only its own.
// Usage: node scripts/package.mjs [--target linux-x64 ...] [--out DIR] [--no-build]
//   --target  build only these targets (repeatable); default: every platform found in onnxruntime-node's bin/
//   --out     folder for the packages (default: the repository root); each is named xlm-lab-<target>-<version>.vsix
//   --no-build  package the dist/ that is there instead of running the production build first
// What every package holds is .vscodeignore's list; this script adds the one line letting in the target's binaries.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = 'node_modules/onnxruntime-node/bin/napi-v6';

/** Targets as VS Code names them (`<os>-<arch>`, the same words as Node's process.platform and process.arch). */
export function shippedTargets(binDir = join(root, BIN)) {
  const targets = [];
  for (const os of readdirSync(binDir).sort()) {
    for (const arch of readdirSync(join(binDir, os)).sort()) {
      if (existsSync(join(binDir, os, arch, 'onnxruntime_binding.node'))) targets.push(`${os}-${arch}`);
    }
  }
  return targets;
}

/**
 * The files of one platform's native folder that ship. A byte-identical copy of a library the binding loads by
 * another name goes: macOS's folder holds libonnxruntime.1.30.0.dylib beside libonnxruntime.1.dylib (a symbolic
 * link in onnxruntime's build, a second 45 MB file in the npm package), and both the binding and the library's own
 * install name say libonnxruntime.1.dylib.
 */
export function nativeFiles(dir) {
  const files = readdirSync(dir).sort();
  const binding = readFileSync(join(dir, 'onnxruntime_binding.node'));
  const loaded = files.filter((f) => f !== 'onnxruntime_binding.node' && binding.includes(f));
  return files.filter((f) => {
    if (f === 'onnxruntime_binding.node' || loaded.includes(f)) return true;
    const bytes = readFileSync(join(dir, f));
    return !loaded.some((l) => readFileSync(join(dir, l)).equals(bytes));
  });
}

export function packageName(target, version) {
  return `xlm-lab-${target}-${version}.vsix`;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
}

function parseArgs(argv) {
  const targets = [];
  let out = root;
  let build = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') targets.push(argv[++i]);
    else if (argv[i] === '--out') out = resolve(argv[++i]);
    else if (argv[i] === '--no-build') build = false;
    else throw new Error(`unknown argument ${argv[i]}; usage: node scripts/package.mjs [--target T ...] [--out DIR] [--no-build]`);
  }
  return { targets, out, build };
}

async function main() {
  const { targets: asked, out, build } = parseArgs(process.argv.slice(2));
  const shipped = shippedTargets();
  for (const t of asked) {
    if (!shipped.includes(t)) throw new Error(`onnxruntime-node has no native binaries for ${t} in ${BIN}; it ships ${shipped.join(', ')}`);
  }
  const targets = asked.length ? asked : shipped;
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  if (build) run(process.execPath, ['esbuild.mjs', '--production']);
  mkdirSync(out, { recursive: true });
  const common = readFileSync(join(root, '.vscodeignore'), 'utf8');
  const scratch = mkdtempSync(join(tmpdir(), 'xlm-package-'));
  try {
    for (const target of targets) {
      const [os, arch] = target.split('-');
      const ignoreFile = join(scratch, `${target}.vscodeignore`);
      const native = nativeFiles(join(root, BIN, os, arch)).map((f) => `!${BIN}/${os}/${arch}/${f}`);
      writeFileSync(ignoreFile, `${common}\n# ${target}'s native runtime\n${native.join('\n')}\n`);
      const file = join(out, packageName(target, version));
      run(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--allow-missing-repository', '--target', target, '--ignoreFile', ignoreFile, '--out', file]);
      console.log(`${file}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`package: ${e.message}`);
    process.exit(1);
  });
}
