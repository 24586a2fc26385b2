/**
 * How `show` prints records for a person: a table sized to the terminal, one
 * field per line (`--vertical`, as mysqlauditgrep's VERTICAL), or tab-separated
 * rows when piped. Every value is escaped (cli/escape.ts).
 *
 *   const cols = resolveColumns(['time', 'user@host', 'login.ip']);
 *   const table = createTable(cols, { width: 120, colour: true });
 *   lines.push(...table.rows(entries)); lines.push(...table.end());
 */
import type { AuditEvent, JsonValue } from '../src/entry.js';
import { xmlName } from '../src/filter.js';
import { escapeText } from '../src/text.js';

/** A column: its name (as `--fields` takes it and the header shows it) and its value in an event. */
export interface Column {
  name: string;
  get(e: AuditEvent): string | undefined;
}

/** A record's status (general or connection data), when it has one. */
export function statusOf(e: AuditEvent): number | undefined {
  const s = e.general_data?.status ?? e.connection_data?.status;
  if (typeof s === 'number') return s;
  return typeof s === 'string' && /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** Whether a record failed (its status is not 0). */
export function failedEvent(e: AuditEvent): boolean {
  const s = statusOf(e);
  return s !== undefined && s !== 0;
}

function text(v: JsonValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function userAtHost(e: AuditEvent): string | undefined {
  const user = e.account?.user || e.login?.user || '';
  const host = e.account?.host || (e.login?.ip ? `[${e.login.ip}]` : '');
  return user || host ? `${user}@${host}` : undefined;
}

/** Columns with short names; any other `--fields` name is a path into the event (`login.ip`, `general_data.query`). */
const NAMED: Record<string, (e: AuditEvent) => string | undefined> = {
  time: (e) => e.timestamp,
  conn: (e) => text(e.connection_id),
  'user@host': userAtHost,
  user: (e) => e.account?.user ?? e.login?.user,
  host: (e) => e.account?.host,
  name: (e) => xmlName(e),
  status: (e) => text(statusOf(e)),
  db: (e) => e.connection_data?.db ?? e.table_access_data?.db ?? e.general_data?.db,
  sql: (e) => e.general_data?.query ?? e.table_access_data?.query,
};

/** The columns of the table and of tab-separated rows when `--fields` is not given. */
export const DEFAULT_FIELDS = ['time', 'conn', 'user@host', 'name', 'status', 'sql'];

/** The columns for `--fields` names. */
export function resolveColumns(names: string[]): Column[] {
  return names.map((name) => {
    const named = NAMED[name];
    if (named) return { name, get: named };
    const path = name.split('.');
    return {
      name,
      get: (e) => {
        let v: JsonValue | undefined = e as JsonValue;
        for (const p of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[p] : undefined;
        return text(v);
      },
    };
  });
}

/** Terminal columns a code point takes: 0 for combining marks, 2 for wide (East Asian, emoji), else 1. */
function cpWidth(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200d) || cp === 0xfe0f) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** Terminal columns a (control-free) string takes. */
export function displayWidth(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x300) w++;
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      w += cpWidth(cp);
    }
  }
  return w;
}

/** `s` cut to `width` terminal columns, ending in `…` when it was longer; padded with blanks when `pad`. */
export function fit(s: string, width: number, pad: boolean): string {
  const w = displayWidth(s);
  if (w <= width) return pad ? s + ' '.repeat(width - w) : s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const cw = cpWidth(ch.codePointAt(0)!);
    if (used + cw > width - 1) break;
    out += ch;
    used += cw;
  }
  out += '…';
  used++;
  return pad ? out + ' '.repeat(Math.max(0, width - used)) : out;
}

const SGR = { bold: '\x1b[1m', red: '\x1b[31m', reset: '\x1b[0m' };

export interface LayoutOptions {
  /** Terminal width in columns. */
  width: number;
  /** ANSI colour (bold header, failed records in red). */
  colour: boolean;
}

/** Rows seen before the column widths are fixed (the rest are cut to them). */
const SAMPLE_ROWS = 100;
/** Longest the first rows are held for sizing, in milliseconds (rare matches in a large file show at once). */
const MAX_HOLD_MS = 1000;
/** Narrowest a column is made to fit the terminal. */
const MIN_COL = 4;

/** A failed record's status, marked so that it shows without colour too. */
function cell(c: Column, e: AuditEvent): string {
  const v = c.get(e);
  if (c.name === 'status' && v !== undefined && v !== '0') return `!${v}`;
  return v === undefined ? '' : escapeText(v);
}

