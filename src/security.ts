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
import { CountMap, ownString, type Count } from './counts.js';
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

/** Whether `s` starts with `prefix` (a short one: compared by char codes). */
function sameStart(s: string, prefix: string): boolean {
  for (let i = 0; i < prefix.length; i++) if (s.charCodeAt(i) !== prefix.charCodeAt(i)) return false;
  return true;
}

/** The login user and where from, of a connect event: USER is the login user on Connect records. */
function who(e: AuditEvent): { user: string; host: string } {
  return { user: e.login?.user || e.account?.user || '', host: e.account?.host || e.login?.ip || '' };
}

interface LoginTally {
  ok: number;
  failed: number;
  errors: CountMap;
}

/** A SecurityTally's counts as plain data (structured-clonable: Maps keep their insertion order). */
export interface SecurityState {
  logins: Map<string, { ok: number; failed: number; errors: Map<string, number> }>;
  loginsOther: { ok: number; failed: number; errors: Map<string, number> };
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
/** The security counts kept by name, one map each. */
export type SecurityMap = (typeof FLAT)[number];

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
  private loginsOther: LoginTally;
  private errors: CountMap;
  private hosts: CountMap;
  private ips: CountMap;
  private databases: CountMap;
  private sqlCommands: CountMap;
  private privilegedKinds: CountMap;
  private privilegedCount = 0;
  private privileged: PrivilegedStatement[] = [];
  private perHour: CountMap;
  /** The hour (`YYYY-MM-DD hh`) of the record before, and its count: records come in time order. */
  private hour = '';
  private hourCount: Count | undefined;
  /** A sql_command seen last that is not a privileged one (and not `error`): its statements are not checked. */
  private plainCommand: string | undefined;

  constructor(opts: SecurityTallyOptions = {}) {
    const max = (this.max = opts.maxKeys ?? MAX_KEYS);
    this.loginsOther = { ok: 0, failed: 0, errors: new CountMap(max) };
    this.errors = new CountMap(max);
    this.hosts = new CountMap(max);
    this.ips = new CountMap(max);
    this.databases = new CountMap(max);
    this.sqlCommands = new CountMap(max);
    this.privilegedKinds = new CountMap(max);
    this.perHour = new CountMap(max);
  }

  add(entry: Entry): void {
    const e = entry.event;
    const ts = e.timestamp;
    if (typeof ts === 'string' && ts.length >= 13 && ts.charCodeAt(4) === 0x2d && ts.charCodeAt(10) === 0x20) this.addHour(ts);
    const host = e.account?.host;
    if (host) this.hosts.add(host);
    const ip = e.login?.ip;
    if (ip) this.ips.add(ip);
    const cd = e.connection_data;
    const gd = e.general_data;
    const td = e.table_access_data;
    const db = cd?.db || td?.db || gd?.db;
    if (db) this.databases.add(db);
    const status = statusNumber(gd?.status ?? cd?.status);
    if (status !== undefined && status !== 0) this.errors.add(String(status));
    if (e.class === 'connection' && (e.event === 'connect' || e.event === 'change_user')) this.addLogin(e, status);
    const sqlc = gd?.sql_command ?? td?.sql_command;
    if (sqlc) this.sqlCommands.add(sqlc);
    // Table-access events repeat their statement's text; the general event is the statement.
    if (gd) this.addPrivileged(entry, gd.sql_command, gd.query, status);
  }

  private addHour(ts: string): void {
    const h = this.hour;
    if (this.hourCount !== undefined && sameStart(ts, h)) {
      this.hourCount.n++;
      return;
    }
    const key = ts.slice(0, 13);
    this.perHour.add(key);
    const c = this.perHour.map.get(key);
    // Past MAX_KEYS hours the count went to (other): no shortcut then.
    this.hour = key;
    this.hourCount = c;
  }

  private addLogin(e: AuditEvent, status: number | undefined): void {
    const { user, host } = who(e);
    const key = `${user}\0${host}`;
    let t = this.logins.get(key);
    if (!t) {
      if (this.logins.size < this.max) this.logins.set(ownString(key), (t = { ok: 0, failed: 0, errors: new CountMap(this.max) }));
      else t = this.loginsOther;
    }
    if (status === undefined || status === 0) t.ok++;
    else {
      t.failed++;
      t.errors.add(String(status));
    }
  }

  private addPrivileged(entry: Entry, sqlCommand: string | undefined, query: string | undefined, status: number | undefined): void {
    // Most statements repeat the sql_command of the one before, which said "not privileged".
    if (sqlCommand !== undefined && sqlCommand === this.plainCommand) return;
    let kind: string | undefined;
    const c = sqlCommand?.toLowerCase();
    if (c && c !== 'error' && !PRIVILEGED_COMMANDS.has(c)) {
      this.plainCommand = sqlCommand;
      return;
    }
    if (c && PRIVILEGED_COMMANDS.has(c)) kind = c;
    else if (!c || c === 'error') {
      const m = typeof query === 'string' ? PRIVILEGED_SQL.exec(query) : null;
      if (m) kind = m[1]!.toLowerCase().replace(/\s+/, '_');
    }
    if (!kind) return;
    this.privilegedCount++;
    this.privilegedKinds.add(kind);
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
    const logins = new Map<string, { ok: number; failed: number; errors: Map<string, number> }>();
    for (const [k, t] of this.logins) logins.set(k, { ok: t.ok, failed: t.failed, errors: t.errors.toMap() });
    const o = this.loginsOther;
    return {
      logins,
      loginsOther: { ok: o.ok, failed: o.failed, errors: o.errors.toMap() },
      errors: this.errors.toMap(),
      hosts: this.hosts.toMap(),
      ips: this.ips.toMap(),
      databases: this.databases.toMap(),
      sqlCommands: this.sqlCommands.toMap(),
      privilegedKinds: this.privilegedKinds.toMap(),
      privilegedCount: this.privilegedCount,
      privileged: this.privileged,
      perHour: this.perHour.toMap(),
      maxKeys: this.max,
    };
  }

