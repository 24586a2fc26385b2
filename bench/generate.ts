/**
 * Deterministic generator of audit logs for tests and benchmarks: MySQL
 * Enterprise NEW XML, OLD XML and JSON in the layout of the real fixtures,
 * from a seed, with optional hostile values (quotes, `<`, `&`, `]]>`, tabs,
 * newlines, CR, 4-byte UTF-8, entity look-alikes, `</AUDIT_RECORD>` inside a value).
 * It writes its own templates on purpose: it is an independent oracle for
 * the scanners, not a user of the project's writers.
 *
 *   for (const chunk of generateLog({ format: 'new', records: 1000, seed: 7 })) out.write(chunk);
 */

export interface GenOptions {
  format: 'new' | 'old' | 'json';
  /** Number of records. */
  records?: number;
  /** Stop once about this many bytes were produced (whichever comes first). */
  bytes?: number;
  seed?: number;
  hostile?: boolean;
  /** Leave off the footer (an open or crashed file). */
  unterminated?: boolean;
}

/** The logical content of one generated record, for assertions. */
export interface GenRecord {
  name: string;
  ts: string; // 2019-10-03 14:09:38
  connectionId: number;
  status: number;
  user: string;
  host: string;
  ip: string;
  commandClass: string;
  sql: string;
  db: string;
  table: string;
}

/** mulberry32: small, fast, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USERS = ['root', 'app', 'reporting', 'tester', 'backup'];
const HOSTS = ['localhost', 'db1.example.com', 'app-7'];
const TABLES = ['orders', 'customers', 'audit_test_table', 't1'];
const HOSTILE = [
  `it's "quoted"`,
  'a < b && c > d',
  'x ]]> y',
  'tab\there',
  'line1\nline2\n  line3',
  'cr\rin\r\nside',
  '4-byte 😀 𦉘 and é ü',
  '&amp; &lt; is text, not an entity',
  '</AUDIT_RECORD> inside a value',
  '<AUDIT_RECORD> too',
  '{"json": [1, 2]}, \\ backslash / slash',
];

export function* generateRecords(opts: { records?: number; seed?: number; hostile?: boolean }): Generator<GenRecord> {
  const r = rng(opts.seed ?? 1);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  let t = Date.UTC(2019, 9, 3, 14, 6, 33) / 1000;
  const n = opts.records ?? Infinity;
  for (let i = 0; i < n; i++) {
    if (r() < 0.4) t += Math.floor(r() * 3);
    const ts = new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const x = r();
    const name = i === 0 ? 'Audit' : x < 0.08 ? 'Connect' : x < 0.14 ? 'Quit' : x < 0.24 ? 'TableRead' : x < 0.27 ? 'Init DB' : 'Query';
    const table = pick(TABLES);
    let sql = `SELECT id, name, created_at FROM ${table} WHERE id = ${Math.floor(r() * 100000)} AND status = 'active'`;
    if (opts.hostile && r() < 0.5) sql = `${sql} /* ${pick(HOSTILE)} */ ${pick(HOSTILE)}`;
    yield {
      name,
      ts,
      connectionId: 1 + Math.floor(r() * 50),
      status: r() < 0.05 ? 1064 : 0,
      user: pick(USERS),
      host: pick(HOSTS),
      ip: `10.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
      commandClass: name === 'Init DB' ? '' : 'select',
      sql: name === 'Init DB' ? '' : sql,
      db: opts.hostile && r() < 0.2 ? pick(HOSTILE) : 'shop',
      table,
    };
  }
}

