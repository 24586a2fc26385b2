/**
 * Field mapping: XML (NEW/OLD) and Percona classic records -> the one event shape.
 * The table this implements is in docs/event-shape.md; each row has a test in
 * test/mapping.test.ts.
 *
 *   const ids = createIdSequencer();
 *   const event = fieldsToEvent({ TIMESTAMP: '2019-10-03T14:09:38 UTC', NAME: 'Query', ... }, ids);
 */
import type { AuditEvent, JsonValue } from './entry.js';

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

/**
 * The event taxonomy: every XML NAME a server writes, and the `class`/`event` that the
 * same server's JSON writer gives that event (filter-definitions.md section 6.1), with the
 * data object the event carries. One table for the reader, the filters and the writers;
 * docs/event-shape.md shows it and test/mapping.test.ts has a test per row.
 *
 * Event spelling: the one Percona's JSON writer uses (`command_start`, `query_status_end`,
 * `variable_set`, `auth_flush`); the plain filter names (`start`, `status_end`, ...) are
 * accepted wherever an event name is read (canonicalEvent).
 */
export interface EventKind {
  /** The XML NAME. */
  readonly name: string;
  readonly cls: string;
  /** The event; '' for `Message`, whose COMMAND_CLASS says `user` or `internal`. */
  readonly event: string;
  /** The data object of the event (`general_data`, `command_data`, ...). */
  readonly data: string;
  /**
   * For a NAME that is also a general command (COM_SHUTDOWN, COM_EXECUTE): the field
   * whose presence makes it this kind; without it the record is that general command.
   */
  readonly when?: 'SERVER_ID' | 'STORED_PROGRAM';
}

const K = (name: string, cls: string, event: string, when?: EventKind['when']): EventKind =>
  when ? { name, cls, event, data: `${cls}_data`, when } : { name, cls, event, data: `${cls}_data` };

/** The taxonomy. For writing, the first row of a class/event gives its NAME. */
export const EVENT_KINDS: readonly EventKind[] = [
  K('Audit', 'audit', 'startup'),
  K('Startup', 'audit', 'startup'), // Percona filter 8.4.8+
  K('NoAudit', 'audit', 'shutdown'),
  K('Shutdown', 'audit', 'shutdown', 'SERVER_ID'), // Percona filter 8.4.8+; else COM_SHUTDOWN
  K('Connect', 'connection', 'connect'),
  K('Change user', 'connection', 'change_user'),
  K('Quit', 'connection', 'disconnect'),
  K('Disconnect', 'connection', 'disconnect'), // Percona filter 8.4.8+
  K('Pre Authenticate', 'connection', 'pre_authenticate'),
  K('TableRead', 'table_access', 'read'),
  K('TableInsert', 'table_access', 'insert'),
  K('TableUpdate', 'table_access', 'update'),
  K('TableDelete', 'table_access', 'delete'),
  K('Log', 'general', 'log'),
  K('Error', 'general', 'error'),
  K('Result', 'general', 'result'),
  K('Status', 'general', 'status'),
  K('Variable Get', 'global_variable', 'variable_get'),
  K('Variable Set', 'global_variable', 'variable_set'),
  K('Command Start', 'command', 'command_start'),
  K('Command End', 'command', 'command_end'),
  K('Query Start', 'query', 'query_start'),
  K('Query Nested Start', 'query', 'query_nested_start'),
  K('Query Status End', 'query', 'query_status_end'),
  K('Query Nested Status End', 'query', 'query_nested_status_end'),
  K('Auth Flush', 'authentication', 'auth_flush'),
  K('Auth Authid Create', 'authentication', 'auth_authid_create'),
  K('Auth Credential Change', 'authentication', 'auth_credential_change'),
  K('Auth Authid Rename', 'authentication', 'auth_authid_rename'),
  K('Auth Authid Drop', 'authentication', 'auth_authid_drop'),
  K('Execute', 'stored_program', 'execute', 'STORED_PROGRAM'), // else COM_EXECUTE
  K('Message', 'message', ''), // MySQL: the event is COMMAND_CLASS
  K('User', 'message', 'user'),
  K('Internal', 'message', 'internal'),
  K('Preparse', 'parse', 'preparse'),
  K('Postparse', 'parse', 'postparse'),
];

