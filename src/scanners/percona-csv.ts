/**
 * Hand-written streaming scanner for Percona's classic `audit_log` plugin CSV
 * (`audit_log_format=CSV`, format `percona-csv`): no header line, every field
 * in double quotes with `""` for a quote except the unquoted integer STATUS,
 * and raw LF, CR, TAB and commas inside quotes are data, so one record can
 * span several lines (spec percona-audit-log.md §1, §2.3).
 *
 *   const s = new PerconaCsvScanner({ file: 'audit.log' });
 *   const items = [...s.push(bytes), ...s.end()];
 *
 * Framing is a strict quote-aware walk over the bytes, field by field, and a
 * record ends at an LF (or CR LF) outside quotes. It is a plain byte loop:
 * fields are short, so Buffer.indexOf's per-call cost outweighs its speed. A record is decoded to a string only once it is
 * whole, so UTF-8 split across chunks never matters. The walk's position is
 * kept across pushes, so a long record is not rescanned from its start.
 *
 * Layouts, told apart by column count and by whether column 5 is quoted:
 *  - 6 quoted columns: Audit/NoAudit (NAME, RECORD, TIMESTAMP, MYSQL_VERSION, STARTUP_OPTIONS, OS_VERSION);
 *  - 12 columns, column 5 unquoted: connection records (NAME, RECORD, TIMESTAMP,
 *    CONNECTION_ID, STATUS, USER, PRIV_USER, OS_LOGIN, PROXY_USER, HOST, IP, DB);
 *  - 11 or 12 columns, column 5 quoted (STATUS is column 6): general records (NAME, RECORD,
 *    TIMESTAMP, COMMAND_CLASS, CONNECTION_ID, STATUS, SQLTEXT, USER, HOST,
 *    OS_USER, IP[, DB]; 11 before Percona added DB).
 * The fields go through fieldsToEvent. Values are kept as written, so MTR
 * placeholders such as `<ID>`, `<DATETIME>`, `<CONN_ID>` stay strings.
 *
 * Byte ranges: a record's range is its whole line(s), from its first byte (or
 * the blanks before it) through the LF that ends it. Blank lines between
 * records are the only bytes outside records in a clean file.
 *
 * Errors and resync. A line that starts with `"` is taken as a record. When
 * it breaks the quoting (a closing quote followed by anything but `,`, `"` or
 * the line end; a quote inside an unquoted field) the problem is one
 * MALFORMED_RECORD: if the break is on the record's first line, the range is
 * that line and reading goes on at the next one; if it is on a later line (a
 * torn record whose open quote swallowed the LF, followed by the next record,
 * whose opening quote then "closes" the field), the range stops before that
 * line and reading goes on there, so the next record is not lost. A well-quoted
 * record with an unknown layout (wrong column count, a non-integer STATUS) is
 * one MALFORMED_RECORD too. A line that does not start with `"` cannot be a
 * record and is reported as junk (UNEXPECTED_DATA). At end(), a record still in
 * quotes, or a last line without LF that does not parse, is one
 * TRUNCATED_RECORD; so is an 11-column general record without LF, unless an
 * earlier 11-column record showed the file is in the layout before DB (it is
 * more likely a 12-column record cut after column 11).
 */
import { excerpt } from '../text.js';
import type { FormatId } from '../entry.js';
import { fieldsToEvent, type Fields } from '../mapping.js';
import { ByteScanner, type ScannerOptions } from './scanner.js';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** Column names by layout (for messages; the fields themselves are built in toFields). */
const AUDIT_COLUMNS = ['NAME', 'RECORD', 'TIMESTAMP', 'MYSQL_VERSION', 'STARTUP_OPTIONS', 'OS_VERSION'];
const CONNECTION_COLUMNS = ['NAME', 'RECORD', 'TIMESTAMP', 'CONNECTION_ID', 'STATUS', 'USER', 'PRIV_USER', 'OS_LOGIN', 'PROXY_USER', 'HOST', 'IP', 'DB'];
const GENERAL_COLUMNS = ['NAME', 'RECORD', 'TIMESTAMP', 'COMMAND_CLASS', 'CONNECTION_ID', 'STATUS', 'SQLTEXT', 'USER', 'HOST', 'OS_USER', 'IP', 'DB'];

const NEED_MORE = -1;
const INTEGER_RE = /^-?\d+$/;

/**
 * Where the framing walk stands (absolute offsets). One object per scanner,
 * reused for every record: a push that ends inside a record resumes from it.
 */
interface Walk {
  /** Absolute offset of the record's first `"`, or -1 when no record is waiting. */
  start: number;
  /** Absolute offset of the field to go on from. */
  field: number;
  /** Inside a quoted field starting at `field`: where to go on looking for quotes (else -1). */
  quoteFrom: number;
}

/** Outcomes of framing one record; details in the scanner's `f*` fields. */
const FRAME_MORE = 0;
const FRAME_RECORD = 1;
const FRAME_BAD = 2;
const FRAME_OPEN = 3;
type FrameKind = typeof FRAME_MORE | typeof FRAME_RECORD | typeof FRAME_BAD | typeof FRAME_OPEN;

