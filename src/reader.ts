/**
 * Reading: detect the format from the first bytes, then hand the bytes to that
 * format's scanner. A synchronous push engine (`AuditReader`) and an async
 * iterable over a path, a stream or bytes (`readAuditLog`).
 *
 *   const log = readAuditLog('audit.log', { onError: 'skip', onProblem: (e) => console.error(e.message) });
 *   for await (const entry of log) console.log(entry.at.index, entry.event.timestamp);
 *   console.log(log.format, log.complete);
 */
import { open } from 'node:fs/promises';
import { detectFormat } from './detect.js';
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { openLayers, type LayerId, type PasswordSource } from './layers/index.js';
import { JsonScanner } from './scanners/json.js';
import { PerconaCsvScanner } from './scanners/percona-csv.js';
import type { Scanner, ScanItem, ScannerOptions } from './scanners/scanner.js';
import { XmlScanner } from './scanners/xml.js';

/** Make the scanner for a format. */
export function createScanner(format: FormatId, options: ScannerOptions = {}): Scanner {
  const opts = typeof options.keepRaw === 'function' ? { ...options, keepRaw: options.keepRaw(format) } : options;
  switch (format) {
    case 'new':
    case 'old':
    case 'percona-new':
    case 'percona-old':
      return new XmlScanner(opts, format);
    case 'json':
    case 'percona-json':
      return new JsonScanner(opts, format);
    case 'percona-csv':
      return new PerconaCsvScanner(opts);
  }
}

export interface AuditReaderOptions extends ScannerOptions {
  /** Skip detection and read as this format. */
  format?: FormatId;
}

/** How many first bytes of a stream are kept to give back its prologue. */
export const PROLOGUE_BYTES = 4096;

/**
 * Push engine for one input: buffers the first bytes until the format is
 * known, then feeds its scanner.
 */
export class AuditReader {
  private scanner: Scanner | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly opts: AuditReaderOptions;
  /** The first bytes of the stream (up to PROLOGUE_BYTES), for the prologue. */
  private start: Buffer = Buffer.alloc(0);

  constructor(opts: AuditReaderOptions = {}) {
    this.opts = opts;
    if (opts.format) this.scanner = createScanner(opts.format, opts);
  }

  /** The detected format, once known. */
  get format(): FormatId | undefined {
    return this.scanner?.format;
  }
  /** Whether the input ended with its format's footer; null when the format has none. */
  get complete(): boolean | null {
    return this.scanner ? this.scanner.complete : null;
  }
  get bytesRead(): number {
    return this.scanner ? this.scanner.bytesRead : this.pendingBytes;
  }

  /**
   * The bytes before the record that starts at `offset` (e.g. an XML file's
   * `<?xml ...?>\n<AUDIT>\n`), when they are among the first PROLOGUE_BYTES.
   */
  prologue(offset: number): Buffer | undefined {
    return offset <= this.start.length ? this.start.subarray(0, offset) : undefined;
  }

  push(chunk: Uint8Array): ScanItem[] {
    if (this.start.length < PROLOGUE_BYTES) {
      const c = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, PROLOGUE_BYTES - this.start.length));
      this.start = Buffer.concat([this.start, c]);
    }
    if (this.scanner) return this.scanner.push(chunk);
    // A copy: the caller may reuse its chunk once push() returns.
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.byteLength;
    const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [head];
    const fmt = detectFormat(head, false, this.opts.file);
    if (fmt === null) return [];
    this.pending = [];
    this.scanner = createScanner(fmt, this.opts);
    return this.scanner.push(head);
  }

  end(): ScanItem[] {
    if (!this.scanner) {
      const head = Buffer.concat(this.pending);
      this.pending = [];
      // Nothing but blanks (an empty file, or a crashed layer that held nothing): no records, no format.
      if (/^(\ufeff)?\s*$/.test(head.toString('utf8'))) return [];
      const fmt = detectFormat(head, true, this.opts.file)!;
      this.scanner = createScanner(fmt, this.opts);
      const items = this.scanner.push(head);
      return items.concat(this.scanner.end());
    }
    return this.scanner.end();
  }
}

/** Where bytes come from: a path (`-` is stdin), bytes, or a stream of chunks. */
export type Source = string | Uint8Array | AsyncIterable<Uint8Array>;

export interface ReadOptions extends AuditReaderOptions {
  /**
   * What a malformed record does: `throw` (default) stops with its error;
   * `skip` passes it to `onProblem` and reads on.
   */
  onError?: 'throw' | 'skip';
  /**
   * Called for every problem that does not stop reading: malformed records
   * (with `skip`), a truncated last record, text outside records, truncated input layers.
   */
  onProblem?: (err: AuditLogError) => void;
  /** Read block size in bytes. Defaults to 1 MiB. */
  blockSize?: number;
  /** Password of an encrypted input (`Salted__`). Without one, an encrypted input is MISSING_PASSWORD. */
  password?: PasswordSource;
  /** Read the bytes as they are, without looking for gzip or AES layers. */
  noLayers?: boolean;
}

export const DEFAULT_BLOCK_SIZE = 1 << 20;
/** Bytes handed to a scanner at a time (see batches()). */
const SCAN_SLICE = 128 * 1024;

/**
 * A file's bytes in blocks, read into two buffers that take turns: the next
 * block is read while the current one is being used, and no new memory is
 * allocated per block (1 MiB blocks allocated afresh were garbage the GC
 * reclaimed late: about 60 MiB of resident memory). A block is valid until
 * the next one is asked for.
 */
