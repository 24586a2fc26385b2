/**
 * Hand-written streaming scanner for the JSON audit formats: MySQL Enterprise
 * JSON (`json`: an array, one event per line joined by `,\n`), Percona
 * `audit_log_filter` JSON (pretty-printed multi-line objects in an array),
 * JSONL, slices of an array as log shippers see them (lines ending `},`, no
 * `[`/`]`), and Percona classic plugin JSON (`percona-json`:
 * `{"audit_record":{...}}` one per line, mapped to the event shape).
 *
 *   const s = new JsonScanner({ file: 'audit.log' }, 'json');
 *   const items = [...s.push(bytes), ...s.end()];
 *
 * Framing. Between records only whitespace, `[`, `]` and `,` are expected;
 * any other text is skipped to the end of its line and reported as junk
 * (UNEXPECTED_DATA). A record starts at a `{` there. Fast path: when the
 * record's line ends in `}` or `},` (found with native indexOf), the line is
 * handed to JSON.parse as is; otherwise (pretty-printed, raw control
 * characters, several objects on one line) a byte loop tracks brace depth with
 * string/escape awareness. The loop's state is kept across pushes, so a record
 * split over many chunks is not rescanned. A record is decoded to a string only
 * once it is whole, so UTF-8 split across chunks never matters; invalid UTF-8
 * becomes U+FFFD.
 *
 * Resync. While inside an object, a line whose first non-blank character is
 * `{` followed by a blank, `"` or `}` starts a new record (pretty-printed nested
 * objects never start a line with `{`): the unfinished one before it is one
 * MALFORMED_RECORD with its byte range. This also applies inside a string,
 * since a torn line is usually cut inside one. At end(), an unclosed object is
 * one TRUNCATED_RECORD and is never returned half.
 *
 * Byte ranges (our choice, for byte-exact pass-through): a record's range is
 * its whole line(s): the indent before `{` (when only blanks precede it on its
 * line), the object, then the separator comma if one follows (blanks allowed
 * around it) and the LF that ends the line. So the raw of `{ ... },\n` includes
 * `,\n`; the last event of an Enterprise file, `{ ... }\n` followed by `]\n`,
 * keeps its `\n`, and `[\n` and `]\n` are the bytes outside records (header and
 * footer). When other text follows on the same line (`{...},{...}` or
 * `{...}]`), the range stops after the comma (or the `}`). A writer passing raws
 * through must therefore fix up the separator of the last record it writes.
 *
 * Parsing. Enterprise and filter events are the parsed object itself, keys in
 * the order written (JSON.parse keeps it, except that integer-like keys come
 * first, which no audit writer uses). If JSON.parse fails, raw 0x00-0x1F inside
 * strings (Percona's gen-1 escaping, spec percona-audit-log.md §2.2) are
 * escaped, as are backslashes before a character JSON does not allow to be
 * escaped, and the parse is retried. An object whose only key is
 * `audit_record` is a Percona classic record: its keys upper-cased (and
 * `startup_optionsi`, Percona's typo, read as STARTUP_OPTIONS), values as
 * strings, go through fieldsToEvent; the entry's format is `percona-json`.
 * The scanner's own format is that of the first record (the hint until then);
 * `complete` is null for `percona-json`, which has no footer.
 */
import type { AuditEvent, FormatId } from '../entry.js';
import { fieldsToEvent, type Fields } from '../mapping.js';
import { JsonWalk } from './frame-json.js';
import { ByteScanner, type ScannerOptions } from './scanner.js';
import { looksPerconaFilter } from '../timezone.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Blank inside a line: space, tab, CR. */
function isBlank(c: number | undefined): boolean {
  return c === SP || c === TAB || c === CR;
}

/** Where a record we are waiting on stands (absolute offsets), so a push resumes instead of rescanning. */
interface Pending {
  /** Absolute offset of the record's `{`. */
  start: number;
  /** Fast path: where to go on searching for the LF that ends the first line. */
  lfFrom: number;
  /** Whether the fast path was tried and failed. */
  slow: boolean;
  /** Slow path: next byte to look at, and the state before it. */
  pos: number;
  depth: number;
  inStr: boolean;
  esc: boolean;
  /** Absolute offset just past the closing `}`, once found; -1 before. */
  close: number;
}

/** What the brace tracker found. */
const NEED_MORE = -1;

export class JsonScanner extends ByteScanner {
  private fmt: FormatId;
  private decided = false;
  private pend: Pending | null = null;
  /** Percona audit_log_filter JSON (its times are local): seen once, true for the rest of the input. */
  private localTimes = false;
  /** The previous push ended inside a junk line: skip up to its LF first. */

