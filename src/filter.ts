/**
 * Filters over events, given as data so the CLI can pass its flags through.
 * Values of one field are ORed, fields are ANDed.
 *
 *   const keep = compileFilter({ user: ['root'], status: ['error'], since: '2019-10-03 14:00:00' });
 *   if (keep(entry.event)) ...
 */
import type { AuditEvent } from './entry.js';
import { AuditLogError } from './errors.js';
import { canonicalEvent, classEventToName, EVENT_KINDS, GENERAL_COMMAND_NAMES } from './mapping.js';
import { formatUtc, isRealTime } from './timezone.js';

export interface FilterSpec {
  /** account.user or login.user, exact. */
  user?: string[];
  /** account.host, exact. */
  host?: string[];
  /** login.ip, exact. */
  ip?: string[];
  /** db of connection, table-access or general data, exact. */
  db?: string[];
  /**
   * An XML NAME (`Query`, `Command Start`), a class (`connection`), `class/event` or an
   * event (`query_start`), events in either Percona spelling (`query/start`); case-insensitive.
   */
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

/**
 * The keys an `--event` value matches: `n:` an XML NAME, `c:` a class, `e:` a class/event
 * in the canonical spelling, `v:` an event alone (canonical: `query_start`).
 */
function eventKeys(value: string): string[] {
  const v = value.trim().toLowerCase();
  const slash = v.indexOf('/');
  if (slash > 0) {
    const cls = v.slice(0, slash);
    return [`e:${cls}/${canonicalEvent(cls, v.slice(slash + 1))}`];
  }
  return [`n:${v}`, `c:${v}`, `v:${v}`];
}

/** Every `--event` value some format writes: NAMEs, classes, class/event pairs. */
export function knownEventValues(): { names: string[]; classes: string[]; events: string[] } {
  const names = new Set<string>([...EVENT_KINDS.map((k) => k.name), ...GENERAL_COMMAND_NAMES]);
  const classes = new Set<string>(EVENT_KINDS.map((k) => k.cls));
  const events = new Set<string>();
  for (const k of EVENT_KINDS) if (k.event !== '') events.add(`${k.cls}/${k.event}`);
  events.add('message/user');
  events.add('message/internal');
  return { names: [...names], classes: [...classes], events: [...events] };
}

/**
 * A warning for the `--event` values that no format uses (a typo would match nothing,
 * silently), naming the known ones; undefined when every value is known.
 */
export function unknownEventWarning(values: string[] | undefined): string | undefined {
  if (!values?.length) return undefined;
  const known = knownEventValues();
  const keys = new Set<string>();
  for (const n of known.names) keys.add(`n:${n.toLowerCase()}`);
  for (const c of known.classes) keys.add(`c:${c}`);
  for (const ce of known.events) {
    keys.add(`e:${ce}`);
    keys.add(`v:${ce.slice(ce.indexOf('/') + 1)}`);
  }
  const bad = values.filter((v) => !eventKeys(v).some((k) => keys.has(k)));
  if (bad.length === 0) return undefined;
  return (
    `--event ${bad.map((b) => JSON.stringify(b)).join(', ')} matches no event that any format writes. ` +
    `Known: classes ${known.classes.join(', ')}; class/event ${known.events.join(', ')}; ` +
    `XML NAMEs ${known.names.join(', ')}; events in either Percona spelling (query/start = query/query_start)`
  );
}

function statusOf(e: AuditEvent): number | undefined {
  const s = e.general_data?.status ?? e.connection_data?.status;
  const n = typeof s === 'number' ? s : typeof s === 'string' && /^-?\d+$/.test(s) ? Number(s) : undefined;
  return n;
}

/**
 * Normalise a user-given time to `YYYY-MM-DD hh:mm:ss`: a date, optionally a time
 * (`hh:mm` or `hh:mm:ss`, after `T` or a blank), optionally a zone (`Z`, ` UTC`, `+hh:mm`,
 * `-hh:mm`); a time with a zone is converted to UTC. Events are compared on their own
 * timestamp: UTC ones against the UTC bound, local ones (Percona audit_log_filter without
 * `--source-tz`) as written.
 * @throws AuditLogError INVALID_OPTION for anything else, or a date that does not exist (2014-02-30)
 */
export function normaliseTime(t: string, endOfDay: boolean): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(t.trim());
  const bad = (why: string) =>
    new AuditLogError('INVALID_OPTION', `not a time: ${JSON.stringify(t)} (${why})`, { stage: 'transform', recoverable: false });
  if (!m) throw bad('use YYYY-MM-DD, "YYYY-MM-DD hh:mm[:ss]", optionally with Z, " UTC" or +hh:mm');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hasTime = m[4] !== undefined;
  const h = hasTime ? Number(m[4]) : endOfDay ? 23 : 0;
  const mi = hasTime ? Number(m[5]) : endOfDay ? 59 : 0;
  const sec = m[6] !== undefined ? Number(m[6]) : endOfDay ? 59 : 0;
  if (!isRealTime(y, mo, d, h, mi, sec)) throw bad('no such date or time');
  const zone = m[7];
  let ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  if (zone !== undefined && /^[+-]/.test(zone)) {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    if (Number(z[2]) > 14 || Number(z[3]) > 59) throw bad('no such offset');
    ms -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  }
  return formatUtc(ms);
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
 * The event paths the predicate of `spec` reads (compileFilter below; keep the
 * two in step): what a lean read must extract for the filters to decide as
 * they would on the whole event. Empty when the spec filters nothing.
 *
 *   filterPaths({ user: ['root'] })   // ['account.user', 'login.user']
 */
export function filterPaths(spec: FilterSpec): string[] {
  const paths: string[] = [];
  const any = (a: unknown[] | undefined) => a !== undefined && a.length > 0;
  if (any(spec.user)) paths.push('account.user', 'login.user');
  if (any(spec.host)) paths.push('account.host');
  if (any(spec.ip)) paths.push('login.ip');
  if (any(spec.db)) paths.push('connection_data.db', 'table_access_data.db', 'general_data.db');
  if (any(spec.event)) paths.push('class', 'event', 'general_data.command');
  if (any(spec.commandClass)) paths.push('general_data.sql_command', 'table_access_data.sql_command');
  if (any(spec.connectionId)) paths.push('connection_id');
  if (any(spec.status)) paths.push('general_data.status', 'connection_data.status');
  if (spec.since !== undefined || spec.until !== undefined) paths.push('timestamp');
  if (any(spec.grep)) paths.push('general_data.query', 'table_access_data.query');
  return paths;
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
    const want = new Set(spec.event.flatMap(eventKeys));
    tests.push((e) => {
      const cls = typeof e.class === 'string' ? e.class.toLowerCase() : undefined;
      const ev = typeof e.event === 'string' ? canonicalEvent(cls, e.event.toLowerCase()) : undefined;
      return want.has(`n:${xmlName(e).toLowerCase()}`) || want.has(`c:${cls}`) || want.has(`e:${cls}/${ev}`) || want.has(`v:${ev}`);
    });
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
