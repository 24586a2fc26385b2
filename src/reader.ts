/**
 * Reading: detect the format from the first bytes, then hand the bytes to that
 * format's scanner. A synchronous push engine (`AuditReader`) and an async
 * iterable over a path, a stream or bytes (`readAuditLog`).
 *
 *   const log = readAuditLog('audit.log', { onError: 'skip', onProblem: (e) => console.error(e.message) });
 *   for await (const entry of log) console.log(entry.at.index, entry.event.timestamp);
 *   console.log(log.format, log.complete);
 */
import { detectFormat, SNIFF_BYTES } from './detect.js';
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { IdStage } from './ids.js';
import { openInput, type Input, type LayerParams, type Source } from './input.js';
import type { LayerId, PasswordSource } from './layers/index.js';
import { problem } from './problems.js';
import { findBoundary, NEED_MORE } from './scanners/boundary.js';
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
  /**
   * Start inside the document: the first byte pushed is at this decoded offset
   * (> 0), anywhere in a record. Bytes up to the next record boundary are
   * skipped without being reported (they belong to a record before the start).
   * Needs `format`. The byte just before the offset is expected first, as
   * context (whether the wanted start is a line start).
   */
  inside?: number;
}

/** A record longer than this while looking for the first boundary inside a document is given up on. */
const MAX_SKIP = 64 * 1024 * 1024;

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
    if (opts.format && !opts.inside) this.scanner = createScanner(opts.format, opts);
    if (opts.inside && !opts.format) throw new Error('AuditReader: inside needs format');
  }

  /** The detected format, once known. */
  get format(): FormatId | undefined {
    return this.scanner?.format;
  }
  /** Whether the input ended with its format's footer; null when the format has none. */
  get complete(): boolean | null {
    return this.scanner ? this.scanner.complete : null;
  }
  /** Bytes consumed so far, as an offset in the decoded stream. */
  get bytesRead(): number {
    return this.scanner ? this.scanner.bytesRead : (this.opts.inside ? this.opts.inside - 1 : 0) + this.pendingBytes;
  }
  /** Records seen so far holding bytes that are not UTF-8 (the scanner reports them at the end). */
  get invalidUtf8Records(): number {
    return this.scanner?.invalidUtf8Records ?? 0;
  }

  /**
   * The bytes before the record that starts at `offset` (e.g. an XML file's
   * `<?xml ...?>\n<AUDIT>\n`), when they are among the first PROLOGUE_BYTES.
   */
  prologue(offset: number): Buffer | undefined {
    if (this.opts.inside) return undefined;
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
    if (this.opts.inside) return this.enterInside(head, false);
    const fmt = detectFormat(head, false, this.opts.file);
    if (fmt === null) return [];
    this.pending = [];
    this.scanner = createScanner(fmt, this.opts);
    return this.scanner.push(head);
  }

  /** Starting inside: skip to the first record boundary (context byte first), then scan from it. */
  private enterInside(buf: Buffer, final: boolean): ScanItem[] {
    const b = findBoundary(this.opts.format!, buf, 1, final || buf.length > MAX_SKIP);
    if (b === NEED_MORE) return [];
    this.pending = [];
    const startOffset = this.opts.inside! - 1 + b;
    this.scanner = createScanner(this.opts.format!, { ...this.opts, startOffset });
    const items = b < buf.length ? this.scanner.push(buf.subarray(b)) : [];
    return final ? items.concat(this.scanner.end()) : items;
  }

  end(): ScanItem[] {
    if (!this.scanner && this.opts.inside) return this.enterInside(Buffer.concat(this.pending), true);
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

export type { Source } from './input.js';
export { readBytes, DEFAULT_BLOCK_SIZE } from './input.js';

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
  /**
   * Read only this range of the decoded stream: from the first record boundary
   * at or after `start` (what comes before it is skipped, not reported), up to
   * `end` (exclusive; default the end). Cheap for plain and AES files
   * (addressable), done by reading and dropping bytes for the others.
   *
   * `until`: read the records (and problems) that start before this offset as a
   * read of the whole input reports them: bytes past it are read only as far as
   * finishing those needs, and reading stops at the first record or problem
   * that starts at or after it (`stoppedAt`), without the end of the input (no
   * footer, torn tail or end-of-input notice is looked for). For one part of
   * an input cut at record boundaries (src/parallel/plan.ts).
   */
  range?: { start: number; end?: number; until?: number };
  /** An input already opened (its layers' keys derived once), read instead of opening the source again. */
  input?: Input;
  /** The id stage to number events with (to carry its state across files); a fresh one by default. */
  ids?: IdStage;
  /** Told what the input edge learned, before the first entry (or at the end when there is none). */
  onStart?: (info: InputInfo) => void;
  /** Told what the input edge saw, once the input was read to its end. */
  onEnd?: (seen: InputSeen) => void;
}

