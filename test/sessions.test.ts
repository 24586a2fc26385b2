/** Sessions: the tracker on made-up events, real fixtures, and `auditlog sessions` over rotated gzip and AES files. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, test } from 'vitest';
import type { AuditEvent, Entry } from '../src/entry.js';
import { parseAll } from '../src/reader.js';
import { createSessionTracker, SESSION_COLUMNS, type Session } from '../src/sessions.js';
import { readSessions } from '../src/sessions-read.js';
import { entriesOf, fixture, fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

let n = 0;
function entry(event: AuditEvent): Entry {
  return { event, format: 'json', at: { file: 'mem', offset: n, end: n + 1, index: n++ } };
}
const who = (user: string, ip = '10.0.0.1') => ({ account: { user, host: '%' }, login: { user, os: '', ip, proxy: '' } });
const connect = (ts: string, id: number, user: string, status = 0, db = '', attrs?: Record<string, string>) =>
  entry({ timestamp: ts, class: 'connection', event: 'connect', connection_id: id, ...who(user), connection_data: { connection_type: 'tcp/ip', status, db, ...(attrs ? { connection_attributes: attrs } : {}) } });
const quit = (ts: string, id: number, user: string) => entry({ timestamp: ts, class: 'connection', event: 'disconnect', connection_id: id, ...who(user), connection_data: { connection_type: 'tcp/ip' } });
const query = (ts: string, id: number, user: string, status = 0, q = 'SELECT 1', sql_command = 'select') =>
  entry({ timestamp: ts, class: 'general', event: 'status', connection_id: id, ...who(user), general_data: { command: 'Query', sql_command, query: q, status } });
const startup = (ts: string) => entry({ timestamp: ts, class: 'audit', event: 'startup', connection_id: 0, startup_data: { server_id: 1 } });

/** Push entries through a tracker; each session with the index of the entry that finished it (-1: at the end). */
function run(entries: Entry[], opts = {}): { s: Session; at: number }[] {
  const t = createSessionTracker(opts);
  const out: { s: Session; at: number }[] = [];
  entries.forEach((e, i) => {
    for (const s of t.push(e)) out.push({ s, at: i });
  });
  for (const s of t.end()) out.push({ s, at: -1 });
  return out;
}

