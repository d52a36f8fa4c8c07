#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last release that runs on Node 20) from the npm registry into
# .vscode-test/code-server, for the extension-host tests and the end-to-end test. Idempotent: a second run with
# the same version installed only prints the version. @vscode/test-electron cannot download VS Code offline, so
# this is how the tests get a real VS Code. Chromium, libkrb5-dev and ripgrep come from apt (.ci/run installs them).
# Usage: test/vscode/install-code-server.sh [DEST]   (DEST defaults to .vscode-test/code-server)
set -euo pipefail
VERSION=4.100.3
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEST="${1:-$ROOT/.vscode-test/code-server}"
ENTRY="$DEST/node_modules/code-server/out/node/entry.js"
T0=$(date +%s)
say() { echo "[install-code-server $(( $(date +%s) - T0 ))s] $*"; }

if [ -f "$DEST/.installed-$VERSION" ] && [ -f "$ENTRY" ]; then
  say "code-server $VERSION already installed at $DEST"
  exit 0
fi
for tool in rg; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y ripgrep libkrb5-dev chromium" >&2; exit 1; }
done

mkdir -p "$DEST"; cd "$DEST"
[ -f package.json ] || echo '{"name":"xlm-lab-code-server","private":true}' > package.json
say "npm install code-server@$VERSION (scripts off: its postinstall reaches GitHub)"
npm_config_unsafe_perm=true npm install --no-audit --no-fund --ignore-scripts "code-server@$VERSION"

cd node_modules/code-server/lib/vscode
say "npm install the VS Code server's own dependencies"
npm install --no-audit --no-fund --omit=dev --ignore-scripts
# @vscode/ripgrep's postinstall downloads rg from GitHub; use Debian's.
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
say "npm rebuild native modules of the VS Code server"
npm_config_yes=true npm rebuild
ln -sfn node_modules node_modules.asar

cd "$DEST"
say "npm rebuild argon2"
npm_config_yes=true npm rebuild argon2
node "$ENTRY" --version
touch "$DEST/.installed-$VERSION"
say "done"
