/**
 * Filters over events, given as data so the CLI can pass its flags through.
 * Values of one field are ORed, fields are ANDed.
 *
 *   const keep = compileFilter({ user: ['root'], status: ['error'], since: '2019-10-03 14:00:00' });
 *   if (keep(entry.event)) ...
 */
import type { AuditEvent } from './entry.js';
import { AuditLogError } from './errors.js';
import { classEventToName } from './mapping.js';

export interface FilterSpec {
  /** account.user or login.user, exact. */
  user?: string[];
  /** account.host, exact. */
  host?: string[];
  /** login.ip, exact. */
  ip?: string[];
  /** db of connection, table-access or general data, exact. */
  db?: string[];
  /** An XML NAME (`Query`, `Connect`), a class (`connection`) or `class/event`; case-insensitive. */
  event?: string[];
  /** sql_command (COMMAND_CLASS), case-insensitive. */
  commandClass?: string[];
  connectionId?: (number | string)[];
  /** `ok` (0), `error` (not 0), `N`, or `N-M` (inclusive). Events without a status never match. */
  status?: string[];
  /** Inclusive lower bound on the event's timestamp (`YYYY-MM-DD[ hh:mm:ss]`). */
  since?: string;
  /** Inclusive upper bound; a date alone means the whole day. */
  until?: string;
  /** Regular expressions searched in the SQL text of general and table-access events. */
  grep?: string[];
  /** `grep` ignores case (`-i`). */
  ignoreCase?: boolean;
}

function invalid(message: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', message, { stage: 'transform', recoverable: false });
}

/** The XML NAME an event would have: from the mapping table, or a general event's command. */
export function xmlName(e: AuditEvent): string {
  const n = classEventToName(e.class, e.event);
  if (n !== undefined) return n;
  const cmd = e.general_data?.command;
  return typeof cmd === 'string' ? cmd : String(e.event ?? e.class ?? '');
}

function statusOf(e: AuditEvent): number | undefined {
  const s = e.general_data?.status ?? e.connection_data?.status;
  const n = typeof s === 'number' ? s : typeof s === 'string' && /^-?\d+$/.test(s) ? Number(s) : undefined;
  return n;
}

/** Normalise a user-given time to `YYYY-MM-DD hh:mm:ss`. */
export function normaliseTime(t: string, endOfDay: boolean): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?(?:\s*UTC|Z)?$/.exec(t.trim());
  if (!m) throw new AuditLogError('INVALID_OPTION', `not a time: ${JSON.stringify(t)} (use YYYY-MM-DD or "YYYY-MM-DD hh:mm:ss")`, { stage: 'transform', recoverable: false });
  const time = m[2] === undefined ? (endOfDay ? '23:59:59' : '00:00:00') : m[2].length === 5 ? `${m[2]}:${endOfDay ? '59' : '00'}` : m[2];
  return `${m[1]} ${time}`;
}

function statusTest(spec: string): (s: number) => boolean {
  const v = spec.trim().toLowerCase();
  if (v === 'ok') return (s) => s === 0;
  if (v === 'error') return (s) => s !== 0;
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) throw new AuditLogError('INVALID_OPTION', `--status ${JSON.stringify(spec)}: use ok, error, N or N-M`, { stage: 'transform', recoverable: false });
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new AuditLogError('INVALID_OPTION', `--status ${spec}: the range is empty`, { stage: 'transform', recoverable: false });
  return (s) => s >= lo && s <= hi;
}

/**
 * Build a predicate from a filter spec.
 * @throws AuditLogError INVALID_OPTION for a bad time, status or regular expression
 */
export function compileFilter(spec: FilterSpec): (e: AuditEvent) => boolean {
  const tests: ((e: AuditEvent) => boolean)[] = [];
  const set = (a: (string | number)[] | undefined) => (a && a.length ? new Set(a.map(String)) : undefined);
  const users = set(spec.user);
  if (users) tests.push((e) => (e.account?.user !== undefined && users.has(e.account.user)) || (e.login?.user !== undefined && users.has(e.login.user)));
  const hosts = set(spec.host);
  if (hosts) tests.push((e) => e.account?.host !== undefined && hosts.has(e.account.host));
  const ips = set(spec.ip);
  if (ips) tests.push((e) => e.login?.ip !== undefined && ips.has(e.login.ip));
  const dbs = set(spec.db);
  if (dbs)
    tests.push((e) => {
      const d = e.connection_data?.db ?? e.table_access_data?.db ?? e.general_data?.db;
      return d !== undefined && dbs.has(d);
    });
  if (spec.event?.length) {
    const want = new Set(spec.event.map((x) => x.toLowerCase()));
    tests.push((e) => want.has(xmlName(e).toLowerCase()) || want.has(String(e.class).toLowerCase()) || want.has(`${e.class}/${e.event}`.toLowerCase()));
  }
  if (spec.commandClass?.length) {
    const want = new Set(spec.commandClass.map((x) => x.toLowerCase()));
    tests.push((e) => {
      const c = e.general_data?.sql_command ?? e.table_access_data?.sql_command;
      return c !== undefined && want.has(c.toLowerCase());
    });
  }
  for (const c of spec.connectionId ?? []) if (!/^\d+$/.test(String(c).trim())) throw invalid(`--connection-id ${JSON.stringify(String(c))}: not a number, so it can never match`);
  const conns = set(spec.connectionId?.map((c) => String(c).trim()));
  if (conns) tests.push((e) => e.connection_id !== undefined && conns.has(String(e.connection_id)));
  if (spec.status?.length) {
    const ts = spec.status.map(statusTest);
    tests.push((e) => {
      const s = statusOf(e);
      return s !== undefined && ts.some((t) => t(s));
    });
  }
  if (spec.since !== undefined && spec.until !== undefined && normaliseTime(spec.since, false) > normaliseTime(spec.until, true))
    throw invalid(`--since ${JSON.stringify(spec.since)} is after --until ${JSON.stringify(spec.until)}: nothing can match`);
  if (spec.since !== undefined) {
    const since = normaliseTime(spec.since, false);
    tests.push((e) => typeof e.timestamp === 'string' && e.timestamp >= since);
  }
  if (spec.until !== undefined) {
    const until = normaliseTime(spec.until, true);
    tests.push((e) => typeof e.timestamp === 'string' && e.timestamp <= until);
  }
  if (spec.grep?.length) {
    const res = spec.grep.map((g) => {
      try {
        return new RegExp(g, spec.ignoreCase ? 'i' : '');
      } catch (err) {
        throw new AuditLogError('INVALID_OPTION', `--grep ${JSON.stringify(g)}: ${(err as Error).message}`, { stage: 'transform', recoverable: false });
      }
    });
    tests.push((e) => {
      const q = e.general_data?.query ?? e.table_access_data?.query;
      return typeof q === 'string' && res.some((r) => r.test(q));
    });
  }
  if (tests.length === 0) return () => true;
  return (e) => {
    for (const t of tests) if (!t(e)) return false;
    return true;
  };
}