/**
 * Widths that fit `total` columns (two blanks between columns): the widest
 * columns give way first, all cut to one level, none below MIN_COL.
 */
export function fitWidths(natural: number[], total: number): number[] {
  const avail = total - 2 * (natural.length - 1);
  const sum = (level: number) => natural.reduce((a, w) => a + Math.min(w, level), 0);
  const max = Math.max(...natural);
  if (sum(max) <= avail) return [...natural];
  // The highest level at which the columns fit (binary search; at least MIN_COL).
  let lo = MIN_COL;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(mid) <= avail) lo = mid;
    else hi = mid - 1;
  }
  const w = natural.map((x) => Math.min(x, lo));
  // Columns left of the cut share what the level's rounding leaves over.
  let spare = avail - sum(lo);
  for (let i = 0; i < w.length && spare > 0; i++)
    if (natural[i]! > w[i]!) {
      w[i]!++;
      spare--;
    }
  return w;
}

/**
 * A table: the first SAMPLE_ROWS rows (or those of the first MAX_HOLD_MS) are
 * held to size the columns (each at most as wide as its longest value,
 * together at most `width`), then rows stream through cut to those widths.
 * Call `rows([])` now and then so held rows go out in time.
 */
export function createTable(cols: Column[], opts: LayoutOptions): { rows(events: AuditEvent[]): string[]; end(): string[] } {
  let held: { cells: string[]; failed: boolean }[] | undefined = [];
  let widths: number[] = [];
  const line = (cells: string[], failed: boolean) => {
    const s = cells.map((c, i) => fit(c, widths[i]!, i < cells.length - 1)).join('  ').trimEnd();
    return opts.colour && failed ? SGR.red + s + SGR.reset : s;
  };
  const flush = (): string[] => {
    const rows = held!;
    held = undefined;
    const natural = cols.map((c, i) => Math.max(displayWidth(c.name), ...rows.map((r) => displayWidth(r.cells[i]!))));
    widths = fitWidths(natural, opts.width);
    const head = line(
      cols.map((c) => c.name),
      false,
    );
    return [opts.colour ? SGR.bold + head + SGR.reset : head, ...rows.map((r) => line(r.cells, r.failed))];
  };
  let heldSince = 0;
  return {
    rows(events) {
      const out: string[] = [];
      for (const e of events) {
        const r = { cells: cols.map((c) => cell(c, e)), failed: failedEvent(e) };
        if (held) {
          if (!held.length) heldSince = Date.now();
          held.push(r);
          if (held.length >= SAMPLE_ROWS) out.push(...flush());
        } else out.push(line(r.cells, r.failed));
      }
      if (held?.length && Date.now() - heldSince > MAX_HOLD_MS) out.push(...flush());
      return out;
    },
    end() {
      return held && held.length ? flush() : [];
    },
  };
}

/** Tab-separated rows, no header; tabs, newlines and backslashes in values escaped (`\t`, `\n`, `\\`). */
export function tsvRows(cols: Column[], events: AuditEvent[]): string[] {
  return events.map((e) => cols.map((c) => escapeText(c.get(e) ?? '', true)).join('\t'));
}

/** Every field of an event as [path, text], nested objects flattened to dotted paths. */
export function flatten(e: AuditEvent): [string, string][] {
  const out: [string, string][] = [];
  const walk = (v: JsonValue | undefined, path: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else if (v !== undefined) out.push([path, text(v) ?? 'null']);
  };
  walk(e as JsonValue, '');
  return out;
}

/**
 * One record as one field per line, under a `*** N. row ***` banner (mysql's
 * `\G`, mysqlauditgrep VERTICAL); a failed record's banner says so.
 * @param n the record's number in the output, from 1
 */
export function verticalRecord(e: AuditEvent, n: number, cols: Column[] | undefined, colour: boolean): string[] {
  const pairs = (cols ? cols.map((c): [string, string] => [c.name, c.get(e) ?? '']) : flatten(e)).map(([k, v]) => [escapeText(k), escapeText(v)] as const);
  const failed = failedEvent(e);
  const stars = '*'.repeat(27);
  let banner = `${stars} ${n}. row ${stars}`;
  if (failed) banner += ` failed: status ${statusOf(e)}`;
  const lines = [colour ? (failed ? SGR.red : SGR.bold) + banner + SGR.reset : banner];
  const w = Math.max(0, ...pairs.map(([k]) => displayWidth(k)));
  for (const [k, v] of pairs) lines.push(`${' '.repeat(w - displayWidth(k))}${k}: ${v}`);
  return lines;
}