export class PerconaCsvScanner extends ByteScanner {
  readonly format: FormatId = 'percona-csv';
  private walk: Walk = { start: -1, field: -1, quoteFrom: -1 };
  // Details of the last frame() outcome (fields rather than a result object: no allocation per record).
  /** FRAME_RECORD: end of the record's text (before its LF/CR LF), end of its range, and whether the input ended it. */
  private fContentEnd = 0;
  private fEnd = 0;
  private fEof = false;
  /** FRAME_BAD: where the quoting breaks, and why. */
  private fAt = 0;
  private fWhy = '';
  /**
   * Whether an 11-column general record (the layout before DB) was seen. If not,
   * an 11-column last line without LF is a 12-column record cut after column 11.
   */
  private sawGeneralWithoutDb = false;

  constructor(opts: ScannerOptions = {}) {
    super(opts);
  }

  /** CSV has no footer. */
  override get complete(): boolean | null {
    return null;
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
      } else if (c === QUOTE) {
        const next = this.record(buf, i, final);
        if (next === NEED_MORE) return this.holdFrom(buf, p, i);
        p = i = next;
      } else {
        p = i = this.skipJunkLine(buf, i, final);
        if (p === n) return n;
      }
    }
    return final ? n : this.holdFrom(buf, p, n);
  }

  /**
   * Frame, parse and emit (or report) the record whose first `"` is at `s`.
   * @returns where scanning goes on, or NEED_MORE
   */
  private record(buf: Buffer, s: number, final: boolean): number {
    const n = buf.length;
    const w = this.walk;
    if (w.start !== this.base + s) {
      w.start = w.field = this.base + s;
      w.quoteFrom = -1;
    }
    const kind = this.frame(buf, s, final);
    if (kind === FRAME_MORE) return NEED_MORE;
    w.start = -1;
    const from = this.lineStart(buf, s);
    if (kind === FRAME_OPEN) {
      this.problem('TRUNCATED_RECORD', 'input ends inside a quoted field', from, n);
      return n;
    }
    if (kind === FRAME_BAD) {
      const at = this.fAt;
      const lineStart = buf.lastIndexOf(LF, at - 1) + 1;
      if (lineStart > s) {
        // The break is on a later line: the record before it was torn; go on at that line.
        this.problem('MALFORMED_RECORD', `${this.fWhy}; record torn before the next line`, from, lineStart);
        return lineStart;
      }
      const nl = buf.indexOf(LF, at);
      if (nl < 0 && !final) {
        // Wait for the end of the bad line (the walk starts again from the record).
        w.start = w.field = this.base + s;
        w.quoteFrom = -1;
        return NEED_MORE;
      }
      const end = nl < 0 ? n : nl + 1;
      this.problem('MALFORMED_RECORD', this.fWhy, from, end);
      return end;
    }
    const end = this.fEnd;
    const split = splitCells(this.text(buf, s, this.fContentEnd));
    const fields = typeof split === 'string' ? split : toFields(split, quotedMask);
    if (typeof fields === 'string') {
      if (this.fEof) this.problem('TRUNCATED_RECORD', `input ends inside a record (${fields})`, from, end);
      else this.problem('MALFORMED_RECORD', fields, from, end);
      return end;
    }
    if (fields.SQLTEXT !== undefined && fields.DB === undefined) {
      if (this.fEof && !this.sawGeneralWithoutDb) {
        this.problem('TRUNCATED_RECORD', 'input ends inside a record (11 columns, no LF: DB column cut?)', from, end);
        return end;
      }
      this.sawGeneralWithoutDb = true;
    }
    this.emit(buf, from, end, fieldsToEvent(fields, this.ids));
    return end;
  }

  /**
   * Walk the record at `s` field by field from `this.walk` (updated when more
   * input is needed): find where it ends, or where its quoting breaks.
   */
  private frame(buf: Buffer, s: number, final: boolean): FrameKind {
    const n = buf.length;
    const base = this.base;
    const w = this.walk;
    let i = w.field - base;
    for (;;) {
      // i: start of a field.
      w.field = base + i;
      if (buf[i] === QUOTE) {
        let j = w.quoteFrom >= 0 ? w.quoteFrom - base : i + 1;
        for (;;) {
          // A byte loop, not Buffer.indexOf: fields are short, and each indexOf
          // call costs ~150 ns of binding overhead (2026-11-22: ~24 calls per record).
          let q = j;
          while (q < n && buf[q] !== QUOTE) q++;
          if (q + 1 >= n) {
            if (!final) {
              w.quoteFrom = base + q;
              return FRAME_MORE;
            }
            if (q >= n) return FRAME_OPEN;
            j = q + 1;
            break;
          }
          if (buf[q + 1] === QUOTE) {
            j = q + 2;
            continue;
          }
          j = q + 1;
          break;
        }
        w.quoteFrom = -1;
        i = j;
      } else {
        // Unquoted field: up to the next comma or line end; no quote allowed.
        while (i < n) {
          const c = buf[i]!;
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) return this.bad(i, 'quote inside an unquoted field');
          i++;
        }
      }
      // i: the byte after a field.
      if (i >= n) return final ? this.found(n, n, true) : FRAME_MORE;
      const c = buf[i]!;
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === LF) return this.found(i, i + 1, false);
      if (c === CR) {
        if (i + 1 >= n) return final ? this.found(i, n, true) : FRAME_MORE;
        if (buf[i + 1] === LF) return this.found(i, i + 2, false);
      }
      return this.bad(i, `unexpected ${describe(c)} after a quoted field`);
    }
  }

  private found(contentEnd: number, end: number, eof: boolean): FrameKind {
    this.fContentEnd = contentEnd;
    this.fEnd = end;
    this.fEof = eof;
    return FRAME_RECORD;
  }

  private bad(at: number, why: string): FrameKind {
    this.fAt = at;
    this.fWhy = why;
    return FRAME_BAD;
  }
}