  /** Lean reading (ScannerOptions.lean) of one-line records. */
  private readonly walk: JsonWalk | undefined;

  /** @param hint the format to report until the first record says which it is */
  constructor(opts: ScannerOptions = {}, hint: 'json' | 'percona-json' = 'json') {
    super(opts);
    this.fmt = hint;
    const lean = this.lean;
    if (lean && (lean.format === undefined || lean.format === 'json')) this.walk = new JsonWalk(lean.paths);
  }

  get format(): FormatId {
    return this.fmt;
  }

  /** True when the input ended with the array's `]`; null for `percona-json`, which has no footer. */
  override get complete(): boolean | null {
    return this.fmt === 'percona-json' ? null : this.footerSeen;
  }

  protected scan(buf: Buffer, final: boolean): number {
    const n = buf.length;
    let p = this.lineScanStart(buf, final); // consumed up to here
    if (p < 0) return 0;
    if (p === n) return n;
    let i = p;
    while (i < n) {
      const c = buf[i]!;
      if (c === LF || c === SP || c === CR || c === TAB) {
        i++;
      } else if (c === LBRACE) {
        const next = this.record(buf, i, final);
        if (next === NEED_MORE) return this.holdFrom(buf, p, i);
        p = i = next;
      } else if (c === COMMA || c === LBRACKET) {
        this.footerSeen = false;
        if (c === LBRACKET) {
          this.flushJunk();
          this.inDocument = true;
        }
        i++;
      } else if (c === RBRACKET) {
        this.flushJunk();
        this.footerSeen = true;
        this.inDocument = false;
        i++;
      } else {
        // Text outside any record: skip the rest of its line.
        this.footerSeen = false;
        p = i = this.skipJunkLine(buf, i, final);
        if (p === n) return n;
      }
    }
    return final ? n : this.holdFrom(buf, p, n);
  }

  /**
   * Frame, parse and emit the record whose `{` is at `s`.
   * @returns where scanning goes on, or NEED_MORE (state kept in `this.pend`)
   */
  private record(buf: Buffer, s: number, final: boolean): number {
    const n = buf.length;
    const base = this.base;
    // The state of a record left waiting by the previous push; created only when needed.
    let st = this.pend;
    if (st !== null && st.start !== base + s) st = null;
    this.pend = null;
    // A record waited on is parsed in full: the walk does not resume, so it never reads a long record twice.
    if (st === null && this.walk) {
      const next = this.leanRecord(buf, s);
      if (next !== FULL) return next;
    }

    if (st === null || !st.slow) {
      // Fast path: the record is its line, ending in `}` or `},`.
      const nl = buf.indexOf(LF, st === null ? s : st.lfFrom - base);
      if (nl < 0 && !final) {
        st ??= newPending(base + s);
        st.lfFrom = base + n;
        this.pend = st;
        return NEED_MORE;
      }
      let k = nl < 0 ? n : nl;
      while (k > s && isBlank(buf[k - 1])) k--;
      if (k > s && buf[k - 1] === COMMA) {
        k--;
        while (k > s && isBlank(buf[k - 1])) k--;
      }
      if (k > s + 1 && buf[k - 1] === RBRACE) {
        let v: unknown;
        try {
          v = JSON.parse(this.text(buf, s, k));
        } catch {
          v = undefined;
        }
        if (v !== undefined) {
          const end = nl < 0 ? n : nl + 1;
          this.accept(buf, s, end, v);
          return end;
        }
      }
      st ??= newPending(base + s);
      st.slow = true;
    }

    let close = st.close < 0 ? -1 : st.close - base;
    if (close < 0) {
      // Slow path: track brace depth, aware of strings and escapes.
      let depth = st.depth;
      let inStr = st.inStr;
      let esc = st.esc;
      let i = st.pos - base;
      // The record's own column: only a `{` line indented no deeper starts another record
      // (nested objects that a pretty-printer puts on lines of their own sit deeper).
      const col = s - (s > 0 ? buf.lastIndexOf(LF, s - 1) + 1 : 0);
      for (; i < n; i++) {
        const c = buf[i]!;
        if (c === LF) {
          esc = false;
          const t = startsRecord(buf, i + 1, final, col);
          if (t === NEED_MORE) break;
          if (t > 0) {
            const from = this.lineStart(buf, s);
            this.problem('MALFORMED_RECORD', 'record is not closed before the next record starts', from, i + 1);
            return i + 1;
          }
        } else if (inStr) {
          if (esc) esc = false;
          else if (c === BACKSLASH) esc = true;
          else if (c === QUOTE) inStr = false;
        } else if (c === QUOTE) {
          inStr = true;
        } else if (c === LBRACE) {
          depth++;
        } else if (c === RBRACE && --depth === 0) {
          close = i + 1;
          break;
        }
      }
      if (close < 0) {
        if (!final) {
          Object.assign(st, { pos: base + i, depth, inStr, esc });
          this.pend = st;
          return NEED_MORE;
        }
        const from = this.lineStart(buf, s);
        this.problem('TRUNCATED_RECORD', 'input ends inside a record (object not closed)', from, n);
        return n;
      }
    }

