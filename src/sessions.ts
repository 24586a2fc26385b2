/**
 * Sessions: one row per connection, built from the connect, change-user,
 * statement and disconnect events of a log (several rotated files read in
 * order as one stream). A session tracker takes entries in log order and
 * gives back the sessions each entry finished, so finished sessions are
 * written as they end and only open ones are held (at most `maxOpen`).
 *
 *   const tracker = createSessionTracker();
 *   for await (const e of readAuditLog('audit.log')) for (const s of tracker.push(e)) console.log(s);
 *   for (const s of tracker.end()) console.log(s);      // sessions still open when the input ended
 *
 * What ends a session: its disconnect; a server restart (a startup record: connection ids
 * start again, so an id seen after it is another session); a failed login ends when the
 * next event of its id arrives or the input ends. Fields are documented in docs/sessions.md.
 */
import { AgeQueue } from './age-queue.js';
import type { Entry } from './entry.js';
import { connectionKey, eventKind, statusOf } from './event-kind.js';
import { createDbTracker, type DbTracker } from './track-db.js';

/** One connection, from its connect (or first event) to its disconnect (or what else ended it). */
export interface Session {
  connection_id: number | string;
  /** The user name the client logged in with (`login.user`). */
  login_user?: string;
  /** The account it was authenticated as (`account.user`, PRIV_USER). */
  account_user?: string;
  host?: string;
  ip?: string;
  os_user?: string;
  proxy_user?: string;
  connection_type?: string;
  /** From the connection attributes: `program_name`, `_pid`, `_client_name`, `_client_version`, `_os`. */
  program_name?: string;
  client_pid?: string;
  client_name?: string;
  client_version?: string;
  os?: string;
  /** Time of the connect event, when it is in the input. */
  connect_time?: string;
  /** Time of the disconnect event, when it is in the input. */
  disconnect_time?: string;
  /** disconnect_time - connect_time in seconds, when both are real times. */
  duration_seconds?: number;
  /** Times of the first and last event of the session in the input. */
  first_seen?: string;
  last_seen?: string;
  /**
   * The span in which this session is known to have held its connection id: from its
   * connect (or, for a session open at the start, from the start of the input or the
   * last restart), until its disconnect (or the restart, or the last event of the input).
   */
  from?: string;
  until?: string;
  /** Databases the session used: its default databases and the databases of its table-access events, in first-use order. */
  databases: string[];
  /** Databases used beyond the MAX_DATABASES listed. */
  databases_more?: number;
  /** General status events (statements and protocol commands) and how many of them had a non-zero status. */
  statements: number;
  errors: number;
  /** Successful change users, in order (the first MAX_USER_CHANGES). */
  user_changes?: { time?: string; login_user?: string; account_user?: string; database?: string }[];
  /** The connect failed (status not 0): `login_status` is its error code. */
  login_failed: boolean;
  login_status?: number;
  /** No connect for it in the input: it was already open when the input starts. */
  open_at_start: boolean;
  /** Still open when the input ended. */
  open_at_end: boolean;
  /**
   * What ended it: its disconnect, a server restart or shutdown, the end of the input, the
   * open-session cap, its own failed login, or a new connect under its id with no disconnect
   * in between (records missing from the input).
   */
  ended_by: 'disconnect' | 'restart' | 'shutdown' | 'end_of_input' | 'evicted' | 'failed_login' | 'reconnect';
  /** Where the session's first event is: file and record number. */
  file?: string;
  index?: number;
  /**
   * `local`: its times are the server's local time, as Percona audit_log_filter writes them
   * (with no zone), not UTC. Absent: UTC. `sourceTz` (--source-tz) reads them as UTC.
   */
  time_zone?: 'local';
}

/** Open sessions held at once by default; past it the oldest is written out as `evicted` and counted. */
export const DEFAULT_MAX_OPEN = 20_000;
/** Databases listed per session; more are counted in `databases_more`. */
export const MAX_DATABASES = 64;
/** Change users listed per session. */
export const MAX_USER_CHANGES = 16;

export interface SessionTrackerOptions {
  /** Open sessions held at once. Defaults to DEFAULT_MAX_OPEN. */
  maxOpen?: number;
  /** Told once when the cap is first reached. */
  onCapReached?: (maxOpen: number) => void;
}

export interface SessionSummary {
  /** Sessions written. */
  sessions: number;
  failedLogins: number;
  openAtStart: number;
  openAtEnd: number;
  /** Sessions ended by a restart or shutdown record. */
  closedByRestart: number;
  /** Open sessions written out early because `maxOpen` were open at once. */
  evicted: number;
  /** The most sessions open at once. */
  peakOpen: number;
  /** Startup records seen. */
  restarts: number;
}

export interface SessionTracker {
  /** Follow one entry (in log order). @returns the sessions it finished */
  push(entry: Entry): Session[];
  /** The input ended. @returns the sessions still open, flagged `open_at_end` */
  end(): Session[];
  /** The open session of a connection id, if any. */
  open(connectionId: number | string): Session | undefined;
  /** Time of the latest event seen. */
  readonly now: string | undefined;
  summary(): SessionSummary;
}

