/**
 * The framing walk of lean XML reading (frame.ts): one pass over a record's
 * bytes that vouches that parseElementRecord / parseAttributeRecord
 * (src/scanners/xml.ts) would read it without a problem, finds where it ends
 * (the first `</AUDIT_RECORD>`, or the first `>` of an OLD record), and notes
 * what decides the entry: the first TIMESTAMP, whether RECORD_ID and Percona's
 * RECORD or OS_USER are there, and the values of the fields asked for.
 *
 *   const w = new XmlWalk(0);
 *   if (w.element(buf, lt)) emit(buf, lt, w.end, ...);   // else: parse it in full
 *
 * It vouches only for the plain shape every server writes: NEW child elements
 * `<NAME>text</NAME>` or `<NAME/>` (names of name characters, text between
 * elements ignored, as the parser ignores it), OLD attributes `NAME="value"`
 * with blanks between them. Anything else (a container element such as
 * CONNECTION_ATTRIBUTES, blanks inside a tag, a `>` in an attribute value, a
 * nested record) returns false, and the record is parsed in full,
 * which says what is wrong with it, if anything. With fields asked for, an
 * element without a mapping row or a repeated one also returns false: those go
 * into the event's data object (mapping.ts keepUnmapped), where a filter could see them.
 */
import { FIELD_NAMES } from '../mapping.js';

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUOTE = 0x22;
const EQ = 0x3d;

const REC_CLOSE = Buffer.from('</AUDIT_RECORD>');
const AUDIT_RECORD = Buffer.from('AUDIT_RECORD');
const TIMESTAMP = FIELD_NAMES.indexOf('TIMESTAMP');
const RECORD_ID = FIELD_NAMES.indexOf('RECORD_ID');
const RECORD = FIELD_NAMES.indexOf('RECORD');
const OS_USER = FIELD_NAMES.indexOf('OS_USER');
const NAMES = FIELD_NAMES.map((n) => Buffer.from(n));
const NESTED = -2;
const UNKNOWN = -1;

/** Name characters of an element (A-Z a-z 0-9 _ . -), as the parser's isNameChar. */
const NAME_CHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) NAME_CHAR[c] = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45 ? 1 : 0;
/** Blanks between attributes (the parser's isBlank). */
const BLANK = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x09, 0x0d]) BLANK[c] = 1;
/** Attribute names also take `:`. */
const ATTR_CHAR = Uint8Array.from(NAME_CHAR, (v, c) => (c === 0x3a ? 1 : v));

/** Known names by length: [name bytes, index] (the index into FIELD_NAMES, or NESTED for AUDIT_RECORD). */
const BY_LENGTH: [Buffer, number][][] = [];
for (const [b, i] of [...NAMES.map((b, i) => [b, i] as const), [AUDIT_RECORD, NESTED] as const]) (BY_LENGTH[b.length] ??= []).push([b, i]);

function same(buf: Buffer, at: number, name: Buffer): boolean {
  for (let q = 0; q < name.length; q++) if (buf[at + q] !== name[q]) return false;
  return true;
}

/** The index of the known name buf[from, to) (FIELD_NAMES, or NESTED), or UNKNOWN. */
function knownName(buf: Buffer, from: number, to: number): number {
  const list = BY_LENGTH[to - from];
  if (list === undefined) return UNKNOWN;
  for (const [name, i] of list) if (name[0] === buf[from] && same(buf, from, name)) return i;
  return UNKNOWN;
}

/** The names that matter without fields asked for: only these lengths are looked up. */
const MATTERS = new Uint8Array(64);
for (const i of [TIMESTAMP, RECORD_ID, RECORD, OS_USER]) MATTERS[NAMES[i]!.length] = 1;
MATTERS[AUDIT_RECORD.length] = 1;

export class XmlWalk {
  /** After a walk that vouched: the offset just past the record's last byte. */
  end = 0;
  /** Which FIELD_NAMES the record has (those that matter, or with fields asked for, all), as a bit mask. */
  present = 0;
  /** Value ranges by FIELD_NAMES index (start, end), valid where `present` has the bit. */
  readonly spans = new Int32Array(FIELD_NAMES.length * 2);
  private readonly all: boolean;

  /** @param want bit mask of FIELD_NAMES whose values are asked for (0: none; then only what decides the entry is noted) */
  constructor(readonly want: number) {
    this.all = want !== 0;
  }