    const end = tailExtent(buf, close, final);
    if (end === NEED_MORE) {
      st.close = base + close;
      this.pend = st;
      return NEED_MORE;
    }
    const text = this.text(buf, s, close);
    let v: unknown;
    try {
      v = parseTolerant(text);
    } catch (err) {
      const from = this.lineStart(buf, s);
      this.problem('MALFORMED_RECORD', `invalid JSON: ${(err as Error).message}`, from, end);
      return end;
    }
    this.accept(buf, s, end, v);
    return end;
  }

  /**
   * Lean reading of the one-line record whose `{` is at `s` (frame.ts): the walk vouches
   * that the fast path's JSON.parse would accept it, and accept() is done on the members
   * it noted. Returns where scanning goes on, or FULL: parse it in full (the walk cannot
   * vouch for it, or its time is converted).
   */
  private leanRecord(buf: Buffer, s: number): number {
    const w = this.walk!;
    if (!w.object(buf, s)) return FULL;
    const event = w.event(buf);
    const end = w.lineEnd;
    let zone: 'utc' | 'local' = 'utc';
    const tz = event.time_zone;
    if (tz === 'local' || tz === 'UTC') {
      delete event.time_zone;
      if (tz === 'local') zone = 'local';
    } else if (this.localTimes || (this.localTimes = w.looksPercona(buf))) zone = 'local';
    if (zone === 'local' && this.toUtc && typeof event.timestamp === 'string') return FULL;
    this.checkUtf8(buf, s, w.end);
    if (!this.decided) {
      this.fmt = 'json';
      this.decided = true;
    }
    this.emitLean(buf, this.lineStart(buf, s), end, event, 'json', zone);
    return end;
  }

  /** Emit the parsed object of the record whose `{` is at `s` and whose range ends at `end`. */
  private accept(buf: Buffer, s: number, end: number, v: unknown): void {
    const from = this.lineStart(buf, s);
    const obj = v as Record<string, unknown>;
    let fmt: FormatId = 'json';
    let event: AuditEvent;
    const rec = obj.audit_record;
    if (rec !== undefined && isOnlyKey(obj, 'audit_record')) {
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        this.problem('MALFORMED_RECORD', '"audit_record" is not an object', from, end);
        return;
      }
      fmt = 'percona-json';
      event = fieldsToEvent(perconaFields(rec as Record<string, unknown>), this.ids);
    } else {
      event = obj as AuditEvent;
    }
    if (!this.decided) {
      this.fmt = fmt;
      this.decided = true;
    }
    let zone: 'utc' | 'local' = 'utc';
    let changed = false;
    if (fmt === 'json') {
      // Our writers mark local times; the key is the entry's, not the event's.
      if (event.time_zone === 'local') {
        delete event.time_zone;
        zone = 'local';
      } else if (event.time_zone === 'UTC') {
        delete event.time_zone;
      } else if (this.localTimes || (this.localTimes = isPerconaFilter(buf, s, end, event))) zone = 'local';
      if (zone === 'local' && this.toUtc && typeof event.timestamp === 'string') {
        const utc = this.toUtc(event.timestamp);
        if (utc !== event.timestamp || utc.length === 19) {
          event.timestamp = utc;
          zone = 'utc';
          changed = true;
        }
      }
    }
    this.emit(buf, from, end, event, fmt, zone, changed);
  }
}

/** leanRecord(): parse this record in full. */
const FULL = -2;

/**
 * Whether a JSON record shows Percona audit_log_filter's layout, which writes local time:
 * `{` alone on its line, or an event only it writes (looksPerconaFilter). MySQL Enterprise
 * writes one line per event.
 */
function isPerconaFilter(buf: Buffer, s: number, end: number, e: AuditEvent): boolean {
  // Its pretty-printer puts `{` alone on a line (`  {\n    "timestamp": ...`); the manual's
  // pretty-printed MySQL examples start `{ "timestamp"` on one line.
  let k = s + 1;
  while (k < end && (buf[k] === SP || buf[k] === TAB || buf[k] === CR)) k++;
  if (k < end - 1 && buf[k] === LF) return true;
  return looksPerconaFilter(e);
}

function newPending(start: number): Pending {
  return { start, lfFrom: start, slow: false, pos: start, depth: 0, inStr: false, esc: false, close: -1 };
}

