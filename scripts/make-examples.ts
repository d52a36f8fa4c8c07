/**
 * Writes the demo workspace data into examples/ from the UDHR corpus (see examples/README.md).
 *
 *   npx tsx scripts/make-examples.ts           write the files
 *   npx tsx scripts/make-examples.ts --check   exit 1 if a committed file differs from a fresh generation
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadUdhrCorpus } from '../src/engine/pretrain/corpus.js';
import { generateExamples } from './lib/demo-examples.js';

const root = join(__dirname, '..', 'examples');
const check = process.argv.includes('--check');
let stale = 0;
for (const file of generateExamples(loadUdhrCorpus())) {
  const path = join(root, file.path);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current === file.content) continue;
  if (check) {
    console.error(`examples/${file.path} differs from a fresh generation`);
    stale++;
    continue;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, file.content);
  console.log(`wrote examples/${file.path} (${Buffer.byteLength(file.content)} bytes)`);
}
if (stale) {
  console.error('run: npx tsx scripts/make-examples.ts');
  process.exit(1);
}