/** XML escaping as the Enterprise writer does it: `<>"&`, CR as a reference so that XML parsers keep it. */
export function xmlEscape(s: string): string {
  return s.replace(/[<>"&\r]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === '&' ? '&amp;' : '&#13;'));
}

function xmlTs(ts: string): string {
  return ts.replace(' ', 'T') + ' UTC';
}

function fieldsOf(g: GenRecord, seq: number, openTs: string): [string, string][] {
  const f: [string, string][] = [
    ['TIMESTAMP', xmlTs(g.ts)],
    ['RECORD_ID', `${seq}_${openTs.replace(' ', 'T')}`],
    ['NAME', g.name],
  ];
  if (g.name === 'Audit') {
    f.push(['SERVER_ID', '1'], ['VERSION', '1'], ['STARTUP_OPTIONS', '/usr/sbin/mysqld --port=3306 --audit-log=FORCE_PLUS_PERMANENT'], ['OS_VERSION', 'x86_64-Linux'], ['MYSQL_VERSION', '8.0.36-commercial']);
    return f;
  }
  f.push(['CONNECTION_ID', String(g.connectionId)], ['STATUS', String(g.status)], ['STATUS_CODE', g.status ? '1' : '0']);
  if (g.name === 'Connect' || g.name === 'Quit') {
    f.push(['USER', g.user], ['OS_LOGIN', ''], ['HOST', g.host], ['IP', g.ip], ['COMMAND_CLASS', 'connect'], ['CONNECTION_TYPE', 'SSL/TLS']);
    if (g.name === 'Connect') f.push(['PRIV_USER', g.user], ['PROXY_USER', ''], ['DB', g.db]);
    return f;
  }
  f.push(['USER', `${g.user}[${g.user}] @ ${g.host} [${g.ip}]`], ['OS_LOGIN', ''], ['HOST', g.host], ['IP', g.ip], ['COMMAND_CLASS', g.commandClass]);
  if (g.name === 'TableRead') f.push(['DB', g.db], ['TABLE', g.table]);
  f.push(['SQLTEXT', g.sql]);
  return f;
}

function jsonOf(g: GenRecord, id: number): string {
  const s = (v: string) => JSON.stringify(v).replace(/\//g, '\\/');
  const head = `{ "timestamp": "${g.ts}", "id": ${id}, `;
  if (g.name === 'Audit')
    return `${head}"class": "audit", "event": "startup", "connection_id": 0, "startup_data": { "server_id": 1, "os_version": "x86_64-Linux", "mysql_version": "8.0.36-commercial", "args": ["/usr/sbin/mysqld", "--port=3306" ] } }`;
  const who = `"connection_id": ${g.connectionId}, "account": { "user": ${s(g.user)}, "host": ${s(g.host)} }, "login": { "user": ${s(g.user)}, "os": "", "ip": "${g.ip}", "proxy": "" }, `;
  if (g.name === 'Connect')
    return `${head}"class": "connection", "event": "connect", ${who}"connection_data": { "connection_type": "ssl", "status": ${g.status}, "db": ${s(g.db)} } }`;
  if (g.name === 'Quit') return `${head}"class": "connection", "event": "disconnect", ${who}"connection_data": { "connection_type": "ssl" } }`;
  if (g.name === 'TableRead')
    return `${head}"class": "table_access", "event": "read", ${who}"table_access_data": { "db": ${s(g.db)}, "table": ${s(g.table)}, "query": ${s(g.sql)}, "sql_command": "select" } }`;
  const q = g.sql === '' ? '' : `, "query": ${s(g.sql)}`;
  return `${head}"class": "general", "event": "status", ${who}"general_data": { "command": ${s(g.name)}, "sql_command": ${s(g.commandClass)}${q}, "status": ${g.status} } }`;
}

/** Render one record in a format (with the file's layout around it). */
export function renderRecord(format: GenOptions['format'], g: GenRecord, seq: number, openTs: string, id: number): string {
  if (format === 'json') return jsonOf(g, id);
  const f = fieldsOf(g, seq, openTs);
  if (format === 'old') return `  <AUDIT_RECORD\n${f.map(([k, v]) => `    ${k}="${xmlEscape(v)}"`).join('\n')}/>\n`;
  return ` <AUDIT_RECORD>\n${f.map(([k, v]) => (v === '' ? `  <${k}/>` : `  <${k}>${xmlEscape(v)}</${k}>`)).join('\n')}\n </AUDIT_RECORD>\n`;
}

const XML_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n';

/** Generate a whole log as string chunks of about 64 KiB. */
export function* generateLog(opts: GenOptions): Generator<string> {
  const recs = generateRecords({ records: opts.records ?? (opts.bytes ? Infinity : 100), seed: opts.seed ?? 1, hostile: opts.hostile ?? false });
  let buf = opts.format === 'json' ? '[\n' : XML_HEADER;
  let total = 0;
  let seq = 0;
  let openTs = '';
  let lastTs = '';
  let id = 0;
  for (const g of recs) {
    if (seq === 0) openTs = g.ts;
    seq++;
    id = g.ts === lastTs ? id + 1 : 0;
    lastTs = g.ts;
    buf += opts.format === 'json' ? (seq > 1 ? ',\n' : '') + jsonOf(g, id) : renderRecord(opts.format, g, seq, openTs, id);
    if (buf.length >= 65536) {
      total += Buffer.byteLength(buf);
      yield buf;
      buf = '';
      if (opts.bytes !== undefined && total >= opts.bytes) break;
    }
  }
  if (!opts.unterminated) buf += opts.format === 'json' ? '\n]\n' : '</AUDIT>\n';
  if (buf) yield buf;
}

/** Generate a whole log into one string (small sizes only). */
export function generateLogString(opts: GenOptions): string {
  return [...generateLog(opts)].join('');
}