  /** Whether the record has field `i` (an index into FIELD_NAMES). */
  has(i: number): boolean {
    return (this.present & (1 << i)) !== 0;
  }

  get percona(): boolean {
    return this.has(RECORD) || this.has(OS_USER);
  }
  get recordId(): boolean {
    return this.has(RECORD_ID);
  }
  /** The first TIMESTAMP's value range, or undefined. */
  get timestamp(): [number, number] | undefined {
    return this.has(TIMESTAMP) ? [this.spans[2 * TIMESTAMP]!, this.spans[2 * TIMESTAMP + 1]!] : undefined;
  }

  /**
   * Note a field named buf[from, to) with the value buf[v0, v1). False when
   * the record cannot be vouched for: a nested record; with fields asked for,
   * an unknown or repeated name.
   */
  private field(buf: Buffer, from: number, to: number, v0: number, v1: number): boolean {
    const len = to - from;
    if (!this.all && (len >= 64 || MATTERS[len] === 0)) return true;
    const i = knownName(buf, from, to);
    if (i === NESTED) return false;
    if (i === UNKNOWN) return !this.all;
    const bit = 1 << i;
    if ((this.present & bit) !== 0) return !this.all;
    this.present |= bit;
    this.spans[2 * i] = v0;
    this.spans[2 * i + 1] = v1;
    return true;
  }

  /** Walk the NEW record whose `<AUDIT_RECORD>` starts at `lt`. */
  element(buf: Buffer, lt: number): boolean {
    this.present = 0;
    const n = buf.length;
    let i = lt + 14;
    for (;;) {
      // Text between elements is ignored, as the parser ignores it.
      while (i < n && buf[i] !== LT) i++;
      if (i + 1 >= n) return false;
      const n0 = i + 1;
      if (buf[n0] === SLASH) {
        // The first closing tag must be the record's.
        if (i + REC_CLOSE.length > n || !same(buf, i, REC_CLOSE)) return false;
        this.end = i + REC_CLOSE.length;
        return true;
      }
      let j = n0;
      while (j < n && NAME_CHAR[buf[j]!] === 1) j++;
      if (j === n0 || j + 1 >= n) return false;
      const c = buf[j];
      if (c === SLASH) {
        if (buf[j + 1] !== GT || !this.field(buf, n0, j, j, j)) return false;
        i = j + 2;
        continue;
      }
      if (c !== GT) return false;
      // A value's end by one native search: faster than a loop from about 10 bytes on.
      let k = buf.indexOf(LT, j + 1);
      if (k < 0) k = n;
      const len = j - n0;
      if (k + 2 + len >= n || buf[k + 1] !== SLASH || buf[k + 2 + len] !== GT) return false;
      for (let q = 0; q < len; q++) if (buf[k + 2 + q] !== buf[n0 + q]) return false;
      if (!this.field(buf, n0, j, j + 1, k)) return false;
      i = k + 3 + len;
    }
  }

  /** Walk the OLD record whose `<AUDIT_RECORD` starts at `lt`. */
  attributes(buf: Buffer, lt: number): boolean {
    this.present = 0;
    const n = buf.length;
    let i = lt + 13;
    let count = 0;
    // Every read is bounded by n: one past the buffer's end would cost V8's optimised code.
    for (;;) {
      while (i < n && BLANK[buf[i]!] === 1) i++;
      if (i + 1 >= n) return false;
      if (buf[i] === SLASH) {
        if (buf[i + 1] !== GT || count === 0) return false;
        this.end = i + 2;
        return true;
      }
      const n0 = i;
      while (i < n && ATTR_CHAR[buf[i]!] === 1) i++;
      if (i === n0) return false;
      const n1 = i;
      while (i < n && BLANK[buf[i]!] === 1) i++;
      if (i >= n || buf[i] !== EQ) return false;
      i++;
      while (i < n && BLANK[buf[i]!] === 1) i++;
      if (i >= n || buf[i] !== QUOTE) return false;
      const v0 = ++i;
      // A `>` would have ended the record: its framing stops at the first one. (A `<` is a value's, as for the parser.)
      let c = 0;
      while (i < n && (c = buf[i]!) !== QUOTE) {
        if (c === GT) return false;
        i++;
      }
      if (i >= n || !this.field(buf, n0, n1, v0, i)) return false;
      count++;
      i++;
    }
  }
}
