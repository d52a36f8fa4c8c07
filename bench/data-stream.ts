/**
 * Streams a generated JSONL of a few hundred MB (and a CSV a third of its size) through the dataset reader and
 * prints rows/s, MB/s and peak RSS. Each read runs in a fresh child process, so its peak RSS is the reader's
 * alone (not the generator's); the child's RSS before reading is printed beside it as the baseline. A reader
 * that held the file would show a peak near the file's size; a streaming one stays near the baseline.
 *
 *   npx tsx bench/data-stream.ts [sizeMB=300]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../src/engine/data/dataset.js';
import { createRng } from '../src/engine/rng/rng.js';

const WORDS: Record<string, string[]> = {
  en: ['the', 'model', 'reads', 'every', 'line', 'of', 'data', 'quickly', 'and', 'well'],
  de: ['der', 'Bär', 'läuft', 'über', 'die', 'große', 'Straße', 'schnell', 'heute', 'nicht'],
  ru: ['модель', 'читает', 'каждую', 'строку', 'данных', 'быстро', 'и', 'хорошо', 'сегодня', 'всё'],
  zh: ['模型', '读取', '每一行', '数据', '很快', '而且', '很好', '今天', '我们', '都'],
  ar: ['النموذج', 'يقرأ', 'كل', 'سطر', 'من', 'البيانات', 'بسرعة', 'جيدا', 'اليوم', 'أيضا'],
  hi: ['मॉडल', 'हर', 'पंक्ति', 'पढ़ता', 'है', 'डेटा', 'जल्दी', 'अच्छा', 'आज', 'भी'],
};
const LANGUAGES = Object.keys(WORDS);
const LABELS = ['entailment', 'neutral', 'contradiction'];

function sentence(rng: ReturnType<typeof createRng>, language: string): string {
  const words = WORDS[language];
  const n = 8 + rng.int(24);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(words[rng.int(words.length)]);
  return out.join(language === 'zh' ? '' : ' ');
}

async function generate(path: string, bytes: number, kind: 'jsonl' | 'csv'): Promise<number> {
  const rng = createRng(1234);
  const out = createWriteStream(path);
  let written = 0;
  let rows = 0;
  if (kind === 'csv') {
    const header = 'premise,hypothesis,label,lang\n';
    out.write(header);
    written += header.length;
  }
  while (written < bytes) {
    const parts: string[] = [];
    for (let i = 0; i < 2000 && written < bytes; i++) {
      const language = LANGUAGES[rng.int(LANGUAGES.length)];
      const premise = sentence(rng, language);
      const hypothesis = sentence(rng, language);
      const label = LABELS[rng.int(3)];
      const line =
        kind === 'jsonl'
          ? `${JSON.stringify({ premise, hypothesis, label, lang: language })}\n`
          : `"${premise}, indeed","${hypothesis}",${label},${language}\n`;
      parts.push(line);
      written += Buffer.byteLength(line);
      rows++;
    }
    if (!out.write(parts.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return rows;
}

/** In the child: one pass over the file, then one JSON line of figures. */
async function readOnce(path: string, perRow: boolean): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const ds = await openDataset(path, { onError: 'skip' });
  let rows = 0;
  let chars = 0;
  if (perRow) {
    for await (const example of ds) {
      rows++;
      chars += example.text.length;
    }
  } else {
    for await (const batch of ds.batches()) {
      rows += batch.length;
      for (const example of batch) chars += example.text.length;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const bytes = statSync(path).size;
  console.log(
    JSON.stringify({
      rows,
      chars,
      errors: ds.report.errorCount,
      seconds,
      rowsPerSecond: rows / seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      rssBeforeMB: rssBefore / 2 ** 20,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      heapUsedAfterMB: process.memoryUsage().heapUsed / 2 ** 20,
    }),
  );
}

async function main(): Promise<void> {
  const readIndex = process.argv.indexOf('--read');
  if (readIndex !== -1) {
    await readOnce(process.argv[readIndex + 1], process.argv.includes('--per-row'));
    return;
  }
  const sizeMB = Number(process.argv[2] ?? 300);
  const dir = mkdtempSync(join(tmpdir(), 'xlm-bench-data-'));
  try {
    const runs: { label: string; path: string; perRow: boolean; heapMB?: number }[] = [];
    const jsonl = join(dir, 'big.jsonl');
    let start = performance.now();
    const jsonlRows = await generate(jsonl, sizeMB * 1e6, 'jsonl');
    console.log(`generated ${jsonl}: ${(statSync(jsonl).size / 1e6).toFixed(0)} MB, ${jsonlRows} rows, in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    const csv = join(dir, 'big.csv');
    start = performance.now();
    const csvRows = await generate(csv, (sizeMB / 3) * 1e6, 'csv');
    console.log(`generated ${csv}: ${(statSync(csv).size / 1e6).toFixed(0)} MB, ${csvRows} rows, in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    runs.push(
      { label: 'jsonl, batches', path: jsonl, perRow: false },
      { label: 'jsonl, per row', path: jsonl, perRow: true },
      // A 64 MB heap for a file several times that size: it finishes only if the reader streams.
      { label: 'jsonl, 64MB heap', path: jsonl, perRow: false, heapMB: 64 },
      { label: 'csv, batches', path: csv, perRow: false },
    );

    console.log('\nread                 rows     seconds   rows/s     MB/s   RSS before   peak RSS   file MB');
    for (const run of runs) {
      const heap = run.heapMB ? [`--max-old-space-size=${run.heapMB}`] : [];
      const args = [...heap, '--import', 'tsx', process.argv[1], '--read', run.path, ...(run.perRow ? ['--per-row'] : [])];
      const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
      const last = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !last.startsWith('{')) {
        console.log(`${run.label}: failed\n${child.stderr}`);
        continue;
      }
      const r = JSON.parse(last);
      const fileMB = statSync(run.path).size / 1e6;
      console.log(
        `${run.label.padEnd(16)} ${String(r.rows).padStart(9)} ${r.seconds.toFixed(1).padStart(9)} ${Math.round(r.rowsPerSecond).toString().padStart(8)} ${r.mbPerSecond.toFixed(1).padStart(8)} ${r.rssBeforeMB.toFixed(0).padStart(9)} MB ${r.peakRssMB.toFixed(0).padStart(7)} MB ${fileMB.toFixed(0).padStart(8)}`,
      );
      if (r.errors !== 0) console.log(`  (${r.errors} rows reported bad: the generator is broken)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