/** What an input is: told before its first entry. */
export interface InputInfo extends LayerParams {
  file: string;
  format: FormatId | undefined;
  /** The bytes before the first record (the XML header), when known. */
  prologue: Buffer | undefined;
  /** Whether the input can be read from any offset without reading what is before. */
  addressable: boolean;
  /** Length of the decoded stream, when addressable. */
  size: number | undefined;
}

/** What reading an input saw: told at its end. */
export interface InputSeen {
  file: string;
  /** Ended with the format's footer; null for formats without one. */
  complete: boolean | null;
  /** Offset where reading stopped in the decoded stream (its length, when read from start to end). */
  bytes: number;
  /** Bytes read from the file or stream (before the layers). */
  bytesIn: number;
  /** End of the last complete record, or null when there was none. */
  lastGood: number | null;
}

/** Bytes handed to a scanner at a time (see batches()). */
const SCAN_SLICE = 128 * 1024;
/** Bytes past `range.until` handed to a scanner first (then twice as many each time). */
const UNTIL_STEP = 1024;

/**
 * The entries of one audit log, as an async iterable; after iteration its
 * `format`, `complete` and `bytesRead` describe the input.
 */
export class AuditLogReader implements AsyncIterable<Entry> {
  readonly file: string;
  private engine: AuditReader;
  private readonly src: Source;
  private readonly opts: ReadOptions;
  /** Input layers found (outermost first), once reading started. */
  layers: LayerId[] = [];
  /** Offset of the first record (entry or problem), once seen. */
  private firstOffset: number | undefined;
  /** With `range.until`: where the first record or problem at or after it starts, once reading stopped there. */
  stoppedAt: number | undefined;
  /** Offset of the first record or problem read (the start of a range, when it starts at a record boundary). */
  get firstItemOffset(): number | undefined {
    return this.firstOffset;
  }
  /** Records read so far holding bytes that are not UTF-8. */
  get invalidUtf8Records(): number {
    return this.engine.invalidUtf8Records;
  }
  /** The input edge, once reading started. */
  input: Input | undefined;
  /** Bytes of the input itself (the file on disk, before any layer) read so far. */
  get inputBytesRead(): number {
    return this.input?.bytesIn ?? 0;
  }
  /** The first bytes of the stream, when reading started inside it. */
  private head: Buffer | undefined;
  private readonly ids: IdStage;

  constructor(src: Source, opts: ReadOptions = {}) {
    this.file = opts.file ?? (typeof src === 'string' ? src : '-');
    this.src = src;
    this.opts = opts;
    this.engine = new AuditReader({ ...opts, file: this.file });
    this.ids = opts.ids ?? new IdStage();
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
    if (this.head) return prologueOf(this.head, this.format);
    return this.engine.prologue(this.firstOffset ?? this.engine.bytesRead);
  }

