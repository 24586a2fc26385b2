/**
 * CSV writer: a header row, then one event per row, RFC 4180: fields that hold
 * `,` `"` CR or LF are quoted, `"` doubled, rows end with CRLF. Values keep
 * their newlines and quotes.
 *
 * Columns (CSV_COLUMNS), in this order:
 *
 * | column | from |
 * |---|---|
 * | timestamp, id, class, event, connection_id | the same top-level fields |
 * | account_user, account_host | account.user, account.host |
 * | login_user, login_os, login_ip, login_proxy | login.user, .os, .ip, .proxy |
 * | command, sql_command, query, status, db, table, connection_type | the same members of the event's data object |
 * | connection_attributes | the data object's connection_attributes, as compact JSON (`{"_pid":"42"}`) |
 * | server_id, os_version, mysql_version | the same members of the data object |
 * | args | the data object's args, as a compact JSON array |
 * | time | top-level `time` (UNIX seconds, when the server wrote it) |
 * | extra | everything else, as compact JSON: unknown top-level keys (`query_statistics`, ...), unknown members of account/login/the data object, a second data object; empty when there is nothing |
 *
 * The data object is the first top-level `*_data` object (general_data,
 * connection_data, table_access_data, startup_data, shutdown_data, or a Percona
 * filter class's command_data, query_data, ...); `class` says which it was.
 * Numbers and booleans are written as text, an absent field or null as an empty
 * cell, an object or array in a scalar column as compact JSON. With `extra`
 * nothing is dropped.
 *
 * `csvSafe` (off by default): a cell that starts with `=`, `+`, `-` or `@` gets a
 * `'` in front, so a spreadsheet shows it as text instead of running it as a
 * formula; cells that are plain numbers (`-1`, `+3.5`) stay as they are.
 */
import type { AuditEvent, Entry, JsonValue } from '../entry.js';
import { BaseWriter, EMPTY, dataKeyOf, eventWithZone, isObject, utf8, type WriterOptions } from './common.js';

export const CSV_COLUMNS = [
  'timestamp',
  'id',
  'class',
  'event',
  'connection_id',
  'account_user',
  'account_host',
  'login_user',
  'login_os',
  'login_ip',
  'login_proxy',
  'command',
  'sql_command',
  'query',
  'status',
  'db',
  'table',
  'connection_type',
  'connection_attributes',
  'server_id',
  'os_version',
  'mysql_version',
  'args',
  'time',
  'extra',
] as const;

const TOP = ['timestamp', 'id', 'class', 'event', 'connection_id'];
const ACCOUNT = ['user', 'host'];
const LOGIN = ['user', 'os', 'ip', 'proxy'];
const DATA = ['command', 'sql_command', 'query', 'status', 'db', 'table', 'connection_type', 'connection_attributes', 'server_id', 'os_version', 'mysql_version', 'args'];

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted when it must be. */
export function csvField(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function cell(v: JsonValue | undefined): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
      return String(v);
    case 'undefined':
      return '';
    default:
      return v === null ? '' : JSON.stringify(v);
  }
}

type Obj = { [key: string]: JsonValue | undefined };

/** The members of `o` not in `taken`, or undefined when none. */
function rest(o: Obj, taken: string[]): Obj | undefined {
  let r: Obj | undefined;
  for (const k of Object.keys(o)) {
    if (o[k] === undefined || taken.includes(k)) continue;
    // Null prototype: a `__proto__` key stays a key.
    (r ??= Object.create(null) as Obj)[k] = o[k];
  }
  return r;
}

/** The row of one event, without its line end. */
const FORMULA_START = /^[=+\-@]/;
const PLAIN_NUMBER = /^[-+]?\d+(?:\.\d+)?$/;

/** A cell made safe to open in a spreadsheet: `'` before a leading `=`, `+`, `-` or `@` (plain numbers stay). */
export function csvSafeCell(s: string): string {
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
}

/** One event as a CSV row (no line end); `safe`: see csvSafeCell. */
export function csvRow(e: AuditEvent, safe = false): string {
  const cells: string[] = [];
  for (const k of TOP) cells.push(cell(e[k]));
  const account = isObject(e.account) ? (e.account as Obj) : undefined;
  const login = isObject(e.login) ? (e.login as Obj) : undefined;
  for (const k of ACCOUNT) cells.push(cell(account?.[k]));
  for (const k of LOGIN) cells.push(cell(login?.[k]));
  const dk = dataKeyOf(e);
  const data: Obj = dk === undefined ? {} : (e[dk] as Obj);
  for (const k of DATA) cells.push(cell(data[k]));
  cells.push(cell(e.time));

  const extra = Object.create(null) as Record<string, unknown>;
  let any = false;
  for (const k of Object.keys(e)) {
    const v = e[k];
    if (v === undefined || TOP.includes(k) || k === 'time' || k === dk) continue;
    if ((k === 'account' && account) || (k === 'login' && login)) {
      const r = rest(v as Obj, k === 'account' ? ACCOUNT : LOGIN);
      if (r) {
        extra[k] = r;
        any = true;
      }
      continue;
    }
    extra[k] = v;
    any = true;
  }
  if (dk !== undefined) {
    const r = rest(data, DATA);
    if (r) {
      extra[dk] = r;
      any = true;
    }
  }
  cells.push(any ? JSON.stringify(extra) : '');
  let s = '';
  for (let i = 0; i < cells.length; i++) s += (i ? ',' : '') + csvField(safe ? csvSafeCell(cells[i]!) : cells[i]!);
  return s;
}

export class CsvWriter extends BaseWriter {
  readonly format = 'csv' as const;
  private readonly safe: boolean;

  constructor(opts: WriterOptions = {}) {
    super();
    this.safe = opts.csvSafe ?? false;
  }

  header(): Uint8Array {
    return utf8(CSV_COLUMNS.join(',') + '\r\n');
  }

  footer(): Uint8Array {
    return EMPTY;
  }

  record(entry: Entry): string {
    const text = csvRow(eventWithZone(entry), this.safe) + '\r\n';
    this.commit(false);
    return text;
  }
}
