/**
 * PerconaCsvScanner: Percona classic plugin CSV over the corpus (MTR results
 * with placeholders, docs samples, multi-line records) and over synthetic
 * damage (torn, truncated, bad quoting, wrong layouts, junk), at every chunk
 * size 1..16 and at random split points.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Entry } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { PerconaCsvScanner } from '../src/scanners/percona-csv.js';
import type { ScanItem } from '../src/scanners/scanner.js';
import { chunks, entriesOf, feed, fixturePath, norm, outside, problemsOf, splitAt } from './helpers.js';

/** Every corpus file read here (in fixtures/, with their provenance). */
const CORPUS = {
  csv56: fixturePath('percona/csv-format-5.6-2014.csv'),
  csv57: fixturePath('percona/csv-format-5.7-2021.csv'),
  charset: fixturePath('percona/csv-mtr-charset.csv'),
  defaultDb: fixturePath('percona/csv-mtr-default-db.csv'),
  filterCommands: fixturePath('percona/csv-mtr-filter-commands.csv'),
  filterUsers: fixturePath('percona/csv-mtr-filter-users.csv'),
  pluginDocs: fixturePath('public/percona-audit-log-plugin-docs/ps-8.0-plugin-csv-record.csv'),
  mtrDefaultDb: fixturePath('public/percona-plugin-mtr/audit_log_default_db.csv'),
} as const;

type CorpusName = keyof typeof CORPUS;

function corpus(name: CorpusName): Buffer {
  return readFileSync(CORPUS[name]);
}

// ---------------------------------------------------------------- helpers

function scanParts(parts: Uint8Array[]): { items: ScanItem[]; scanner: PerconaCsvScanner } {
  const scanner = new PerconaCsvScanner({ file: 't.csv' });
  return { items: feed(scanner, parts), scanner };
}

function scan(bytes: Uint8Array | string) {
  return scanParts([typeof bytes === 'string' ? Buffer.from(bytes) : bytes]);
}



/** Same items whatever the chunking: sizes 1..16 and random split points. */
function expectChunkInvariant(input: Buffer): void {
  const want = norm(scan(input).items);
  for (let size = 1; size <= 16; size++) {
    const r = scanParts(chunks(input, size));
    expect(norm(r.items), `chunk size ${size}`).toEqual(want);
    expect(r.scanner.bytesRead).toBe(input.length);
  }
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, input.length - 1) }), { maxLength: 12 }), (cuts) => {
      expect(norm(scanParts(splitAt(input, cuts)).items)).toEqual(want);
    }),
    { seed: 20260322, numRuns: 40 },
  );
}

function lineOffset(text: Buffer, n: number): number {
  let p = 0;
  for (let i = 0; i < n; i++) p = text.indexOf(0x0a, p) + 1;
  return p;
}

const AUDIT =
  '"Audit","1_2021-06-30T11:56:53","2021-06-30T11:56:53 UTC","5.7.34-37","--basedir=/usr --datadir=/var/lib/mysql","x86_64-debian-linux-gnu"\n';
const CONNECT = '"Connect","2_2021-06-30T11:56:53","2021-06-30T11:57:14 UTC","8",0,"root","root","","","localhost","127.0.0.1","test"\n';
const QUERY = '"Query","3_2021-06-30T11:56:53","2021-06-30T11:57:14 UTC","select","8",0,"SELECT 1","root[root] @ localhost [127.0.0.1]","localhost","","127.0.0.1","test"\n';

// ---------------------------------------------------------------- corpus

describe('corpus', () => {
  // Counts from corpus/EXPECTED.tsv.
  const cases: [CorpusName, number][] = [
    ['csv56', 1],
    ['csv57', 1],
    ['charset', 30],
    ['defaultDb', 31],
    ['filterCommands', 54],
    ['filterUsers', 48],
    ['pluginDocs', 1],
    ['mtrDefaultDb', 31],
  ];
  for (const [name, count] of cases) {
    test(`${name}: ${count} records, no problems, records cover every byte`, () => {
      const input = corpus(name);
      const { items, scanner } = scan(input);
      expect(problemsOf(items).map((e) => e.message)).toEqual([]);
      expect(entriesOf(items)).toHaveLength(count);
      expect(scanner.format).toBe('percona-csv');
      expect(scanner.complete).toBeNull();
      for (const [i, e] of entriesOf(items).entries()) {
        expect(e.format).toBe('percona-csv');
        expect(e.at.index).toBe(i);
      }
      expect(outside(input, items)).toEqual([]);
      expect(Buffer.concat(entriesOf(items).map((e) => e.raw!)).equals(input)).toBe(true);
    });

    test(`${name}: same items at every chunk size and random splits`, () => {
      expectChunkInvariant(corpus(name));
    });
  }
});