const KEY_TIMESTAMP = Buffer.from('"timestamp"');
const KEY_AUDIT_RECORD = Buffer.from('"audit_record"');

/**
 * Whether the line starting at `t` starts a new record: first non-blank `{`
 * followed by whitespace, `"` or `}`, and either indented at most `maxCol`
 * (the torn record's own indent) or, deeper, opening an object whose first
 * key is `"timestamp"` or `"audit_record"` (a nested object a pretty-printer
 * put on a line of its own is neither). Returns 1, 0, or NEED_MORE.
 */
function startsRecord(buf: Buffer, t: number, final: boolean, maxCol: number): number {
  const n = buf.length;
  const line = t;
  while (t < n && (buf[t] === SP || buf[t] === TAB)) t++;
  if (t >= n) return final ? 0 : NEED_MORE;
  if (t - line > maxCol && buf[t] === LBRACE) {
    let k = t + 1;
    while (k < n && (buf[k] === SP || buf[k] === TAB || buf[k] === CR || buf[k] === LF)) k++;
    if (k + KEY_AUDIT_RECORD.length > n) return final ? 0 : NEED_MORE;
    const key = (m: Buffer) => buf.compare(m, 0, m.length, k, k + m.length) === 0;
    if (!key(KEY_TIMESTAMP) && !key(KEY_AUDIT_RECORD)) return 0;
  }
  if (buf[t] !== LBRACE) return 0;
  if (t + 1 >= n) return final ? 0 : NEED_MORE;
  const c = buf[t + 1]!;
  return c === SP || c === TAB || c === LF || c === CR || c === QUOTE || c === RBRACE ? 1 : 0;
}

/**
 * End of a record's range given its closing `}` at `close - 1`: through an
 * optional separator comma and the LF when only blanks are around them.
 * Returns NEED_MORE when the buffer ends before that can be told.
 */
function tailExtent(buf: Buffer, close: number, final: boolean): number {
  const n = buf.length;
  let e = close;
  while (e < n && isBlank(buf[e])) e++;
  if (e >= n) return final ? n : NEED_MORE;
  let cut = close;
  if (buf[e] === COMMA) {
    e++;
    cut = e;
    while (e < n && isBlank(buf[e])) e++;
    if (e >= n) return final ? n : NEED_MORE;
  }
  return buf[e] === LF ? e + 1 : cut;
}

function isOnlyKey(o: Record<string, unknown>, key: string): boolean {
  for (const k in o) if (k !== key) return false;
  return true;
}

/** Percona key -> field name. A cache, because toUpperCase per key per record was 27% of the percona-json scan time (profile 2026-11-22, Node 20). */
const FIELD_NAMES = new Map<string, string>([['startup_optionsi', 'STARTUP_OPTIONS']]);

function fieldName(k: string): string {
  let name = FIELD_NAMES.get(k);
  if (name === undefined) {
    name = k.toUpperCase();
    if (FIELD_NAMES.size < 256) FIELD_NAMES.set(k, name);
  }
  return name;
}

/** Percona classic `audit_record` members -> upper-case fields (values as strings; null left out). */
function perconaFields(rec: Record<string, unknown>): Fields {
  const f: Fields = {};
  for (const k in rec) {
    const v = rec[k];
    if (v === null || v === undefined) continue;
    f[fieldName(k)] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return f;
}

/**
 * JSON.parse, and on failure once more after escaping raw control characters
 * inside strings and stray backslashes. Throws the first parse error when both fail.
 */
export function parseTolerant(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const fixed = escapeRawControls(text);
    if (fixed === text) throw err;
    try {
      return JSON.parse(fixed);
    } catch {
      throw err;
    }
  }
}

const HEX = '0123456789abcdef';
/** Characters JSON allows after a backslash. */
const VALID_ESCAPE = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74, 0x75]);

/**
 * Inside JSON strings: raw 0x00-0x1F -> `\u00XX`, and `\` before a character
 * that may not be escaped -> `\\`. Text outside strings is left alone.
 */
export function escapeRawControls(s: string): string {
  let out = '';
  let last = 0;
  let changed = false;
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!inStr) {
      if (c === QUOTE) inStr = true;
      continue;
    }
    if (c === QUOTE) {
      inStr = false;
    } else if (c === BACKSLASH) {
      if (VALID_ESCAPE.has(s.charCodeAt(i + 1))) {
        i++;
      } else {
        out += s.slice(last, i) + '\\';
        last = i;
        changed = true;
      }
    } else if (c < 0x20) {
      out += s.slice(last, i) + '\\u00' + HEX[c >> 4] + HEX[c & 15];
      last = i + 1;
      changed = true;
    }
  }
  return changed ? out + s.slice(last) : s;
}
