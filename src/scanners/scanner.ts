/**
 * Base of the synchronous push scanners: bytes in, entries (and problems) out.
 * A scanner keeps the unfinished tail of the input between pushes and tracks
 * absolute byte offsets and record numbers; subclasses find records in bytes.
 *
 *   const s = new NewXmlScanner({ file: 'audit.log' });
 *   for (const item of [...s.push(chunk1), ...s.push(chunk2), ...s.end()]) ...
 */
import type { AuditEvent, Entry, FormatId } from '../entry.js';
import { asBuffer } from '../bytes.js';
import { AuditLogError, type AuditLogErrorCode } from '../errors.js';
import { createIdSequencer, type IdSequencer } from '../mapping.js';

/** What a scanner hands back: a record, or a problem at a position. */
export type ScanItem = Entry | AuditLogError;

export interface ScannerOptions {
  /** File name used in positions and errors. Defaults to `-`. */
  file?: string;
  /**
   * Keep each record's original bytes in `Entry.raw` (for same-format
   * pass-through). Defaults to true. A function decides once the format is known.
   */
  keepRaw?: boolean | ((format: FormatId) => boolean);
  /**
   * Longest record kept whole, in bytes. A record still open past it is
   * reported as MALFORMED_RECORD and its rest is skipped as text outside
   * records, so memory stays bounded whatever the input. Defaults to 64 MiB.
   */
  maxRecordBytes?: number;
  /**
   * Decoded-stream offset of the first byte pushed, when scanning starts inside
   * a document at a record boundary (see boundary.ts). Defaults to 0.
   */
  startOffset?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** The push interface every format scanner implements. */
export interface Scanner {
  readonly format: FormatId;
  /**
   * Feed the next bytes. Returns the records and problems they complete, in
   * input order. The scanner keeps no reference to `chunk` after it returns.
   */
  push(chunk: Uint8Array): ScanItem[];
  /** No more input: returns what the tail holds (a torn last record is a TRUNCATED_RECORD problem). */
  end(): ScanItem[];
  /** True when the input ended with the format's footer (`</AUDIT>`, `]`); null when the format has none. */
  readonly complete: boolean | null;
  /** Bytes consumed so far (the decoded stream's length once `end()` returned). */
  readonly bytesRead: number;
}

const EMPTY = Buffer.alloc(0);

/** Length of a UTF-8 byte order mark at the start of `buf` (0 if none), or -1 when more input is needed to tell. */
export function bomLength(buf: Buffer, final: boolean): number {
  const m = [0xef, 0xbb, 0xbf];
  for (let i = 0; i < 3; i++) {
    if (i >= buf.length) return final ? 0 : -1;
    if (buf[i] !== m[i]) return 0;
  }
  return 3;
}

export function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Shared machinery: carry buffer, absolute offsets, record numbering, junk
 * tracking (non-record bytes between records are reported once per stretch
 * as UNEXPECTED_DATA, never silently dropped), and the per-second `id` sequencer.
 */
export abstract class ByteScanner implements Scanner {
  abstract readonly format: FormatId;
  readonly file: string;
  protected readonly keepRaw: boolean;
  /** Unconsumed bytes; `base` is the absolute offset of carry[0]. */
  private carry: Buffer = EMPTY;
  /** Work buffer where the carry and the next chunk are joined. */
  private scratch: Buffer = EMPTY;
  protected base = 0;
  protected index = 0;
  protected out: ScanItem[] = [];
  protected ids: IdSequencer = createIdSequencer();
  /** Start and end of a pending stretch of unexpected non-whitespace bytes (absolute), or -1. */
  private junkStart = -1;
  private junkEnd = -1;
  protected footerSeen = false;
  private ended = false;
  /** Whether carry[0] starts a line (stream start, or the byte before it is LF). */
  private lineStartAtBase = true;
  /** Line-based formats: the rest of a junk line is still being skipped. */
  private inJunkLine = false;

