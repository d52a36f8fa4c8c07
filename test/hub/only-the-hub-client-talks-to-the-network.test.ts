// The README says what leaves the machine: only Hub requests. This keeps it true: no source file outside the
// Hub client imports a network module or calls fetch, and the webviews' CSP allows no connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

const NETWORK = /from ['"]node:(http|https|http2|net|tls|dgram)['"]|require\(['"](node:)?(http|https|http2|net|tls|dgram)['"]\)|\bfetch\(|new WebSocket\(|XMLHttpRequest|sendBeacon/;

test('only src/engine/hub reaches the network', () => {
  const offenders = [...sources('src'), ...sources('media')].filter((file) => !file.startsWith(join('src', 'engine', 'hub')) && NETWORK.test(readFileSync(file, 'utf8')));
  assert.deepEqual(offenders, []);
  assert.ok(sources(join('src', 'engine', 'hub')).some((file) => NETWORK.test(readFileSync(file, 'utf8'))), 'the pattern finds the Hub client itself');
});

test('webview pages allow no network connection (default-src none, no connect-src)', () => {
  const csp = sources('src').filter((file) => readFileSync(file, 'utf8').includes('Content-Security-Policy'));
  assert.ok(csp.length > 0);
  for (const file of csp) {
    const text = readFileSync(file, 'utf8');
    assert.match(text, /default-src 'none'/, file);
    assert.doesNotMatch(text, /connect-src/, file);
  }
});
