/**
 * The questions a security engineer asks of an audit log first: who logged in
 * from where and who failed (with the error codes), which errors, hosts, IPs,
 * databases and kinds of SQL, which privileged statements (GRANT, REVOKE,
 * CREATE/DROP/ALTER/RENAME USER, SET PASSWORD, roles) by whom and when, and
 * how many events per hour. Counted in one streaming pass, in bounded memory.
 *
 *   const t = new SecurityTally();
 *   for await (const e of readAuditLog('audit.log')) t.add(e);
 *   const report = t.report();   // report.logins, report.privileged.list, ...
 */
import type { AuditEvent, Entry } from './entry.js';

/** Distinct keys counted by name per section; past this many, the rest count as `(other)`. */
export const MAX_KEYS = 10_000;
/** Entries of each section in a report (the most frequent); the rest are summed as `(other)`. */
export const TOP_N = 20;
/** Privileged statements listed one by one (all are counted). */
export const MAX_PRIVILEGED_LISTED = 100;

/** `sql_command` values of privileged statements. */
const PRIVILEGED_COMMANDS = new Set([
  'grant',
  'grant_roles',
  'revoke',
  'revoke_all',
  'revoke_roles',
  'create_user',
  'drop_user',
  'alter_user',
  'alter_user_default_role',
  'rename_user',
  'set_password',
  'create_role',
  'drop_role',
  'set_role',
]);

/** The same statements recognised by their text, for records without a sql_command. */
const PRIVILEGED_SQL = /^\s*(grant|revoke|create\s+user|drop\s+user|alter\s+user|rename\s+user|set\s+password|create\s+role|drop\s+role)\b/i;

export interface LoginCount {
  user: string;
  host: string;
  ok: number;
  failed: number;
  /** Failed logins by error code (the connect status). */
  errors: Record<string, number>;
}

export interface PrivilegedStatement {
  time: string | null;
  user: string;
  host: string;
  /** `grant`, `create_user`, ... (the sql_command, or what the text starts with). */
  kind: string;
  status: number | null;
  sql: string;
  file: string;
  /** Byte offset in the decoded stream and record number. */
  offset: number;
  index: number;
}

/** Counts, most frequent first, at most TOP_N entries plus `(other)`. */
export type TopCounts = Record<string, number>;

export interface SecurityReport {
  /** Logins (connect and change-user events) per user and host, most first. */
  logins: LoginCount[];
  /** Sums over all logins. */
  loginTotals: { ok: number; failed: number };
  /** Events whose status is not 0, by status code. */
  errors: TopCounts;
  /** Records by account host, and by client IP. */
  hosts: TopCounts;
  ips: TopCounts;
  /** Records by database (connection, table-access or general data). */
  databases: TopCounts;
  /** Statements by sql_command. */
  sqlCommands: TopCounts;
  /** Privileged statements: how many, by kind, and the first MAX_PRIVILEGED_LISTED. */
  privileged: { count: number; kinds: TopCounts; list: PrivilegedStatement[] };
  /** Records per hour (`YYYY-MM-DD hh`), in time order (bounded by MAX_KEYS hours). */
  perHour: Record<string, number>;
}

function bump(m: Map<string, number>, k: string, by = 1, max = MAX_KEYS): void {
  const n = m.get(k);
  if (n !== undefined) m.set(k, n + by);
  else if (m.size < max) m.set(k, by);
  else m.set('(other)', (m.get('(other)') ?? 0) + by);
}

/** The TOP_N largest counts (ties by name), the rest summed as `(other)`. */
export function topCounts(m: Map<string, number>, n = TOP_N): TopCounts {
  const all = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out: TopCounts = {};
  let other = 0;
  for (const [k, v] of all) {
    if (k !== '(other)' && Object.keys(out).length < n) out[k] = v;
    else other += v;
  }
  if (other) out['(other)'] = other;
  return out;
}

function statusNumber(s: number | string | undefined): number | undefined {
  if (typeof s === 'number') return s;
  return typeof s === 'string' && /^-?\d+$/.test(s) ? Number(s) : undefined;
}

/** The login user and where from, of a connect event: USER is the login user on Connect records. */
function who(e: AuditEvent): { user: string; host: string } {
  return { user: e.login?.user || e.account?.user || '', host: e.account?.host || e.login?.ip || '' };
}

interface LoginTally {
  ok: number;
  failed: number;
  errors: Map<string, number>;
}

