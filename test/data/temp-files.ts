// Tiny data files in a temp folder for the data tests; each test file removes its folder when done.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Dataset } from '../../src/engine/data/dataset.js';
import type { Example } from '../../src/engine/data/types.js';

export function tempFolder(prefix: string): { dir: string; write: (name: string, content: string | Uint8Array) => string } {
  const dir = mkdtempSync(join(tmpdir(), `xlm-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

export async function collect(dataset: Dataset): Promise<Example[]> {
  const out: Example[] = [];
  for await (const example of dataset) out.push(example);
  return out;
}

/** The parts of examples a test compares: no source objects unless asked. */
export function lines(examples: Example[]): number[] {
  return examples.map((e) => e.source.line);
}
