/**
 * Hand-written streaming scanner for the XML audit formats: MySQL Enterprise
 * NEW (`<AUDIT_RECORD>` with child elements) and OLD (`<AUDIT_RECORD .../>`
 * attributes, including the 5.5 one-line variant), and Percona classic
 * `percona-new` / `percona-old` (`RECORD`, `OS_USER`).
 *
 *   const s = new XmlScanner({ file: 'audit.log' }, 'new');
 *   const items = [...s.push(bytes), ...s.end()];
 *
 * One framing loop serves all four because the servers' values never hold a
 * raw `<` or `>` (both are always escaped), so every `<` inside a record is
 * markup: record ends are found with native Buffer.indexOf and a record is
 * decoded only once it is whole, so UTF-8 split across chunks cannot matter.
 * Percona's plugin appends a new `<?xml ...?><AUDIT>` header at every open, and
 * its format can change between server runs, so one file may hold several
 * documents and both record kinds; each entry says which kind it is.
 * Attribute values are read without XML attribute-value normalisation, so
 * raw newlines and tabs in OLD values are kept.
 */
import { isAscii } from 'node:buffer';
import { excerpt } from '../text.js';
import type { FormatId } from '../entry.js';
import type { AuditEvent } from '../entry.js';
import { FIELD_NAMES, fieldsForPaths, fieldsToEvent, xmlTimestampToJson, type ExtraValue, type Extras, type Fields } from '../mapping.js';
import { XmlWalk } from './frame-xml.js';
import { bomLength, ByteScanner, isWhitespace, type ScannerOptions } from './scanner.js';
import { decodeXml } from './xml-text.js';

const REC_OPEN = Buffer.from('<AUDIT_RECORD');
const REC_CLOSE = Buffer.from('</AUDIT_RECORD>');
const AUDIT_OPEN = Buffer.from('<AUDIT');
const AUDIT_CLOSE = Buffer.from('</AUDIT>');
const LONGEST_TAG = 16;

function startsWithAt(buf: Buffer, at: number, tag: Buffer): boolean {
  if (at + tag.length > buf.length) return false;
  for (let i = 0; i < tag.length; i++) if (buf[at + i] !== tag[i]) return false;
  return true;
}

interface Parsed {
  fields: Fields;
  attributes?: Record<string, string>;
  /** Elements (attributes) without a mapping row, in order. */
  extras?: Extras;
  /** Which FIELD_NAMES the record has, as a bit mask. */
  present: number;
}

export class XmlScanner extends ByteScanner {
  private fmt: FormatId;
  private decided = false;
  /** Absolute offset of a record start we are waiting on, and how far its end was searched. */
  private waitStart = -1;
  private searched = 0;
  /** Lean reading (ScannerOptions.lean): the walk, and which record kinds it reads (NEW elements, OLD attributes). */
  private readonly walk: XmlWalk | undefined;
  private readonly leanElements: boolean = false;
  private readonly leanAttributes: boolean = false;
  /** Whether the buffer being scanned is ASCII: undefined until a record of it asks (plainShape). */
  private asciiBlock: boolean | undefined;

  /** @param hint the format to report until the first record says otherwise */
  constructor(opts: ScannerOptions = {}, hint: FormatId = 'new') {
    super(opts);
    this.fmt = hint;
    const lean = this.lean;
    const f = lean?.format;
    if (lean && (f === undefined || f === 'new' || f === 'old' || f === 'percona-new' || f === 'percona-old')) {
      const paths = lean.paths ?? [];
      this.walk = new XmlWalk(paths.length ? fieldsForPaths(paths) : 0);
      this.leanElements = f === undefined || f === 'new' || f === 'percona-new';
      this.leanAttributes = f === undefined || f === 'old' || f === 'percona-old';
    }
  }

  get format(): FormatId {
    return this.fmt;
  }