/** Any other NAME (`Query`, `Init DB`, `Ping`, ...) is a general command. */
export const GENERAL_COMMAND: EventKind = { name: '', cls: 'general', event: 'status', data: 'general_data' };

/**
 * General command NAMEs MySQL documents (COM_xxx names, besides the rows above); used only
 * to tell a known `--event` value from a typo.
 */
export const GENERAL_COMMAND_NAMES: readonly string[] = [
  'Binlog Dump', 'Close stmt', 'Connect Out', 'Create DB', 'Daemon', 'Debug', 'Delayed insert', 'Drop DB', 'Execute',
  'Fetch', 'Field List', 'Init DB', 'Kill', 'Long Data', 'Ping', 'Prepare', 'Processlist', 'Query', 'Refresh',
  'Register Slave', 'Reset stmt', 'Set option', 'Shutdown', 'Sleep', 'Statistics', 'Table Dump', 'Time', 'Reset Connection',
];

/** The class prefix Percona's JSON writer puts before some events (`query_` + `start`). */
const EVENT_PREFIX: Record<string, string> = { command: 'command_', query: 'query_', global_variable: 'variable_', authentication: 'auth_' };

const BY_NAME = new Map<string, EventKind[]>();
const NAME_OF = new Map<string, string>();
/** `class/event` in any accepted spelling -> the canonical event. */
const CANONICAL = new Map<string, string>();
for (const k of EVENT_KINDS) {
  const list = BY_NAME.get(k.name);
  if (list) list.push(k);
  else BY_NAME.set(k.name, [k]);
  if (k.event === '') continue;
  const ce = `${k.cls}/${k.event}`;
  if (!NAME_OF.has(ce)) NAME_OF.set(ce, k.name);
  CANONICAL.set(ce, k.event);
  const prefix = EVENT_PREFIX[k.cls];
  if (prefix && k.event.startsWith(prefix)) CANONICAL.set(`${k.cls}/${k.event.slice(prefix.length)}`, k.event);
}
for (const ev of ['user', 'internal']) {
  NAME_OF.set(`message/${ev}`, 'Message');
  CANONICAL.set(`message/${ev}`, ev);
}
// Older Percona filter releases wrote audit/audit and audit/noaudit.
CANONICAL.set('audit/audit', 'startup');
CANONICAL.set('audit/noaudit', 'shutdown');

/**
 * The kind of an XML record, from its NAME (and, for the NAMEs that are also general
 * commands, the field that tells them apart).
 */
export function kindOf(name: string, f?: Fields, extras?: Extras): EventKind {
  const list = BY_NAME.get(name);
  if (list === undefined) return GENERAL_COMMAND;
  for (const k of list) {
    const w = k.when;
    if (w === undefined || (f !== undefined && f[w] !== undefined) || extras?.some((x) => x[0] === w)) return k;
    // Percona names the class on a stored-program record's COMMAND_CLASS.
    if (w === 'STORED_PROGRAM' && f?.COMMAND_CLASS === 'Stored Program') return k;
  }
  return GENERAL_COMMAND;
}

/** XML NAME -> [class, event] (a `Message` record's event comes from its COMMAND_CLASS, `user` when absent). */
export function nameToClassEvent(name: string, f?: Fields): [string, string] {
  const k = kindOf(name, f);
  return [k.cls, k.event === '' ? (f?.COMMAND_CLASS ?? 'user') : k.event];
}