  private info(): InputInfo {
    const i = this.input!;
    return { file: this.file, ...i.params, format: this.format, prologue: this.prologue, addressable: i.addressable, size: i.size };
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
        else if (problem(it.code).stops === 'always' || (problem(it.code).stops === 'unless-skip' && !skip)) {
          stop = it;
          break;
        } else onProblem?.(it);
      }
      return out;
    };
    let lastGood: number | null = null;
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      this.opts.onStart?.(this.info());
    };
    const input = this.opts.input ?? await openInput(this.src, { file: this.file, password: this.opts.password, noLayers: this.opts.noLayers, blockSize: this.opts.blockSize, onNotice: (e) => onProblem?.(e) });
    this.input = input;
    this.layers = input.params.layers;
    const range = this.opts.range;
    let bytes: AsyncIterable<Uint8Array>;
    if (range && range.start > 0) {
      // Inside the document: the format comes from the head, then bytes from the byte before start.
      let format = this.opts.format;
      if (!format) {
        const head = await collect(input.slice(0, Math.min(SNIFF_BYTES, range.start)));
        this.layers = input.params.layers;
        this.head = head;
        const f = detectFormat(head, head.length < SNIFF_BYTES, this.file);
        if (f === null) throw new Error('unreachable: detection with the whole head');
        format = f;
      }
      this.engine = new AuditReader({ ...this.opts, file: this.file, format, inside: range.start });
      bytes = input.slice(range.start - 1, range.end);
    } else bytes = range?.end !== undefined ? input.slice(0, range.end) : input.stream();
    const ids = this.ids;
    const until = range?.until;
    const emit = (items: ScanItem[]): Entry[] => {
      if (until !== undefined) {
        const k = items.findIndex((it) => (it instanceof AuditLogError ? (it.ctx.offset ?? -1) : it.at.offset) >= until);
        if (k >= 0) {
          const it = items[k]!;
          this.stoppedAt = it instanceof AuditLogError ? it.ctx.offset : it.at.offset;
          items = items.slice(0, k);
        }
      }
      const b = sift(items);
      for (const e of b) ids.assign(e);
      if (b.length) {
        lastGood = b[b.length - 1]!.at.end;
        this.layers = input.params.layers;
        start();
      }
      return b;
    };
    // Decoded offset of the next byte pushed, and (past `until`) how much to push at a time:
    // little at first, so that what is scanned beyond `until` is about the record that ends there.
    let at = range && range.start > 0 ? range.start - 1 : 0;
    let past = UNTIL_STEP;
    for await (const chunk of bytes) {
      // Blocks are read whole but scanned in slices: smaller batches die young,
      // which keeps the heap (and resident memory) small.
      for (let i = 0; i < chunk.length; ) {
        let n = Math.min(SCAN_SLICE, chunk.length - i);
        if (until !== undefined && at + n > until) {
          n = at < until ? until - at : Math.min(n, past);
          if (at >= until) past = Math.min(SCAN_SLICE, 2 * past);
        }
        const batch = emit(this.engine.push(chunk.subarray(i, i + n)));
        i += n;
        at += n;
        if (batch.length) yield batch;
        if (stop) throw stop;
        if (this.stoppedAt !== undefined) break;
      }
      if (this.stoppedAt !== undefined) {
        start();
        return;
      }
    }
    this.layers = input.params.layers;
    const batch = emit(this.engine.end());
    if (batch.length) yield batch;
    if (stop) throw stop;
    start();
    this.opts.onEnd?.({ file: this.file, complete: this.complete, bytes: this.bytesRead, bytesIn: input.bytesIn, lastGood });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Entry> {
    for await (const batch of this.batches()) yield* batch;
  }
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** The bytes before the first record boundary of a stream's head (its header), when the head holds one. */
export function prologueOf(head: Buffer, format: FormatId | undefined): Buffer | undefined {
  if (!format) return undefined;
  const b = findBoundary(format, head, 0, true);
  return b < head.length ? head.subarray(0, b) : undefined;
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
