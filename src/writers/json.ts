/**
 * JSON writer in the MySQL Enterprise layout (spec mysql-enterprise-audit.md §1.3, §10):
 * header `[\n`, events joined by `,\n` (the separator goes before every record but the
 * first), footer `\n]\n`; each event on one line in the spacing of the real 8.0.22 file:
 *
 *   { "timestamp": "2020-10-19 19:25:52", "id": 0, "class": "connection", ..., "account": { "user": "root", "host": "localhost" }, ... }
 *
 * `{ ` and ` }` around members, `": "` and `", "` between them, arrays `["a", "b" ]` (no
 * space after `[`, one before `]`; empty `[ ]`, empty object `{ }`). Keys in the event
 * object's order. Strings are escaped like JSON.stringify, and `/` becomes `\/` in query
 * text (the `query` member of a `*_data` object) and in connection-attribute values, as
 * real 8.0 files do; not elsewhere (connection_type, startup args). JSON holds every
 * field, so nothing is dropped.
 *
 * Pass-through: an entry read from a `json` source with its raw bytes is written as those
 * bytes, minus its trailing `,` and whitespace (the writer puts its own separator before
 * it), so a filtered subset stays a valid array and a complete file comes out byte for byte.
 *
 * NDJSON: one compact `JSON.stringify(event)` per line, no header or footer, never a
 * pass-through.
 *
 * Local times (Percona audit_log_filter, `Entry.timeZone` 'local'): JSON timestamps have no
 * zone and MySQL's are UTC, so a converted local-time event carries `"time_zone": "local"`
 * right after `timestamp` (the reader takes it back into `timeZone`). Same in CSV's `extra`.
 */
import type { AuditEvent, Entry, JsonValue } from '../entry.js';
import { BaseWriter, EMPTY, eventWithZone, isObject, utf8, type WriterOptions } from './common.js';

export const JSON_HEADER = '[\n';
export const JSON_FOOTER = '\n]\n';
const SEPARATOR = utf8(',\n');

// Optional UTF-8 BOM (as latin1), whitespace, `[`, whitespace.
const JSON_PROLOGUE_RE = /^(?:\xEF\xBB\xBF)?[ \t\r\n]*\[[ \t\r\n]*$/;

/** Whether `bytes` is the opening of a JSON array: [BOM] `[`, whitespace around. */
export function isJsonArrayHeader(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length > 4096) return false;
  return JSON_PROLOGUE_RE.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

// Characters JSON.stringify would escape (or check: surrogates); strings without any need no call.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function str(s: string, slash: boolean): string {
  const j = NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
  return slash && s.includes('/') ? j.replaceAll('/', '\\/') : j;
}

/** `"key": `, cached for the few keys audit events use. */
const KEYS = new Map<string, string>();
function key(k: string): string {
  let v = KEYS.get(k);
  if (v === undefined) {
    v = `${JSON.stringify(k)}: `;
    if (KEYS.size < 1024) KEYS.set(k, v);
  }
  return v;
}

function value(v: JsonValue, slash: boolean): string {
  switch (typeof v) {
    case 'string':
      return str(v, slash);
    case 'number':
    case 'boolean':
      return JSON.stringify(v);
    default:
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        if (v.length === 0) return '[ ]';
        let s = '[';
        for (let i = 0; i < v.length; i++) s += (i ? ', ' : '') + value(v[i] === undefined ? null : v[i]!, slash);
        return s + ' ]';
      }
      return object(v, slash ? 1 : 0);
  }
}

/**
 * An object as `{ "k": v, ... }`. mode 0: plain; 1: every string gets `\/`
 * (connection attributes); 2: a data object (its `query` and its
 * `connection_attributes` values get `\/`).
 */
function object(o: { [key: string]: JsonValue | undefined }, mode: 0 | 1 | 2): string {
  let s = '';
  // for..in: events are plain objects (JSON.parse or the mapping built them), and it is faster than Object.keys.
  for (const k in o) {
    const v = o[k];
    if (v === undefined) continue;
    let t: string;
    if (mode === 2) {
      if (k === 'query' && typeof v === 'string') t = str(v, true);
      else if (k === 'connection_attributes' && isObject(v)) t = object(v, 1);
      else t = value(v, false);
    } else t = value(v, mode === 1);
    s += (s === '' ? '{ ' : ', ') + key(k) + t;
  }
  return s === '' ? '{ }' : s + ' }';
}

/** One event on one line in the Enterprise 8.0 spacing. */
export function formatJsonEvent(e: AuditEvent): string {
  let s = '';
  for (const k in e) {
    const v = e[k];
    if (v === undefined) continue;
    const t = isObject(v) && k.endsWith('_data') ? object(v, 2) : value(v, false);
    s += (s === '' ? '{ ' : ', ') + key(k) + t;
  }
  return s === '' ? '{ }' : s + ' }';
}

/** The raw record without its trailing `,` and whitespace (blanks, CR, LF). */
function stripSeparator(raw: Uint8Array): Uint8Array {
  let n = raw.length;
  const blank = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  while (n > 0 && blank(raw[n - 1])) n--;
  if (n > 0 && raw[n - 1] === 0x2c) {
    n--;
    while (n > 0 && blank(raw[n - 1])) n--;
  }
  return n === raw.length ? raw : raw.subarray(0, n);
}

export class JsonWriter extends BaseWriter {
  readonly format = 'json' as const;
  private readonly prologue: Uint8Array | undefined;

  constructor(opts: WriterOptions = {}) {
    super(opts.partOfOutput);
    if (opts.prologue && isJsonArrayHeader(opts.prologue)) this.prologue = Uint8Array.from(opts.prologue);
  }

  header(): Uint8Array {
    return this.prologue ?? utf8(JSON_HEADER);
  }

  footer(): Uint8Array {
    return utf8(JSON_FOOTER);
  }

  override joinPrefix(): Uint8Array {
    return this.written === 0 ? EMPTY : SEPARATOR;
  }

  record(entry: Entry): string | Uint8Array {
    const first = this.written === 0;
    if (entry.raw && entry.format === 'json') {
      this.commit(true);
      const body = stripSeparator(entry.raw);
      return first ? body : Buffer.concat([SEPARATOR, body]);
    }
    const text = (first ? '' : ',\n') + formatJsonEvent(eventWithZone(entry));
    this.commit(false);
    return text;
  }
}

export class NdjsonWriter extends BaseWriter {
  readonly format = 'ndjson' as const;

  header(): Uint8Array {
    return EMPTY;
  }

  footer(): Uint8Array {
    return EMPTY;
  }

  record(entry: Entry): string {
    const text = JSON.stringify(eventWithZone(entry)) + '\n';
    this.commit(false);
    return text;
  }
}