describe('sessions: the tracker', () => {
  test('interleaved connections are kept apart, each written when its disconnect arrives', () => {
    const rows = run([
      connect('2025-05-08 08:00:00', 1, 'alice', 0, 'shop', { program_name: 'mysql', _pid: '11', _client_name: 'libmysql', _client_version: '8.0.36', _os: 'Linux' }),
      connect('2025-05-08 08:00:01', 2, 'bob'),
      query('2025-05-08 08:00:02', 1, 'alice'),
      query('2025-05-08 08:00:03', 2, 'bob', 1146),
      query('2025-05-08 08:00:04', 2, 'bob', 0, 'use `crm`', 'change_db'),
      query('2025-05-08 08:00:05', 1, 'alice'),
      quit('2025-05-08 08:00:06', 2, 'bob'),
      quit('2025-05-08 08:01:00', 1, 'alice'),
    ]);
    expect(rows.map((r) => [r.s.connection_id, r.at])).toEqual([
      [2, 6],
      [1, 7],
    ]);
    const [bob, alice] = rows.map((r) => r.s);
    expect(alice).toMatchObject({
      login_user: 'alice',
      account_user: 'alice',
      host: '%',
      ip: '10.0.0.1',
      connection_type: 'tcp/ip',
      program_name: 'mysql',
      client_pid: '11',
      client_name: 'libmysql',
      client_version: '8.0.36',
      os: 'Linux',
      connect_time: '2025-05-08 08:00:00',
      disconnect_time: '2025-05-08 08:01:00',
      duration_seconds: 60,
      databases: ['shop'],
      statements: 2,
      errors: 0,
      login_failed: false,
      open_at_start: false,
      open_at_end: false,
      ended_by: 'disconnect',
    });
    expect(bob).toMatchObject({ login_user: 'bob', statements: 2, errors: 1, databases: ['crm'], duration_seconds: 5 });
  });

  test('a restart closes every open session; an id reused after it is a different session', () => {
    const rows = run([
      connect('2025-05-08 08:00:00', 5, 'alice'),
      query('2025-05-08 08:00:01', 5, 'alice'),
      startup('2025-05-08 09:00:00'),
      connect('2025-05-08 09:00:05', 5, 'mallory'),
      query('2025-05-08 09:00:06', 5, 'mallory'),
      quit('2025-05-08 09:00:07', 5, 'mallory'),
    ]);
    expect(rows.map((r) => [r.s.login_user, r.s.ended_by, r.s.until, r.at])).toEqual([
      ['alice', 'restart', '2025-05-08 09:00:00', 2],
      ['mallory', 'disconnect', '2025-05-08 09:00:07', 5],
    ]);
    expect(rows[0]!.s.disconnect_time).toBeUndefined();
    expect(rows[0]!.s.open_at_end).toBe(false);
  });

  test('a failed login is its own row with the error code, never open at the end, and is not the next session of its id', () => {
    const rows = run([connect('2025-05-08 08:00:00', 7, 'eve', 1045), connect('2025-05-08 08:00:01', 8, 'eve', 1045), quit('2025-05-08 08:00:01', 8, 'eve'), connect('2025-05-08 08:00:02', 9, 'ok')]);
    const byId = new Map(rows.map((r) => [r.s.connection_id, r.s]));
    expect(byId.get(7)).toMatchObject({ login_failed: true, login_status: 1045, ended_by: 'failed_login', open_at_end: false, statements: 0 });
    // A disconnect logged for the failed attempt belongs to it.
    expect(byId.get(8)).toMatchObject({ login_failed: true, disconnect_time: '2025-05-08 08:00:01', ended_by: 'failed_login' });
    expect(byId.get(9)).toMatchObject({ login_failed: false, open_at_end: true });
    expect(rows).toHaveLength(3);
  });

  test('a session open at both ends: no connect before its first event, no disconnect after its last', () => {
    const rows = run([connect('2025-05-08 08:00:00', 1, 'a'), query('2025-05-08 08:00:10', 42, 'ghost'), quit('2025-05-08 08:00:20', 1, 'a'), query('2025-05-08 08:00:30', 42, 'ghost')]);
    const ghost = rows.find((r) => r.s.connection_id === 42)!;
    expect(ghost.at).toBe(-1);
    expect(ghost.s).toMatchObject({
      login_user: 'ghost',
      open_at_start: true,
      open_at_end: true,
      ended_by: 'end_of_input',
      first_seen: '2025-05-08 08:00:10',
      last_seen: '2025-05-08 08:00:30',
      from: '2025-05-08 08:00:00',
      until: '2025-05-08 08:00:30',
      statements: 2,
    });
    expect(ghost.s.connect_time).toBeUndefined();
    expect(ghost.s.duration_seconds).toBeUndefined();
  });

  test('a session whose disconnect is seen without its connect is open at the start only', () => {
    const [r] = run([quit('2025-05-08 08:00:20', 3, 'c')]);
    expect(r!.s).toMatchObject({ open_at_start: true, open_at_end: false, ended_by: 'disconnect', disconnect_time: '2025-05-08 08:00:20' });
  });

  test('a successful change user is listed; databases are the defaults and the table-access dbs, once each', () => {
    const t = createSessionTracker();
    const evs = [
      connect('2025-05-08 08:00:00', 1, 'a', 0, 'db1'),
      entry({ timestamp: '2025-05-08 08:00:01', class: 'connection', event: 'change_user', connection_id: 1, ...who('b'), connection_data: { status: 0, db: 'db2' } }),
      entry({ timestamp: '2025-05-08 08:00:02', class: 'connection', event: 'change_user', connection_id: 1, ...who('c'), connection_data: { status: 1044, db: 'db3' } }),
      entry({ timestamp: '2025-05-08 08:00:03', class: 'table_access', event: 'read', connection_id: 1, table_access_data: { db: 'db4', table: 't' } }),
      query('2025-05-08 08:00:04', 1, 'b'),
      quit('2025-05-08 08:00:05', 1, 'b'),
    ];
    const done = evs.flatMap((e) => t.push(e));
    expect(done[0]!.user_changes).toEqual([{ time: '2025-05-08 08:00:01', login_user: 'b', account_user: 'b', database: 'db2' }]);
    expect(done[0]!.databases).toEqual(['db1', 'db2', 'db4']);
  });

  test('open sessions are bounded: past maxOpen the oldest is written out as evicted, the cap reported once', () => {
    const told: number[] = [];
    const rows = run([connect('2025-05-08 08:00:00', 1, 'a'), connect('2025-05-08 08:00:01', 2, 'b'), connect('2025-05-08 08:00:02', 3, 'c'), connect('2025-05-08 08:00:03', 4, 'd')], {
      maxOpen: 2,
      onCapReached: (m: number) => told.push(m),
    });
    expect(rows.map((r) => [r.s.connection_id, r.s.ended_by, r.at])).toEqual([
      [1, 'evicted', 2],
      [2, 'evicted', 3],
      [3, 'end_of_input', -1],
      [4, 'end_of_input', -1],
    ]);
    expect(told).toEqual([2]);
  });
});