  protected scan(buf: Buffer, final: boolean): number {
    let p = 0;
    this.asciiBlock = undefined;
    if (this.base === 0) {
      // A UTF-8 byte order mark (editors add one) is not junk.
      const bom = bomLength(buf, final);
      if (bom < 0) return 0;
      p = bom;
    }
    while (p < buf.length) {
      const lt = buf.indexOf(0x3c, p);
      if (lt < 0) {
        const h = final ? buf.length : this.holdFrom(buf, p, buf.length);
        this.skip(buf, p, h);
        return h;
      }
      if (!final && buf.length - lt < LONGEST_TAG) {
        const h = this.holdFrom(buf, p, lt);
        this.skip(buf, p, h);
        return h;
      }
      if (final && buf.length - lt >= 7 && buf.length - lt < REC_OPEN.length + 1 && REC_OPEN.subarray(0, buf.length - lt).equals(buf.subarray(lt))) {
        // The input stops inside a record's start tag (`<AUDIT_` at least: shorter is ambiguous with <AUDIT>).
        this.skip(buf, p, lt);
        const from = this.lineStart(buf, lt);
        this.problem('TRUNCATED_RECORD', 'input ends inside a record start tag', from, buf.length);
        return buf.length;
      }
      if (startsWithAt(buf, lt, REC_OPEN)) {
        const c = buf[lt + REC_OPEN.length];
        if (c === 0x3e || c === 0x2f || (c !== undefined && isWhitespace(c))) {
          this.skip(buf, p, lt);
          const next = this.record(buf, lt, final);
          if (next < 0) return this.holdFrom(buf, p, lt);
          p = next;
          continue;
        }
      }
      if (buf[lt + 1] === 0x3f /* <? */ || buf[lt + 1] === 0x21 /* <! */) {
        // A declaration after the footer starts another document (Percona writes one at every open).
        if (buf[lt + 1] === 0x3f) this.footerSeen = false;
        const close = buf[lt + 1] === 0x3f ? '?>' : '>';
        const e = buf.indexOf(close, lt + 2);
        this.skip(buf, p, lt);
        // A declaration or comment never holds a record: one that a record starts inside
        // (damaged, or text spliced in) is text outside records up to that record, which is read.
        const rec = buf.subarray(lt + 2, e < 0 ? buf.length : e).indexOf(REC_OPEN);
        if (rec >= 0) {
          const h = this.holdFrom(buf, lt, lt + 2 + rec);
          this.skip(buf, lt, h);
          p = h;
          continue;
        }
        if (e < 0) {
          if (!final) return this.holdFrom(buf, p, lt);
          this.skip(buf, lt, buf.length);
          return buf.length;
        }
        p = e + close.length;
        continue;
      }
      if (startsWithAt(buf, lt, AUDIT_CLOSE)) {
        this.skip(buf, p, lt);
        this.flushJunk();
        this.footerSeen = true;
        this.inDocument = false;
        p = lt + AUDIT_CLOSE.length;
        continue;
      }
      if (startsWithAt(buf, lt, AUDIT_OPEN) && (buf[lt + 6] === 0x3e || isWhitespace(buf[lt + 6] ?? 0))) {
        const e = buf.indexOf(0x3e, lt);
        if (e >= 0) {
          this.skip(buf, p, lt);
          this.footerSeen = false;
          this.flushJunk();
          this.inDocument = true;
          p = e + 1;
          continue;
        }
      }
      // Any other '<' is text outside a record.
      this.skip(buf, p, lt + 1);
      p = lt + 1;
    }
    return p;
  }

  /** Frame and parse the record whose `<AUDIT_RECORD` is at `lt`. Returns where scanning goes on, or -1 for "need more input". */
  private record(buf: Buffer, lt: number, final: boolean): number {
    const elem = buf[lt + REC_OPEN.length] === 0x3e;
    const absLt = this.base + lt;
    // A record waited on is parsed in full: the walk does not resume, so it never reads a long record twice.
    if (this.walk && this.waitStart !== absLt && (elem ? this.leanElements : this.leanAttributes)) {
      const next = this.leanRecord(buf, lt, elem, final);
      if (next !== FULL) return next;
    }
    const from = this.waitStart === absLt ? Math.max(lt + REC_OPEN.length, this.searched - this.base) : lt + REC_OPEN.length;
    // One search for the record's end; a torn record (another tag starts before
    // it ends) is found by the parser, so the common path reads the bytes once.
    let recEnd: number;
    if (elem) {
      const close = buf.indexOf(REC_CLOSE, Math.max(from - REC_CLOSE.length, lt + REC_OPEN.length));
      recEnd = close < 0 ? -1 : close + REC_CLOSE.length;
    } else {
      const gt = buf.indexOf(0x3e, from);
      recEnd = gt < 0 ? -1 : gt + 1;
    }
    if (recEnd < 0) {
      const nextFrom = Math.max(lt + 1, from - REC_OPEN.length);
      const next = elem ? buf.indexOf(REC_OPEN, Math.max(nextFrom, lt + REC_OPEN.length)) : buf.indexOf(0x3c, nextFrom);
      if (next >= 0) return this.torn(buf, lt, next, elem);
      if (!final) {
        this.waitStart = absLt;
        this.searched = this.base + buf.length;
        return -1;
      }
      this.problem('TRUNCATED_RECORD', elem ? 'input ends inside a record (no </AUDIT_RECORD>)' : 'input ends inside a record (no "/>")', this.lineStart(buf, lt), buf.length);
      this.waitStart = -1;
      return buf.length;
    }
    const ext = this.lineExtent(buf, lt, recEnd, final);
    if (!ext) {
      this.waitStart = absLt;
      this.searched = this.base + recEnd - 1;
      return -1;
    }
    this.waitStart = -1;
    if (this.plainShape) {
      // The plain shape by bytes; anything else (and every problem) is the full parser's.
      // One native check of the buffer spares one per record; made when a record is read, so
      // a buffer held while a long record arrives is not checked again at every push.
      this.asciiBlock ??= isAscii(buf);
      const ascii = this.asciiBlock || asciiRange(buf, lt, recEnd);
      const plain = elem ? plainElementRecord(buf, lt, recEnd, ascii) : plainAttributeRecord(buf, lt, recEnd, ascii);
      if (plain !== undefined) return this.accept(buf, ext, plain, elem);
    }
    const text = this.text(buf, lt, recEnd);
    const parsed = elem ? parseElementRecord(text) : parseAttributeRecord(text);
    if (typeof parsed === 'number') return this.torn(buf, lt, byteOfLt(buf, lt, text, parsed), elem);
    if (typeof parsed === 'string') {
      // A bad record that runs into the next one is torn: resync at the next record.
      const inner = buf.subarray(lt + 1, recEnd).indexOf(REC_OPEN);
      if (inner >= 0) return this.torn(buf, lt, lt + 1 + inner, elem);
      this.problem('MALFORMED_RECORD', parsed, ext[0], ext[1]);
      return ext[1];
    }
    return this.accept(buf, ext, parsed, elem);
  }