/** A SecurityTally's counts as plain data (structured-clonable: Maps keep their insertion order). */
export interface SecurityState {
  logins: Map<string, LoginTally>;
  loginsOther: LoginTally;
  errors: Map<string, number>;
  hosts: Map<string, number>;
  ips: Map<string, number>;
  databases: Map<string, number>;
  sqlCommands: Map<string, number>;
  privilegedKinds: Map<string, number>;
  privilegedCount: number;
  privileged: PrivilegedStatement[];
  perHour: Map<string, number>;
  /** The bound the maps were kept at. */
  maxKeys: number;
}

const FLAT = ['errors', 'hosts', 'ips', 'databases', 'sqlCommands', 'privilegedKinds', 'perHour'] as const;

/**
 * Whether a tally's state reached its bound somewhere (a key it saw may be under `(other)`):
 * then it merges exactly only into nothing. `perLogin`: look at each login's errors too.
 */
export function securityStateFull(s: SecurityState, perLogin = true): boolean {
  const cap = s.maxKeys;
  if (s.loginsOther.ok || s.loginsOther.failed || s.logins.size >= cap || FLAT.some((k) => s[k].size >= cap)) return true;
  if (perLogin) for (const t of s.logins.values()) if (t.errors.size >= cap) return true;
  return false;
}

export interface SecurityTallyOptions {
  /**
   * Distinct keys each map keeps, past which the rest count as `(other)`. Defaults to
   * MAX_KEYS; a part of a run counted apart keeps more, so that its counts merge exactly.
   */
  maxKeys?: number;
}

export class SecurityTally {
  private readonly max: number;
  private logins = new Map<string, LoginTally>();
  private loginsOther: LoginTally = { ok: 0, failed: 0, errors: new Map() };
  private errors = new Map<string, number>();
  private hosts = new Map<string, number>();
  private ips = new Map<string, number>();
  private databases = new Map<string, number>();
  private sqlCommands = new Map<string, number>();
  private privilegedKinds = new Map<string, number>();
  private privilegedCount = 0;
  private privileged: PrivilegedStatement[] = [];
  private perHour = new Map<string, number>();

  constructor(opts: SecurityTallyOptions = {}) {
    this.max = opts.maxKeys ?? MAX_KEYS;
  }

  add(entry: Entry): void {
    const max = this.max;
    const e = entry.event;
    const ts = e.timestamp;
    if (typeof ts === 'string' && ts.length >= 13 && ts.charCodeAt(4) === 0x2d && ts.charCodeAt(10) === 0x20) bump(this.perHour, ts.slice(0, 13), 1, max);
    const host = e.account?.host;
    if (host) bump(this.hosts, host, 1, max);
    const ip = e.login?.ip;
    if (ip) bump(this.ips, ip, 1, max);
    const cd = e.connection_data;
    const gd = e.general_data;
    const td = e.table_access_data;
    const db = cd?.db || td?.db || gd?.db;
    if (db) bump(this.databases, db, 1, max);
    const status = statusNumber(gd?.status ?? cd?.status);
    if (status !== undefined && status !== 0) bump(this.errors, String(status), 1, max);
    if (e.class === 'connection' && (e.event === 'connect' || e.event === 'change_user')) this.addLogin(e, status);
    const sqlc = gd?.sql_command ?? td?.sql_command;
    if (sqlc) bump(this.sqlCommands, sqlc, 1, max);
    // Table-access events repeat their statement's text; the general event is the statement.
    if (gd) this.addPrivileged(entry, gd.sql_command, gd.query, status);
  }

  private addLogin(e: AuditEvent, status: number | undefined): void {
    const { user, host } = who(e);
    const key = `${user}\0${host}`;
    let t = this.logins.get(key);
    if (!t) {
      if (this.logins.size < this.max) this.logins.set(key, (t = { ok: 0, failed: 0, errors: new Map() }));
      else t = this.loginsOther;
    }
    if (status === undefined || status === 0) t.ok++;
    else {
      t.failed++;
      bump(t.errors, String(status), 1, this.max);
    }
  }

  private addPrivileged(entry: Entry, sqlCommand: string | undefined, query: string | undefined, status: number | undefined): void {
    let kind: string | undefined;
    const c = sqlCommand?.toLowerCase();
    if (c && PRIVILEGED_COMMANDS.has(c)) kind = c;
    else if (!c || c === 'error') {
      const m = typeof query === 'string' ? PRIVILEGED_SQL.exec(query) : null;
      if (m) kind = m[1]!.toLowerCase().replace(/\s+/, '_');
    }
    if (!kind) return;
    this.privilegedCount++;
    bump(this.privilegedKinds, kind, 1, this.max);
    if (this.privileged.length >= MAX_PRIVILEGED_LISTED) return;
    const e = entry.event;
    this.privileged.push({
      time: e.timestamp ?? null,
      user: e.account?.user || e.login?.user || '',
      host: e.account?.host || e.login?.ip || '',
      kind,
      status: status ?? null,
      sql: query ?? '',
      file: entry.at.file,
      offset: entry.at.offset,
      index: entry.at.index,
    });
  }