describe('fields', () => {
  test('5.6 docs: 11-column general record, no DB', () => {
    const e = entriesOf(scan(corpus('csv56')).items)[0]!;
    expect(e.event).toEqual({
      timestamp: '2014-08-27 10:47:23',
      id: 0,
      class: 'general',
      event: 'status',
      connection_id: 37,
      account: { user: 'root', host: 'localhost' },
      login: { user: 'root', os: '', ip: '' },
      general_data: { command: 'Query', sql_command: 'show_databases', query: 'show databases', status: 0 },
    });
  });

  test('5.7 docs: 12-column general record with an empty DB', () => {
    const e = entriesOf(scan(corpus('csv57')).items)[0]!;
    expect(e.event.general_data).toEqual({ command: 'Query', sql_command: 'select', query: 'select count(*) from one', status: 0, db: '' });
    expect(e.event.timestamp).toBe('2021-06-30 16:19:00');
  });

  test('filter-commands: a record spanning four lines (raw LF inside quotes)', () => {
    const input = corpus('filterCommands');
    const es = entriesOf(scan(input).items);
    const e = es[8]!;
    expect(e.at.offset).toBe(lineOffset(input, 8));
    expect(e.at.end).toBe(lineOffset(input, 12));
    expect(e.event.general_data).toEqual({
      command: 'Query',
      sql_command: 'create_procedure',
      query: 'CREATE PROCEDURE p1()\nBEGIN\nINSERT INTO t1 (a, b) VALUES (1, 1);\nEND',
      status: 0,
      db: 'db1',
    });
    expect(es[9]!.at.offset).toBe(lineOffset(input, 12));
    expect(es[9]!.event.general_data?.sql_command).toBe('create_trigger');
    // Placeholders are kept as written.
    expect(e.event.connection_id).toBe('<CONN_ID>');
    expect(e.event.timestamp).toBe('<DATETIME>');
    expect(es[3]!.event.general_data).toEqual({ command: 'Ping', sql_command: 'error', query: '', status: 0, db: 'test' });
  });

  test('default-db: connection records (unquoted column 5), Change user 1044, raw TAB in SQL', () => {
    const es = entriesOf(scan(corpus('defaultDb')).items);
    expect(es[1]!.event).toMatchObject({ class: 'connection', event: 'disconnect', connection_id: '<CONN_ID>' });
    expect(es[2]!.event).toMatchObject({
      class: 'connection',
      event: 'connect',
      account: { user: 'user1', host: 'localhost' },
      login: { user: 'user1', os: '', ip: '', proxy: '' },
      connection_data: { status: 0, db: 'db2' },
    });
    expect(es[4]!.event.general_data?.query).toBe('use \t`db1`');
    expect(es[5]!.event).toMatchObject({ class: 'connection', event: 'change_user', connection_data: { status: 1044, db: '' } });
    // A failed login: USER is the login name, PRIV_USER (the account) is empty.
    expect(es[9]!.event).toMatchObject({ account: { user: '' }, login: { user: 'user3' }, connection_data: { status: 1045 } });
    expect(es[22]!.event.general_data?.db).toBe('ąžąžąžą');
    expect(es[28]!.event.general_data).toEqual({ command: 'Init DB', sql_command: 'error', query: '', status: 0, db: 'test' });
  });

  test('filter-users: commas inside quoted fields', () => {
    const es = entriesOf(scan(corpus('filterUsers')).items);
    expect(es[26]!.event).toMatchObject({ account: { user: 'us,er1', host: 'localhost' }, login: { user: 'us,er1' } });
    expect(es[27]!.event.general_data?.query).toBe("SELECT 'us,er1'");
    expect(es[6]!.event).toMatchObject({ event: 'connect', login: { user: 'admin', ip: '127.0.0.1' } });
  });

  test('charset: Thai and 4-byte UTF-8, a 1064 error', () => {
    const es = entriesOf(scan(corpus('charset')).items);
    expect(es[6]!.event.general_data?.query).toBe("SELECT 'ฐานข้อมูล'");
    expect(es[12]!.event.general_data?.query).toBe("INSERT IGNORE INTO t VALUES ('𦉘𦟌𦧲')");
    expect(es[17]!.event.general_data?.db).toBe('???');
    expect(es[29]!.event.general_data).toMatchObject({ sql_command: 'error', status: 1064 });
  });

  test('Audit / NoAudit: 6 columns', () => {
    const input = AUDIT + '"NoAudit","9_2021-06-30T11:56:53","2021-06-30T12:00:00 UTC","5.7.34-37","","x86_64-debian-linux-gnu"\n';
    const es = entriesOf(scan(input).items);
    expect(es[0]!.event).toEqual({
      timestamp: '2021-06-30 11:56:53',
      id: 0,
      class: 'audit',
      event: 'startup',
      startup_data: { os_version: 'x86_64-debian-linux-gnu', mysql_version: '5.7.34-37', args: ['--basedir=/usr', '--datadir=/var/lib/mysql'] },
    });
    expect(es[1]!.event).toMatchObject({ class: 'audit', event: 'shutdown' });
  });

  test('"" is a quote; CR, TAB and 0x01 inside quotes are data; CR LF line ends', () => {
    const input = Buffer.from(
      '"Query","1_x","2021-06-30T11:57:14 UTC","select","8",0,"SELECT ""a"",\r\n\t\x01 \\n","u[u] @ h [1.2.3.4]","h","","1.2.3.4","d"\r\n' + QUERY,
    );
    const { items } = scan(input);
    expect(problemsOf(items)).toEqual([]);
    expect(entriesOf(items)[0]!.event.general_data?.query).toBe('SELECT "a",\r\n\t\x01 \\n');
    expect(entriesOf(items)[0]!.event.login).toEqual({ user: 'u', os: '', ip: '1.2.3.4' });
    expect(entriesOf(items)[1]!.at.offset).toBe(entriesOf(items)[0]!.at.end);
    expect(outside(input, items)).toEqual([]);
    expectChunkInvariant(input);
  });
});