/** An event name in the canonical spelling (`query`/`start` -> `query_start`); unknown ones as given. */
export function canonicalEvent(cls: string | undefined, event: string | undefined): string | undefined {
  if (event === undefined || cls === undefined) return event;
  return CANONICAL.get(`${cls}/${event}`) ?? event;
}

/** class/event (any accepted spelling) -> XML NAME, or undefined for general commands and unknown kinds. */
export function classEventToName(cls: string | undefined, event: string | undefined): string | undefined {
  if (cls === 'general' && event === 'status') return undefined;
  return NAME_OF.get(`${cls}/${canonicalEvent(cls, event)}`);
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
 * The XML field names with a mapping row (docs/event-shape.md), in a fixed order: a
 * scanner that tracks which of them a record has does so as a bit mask over this list.
 */
export const FIELD_NAMES = [
  'TIMESTAMP', 'RECORD_ID', 'NAME', 'CONNECTION_ID', 'STATUS', 'STATUS_CODE', 'USER', 'OS_LOGIN',
  'HOST', 'IP', 'COMMAND_CLASS', 'SQLTEXT', 'CONNECTION_TYPE', 'PRIV_USER', 'PROXY_USER', 'DB',
  'SERVER_ID', 'VERSION', 'STARTUP_OPTIONS', 'OS_VERSION', 'MYSQL_VERSION', 'TABLE', 'RECORD', 'OS_USER',
] as const;

const BIT = new Map<string, number>(FIELD_NAMES.map((n, i) => [n, 1 << i]));
const bits = (...names: (typeof FIELD_NAMES)[number][]) => names.reduce((m, n) => m | BIT.get(n)!, 0);
/** Fields every record kind takes (or that are derived: RECORD_ID, STATUS_CODE, VERSION, Percona's RECORD). */
const COMMON = bits('TIMESTAMP', 'RECORD_ID', 'NAME', 'CONNECTION_ID', 'STATUS_CODE', 'USER', 'OS_LOGIN', 'HOST', 'IP', 'PRIV_USER', 'PROXY_USER', 'VERSION', 'RECORD', 'OS_USER');
/** Mapped fields each class takes into its event; any other field it has is kept as an unmapped one. */
const TAKES: Record<string, number> = {
  audit: COMMON | bits('SERVER_ID', 'STARTUP_OPTIONS', 'OS_VERSION', 'MYSQL_VERSION'),
  shutdown: COMMON | bits('SERVER_ID'),
  connection: COMMON | bits('CONNECTION_TYPE', 'STATUS', 'DB', 'COMMAND_CLASS'),
  table_access: COMMON | bits('DB', 'TABLE', 'SQLTEXT', 'COMMAND_CLASS', 'STATUS'),
  general: COMMON | bits('COMMAND_CLASS', 'SQLTEXT', 'STATUS', 'DB'),
  global_variable: COMMON | bits('COMMAND_CLASS'),
  command: COMMON | bits('STATUS', 'COMMAND_CLASS'),
  query: COMMON | bits('STATUS', 'COMMAND_CLASS', 'SQLTEXT'),
  stored_program: COMMON | bits('COMMAND_CLASS', 'DB'),
  authentication: COMMON | bits('COMMAND_CLASS', 'STATUS'),
  message: COMMON | bits('COMMAND_CLASS', 'STATUS'),
  parse: COMMON | bits('COMMAND_CLASS', 'SQLTEXT'),
};

/** What decides a record's class and event (kindOf, and `Message` events' COMMAND_CLASS). */
const KIND = bits('NAME', 'SERVER_ID', 'COMMAND_CLASS');
/** Event path -> the fields fieldsToEvent builds it from (besides the class, KIND). */
const PATH_FIELDS: Record<string, number> = {
  timestamp: bits('TIMESTAMP'),
  class: 0,
  event: 0,
  connection_id: bits('CONNECTION_ID'),
  'account.user': bits('USER', 'PRIV_USER'),
  'account.host': bits('USER', 'HOST'),
  'login.user': bits('USER'),
  'login.ip': bits('USER', 'IP'),
  'general_data.command': bits('NAME'),
  'general_data.db': bits('DB'),
  'connection_data.db': bits('DB'),
  'table_access_data.db': bits('DB'),
  'general_data.status': bits('STATUS'),
  'connection_data.status': bits('STATUS'),
  'general_data.sql_command': bits('COMMAND_CLASS'),
  'table_access_data.sql_command': bits('COMMAND_CLASS'),
  'general_data.query': bits('SQLTEXT'),
  'table_access_data.query': bits('SQLTEXT'),
};

/**
 * The fields (a bit mask over FIELD_NAMES) from which fieldsToEvent builds the
 * event paths `paths`, with TIMESTAMP always among them: fieldsToEvent over only
 * these fields (of a record whose every field has a mapping row and appears
 * once) gives those paths the values the whole record gives them. A path
 * without a row here takes every field.
 * @param paths event paths such as `account.user` (filterPaths in src/filter.ts)
 */
export function fieldsForPaths(paths: readonly string[]): number {
  let m = bits('TIMESTAMP') | KIND;
  for (const p of paths) m |= PATH_FIELDS[p] ?? (1 << FIELD_NAMES.length) - 1;
  return m;
}

/**
 * The value of an XML element without a mapping row: its text, or, for an element with
 * child elements, an object of them by lower-cased name (repeated names as arrays).
 */
export type ExtraValue = string | { [name: string]: ExtraValue | ExtraValue[] };
/** Unmapped elements (NEW) or attributes (OLD) of one record, by their XML name, in order. */
export type Extras = [name: string, value: ExtraValue][];

/** The COMMAND_CLASS Percona writes on records whose class has no SQL command: the class's display name (derived). */
const CLASS_DISPLAY: Record<string, string> = { stored_program: 'Stored Program', authentication: 'Authentication', parse: 'Parse' };

/**
 * Build the event from an XML record's fields (NEW elements or OLD attributes;
 * also Percona classic records with their field names upper-cased).
 *
 * Nothing is lost: a field with a mapping row that this record kind does not take, and
 * every field without one, goes into the event's data object under its lower-cased name
 * (under its own name when the lower-cased one is taken); repeated names become arrays.
 *
 * @param f fields by XML name (`RECORD` and `OS_USER` are Percona's spellings); names
 *   other than FIELD_NAMES are unmapped fields too
 * @param ids the file's id sequencer
 * @param attributes CONNECTION_ATTRIBUTES name/value pairs, when present
 * @param extras the record's unmapped fields, when the scanner keeps them apart from `f`
 * @param present which FIELD_NAMES `f` holds, as a bit mask; when absent, `f` is walked
 */
export function fieldsToEvent(f: Fields, ids: IdSequencer, attributes?: Record<string, string>, extras?: Extras, present?: number): AuditEvent {
  const name = f.NAME ?? '';
  const kind = kindOf(name, f, extras);
  const cls = kind.cls;
  let ev = kind.event;
  if (ev === '') ev = f.COMMAND_CLASS ?? 'user';
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
    // Authentication records name the account the statement acts on, not a login.
    if (cls !== 'authentication') lUser = user;
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

  let d: { [key: string]: JsonValue | undefined };
  const cc = f.COMMAND_CLASS;
  switch (cls) {
    case 'audit':
      if (ev === 'startup') {
        const s: NonNullable<AuditEvent['startup_data']> = {};
        if (f.SERVER_ID !== undefined) s.server_id = num(f.SERVER_ID);
        if (f.OS_VERSION !== undefined) s.os_version = f.OS_VERSION;
        if (f.MYSQL_VERSION !== undefined) s.mysql_version = f.MYSQL_VERSION;
        if (f.STARTUP_OPTIONS !== undefined) s.args = splitArgs(f.STARTUP_OPTIONS);
        e.startup_data = d = s;
      } else {
        const s: NonNullable<AuditEvent['shutdown_data']> = {};
        if (f.SERVER_ID !== undefined) s.server_id = num(f.SERVER_ID);
        e.shutdown_data = d = s;
      }
      break;
    case 'connection': {
      const c: NonNullable<AuditEvent['connection_data']> = {};
      if (f.CONNECTION_TYPE !== undefined) c.connection_type = connectionTypeToJson(f.CONNECTION_TYPE);
      // Disconnect events carry no status in JSON; a non-zero one is kept rather than lost.
      if (f.STATUS !== undefined && (ev !== 'disconnect' || f.STATUS !== '0')) c.status = num(f.STATUS);
      if (f.DB !== undefined && (ev !== 'disconnect' || f.DB !== '')) c.db = f.DB;
      if (attributes) c.connection_attributes = attributes;
      e.connection_data = d = c;
      // COMMAND_CLASS is always `connect` on connection records; another value is kept.
      if (cc !== undefined && cc !== 'connect') d.command_class = cc;
      break;
    }
    case 'table_access': {
      const t: NonNullable<AuditEvent['table_access_data']> = {};
      if (f.DB !== undefined) t.db = f.DB;
      if (f.TABLE !== undefined) t.table = f.TABLE;
      if (f.SQLTEXT !== undefined) t.query = f.SQLTEXT;
      if (cc !== undefined) t.sql_command = cc;
      e.table_access_data = d = t;
      // JSON table_access events have no status; the XML layout writes 0. Another value is kept.
      if (f.STATUS !== undefined && f.STATUS !== '0') d.status = num(f.STATUS);
      break;
    }
    case 'general': {
      const g: NonNullable<AuditEvent['general_data']> = { command: name };
      if (cc !== undefined) g.sql_command = cc;
      if (f.SQLTEXT !== undefined) g.query = f.SQLTEXT;
      if (f.STATUS !== undefined) g.status = num(f.STATUS);
      if (f.DB !== undefined) g.db = f.DB;
      e.general_data = d = g;
      break;
    }
    default:
      d = {};
      switch (cls) {
        case 'global_variable':
          if (cc !== undefined) d.sql_command = cc;
          break;
        case 'command':
          d.name = ev;
          if (f.STATUS !== undefined) d.status = num(f.STATUS);
          if (cc !== undefined) d.command = cc;
          break;
        case 'query':
          if (f.SQLTEXT !== undefined) d.query = f.SQLTEXT;
          if (f.STATUS !== undefined) d.status = num(f.STATUS);
          if (cc !== undefined) d.sql_command = cc;
          break;
        case 'authentication':
          if (f.STATUS !== undefined) d.status = num(f.STATUS);
          break;
        case 'stored_program':
          if (f.DB !== undefined) d.db = f.DB;
          break;
        case 'message':
          // Percona writes STATUS 0 on every message record; JSON message events have none.
          if (f.STATUS !== undefined && f.STATUS !== '0') d.status = num(f.STATUS);
          break;
        case 'parse':
          if (f.SQLTEXT !== undefined) d.query = f.SQLTEXT;
          break;
      }
      if (cc !== undefined && cls !== 'global_variable' && cls !== 'command' && cls !== 'query' && cls !== 'message' && cc !== CLASS_DISPLAY[cls]) d.command_class = cc;
      e[kind.data] = d as JsonValue;
  }

  // What this kind did not take, and the unmapped fields: kept in the data object.
  const takes = cls === 'audit' && ev === 'shutdown' ? TAKES.shutdown! : TAKES[cls]!;
  if (present === undefined || (present & ~takes) !== 0 || extras !== undefined) keepUnmapped(d, f, takes, present, extras);
  if (cls !== 'general' && cls !== 'audit' && cls !== 'connection' && cls !== 'table_access') shapeData(cls, d);
  return e;
}

/** Put the fields `takes` does not cover, and `extras`, into the data object `d`. */
function keepUnmapped(d: { [key: string]: JsonValue | undefined }, f: Fields, takes: number, present: number | undefined, extras: Extras | undefined): void {
  const kept = new Set<string>();
  const keep = (name: string, v: ExtraValue): void => {
    let k = name.toLowerCase();
    // A key the mapping filled stays its own; the unmapped field goes under its XML name.
    if (d[k] !== undefined && !kept.has(k)) k = name;
    const had = d[k];
    if (had === undefined) {
      d[k] = v;
      kept.add(k);
    } else if (Array.isArray(had)) had.push(v); // unmapped values are never arrays: this is a repeat
    else d[k] = [had, v];
  };
  if (present === undefined) {
    for (const k in f) {
      const v = f[k];
      if (v === undefined) continue;
      const bit = BIT.get(k);
      if (bit === undefined || (takes & bit) === 0) keep(k, v);
    }
  } else {
    for (let i = 0; i < FIELD_NAMES.length; i++) {
      if ((present & ~takes & (1 << i)) === 0) continue;
      const k = FIELD_NAMES[i]!;
      const v = f[k];
      if (v !== undefined) keep(k, v);
    }
  }
  if (extras !== undefined) for (const [k, v] of extras) keep(k, v);
}

/**
 * The MySQL / Percona JSON member names for the unmapped fields of the classes that have
 * them (`global_variable_data { name, value }`, `stored_program_data { name, db }`,
 * `parse_data { flags, query, rewritten_query }`, `message_data { component, producer,
 * message, map }`), in the JSON writers' key order.
 */
function shapeData(cls: string, d: { [key: string]: JsonValue | undefined }): void {
  const rename = (from: string, to: string) => {
    if (d[from] === undefined || d[to] !== undefined) return;
    d[to] = d[from];
    delete d[from];
  };
  switch (cls) {
    case 'global_variable':
      rename('variable_name', 'name');
      rename('variable_value', 'value');
      break;
    case 'stored_program':
      rename('stored_program', 'name');
      break;
    case 'parse': {
      if (typeof d.flags === 'string') d.flags = num(d.flags);
      break;
    }
    case 'message': {
      const m = d.map;
      if (m !== undefined && typeof m === 'object' && m !== null && !Array.isArray(m)) {
        const els = (m as { element?: JsonValue }).element;
        const list = els === undefined ? [] : Array.isArray(els) ? els : [els];
        const out: { [k: string]: JsonValue } = {};
        let ok = Object.keys(m).length === (els === undefined ? 0 : 1);
        for (const el of list) {
          if (typeof el !== 'object' || el === null || Array.isArray(el) || typeof el.key !== 'string' || Object.keys(el).length > 2) ok = false;
          else out[el.key] = typeof el.value === 'string' ? el.value : '';
        }
        if (ok) d.map = out;
      } else if (m === '') d.map = {};
      break;
    }
  }
  // The JSON writers' key order, where they have one.
  const order = JSON_ORDER[cls];
  if (order) {
    const rest = { ...d };
    for (const k of Object.keys(d)) delete d[k];
    for (const k of order) if (rest[k] !== undefined) d[k] = rest[k];
    for (const k in rest) if (d[k] === undefined) d[k] = rest[k];
  }
}
const JSON_ORDER: Record<string, string[]> = {
  global_variable: ['name', 'value'],
  command: ['name', 'status', 'command'],
  query: ['query', 'status', 'sql_command'],
  stored_program: ['name', 'db'],
  parse: ['flags', 'query', 'rewritten_query'],
  message: ['component', 'producer', 'message', 'map'],
};

/** STARTUP_OPTIONS split on runs of blanks (spaces, tabs, newlines). */
export function splitArgs(s: string): string[] {
  const t = s.trim();
  return t === '' ? [] : t.split(/\s+/);
}
