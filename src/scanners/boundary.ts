/**
 * Record boundaries, per format: where, in bytes that start anywhere inside a
 * document, the next record begins. A reader that starts in the middle of a
 * file (a bookmark, a saved cursor, a binary search) skips to this point and
 * hands the scanner bytes from there; what it skipped is the tail of a record
 * it did not ask for, not damage.
 *
 *   const b = findBoundary('json', bytes, 1, final);   // bytes[0] is the byte before the wanted start
 *   if (b >= 0) scanner.push(bytes.subarray(b));
 *
 * The boundaries are the ones the scanners themselves resynchronise on:
 * XML `<AUDIT_RECORD` (values never hold a raw `<`), a JSON line whose first
 * non-blank is `{` followed by the `"timestamp"` or `"audit_record"` key (the
 * first key of every MySQL Enterprise, Percona filter and Percona classic
 * event), and a Percona CSV line opening with `"Name","`. A boundary includes
 * the record's indent when only blanks precede it on its line.
 */
import type { FormatId } from '../entry.js';

/** Returned when more bytes are needed to tell. */
export const NEED_MORE = -1;

const LF = 0x0a;
const REC_OPEN = Buffer.from('<AUDIT_RECORD');
const JSON_KEYS = [Buffer.from('"timestamp"'), Buffer.from('"audit_record"')];
const CSV_RE = /^"[A-Za-z][A-Za-z ]*","/;

function isBlank(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Back from `i` over the blanks before it, when only blanks precede it on its line (never before `from`). */
function indentStart(buf: Buffer, i: number, from: number): number {
  let s = i;
  while (s > from && isBlank(buf[s - 1])) s--;
  return s > 0 && buf[s - 1] === LF ? s : i;
}

/**
 * Offset in `buf` of the first record boundary at or after `from`; the bytes
 * before `from` are context (the byte just before a candidate line tells
 * whether it starts a line). NEED_MORE when `buf` ends before that can be told
 * and `final` is false; `buf.length` when there is none and `final` is true.
 */
export function findBoundary(format: FormatId, buf: Buffer, from: number, final: boolean): number {
  switch (format) {
    case 'new':
    case 'old':
    case 'percona-new':
    case 'percona-old':
      return xmlBoundary(buf, from, final);
    case 'json':
    case 'percona-json':
      return lineBoundary(buf, from, final, jsonLineStarts, true);
    case 'percona-csv':
      return lineBoundary(buf, from, final, csvLineStarts, false);
  }
}

function xmlBoundary(buf: Buffer, from: number, final: boolean): number {
  let i = from;
  for (;;) {
    const lt = buf.indexOf(REC_OPEN, i);
    if (lt < 0) {
      if (final) return buf.length;
      return NEED_MORE;
    }
    const c = buf[lt + REC_OPEN.length];
    if (c === undefined) return final ? buf.length : NEED_MORE;
    if (c === 0x3e || c === 0x2f || isWs(c)) return indentStart(buf, lt, from);
    i = lt + 1;
  }
}

/** Walks the line starts at or after `from` (position 0 counts as one: the stream's start). */
function lineBoundary(buf: Buffer, from: number, final: boolean, starts: (buf: Buffer, i: number, final: boolean) => number, inIndent: boolean): number {
  const nextLine = (i: number) => {
    const nl = buf.indexOf(LF, i);
    return nl < 0 ? -1 : nl + 1;
  };
  // `from` itself is a candidate at a line start, or (JSON) inside a line's indent.
  let line = from === 0 || buf[from - 1] === LF || (inIndent && isBlank(buf[from - 1])) ? from : nextLine(from);
  while (line >= 0) {
    const r = starts(buf, line, final);
    if (r === NEED_MORE) return NEED_MORE;
    if (r !== NO) return r;
    line = nextLine(line);
  }
  return final ? buf.length : NEED_MORE;
}

const NO = Number.MAX_SAFE_INTEGER;

/** A JSON event starts on the line at `t`: its offset, NO, or NEED_MORE. */
function jsonLineStarts(buf: Buffer, t: number, final: boolean): number {
  const n = buf.length;
  let k = t;
  while (k < n && isBlank(buf[k])) k++;
  if (k >= n) return final ? NO : NEED_MORE;
  if (buf[k] !== 0x7b) return NO;
  let j = k + 1;
  while (j < n && isWs(buf[j])) j++;
  const longest = JSON_KEYS[1]!.length;
  if (j + longest > n && !final) return NEED_MORE;
  for (const key of JSON_KEYS) if (buf.compare(key, 0, key.length, j, Math.min(n, j + key.length)) === 0) return t;
  return NO;
}

function csvLineStarts(buf: Buffer, t: number, final: boolean): number {
  const n = buf.length;
  if (t >= n) return final ? NO : NEED_MORE;
  if (buf[t] !== 0x22) return NO;
  const head = buf.toString('latin1', t, Math.min(n, t + 64));
  if (CSV_RE.test(head)) return t;
  return head.length < 64 && !final && /^"[A-Za-z ]*"?,?$/.test(head) ? NEED_MORE : NO;
}
