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
export type Fields = Record<string, string | undefined>;

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
  // Fast path for the Enterprise spelling; the regex handles the rest.
  if (ts.length === 23 && ts.charCodeAt(10) === 0x54 && ts.endsWith(' UTC') && ts.charCodeAt(4) === 0x2d && ts.charCodeAt(13) === 0x3a)
    return `${ts.slice(0, 10)} ${ts.slice(11, 19)}`;
  const m = TS_RE.exec(ts);
  return m ? `${m[1]} ${m[2]}` : ts;
}

const CONNECTION_TYPES = new Map<string, string>(Object.entries({
  'TCP/IP': 'tcp/ip',
  'SSL/TLS': 'ssl',
  SSL: 'ssl',
  Socket: 'socket',
  'Named Pipe': 'named_pipe',
  'Named pipe': 'named_pipe',
  'Shared Memory': 'shared_memory',
  'Shared memory': 'shared_memory',
  Undefined: 'undefined',
}));

/** XML CONNECTION_TYPE spelling -> JSON spelling. Unknown values are lower-cased. */
export function connectionTypeToJson(t: string): string {
  return CONNECTION_TYPES.get(t) ?? t.toLowerCase();
}

// The other way, the MySQL Enterprise spelling (the first one of the table above) wins.
const CONNECTION_TYPES_XML = new Map<string, string>();
for (const [xml, json] of CONNECTION_TYPES) if (!CONNECTION_TYPES_XML.has(json)) CONNECTION_TYPES_XML.set(json, xml);

/** JSON connection_type -> XML CONNECTION_TYPE (`ssl` -> `SSL/TLS`). Unknown values (`plugin`) are written as they are. */
export function connectionTypeToXml(t: string): string {
  return CONNECTION_TYPES_XML.get(t) ?? t;
}

/** XML NAME <-> class/event, for every NAME that is not a general command (docs/event-shape.md). */
const XML_NAMES: readonly (readonly [name: string, cls: string, event: string])[] = [
  ['Audit', 'audit', 'startup'],
  ['NoAudit', 'audit', 'shutdown'],
  ['Connect', 'connection', 'connect'],
  ['Change user', 'connection', 'change_user'],
  ['Quit', 'connection', 'disconnect'],
  ['TableRead', 'table_access', 'read'],
  ['TableInsert', 'table_access', 'insert'],
  ['TableUpdate', 'table_access', 'update'],
  ['TableDelete', 'table_access', 'delete'],
];
const BY_NAME = new Map<string, [string, string]>(XML_NAMES.map(([n, c, e]) => [n, [c, e]]));
// Percona filter 8.4.8+ calls its startup record `Startup`.
BY_NAME.set('Startup', ['audit', 'startup']);
const BY_CLASS_EVENT = new Map<string, string>(XML_NAMES.map(([n, c, e]) => [`${c}/${e}`, n]));

/** XML NAME -> [class, event]; every other NAME is a general command (`general`/`status`). */
export function nameToClassEvent(name: string): [string, string] {
  return BY_NAME.get(name) ?? ['general', 'status'];
}

/** class/event -> XML NAME, or undefined for general commands (their NAME is the command). */
export function classEventToName(cls: string | undefined, event: string | undefined): string | undefined {
  return BY_CLASS_EVENT.get(`${cls}/${event}`);
}

/** Query-style USER `priv[login] @ host [ip]` -> parts, or null for a plain user name. */
export function parseQueryUser(u: string): { priv: string; login: string; host: string; ip: string } | null {
  const b1 = u.indexOf('[');
  if (b1 < 0 || u.charCodeAt(u.length - 1) !== 0x5d) return null;
  const at = u.indexOf('] @ ', b1);
  if (at < 0) return null;
  const b2 = u.lastIndexOf(' [');
  if (b2 < at + 3) return null;
  return { priv: u.slice(0, b1), login: u.slice(b1 + 1, at), host: u.slice(at + 4, b2), ip: u.slice(b2 + 2, u.length - 1) };
}

/** A decimal integer string -> number; anything else (placeholders, empty) stays a string. */
function num(v: string): number | string {
  const n = v.length;
  if (n === 0 || n > 15) return v;
  for (let i = v.charCodeAt(0) === 0x2d && n > 1 ? 1 : 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return v;
  }
  return Number(v);
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

  // Account and login, keys in the order the server writes them.
  let aUser: string | undefined;
  let aHost: string | undefined;
  let lUser: string | undefined;
  let lIp: string | undefined;
  const user = f.USER;
  const q = user === undefined ? null : parseQueryUser(user);
  if (q) {
    aUser = q.priv;
    lUser = q.login;
    aHost = q.host;
    lIp = q.ip;
  } else if (user !== undefined) {
    lUser = user;
    aUser = f.PRIV_USER ?? user;
  } else aUser = f.PRIV_USER;
  if (f.HOST !== undefined) aHost = f.HOST;
  if (f.IP !== undefined) lIp = f.IP;
  const lOs = f.OS_LOGIN ?? f.OS_USER;
  const lProxy = f.PROXY_USER;
  if (aUser !== undefined || aHost !== undefined) {
    const account: { user?: string; host?: string } = {};
    if (aUser !== undefined) account.user = aUser;
    if (aHost !== undefined) account.host = aHost;
    e.account = account;
  }
  if (lUser !== undefined || lOs !== undefined || lIp !== undefined || lProxy !== undefined) {
    const login: { user?: string; os?: string; ip?: string; proxy?: string } = {};
    if (lUser !== undefined) login.user = lUser;
    if (lOs !== undefined) login.os = lOs;
    if (lIp !== undefined) login.ip = lIp;
    if (lProxy !== undefined) login.proxy = lProxy;
    e.login = login;
  }

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
