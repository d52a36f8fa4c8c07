// Throughput of the Hub client on loopback against the fake Hub: one LFS file of SIZE_MB (default 200),
// streamed to the cache, sha256-checked and linked. Shows the client's own overhead, not network speed.
// Run: npx tsx bench/hub-download.ts [SIZE_MB]
import { downloadRepo } from '../src/engine/hub/download.js';
import { FakeHub, lfsFile, regularFile, seededBytes } from '../test/helpers/fake-hub.js';
import { tempHubHome } from '../test/helpers/hub-home.js';

async function main(): Promise<void> {
  const sizeMb = Number(process.argv[2] ?? 200);
  const commit = 'b'.repeat(40);
  const hub = await FakeHub.start({
    repos: [{ id: 'bench/big', commits: { [commit]: { 'config.json': regularFile('{}'), 'model.safetensors': lfsFile(seededBytes(sizeMb * 1e6, 5)) } }, branches: { main: commit } }],
  });
  const home = tempHubHome();
  try {
    const started = performance.now();
    const result = await downloadRepo('bench/big', { settings: home.settings(hub.url) });
    const seconds = (performance.now() - started) / 1000;
    console.log(`${sizeMb} MB in ${seconds.toFixed(2)} s = ${(result.bytesDownloaded / 1e6 / seconds).toFixed(0)} MB/s (download + sha256 + link), peak RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  } finally {
    await hub.close();
    home.cleanup();
    }
}

void main();