  /**
   * The maps that reached their bound (but those in `except`), with the names they keep (`(other)` left out). Counted
   * from the start of a run, those are the names the run keeps: no later name joins them.
   */
  filled(except?: ReadonlySet<SecurityMap>): [SecurityMap, string[]][] {
    const out: [SecurityMap, string[]][] = [];
    for (const k of FLAT) if (!except?.has(k) && this[k].full) out.push([k, this[k].names()]);
    return out;
  }

  /**
   * Count map `k` by name only for `names` (what filled() gave for the start of the run), every
   * other name under `(other)`: for a later part of the run, whose other names the run cannot keep.
   */
  restrict(k: SecurityMap, names: readonly string[]): void {
    this[k].restrictTo(names);
    // The hour shortcut may hold a count the map no longer has.
    if (k === 'perHour') {
      this.hour = '';
      this.hourCount = undefined;
    }
  }

  /** Whether nothing was counted yet, at the default bound: the tally a run starts with. */
  fresh(): boolean {
    return this.max === MAX_KEYS && this.empty();
  }

  /** Whether nothing was counted yet (logins under (other) come only after logins by name). */
  private empty(): boolean {
    return this.privilegedCount === 0 && this.logins.size === 0 && FLAT.every((k) => this[k].map.size === 0);
  }

  /** Whether a map reached its bound (cheaper than securityStateFull(state()): no copy). */
  full(): boolean {
    const cap = this.max;
    const o = this.loginsOther;
    return o.ok > 0 || o.failed > 0 || this.logins.size >= cap || FLAT.some((k) => this[k].map.size >= cap);
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
    const fresh = this.empty();
    if (!fresh && securityStateFull(later)) return false;
    // Logins that go under (other) bring their errors login by login, not in the order they came: fine while that map cannot fill.
    let size = this.logins.size;
    let otherErrors = this.loginsOther.errors.map.size + later.loginsOther.errors.size;
    for (const [k, t] of later.logins) {
      if (this.logins.has(k)) continue;
      if (size < this.max) size++;
      else otherErrors += t.errors.size;
    }
    if (otherErrors >= this.max) return false;
    for (const [k, t] of later.logins) {
      let mine = this.logins.get(k);
      if (!mine) {
        if (this.logins.size < this.max) this.logins.set(k, (mine = { ok: 0, failed: 0, errors: new CountMap(this.max) }));
        else mine = this.loginsOther;
      }
      mine.ok += t.ok;
      mine.failed += t.failed;
      for (const [code, n] of t.errors) mine.errors.add(code, n);
    }
    const o = later.loginsOther;
    this.loginsOther.ok += o.ok;
    this.loginsOther.failed += o.failed;
    for (const [code, n] of o.errors) this.loginsOther.errors.add(code, n);
    for (const k of FLAT) for (const [name, n] of later[k]) this[k].add(name, n);
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
      return { user, host, ok: t.ok, failed: t.failed, errors: topCounts(t.errors.toMap()) };
    });
    logins.sort((a, b) => b.failed - a.failed || b.ok + b.failed - (a.ok + a.failed) || (a.user + a.host < b.user + b.host ? -1 : 1));
    const shown = logins.slice(0, TOP_N);
    const rest = logins.slice(TOP_N);
    const other = this.loginsOther;
    if (rest.length || other.ok || other.failed) {
      const errs = new CountMap(MAX_KEYS);
      for (const [k, v] of other.errors.toMap()) errs.add(k, v);
      for (const l of rest) for (const [k, v] of Object.entries(l.errors)) errs.add(k, v);
      shown.push({
        user: '(other)',
        host: '',
        ok: rest.reduce((a, l) => a + l.ok, other.ok),
        failed: rest.reduce((a, l) => a + l.failed, other.failed),
        errors: topCounts(errs.toMap()),
      });
    }
    let ok = 0;
    let failed = 0;
    for (const l of shown) {
      ok += l.ok;
      failed += l.failed;
    }
    const perHour: Record<string, number> = {};
    for (const [k, c] of [...this.perHour.map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) perHour[k] = c.n;
    return {
      logins: shown,
      loginTotals: { ok, failed },
      errors: topCounts(this.errors.toMap()),
      hosts: topCounts(this.hosts.toMap()),
      ips: topCounts(this.ips.toMap()),
      databases: topCounts(this.databases.toMap()),
      sqlCommands: topCounts(this.sqlCommands.toMap()),
      privileged: { count: this.privilegedCount, kinds: topCounts(this.privilegedKinds.toMap()), list: this.privileged },
      perHour,
    };
  }
}
