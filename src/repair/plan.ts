/**
 * The pure half of repair: what to keep and what to write, from the scanners'
 * items over a log's decoded bytes (the whole of it, or a window at its end).
 * No I/O here.
 *
 *   const t = new TailTracker(false);
 *   t.add(scanner.push(bytes), 0); t.add(scanner.end(), 0);
 *   const plan = planRepair(t, { framing: framingOf('new', head), head, contentEnd, length, complete: scanner.complete, exact: true });
 *   // keep input bytes [0, plan.cut) minus plan.drops, write plan.prefix before them and plan.footer after
 *
 * The cut is always the end of the last complete record: its range as the
 * scanner gives it (XML: through the LF that ends its line), except in a JSON
 * array, where it is just after the record's `}` so that the separator that
 * may follow goes and the footer `\n]\n` closes the array.
 */
import type { Entry, FormatId } from '../entry.js';
import { AuditLogError } from '../errors.js';
import type { ScanItem } from '../scanners/scanner.js';

/** How a format's file ends: an XML document (`</AUDIT>\n`), a JSON array (`\n]\n`), or lines (a whole last line). */
export type Framing = 'xml' | 'json-array' | 'lines';

/** The header written before the records of an XML log that has none (a fragment) or whose header is torn. */
export const XML_HEADER = Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n');
const XML_FOOTER = Buffer.from('</AUDIT>\n');
const JSON_FOOTER = Buffer.from('\n]\n');
const LF = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);
/** How many last bytes of the last record are kept: enough to find its `}` behind any separator. */
const TAIL_BYTES = 256;
/** Removed records and problems listed in full (with their text); more are counted. */
export const LISTED_MAX = 1000;

/**
 * The framing of a format, told from the first bytes of the decoded stream:
 * a `json` log is an array when `[` comes before its first record, else lines
 * (JSONL, or a slice of an array as shippers see it).
 */
export function framingOf(format: FormatId, head: Uint8Array): Framing {
  if (format === 'new' || format === 'old' || format === 'percona-new' || format === 'percona-old') return 'xml';
  if (format === 'json') {
    const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
    const br = b.indexOf(0x5b);
    const obj = b.indexOf(0x7b);
    return br >= 0 && (obj < 0 || br < obj) ? 'json-array' : 'lines';
  }
  return 'lines';
}

/** A record or problem that the repair removes, as reported. */
export interface RemovedRecord {
  /** Error code: MALFORMED_RECORD, TRUNCATED_RECORD, or UNEXPECTED_DATA (text outside records). */
  code: string;
  message: string;
  /** Byte range in the decoded stream. */
  offset: number;
  end: number;
  /** Record number (from 0); absent for text outside records. */
  index?: number;
  /** Its bytes as text (the first RAW_MAX bytes), once read. */
  raw?: string;
}

/** The last complete record seen. */
interface LastRecord {
  offset: number;
  end: number;
  index: number;
  /** Its last bytes (up to TAIL_BYTES). */
  tail: Buffer;
}

/**
 * Folds scan items into what repair needs: the last complete record, the
 * problems after it, and (with salvage) the malformed records and stray text
 * before it, which are to be removed. Memory: bounded by LISTED_MAX, plus two
 * numbers per removed range.
 */
export class TailTracker {
  /** Complete records seen. */
  records = 0;
  last: LastRecord | undefined;
  /** Problems after the last complete record (the first LISTED_MAX), and how many. */
  after: AuditLogError[] = [];
  afterCount = 0;
  /** Salvage: the byte ranges of all of them, flat [start, end, ...]. */
  private afterRanges: number[] = [];
  /** Problems before the last record that stay in place (without salvage): how many. */
  keptProblems = 0;
  /** Salvage: ranges removed before the last record, flat [start, end, start, end, ...], in order. */
  readonly drops: number[] = [];
  /** Salvage: the removed records and stray text, listed (the first LISTED_MAX). */
  readonly removed: RemovedRecord[] = [];
  removedCount = 0;

  constructor(readonly salvage: boolean) {}

  /** Take the next items; `shift` is added to their offsets (a scan that started at that decoded offset). */
  add(items: ScanItem[], shift: number): void {
    for (const it of items) {
      if (it instanceof AuditLogError) {
        this.afterCount++;
        if (this.after.length < LISTED_MAX) this.after.push(shift === 0 ? it : shifted(it, shift));
        if (this.salvage) this.afterRanges.push(it.ctx.offset! + shift, it.ctx.end! + shift);
        continue;
      }
      this.record(it, shift);
    }
  }

