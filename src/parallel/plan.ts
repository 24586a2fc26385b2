/**
 * Cutting a command's inputs into units of work for the pool: each input is
 * one unit, and a large plain or AES-only file (one the input edge can read
 * from any offset) is cut into byte ranges at record boundaries, so that both
 * cores read one file.
 *
 *   const { units } = await planUnits(['a.log', 'big.log'], { jobs: 2, password });
 *   // [{ input: 0, file: 'a.log', first, last }, { input: 1, range: { start: 0, end: 104857713 }, ... }, ...]
 *
 * A range starts at a record boundary as the scanners resynchronise on it
 * (src/scanners/boundary.ts), found in the bytes around the nominal cut; the
 * reader's `range.until` reads the records that start before its end exactly
 * as a read of the whole input sees them. Stdin, bytes and streams, gzip
 * inputs and unreadable ones are one unit each: their unit fails as the
 * sequential read of that input fails.
 */
import { open } from 'node:fs/promises';
import { detectFormat, SNIFF_BYTES } from '../detect.js';
import type { FormatId } from '../entry.js';
import { AuditLogError } from '../errors.js';
import { openInput, workBytes, type Input } from '../input.js';
import { SALTED_MAGIC } from '../layers/aes.js';
import type { PasswordEntry, PasswordSource } from '../layers/passwords.js';
import { findBoundary, NEED_MORE } from '../scanners/boundary.js';
import { fromWire, toWire, type WireError } from './pool.js';

/** A unit of work. */
export interface Unit {
  /** Index of the input among the command's inputs, and its file name (as the sequential run names it). */
  input: number;
  file: string;
  /** Decoded byte range [start, end), both at record boundaries; absent: the whole input. */
  range?: { start: number; end: number };
  /** First and last unit of its input. */
  first: boolean;
  last: boolean;
  /** With a range: the input's format, detected from its head as a whole read detects it. */
  format?: FormatId;
}

/** A file's password as resolved on the main thread: the entry, or the error asking for it gave. */
export type ResolvedPassword = { entry: PasswordEntry } | { error: WireError };

export interface PlanOptions {
  jobs: number;
  /** Inputs smaller than this are never cut. Defaults to DEFAULT_SPLIT_BYTES. */
  splitBytes?: number;
  /** Password source of encrypted inputs: asked here, on the main thread, once per encrypted file, in input order. */
  password?: PasswordSource;
  /** Which formats may be cut (all but Percona CSV by default). */
  splittable?: (format: FormatId) => boolean;
  /** Nominal cut offsets for an input instead of even shares (tests). */
  cuts?: (file: string, size: number) => number[] | undefined;
}

export interface Plan {
  units: Unit[];
  /** Per input: its resolved password, when it is encrypted. */
  passwords: (ResolvedPassword | undefined)[];
  /** Bytes of all inputs on disk (stdin counts 0). */
  total: number;
  /** Bytes a read of all inputs decodes, as workBytes() estimates them: what thresholds of work compare. */
  work: number;
}

/**
 * Codes of notices the input edge gives when it opens an input (an AES file
 * cut inside its last block: TRUNCATED_INPUT at the data's end). Every range's
 * read sees them at its start; the input's first unit reports them, in the
 * place one read reports them, and no unit takes them for a record past its end.
 */
export const OPEN_NOTICES: ReadonlySet<string> = new Set(['TRUNCATED_INPUT']);

/** Inputs at least this large are cut into ranges (when there are fewer inputs than workers to keep busy). */
export const DEFAULT_SPLIT_BYTES = 16 * 1024 * 1024;

/** Longest stretch searched for a record boundary after a nominal cut. */
const MAX_SEARCH = 64 * 1024 * 1024;

/**
 * Percona CSV is never cut: whether its last line is a whole record depends on the
 * lines read before it. Every other format resynchronises on a record start.
 */
export function splittableFormat(format: FormatId): boolean {
  return format !== 'percona-csv';
}

/** A password source for a worker: answers with what the main thread resolved. */
export function resolvedSource(p: ResolvedPassword | undefined): PasswordSource | undefined {
  if (!p) return undefined;
  return {
    get: async () => {
      if ('entry' in p) return p.entry;
      throw fromWire(p.error);
    },
  };
}