async function* readFileBlocks(path: string, blockSize: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  let pending: Promise<{ bytesRead: number }> | undefined;
  try {
    const bufs = [Buffer.allocUnsafeSlow(blockSize), Buffer.allocUnsafeSlow(blockSize)];
    let k = 0;
    pending = fh.read(bufs[0]!, 0, blockSize, null);
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      const cur = bufs[k]!;
      k ^= 1;
      pending = fh.read(bufs[k]!, 0, blockSize, null);
      yield cur.subarray(0, bytesRead);
    }
  } finally {
    await pending?.catch(() => undefined);
    await fh.close();
  }
}

/**
 * The bytes of a source, as an async iterable of chunks. I/O errors become
 * IO_ERROR. For a path, a chunk is only valid until the next one is asked for.
 */
export async function* readBytes(src: Source, file: string, blockSize = DEFAULT_BLOCK_SIZE): AsyncIterable<Uint8Array> {
  if (src instanceof Uint8Array) {
    yield src;
    return;
  }
  const stream: AsyncIterable<Uint8Array> = typeof src === 'string' ? (src === '-' ? process.stdin : readFileBlocks(src, blockSize)) : src;
  try {
    yield* stream;
  } catch (e) {
    if (e instanceof AuditLogError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new AuditLogError('IO_ERROR', err.code ? `${err.code}: ${err.message}` : String(err.message ?? err), {
      stage: 'read',
      file,
      recoverable: false,
    }, { cause: e });
  }
}

/**
 * The entries of one audit log, as an async iterable; after iteration its
 * `format`, `complete` and `bytesRead` describe the input.
 */
export class AuditLogReader implements AsyncIterable<Entry> {
  readonly file: string;
  private readonly engine: AuditReader;
  private readonly src: Source;
  private readonly opts: ReadOptions;
  /** Input layers found (outermost first), once reading started. */
  layers: LayerId[] = [];
  /** Offset of the first record (entry or problem), once seen. */
  private firstOffset: number | undefined;
  /** Bytes of the input itself (the file on disk, before any layer) read so far. */
  inputBytesRead = 0;

  constructor(src: Source, opts: ReadOptions = {}) {
    this.file = opts.file ?? (typeof src === 'string' ? src : '-');
    this.src = src;
    this.opts = opts;
    this.engine = new AuditReader({ ...opts, file: this.file });
  }

  get format(): FormatId | undefined {
    return this.engine.format;
  }
  get complete(): boolean | null {
    return this.engine.complete;
  }
  get bytesRead(): number {
    return this.engine.bytesRead;
  }

  /**
   * The bytes before the first record (an XML header such as
   * `<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n`), once it was read;
   * the whole input when it holds no record and is short.
   */
  get prologue(): Buffer | undefined {
    return this.engine.prologue(this.firstOffset ?? this.engine.bytesRead);
  }

  /**
   * The entries in batches (those one input block completes). Cheaper than
   * one async step per entry; `for await (const e of reader)` is built on it.
   */
  async *batches(): AsyncGenerator<Entry[], void, undefined> {
    const skip = this.opts.onError === 'skip';
    const onProblem = this.opts.onProblem;
    let stop: AuditLogError | undefined;
    const sift = (items: ScanItem[]): Entry[] => {
      const out: Entry[] = [];
      if (this.firstOffset === undefined && items.length) {
        const first = items.find((i) => !(i instanceof AuditLogError) || i.ctx.index !== undefined);
        if (first) this.firstOffset = first instanceof AuditLogError ? first.ctx.offset : first.at.offset;
      }
      for (const it of items) {
        if (!(it instanceof AuditLogError)) out.push(it);
        else if (it.code === 'MALFORMED_RECORD' && !skip) {
          stop = it;
          break;
        } else onProblem?.(it);
      }
      return out;
    };
    let bytes: AsyncIterable<Uint8Array> = this.countInput(readBytes(this.src, this.file, this.opts.blockSize));
    if (!this.opts.noLayers) {
      const opened = await openLayers(bytes, { file: this.file, password: this.opts.password, onNotice: (e) => onProblem?.(e) });
      this.layers = opened.layers;
      bytes = opened.stream;
    }
    for await (const chunk of bytes) {
      // Blocks are read whole but scanned in slices: smaller batches die young,
      // which keeps the heap (and resident memory) small.
      for (let i = 0; i < chunk.length; i += SCAN_SLICE) {
        const batch = sift(this.engine.push(chunk.subarray(i, i + SCAN_SLICE)));
        if (batch.length) yield batch;
        if (stop) throw stop;
      }
    }
    const batch = sift(this.engine.end());
    if (batch.length) yield batch;
    if (stop) throw stop;
  }

  private async *countInput(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of src) {
      this.inputBytesRead += chunk.length;
      yield chunk;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Entry> {
    for await (const batch of this.batches()) yield* batch;
  }
}

/** Read one audit log. See AuditLogReader. */
export function readAuditLog(src: Source, opts: ReadOptions = {}): AuditLogReader {
  return new AuditLogReader(src, opts);
}

/** Parse a whole in-memory log synchronously: entries and problems in input order. */
export function parseAll(bytes: Uint8Array, opts: AuditReaderOptions = {}): ScanItem[] {
  const r = new AuditReader(opts);
  return [...r.push(bytes), ...r.end()];
}