test('the session evicted is the oldest one still open, not one already ended, and the cap holds through a restart', () => {
  const rows = run(
    [
      connect('2025-05-08 08:00:00', 1, 'a'),
      connect('2025-05-08 08:00:01', 2, 'b'),
      quit('2025-05-08 08:00:02', 1, 'a'),
      connect('2025-05-08 08:00:03', 3, 'c'),
      connect('2025-05-08 08:00:04', 4, 'd'),
      startup('2025-05-08 09:00:00'),
      connect('2025-05-08 09:00:01', 2, 'e'),
      connect('2025-05-08 09:00:02', 5, 'f'),
      connect('2025-05-08 09:00:03', 6, 'g'),
    ],
    { maxOpen: 2 },
  );
  expect(rows.map((r) => [r.s.login_user, r.s.ended_by])).toEqual([
    ['a', 'disconnect'],
    ['b', 'evicted'],
    ['c', 'restart'],
    ['d', 'restart'],
    ['e', 'evicted'],
    ['f', 'end_of_input'],
    ['g', 'end_of_input'],
  ]);
});

describe('sessions: real logs', () => {
  test('MySQL 8.0.22 JSON: three sessions, with their client attributes, closed by their disconnects before the shutdown', () => {
    const rows = run(entriesOf(parseAll(fixture('public/elastic/beats-mysql_audit_test.log'))));
    expect(rows.map((r) => [r.s.connection_id, r.s.login_user, r.s.client_pid, r.s.statements, r.s.errors, r.s.ended_by])).toEqual([
      [13, 'root', '33038', 1, 0, 'disconnect'],
      [16, 'audit_test_user2', '394499', 9, 0, 'disconnect'],
      [15, 'root', '33197', 11, 8, 'disconnect'],
    ]);
  });

  test('Percona CSV: failed logins with their codes (1044, 1045), and the connection that was open before the log', () => {
    const rows = run(entriesOf(parseAll(fixture('percona/csv-mtr-default-db.csv')))).map((r) => r.s);
    expect(rows.filter((s) => s.login_failed).map((s) => [s.login_user, s.login_status])).toEqual([
      ['user2', 1044],
      ['user2', 1045],
      ['user3', 1045],
    ]);
    expect(rows[0]).toMatchObject({ login_user: 'root', open_at_start: true, ended_by: 'disconnect', statements: 1 });
    expect(rows.find((s) => s.user_changes)!.user_changes!.map((c) => c.login_user)).toEqual(['user1']);
  });

  test('Percona JSON (Charmed MySQL): failed connects with status 1156 across a log flush', () => {
    const rows = run(entriesOf(parseAll(fixture('percona/json-format-8.0-charmed-mysql.json')))).map((r) => r.s);
    expect(rows.filter((s) => s.login_failed).every((s) => s.login_status === 1156)).toBe(true);
    expect(rows.filter((s) => s.login_failed).length).toBeGreaterThan(0);
    expect(rows.find((s) => s.connection_id === 989)).toMatchObject({ login_user: 'serverconfig', ended_by: 'disconnect', login_failed: false });
  });
});