  state(): SecurityState {
    const { logins, loginsOther, errors, hosts, ips, databases, sqlCommands, privilegedKinds, privilegedCount, privileged, perHour } = this;
    return { logins, loginsOther, errors, hosts, ips, databases, sqlCommands, privilegedKinds, privilegedCount, privileged, perHour, maxKeys: this.max };
  }

  /**
   * Add the counts of the entries that follow the ones counted here (the next
   * part of the run), as adding those entries one by one would; their record
   * numbers are `indexBase` more than `later` says (the records before its part
   * of the input). Names come in the order they were first seen, so bounded
   * maps fill the same way as long as `later` knows every name it saw (its maps,
   * kept at a larger bound, did not fill: else a name it put under `(other)` may
   * be one counted here) and new logins do not overflow into `(other)` (their
   * errors would mix in another order): else false, and nothing changed.
   */
  merge(later: SecurityState, indexBase = 0): boolean {
    // Into nothing, any state merges exactly: its maps hold the first names seen, with all their counts.
    const fresh = this.privilegedCount === 0 && this.logins.size === 0 && FLAT.every((k) => this[k].size === 0);
    if (!fresh && securityStateFull(later)) return false;
    // Logins that go under (other) bring their errors login by login, not in the order they came: fine while that map cannot fill.
    let size = this.logins.size;
    let otherErrors = this.loginsOther.errors.size + later.loginsOther.errors.size;
    for (const [k, t] of later.logins) {
      if (this.logins.has(k)) continue;
      if (size < this.max) size++;
      else otherErrors += t.errors.size;
    }
    if (otherErrors >= this.max) return false;
    for (const [k, t] of later.logins) {
      let mine = this.logins.get(k);
      if (!mine) {
        if (this.logins.size < this.max) this.logins.set(k, (mine = { ok: 0, failed: 0, errors: new Map() }));
        else mine = this.loginsOther;
      }
      mine.ok += t.ok;
      mine.failed += t.failed;
      for (const [code, n] of t.errors) bump(mine.errors, code, n, this.max);
    }
    const o = later.loginsOther;
    this.loginsOther.ok += o.ok;
    this.loginsOther.failed += o.failed;
    for (const [code, n] of o.errors) bump(this.loginsOther.errors, code, n, this.max);
    for (const k of FLAT) for (const [name, n] of later[k]) bump(this[k], name, n, this.max);
    this.privilegedCount += later.privilegedCount;
    for (const p of later.privileged) {
      if (this.privileged.length >= MAX_PRIVILEGED_LISTED) break;
      this.privileged.push({ ...p, index: p.index + indexBase });
    }
    return true;
  }

  report(): SecurityReport {
    const logins = [...this.logins].map(([k, t]): LoginCount => {
      const [user, host] = k.split('\0') as [string, string];
      return { user, host, ok: t.ok, failed: t.failed, errors: topCounts(t.errors) };
    });
    logins.sort((a, b) => b.failed - a.failed || b.ok + b.failed - (a.ok + a.failed) || (a.user + a.host < b.user + b.host ? -1 : 1));
    const shown = logins.slice(0, TOP_N);
    const rest = logins.slice(TOP_N);
    const other = this.loginsOther;
    if (rest.length || other.ok || other.failed) {
      const errs = new Map(other.errors);
      for (const l of rest) for (const [k, v] of Object.entries(l.errors)) bump(errs, k, v);
      shown.push({
        user: '(other)',
        host: '',
        ok: rest.reduce((a, l) => a + l.ok, other.ok),
        failed: rest.reduce((a, l) => a + l.failed, other.failed),
        errors: topCounts(errs),
      });
    }
    let ok = 0;
    let failed = 0;
    for (const l of shown) {
      ok += l.ok;
      failed += l.failed;
    }
    const perHour: Record<string, number> = {};
    for (const [k, v] of [...this.perHour].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) perHour[k] = v;
    return {
      logins: shown,
      loginTotals: { ok, failed },
      errors: topCounts(this.errors),
      hosts: topCounts(this.hosts),
      ips: topCounts(this.ips),
      databases: topCounts(this.databases),
      sqlCommands: topCounts(this.sqlCommands),
      privileged: { count: this.privilegedCount, kinds: topCounts(this.privilegedKinds), list: this.privileged },
      perHour,
    };
  }
}