  /** Emit the parsed record whose range is `ext`. Returns where scanning goes on. */
  private accept(buf: Buffer, ext: [number, number], parsed: Parsed, elem: boolean): number {
    const percona = parsed.fields.RECORD !== undefined || parsed.fields.OS_USER !== undefined;
    const fmt: FormatId = elem ? (percona ? 'percona-new' : 'new') : percona ? 'percona-old' : 'old';
    if (!this.decided) {
      this.fmt = fmt;
      this.decided = true;
    }
    // Percona audit_log_filter writes local time without a zone (and a RECORD_ID); MySQL
    // Enterprise ` UTC`, Percona classic `Z` or ` UTC`, and 5.5 files no suffix and no RECORD_ID.
    const f = parsed.fields;
    const ts = f.TIMESTAMP;
    let zone: 'utc' | 'local' = 'utc';
    let changed = false;
    if (ts !== undefined && f.RECORD_ID !== undefined && !ts.endsWith(' UTC') && !ts.endsWith('Z')) {
      zone = 'local';
      if (this.toUtc) {
        const wall = xmlTimestampToJson(ts);
        const utc = this.toUtc(wall);
        if (utc !== wall || wall.length === 19) {
          // Converted before the event is built, so its id is the sequence of the UTC time.
          f.TIMESTAMP = `${utc.slice(0, 10)}T${utc.slice(11)} UTC`;
          zone = 'utc';
          changed = true;
        }
      }
    }
    this.emit(buf, ext[0], ext[1], fieldsToEvent(f, this.ids, parsed.attributes, parsed.extras, parsed.present), fmt, zone, changed);
    return ext[1];
  }

  /**
   * Lean reading of the record at `lt` (frame.ts): the walk vouches for it, and what
   * record() decides from its parse (format, time zone) is decided from the walk.
   * Returns where scanning goes on, -1 for "need more input", or FULL: parse it in full
   * (the walk cannot vouch for it, or it is converted: another format, or a time to convert).
   */
  private leanRecord(buf: Buffer, lt: number, elem: boolean, final: boolean): number {
    const w = this.walk!;
    if (!(elem ? w.element(buf, lt) : w.attributes(buf, lt))) return FULL;
    const fmt: FormatId = elem ? (w.percona ? 'percona-new' : 'new') : w.percona ? 'percona-old' : 'old';
    const want = this.lean!.format;
    if (want !== undefined && fmt !== want) return FULL;
    const t = w.timestamp;
    const ts = t === undefined ? undefined : decodeXml(buf.toString('utf8', t[0], t[1]));
    const local = ts !== undefined && w.recordId && !ts.endsWith(' UTC') && !ts.endsWith('Z');
    if (local && this.toUtc) return FULL;
    const recEnd = w.end;
    const ext = this.lineExtent(buf, lt, recEnd, final);
    if (!ext) {
      this.waitStart = this.base + lt;
      this.searched = this.base + recEnd - 1;
      return -1;
    }
    this.waitStart = -1;
    this.checkUtf8(buf, lt, recEnd);
    if (!this.decided) {
      this.fmt = fmt;
      this.decided = true;
    }
    let event: AuditEvent;
    if (w.want === 0) event = ts === undefined ? {} : { timestamp: xmlTimestampToJson(ts) };
    else {
      // The fields the paths are built from, and fieldsToEvent over them: the event those paths have.
      const f: Fields = {};
      const have = w.present & w.want;
      for (let i = 0; i < FIELD_NAMES.length; i++) if ((have & (1 << i)) !== 0) f[FIELD_NAMES[i]!] = decodeXml(buf.toString('utf8', w.spans[2 * i]!, w.spans[2 * i + 1]!));
      event = fieldsToEvent(f, this.ids, undefined, undefined, have);
    }
    this.emitLean(buf, ext[0], ext[1], event, fmt, local ? 'local' : 'utc');
    return ext[1];
  }