  private record(e: Entry, shift: number): void {
    if (this.afterCount > 0) {
      // Problems between two complete records are in the middle of the file.
      if (this.salvage) {
        // Listed while the list has room: the first ranges and the first listed problems are the same ones.
        const r = this.afterRanges;
        for (let i = 0; i < r.length / 2; i++) {
          const p = this.after[i];
          if (p && this.removed.length === this.drops.length / 2 && this.removed.length < LISTED_MAX) this.removed.push(removedOf(p));
          this.drops.push(r[2 * i]!, r[2 * i + 1]!);
        }
        this.afterRanges = [];
        this.removedCount += this.afterCount;
      } else {
        this.keptProblems += this.afterCount;
      }
      this.after = [];
      this.afterCount = 0;
    }
    this.records++;
    const raw = e.raw!;
    this.last = {
      offset: e.at.offset + shift,
      end: e.at.end + shift,
      index: e.at.index,
      tail: Buffer.from(raw.subarray(Math.max(0, raw.length - TAIL_BYTES))),
    };
  }
}

function shifted(e: AuditLogError, by: number): AuditLogError {
  const ctx = { ...e.ctx, offset: (e.ctx.offset ?? 0) + by, ...(e.ctx.end !== undefined ? { end: e.ctx.end + by } : {}) };
  return new AuditLogError(e.code, e.detail, ctx);
}

function removedOf(p: AuditLogError): RemovedRecord {
  const r: RemovedRecord = { code: p.code, message: p.detail, offset: p.ctx.offset!, end: p.ctx.end! };
  if (p.ctx.index !== undefined) r.index = p.ctx.index;
  return r;
}

export interface PlanContext {
  framing: Framing;
  /** The first bytes of the decoded stream (up to 64 KiB). */
  head: Buffer;
  /** Decoded offset where the trailing NUL bytes start (the length when there are none). */
  contentEnd: number;
  /** Decoded length, NUL tail included. */
  length: number;
  /** The scanner's `complete` over the bytes up to contentEnd (footer after the last record). */
  complete: boolean | null;
  /** Whether the items cover the decoded stream from its start (record numbers and counts are then exact). */
  exact: boolean;
  /** Whether the content (before the NUL tail) ends with LF: a footer must be followed by one (Percona appends only after an exact `</AUDIT>\n` or `\n]\n`). */
  endsWithLf: boolean;
  /** An input layer was cut short or damaged (the file is then not whole whatever its content). */
  layerDamaged?: boolean;
}

/** What to write. */
export interface RepairPlan {
  /** True when nothing needs to change. */
  whole: boolean;
  /** Bytes written before the kept input: an XML header the input lacks or has torn. Usually empty. */
  prefix: Buffer;
  /** Decoded bytes [0, cut) are kept (minus `drops`). */
  cut: number;
  /** Salvage: decoded ranges removed before the cut, flat [start, end, ...]. */
  drops: number[];
  /** Bytes written after the kept input. */
  footer: Buffer;
  /** The last record kept. */
  last?: { offset: number; end: number; index: number };
  /** Record number of the first record that the cut drops (or of the next one); null when not counted. */
  cutIndex: number | null;
  /** The problems in what is cut (the first LISTED_MAX), e.g. the torn last record. */
  cutProblems: AuditLogError[];
}

/** Bytes at the end of `tail` that are blanks, commas or line breaks. */
function trailingSeparators(tail: Buffer): number {
  let n = 0;
  for (let i = tail.length - 1; i >= 0; i--) {
    const c = tail[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a && c !== 0x2c) break;
    n++;
  }
  return n;
}

const endsWithLf = (b: Buffer): boolean => b.length > 0 && b[b.length - 1] === 0x0a;

/** Whether `head[0, p)` holds a complete `<AUDIT ...>` start tag before the first record. */
function hasXmlRoot(head: Buffer, p: number): boolean {
  const text = head.toString('latin1', 0, Math.min(p, head.length));
  const rec = text.indexOf('<AUDIT_RECORD');
  const before = rec < 0 ? text : text.slice(0, rec);
  return /<AUDIT(\s[^>]*)?>/.test(before);
}

/**
 * Decide what to write from what the tracker saw.
 * @param t the folded scan items
 * @param ctx what else is known about the stream
 * @returns the plan; `whole` when the input needs no change
 */
