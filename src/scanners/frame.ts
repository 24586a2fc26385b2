/**
 * Lean reading: the options and the byte bookkeeping shared by the framing
 * walks (frame-xml.ts, frame-json.ts). A scanner given `lean` frames a record
 * and checks its bytes with a walk that decides everything the full parse
 * would decide about it (well formed or not, where it ends, its format, its
 * time zone), without building its event: the entry carries the record's bytes
 * and a lean event of a few members (`timestamp`, and the ones `paths` names).
 * A record the walk cannot vouch for (unusual markup, escapes where a value is
 * needed, a record cut by the end of the buffer) is parsed in full, so the
 * entries and problems are the ones the full parse gives.
 *
 *   const s = createScanner('new', { lean: { format: 'new', paths: ['account.user'] } });
 *   for (const e of s.push(bytes)) if (!(e instanceof AuditLogError)) out.write(e.raw!);
 *
 * Used for same-format conversion (src/convert.ts), where records pass through
 * as their bytes, and wherever only positions are wanted (src/rotate.ts).
 */
import { isUtf8 } from 'node:buffer';
import type { FormatId } from '../entry.js';

export interface LeanOptions {
  /** Only records of this format are read lean, the others in full (they are the ones converted). Absent: records of any format. */
  format?: FormatId;
  /**
   * Event paths the lean event must hold with the values the full event has
   * (`account.user`, `general_data.query`: one or two keys, see filterPaths in
   * src/filter.ts). `timestamp` is always there, and for JSON `id`.
   */
  paths?: readonly string[];
}

/** The bytes of one lean entry are a view into a copy of at least this many bytes of the scanned buffer. */
const BLOCK = 256 * 1024;

/**
 * Per scanned buffer: the copies lean entries' bytes are views into (one copy
 * per block, not one per record: copying 500 bytes through Buffer.from cost
 * more than framing them, 2026-12-01), and how much of the buffer is valid UTF-8.
 * `begin` is called before each scan, since a caller may reuse its buffer.
 */
export class RawBlocks {
  private src: Buffer | undefined;
  private block: Uint8Array | undefined;
  private blockStart = 0;
  /** buf[0, validTo) is known to be valid UTF-8, ending before an ASCII byte; -1 until computed. */
  private validTo = -1;

  /** A new buffer is about to be scanned. */
  begin(buf: Buffer): void {
    this.src = buf;
    this.block = undefined;
    this.validTo = -1;
  }

  /** A copy of buf[start, end), as a view into a block copied once. */
  view(buf: Buffer, start: number, end: number): Uint8Array {
    let b = this.block;
    if (buf !== this.src || b === undefined || start < this.blockStart || end > this.blockStart + b.length) {
      this.src = buf;
      b = this.block = new Uint8Array(buf.subarray(start, Math.min(buf.length, start + Math.max(BLOCK, end - start))));
      this.blockStart = start;
    }
    return new Uint8Array(b.buffer, b.byteOffset + start - this.blockStart, end - start);
  }

  /**
   * Whether buf[start, end) is valid UTF-8, for a range that starts and ends at
   * an ASCII byte (a record's `<` and `>`, `{` and `}`). One native check of the
   * whole buffer serves every record in it: a valid string cut at ASCII bytes
   * is valid on both sides.
   */
  utf8(buf: Buffer, start: number, end: number): boolean {
    if (buf !== this.src) this.begin(buf);
    if (this.validTo < 0) {
      let p = buf.length;
      // Stop before a sequence the buffer's end may cut.
      while (p > 0 && buf.length - p < 4 && buf[p - 1]! >= 0x80) p--;
      this.validTo = isUtf8(buf.subarray(0, p)) ? p : 0;
    }
    return end <= this.validTo || isUtf8(buf.subarray(start, end));
  }
}