  /** The record at `lt` is cut short by a tag at `next`: report it, go on at next's line. */
  private torn(buf: Buffer, lt: number, next: number, elem: boolean): number {
    // Cut at the start of the next tag's line, or at the tag itself when it is on this record's line.
    let cut = this.holdFrom(buf, lt, next);
    if (cut <= lt) cut = next;
    const from = this.lineStart(buf, lt);
    this.problem('MALFORMED_RECORD', elem ? 'record has no </AUDIT_RECORD> before the next tag' : 'record has no closing "/>" before the next tag', from, cut);
    this.waitStart = -1;
    return cut;
  }
}

/**
 * Byte offset in `buf` of the `<` at character `ci` of `text`, the text of the bytes from `from`.
 * Counted in `<`s, not in UTF-8 lengths: invalid UTF-8 decodes to U+FFFD, whose length is not
 * that of the bytes it replaces, while a `<` is always the one byte 0x3c and never part of a
 * replaced sequence. Only torn records pay this.
 */
function byteOfLt(buf: Buffer, from: number, text: string, ci: number): number {
  let n = 0;
  for (let k = text.indexOf('<'); k >= 0 && k < ci; k = text.indexOf('<', k + 1)) n++;
  let b = buf.indexOf(0x3c, from);
  while (n-- > 0) b = buf.indexOf(0x3c, b + 1);
  return b;
}

function isNameChar(c: number): boolean {
  // A-Z a-z 0-9 _ . -
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
}

/** leanRecord(): parse this record in full. */
const FULL = -2;

const KNOWN_NAMES: readonly string[] = FIELD_NAMES;
const CONNECTION_ATTRIBUTES = -2;
const NESTED_RECORD = -3;
/** Known names by (length, first char, last char): one lookup and one compare per element. */
const KNOWN = new Map<number, [string, number]>();
const nameKey = (len: number, first: number, last: number) => (len << 16) | (first << 8) | last;
for (const [k, i] of [...KNOWN_NAMES.map((n, i) => [n, i] as const), ['CONNECTION_ATTRIBUTES', CONNECTION_ATTRIBUTES] as const, ['AUDIT_RECORD', NESTED_RECORD] as const]) {
  const key = nameKey(k.length, k.charCodeAt(0), k.charCodeAt(k.length - 1));
  if (KNOWN.has(key)) throw new Error(`field name key clash: ${k}`);
  KNOWN.set(key, [k, i]);
}

/**
 * The fields of one record, with every known field a fixed property so that
 * all records share one hidden class and stores are monomorphic; other names
 * are added as they come. Absent fields read as undefined, as in a plain object.
 * (Measured: parsing NEW XML went from 92 to 150 MiB/s with this and knownIndex.)
 */
class RecordFields {
  TIMESTAMP: string | undefined = undefined;
  RECORD_ID: string | undefined = undefined;
  NAME: string | undefined = undefined;
  CONNECTION_ID: string | undefined = undefined;
  STATUS: string | undefined = undefined;
  STATUS_CODE: string | undefined = undefined;
  USER: string | undefined = undefined;
  OS_LOGIN: string | undefined = undefined;
  HOST: string | undefined = undefined;
  IP: string | undefined = undefined;
  COMMAND_CLASS: string | undefined = undefined;
  SQLTEXT: string | undefined = undefined;
  CONNECTION_TYPE: string | undefined = undefined;
  PRIV_USER: string | undefined = undefined;
  PROXY_USER: string | undefined = undefined;
  DB: string | undefined = undefined;
  SERVER_ID: string | undefined = undefined;
  VERSION: string | undefined = undefined;
  STARTUP_OPTIONS: string | undefined = undefined;
  OS_VERSION: string | undefined = undefined;
  MYSQL_VERSION: string | undefined = undefined;
  TABLE: string | undefined = undefined;
  RECORD: string | undefined = undefined;
  OS_USER: string | undefined = undefined;
}

