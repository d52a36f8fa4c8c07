/**
 * Progress of a repo download: per file and overall, with a speed over the last few seconds (so a stall
 * shows as a falling speed, not an average of the whole run) and the time left at that speed.
 */

export interface DownloadProgress {
  repoId: string;
  /** The repo file whose bytes moved (or that finished). */
  file: string;
  /** Bytes of that file on disk so far, resumed bytes included. */
  bytes: number;
  /** Its size, when the Hub said. */
  total: number | null;
  /** Bytes of all selected files present so far (cached, resumed or fetched). */
  overallBytes: number;
  overallTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Bytes per second over the last few seconds of this run; 0 before any byte arrived. */
  bytesPerSecond: number;
  /** Seconds left at that speed; null while unknown. */
  etaSeconds: number | null;
}

const WINDOW_MS = 5000;

export class ProgressTracker {
  private readonly fileBytes = new Map<string, number>();
  private readonly fileTotals = new Map<string, number | null>();
  private readonly samples: { at: number; bytes: number }[] = [];
  private transferred = 0;
  private filesDone = 0;

  constructor(
    private readonly repoId: string,
    files: readonly { path: string; size?: number }[],
    private readonly listener: ((p: DownloadProgress) => void) | undefined,
    private readonly now: () => number = Date.now,
  ) {
    for (const f of files) {
      this.fileBytes.set(f.path, 0);
      this.fileTotals.set(f.path, f.size ?? null);
    }
  }

  /** Bytes that came over the network in this run (resumed bytes excluded). */
  get transferredBytes(): number {
    return this.transferred;
  }

  get overallTotal(): number {
    let total = 0;
    for (const [path, size] of this.fileTotals) total += size ?? this.fileBytes.get(path) ?? 0;
    return total;
  }

  get overallBytes(): number {
    let sum = 0;
    for (const bytes of this.fileBytes.values()) sum += bytes;
    return sum;
  }

  /** The size the Hub gave for a file (from its headers), when the listing had none. */
  setTotal(file: string, total: number | null): void {
    if (total !== null) this.fileTotals.set(file, total);
  }

  /** Bytes already on disk before this run fetched any (a resumed .incomplete): no speed credit. */
  resumedAt(file: string, bytes: number): void {
    this.fileBytes.set(file, bytes);
    this.emit(file);
  }

  /** Bytes that arrived over the network just now. */
  received(file: string, chunk: number): void {
    this.fileBytes.set(file, (this.fileBytes.get(file) ?? 0) + chunk);
    this.transferred += chunk;
    const at = this.now();
    this.samples.push({ at, bytes: this.transferred });
    while (this.samples.length > 2 && at - this.samples[1].at > WINDOW_MS) this.samples.shift();
    this.emit(file);
  }

  /** A file is complete (downloaded, or found in the cache). */
  finished(file: string, size: number): void {
    this.fileBytes.set(file, size);
    this.fileTotals.set(file, size);
    this.filesDone++;
    this.emit(file);
  }

  bytesPerSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? (last.bytes - first.bytes) / seconds : 0;
  }

  private emit(file: string): void {
    if (!this.listener) return;
    const overallBytes = this.overallBytes;
    const overallTotal = Math.max(this.overallTotal, overallBytes);
    const speed = this.bytesPerSecond();
    this.listener({
      repoId: this.repoId,
      file,
      bytes: this.fileBytes.get(file) ?? 0,
      total: this.fileTotals.get(file) ?? null,
      overallBytes,
      overallTotal,
      filesDone: this.filesDone,
      filesTotal: this.fileTotals.size,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 ? (overallTotal - overallBytes) / speed : overallBytes >= overallTotal ? 0 : null,
    });
  }
}

/** Decimal units, as the Hub shows sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