/**
 * Cells -> fields by layout, or a string saying why the record fits none.
 * The fields are object literals, one shape per layout: 12 keyed stores per
 * record made this function ~10% of the scan time (profile 2026-11-22, Node 20).
 * @param v the cells' values
 * @param quoted bit k set when cell k was quoted
 */
function toFields(v: string[], quoted: number): Fields | string {
  const n = v.length;
  let bare: number; // index of the unquoted STATUS column, or -1
  if (n === 6) bare = -1;
  else if (n === 12 && (quoted & (1 << 4)) === 0) bare = 4;
  else if ((n === 11 || n === 12) && (quoted & (1 << 4)) !== 0) bare = 5;
  else return `${n} column${n === 1 ? '' : 's'}, not a Percona CSV record layout (6, 11 or 12)`;
  const expected = ((1 << n) - 1) & ~(bare < 0 ? 0 : 1 << bare);
  if (quoted !== expected) {
    const names = bare < 0 ? AUDIT_COLUMNS : bare === 4 ? CONNECTION_COLUMNS : GENERAL_COLUMNS;
    for (let k = 0; k < n; k++) {
      if (k !== bare && (quoted & (1 << k)) === 0) return `column ${k + 1} (${names[k]}) is not quoted`;
    }
  }
  if (bare >= 0 && !INTEGER_RE.test(v[bare]!)) {
    return `column ${bare + 1} (STATUS) is not an unquoted integer: ${excerpt(v[bare] ?? '')}`;
  }
  if (bare < 0) {
    return { NAME: v[0]!, RECORD: v[1]!, TIMESTAMP: v[2]!, MYSQL_VERSION: v[3]!, STARTUP_OPTIONS: v[4]!, OS_VERSION: v[5]! };
  }
  if (bare === 4) {
    return {
      NAME: v[0]!, RECORD: v[1]!, TIMESTAMP: v[2]!, CONNECTION_ID: v[3]!, STATUS: v[4]!, USER: v[5]!,
      PRIV_USER: v[6]!, OS_LOGIN: v[7]!, PROXY_USER: v[8]!, HOST: v[9]!, IP: v[10]!, DB: v[11]!,
    };
  }
  const f: Fields = {
    NAME: v[0]!, RECORD: v[1]!, TIMESTAMP: v[2]!, COMMAND_CLASS: v[3]!, CONNECTION_ID: v[4]!, STATUS: v[5]!,
    SQLTEXT: v[6]!, USER: v[7]!, HOST: v[8]!, OS_USER: v[9]!, IP: v[10]!,
  };
  if (n === 12) f.DB = v[11]!;
  return f;
}

function describe(c: number): string {
  return c >= 0x21 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Set by splitCells: bit k is set when cell k was quoted (cells past 30 are not tracked). */
let quotedMask = 0;

/**
 * Split one record's text (without its line end) into cell values; which
 * cells were quoted is left in `quotedMask`. The framing walk has already
 * checked the quoting; a string comes back if it is broken anyway.
 */
export function splitCells(s: string): string[] | string {
  const values: string[] = [];
  let mask = 0;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === QUOTE) {
      let j = i + 1;
      let v = '';
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) return 'unclosed quote';
        if (s.charCodeAt(q + 1) === QUOTE) {
          v += s.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        v += s.slice(j, q);
        i = q + 1;
        break;
      }
      if (values.length < 31) mask |= 1 << values.length;
      values.push(v);
    } else {
      let c = s.indexOf(',', i);
      if (c < 0) c = s.length;
      const v = s.slice(i, c);
      if (v.includes('"')) return 'quote inside an unquoted field';
      values.push(v);
      i = c;
    }
    if (i >= s.length) {
      quotedMask = mask;
      return values;
    }
    if (s.charCodeAt(i) !== COMMA) return `unexpected character after a quoted field at ${i}`;
    i++;
  }
}