  protected readonly maxRecordBytes: number;

  constructor(opts: ScannerOptions = {}) {
    this.file = opts.file ?? '-';
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.base = opts.startOffset ?? 0;
    this.keepRaw = typeof opts.keepRaw === 'function' ? true : (opts.keepRaw ?? true);
  }

  get complete(): boolean | null {
    return this.footerSeen;
  }

  get bytesRead(): number {
    return this.base + this.carry.length;
  }

  push(chunk: Uint8Array): ScanItem[] {
    if (this.ended) throw new Error('push() after end()');
    if (chunk.length === 0) return [];
    const c = asBuffer(chunk);
    let buf = c;
    if (this.carry.length !== 0) {
      // Join the carried tail and the chunk in a work buffer that is reused from
      // push to push: a fresh buffer each time is garbage the GC sees late
      // (external memory), and it showed as tens of MiB of resident memory.
      const need = this.carry.length + c.length;
      if (this.scratch.length < need) this.scratch = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.scratch.length, 64 * 1024));
      this.carry.copy(this.scratch, 0);
      c.copy(this.scratch, this.carry.length);
      buf = this.scratch.subarray(0, need);
    }
    this.run(buf, false);
    return this.take();
  }

  end(): ScanItem[] {
    if (this.ended) return [];
    this.ended = true;
    this.run(this.carry, true);
    this.flushJunk();
    return this.take();
  }

  private run(buf: Buffer, final: boolean): void {
    const used = this.scan(buf, final);
    if (used > 0) this.lineStartAtBase = buf[used - 1] === 0x0a;
    const rest = buf.length - used;
    if (rest === 0) this.carry = EMPTY;
    else if (rest >= buf.length >>> 2 && this.scratch.length !== 0 && buf.buffer === this.scratch.buffer) {
      // A large tail (a long record still open) in the work buffer: that buffer
      // becomes the carry's (no copy) and a new one is made next time.
      this.carry = buf.subarray(used);
      this.scratch = EMPTY;
    } else {
      // Otherwise copy: the caller may reuse its chunk once push() returns.
      this.carry = Buffer.from(buf.subarray(used));
    }
    this.base += used;
    if (!final && this.carry.length > this.maxRecordBytes) {
      // Scanners keep their pending state keyed by the record's start offset,
      // so dropping the carry leaves nothing stale behind.
      this.problem('MALFORMED_RECORD', `record longer than ${this.maxRecordBytes} bytes: skipped`, 0, this.carry.length);
      this.base += this.carry.length;
      this.carry = EMPTY;
      this.lineStartAtBase = false;
    }
  }

  private take(): ScanItem[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /**
   * Find records in `buf` (whose first byte is at absolute offset `this.base`)
   * and return how many bytes were consumed. Unconsumed bytes come back at the
   * front of the next call. With `final`, everything must be consumed.
   */
  protected abstract scan(buf: Buffer, final: boolean): number;

  /** Mark bytes [from, to) of `buf` as skipped: whitespace is fine, anything else is junk. */
  protected skip(buf: Buffer, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      if (!isWhitespace(buf[i]!)) {
        let j = to;
        while (j > i && isWhitespace(buf[j - 1]!)) j--;
        if (this.junkStart < 0) this.junkStart = this.base + i;
        this.junkEnd = this.base + j;
        // Text after the footer means the input does not end with it.
        this.footerSeen = false;
        return;
      }
    }
  }

  /** Report the pending junk stretch, if any. Called before each record and at the end. */
  protected flushJunk(): void {
    if (this.junkStart < 0) return;
    const n = this.junkEnd - this.junkStart;
    this.out.push(
      new AuditLogError('UNEXPECTED_DATA', `${n} byte${n === 1 ? '' : 's'} of text outside any record skipped`, {
        stage: 'frame',
        file: this.file,
        offset: this.junkStart,
        end: this.junkEnd,
        recoverable: true,
      }),
    );
    this.junkStart = this.junkEnd = -1;
  }

  /** Emit a record spanning buf[start, end) with its event. */
  protected emit(buf: Buffer, start: number, end: number, event: AuditEvent, format: FormatId = this.format): void {
    this.flushJunk();
    this.footerSeen = false;
    const entry: Entry = {
      event,
      format,
      at: { file: this.file, offset: this.base + start, end: this.base + end, index: this.index++ },
    };
    if (this.keepRaw) entry.raw = Buffer.from(buf.subarray(start, end));
    this.out.push(entry);
  }

  /** Report a bad record spanning buf[start, end); it takes a record number. */
  protected problem(code: AuditLogErrorCode, detail: string, start: number, end: number): void {
    this.flushJunk();
    this.footerSeen = false;
    this.out.push(
      new AuditLogError(code, detail, {
        stage: code === 'TRUNCATED_RECORD' ? 'frame' : 'parse',
        file: this.file,
        offset: this.base + start,
        end: this.base + end,
        index: this.index++,
        recoverable: true,
      }),
    );
  }

  /**
   * Extend a record spanning buf[start, end) to whole lines: its indent (when
   * only blanks precede it on its line) and the rest of its line up to and
   * including the LF (when only blanks follow). Returns null when more input is
   * needed to tell. Keeps same-format pass-through byte-exact.
   */
  protected lineExtent(buf: Buffer, start: number, end: number, final: boolean): [number, number] | null {
    let s = start;
    while (s > 0 && (buf[s - 1] === 0x20 || buf[s - 1] === 0x09)) s--;
    if (s > 0 ? buf[s - 1] !== 0x0a : !this.lineStartAtBase) s = start;
    let e = end;
    while (e < buf.length && (buf[e] === 0x20 || buf[e] === 0x09 || buf[e] === 0x0d)) e++;
    if (e >= buf.length) return final ? [s, buf.length] : null;
    if (buf[e] === 0x0a) return [s, e + 1];
    return [s, end];
  }

  /** Start of the range of a record whose first byte is at `s`: back over its indent when only blanks precede it on its line. */
  protected lineStart(buf: Buffer, s: number): number {
    return s > 0 && buf[s - 1] === 0x0a ? s : this.lineExtent(buf, s, s, true)![0];
  }

  /**
   * Where to cut when waiting for more input before position `pos`: before the
   * blanks that precede pos (a record's indent stays with it), never before `from`.
   */
  protected holdFrom(buf: Buffer, from: number, pos: number): number {
    // Only blanks before pos can be a record's indent: everything else is consumed,
    // so a long line without records is never carried from push to push.
    let h = pos;
    while (h > from && (buf[h - 1] === 0x20 || buf[h - 1] === 0x09)) h--;
    return h;
  }

  /**
   * For line-based formats (JSON, CSV): where scanning of `buf` starts, past a
   * byte order mark at the stream's start and past the rest of a junk line
   * left from the previous call. Returns -1 when more input is needed to tell.
   */
  protected lineScanStart(buf: Buffer, final: boolean): number {
    let p = 0;
    if (this.base === 0) {
      // A UTF-8 byte order mark (editors add one) is not junk.
      const bom = bomLength(buf, final);
      if (bom < 0) return -1;
      p = bom;
    }
    return this.inJunkLine ? this.skipJunkLine(buf, p, final) : p;
  }

  /**
   * Text outside any record at `i`: skip (and report) the rest of its line.
   * Returns where scanning goes on (buf.length when the line goes on past it).
   */
  protected skipJunkLine(buf: Buffer, i: number, final: boolean): number {
    const nl = buf.indexOf(0x0a, i);
    if (nl < 0) {
      this.skip(buf, i, buf.length);
      this.inJunkLine = !final;
      return buf.length;
    }
    this.skip(buf, i, nl);
    this.inJunkLine = false;
    return nl + 1;
  }
}