describe('auditlog sessions', () => {
  test('a session spanning two rotated files, one gzip (gzip), one encrypted (openssl), read as one stream', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-sessions-'));
    const lines = fixture('sessions/who-audit.json').toString('utf8').split('\n');
    // Rotated at 08:06:30: connects and the insert in the older file, the rest in the newer one.
    const older = join(dir, 'audit.20250508T080630.log');
    writeFileSync(older, lines.slice(0, 6).join('\n') + '\n');
    execFileSync('gzip', [older]);
    const newer = join(dir, 'audit.log');
    writeFileSync(newer, lines.slice(6).join('\n'));
    writeFileSync(join(dir, 'pw'), 'secret-pw\n');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:secret-pw', '-in', newer, '-out', `${newer}.enc`], { stdio: 'pipe' });
    unlinkSync(newer);
    const p = spawnSync(process.execPath, [CLI, 'sessions', '--to', 'ndjson', '--password-file', join(dir, 'pw'), `${older}.gz`, `${newer}.enc`], { encoding: 'utf8' });
    expect(p.stderr).toContain('3 sessions written');
    expect(p.status).toBe(0);
    const rows = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as Session);
    const s16 = rows.find((s) => s.connection_id === 16)!;
    expect(s16).toMatchObject({ connect_time: '2025-05-08 08:05:10', disconnect_time: '2025-05-08 08:09:00', statements: 2, databases: ['etl'], program_name: 'nightly-load', file: `${older}.gz` });
    expect(rows.find((s) => s.connection_id === 15)).toMatchObject({ statements: 1, disconnect_time: '2025-05-08 08:08:00', open_at_start: false, open_at_end: false });
    // The directory stands for its set, in the same order: the same rows (the password file there is ignored).
    const fromDir = spawnSync(process.execPath, [CLI, 'sessions', '--to', 'ndjson', '--password-file', join(dir, 'pw'), dir], { encoding: 'utf8' });
    expect(fromDir.status).toBe(0);
    expect(fromDir.stdout).toBe(p.stdout);
    // The newer file alone: the same connections, now open at the start.
    const alone = spawnSync(process.execPath, [CLI, 'sessions', '--to', 'ndjson', '--password-file', join(dir, 'pw'), `${newer}.enc`], { encoding: 'utf8' });
    expect(alone.stdout.trim().split('\n').map((l) => JSON.parse(l) as Session).filter((s) => s.open_at_start).map((s) => s.connection_id)).toEqual([15, 16]);
  });

  test('--to csv is RFC 4180 that csv-parse reads back, one column per field; --json is one JSON document', () => {
    const file = fixturePath('public/realworld/disa-stig-mysql-8.0.2x-json-lines.txt');
    const csv = spawnSync(process.execPath, [CLI, 'sessions', '--to', 'csv', file], { encoding: 'utf8' });
    const records = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual([...SESSION_COLUMNS]);
    const json = spawnSync(process.execPath, [CLI, 'sessions', file, '--json', '--user', 'fewconnects'], { encoding: 'utf8' });
    const doc = JSON.parse(json.stdout) as { sessions: Session[]; summary: { written: number; sessions: { sessions: number } } };
    expect(doc.sessions.map((s) => s.program_name)).toEqual(['mysqlsh', 'MySQLWorkbench']);
    expect(records.filter((r) => r.login_user === 'fewconnects').map((r) => r.program_name)).toEqual(['mysqlsh', 'MySQLWorkbench']);
    expect(doc.summary.written).toBe(2);
    expect(doc.summary.sessions.sessions).toBe(records.length);
  });

  test('the package entry point exports the trackers, the session index and the binlog annotation', async () => {
    const api = (await import(join(ROOT, 'dist', 'src', 'index.js'))) as typeof import('../src/index.js');
    for (const f of ['createDbTracker', 'trackDb', 'createSessionTracker', 'readSessions', 'createSessionIndex', 'annotateBinlog', 'attributeBinlog', 'whoAt', 'eventKind'] as const)
      expect(typeof api[f], f).toBe('function');
    const t = api.createSessionTracker();
    expect(t.push(connect('2025-05-08 08:00:00', 1, 'a'))).toEqual([]);
    expect(t.push(quit('2025-05-08 08:00:01', 1, 'a')).map((s) => s.ended_by)).toEqual(['disconnect']);
  });

  test('the library reads inputs as one stream and renders as the sessions end', async () => {
    const { sessions, result } = readSessions([fixturePath('sessions/who-audit.json')]);
    const ids: (number | string)[] = [];
    for await (const s of sessions) ids.push(s.connection_id);
    expect(ids).toEqual([15, 16, 17]);
    expect(result.sessions).toMatchObject({ sessions: 3, openAtEnd: 0, restarts: 1 });
  });
  test('sessions of local times (Percona audit_log_filter) say so in every output; with --source-tz their times are UTC', () => {
    for (const f of ['public/percona-audit-log-filter-docs/ps-8.4-alf-json.json', 'public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml']) {
      const file = fixturePath(f);
      const ndjson = spawnSync(process.execPath, [CLI, 'sessions', file, '--to', 'ndjson'], { encoding: 'utf8' });
      expect(ndjson.status).toBe(0);
      const rows = ndjson.stdout.trim().split('\n').map((l) => JSON.parse(l) as Session);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r.time_zone).toBe('local');
      const csv = parseCsv(spawnSync(process.execPath, [CLI, 'sessions', file, '--to', 'csv'], { encoding: 'utf8' }).stdout, { columns: true }) as Record<string, string>[];
      expect(csv.map((r) => r.time_zone)).toEqual(rows.map(() => 'local'));
      expect(spawnSync(process.execPath, [CLI, 'sessions', file], { encoding: 'utf8' }).stdout).toContain('local time');
      // 2023-03-29 is summer time in Berlin (+02:00): every time two hours earlier, and no mark.
      const utc = spawnSync(process.execPath, [CLI, 'sessions', file, '--to', 'ndjson', '--source-tz', 'Europe/Berlin'], { encoding: 'utf8' });
      const converted = utc.stdout.trim().split('\n').map((l) => JSON.parse(l) as Session);
      const earlier = (t: string | undefined) => (t === undefined ? undefined : new Date(Date.parse(`${t.replace(' ', 'T')}Z`) - 2 * 3600_000).toISOString().slice(0, 19).replace('T', ' '));
      expect(converted).toEqual(rows.map(({ time_zone: _, ...r }) => ({ ...r, from: earlier(r.from), first_seen: earlier(r.first_seen), last_seen: earlier(r.last_seen), until: earlier(r.until), connect_time: earlier(r.connect_time), disconnect_time: earlier(r.disconnect_time) })));
    }
    // A UTC log's sessions carry no mark.
    const mysql = spawnSync(process.execPath, [CLI, 'sessions', fixturePath('sessions/who-audit.json'), '--to', 'ndjson'], { encoding: 'utf8' });
    for (const l of mysql.stdout.trim().split('\n')) expect((JSON.parse(l) as Session).time_zone).toBeUndefined();
  });
});
