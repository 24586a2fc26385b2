/**
 * Field mapping: XML (NEW/OLD) and Percona classic records -> the one event shape.
 * The table this implements is in docs/event-shape.md; each row has a test in
 * test/mapping.test.ts.
 *
 *   const ids = createIdSequencer();
 *   const event = fieldsToEvent({ TIMESTAMP: '2019-10-03T14:09:38 UTC', NAME: 'Query', ... }, ids);
 */
import type { AuditEvent } from './entry.js';

/** XML field name -> value, as read (entities decoded). */
export type Fields = Record<string, string>;

/**
 * Per-file state that gives each event its `id`: the sequence number among
 * events with the same timestamp, from 0 each new second (as MySQL Enterprise JSON does).
 */
export interface IdSequencer {
  next(timestamp: string | undefined): number;
}

export function createIdSequencer(): IdSequencer {
  let last: string | undefined;
  let id = 0;
  return {
    next(ts) {
      if (ts !== undefined && ts === last) return ++id;
      last = ts;
      id = 0;
      return 0;
    },
  };
}

const TS_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?: UTC|Z)?$/;

/**
 * `2019-10-03T14:09:38 UTC` (Enterprise), `2021-06-29T19:33:34Z` (Percona 8.0),
 * `2023-03-29T11:15:52` (Percona filter, local time) -> `2019-10-03 14:09:38`.
 * Anything else (test placeholders like `<DATETIME>`) is kept as written.
 */
export function xmlTimestampToJson(ts: string): string {
  const m = TS_RE.exec(ts);
  return m ? `${m[1]} ${m[2]}` : ts;
}

const CONNECTION_TYPES: Record<string, string> = {
  'TCP/IP': 'tcp/ip',
  'SSL/TLS': 'ssl',
  SSL: 'ssl',
  Socket: 'socket',
  'Named Pipe': 'named_pipe',
  'Named pipe': 'named_pipe',
  'Shared Memory': 'shared_memory',
  'Shared memory': 'shared_memory',
  Undefined: 'undefined',
};

/** XML CONNECTION_TYPE spelling -> JSON spelling. Unknown values are lower-cased. */
export function connectionTypeToJson(t: string): string {
  return CONNECTION_TYPES[t] ?? t.toLowerCase();
}

const TABLE_EVENTS: Record<string, string> = {
  TableRead: 'read',
  TableInsert: 'insert',
  TableUpdate: 'update',
  TableDelete: 'delete',
};

/** XML NAME -> [class, event]. */
export function nameToClassEvent(name: string): [string, string] {
  switch (name) {
    case 'Audit':
    case 'Startup':
      return ['audit', 'startup'];
    case 'NoAudit':
      return ['audit', 'shutdown'];
    case 'Connect':
      return ['connection', 'connect'];
    case 'Change user':
      return ['connection', 'change_user'];
    case 'Quit':
      return ['connection', 'disconnect'];
  }
  const t = TABLE_EVENTS[name];
  return t ? ['table_access', t] : ['general', 'status'];
}

const USER_RE = /^(.*)\[(.*)\] @ (.*) \[(.*)\]$/s;

/** Query-style USER `priv[login] @ host [ip]` -> parts, or null for a plain user name. */
export function parseQueryUser(u: string): { priv: string; login: string; host: string; ip: string } | null {
  if (!u.includes('] @ ')) return null;
  const m = USER_RE.exec(u);
  return m ? { priv: m[1]!, login: m[2]!, host: m[3]!, ip: m[4]! } : null;
}

/** A decimal integer string -> number; anything else (placeholders, empty) stays a string. */
function num(v: string): number | string {
  return /^-?\d{1,15}$/.test(v) ? Number(v) : v;
}

/**
 * Build the event from an XML record's fields (NEW elements or OLD attributes;
 * also Percona classic records with their field names upper-cased).
 *
 * @param f fields by XML name (`RECORD` and `OS_USER` are Percona's spellings)
 * @param ids the file's id sequencer
 * @param attributes CONNECTION_ATTRIBUTES name/value pairs, when present
 */
