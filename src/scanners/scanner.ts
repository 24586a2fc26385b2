/**
 * Base of the synchronous push scanners: bytes in, entries (and problems) out.
 * A scanner keeps the unfinished tail of the input between pushes and tracks
 * absolute byte offsets and record numbers; subclasses find records in bytes.
 *
 *   const s = new NewXmlScanner({ file: 'audit.log' });
 *   for (const item of [...s.push(chunk1), ...s.push(chunk2), ...s.end()]) ...
 */
import { isUtf8 } from 'node:buffer';
import type { AuditEvent, Entry, FormatId } from '../entry.js';
import { asBuffer } from '../bytes.js';
import { AuditLogError, type AuditLogErrorCode } from '../errors.js';
import { createIdSequencer, type IdSequencer } from '../mapping.js';
import { createZoneConverter } from '../timezone.js';
import { RawBlocks, type LeanOptions } from './frame.js';

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
   * The zone of timestamps written in the server's local time (IANA name or `+hh:mm`):
   * they are converted to UTC on read, before the per-second ids are assigned. Without it
   * they stay local and the entry says so (`timeZone: 'local'`).
   */
  sourceTz?: string;
  /**
   * Decoded-stream offset of the first byte pushed, when scanning starts inside
   * a document at a record boundary (see boundary.ts). Defaults to 0.
   */
  startOffset?: number;
  /**
   * Read records lean: framed and checked without building their events (see
   * frame.ts). The entries and problems are the ones the full parse gives; an
   * entry's event holds only `timestamp` (JSON also `id`) and `lean.paths`.
   * A function decides once the format is known (createScanner), as for keepRaw.
   */
  lean?: LeanOptions | ((format: FormatId) => LeanOptions | undefined);
  /**
   * Read records in the plain shape servers write (XML NEW and OLD: ASCII, known fields
   * once each, no nesting) by a byte-level fast path, with the same result as the full
   * parser; every other record, and every problem, is the full parser's. On by default:
   * `false` parses every record in full (tests compare the two).
   */
  plainShape?: boolean;
}

export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Longest indent (blanks before a record on its line) kept with a record, in bytes. */
const MAX_INDENT = 4096;

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
  /** Records holding bytes that are not UTF-8 so far (reported once, at `end()`). */
  readonly invalidUtf8Records?: number;
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

