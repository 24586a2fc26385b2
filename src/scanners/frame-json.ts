/**
 * The framing walk of lean JSON reading (frame.ts): one pass over a one-line
 * record (`{ ... }` then `,` or nothing, then the LF: what MySQL Enterprise
 * writes, and what JsonScanner's fast path hands to JSON.parse) that vouches
 * that JSON.parse would accept the object, finds where it ends, and notes the
 * value ranges of the members that decide the entry (`timestamp`, `id`, and
 * what looksPerconaFilter and the time zone look at) or that were asked for
 * (event paths of one or two keys, such as `account.user`).
 *
 *   const w = new JsonWalk(['account.user']);
 *   if (w.object(buf, s)) { const event = w.event(buf); ... }   // else: parse it in full
 *
 * The walk is the JSON grammar over bytes (RFC 8259: strings with their escapes
 * and no raw control characters, numbers, literals, nesting), so it accepts
 * what JSON.parse accepts, with these exceptions, which return false and leave
 * the record to the full parse: a line break inside the object, nesting deeper
 * than the writers accept (MAX_EVENT_DEPTH), an `audit_record` member (Percona
 * classic, converted), a member noted twice (JSON.parse keeps the last), and a
 * key with an escape where keys are noted (it could spell one).
 */
import type { AuditEvent, JsonValue } from '../entry.js';
import { looksPerconaFilter, PERCONA_CLASSES } from '../timezone.js';
import { MAX_EVENT_DEPTH } from '../writers/common.js';

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Members every lean JSON event holds: the entry's time, id and zone. */
const ALWAYS = ['timestamp', 'id', 'time_zone'];
/** Members noted to tell Percona's filter JSON (looksPerconaFilter), in the event only when asked for. */
const SHAPE = ['class', 'event', 'server_id', 'time'];
/** A Percona classic record: always parsed in full (it is mapped, never passed through as JSON). */
const AUDIT_RECORD = 'audit_record';

