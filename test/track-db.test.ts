/** Default-database tracking: every rule on made-up events, then Percona's own DB field as the check. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { AuditEvent, Entry } from '../src/entry.js';
import { parseAll } from '../src/reader.js';
import { dropDatabaseTarget, useTarget } from '../src/sql-names.js';
import { createDbTracker } from '../src/track-db.js';
import { entriesOf, fixture, fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

let n = 0;
function entry(event: AuditEvent): Entry {
  return { event, format: 'json', at: { file: 't', offset: n, end: n + 1, index: n++ }, raw: new Uint8Array([0x7b]) };
}
const connect = (id: number, db: string, status = 0) => entry({ class: 'connection', event: 'connect', connection_id: id, connection_data: { status, db } });
const changeUser = (id: number, db: string, status = 0) => entry({ class: 'connection', event: 'change_user', connection_id: id, connection_data: { status, db } });
const quit = (id: number) => entry({ class: 'connection', event: 'disconnect', connection_id: id, connection_data: {} });
const startup = () => entry({ class: 'audit', event: 'startup', connection_id: 0, startup_data: { server_id: 1 } });
const query = (id: number, q = 'SELECT 1', sql_command = 'select', status = 0) =>
  entry({ class: 'general', event: 'status', connection_id: id, general_data: { command: 'Query', sql_command, query: q, status } });
const initDb = (id: number, status = 0, name?: string) =>
  entry({ class: 'general', event: 'status', connection_id: id, general_data: { command: 'Init DB', sql_command: 'error', ...(name !== undefined ? { query: name } : {}), status } });
const table = (id: number) => entry({ class: 'table_access', event: 'read', connection_id: id, table_access_data: { table: 't', query: 'SELECT * FROM t', sql_command: 'select' } });

/** Run the entries through one tracker; the db each general/table event ends up with. */
function track(entries: Entry[]): (string | undefined)[] {
  const t = createDbTracker();
  const out: (string | undefined)[] = [];
  for (const e of entries) {
    t.apply(e);
    const d = e.event.general_data ?? e.event.table_access_data;
    if (d) out.push(d.db);
  }
  return out;
}

describe('track-db: the rules', () => {
  test('the connect db is every later event\'s db; "" (no default db) is written as ""', () => {
    expect(track([connect(1, 'shop'), query(1), table(1), connect(2, ''), query(2)])).toEqual(['shop', 'shop', '']);
  });

  test('a successful change user sets the db; a failed one changes nothing', () => {
    expect(track([connect(1, 'a'), changeUser(1, 'b'), query(1), changeUser(1, 'c', 1044), query(1)])).toEqual(['b', 'b']);
  });

  test('Init DB: with the name and status 0 it sets the db; failed, nothing changes; without the name the db becomes unknown', () => {
    expect(track([connect(1, 'a'), initDb(1, 0, 'b'), query(1), initDb(1, 1049, 'nosuch'), query(1)])).toEqual(['b', 'b', 'b', 'b']);
    // MySQL Enterprise and Percona 8.0 write Init DB without the name: after it, the db is not known.
    expect(track([connect(1, 'a'), query(1), initDb(1, 0), query(1)])).toEqual(['a', undefined, undefined]);
  });

  test('USE in any case and quoting sets the db, on its own record too', () => {
    const uses = ['use db1', 'USE db1;', 'uSe `db1`', "  use\t`db1` ; ", '/* c */ USE /* d */ db1', 'use "db1"', 'USE db1 -- trailing comment'];
    for (const u of uses) expect(track([connect(1, 'a'), query(1, u, 'change_db'), query(1)]), u).toEqual(['db1', 'db1']);
    expect(track([connect(1, 'a'), query(1, 'use `my``db`', 'change_db'), query(1, 'use ąžąžąžą', 'change_db'), query(1, 'use 𦉘𦟌𦧲', 'change_db')])).toEqual([
      'my`db',
      'ąžąžąžą',
      '𦉘𦟌𦧲',
    ]);
  });

  test('a failed USE changes nothing; one whose text cannot be read makes the db unknown (no guess)', () => {
    expect(track([connect(1, 'a'), query(1, 'use `db1`', 'change_db', 1044), query(1)])).toEqual(['a', 'a']);
    expect(track([connect(1, 'a'), query(1, '/*!50000 use db1 */', 'change_db'), query(1)])).toEqual([undefined, undefined]);
  });

  test('DROP DATABASE of the default database unsets it, as the server does; of another one changes nothing', () => {
    expect(track([connect(1, 'a'), query(1, 'DROP DATABASE other', 'drop_db'), query(1), query(1, 'drop schema if exists `a`', 'drop_db'), query(1)])).toEqual(['a', 'a', '', '']);
    expect(track([connect(1, 'a'), query(1, 'DROP DATABASE a', 'drop_db', 1008), query(1)])).toEqual(['a', 'a']);
  });

  test('a restart (startup record) forgets every connection; a disconnect forgets its own', () => {
    expect(track([connect(1, 'a'), connect(2, 'b'), startup(), query(1), query(2)])).toEqual([undefined, undefined]);
    expect(track([connect(1, 'a'), quit(1), query(1)])).toEqual([undefined]);
  });

  test('a connection live before the log has no db, until a USE names one', () => {
    expect(track([query(7), query(7, 'use x', 'change_db'), query(7)])).toEqual([undefined, 'x', 'x']);
  });

  test('connections are followed apart, across interleaved events', () => {
    expect(track([connect(1, 'a'), connect(2, 'b'), query(1), query(2), query(2, 'use c', 'change_db'), query(1), query(2)])).toEqual(['a', 'b', 'c', 'a', 'c']);
  });

  test('a failed login is no connection: its id gets no db', () => {
    expect(track([connect(3, 'a', 1045), query(3)])).toEqual([undefined]);
  });

  test('an event that carries a db keeps it; a filled event loses its original bytes, an untouched one keeps them', () => {
    const t = createDbTracker();
    const c = connect(1, 'a');
    const own = entry({ class: 'general', event: 'status', connection_id: 1, general_data: { command: 'Query', query: 'x', status: 0, db: 'mine' } });
    const filled = query(1);
    for (const e of [c, own, filled]) t.apply(e);
    expect(own.event.general_data!.db).toBe('mine');
    expect(own.raw).toBeDefined();
    expect(filled.event.general_data!.db).toBe('a');
    expect(filled.raw).toBeUndefined();
    expect(t.summary()).toEqual({ filled: 1, unknown: 0, evicted: 0 });
  });

  test('past maxConnections the oldest connection is forgotten and counted', () => {
    const t = createDbTracker({ maxConnections: 2 });
    for (const e of [connect(1, 'a'), connect(2, 'b'), connect(3, 'c')]) t.apply(e);
    expect([t.current(1), t.current(2), t.current(3)]).toEqual([undefined, 'b', 'c']);
    expect(t.summary().evicted).toBe(1);
  });
});