/** Offset (from `start`) of the first byte of buf[start, end) that is not part of valid UTF-8. */
export function firstInvalidUtf8(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = buf[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0 || i + n >= end + (n === 0 ? 1 : 0)) return i - start;
    if (n > 0 && !isUtf8(buf.subarray(i, i + n + 1))) return i - start;
    i += n + 1;
  }
  return end - start;
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
  /** See ScannerOptions.plainShape. */
  protected readonly plainShape: boolean;
  /**
   * Unconsumed bytes, kept in `store[head, tail)`; `base` is the absolute offset of
   * store[head]. New input is appended after them, so carried bytes are never copied
   * again per push (a long record or a run of blanks costs what its bytes cost): the
   * store grows by doubling and is compacted only when its free end runs out.
   */
  private store: Buffer = EMPTY;
  private head = 0;
  private tail = 0;
  protected base = 0;
  protected index = 0;
  protected out: ScanItem[] = [];
  protected ids: IdSequencer = createIdSequencer();
  /** Start and end of a pending stretch of unexpected non-whitespace bytes (absolute), or -1. */
  private junkStart = -1;
  private junkEnd = -1;
  /**
   * Inside a document: after its header (`<AUDIT>`, `[`) or a record, before its footer.
   * Bytes skipped there are a damaged record (SKIPPED_DATA, a data problem); before the
   * first header or after the footer they are only a notice (UNEXPECTED_DATA).
   */
  protected inDocument = false;
  private junkInDocument = false;
  protected footerSeen = false;
  private ended = false;
  /** Whether carry[0] starts a line (stream start, or the byte before it is LF). */
  private lineStartAtBase = true;
  /** Line-based formats: the rest of a junk line is still being skipped. */
  private inJunkLine = false;

  protected readonly maxRecordBytes: number;
  /** Lean reading (see ScannerOptions.lean), and the copies its entries' bytes are views into. */
  protected readonly lean: LeanOptions | undefined;
  protected readonly blocks: RawBlocks | undefined;
  /** Local wall-clock time -> UTC, with `sourceTz`. */
  protected readonly toUtc: ((wall: string) => string) | undefined;

  constructor(opts: ScannerOptions = {}) {
    this.file = opts.file ?? '-';
    this.toUtc = opts.sourceTz === undefined ? undefined : createZoneConverter(opts.sourceTz);
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.base = opts.startOffset ?? 0;
    this.keepRaw = typeof opts.keepRaw === 'function' ? true : (opts.keepRaw ?? true);
    // A function is decided by createScanner, which knows the format; left undecided, nothing is read lean.
    this.lean = typeof opts.lean === 'function' ? undefined : opts.lean;
    this.blocks = this.lean ? new RawBlocks() : undefined;
    this.plainShape = opts.plainShape ?? true;
  }

  get complete(): boolean | null {
    return this.footerSeen;
  }

  get bytesRead(): number {
    return this.base + (this.tail - this.head);
  }

  push(chunk: Uint8Array): ScanItem[] {
    if (this.ended) throw new Error('push() after end()');
    if (chunk.length === 0) return [];
    const c = asBuffer(chunk);
    if (this.tail === this.head) {
      // Nothing carried: scan the chunk itself, and keep only its rest.
      this.run(c, false, false);
    } else {
      this.append(c);
      this.run(this.store.subarray(this.head, this.tail), false, true);
    }
    return this.take();
  }

  /** Put `c` after the carried bytes. */
  private append(c: Buffer): void {
    const len = this.tail - this.head;
    const need = len + c.length;
    if (this.tail + c.length > this.store.length) {
      if (need > this.store.length >>> 1) {
        // Grow (doubling): each carried byte is copied O(1) times on average.
        const next = Buffer.allocUnsafeSlow(Math.max(2 * need, 64 * 1024));
        this.store.copy(next, 0, this.head, this.tail);
        this.store = next;
      } else this.store.copyWithin(0, this.head, this.tail);
      this.head = 0;
      this.tail = len;
    }
    c.copy(this.store, this.tail);
    this.tail += c.length;
  }

  end(): ScanItem[] {
    if (this.ended) return [];
    this.ended = true;
    this.run(this.store.subarray(this.head, this.tail), true, true);
    this.flushJunk();
    if (this.badUtf8 > 0) {
      const n = this.badUtf8;
      this.out.push(
        new AuditLogError(
          'INVALID_UTF8',
          `${n} record${n === 1 ? '' : 's'} hold${n === 1 ? 's' : ''} bytes that are not UTF-8 (first at byte${this.badUtf8At.length === 1 ? '' : 's'} ${this.badUtf8At.join(', ')}): ` +
            'converted values show them as U+FFFD; conversion to the same format keeps the original bytes',
          { stage: 'parse', file: this.file, offset: this.badUtf8At[0]!, recoverable: true },
        ),
      );
    }
    return this.take();
  }

  /** Records holding invalid UTF-8, and the absolute offsets of the first few bad bytes. */
  private badUtf8 = 0;
  private readonly badUtf8At: number[] = [];

  get invalidUtf8Records(): number {
    return this.badUtf8;
  }

  /**
   * The text of buf[start, end). Invalid UTF-8 becomes U+FFFD in the text (a value must be
   * text), and is counted and reported once at the end (INVALID_UTF8), never silently.
   * The check runs only when the text holds U+FFFD, so valid input pays one native scan.
   */
  protected text(buf: Buffer, start: number, end: number): string {
    const s = buf.toString('utf8', start, end);
    if (s.indexOf('\ufffd') >= 0 && !isUtf8(buf.subarray(start, end))) this.countBadUtf8(buf, start, end);
    return s;
  }

  /** What text() notes about buf[start, end), without decoding it (a range from an ASCII byte to an ASCII byte; lean reading). */
  protected checkUtf8(buf: Buffer, start: number, end: number): void {
    if (!this.blocks!.utf8(buf, start, end)) this.countBadUtf8(buf, start, end);
  }

  private countBadUtf8(buf: Buffer, start: number, end: number): void {
    this.badUtf8++;
    if (this.badUtf8At.length < 5) this.badUtf8At.push(this.base + start + firstInvalidUtf8(buf, start, end));
  }

  /** Scan `buf` (the carried bytes, in the store, or a chunk); keep what it did not consume. */
  private run(buf: Buffer, final: boolean, inStore: boolean): void {
    this.blocks?.begin(buf);
    const used = this.scan(buf, final);
    if (used > 0) this.lineStartAtBase = buf[used - 1] === 0x0a;
    const rest = buf.length - used;
    if (inStore) {
      this.head += used;
      if (rest === 0) {
        this.head = this.tail = 0;
        // A store grown for a long record is not kept once it is empty.
        if (this.store.length > 4 * 1024 * 1024) this.store = EMPTY;
      }
    } else {
      // Copy: the caller may reuse its chunk once push() returns.
      this.head = this.tail = 0;
      if (rest > 0) this.append(buf.subarray(used));
    }
    this.base += used;
    if (!final && rest > this.maxRecordBytes) {
      // Scanners keep their pending state keyed by the record's start offset,
      // so dropping the carry leaves nothing stale behind.
      this.problem('MALFORMED_RECORD', `record longer than ${this.maxRecordBytes} bytes: skipped`, 0, rest);
      this.base += rest;
      this.head = this.tail = 0;
      this.store = EMPTY;
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
        if (this.junkStart < 0) {
          this.junkStart = this.base + i;
          this.junkInDocument = this.inDocument;
        }
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
    const inside = this.junkInDocument;
    const what = `${n} byte${n === 1 ? '' : 's'} (bytes ${this.junkStart}..${this.junkEnd})`;
    this.out.push(
      new AuditLogError(inside ? 'SKIPPED_DATA' : 'UNEXPECTED_DATA', inside ? `${what} between records are no record (a damaged record?): skipped` : `${what} of text outside any record skipped`, {
        stage: 'frame',
        file: this.file,
        offset: this.junkStart,
        end: this.junkEnd,
        recoverable: true,
      }),
    );
    this.junkStart = this.junkEnd = -1;
  }

  /**
   * Emit a record spanning buf[start, end) with its event. `zone`: whether its time is
   * local; `changed`: the event no longer says what the bytes say (a time converted to
   * UTC), so the bytes are not kept for pass-through.
   */
  protected emit(buf: Buffer, start: number, end: number, event: AuditEvent, format: FormatId = this.format, zone: 'utc' | 'local' = 'utc', changed = false): void {
    this.pushEntry(start, end, event, format, zone, this.keepRaw && !changed ? Buffer.from(buf.subarray(start, end)) : undefined);
  }

  /** emit() for a record read lean: its bytes are a view into a block copy (frame.ts), its event the lean one. */
  protected emitLean(buf: Buffer, start: number, end: number, event: AuditEvent, format: FormatId, zone: 'utc' | 'local'): void {
    this.pushEntry(start, end, event, format, zone, this.keepRaw ? this.blocks!.view(buf, start, end) : undefined);
  }

  private pushEntry(start: number, end: number, event: AuditEvent, format: FormatId, zone: 'utc' | 'local', raw: Uint8Array | undefined): void {
    this.flushJunk();
    this.footerSeen = false;
    this.inDocument = true;
    const entry: Entry = {
      event,
      format,
      at: { file: this.file, offset: this.base + start, end: this.base + end, index: this.index++ },
      timeZone: zone,
    };
    if (raw) entry.raw = raw;
    this.out.push(entry);
  }

  /** Report a bad record spanning buf[start, end); it takes a record number. */
  protected problem(code: AuditLogErrorCode, detail: string, start: number, end: number): void {
    this.flushJunk();
    this.footerSeen = false;
    this.inDocument = true;
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
    // At most MAX_INDENT of them: a longer run of blanks is consumed, not carried from push
    // to push (a record after it then starts at its first byte, not at its line's start).
    let h = pos;
    const stop = Math.max(from, pos - MAX_INDENT);
    while (h > stop && (buf[h - 1] === 0x20 || buf[h - 1] === 0x09)) h--;
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
