/**
 * Deterministic MySQL Enterprise JSON log with many connections open at once,
 * for the sessions benchmark: connects (with connection attributes), statements,
 * table access, Init DB and USE, failed logins and disconnects, interleaved over
 * a pool of `concurrent` open connections. Its own templates, in the one-line
 * 8.0.22 layout.
 *
 *   for (const chunk of generateSessionLog({ bytes: 200 << 20, seed: 7, concurrent: 20000 })) out.write(chunk);
 */
import { rng } from './generate.js';

export interface SessionLogOptions {
  /** Stop once about this many bytes were produced. */
  bytes: number;
  seed?: number;
  /** Connections kept open at once (about). Defaults to 20,000. */
  concurrent?: number;
}

const USERS = ['app', 'reporting', 'etl', 'root', 'backup'];
const PROGRAMS = ['mysql', 'nightly-load', 'MySQLWorkbench', 'mysqlsh', 'php-fpm'];
const DBS = ['shop', 'crm', 'etl', 'analytics'];

export function* generateSessionLog(opts: SessionLogOptions): Generator<string> {
  const r = rng(opts.seed ?? 1);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const concurrent = opts.concurrent ?? 20_000;
  const open: { id: number; user: string; ip: string }[] = [];
  let nextId = 1;
  let t = Date.UTC(2025, 4, 8, 0, 0, 0) / 1000;
  let last = '';
  let seq = 0;
  let bytes = 0;
  let first = true;
  let buf = '[\n';
  const emit = (body: string) => {
    const ts = new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
    seq = ts === last ? seq + 1 : 0;
    last = ts;
    const line = `${first ? '' : ',\n'}{ "timestamp": "${ts}", "id": ${seq}, ${body} }`;
    first = false;
    buf += line;
    bytes += line.length;
  };
  const who = (c: { user: string; ip: string }) =>
    `"account": { "user": "${c.user}", "host": "%" }, "login": { "user": "${c.user}", "os": "", "ip": "${c.ip}", "proxy": "" }`;
  emit(`"class": "audit", "event": "startup", "connection_id": 0, "startup_data": { "server_id": 1, "os_version": "x86_64-Linux", "mysql_version": "8.0.36-commercial", "args": ["/usr/sbin/mysqld"] }`);
  while (bytes < opts.bytes) {
    if (r() < 0.3) t += 1;
    const x = r();
    if (open.length < concurrent * 0.5 || (x < 0.05 && open.length < concurrent * 1.5)) {
      const c = { id: nextId++, user: pick(USERS), ip: `10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}` };
      const failed = r() < 0.03;
      emit(
        `"class": "connection", "event": "connect", "connection_id": ${c.id}, ${who(c)}, "connection_data": { "connection_type": "ssl", "status": ${failed ? 1045 : 0}, "db": "${pick(DBS)}", "connection_attributes": { "_pid": "${Math.floor(r() * 60000)}", "_platform": "x86_64", "_os": "Linux", "_client_name": "libmysql", "_client_version": "8.0.36", "program_name": "${pick(PROGRAMS)}" } }`,
      );
      if (!failed) open.push(c);
    } else if (x < 0.1 && open.length) {
      const i = Math.floor(r() * open.length);
      const c = open[i]!;
      open[i] = open[open.length - 1]!;
      open.pop();
      emit(`"class": "connection", "event": "disconnect", "connection_id": ${c.id}, ${who(c)}, "connection_data": { "connection_type": "ssl" }`);
    } else if (open.length) {
      const c = open[Math.floor(r() * open.length)]!;
      const y = r();
      if (y < 0.03) emit(`"class": "general", "event": "status", "connection_id": ${c.id}, ${who(c)}, "general_data": { "command": "Init DB", "sql_command": "error", "status": 0 }`);
      else if (y < 0.06) emit(`"class": "general", "event": "status", "connection_id": ${c.id}, ${who(c)}, "general_data": { "command": "Query", "sql_command": "change_db", "query": "use \`${pick(DBS)}\`", "status": 0 }`);
      else {
        const id = Math.floor(r() * 100000);
        if (y < 0.3) emit(`"class": "table_access", "event": "read", "connection_id": ${c.id}, ${who(c)}, "table_access_data": { "db": "${pick(DBS)}", "table": "orders", "query": "SELECT * FROM orders WHERE id = ${id}", "sql_command": "select" }`);
        emit(
          `"class": "general", "event": "status", "connection_id": ${c.id}, ${who(c)}, "general_data": { "command": "Query", "sql_command": "select", "query": "SELECT id, name, created_at FROM orders WHERE id = ${id} AND status = 'active'", "status": ${r() < 0.02 ? 1146 : 0} }`,
        );
      }
    }
    if (buf.length >= 1 << 20) {
      yield buf;
      buf = '';
    }
  }
  buf += '\n]\n';
  yield buf;
}