/** Characters JSON allows after a backslash, besides `u`. */
const ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPE[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
/** Bytes that stand for themselves inside a string: not a control character, `"` or `\\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 256; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/** A member to note: its key, and (for a parent such as `account`) its children's slots. */
interface Slot {
  key: Buffer;
  name: string;
  /** Whether the lean event holds it. */
  inEvent: boolean;
  children: Slot[] | undefined;
  index: number;
}

/** Slots by key length, for one level. */
type Level = (Slot[] | undefined)[];

function levelOf(slots: Slot[]): Level {
  const l: Level = [];
  for (const s of slots) (l[s.key.length] ??= []).push(s);
  return l;
}

function find(level: Level, buf: Buffer, from: number, to: number): Slot | undefined {
  const list = level[to - from];
  if (list === undefined) return undefined;
  for (const s of list) {
    const k = s.key;
    let q = 0;
    while (q < k.length && buf[from + q] === k[q]) q++;
    if (q === k.length) return s;
  }
  return undefined;
}

const MARK = -2;

export class JsonWalk {
  /** After a walk that vouched: the offset just past the closing `}`, and just past the LF ending its line. */
  end = 0;
  lineEnd = 0;
  private readonly top: Level;
  private readonly slots: Slot[] = [];
  /** Per slot: start and end of its value, -1 when absent. */
  private readonly spans: Int32Array;
  /** Per slot: whether its value is an object whose children were noted. */
  private readonly parents: Uint8Array;
  private readonly topSlots: Slot[];
  private readonly eventSlots: Slot[];
  private readonly cls: number;
  private readonly ev: number;
  private readonly serverId: number;
  private readonly time: number;
  private readonly auditRecord: Slot;
  /** Container kinds (1 object, 2 array) and their slots, by depth. */
  private readonly kinds = new Uint8Array(MAX_EVENT_DEPTH + 2);
  private readonly owners = new Int32Array(MAX_EVENT_DEPTH + 2);

  /** @param paths event paths of one or two keys whose values the lean event must hold */
  constructor(paths: readonly string[] = []) {
    const top = new Map<string, Slot>();
    const slot = (key: string, parent?: Slot): Slot => {
      const s: Slot = { key: Buffer.from(key), name: key, inEvent: true, children: undefined, index: this.slots.length };
      this.slots.push(s);
      if (parent) (parent.children ??= []).push(s);
      return s;
    };
    const topSlot = (k: string) => top.get(k) ?? top.set(k, slot(k)).get(k)!;
    for (const k of [...ALWAYS, ...SHAPE, AUDIT_RECORD]) topSlot(k).inEvent = ALWAYS.includes(k);
    for (const p of paths) {
      const [a, b] = p.split('.');
      const parent = topSlot(a!);
      parent.inEvent = true;
      if (b !== undefined && !parent.children?.some((c) => c.name === b)) slot(b, parent);
    }
    this.topSlots = [...top.values()];
    this.top = levelOf(this.topSlots);
    this.auditRecord = top.get(AUDIT_RECORD)!;
    this.eventSlots = this.topSlots.filter((t) => t.inEvent);
    [this.cls, this.ev, this.serverId, this.time] = SHAPE.map((k) => top.get(k)!.index) as [number, number, number, number];
    this.spans = new Int32Array(this.slots.length * 2);
    this.parents = new Uint8Array(this.slots.length);
    this.levels = this.slots.map((s) => (s.children ? levelOf(s.children) : undefined));
  }

  private readonly levels: (Level | undefined)[];

  /**
   * Walk the object whose `{` is at `s`, through the end of its line. True when
   * JSON.parse would accept it as JsonScanner's fast path cuts it, and it is
   * none of the exceptions in the file comment.
   */
  object(buf: Buffer, s: number): boolean {
    const spans = this.spans;
    spans.fill(-1);
    this.parents.fill(0);
    const kinds = this.kinds;
    const owners = this.owners;
    // The LF ending the line is the walk's sentinel: no loop reads past it (none takes an LF),
    // so no read falls outside the buffer (which would cost V8's optimised code).
    const n = buf.indexOf(LF, s);
    if (n < 0) return false;
    let depth = 1;
    kinds[1] = 1;
    owners[1] = -1;
    /** The level whose keys are noted in the object now open, and the slot the next value belongs to. */
    let level: Level | undefined = this.top;
    let owner = -1;
    let i = s + 1;
    // States: 0 a key or `}` (after `{`), 1 a key (after `,` in an object), 2 a value, 3 a value or `]` (after `[`), 4 after a value.
    let state = 0;
    for (;;) {
      let c = buf[i]!;
      while (c === SP || c === TAB || c === CR) c = buf[++i]!;
      if (i >= n) return false;
      if (state <= 1) {
        if (c === RBRACE && state === 0) {
          state = 4;
          // fall through to the close below
        } else {
          if (c !== QUOTE) return false;
          const ks = i + 1;
          let esc = false;
          i = ks;
          for (;;) {
            while (PLAIN[buf[i]!] === 1) i++;
            c = buf[i]!;
            if (c === QUOTE) break;
            if (c !== BACKSLASH) return false;
            esc = true;
            i = this.escape(buf, i);
            if (i < 0) return false;
          }
          owner = -1;
          if (level !== undefined) {
            if (esc) return false;
            const slot = find(level, buf, ks, i);
            if (slot !== undefined) {
              if (slot === this.auditRecord || spans[2 * slot.index] !== -1) return false;
              owner = slot.index;
            }
          }
          i++;
          c = buf[i]!;
          while (c === SP || c === TAB || c === CR) c = buf[++i]!;
          if (c !== COLON) return false;
          i++;
          state = 2;
          continue;
        }
      }
      if (state === 2 || state === 3) {
        if (c === RBRACKET && state === 3) {
          state = 4;
        } else {
          if (owner >= 0) spans[2 * owner] = i;
          if (c === LBRACE || c === LBRACKET) {
            if (++depth > MAX_EVENT_DEPTH) return false;
            kinds[depth] = c === LBRACE ? 1 : 2;
            owners[depth] = owner;
            const children = owner >= 0 && c === LBRACE && depth === 2 ? this.levels[owner] : undefined;
            if (children !== undefined) this.parents[owner] = 1;
            level = children;
            owner = -1;
            i++;
            state = c === LBRACE ? 0 : 3;
            continue;
          }
          const e = this.scalar(buf, i, c);
          if (e < 0) return false;
          if (owner >= 0) spans[2 * owner + 1] = e;
          owner = -1;
          i = e;
          state = 4;
          continue;
        }
      }
      // After a value (or an empty container): `,`, or the close of the container.
      if (c === COMMA && state === 4) {
        i++;
        state = kinds[depth] === 1 ? 1 : 2;
        continue;
      }
      if ((c === RBRACE && kinds[depth] === 1) || (c === RBRACKET && kinds[depth] === 2)) {
        const o = owners[depth]!;
        if (o >= 0) spans[2 * o + 1] = i + 1;
        i++;
        if (--depth === 0) break;
        // Keys are noted at the top, and in the parents asked for (one level down).
        level = depth === 1 ? this.top : depth === 2 && kinds[2] === 1 && owners[2]! >= 0 ? this.levels[owners[2]!] : undefined;
        state = 4;
        continue;
      }
      return false;
    }
    this.end = i;
    // The rest of its line: blanks, a comma, blanks, the LF (JsonScanner's fast path).
    let c = buf[i];
    while (c === SP || c === TAB || c === CR) c = buf[++i];
    if (c === COMMA) {
      c = buf[++i];
      while (c === SP || c === TAB || c === CR) c = buf[++i];
    }
    if (c !== LF) return false;
    this.lineEnd = i + 1;
    return true;
  }

  /** The end of the escape at `i` (a backslash), or -1. */
  private escape(buf: Buffer, i: number): number {
    const c = buf[i + 1];
    if (c === undefined) return -1;
    if (ESCAPE[c] === 1) return i + 2;
    if (c !== 0x75) return -1;
    for (let q = 2; q < 6; q++) if (HEX[buf[i + q] ?? 0] !== 1) return -1;
    return i + 6;
  }

  /** The end of the string, number or literal starting at `i` (first byte `c`), or -1. */
  private scalar(buf: Buffer, i: number, c: number): number {
    if (c === QUOTE) {
      i++;
      for (;;) {
        while (PLAIN[buf[i]!] === 1) i++;
        c = buf[i]!;
        if (c === QUOTE) return i + 1;
        if (c !== BACKSLASH) return -1;
        i = this.escape(buf, i);
        if (i < 0) return -1;
      }
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (c === 0x2d) c = buf[++i]!;
      if (c === 0x30) c = buf[++i]!;
      else if (c >= 0x31 && c <= 0x39) while (c >= 0x30 && c <= 0x39) c = buf[++i]!;
      else return -1;
      if (c === 0x2e) {
        c = buf[++i]!;
        if (!(c >= 0x30 && c <= 0x39)) return -1;
        while (c >= 0x30 && c <= 0x39) c = buf[++i]!;
      }
      if (c === 0x65 || c === 0x45) {
        c = buf[++i]!;
        if (c === 0x2b || c === 0x2d) c = buf[++i]!;
        if (!(c >= 0x30 && c <= 0x39)) return -1;
        while (c >= 0x30 && c <= 0x39) c = buf[++i]!;
      }
      return i;
    }
    const lit = c === 0x74 ? TRUE : c === 0x66 ? FALSE : c === 0x6e ? NULL : undefined;
    if (lit === undefined) return -1;
    for (let q = 1; q < lit.length; q++) if (buf[i + q] !== lit[q]) return -1;
    return i + lit.length;
  }

  /**
   * The lean event of the object walked last: the members noted, with the
   * values JSON.parse gives them (a parent asked for as an object of the
   * children asked for).
   */
  event(buf: Buffer): AuditEvent {
    const e: AuditEvent = {};
    const spans = this.spans;
    for (const s of this.eventSlots) {
      const a = spans[2 * s.index]!;
      if (a < 0) continue;
      if (this.parents[s.index] === 1) {
        const o: { [k: string]: JsonValue } = {};
        for (const c of s.children!) {
          const ca = spans[2 * c.index]!;
          if (ca >= 0) o[c.name] = valueOf(buf, ca, spans[2 * c.index + 1]!);
        }
        e[s.name] = o;
      } else e[s.name] = valueOf(buf, a, spans[2 * s.index + 1]!);
    }
    return e;
  }

  /**
   * looksPerconaFilter (src/timezone.ts) of the object walked last, from its bytes: its
   * class and event compared as bytes when they are strings without escapes.
   */
  looksPercona(buf: Buffer): boolean {
    const sp = this.spans;
    if (sp[2 * this.serverId]! >= 0) return true;
    const e: { [k: string]: unknown } = {};
    const t = sp[2 * this.time]!;
    if (t >= 0) e.time = valueOf(buf, t, sp[2 * this.time + 1]!);
    const c = sp[2 * this.cls]!;
    if (c >= 0) {
      const ce = sp[2 * this.cls + 1]!;
      const k = plainIn(buf, c, ce, SHAPE_CLASSES);
      if (k === NOT_PLAIN) e.class = valueOf(buf, c, ce);
      else if (k === GENERAL) {
        e.class = 'general';
        const v = sp[2 * this.ev]!;
        if (v >= 0) {
          const ve = sp[2 * this.ev + 1]!;
          const j = plainIn(buf, v, ve, GENERAL_EVENTS);
          e.event = j === NOT_PLAIN ? valueOf(buf, v, ve) : j >= 0 ? GENERAL_EVENT_NAMES[j] : '';
        }
      } else if (k >= 0) return true;
    }
    return looksPerconaFilter(e);
  }
}

const SHAPE_CLASS_NAMES = ['general', ...PERCONA_CLASSES];
const SHAPE_CLASSES = SHAPE_CLASS_NAMES.map((n) => Buffer.from(n));
const GENERAL = 0;
const GENERAL_EVENT_NAMES = ['log', 'error', 'result'];
const GENERAL_EVENTS = GENERAL_EVENT_NAMES.map((n) => Buffer.from(n));
const NOT_PLAIN = -2;

/**
 * Which of `names` the JSON value buf[a, b) is, when it is a string without escapes:
 * its index, or -1 (another value); NOT_PLAIN when it is not such a string.
 */
function plainIn(buf: Buffer, a: number, b: number, names: readonly Buffer[]): number {
  if (buf[a] !== QUOTE) return NOT_PLAIN;
  for (let k = a + 1; k < b - 1; k++) if (buf[k] === BACKSLASH) return NOT_PLAIN;
  const len = b - a - 2;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n.length !== len) continue;
    let q = 0;
    while (q < len && buf[a + 1 + q] === n[q]) q++;
    if (q === len) return i;
  }
  return -1;
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** The value JSON.parse gives the valid JSON text buf[a, b): strings without escapes and small integers without it. */
function valueOf(buf: Buffer, a: number, b: number): JsonValue {
  const c = buf[a]!;
  if (c === QUOTE) {
    let k = a + 1;
    let ascii = true;
    for (; k < b - 1; k++) {
      const x = buf[k]!;
      if (x === BACKSLASH) break;
      if (x >= 0x80) ascii = false;
    }
    if (k === b - 1) return buf.toString(ascii ? 'latin1' : 'utf8', a + 1, k);
  } else if (c >= 0x30 && c <= 0x39 && b - a < 16) {
    let v = 0;
    let k = a;
    while (k < b && buf[k]! >= 0x30 && buf[k]! <= 0x39) v = v * 10 + buf[k++]! - 0x30;
    if (k === b) return v;
  }
  return JSON.parse(buf.toString('utf8', a, b)) as JsonValue;
}