function setKnown(f: RecordFields, i: number, v: string): void {
  switch (i) {
    case 0:
      f.TIMESTAMP = v;
      return;
    case 1:
      f.RECORD_ID = v;
      return;
    case 2:
      f.NAME = v;
      return;
    case 3:
      f.CONNECTION_ID = v;
      return;
    case 4:
      f.STATUS = v;
      return;
    case 5:
      f.STATUS_CODE = v;
      return;
    case 6:
      f.USER = v;
      return;
    case 7:
      f.OS_LOGIN = v;
      return;
    case 8:
      f.HOST = v;
      return;
    case 9:
      f.IP = v;
      return;
    case 10:
      f.COMMAND_CLASS = v;
      return;
    case 11:
      f.SQLTEXT = v;
      return;
    case 12:
      f.CONNECTION_TYPE = v;
      return;
    case 13:
      f.PRIV_USER = v;
      return;
    case 14:
      f.PROXY_USER = v;
      return;
    case 15:
      f.DB = v;
      return;
    case 16:
      f.SERVER_ID = v;
      return;
    case 17:
      f.VERSION = v;
      return;
    case 18:
      f.STARTUP_OPTIONS = v;
      return;
    case 19:
      f.OS_VERSION = v;
      return;
    case 20:
      f.MYSQL_VERSION = v;
      return;
    case 21:
      f.TABLE = v;
      return;
    case 22:
      f.RECORD = v;
      return;
    case 23:
      f.OS_USER = v;
      return;
  }
}

/** The known field name at s[from, to) and its index, or undefined. */
function known(s: string, from: number, to: number): [string, number] | undefined {
  const k = KNOWN.get(nameKey(to - from, s.charCodeAt(from), s.charCodeAt(to - 1)));
  return k !== undefined && at(s, k[0], from) ? k : undefined;
}

/**
 * Whether `sub` occurs in `s` at `pos`. `indexOf(sub, pos) === pos` measured
 * 2-3x faster than `startsWith(sub, pos)` on Node 20 (20 vs 40-75 ns); a
 * mismatch scans on to the end of the record, which only bad input pays.
 */
function at(s: string, sub: string, pos: number): boolean {
  return s.indexOf(sub, pos) === pos;
}

/**
 * Parse `<AUDIT_RECORD> <NAME>value</NAME> ... </AUDIT_RECORD>` (NEW).
 * Returns the fields, a string saying what is wrong, or the character index
 * of an `<AUDIT_RECORD` that starts inside this one (this one is torn). Text between child
 * elements is ignored (documentation samples put `...` there).
 * Hand-written over char codes: this loop is most of the cost of reading NEW XML.
 */