// ---------------------------------------------------------------- damage

describe('torn and malformed records', () => {
  test('a line cut inside a quoted field, then the next record: one MALFORMED_RECORD, the rest read', () => {
    const src = corpus('defaultDb');
    const l3 = lineOffset(src, 3);
    const l4 = lineOffset(src, 4);
    const cut = src.indexOf('SELECT * FROM t', l3) + 8;
    const input = Buffer.concat([src.subarray(0, cut), Buffer.from('\n'), src.subarray(l4)]);
    const { items } = scan(input);
    const ps = problemsOf(items);
    expect(ps.map((p) => [p.code, p.ctx.offset, p.ctx.end, p.ctx.index])).toEqual([['MALFORMED_RECORD', l3, cut + 1, 3]]);
    const es = entriesOf(items);
    expect(es).toHaveLength(30);
    expect(es[3]!.at).toMatchObject({ offset: cut + 1, index: 4 });
    expect(es[3]!.event.general_data?.query).toBe('use \t`db1`');
    expect(outside(input, items)).toEqual([]);
    expectChunkInvariant(input);
  });

  test('a multi-line record cut on its second line, then the next record', () => {
    const src = corpus('filterCommands');
    const r8 = lineOffset(src, 8);
    const cut = lineOffset(src, 9) + 3; // "BEG"
    const r9 = lineOffset(src, 12);
    const input = Buffer.concat([src.subarray(0, cut), Buffer.from('\n'), src.subarray(r9)]);
    const { items } = scan(input);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'MALFORMED_RECORD', offset: r8, end: cut + 1, index: 8 })]);
    expect(entriesOf(items)).toHaveLength(53);
    expect(entriesOf(items)[8]!.event.general_data?.sql_command).toBe('create_trigger');
    expectChunkInvariant(input);
  });

  test('a cut that leaves balanced quotes: wrong column count, that line only', () => {
    const input = Buffer.from(CONNECT + '"Query","3_2021-06-30T11:56:53","2021-06-30T11:57:14 UTC","select"\n' + QUERY);
    const { items } = scan(input);
    expect(norm(items)).toEqual([
      expect.objectContaining({ at: expect.objectContaining({ index: 0 }) }),
      expect.objectContaining({ code: 'MALFORMED_RECORD', offset: CONNECT.length, end: CONNECT.length + 67, index: 1 }),
      expect.objectContaining({ at: expect.objectContaining({ offset: CONNECT.length + 67, index: 2 }) }),
    ]);
    expect((items[1] as AuditLogError).detail).toMatch(/4 columns/);
  });

  test('bad quoting on the first line: that line is MALFORMED, reading goes on at the next', () => {
    const bad = '"Query","x"y,"z"\n';
    const input = Buffer.from(CONNECT + bad + QUERY);
    const { items } = scan(input);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'MALFORMED_RECORD', offset: CONNECT.length, end: CONNECT.length + bad.length, index: 1 })]);
    expect(problemsOf(items)[0]!.detail).toMatch(/after a quoted field/);
    expect(entriesOf(items).map((e) => e.event.event)).toEqual(['connect', 'status']);
    expectChunkInvariant(input);
  });

  test('a quote inside the unquoted STATUS, and a non-integer STATUS', () => {
    const a = CONNECT.replace(',0,', ',0"1,');
    const b = CONNECT.replace(',0,', ',zero,');
    const { items } = scan(a + b + CONNECT);
    expect(problemsOf(items).map((p) => [p.code, p.ctx.offset, p.ctx.end])).toEqual([
      ['MALFORMED_RECORD', 0, a.length],
      ['MALFORMED_RECORD', a.length, a.length + b.length],
    ]);
    expect(problemsOf(items)[0]!.detail).toMatch(/quote inside an unquoted field/);
    expect(problemsOf(items)[1]!.detail).toMatch(/STATUS/);
    expect(entriesOf(items)).toHaveLength(1);
  });

  test('a line that does not start with a quote, after a record, is skipped data (SKIPPED_DATA)', () => {
    const input = Buffer.from(CONNECT + '\n*****\nnot a record, "at all"\n' + QUERY);
    const { items } = scan(input);
    expect(norm(items)).toEqual([
      expect.objectContaining({ at: expect.objectContaining({ index: 0 }) }),
      expect.objectContaining({ code: 'SKIPPED_DATA', offset: CONNECT.length + 1, end: CONNECT.length + 29 }),
      expect.objectContaining({ at: expect.objectContaining({ index: 1 }) }),
    ]);
    expectChunkInvariant(input);
  });
});