export function planRepair(t: TailTracker, ctx: PlanContext): RepairPlan {
  // Problems in the NUL tail are the NUL tail itself (text outside records there).
  const tailProblems = t.after.filter((p) => (p.ctx.offset ?? 0) < ctx.contentEnd);
  const last = t.last;
  const drops = t.salvage ? t.drops : [];
  const cutIndex = !ctx.exact ? null : (tailProblems.find((p) => p.ctx.index !== undefined)?.ctx.index ?? (last ? last.index + 1 : 0));
  const base = { drops, cutIndex, cutProblems: tailProblems, ...(last ? { last: { offset: last.offset, end: last.end, index: last.index } } : {}) };
  const root = ctx.framing !== 'xml' || hasXmlRoot(ctx.head, last ? last.offset : ctx.head.length);

  let lineOk = true;
  if (ctx.framing === 'lines' && last && !endsWithLf(last.tail) && last.end >= ctx.contentEnd) lineOk = false;
  const footerOk = ctx.framing === 'lines' ? lineOk : ctx.complete === true;
  const lfOk = ctx.framing === 'lines' || ctx.endsWithLf;
  const whole = tailProblems.length === 0 && ctx.contentEnd === ctx.length && !ctx.layerDamaged && drops.length === 0 && footerOk && lfOk && (root || ctx.complete === true);
  if (whole) return { whole: true, prefix: EMPTY, cut: ctx.length, footer: EMPTY, ...base };
  // The end is fine (only a layer, a missing header or salvage calls for a rewrite): keep it as it is.
  if (tailProblems.length === 0 && ctx.contentEnd === ctx.length && footerOk) return { whole: false, prefix: root ? EMPTY : XML_HEADER, cut: ctx.length, footer: lfOk ? EMPTY : LF, ...base };

  if (last) {
    const prefix = root ? EMPTY : XML_HEADER;
    switch (ctx.framing) {
      case 'xml':
        return { whole: false, prefix, cut: last.end, footer: endsWithLf(last.tail) ? XML_FOOTER : Buffer.concat([LF, XML_FOOTER]), ...base };
      case 'json-array':
        return { whole: false, prefix, cut: last.end - trailingSeparators(last.tail), footer: JSON_FOOTER, ...base };
      case 'lines':
        return { whole: false, prefix, cut: last.end, footer: endsWithLf(last.tail) ? EMPTY : LF, ...base };
    }
  }
  // No complete record: keep the header when it is whole, else write a fresh one.
  const p = tailProblems[0]?.ctx.offset ?? ctx.contentEnd;
  switch (ctx.framing) {
    case 'xml': {
      if (!hasXmlRoot(ctx.head, p)) return { whole: false, prefix: XML_HEADER, cut: 0, footer: XML_FOOTER, ...base };
      const lf = p > 0 && p <= ctx.head.length && ctx.head[p - 1] === 0x0a;
      return { whole: false, prefix: EMPTY, cut: p, footer: lf ? XML_FOOTER : Buffer.concat([LF, XML_FOOTER]), ...base };
    }
    case 'json-array': {
      const br = ctx.head.indexOf(0x5b);
      return { whole: false, prefix: EMPTY, cut: br + 1, footer: JSON_FOOTER, ...base };
    }
    case 'lines':
      return { whole: false, prefix: EMPTY, cut: 0, footer: EMPTY, ...base };
  }
}

/**
 * Decoded offsets where a record may start in `buf` (whose first byte is not
 * known to start a line, so its first line is skipped unless `atStart`), in
 * order. XML: each `<AUDIT_RECORD` (from its line's start when only blanks
 * precede it). JSON: lines whose first non-blank is `{` (at `indent` when
 * given). CSV: lines that start with `"`. These are candidates only: the
 * scanner validates them.
 */
export function recordStarts(buf: Buffer, framing: Framing, format: FormatId, atStart: boolean, indent?: number): number[] {
  const out: number[] = [];
  if (framing === 'xml') {
    for (let i = buf.indexOf('<AUDIT_RECORD'); i >= 0; i = buf.indexOf('<AUDIT_RECORD', i + 1)) {
      const c = buf[i + 13];
      if (c !== 0x3e && c !== 0x2f && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) continue;
      let s = i;
      while (s > 0 && (buf[s - 1] === 0x20 || buf[s - 1] === 0x09)) s--;
      out.push(s > 0 && buf[s - 1] !== 0x0a ? i : s === 0 && !atStart ? i : s);
    }
    return out;
  }
  const want = format === 'percona-csv' ? 0x22 : 0x7b;
  let ls = atStart ? 0 : buf.indexOf(0x0a) + 1;
  if (ls === 0 && !atStart) return out;
  while (ls < buf.length) {
    let i = ls;
    while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    if (buf[i] === want && (indent === undefined || i - ls === indent)) out.push(ls);
    const nl = buf.indexOf(0x0a, ls);
    if (nl < 0) break;
    ls = nl + 1;
  }
  return out;
}

/** The indent (in bytes) of the first record line of a JSON log, from its first bytes; undefined when not seen. */
export function recordIndent(head: Buffer, format: FormatId): number | undefined {
  if (format !== 'json' && format !== 'percona-json') return undefined;
  const m = /(^|\n)([ \t]*)\{/.exec(head.toString('latin1'));
  return m ? m[2]!.length : undefined;
}