export function fieldsToEvent(f: Fields, ids: IdSequencer, attributes?: Record<string, string>): AuditEvent {
  const name = f.NAME ?? '';
  const [cls, ev] = nameToClassEvent(name);
  const e: AuditEvent = {};
  if (f.TIMESTAMP !== undefined) e.timestamp = xmlTimestampToJson(f.TIMESTAMP);
  e.id = ids.next(e.timestamp);
  e.class = cls;
  e.event = ev;
  if (f.CONNECTION_ID !== undefined) e.connection_id = num(f.CONNECTION_ID);

  // Account and login.
  const account: { user?: string; host?: string } = {};
  const login: { user?: string; os?: string; ip?: string; proxy?: string } = {};
  const user = f.USER;
  const q = user === undefined ? null : parseQueryUser(user);
  if (q) {
    account.user = q.priv;
    login.user = q.login;
    account.host = q.host;
    login.ip = q.ip;
  } else if (user !== undefined) {
    login.user = user;
    account.user = f.PRIV_USER ?? user;
  } else if (f.PRIV_USER !== undefined) {
    account.user = f.PRIV_USER;
  }
  if (f.HOST !== undefined) account.host = f.HOST;
  const os = f.OS_LOGIN ?? f.OS_USER;
  if (os !== undefined) login.os = os;
  if (f.IP !== undefined) login.ip = f.IP;
  if (f.PROXY_USER !== undefined) login.proxy = f.PROXY_USER;
  if (account.user !== undefined || account.host !== undefined) e.account = orderKeys(account, ['user', 'host']);
  if (Object.keys(login).length) e.login = orderKeys(login, ['user', 'os', 'ip', 'proxy']);

  switch (cls) {
    case 'audit':
      if (ev === 'startup') {
        const d: NonNullable<AuditEvent['startup_data']> = {};
        if (f.SERVER_ID !== undefined) d.server_id = num(f.SERVER_ID);
        if (f.OS_VERSION !== undefined) d.os_version = f.OS_VERSION;
        if (f.MYSQL_VERSION !== undefined) d.mysql_version = f.MYSQL_VERSION;
        if (f.STARTUP_OPTIONS !== undefined) d.args = splitArgs(f.STARTUP_OPTIONS);
        e.startup_data = d;
      } else {
        const d: NonNullable<AuditEvent['shutdown_data']> = {};
        if (f.SERVER_ID !== undefined) d.server_id = num(f.SERVER_ID);
        e.shutdown_data = d;
      }
      break;
    case 'connection': {
      const d: NonNullable<AuditEvent['connection_data']> = {};
      if (f.CONNECTION_TYPE !== undefined) d.connection_type = connectionTypeToJson(f.CONNECTION_TYPE);
      // Disconnect events carry no status in JSON; a non-zero one is kept rather than lost.
      if (f.STATUS !== undefined && (ev !== 'disconnect' || f.STATUS !== '0')) d.status = num(f.STATUS);
      if (f.DB !== undefined && (ev !== 'disconnect' || f.DB !== '')) d.db = f.DB;
      if (attributes) d.connection_attributes = attributes;
      e.connection_data = d;
      break;
    }
    case 'table_access': {
      const d: NonNullable<AuditEvent['table_access_data']> = {};
      if (f.DB !== undefined) d.db = f.DB;
      if (f.TABLE !== undefined) d.table = f.TABLE;
      if (f.SQLTEXT !== undefined) d.query = f.SQLTEXT;
      if (f.COMMAND_CLASS !== undefined) d.sql_command = f.COMMAND_CLASS;
      e.table_access_data = d;
      break;
    }
    default: {
      const d: NonNullable<AuditEvent['general_data']> = { command: name };
      if (f.COMMAND_CLASS !== undefined) d.sql_command = f.COMMAND_CLASS;
      if (f.SQLTEXT !== undefined) d.query = f.SQLTEXT;
      if (f.STATUS !== undefined) d.status = num(f.STATUS);
      if (f.DB !== undefined) d.db = f.DB;
      e.general_data = d;
    }
  }
  return e;
}

/** STARTUP_OPTIONS split on runs of blanks (spaces, tabs, newlines). */
export function splitArgs(s: string): string[] {
  const t = s.trim();
  return t === '' ? [] : t.split(/\s+/);
}

function orderKeys<T extends object>(o: T, order: (keyof T)[]): T {
  const r = {} as T;
  for (const k of order) if (o[k] !== undefined) r[k] = o[k];
  return r;
}