export function parseElementRecord(s: string): Parsed | string | number {
  const fields = new RecordFields();
  let attributes: Record<string, string> | undefined;
  let extras: Extras | undefined;
  let present = 0;
  // Most records hold no entity at all: then no value needs decoding.
  const entities = s.indexOf('&') >= 0;
  let i = s.indexOf('>') + 1;
  for (;;) {
    const lt = s.indexOf('<', i);
    if (lt < 0) return 'no </AUDIT_RECORD>';
    if (s.charCodeAt(lt + 1) === 0x2f) {
      if (at(s, '/AUDIT_RECORD>', lt + 1)) break;
      return `unexpected closing tag at character ${lt}`;
    }
    const gt = s.indexOf('>', lt);
    if (gt < 0) return 'unterminated tag';
    const empty = s.charCodeAt(gt - 1) === 0x2f;
    let nameEnd = empty ? gt - 1 : gt;
    while (nameEnd > lt + 1 && isBlank(s.charCodeAt(nameEnd - 1))) nameEnd--;
    let k = known(s, lt + 1, nameEnd);
    let name: string;
    if (k !== undefined) {
      if (k[1] === NESTED_RECORD) return lt;
      name = k[0];
      // A repeated field is kept as an unmapped one.
      if (k[1] >= 0 && (present & (1 << k[1])) !== 0) k = undefined;
    } else {
      name = s.slice(lt + 1, nameEnd);
      for (let q = 0; q < name.length; q++) if (!isNameChar(name.charCodeAt(q))) return `bad element name ${excerpt(name)} at character ${lt}`;
      if (name.length === 0) return `bad element at character ${lt}`;
    }
    if (empty) {
      if (k !== undefined && k[1] >= 0) {
        setKnown(fields, k[1], '');
        present |= 1 << k[1];
      } else (extras ??= []).push([name, '']);
      i = gt + 1;
      continue;
    }
    const v0 = gt + 1;
    const lt2 = s.indexOf('<', v0);
    if (lt2 < 0) return `element <${name}> is not closed`;
    if (s.charCodeAt(lt2 + 1) === 0x2f) {
      if (!at(s, name, lt2 + 2) || s.charCodeAt(lt2 + 2 + name.length) !== 0x3e)
        return `element <${name}> closed by ${s.slice(lt2, s.indexOf('>', lt2) + 1)}`;
      const raw = s.slice(v0, lt2);
      const v = entities && raw.indexOf('&') >= 0 ? decodeXml(raw) : raw;
      if (k !== undefined && k[1] >= 0) {
        setKnown(fields, k[1], v);
        present |= 1 << k[1];
      } else (extras ??= []).push([name, v]);
      i = lt2 + 3 + name.length;
      continue;
    }
    // A container element: CONNECTION_ATTRIBUTES, or one without a mapping row (kept as an object).
    const c2 = s.charCodeAt(lt2 + 1);
    if (!((c2 >= 65 && c2 <= 90) || (c2 >= 97 && c2 <= 122) || c2 === 95)) return `bad markup in element <${name}>`;
    const closeTag = `</${name}>`;
    const close = s.indexOf(closeTag, v0);
    if (close < 0) return `element <${name}> is not closed`;
    const inner = s.indexOf('<AUDIT_RECORD', lt2);
    if (inner >= 0 && inner < close) return inner;
    if (k !== undefined && k[1] === CONNECTION_ATTRIBUTES && attributes === undefined) {
      const a = parseAttributes(s.slice(v0, close));
      if (typeof a === 'string') return a;
      attributes = a;
    } else {
      const tree = parseChildren(s, v0, close, 0);
      if (typeof tree === 'string') return `in element <${name}>: ${tree}`;
      (extras ??= []).push([name, tree]);
    }
    i = close + closeTag.length;
  }
  const out: Parsed = { fields: fields as unknown as Fields, present };
  if (attributes) out.attributes = attributes;
  if (extras) out.extras = extras;
  return out;
}

/** Deepest nesting of unmapped elements read; deeper is a malformed record. */
const MAX_DEPTH = 32;

/**
 * The child elements of an unmapped container element, s[from, to): an object by
 * lower-cased name, repeated names as arrays, leaf values decoded text. Text between
 * child elements other than blanks is kept under `_text`.
 */
