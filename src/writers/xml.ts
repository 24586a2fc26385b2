/**
 * NEW and OLD XML writers in the MySQL Enterprise layout of the real fixtures
 * (spec mysql-enterprise-audit.md §1.1, §1.2, §1.4, §10):
 *
 *   NEW:  <?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n
 *          <AUDIT_RECORD>\n  <FIELD>value</FIELD>\n  <EMPTY/>\n </AUDIT_RECORD>\n  ...  </AUDIT>\n
 *   OLD:  same header and footer; records `  <AUDIT_RECORD\n    FIELD="value"\n ...    LAST="value"/>\n`
 *         (the 5.7+ manual's layout; OLD never carries CONNECTION_ATTRIBUTES).
 *
 * Element (attribute) order per record type, the spec's table:
 *   Audit        TIMESTAMP RECORD_ID NAME SERVER_ID VERSION STARTUP_OPTIONS OS_VERSION MYSQL_VERSION
 *   NoAudit      TIMESTAMP RECORD_ID NAME SERVER_ID
 *   Connect, Change user
 *                TIMESTAMP RECORD_ID NAME CONNECTION_ID STATUS STATUS_CODE USER OS_LOGIN HOST IP
 *                COMMAND_CLASS(connect) CONNECTION_TYPE [CONNECTION_ATTRIBUTES] PRIV_USER PROXY_USER DB
 *   Quit         TIMESTAMP RECORD_ID NAME CONNECTION_ID STATUS STATUS_CODE USER OS_LOGIN HOST IP
 *                COMMAND_CLASS(connect) CONNECTION_TYPE [DB: only a non-empty one, which only Percona has]
 *   Query and every other general command (NAME = general_data.command)
 *                TIMESTAMP RECORD_ID NAME CONNECTION_ID STATUS STATUS_CODE USER OS_LOGIN HOST IP
 *                COMMAND_CLASS SQLTEXT [DB: Percona classic general_data.db]
 *   TableRead TableInsert TableUpdate TableDelete
 *                TIMESTAMP RECORD_ID NAME CONNECTION_ID STATUS STATUS_CODE USER OS_LOGIN HOST IP
 *                COMMAND_CLASS DB TABLE SQLTEXT
 *                UNCONFIRMED: the manual only says these records carry DB and TABLE; this order
 *                (the Query order with DB and TABLE before SQLTEXT) is our choice. table_access
 *                events have no status in JSON: STATUS and STATUS_CODE are written as 0 (a
 *                table_access_data.status, if a source had one, is used instead).
 *   Other classes (Percona filter `command`, `query`, `global_variable`, `authentication`,
 *   `stored_program`, `parse`, and `message`): the Query layout, NAME from the taxonomy in
 *   src/mapping.ts (`Command Start`, `Query Status End`, `Variable Set`, ...; `Message` for
 *   message events), then the class's own elements (Percona's element names): VARIABLE_NAME
 *   VARIABLE_VALUE; STORED_PROGRAM; FLAGS REWRITTEN_QUERY; COMPONENT PRODUCER MESSAGE MAP.
 *   Data members without an element of their own follow as elements under their upper-cased
 *   names (the reader keeps unmapped elements lower-cased), nested in NEW.
 *
 * Values: TIMESTAMP `YYYY-MM-DD hh:mm:ss` -> `YYYY-MM-DDThh:mm:ss UTC`, and for a local time
 * (`Entry.timeZone` 'local', Percona audit_log_filter) `YYYY-MM-DDThh:mm:ss` with no zone, as
 * Percona writes it: a local time is never written as UTC (any other spelling is written as it is); RECORD_ID `seq_<time of the output file's first record>`, seq from 1,
 * counting every record this writer wrote (passed-through ones too); STATUS_CODE 0 when STATUS
 * is 0, else 1; query-style USER `account.user[login.user] @ account.host [login.ip]`
 * (missing parts empty); on Connect/Change user USER = login.user and PRIV_USER = account.user;
 * on Quit USER = login.user (else account.user), and PRIV_USER = account.user when they differ;
 * a non-empty login.proxy as PROXY_USER after IP on records other than Connect (Percona's classic
 * plugin writes it on Quit; the Enterprise layout has none there, so an empty one is dropped); CONNECTION_TYPE `tcp/ip ssl socket named_pipe
 * shared_memory` -> `TCP/IP SSL/TLS Socket Named Pipe Shared Memory` (others as written);
 * STARTUP_OPTIONS = args joined by one space; VERSION is always 1 (the format version).
 *
 * Absent fields: an element is written only when the event has its source field, except the
 * ones the layout always has and that are derived: RECORD_ID, NAME, VERSION (1), STATUS_CODE
 * (with STATUS), COMMAND_CLASS `connect` on connection records, STATUS 0 on Quit (a JSON
 * disconnect has no status; the reader drops a 0 again) and on Table* records. So an `Init DB`
 * event without `query` gets no SQLTEXT element (not an empty one), and reading the XML back
 * gives the same event. A field present with an empty string is an empty element `<X/>`.
 *
 * Escaping (MySQL Enterprise, spec §1.1): `<` `>` `"` `&` -> `&lt;` `&gt;` `&quot;` `&amp;`;
 * NUL -> `?`; other characters not allowed in XML 1.0 (C0 controls other than TAB LF CR,
 * U+FFFE, U+FFFF) -> decimal `&#N;` (the form is UNCONFIRMED for Enterprise; Percona writes
 * decimal); TAB, LF and CR are written raw. The apostrophe is not escaped. Note that a
 * standard XML parser turns a raw CR into LF (and, in OLD attributes, TAB/LF/CR into spaces);
 * our reader keeps them.
 *
 * What cannot be written, and is counted in `droppedFields` by path:
 *   - top-level keys the layout has no place for: `time`, `query_statistics`, `query_attributes`,
 *     any other unknown key, and a second data object (a top-level `server_id`, as the Percona
 *     filter wrote it before 8.4.9, becomes SERVER_ID of Audit/NoAudit records);
 *   - `connection_id` of Audit/NoAudit records (always 0 in JSON), and `account.*`/`login.*` on
 *     them (8.0 startup events carry both);
 *   - `account.user`/`login.user` when the USER written would not read back to them: a name with
 *     `[` or `] @ ` in it, such as Percona filter's `root[root] @ localhost []` user values;
 *   - an empty `login.proxy` on every record but Connect/Change user (the Enterprise layout has no
 *     PROXY_USER there; a non-empty one is written);
 *   - `connection_data.connection_attributes` in OLD, on Quit, and when empty (`{}`; the block
 *     is written only when attributes exist);
 *   - `connection_data.status` 0 and `connection_data.db` "" on disconnect (a reader drops them),
 *     `table_access_data.status`;
 *   - `startup_data.args` when an argument is empty or holds a blank (STARTUP_OPTIONS is split on blanks);
 *   - `id` when it is not what a reader of the output computes (the per-second sequence);
 *   - `class` (or `event`) when the NAME written reads back as another class (or event),
 *     for example Percona's `command` class or `general`/`log`;
 *   - data-object members that cannot be written back as elements (objects and arrays in OLD,
 *     `message_data.map` in OLD, null, names that are not XML names, a name the record already
 *     has), and any
 *     value that is an object, array or null where the layout wants text.
 */