describe('end of input', () => {
  test('a last record cut inside quotes is TRUNCATED_RECORD, never returned', () => {
    const src = corpus('filterUsers');
    const last = lineOffset(src, 47);
    const input = src.subarray(0, last + 40);
    const { items } = scan(input);
    expect(entriesOf(items)).toHaveLength(47);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: last, end: last + 40, index: 47 })]);
    expectChunkInvariant(input);
  });

  test('a last multi-line record cut on its third line', () => {
    const src = corpus('filterCommands');
    const cut = lineOffset(src, 10) + 5;
    const { items } = scan(src.subarray(0, cut));
    expect(entriesOf(items)).toHaveLength(8);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: lineOffset(src, 8), end: cut })]);
  });

  test('a whole last record without LF is read', () => {
    const input = Buffer.from(CONNECT + QUERY.trimEnd());
    const { items } = scan(input);
    expect(problemsOf(items)).toEqual([]);
    expect(entriesOf(items)[1]!.at).toMatchObject({ offset: CONNECT.length, end: input.length });
    expectChunkInvariant(input);
  });

  test('a last line without LF that fits no layout, or has 11 columns, is TRUNCATED_RECORD', () => {
    const cut1 = CONNECT + '"Query","3_x","2021-06-30T11:57:14 UTC","select","8",0';
    expect(norm(problemsOf(scan(cut1).items))).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: CONNECT.length, end: cut1.length })]);
    const cut2 = QUERY + QUERY.slice(0, QUERY.lastIndexOf(',"test"'));
    const r = scan(cut2);
    expect(entriesOf(r.items)).toHaveLength(1);
    expect(norm(problemsOf(r.items))).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: QUERY.length })]);
    // ... even as the first record.
    expect(problemsOf(scan(cut2.slice(QUERY.length)).items).map((p) => p.code)).toEqual(['TRUNCATED_RECORD']);
    // But in a file of 11-column records (before DB), a last one without LF is whole.
    const old = corpus('csv56').toString();
    const r2 = scan(old + old.trimEnd());
    expect(problemsOf(r2.items)).toEqual([]);
    expect(entriesOf(r2.items)).toHaveLength(2);
  });

  test('every cut point: a prefix of the records, then at most one TRUNCATED_RECORD', () => {
    const input = corpus('filterCommands').subarray(0, lineOffset(corpus('filterCommands'), 14));
    const full = entriesOf(scan(input).items);
    for (let k = 0; k <= input.length; k++) {
      const { items } = scan(input.subarray(0, k));
      const es = entriesOf(items);
      const ps = problemsOf(items);
      expect(es.map((e) => e.event)).toEqual(full.slice(0, es.length).map((e) => e.event));
      expect(ps.length).toBeLessThanOrEqual(1);
      if (ps.length) {
        expect(ps[0]!.code).toBe('TRUNCATED_RECORD');
        expect(ps[0]!.ctx.end).toBe(k);
      }
    }
  });

  test('blank lines between records are outside bytes; a BOM is not junk', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CONNECT + '\n\n' + QUERY)]);
    const { items } = scan(input);
    expect(problemsOf(items)).toEqual([]);
    expect(outside(input, items)).toEqual(['\xef\xbb\xbf', '\n\n']);
    expectChunkInvariant(input);
  });
});