function parseChildren(s: string, from: number, to: number, depth: number): ExtraValue | string {
  if (depth >= MAX_DEPTH) return 'elements nested too deep';
  const out: { [name: string]: ExtraValue | ExtraValue[] } = {};
  const add = (n: string, v: ExtraValue) => {
    const k = n.toLowerCase();
    const had = out[k];
    if (had === undefined) out[k] = v;
    else if (Array.isArray(had)) had.push(v);
    else out[k] = [had, v];
  };
  let i = from;
  let text = '';
  while (i < to) {
    const lt = s.indexOf('<', i);
    const stop = lt < 0 || lt >= to ? to : lt;
    const between = s.slice(i, stop);
    if (between.trim() !== '') text += between;
    if (stop === to) break;
    const gt = s.indexOf('>', lt);
    if (gt < 0 || gt >= to) return 'unterminated tag';
    if (s.charCodeAt(lt + 1) === 0x2f) return `unexpected closing tag at character ${lt}`;
    const empty = s.charCodeAt(gt - 1) === 0x2f;
    let nameEnd = empty ? gt - 1 : gt;
    while (nameEnd > lt + 1 && isBlank(s.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = s.slice(lt + 1, nameEnd);
    if (name.length === 0) return `bad element at character ${lt}`;
    for (let q = 0; q < name.length; q++) if (!isNameChar(name.charCodeAt(q))) return `bad element name ${JSON.stringify(name)} at character ${lt}`;
    if (empty) {
      add(name, '');
      i = gt + 1;
      continue;
    }
    // The matching close tag, counting nested elements of the same name.
    const openTag = `<${name}>`;
    const closeTag = `</${name}>`;
    let nest = 1;
    let p = gt + 1;
    let close = -1;
    while (nest > 0) {
      const c = s.indexOf(closeTag, p);
      if (c < 0 || c >= to) return `element <${name}> is not closed`;
      const o = s.indexOf(openTag, p);
      if (o >= 0 && o < c) {
        nest++;
        p = o + openTag.length;
      } else {
        nest--;
        p = c + closeTag.length;
        close = c;
      }
    }
    const body = s.slice(gt + 1, close);
    if (body.indexOf('<') < 0) add(name, decodeXml(body));
    else {
      const sub = parseChildren(s, gt + 1, close, depth + 1);
      // A body with markup gives an object; a string is what was wrong in it.
      if (typeof sub === 'string') return sub;
      add(name, sub);
    }
    i = close + closeTag.length;
  }
  if (text !== '') out._text = decodeXml(text);
  return out;
}

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

const ATTR_BLOCK_RE = /<ATTRIBUTE>\s*<NAME>([^<]*)<\/NAME>\s*<VALUE>([^<]*)<\/VALUE>\s*<\/ATTRIBUTE>|<ATTRIBUTE>\s*<NAME>([^<]*)<\/NAME>\s*<VALUE\/>\s*<\/ATTRIBUTE>/g;

function parseAttributes(body: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  let count = 0;
  for (const m of body.matchAll(ATTR_BLOCK_RE)) {
    if (m[1] !== undefined) out[decodeXml(m[1])] = decodeXml(m[2]!);
    else out[decodeXml(m[3]!)] = '';
    count++;
  }
  if (count === 0 && body.includes('<ATTRIBUTE')) return 'unreadable CONNECTION_ATTRIBUTES';
  return out;
}

/**
 * Parse `<AUDIT_RECORD A="v" ... />` (OLD). Values keep raw newlines and tabs
 * (no attribute-value normalisation). Returns the fields, a string saying what
 * is wrong, or the character index of a `<` inside the tag (the record is torn:
 * values never hold a raw `<`). Hand-written like parseElementRecord, and for
 * the same reason.
 */
export function parseAttributeRecord(s: string): Parsed | string | number {
  const fields = new RecordFields();
  let extras: Extras | undefined;
  let present = 0;
  const entities = s.indexOf('&') >= 0;
  const n = s.length;
  let i = REC_OPEN.length;
  let count = 0;
  for (;;) {
    while (i < n && isBlank(s.charCodeAt(i))) i++;
    const c = s.charCodeAt(i);
    if (c === 0x2f && s.charCodeAt(i + 1) === 0x3e && i + 2 === n) break;
    const eq = s.indexOf('=', i);
    const bad = (): string | number => {
      const inner = s.indexOf('<', 1);
      return inner > 0 ? inner : `unreadable attribute at character ${i}: ${excerpt(s.slice(i, i + 30))}`;
    };
    if (eq < 0 || eq === i) return bad();
    let nameEnd = eq;
    while (nameEnd > i && isBlank(s.charCodeAt(nameEnd - 1))) nameEnd--;
    const k = known(s, i, nameEnd);
    let name: string | undefined;
    if (k === undefined || k[1] < 0) {
      name = s.slice(i, nameEnd);
      for (let q = 0; q < name.length; q++) {
        const ch = name.charCodeAt(q);
        if (!isNameChar(ch) && ch !== 0x3a) return bad();
      }
    }
    let q = eq + 1;
    while (q < n && isBlank(s.charCodeAt(q))) q++;
    if (s.charCodeAt(q) !== 0x22) return bad();
    const close = s.indexOf('"', q + 1);
    if (close < 0) return bad();
    const raw = s.slice(q + 1, close);
    const v = entities && raw.indexOf('&') >= 0 ? decodeXml(raw) : raw;
    if (name === undefined && (present & (1 << k![1])) === 0) {
      setKnown(fields, k![1], v);
      present |= 1 << k![1];
    } else (extras ??= []).push([name ?? k![0], v]);
    count++;
    i = close + 1;
  }
  if (count === 0) return 'record has no attributes';
  const f = fields as unknown as Fields;
  return extras ? { fields: f, present, extras } : { fields: f, present };
}

/*
 * The plain shape, read by bytes (ScannerOptions.plainShape). A record is plain when it is ASCII
 * (so its bytes are its text and need no UTF-8 check), and every field is a known one,
 * present once, written without blanks inside its tags (NEW: `<NAME>value</NAME>` or
 * `<NAME/>`, any text between elements; OLD: `NAME="value"` separated by blanks). That is
 * what the servers write. For such a record the result is exactly what the full parser
 * gives (the same fields, decoded the same way); anything else returns undefined and is
 * left to the full parser, which also words every problem.
 */

/** Each known field name's bytes, by index. */
const NAME_BYTES: readonly Uint8Array[] = KNOWN_NAMES.map((n) => Buffer.from(n, 'latin1'));

/** A-Z or _: the bytes of known field names. */
function isFieldNameByte(c: number): boolean {
  return (c >= 65 && c <= 90) || c === 95;
}

/** The index of the known field whose name is buf[from, to), or -1. */
function knownAt(buf: Buffer, from: number, to: number): number {
  const len = to - from;
  if (len === 0) return -1;
  const k = KNOWN.get(nameKey(len, buf[from]!, buf[to - 1]!));
  if (k === undefined || k[1] < 0) return -1;
  const nb = NAME_BYTES[k[1]]!;
  for (let q = 1; q < len - 1; q++) if (buf[from + q] !== nb[q]) return -1;
  return k[1];
}

/** Whether buf[start, end) is ASCII (one native check; a block known to be ASCII needs none per record). */
function asciiRange(buf: Buffer, start: number, end: number): boolean {
  return isAscii(buf.subarray(start, end));
}

/**
 * A NEW record buf[start, end) in the plain shape: `<AUDIT_RECORD>` at start, and its first
 * `</AUDIT_RECORD>` ending at end (as the framing found it). Undefined when not plain.
 * `ascii`: the caller knows the bytes are ASCII (a record that is not is never plain).
 */
export function plainElementRecord(buf: Buffer, start: number, end: number, ascii = asciiRange(buf, start, end)): Parsed | undefined {
  if (!ascii) return undefined;
  // ASCII: the record's latin1 text is its text, and a value's end is found in it natively.
  const text = buf.toString('latin1', start, end);
  const amps = text.indexOf('&') >= 0;
  const stop = end - REC_CLOSE.length;
  const fields = new RecordFields();
  let present = 0;
  let i = start + REC_OPEN.length + 1;
  for (;;) {
    // Text between elements is ignored (as the full parser does); buf[stop] is a '<'.
    while (buf[i] !== 0x3c) i++;
    if (i === stop) break;
    const n0 = i + 1;
    let j = n0;
    let c = buf[j]!;
    while (isFieldNameByte(c)) c = buf[++j]!;
    const empty = c === 0x2f;
    if (empty ? buf[j + 1] !== 0x3e : c !== 0x3e) return undefined;
    const k = knownAt(buf, n0, j);
    if (k < 0 || (present & (1 << k)) !== 0) return undefined;
    present |= 1 << k;
    if (empty) {
      setKnown(fields, k, '');
      i = j + 2;
      continue;
    }
    const v0 = j + 1;
    const v = start + text.indexOf('<', v0 - start);
    // The closing tag of this element, or the record is not plain (nested, mismatched).
    const len = j - n0;
    if (buf[v + 1] !== 0x2f || buf[v + 2 + len] !== 0x3e) return undefined;
    const nb = NAME_BYTES[k]!;
    for (let q = 0; q < len; q++) if (buf[v + 2 + q] !== nb[q]) return undefined;
    const raw = text.slice(v0 - start, v - start);
    setKnown(fields, k, amps && raw.indexOf('&') >= 0 ? decodeXml(raw) : raw);
    i = v + 3 + len;
  }
  return { fields: fields as unknown as Fields, present };
}

/**
 * An OLD record buf[start, end) in the plain shape: `<AUDIT_RECORD` and a blank at start,
 * its first `>` at end - 1. Undefined when not plain. `ascii` as for plainElementRecord.
 */
export function plainAttributeRecord(buf: Buffer, start: number, end: number, ascii = asciiRange(buf, start, end)): Parsed | undefined {
  if (!ascii || buf[end - 2] !== 0x2f) return undefined;
  const text = buf.toString('latin1', start, end);
  // A value holds no raw '<' or '>': the record has no '<' but its first and no '>' but its last.
  if (text.indexOf('<', 1) >= 0 || text.indexOf('>') !== text.length - 1) return undefined;
  const amps = text.indexOf('&') >= 0;
  const fields = new RecordFields();
  let present = 0;
  let i = start + REC_OPEN.length;
  for (;;) {
    // buf[end - 1] is the '>': every loop below stops there at the latest.
    let c = buf[i]!;
    while (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) c = buf[++i]!;
    if (c === 0x2f) {
      if (i === end - 2) break;
      return undefined;
    }
    const n0 = i;
    while (isFieldNameByte(c)) c = buf[++i]!;
    if (c !== 0x3d || buf[i + 1] !== 0x22) return undefined;
    const k = knownAt(buf, n0, i);
    if (k < 0 || (present & (1 << k)) !== 0) return undefined;
    present |= 1 << k;
    const v0 = i + 2 - start;
    const v = text.indexOf('"', v0);
    if (v < 0) return undefined;
    const raw = text.slice(v0, v);
    setKnown(fields, k, amps && raw.indexOf('&') >= 0 ? decodeXml(raw) : raw);
    i = start + v + 1;
  }
  if (present === 0) return undefined;
  return { fields: fields as unknown as Fields, present };
}