async function isEncrypted(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const head = Buffer.alloc(SALTED_MAGIC.length);
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      return bytesRead > 0 && head.subarray(0, bytesRead).equals(SALTED_MAGIC.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/**
 * The first record boundary at or after `at` that a reader starting there sees
 * as the start of a record: not inside the indent before a record (the record
 * then starts at its line's start, before `at`). -1 when there is none.
 */
export async function boundaryAfter(input: Input, format: FormatId, at: number, size: number): Promise<number> {
  let from = Math.max(1, at);
  for (let window = 1 << 20; ; window *= 4) {
    const stop = Math.min(size, from - 1 + window);
    const buf = await collect(input.slice(from - 1, stop));
    const final = stop >= size || window >= MAX_SEARCH;
    let p = 1;
    for (;;) {
      const b = findBoundary(format, buf, p, final);
      if (b === NEED_MORE) break;
      if (b >= buf.length) return -1;
      const before = buf[b - 1];
      if (before !== 0x20 && before !== 0x09) return from - 1 + b;
      p = b + 1;
    }
    if (final) return -1;
  }
}

/** Cut one addressable input into at most `pieces` ranges; undefined when it is not worth it or cannot be done. */
async function cutInput(file: string, password: PasswordSource | undefined, pieces: number, opts: PlanOptions): Promise<{ format: FormatId; bounds: number[] } | undefined> {
  let input: Input;
  try {
    input = await openInput(file, { file, password });
  } catch {
    return undefined; // the unit's read fails as the whole read does
  }
  const size = input.size;
  if (!input.addressable || size === undefined) return undefined;
  const nominal = opts.cuts?.(file, size) ?? (pieces > 1 ? Array.from({ length: pieces - 1 }, (_, k) => Math.floor(((k + 1) * size) / pieces)) : []);
  if (!nominal.length) return undefined;
  let format: FormatId | null;
  try {
    const head = await collect(input.slice(0, SNIFF_BYTES));
    format = detectFormat(head, head.length < SNIFF_BYTES, file);
  } catch {
    return undefined;
  }
  if (format === null || !(opts.splittable ?? splittableFormat)(format)) return undefined;
  const bounds = [0];
  for (const c of [...nominal].sort((a, b) => a - b)) {
    if (c <= bounds[bounds.length - 1]! || c >= size) continue;
    const b = await boundaryAfter(input, format, c, size);
    if (b > bounds[bounds.length - 1]! && b < size) bounds.push(b);
  }
  if (bounds.length < 2) return undefined;
  bounds.push(size);
  return { format, bounds };
}

/**
 * Cut inputs into units, in input order. Encrypted inputs have their password
 * resolved here (a prompt, a map lookup), before any worker starts.
 */
export async function planUnits(files: string[], opts: PlanOptions): Promise<Plan> {
  const jobs = Math.max(1, Math.floor(opts.jobs));
  const splitBytes = opts.splitBytes ?? DEFAULT_SPLIT_BYTES;
  const passwords: (ResolvedPassword | undefined)[] = [];
  const sizes: number[] = [];
  let work = 0;
  for (const f of files) {
    let p: ResolvedPassword | undefined;
    if (f !== '-' && opts.password && (await isEncrypted(f))) {
      try {
        p = { entry: await opts.password.get(f) };
      } catch (e) {
        p = { error: toWire(e instanceof AuditLogError ? e : e instanceof Error ? e : new Error(String(e))) };
      }
    }
    passwords.push(p);
    let size = 0;
    if (f !== '-') {
      try {
        const fh = await open(f, 'r');
        size = (await fh.stat()).size;
        await fh.close();
      } catch {
        size = 0;
      }
    }
    sizes.push(size);
    if (f !== '-') work += await workBytes(f);
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  // Each input gets about its share of the workers: one large file among small ones is cut, many equal ones are not.
  const share = Math.max(1, total / jobs);
  const units: Unit[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const size = sizes[i]!;
    const pieces = Math.max(1, Math.min(jobs, Math.round(size / share)));
    const cut = file !== '-' && size >= splitBytes && (pieces > 1 || opts.cuts) ? await cutInput(file, resolvedSource(passwords[i]), pieces, opts) : undefined;
    if (!cut) {
      units.push({ input: i, file, first: true, last: true });
      continue;
    }
    const { bounds, format } = cut;
    for (let k = 0; k + 1 < bounds.length; k++) {
      units.push({ input: i, file, range: { start: bounds[k]!, end: bounds[k + 1]! }, first: k === 0, last: k + 2 === bounds.length, format });
    }
  }
  return { units, passwords, total, work };
}