/** Seconds since the epoch of a `YYYY-MM-DD hh:mm:ss` time, or undefined for anything else. */
export function epochSeconds(ts: string | undefined): number | undefined {
  if (ts === undefined || ts.length < 19 || ts.charCodeAt(4) !== 0x2d || ts.charCodeAt(13) !== 0x3a) return undefined;
  const ms = Date.parse(`${ts.slice(0, 10)}T${ts.slice(11, 19)}Z`);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Whether a timestamp looks like a real `YYYY-MM-DD hh:mm:ss` (cheap: on every event; test logs hold placeholders). */
function isTime(ts: string | undefined): ts is string {
  return ts !== undefined && ts.length >= 19 && ts.charCodeAt(4) === 0x2d && ts.charCodeAt(13) === 0x3a;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * Make a session tracker. One tracker follows all inputs of a run, in order, as one stream.
 * @param opts limits
 * @returns the tracker
 */
export function createSessionTracker(opts: SessionTrackerOptions = {}): SessionTracker {
  const maxOpen = opts.maxOpen ?? DEFAULT_MAX_OPEN;
  const open = new Map<string, Session>();
  const ages = new AgeQueue<Session>((k, v) => open.get(k) === v, () => open.size);
  const dbs: DbTracker = createDbTracker({ fill: false, maxConnections: maxOpen });
  const sum: SessionSummary = { sessions: 0, failedLogins: 0, openAtStart: 0, openAtEnd: 0, closedByRestart: 0, evicted: 0, peakOpen: 0, restarts: 0 };
  let now: string | undefined;
  // Start of what the input covers in this server run: the first event, or the last startup record.
  let runStart: string | undefined;
  let capTold = false;

  const finish = (s: Session, by: Session['ended_by'], until: string | undefined, out: Session[]) => {
    s.ended_by = by;
    if (until !== undefined) s.until = until;
    if (by === 'end_of_input') {
      s.open_at_end = true;
      sum.openAtEnd++;
    }
    if (by === 'restart' || by === 'shutdown') sum.closedByRestart++;
    if (by === 'evicted') sum.evicted++;
    if (s.login_failed) sum.failedLogins++;
    if (s.open_at_start) sum.openAtStart++;
    if (isTime(s.connect_time) && isTime(s.disconnect_time)) s.duration_seconds = epochSeconds(s.disconnect_time)! - epochSeconds(s.connect_time)!;
    sum.sessions++;
    out.push(s);
  };

  const start = (key: string, entry: Entry, fromConnect: boolean, out: Session[]): Session => {
    const e = entry.event;
    const s: Session = {
      connection_id: e.connection_id!,
      databases: [],
      statements: 0,
      errors: 0,
      login_failed: false,
      open_at_start: !fromConnect,
      open_at_end: false,
      ended_by: 'end_of_input',
      file: entry.at.file,
      index: entry.at.index,
    };
    if (entry.timeZone === 'local') s.time_zone = 'local';
    identify(s, entry);
    const ts = e.timestamp;
    if (fromConnect) s.from = ts;
    else if (runStart !== undefined) s.from = runStart;
    if (open.size >= maxOpen) {
      const [oldKey, oldest] = ages.shiftLive()!;
      open.delete(oldKey);
      if (!capTold) {
        capTold = true;
        opts.onCapReached?.(maxOpen);
      }
      finish(oldest, oldest.login_failed ? 'failed_login' : 'evicted', now, out);
    }
    open.set(key, s);
    ages.push(key, s);
    if (open.size > sum.peakOpen) sum.peakOpen = open.size;
    return s;
  };

  const useDb = (s: Session, db: string | undefined) => {
    if (db === undefined || db === '' || s.databases.includes(db)) return;
    if (s.databases.length < MAX_DATABASES) s.databases.push(db);
    else s.databases_more = (s.databases_more ?? 0) + 1;
  };

  const closeAll = (by: Session['ended_by'], until: string | undefined, out: Session[]) => {
    for (const s of open.values()) finish(s, s.login_failed ? 'failed_login' : by, s.login_failed ? s.until : until, out);
    open.clear();
    ages.clear();
  };

  return {
    push(entry) {
      const out: Session[] = [];
      const e = entry.event;
      const ts = e.timestamp;
      const real = isTime(ts);
      if (real) {
        now = ts;
        runStart ??= ts;
      }
      const kind = eventKind(e);
      dbs.apply(entry, kind);
      if (kind === 'startup' || kind === 'shutdown') {
        if (kind === 'startup') {
          sum.restarts++;
          closeAll('restart', real ? ts : now, out);
          if (real) runStart = ts;
        } else closeAll('shutdown', real ? ts : now, out);
        return out;
      }
      if (kind === 'other') return out;
      const key = connectionKey(e);
      if (key === undefined) return out;
      let s = open.get(key);
      if (s?.login_failed) {
        // A failed login ends with its attempt: whatever comes next under that id is another session,
        // except the disconnect of that very attempt.
        if (kind === 'disconnect') {
          s.disconnect_time = ts;
          s.last_seen = ts;
          s.until = ts;
          open.delete(key);
          finish(s, 'failed_login', ts, out);
          return out;
        }
        open.delete(key);
        finish(s, 'failed_login', s.until, out);
        s = undefined;
      }
      if (kind === 'connect') {
        if (s) {
          // A connect for an id that is open: its disconnect is not in the input. It ends where it was last seen.
          open.delete(key);
          finish(s, 'reconnect', s.last_seen, out);
        }
        s = start(key, entry, true, out);
        s.connect_time = ts;
        const status = statusOf(e);
        if (status !== undefined && status !== 0) {
          s.login_failed = true;
          s.login_status = status;
          s.until = ts;
        }
        useDb(s, str(e.connection_data?.db));
      } else {
        s ??= start(key, entry, false, out);
        if (kind === 'change_user') {
          const status = statusOf(e);
          if (status === 0) {
            const ch: NonNullable<Session['user_changes']>[number] = {};
            if (ts !== undefined) ch.time = ts;
            if (e.login?.user !== undefined) ch.login_user = e.login.user;
            if (e.account?.user !== undefined) ch.account_user = e.account.user;
            const db = str(e.connection_data?.db);
            if (db !== undefined) ch.database = db;
            s.user_changes ??= [];
            if (s.user_changes.length < MAX_USER_CHANGES) s.user_changes.push(ch);
            useDb(s, db);
          }
        } else if (kind === 'statement' || kind === 'init_db') {
          s.statements++;
          const status = statusOf(e);
          if (status !== undefined && status !== 0) s.errors++;
          useDb(s, str(e.general_data?.db) ?? dbs.current(key));
        } else if (kind === 'table_access') {
          useDb(s, str(e.table_access_data?.db));
        }
      }
      s.first_seen ??= ts;
      s.last_seen = ts;
      if (kind === 'disconnect') {
        s.disconnect_time = ts;
        open.delete(key);
        finish(s, 'disconnect', ts, out);
      }
      return out;
    },
    end() {
      const out: Session[] = [];
      closeAll('end_of_input', now, out);
      return out;
    },
    open(id) {
      return open.get(String(id));
    },
    get now() {
      return now;
    },
    summary() {
      return { ...sum };
    },
  };
}

/** Fill in who a session is from one of its events: the connect's fields, or what a statement carries. */
function identify(s: Session, entry: Entry): void {
  const e = entry.event;
  if (e.login?.user !== undefined) s.login_user = e.login.user;
  if (e.account?.user !== undefined) s.account_user = e.account.user;
  if (e.account?.host !== undefined) s.host = e.account.host;
  if (e.login?.ip !== undefined) s.ip = e.login.ip;
  if (e.login?.os !== undefined) s.os_user = e.login.os;
  if (e.login?.proxy !== undefined) s.proxy_user = e.login.proxy;
  const cd = e.connection_data;
  if (cd?.connection_type !== undefined) s.connection_type = cd.connection_type;
  const a = cd?.connection_attributes;
  if (a) {
    if (a.program_name !== undefined) s.program_name = a.program_name;
    if (a._pid !== undefined) s.client_pid = a._pid;
    if (a._client_name !== undefined) s.client_name = a._client_name;
    if (a._client_version !== undefined) s.client_version = a._client_version;
    if (a._os !== undefined) s.os = a._os;
  }
}

/** Columns of `sessions --to csv`, in order. */
export const SESSION_COLUMNS = [
  'connection_id',
  'login_user',
  'account_user',
  'host',
  'ip',
  'os_user',
  'proxy_user',
  'connection_type',
  'program_name',
  'client_pid',
  'client_name',
  'client_version',
  'os',
  'connect_time',
  'disconnect_time',
  'duration_seconds',
  'first_seen',
  'last_seen',
  'from',
  'until',
  'databases',
  'statements',
  'errors',
  'login_failed',
  'login_status',
  'open_at_start',
  'open_at_end',
  'ended_by',
  'user_changes',
  'file',
  'index',
  'time_zone',
] as const;

function csvField(v: unknown): string {
  if (v === undefined || v === null) return '';
  const t = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** The CSV header row (RFC 4180, CRLF). */
export function sessionCsvHeader(): string {
  return SESSION_COLUMNS.join(',') + '\r\n';
}

/** One session as a CSV row: databases joined by `;` (with `+N` when more were used), user changes as JSON. */
export function sessionCsvRow(s: Session): string {
  return (
    SESSION_COLUMNS.map((c) => {
      if (c === 'databases') return csvField(s.databases.join(';') + (s.databases_more ? `;+${s.databases_more}` : ''));
      return csvField(s[c]);
    }).join(',') + '\r\n'
  );
}