describe('sql-names', () => {
  test('USE and DROP DATABASE targets; anything else is undefined', () => {
    expect(useTarget('USE `a b`')).toBe('a b');
    expect(useTarget('use a b')).toBeUndefined();
    expect(useTarget('user a')).toBeUndefined();
    expect(useTarget('use `unclosed')).toBeUndefined();
    expect(useTarget('SELECT 1')).toBeUndefined();
    expect(dropDatabaseTarget('DROP DATABASE IF EXISTS `x`;')).toBe('x');
    expect(dropDatabaseTarget('DROP TABLE x')).toBeUndefined();
  });
});

/** A Percona file's entries, with the DB of general records taken out (as MySQL Enterprise writes them). */
function withoutDb(rel: string): { entries: Entry[]; percona: (string | undefined)[] } {
  const entries = entriesOf(parseAll(fixture(rel)));
  const percona: (string | undefined)[] = [];
  for (const e of entries) {
    const g = e.event.general_data;
    percona.push(g?.db);
    if (g) delete g.db;
  }
  return { entries, percona };
}

/**
 * Track over a Percona file without its DB fields and compare with what Percona's plugin
 * wrote: every record must agree except those listed, each for a stated reason.
 */
function differences(rel: string): Record<number, [percona: string | undefined, ours: string | undefined]> {
  const { entries, percona } = withoutDb(rel);
  const t = createDbTracker();
  const diff: Record<number, [string | undefined, string | undefined]> = {};
  entries.forEach((e, i) => {
    t.apply(e);
    const g = e.event.general_data;
    if (g && g.db !== percona[i]) diff[i] = [percona[i], g.db];
  });
  return diff;
}