import type { AuditEvent, Entry, JsonValue } from '../entry.js';
import { canonicalEvent, classEventToName, connectionTypeToXml, nameToClassEvent, parseQueryUser, xmlTimestampToJson } from '../mapping.js';
import { BaseWriter, dataKeyOf, isLocalTime, isObject, utf8, type EncodedRun, type WriterOptions, type WriterState } from './common.js';

export const XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n';
export const XML_FOOTER = '</AUDIT>\n';

// Optional UTF-8 BOM (as latin1), optional XML declaration, whitespace, <AUDIT>, whitespace.
const XML_PROLOGUE_RE = /^(?:\xEF\xBB\xBF)?(?:<\?xml[ \t\r\n][^<>?]*\?>)?[ \t\r\n]*<AUDIT[ \t\r\n]*>[ \t\r\n]*$/;

/** Whether `bytes` is a valid XML audit header: [BOM] [<?xml ...?>] <AUDIT>, whitespace around. */
export function isXmlAuditHeader(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length > 4096) return false;
  return XML_PROLOGUE_RE.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

const ESC_TEST = /[<>"&\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ESC_ALL = /[<>"&\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function escChar(c: string): string {
  switch (c) {
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '"':
      return '&quot;';
    case '&':
      return '&amp;';
    case '\u0000':
      return '?';
    default:
      return `&#${c.charCodeAt(0)};`;
  }
}

/** MySQL Enterprise XML escaping of a value (element text and attribute values alike). */
export function xmlEscape(s: string): string {
  return ESC_TEST.test(s) ? s.replace(ESC_ALL, escChar) : s;
}

export { connectionTypeToXml };

/** map[key] when it is the map's own entry (never `constructor` and friends from the prototype). */
function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** `2019-10-03 14:09:38` -> `2019-10-03T14:09:38 UTC`; anything else as written. */
export function jsonTimestampToXml(ts: string): string {
  return isJsonTs(ts) ? `${ts.slice(0, 10)}T${ts.slice(11)} UTC` : ts;
}

/** `YYYY-MM-DD hh:mm:ss`, digits where digits go. */
function isJsonTs(ts: string): boolean {
  if (ts.length !== 19) return false;
  for (let i = 0; i < 19; i++) {
    const c = ts.charCodeAt(i);
    switch (i) {
      case 4:
      case 7:
        if (c !== 0x2d) return false;
        break;
      case 10:
        if (c !== 0x20) return false;
        break;
      case 13:
      case 16:
        if (c !== 0x3a) return false;
        break;
      default:
        if (c < 0x30 || c > 0x39) return false;
    }
  }
  return true;
}


function titleCase(s: string): string {
  return s
    .split(/[_\s]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** The NAME of an event that is not one of the MySQL Enterprise layouts: the taxonomy's, else a title-cased guess. */
function otherName(cls: string | undefined, ev: string | undefined): string {
  const n = classEventToName(cls, ev);
  if (n !== undefined) return n;
  if (cls === 'message') return 'Message';
  if (ev === undefined) return cls ? titleCase(cls) : 'Query';
  return titleCase(ev);
}

/** A data member name that can be written back as an element (the reader lower-cases element names). */
const ELEMENT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * A value as NEW XML element(s) named `name` at `indent` spaces: text, child elements for
 * an object (names upper-cased), one element per item for an array. Undefined when it
 * cannot be written so that a reader gets it back (null, nested arrays, bad names).
 */
function nested(name: string, v: JsonValue, indent: number): string | undefined {
  const pad = ' '.repeat(indent);
  if (typeof v === 'string') return v === '' ? `${pad}<${name}/>\n` : `${pad}<${name}>${xmlEscape(v)}</${name}>\n`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${pad}<${name}>${String(v)}</${name}>\n`;
  if (v === null) return undefined;
  if (Array.isArray(v)) {
    if (v.length < 2) return undefined; // one item reads back as the item itself
    let s = '';
    for (const item of v) {
      if (Array.isArray(item)) return undefined;
      const x = nested(name, item, indent);
      if (x === undefined) return undefined;
      s += x;
    }
    return s;
  }
  let s = '';
  for (const k in v) {
    const c = v[k];
    if (c === undefined) continue;
    if (!ELEMENT_NAME_RE.test(k) || k !== k.toLowerCase()) return undefined;
    const x = nested(k.toUpperCase(), c, indent + 1);
    if (x === undefined) return undefined;
    s += x;
  }
  if (s === '') return undefined; // an empty element reads back as ''
  return `${pad}<${name}>\n${s}${pad}</${name}>\n`;
}

/** Elements taken from data members, per layout: [element, member]. */
const TABLE_ELEMENTS = [['COMMAND_CLASS', 'sql_command'], ['DB', 'db'], ['TABLE', 'table'], ['SQLTEXT', 'query']] as const;
const GENERAL_ELEMENTS = [['COMMAND_CLASS', 'sql_command'], ['SQLTEXT', 'query'], ['DB', 'db']] as const;
const MESSAGE_ELEMENTS = [['COMPONENT', 'component'], ['PRODUCER', 'producer'], ['MESSAGE', 'message']] as const;
const VARIABLE_ELEMENTS = [['COMMAND_CLASS', 'sql_command'], ['VARIABLE_NAME', 'name'], ['VARIABLE_VALUE', 'value']] as const;

type Kind = 'startup' | 'shutdown' | 'connect' | 'quit' | 'table' | 'general' | 'other';

type Obj = { [key: string]: JsonValue | undefined };

const NO_KEYS: readonly string[] = [];
const IN_ACCOUNT: readonly string[] = ['user', 'host'];
const IN_LOGIN: readonly string[] = ['user', 'os', 'ip', 'proxy'];

export class XmlWriter extends BaseWriter {
  readonly format: 'new' | 'old';
  private readonly prologue: Uint8Array | undefined;
  private seq = 0;
  private openTs: string | undefined;
  /** Whether the last bytes written by record() ended a line. */
  private atLineStart = true;
  // The record being built: its text so far, and what of the event it consumed.
  private out = '';
  private dataKey: string | undefined = undefined;
  private data: Obj = {};
  private dataUsed: string[] = [];

  constructor(format: 'new' | 'old', opts: WriterOptions = {}) {
    super(opts.partOfOutput);
    this.format = format;
    if (opts.prologue && isXmlAuditHeader(opts.prologue)) this.prologue = Uint8Array.from(opts.prologue);
  }

  header(): Uint8Array {
    return this.prologue ?? utf8(XML_HEADER);
  }

  override state(): WriterState {
    return { ...super.state(), seq: this.seq, openTs: this.openTs, atLineStart: this.atLineStart };
  }

  override needsResume(entry: Entry): boolean {
    return !this.resumed && !(entry.raw !== undefined && entry.format === this.format);
  }

  override resume(before: WriterState): void {
    super.resume(before);
    if (this.seq === 0) this.atLineStart = before.atLineStart;
    if (before.seq > 0) this.openTs = before.openTs;
    this.seq += before.seq;
  }

  override absorb(run: EncodedRun): void {
    super.absorb(run);
    if (run.resumed) {
      this.seq = run.end.seq;
      this.openTs = run.end.openTs;
      this.atLineStart = run.end.atLineStart;
    } else if (run.records > 0) {
      this.seq += run.end.seq;
      this.openTs ??= run.end.openTs;
      this.atLineStart = run.end.atLineStart;
    }
  }

  footer(): Uint8Array {
    // After a passed-through record that did not end its line, the footer starts a new one.
    return utf8(this.atLineStart ? XML_FOOTER : '\n' + XML_FOOTER);
  }

  record(entry: Entry): string | Uint8Array {
    const e = entry.event;
    const t0: unknown = e.timestamp;
    const ts = typeof t0 === 'string' ? t0 : typeof t0 === 'number' ? String(t0) : undefined;
    const json = ts !== undefined && isJsonTs(ts);
    if (this.openTs === undefined) this.openTs = ts === undefined ? '' : json ? `${ts.slice(0, 10)}T${ts.slice(11)}` : ts;
    this.seq++;
    const pass = entry.raw !== undefined && entry.format === this.format;
    // The timestamp a reader of the output sees (pass-through records were read from theirs).
    const readId = this.nextReadId(ts === undefined || pass || json ? ts : xmlTimestampToJson(ts));
    if (pass) {
      this.commit(true);
      const raw = entry.raw!;
      if (raw.length) this.atLineStart = raw[raw.length - 1] === 0x0a;
      return raw;
    }
    if (e.id !== undefined && e.id !== readId) this.drop('id');
    if (t0 !== undefined && ts === undefined) this.drop('timestamp');
    this.out = this.atLineStart ? '' : '\n';
    this.atLineStart = true;
    this.out += this.format === 'new' ? ' <AUDIT_RECORD>\n' : '  <AUDIT_RECORD';
    this.build(e, ts, json, isLocalTime(entry));
    this.out += this.format === 'new' ? ' </AUDIT_RECORD>\n' : '/>\n';
    const text = this.out;
    this.out = '';
    this.data = {};
    this.dataUsed = [];
    this.commit(false);
    return text;
  }

  /** Append one field (element or attribute); undefined writes nothing. */
  private put(name: string, v: string | undefined): void {
    if (v === undefined) return;
    if (this.format === 'new') this.out += v === '' ? `  <${name}/>\n` : `  <${name}>${xmlEscape(v)}</${name}>\n`;
    else this.out += `\n    ${name}="${xmlEscape(v)}"`;
  }

  /** Append the elements of data members: [element, member] pairs, in order. */
  private putData(pairs: readonly (readonly [string, string])[]): void {
    for (const [el, member] of pairs) this.put(el, this.dv(member));
  }

  /** Append a field whose value needs no escaping (numbers, our own constants). */
  private putRaw(name: string, v: string): void {
    if (this.format === 'new') this.out += v === '' ? `  <${name}/>\n` : `  <${name}>${v}</${name}>\n`;
    else this.out += `\n    ${name}="${v}"`;
  }

  /** Text of a scalar value; objects, arrays and null cannot be text: dropped. */
  private text(v: JsonValue | undefined, path: string): string | undefined {
    switch (typeof v) {
      case 'string':
        return v;
      case 'number':
      case 'boolean':
        return String(v);
      case 'undefined':
        return undefined;
      default:
        this.drop(path);
        return undefined;
    }
  }

  /** A member of the data object, as text; marks it consumed. */
  private dv(k: string): string | undefined {
    this.dataUsed.push(k);
    const v = this.data[k];
    return v === undefined ? undefined : this.text(v, `${this.dataKey}.${k}`);
  }

  private build(e: AuditEvent, ts: string | undefined, jsonTs: boolean, local: boolean): void {
    const c0: unknown = e.class;
    const e0: unknown = e.event;
    const cls = typeof c0 === 'string' ? c0 : undefined;
    const ev = typeof e0 === 'string' ? e0 : undefined;
    if (c0 !== undefined && cls === undefined) this.drop('class');
    if (e0 !== undefined && ev === undefined) this.drop('event');

    // Which layout, and the data object it reads.
    let kind: Kind;
    let name: string;
    let dataKey: string | undefined;
    if (cls === 'audit' && (ev === 'startup' || ev === 'audit' || ev === undefined)) {
      kind = 'startup';
      name = classEventToName('audit', 'startup')!;
      dataKey = 'startup_data';
    } else if (cls === 'audit' && (ev === 'shutdown' || ev === 'noaudit')) {
      kind = 'shutdown';
      name = classEventToName('audit', 'shutdown')!;
      dataKey = 'shutdown_data';
    } else if (cls === 'connection' && (ev === 'connect' || ev === 'change_user')) {
      kind = 'connect';
      name = classEventToName(cls, ev)!;
      dataKey = 'connection_data';
    } else if (cls === 'connection' && ev === 'disconnect') {
      kind = 'quit';
      name = classEventToName(cls, ev)!;
      dataKey = 'connection_data';
    } else if (cls === 'table_access' && classEventToName(cls, ev) !== undefined) {
      kind = 'table';
      name = classEventToName(cls, ev)!;
      dataKey = 'table_access_data';
    } else if (cls === 'general' && isObject(e.general_data)) {
      kind = 'general';
      name = otherName(cls, ev);
      dataKey = 'general_data';
    } else {
      kind = 'other';
      name = otherName(cls, ev);
      dataKey = cls !== undefined && isObject(e[`${cls}_data`]) ? `${cls}_data` : dataKeyOf(e);
    }
    this.dataKey = dataKey;
    const rawData = dataKey === undefined ? undefined : e[dataKey];
    if (isObject(rawData)) this.data = rawData;
    else if (rawData !== undefined) this.drop(dataKey!);
    const data = this.data;
    // Enterprise general records are named after their command (`Query`, `Init DB`, ...).
    if (dataKey === 'general_data' && typeof data.command === 'string' && cls !== 'message') {
      name = data.command;
      this.dataUsed.push('command');
    }

    // A local time keeps no zone suffix: never written as UTC.
    if (jsonTs) this.putRaw('TIMESTAMP', `${ts!.slice(0, 10)}T${ts!.slice(11)}${local ? '' : ' UTC'}`);
    else this.put('TIMESTAMP', ts);
    this.put('RECORD_ID', `${this.seq}_${this.openTs}`);
    this.put('NAME', name);

    // Reading the NAME back must give the same class and event, else say so.
    if (kind === 'other' || kind === 'general' || ev === undefined || ev === 'audit' || ev === 'noaudit') {
      // The fields that tell a NAME's kinds apart, as this record will have them.
      const hint = {
        SERVER_ID: data.server_id !== undefined || e.server_id !== undefined ? '' : undefined,
        STORED_PROGRAM: cls === 'stored_program' && data.name !== undefined ? '' : undefined,
        COMMAND_CLASS: cls === 'message' ? ev : undefined,
      };
      const [rc, re] = nameToClassEvent(name, hint);
      if (cls !== undefined && rc !== cls) this.drop('class');
      else if (ev !== undefined && re !== canonicalEvent(cls, ev)) this.drop('event');
    }

    let topServerId = false;
    if (kind === 'startup' || kind === 'shutdown') {
      // Percona filter before 8.4.9 wrote server_id at the top level of its `audit` record.
      let sid = this.dv('server_id');
      if (sid === undefined && e.server_id !== undefined) {
        topServerId = true;
        sid = this.text(e.server_id, 'server_id');
      }
      this.put('SERVER_ID', sid);
      if (kind === 'startup') {
        this.putRaw('VERSION', '1');
        this.dataUsed.push('args');
        const args = data.args;
        if (Array.isArray(args) && args.every((a) => typeof a === 'string')) {
          const list = args as string[];
          if (list.some((a) => a === '' || /\s/.test(a))) this.drop(`${dataKey}.args`);
          this.put('STARTUP_OPTIONS', list.join(' '));
        } else if (args !== undefined) this.drop(`${dataKey}.args`);
        this.put('OS_VERSION', this.dv('os_version'));
        this.put('MYSQL_VERSION', this.dv('mysql_version'));
      }
      this.unmapped();
      // The layout has no connection id and no user.
      this.dropRest(e, false, topServerId, NO_KEYS, NO_KEYS);
      return;
    }

    // Every other layout: CONNECTION_ID STATUS STATUS_CODE USER OS_LOGIN HOST IP COMMAND_CLASS ...
    const cid = e.connection_id;
    if (typeof cid === 'number') this.putRaw('CONNECTION_ID', String(cid));
    else this.put('CONNECTION_ID', this.text(cid, 'connection_id'));

    let status = this.dv('status');
    if (kind === 'quit') {
      if (status === '0') this.drop('connection_data.status');
      status ??= '0';
    } else if (kind === 'table') {
      // A reader keeps a Table* record's STATUS only when it is not 0 (JSON has none).
      if (status === '0') this.drop('table_access_data.status');
      status ??= '0';
    }
    if (status !== undefined) {
      this.put('STATUS', status);
      this.putRaw('STATUS_CODE', status === '0' ? '0' : '1');
    }

    const account = isObject(e.account) ? e.account : undefined;
    const login = isObject(e.login) ? e.login : undefined;
    if (e.account !== undefined && !account) this.drop('account');
    if (e.login !== undefined && !login) this.drop('login');
    const aUser = account && this.text(account.user, 'account.user');
    const aHost = account && this.text(account.host, 'account.host');
    const lUser = login && this.text(login.user, 'login.user');
    const lOs = login && this.text(login.os, 'login.os');
    const lIp = login && this.text(login.ip, 'login.ip');
    const lProxy = login && this.text(login.proxy, 'login.proxy');

    if (kind === 'connect' || kind === 'quit') {
      // A plain user name. One that looks like `a[b] @ c [d]` would be read back as a query-style USER.
      const user = kind === 'connect' ? lUser : (lUser ?? aUser);
      this.put('USER', user);
      if (user !== undefined && user.includes('[') && parseQueryUser(user) !== null) {
        if (lUser !== undefined) this.drop('login.user');
        if (aUser !== undefined) this.drop('account.user');
      }
    } else if (cls === 'authentication' && lUser === undefined && lIp === undefined) {
      // The account the statement acts on, as a plain USER (Percona's layout); HOST follows.
      this.put('USER', aUser);
    } else if (aUser !== undefined || lUser !== undefined || aHost !== undefined || lIp !== undefined) {
      const user = `${aUser ?? ''}[${lUser ?? ''}] @ ${aHost ?? ''} [${lIp ?? ''}]`;
      this.put('USER', user);
      // `[` or `] @ ` inside a user name makes the parts unreadable.
      const q = parseQueryUser(user);
      if (aUser !== undefined && q?.priv !== aUser) this.drop('account.user');
      if (lUser !== undefined && q?.login !== lUser) this.drop('login.user');
    }
    this.put('OS_LOGIN', lOs);
    this.put('HOST', aHost);
    this.put('IP', lIp);
    // Not in the Enterprise layout outside Connect, but the XML can hold them (Percona's Quit has both).
    if (kind === 'quit' && aUser !== undefined && lUser !== undefined && aUser !== lUser) this.put('PRIV_USER', aUser);
    // The Enterprise layout has no empty PROXY_USER there: an empty one is dropped (counted).
    if (kind !== 'connect' && lProxy !== undefined) {
      if (lProxy === '') this.drop('login.proxy');
      else this.put('PROXY_USER', lProxy);
    }

    switch (kind) {
      case 'connect':
      case 'quit': {
        this.putRaw('COMMAND_CLASS', 'connect');
        const ct = this.dv('connection_type');
        this.put('CONNECTION_TYPE', ct === undefined ? undefined : connectionTypeToXml(ct));
        this.dataUsed.push('connection_attributes');
        const ca = data.connection_attributes;
        if (ca !== undefined) {
          if (kind === 'connect' && this.format === 'new' && isObject(ca) && Object.keys(ca).length > 0) this.attributes(ca);
          else this.drop('connection_data.connection_attributes');
        }
        if (kind === 'connect') {
          this.put('PRIV_USER', aUser);
          this.put('PROXY_USER', lProxy);
          this.put('DB', this.dv('db'));
        } else {
          const db = this.dv('db');
          if (db === '') this.drop('connection_data.db');
          else this.put('DB', db);
        }
        break;
      }
      case 'table':
        this.putData(TABLE_ELEMENTS);
        break;
      case 'general':
        this.putData(GENERAL_ELEMENTS);
        break;
      default:
        switch (cls) {
          case 'message':
            this.put('COMMAND_CLASS', ev);
            this.putData(MESSAGE_ELEMENTS);
            this.messageMap();
            break;
          case 'global_variable':
            this.putData(VARIABLE_ELEMENTS);
            break;
          case 'command':
            // command_data.name repeats the event (Percona's JSON writes both).
            if (typeof data.name === 'string' && canonicalEvent(cls, data.name) === canonicalEvent(cls, ev)) this.dataUsed.push('name');
            this.put('COMMAND_CLASS', this.dv('command'));
            break;
          case 'stored_program':
          case 'authentication':
          case 'parse':
            this.putRaw('COMMAND_CLASS', cls === 'stored_program' ? 'Stored Program' : cls === 'parse' ? 'Parse' : 'Authentication');
            if (data.command_class !== undefined) this.dataUsed.push('command_class'); // a reader keeps it only when it differs
            if (cls === 'stored_program') this.put('STORED_PROGRAM', this.dv('name')); else if (cls === 'parse') {
              this.put('FLAGS', this.dv('flags'));
              this.put('SQLTEXT', this.dv('query'));
              this.put('REWRITTEN_QUERY', this.dv('rewritten_query'));
            }
            break;
          default:
            if (dataKey === 'general_data') this.put('COMMAND_CLASS', this.dv('sql_command'));
            else this.put('COMMAND_CLASS', data.sql_command !== undefined ? this.dv('sql_command') : this.dv('command'));
        }
        if (!this.dataUsed.includes('query')) this.put('SQLTEXT', this.dv('query'));
        this.put('DB', this.dv('db'));
    }
    this.unmapped();
    this.dropRest(e, true, false, account ? IN_ACCOUNT : NO_KEYS, login ? IN_LOGIN : NO_KEYS);
  }

  /** A message's key-value map as MAP/ELEMENT/KEY,VALUE (NEW only). */
  private messageMap(): void {
    this.dataUsed.push('map');
    const m = this.data.map;
    if (m === undefined) return;
    if (this.format !== 'new' || !isObject(m)) {
      this.drop(`${this.dataKey}.map`);
      return;
    }
    let s = '  <MAP>\n';
    for (const k in m) {
      const v = this.text(m[k], `${this.dataKey}.map`);
      if (v === undefined) continue;
      s += `   <ELEMENT>\n    <KEY>${xmlEscape(k)}</KEY>\n${v === '' ? '    <VALUE/>\n' : `    <VALUE>${xmlEscape(v)}</VALUE>\n`}   </ELEMENT>\n`;
    }
    this.out += s + '  </MAP>\n';
  }

  /**
   * The data object's members that no element took, written back as elements (NEW:
   * objects nested, arrays as repeated elements; OLD: text values only) under their
   * upper-cased names, as a reader keeps unmapped XML fields. What cannot be written is
   * left for dropRest to count.
   */
  private unmapped(): void {
    const data = this.data;
    for (const k in data) {
      const v = data[k];
      if (v === undefined || this.dataUsed.includes(k) || !ELEMENT_NAME_RE.test(k)) continue;
      const el = k === k.toLowerCase() ? k.toUpperCase() : k;
      if (this.hasField(el)) continue;
      if (this.format === 'old') {
        if (typeof v === 'object' && v !== null) continue;
        this.put(el, this.text(v, `${this.dataKey}.${k}`));
      } else {
        const xml = nested(el, v, 2);
        if (xml === undefined) continue;
        this.out += xml;
      }
      this.dataUsed.push(k);
    }
  }

  /** Whether the record being built already has the field `name`. */
  private hasField(name: string): boolean {
    return this.format === 'new' ? this.out.includes(`\n  <${name}>`) || this.out.includes(`\n  <${name}/>`) : this.out.includes(`\n    ${name}="`);
  }

  /** The CONNECTION_ATTRIBUTES block (NEW only), at 2/3/4 spaces. */
  private attributes(ca: Obj): void {
    let s = '  <CONNECTION_ATTRIBUTES>\n';
    for (const k in ca) {
      const v = this.text(ca[k], 'connection_data.connection_attributes');
      if (v === undefined) continue;
      // An empty NAME stays a start/end pair: that is what readers of this block look for.
      s += `   <ATTRIBUTE>\n    <NAME>${xmlEscape(k)}</NAME>\n${v === '' ? '    <VALUE/>\n' : `    <VALUE>${xmlEscape(v)}</VALUE>\n`}   </ATTRIBUTE>\n`;
    }
    this.out += s + '  </CONNECTION_ATTRIBUTES>\n';
  }

  /** Count everything of `e` that no element took. */
  private dropRest(e: AuditEvent, withConnectionId: boolean, topServerId: boolean, accountKeys: readonly string[], loginKeys: readonly string[]): void {
    for (const k in e) {
      const v = e[k];
      if (v === undefined) continue;
      switch (k) {
        case 'timestamp':
        case 'id':
        case 'class':
        case 'event':
          continue;
        case 'time_zone':
          // `local` is said by the TIMESTAMP without zone.
          if (v !== 'local' && v !== 'UTC') this.drop(k);
          continue;
        case 'connection_id':
          if (!withConnectionId) this.drop(k);
          continue;
        case 'server_id':
          if (!topServerId) this.drop(k);
          continue;
        case 'account':
        case 'login':
          if (isObject(v)) {
            const keep = k === 'account' ? accountKeys : loginKeys;
            for (const m in v) if (v[m] !== undefined && !keep.includes(m)) this.drop(`${k}.${m}`);
          } else if (!withConnectionId) this.drop(k); // else already counted whole
          continue;
      }
      if (k !== this.dataKey) this.drop(k);
    }
    const data = this.data;
    for (const m in data) if (data[m] !== undefined && !this.dataUsed.includes(m)) this.drop(`${this.dataKey}.${m}`);
  }
}
