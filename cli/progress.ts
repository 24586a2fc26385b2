/**
 * A progress line on stderr, only when stderr is a terminal and the input is
 * over 64 MiB (stdin, or a small .gz: once 64 MiB have been read or decoded); otherwise every call is a
 * no-op. It shows the bytes of the file on disk and of the decoded stream
 * (behind gzip or AES they differ), records per second and the time left.
 * `clear()` erases it before data is written to the same terminal; the next
 * update draws it again.
 *
 *   const p = progress(files, { quiet: flags.quiet });
 *   onProgress: (log, records) => p.update(log.file, log.inputBytesRead, log.layers.length ? log.bytesRead : undefined, records)
 *   p.done();
 */
import { escapeControls } from '../src/text.js';
import { statSync } from 'node:fs';
import { Flags } from './core.js';
import type { AuditLogError } from '../src/errors.js';
import { problem } from '../src/problems.js';

/** `--quiet`: no progress line and no notes (warnings and errors still show). */
export const quietFlag = Flags.boolean({ char: 'q', description: 'no progress line and no notes on stderr (warnings and errors still show)' });

/** Problems that are only noted (the problems table's severity `note`); others are warnings. */
export function isNote(e: AuditLogError): boolean {
  return problem(e.code).severity === 'note';
}

/** Write a problem that did not stop reading to stderr: `Note:` (unless quiet) or `Warning:`. */
export function noteProblem(e: AuditLogError, quiet: boolean, bar?: Progress): void {
  const note = isNote(e);
  if (note && quiet) return;
  bar?.clear();
  process.stderr.write(`${note ? 'Note' : 'Warning'}: ${escapeControls(e.message)}\n`);
}

/** Below this many input bytes no progress is shown. */
export const MIN_BYTES = 64 * 1024 * 1024;

export interface Progress {
  /**
   * @param file the input being read
   * @param diskBytes bytes of that input itself (the file on disk) read so far
   * @param decodedBytes bytes of its decoded stream (after gzip and AES) read so far; undefined for an input without layers
   * @param records records read so far, over all inputs
   */
  update(file: string, diskBytes: number, decodedBytes: number | undefined, records: number): void;
  /** Erase the line (before writing data to the same terminal). */
  clear(): void;
  done(): void;
}

export interface ProgressOptions {
  stream?: Pick<NodeJS.WriteStream, 'isTTY' | 'write'>;
  /** Below this many input bytes nothing is shown. Defaults to MIN_BYTES. */
  minBytes?: number;
  /** Show nothing (`--quiet`). */
  quiet?: boolean;
  /** Milliseconds between redraws. Defaults to 200. */
  interval?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** Size of a regular file, or undefined (stdin, pipes, unreadable). */
function fileSize(f: string): number | undefined {
  if (f === '-') return undefined;
  try {
    const st = statSync(f);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** Total size of the inputs that are regular files (stdin and pipes count as unknown). */
export function inputSize(files: string[]): number | undefined {
  let total = 0;
  for (const f of files) {
    const n = fileSize(f);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

const NOOP: Progress = { update() {}, clear() {}, done() {} };

/** Bytes as `12.3 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

function formatCount(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  if (n < 10_000_000) return `${(n / 1000).toFixed(0)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}

function formatDuration(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function progress(files: string[], opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const minBytes = opts.minBytes ?? MIN_BYTES;
  const now = opts.now ?? Date.now;
  const interval = opts.interval ?? 200;
  if (opts.quiet || !stream.isTTY) return NOOP;
  const sizes = files.map(fileSize);
  const total = sizes.every((n) => n !== undefined) ? sizes.reduce((a: number, b) => a + b!, 0) : undefined;
  // A small file on disk can still decode to much more (gzip): then the line shows once that much was decoded.
  let decodedSoFar = 0;
  let decodedBefore = 0;
  // Bytes of the inputs before each one (undefined after a stream of unknown size).
  const before = new Map<string, number>();
  let acc = 0;
  files.forEach((f, i) => {
    before.set(f, acc);
    acc += sizes[i] ?? 0;
  });
  const start = now();
  let last = -Infinity;
  let shown = false;
  let diskBefore = 0;
  let current = '';
  let currentDisk = 0;
  return {
    update(file, diskBytes, decodedBytes, records) {
      if (file !== current) {
        diskBefore += currentDisk;
        decodedBefore = decodedSoFar;
        current = file;
      }
      currentDisk = diskBytes;
      const decodedTotal = decodedBefore + (decodedBytes ?? diskBytes);
      decodedSoFar = decodedTotal;
      const t = now();
      if (t - last < interval) return;
      const done = total !== undefined ? (before.get(file) ?? 0) + diskBytes : diskBefore + diskBytes;
      if ((total === undefined || total < minBytes) && Math.max(done, decodedTotal) < minBytes) return;
      last = t;
      const secs = Math.max((t - start) / 1000, 1e-3);
      const parts: string[] = [];
      if (total !== undefined && total > 0) {
        const pct = Math.min(100, (100 * done) / total);
        parts.push(`${pct.toFixed(0).padStart(3)}%`, `${formatBytes(done)} of ${formatBytes(total)} on disk`);
      } else parts.push(`${formatBytes(done)} read`);
      if (decodedBytes !== undefined) parts.push(`${formatBytes(decodedBytes)} decoded`);
      parts.push(`${formatCount(records)} records`, `${formatCount(records / secs)} records/s`);
      if (total !== undefined && done > 0 && done < total) parts.push(`${formatDuration(((total - done) * secs) / done)} left`);
      parts.push(escapeControls(file));
      stream.write(`\r${parts.join('  ')}\x1b[K`);
      shown = true;
    },
    clear() {
      if (shown) {
        stream.write('\r\x1b[K');
        shown = false;
        last = -Infinity;
      }
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