describe('track-db: checked against the DB that Percona\'s plugin wrote', () => {
  test('csv-mtr-default-db: the same db everywhere but for the root connection live before the log and after an Init DB without its name', () => {
    expect(differences('percona/csv-mtr-default-db.csv')).toEqual({
      // INSTALL PLUGIN by root, whose connection was open before logging began: Percona writes "", we know nothing.
      0: ['', undefined],
      // `use db1` in the mysql client sends Init DB; the record holds no name. Percona kept "test", which the
      // connection's Quit (record 30, DB db1) shows was stale.
      28: ['test', undefined],
      29: ['test', undefined],
    });
    const quit = entriesOf(parseAll(fixture('percona/csv-mtr-default-db.csv')))[30]!;
    expect(quit.event.connection_data?.db).toBe('db1');
  });

  test('csv-mtr-charset: a 4-byte name is kept as written, where Percona wrote ???; DROP DATABASE of the current db unsets it', () => {
    const d = differences('percona/csv-mtr-charset.csv');
    // Records 0..7 are root's, live before the log, until its `use`.
    for (let i = 0; i <= 7; i++) expect(d[i]).toEqual(['test', undefined]);
    expect(d[17]).toEqual(['???', '𦉘𦟌𦧲']);
    expect(d[18]).toEqual(['???', '𦉘𦟌𦧲']);
    // DROP DATABASE ฐานข้อมูล while it is the default database: the server unsets it; Percona's plugin does not follow.
    expect(d[25]).toEqual(['ฐานข้อมูล', '']);
    expect(d[26]).toEqual(['ฐานข้อมูล', '']);
    expect(Object.keys(d).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 17, 18, 25, 26]);
  });

  test('csv-mtr-filter-commands and -users: the same db on every record of a connection seen from its connect or a USE', () => {
    const c = differences('percona/csv-mtr-filter-commands.csv');
    // Records 0..4 are root's before its first USE; 51 and 52 belong to another connection (db1) that the
    // masked `<CONN_ID>` of the MTR output cannot tell apart from root's (the Ping after them is root's, test again).
    expect(Object.keys(c).map(Number)).toEqual([0, 1, 2, 3, 4, 51, 52]);
    for (const i of [0, 1, 2, 3, 4]) expect(c[i]).toEqual(['test', undefined]);
    const u = differences('percona/csv-mtr-filter-users.csv');
    // Only root's SET GLOBAL statements differ: its connection predates the log; every other connection's records agree.
    for (const [i, [p, ours]] of Object.entries(u)) {
      expect(ours, `record ${i}`).toBeUndefined();
      expect(p).toBe('test');
      expect(entriesOf(parseAll(fixture('percona/csv-mtr-filter-users.csv')))[Number(i)]!.event.login?.user).toBe('root');
    }
    expect(Object.keys(u).length).toBe(14);
  });

  test('files that carry DB are left exactly as they are', () => {
    for (const rel of ['percona/csv-mtr-default-db.csv', 'percona/csv-mtr-charset.csv', 'percona/old-format-5.7-2021.xml', 'percona/json-format-5.7-2021.json']) {
      const before = entriesOf(parseAll(fixture(rel)));
      const after = entriesOf(parseAll(fixture(rel)));
      const t = createDbTracker();
      for (const e of after) t.apply(e);
      expect(after.map((e) => e.event), rel).toEqual(before.map((e) => e.event));
      expect(t.summary().filled, rel).toBe(0);
    }
  });
});

describe('track-db: the commands', () => {
  test('convert --track-db writes general_data.db into a MySQL Enterprise log; same-format output is no longer byte for byte there', () => {
    const file = fixturePath('sessions/who-audit.json');
    const p = spawnSync(process.execPath, [CLI, 'convert', '--track-db', '--to', 'ndjson', file], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    const events = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(events.filter((e) => e.class === 'general').map((e) => [e.connection_id, e.general_data?.db])).toEqual([
      [15, 'shop'],
      [16, 'etl'],
      [16, 'etl'],
    ]);
    // Table access keeps its own db; without the flag nothing is added.
    const plain = spawnSync(process.execPath, [CLI, 'convert', '--to', 'json', file], { encoding: 'utf8' });
    expect(plain.stdout).toBe(fixture('sessions/who-audit.json').toString('utf8'));
    const tracked = spawnSync(process.execPath, [CLI, 'convert', '--track-db', '--to', 'json', file], { encoding: 'utf8' });
    expect((JSON.parse(tracked.stdout) as AuditEvent[]).filter((e) => e.general_data?.db !== undefined)).toHaveLength(3);
  });

  test('convert --track-db follows connections across inputs in order', () => {
    const lines = fixture('sessions/who-audit.json').toString('utf8').split('\n');
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-trackdb-'));
    // The first file ends after the connects (a slice of the array, as a rotated file is), the second holds the statements.
    writeFileSync(join(dir, 'a.json'), lines.slice(0, 4).join('\n') + '\n');
    writeFileSync(join(dir, 'b.json'), lines.slice(4).join('\n'));
    const p = spawnSync(process.execPath, [CLI, 'convert', '--track-db', '--to', 'ndjson', join(dir, 'a.json'), join(dir, 'b.json')], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    const dbs = p.stdout.trim().split('\n').map((l) => (JSON.parse(l) as AuditEvent).general_data?.db).filter((d) => d !== undefined);
    expect(dbs).toEqual(['shop', 'etl', 'etl']);
    const alone = spawnSync(process.execPath, [CLI, 'convert', '--track-db', '--to', 'ndjson', join(dir, 'b.json')], { encoding: 'utf8' });
    // Read alone, the second file has no connects: 15's insert gets no db, 16 names its db with USE.
    const alone_ = alone.stdout.trim().split('\n').map((l) => JSON.parse(l) as AuditEvent).filter((e) => e.class === 'general');
    expect(alone_.map((e) => [e.connection_id, e.general_data?.db])).toEqual([
      [15, undefined],
      [16, 'etl'],
      [16, 'etl'],
    ]);
  });

  test('info --track-db counts events by db', () => {
    const a = fixturePath('public/elastic/beats-mysql_audit_test.log');
    const p = spawnSync(process.execPath, [CLI, 'info', '--track-db', '--json', a], { encoding: 'utf8' });
    const r = JSON.parse(p.stdout) as { databases: Record<string, number> };
    // Connection 16 connects with db "" and sends an Init DB without its name: from then on its db is unknown.
    expect(r.databases).toEqual({ '': 15, '(unknown)': 6, audit_test: 2 });
    const none = JSON.parse(spawnSync(process.execPath, [CLI, 'info', '--json', a], { encoding: 'utf8' }).stdout) as { databases?: unknown };
    expect(none.databases).toBeUndefined();
  });
});
