/**
 * JsonScanner: MySQL Enterprise JSON (arrays, array slices, JSONL), Percona
 * filter JSON (pretty-printed) and Percona classic plugin JSON, over the
 * corpus and over synthetic damage (torn, truncated, junk, raw control
 * characters), at every chunk size 1..16 and at random split points.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Entry } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { JsonScanner } from '../src/scanners/json.js';
import type { ScanItem } from '../src/scanners/scanner.js';
import { chunks, entriesOf, feed, fixturePath, norm, outside, problemsOf, splitAt } from './helpers.js';

/** Every corpus file read here (in fixtures/, with their provenance). */
const CORPUS = {
  beats: fixturePath('public/elastic/beats-mysql_audit_test.log'),
  integrations: fixturePath('public/elastic/integrations-test-mysql-audit.log'),
  guardium: fixturePath('public/ibm-guardium/audit_json.log'),
  refman: fixturePath('public/mysql-refman/refman-9-json-event-examples.json'),
  alf: fixturePath('public/percona-audit-log-filter-docs/ps-8.4-alf-json.json'),
  percona56: fixturePath('percona/json-format-5.6-2014.json'),
  percona57: fixturePath('percona/json-format-5.7-2021.json'),
  charmed: fixturePath('percona/json-format-8.0-charmed-mysql.json'),
  pxc: fixturePath('percona/json-format-pxc-5.7.23-audit-record.json'),
  canonical: fixturePath('public/percona-real/canonical-mysql-k8s-operator-audit-sample.json'),
  pluginDocs: fixturePath('public/percona-audit-log-plugin-docs/ps-8.0-plugin-json-record.json'),
} as const;

type CorpusName = keyof typeof CORPUS;

function corpus(name: CorpusName): Buffer {
  return readFileSync(CORPUS[name]);
}

// ---------------------------------------------------------------- helpers

type Hint = 'json' | 'percona-json';

/** Run a scanner over `parts` (each copied, so nothing relies on the caller's buffers). */
function scanParts(parts: Uint8Array[], hint: Hint = 'json'): { items: ScanItem[]; scanner: JsonScanner } {
  const scanner = new JsonScanner({ file: 't.json' }, hint);
  return { items: feed(scanner, parts), scanner };
}

function scan(bytes: Uint8Array | string, hint: Hint = 'json') {
  return scanParts([typeof bytes === 'string' ? Buffer.from(bytes) : bytes], hint);
}



/** Same items whatever the chunking: sizes 1..16 and random split points. */
function expectChunkInvariant(input: Buffer, hint: Hint = 'json'): void {
  const whole = scan(input, hint);
  const want = norm(whole.items);
  for (let size = 1; size <= 16; size++) {
    const r = scanParts(chunks(input, size), hint);
    expect(norm(r.items), `chunk size ${size}`).toEqual(want);
    expect(r.scanner.complete).toBe(whole.scanner.complete);
    expect(r.scanner.format).toBe(whole.scanner.format);
    expect(r.scanner.bytesRead).toBe(input.length);
  }
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, input.length - 1) }), { maxLength: 12 }), (cuts) => {
      expect(norm(scanParts(splitAt(input, cuts), hint).items)).toEqual(want);
    }),
    { seed: 20260322, numRuns: 40 },
  );
}

/** Byte offset of the start of line `n` (0-based). */
function lineOffset(text: Buffer, n: number): number {
  let p = 0;
  for (let i = 0; i < n; i++) p = text.indexOf(0x0a, p) + 1;
  return p;
}

// ---------------------------------------------------------------- corpus

describe('corpus', () => {
  // Counts from corpus/EXPECTED.tsv.
  const cases: [CorpusName, number, 'json' | 'percona-json', boolean | null][] = [
    ['beats', 31, 'json', false],
    ['integrations', 34, 'json', false],
    ['guardium', 6, 'json', false],
    ['refman', 5, 'json', true],
    ['alf', 7, 'json', true],
    ['percona56', 1, 'percona-json', null],
    ['percona57', 1, 'percona-json', null],
    ['charmed', 10, 'percona-json', null],
    ['pxc', 1, 'percona-json', null],
    ['canonical', 3, 'percona-json', null],
    ['pluginDocs', 1, 'percona-json', null],
  ];

  for (const [name, count, format, complete] of cases) {
    test(`${name}: ${count} records, ${format}, complete ${complete}`, () => {
      const input = corpus(name);
      // The hint is the other format: the first record decides.
      const { items, scanner } = scan(input, format === 'json' ? 'percona-json' : 'json');
      expect(problemsOf(items).map((e) => e.message)).toEqual([]);
      expect(entriesOf(items)).toHaveLength(count);
      expect(scanner.format).toBe(format);
      expect(scanner.complete).toBe(complete);
      expect(scanner.bytesRead).toBe(input.length);
      for (const [i, e] of entriesOf(items).entries()) {
        expect(e.format).toBe(format);
        expect(e.at.index).toBe(i);
        expect(e.at.file).toBe('t.json');
      }
    });

    test(`${name}: same items at every chunk size and random splits`, () => {
      expectChunkInvariant(corpus(name), format);
    });
  }

  test('array files: raws + "[\\n" and "]\\n" reproduce the file byte for byte', () => {
    for (const name of ['refman', 'alf'] as const) {
      const input = corpus(name);
      expect(outside(input, scan(input).items)).toEqual(['[\n', ']\n']);
    }
  });

  test('slices and one-per-line files: records cover every byte', () => {
    for (const name of ['beats', 'integrations', 'guardium', 'percona56', 'charmed', 'pxc', 'canonical'] as const) {
      const input = corpus(name);
      const { items } = scan(input);
      expect(outside(input, items), name).toEqual([]);
      expect(Buffer.concat(entriesOf(items).map((e) => e.raw!)).equals(input)).toBe(true);
    }
  });
});

describe('MySQL Enterprise JSON fields', () => {
  test('beats: events are the objects as written, key order kept', () => {
    const es = entriesOf(scan(corpus('beats')).items);
    const startup = es[0]!.event;
    expect(startup.class).toBe('audit');
    expect(startup.event).toBe('startup');
    expect(startup.account).toEqual({ user: 'skip-grants user', host: '' });
    expect(startup.startup_data?.args).toEqual([
      '/usr/local/mysql/bin/mysqld',
      '--loose-audit-log-format=JSON',
      '--log-error=log.err',
      '--pid-file=mysqld.pid',
      '--port=3306',
    ]);
    const connect = es[1]!.event;
    expect(Object.keys(connect)).toEqual(['timestamp', 'id', 'class', 'event', 'connection_id', 'account', 'login', 'connection_data']);
    expect(connect).toMatchObject({ timestamp: '2020-10-19 19:25:51', id: 0, connection_id: 13 });
    expect(connect.connection_data?.connection_attributes?._client_version).toBe('8.0.22');
    expect(Object.keys(connect.connection_data!.connection_attributes!)).toEqual(['_pid', '_platform', '_os', '_client_name', 'os_user', '_client_version']);
    expect(es[2]!.event.general_data).toEqual({ command: 'Query', sql_command: 'select', query: 'select @@version_comment limit 1', status: 0 });
    // Each record line ends with ",\n", which belongs to it; the last has no comma.
    expect(Buffer.from(es[0]!.raw!).toString().endsWith('] } },\n')).toBe(true);
    expect(Buffer.from(es[30]!.raw!).toString()).toBe(
      '{ "timestamp": "2020-10-19 19:32:16", "id": 0, "class": "audit", "event": "shutdown", "connection_id": 0, "shutdown_data": { "server_id": 1 } }\n',
    );
    expect(es[1]!.at.offset).toBe(es[0]!.at.end);
  });

  test('integrations: line 31 lacks its comma and records still follow', () => {
    const input = corpus('integrations');
    const es = entriesOf(scan(input).items);
    expect(Buffer.from(es[30]!.raw!).toString().endsWith('"shutdown_data": { "server_id": 1 } }\n')).toBe(true);
    expect(es[31]!.at.offset).toBe(lineOffset(input, 31));
    expect(es[31]!.event).toMatchObject({ timestamp: '2021-02-10 19:05:42', id: 2, class: 'audit', event: 'status', connection_id: 42 });
    expect(es[31]!.event.general_data?.query).toBe("crEAtE  uSeR  'evil user'@elastic IDENTIFIED BY <secret>");
  });

  test('guardium: \\/ and \\n escapes decoded', () => {
    const es = entriesOf(scan(corpus('guardium')).items);
    expect(es[2]!.event.general_data?.query).toBe('/* ApplicationName=DBeaver 7.1.4 - SQLEditor <Script.sql> */ use guardium_qa');
    expect(es[4]!.event.table_access_data?.query).toBe('/* ApplicationName=DBeaver 7.1.4 - SQLEditor <Script.sql> */ select * from pet\nLIMIT 0, 200');
    expect(es[4]!.event.table_access_data?.table).toBe('pet');
  });

  test('refman: multi-line records, each with its lines', () => {
    const input = corpus('refman');
    const es = entriesOf(scan(input).items);
    expect(es.map((e) => `${e.event.class}/${e.event.event}`)).toEqual([
      'audit/startup',
      'audit/shutdown',
      'connection/disconnect',
      'general/status',
      'table_access/insert',
    ]);
    expect(es[0]!.at.offset).toBe(2);
    expect(es[0]!.event.startup_data?.mysql_version).toBe('5.7.21-log');
    expect(es[2]!.event.connection_data).toEqual({ connection_type: 'ssl' });
    expect(es[2]!.event.login?.ip).toBe('::1');
    const last = Buffer.from(es[4]!.raw!).toString();
    expect(last.startsWith('{ "timestamp": "2019-10-03 14:23:41",\n')).toBe(true);
    expect(last.endsWith('"sql_command": "insert" } }\n')).toBe(true);
  });
});

describe('Percona audit_log_filter JSON (pretty-printed)', () => {
  test('records with their indent, nested objects, a record without "event"', () => {
    const es = entriesOf(scan(corpus('alf')).items);
    expect(es[0]!.event).toEqual({ timestamp: '2023-03-29 11:17:03', id: 0, class: 'audit', server_id: 1 });
    expect(Buffer.from(es[0]!.raw!).toString()).toBe(
      '  {\n    "timestamp": "2023-03-29 11:17:03",\n    "id": 0,\n    "class": "audit",\n    "server_id": 1\n  },\n',
    );
    expect(es[1]!.event.command_data).toEqual({ name: 'command_start', status: 0, command: 'query' });
    expect(es[2]!.event.account).toEqual({ user: 'root[root] @ localhost []', host: 'localhost' });
    expect(es[3]!.event.query_data).toEqual({ query: 'CREATE TABLE t1 (c1 INT)', status: 0, sql_command: 'create_table' });
    expect(Buffer.from(es[6]!.raw!).toString().endsWith('"command": "query"}\n  }\n')).toBe(true);
  });
});

describe('Percona classic plugin JSON', () => {
  test('charmed: connection records mapped to the event shape, ids per second', () => {
    const { items, scanner } = scan(corpus('charmed'));
    const es = entriesOf(items);
    expect(scanner.format).toBe('percona-json');
    expect(scanner.complete).toBeNull();
    expect(es[0]!.event).toEqual({
      timestamp: '2024-09-03 01:53:14',
      id: 0,
      class: 'connection',
      event: 'connect',
      connection_id: 988,
      account: { user: '', host: 'juju-da2225-8' },
      login: { user: '', os: '', ip: '10.207.85.214', proxy: '' },
      connection_data: { status: 1156, db: '' },
    });
    expect(es[2]!.event).toMatchObject({ id: 2, class: 'connection', event: 'disconnect', connection_id: 989 });
    expect(es[3]!.event).toMatchObject({ timestamp: '2024-09-03 01:53:33', id: 0, connection_id: 990 });
    expect(es[4]!.event.account).toEqual({ user: 'serverconfig', host: 'juju-da2225-8' });
  });

  test('pxc: Audit record, startup_optionsi read as STARTUP_OPTIONS', () => {
    const e = entriesOf(scan(corpus('pxc')).items)[0]!;
    expect(e.format).toBe('percona-json');
    expect(e.event).toMatchObject({ timestamp: '2019-01-22 09:54:38', class: 'audit', event: 'startup' });
    expect(e.event.startup_data?.mysql_version).toBe('5.7.23-23-57-log');
    expect(e.event.startup_data?.os_version).toBe('x86_64-debian-linux-gnu');
    expect(e.event.startup_data?.args?.[0]).toBe('--basedir=/usr');
    expect(e.event.startup_data?.args).toHaveLength(10);
  });

  test('5.6: Query record without db; status number and connection_id string', () => {
    const e = entriesOf(scan(corpus('percona56')).items)[0]!;
    expect(e.event).toMatchObject({ timestamp: '2014-08-27 10:44:19', class: 'general', event: 'status', connection_id: 37 });
    expect(e.event.account).toEqual({ user: 'root', host: 'localhost' });
    expect(e.event.general_data).toEqual({ command: 'Query', sql_command: 'show_databases', query: 'show databases', status: 0 });
  });

  test('canonical: the trailing blank after the last record stays in its raw', () => {
    const es = entriesOf(scan(corpus('canonical')).items);
    expect(Buffer.from(es[2]!.raw!).toString().endsWith('"db":""}} \n')).toBe(true);
  });

  test('format is decided per record', () => {
    const input = Buffer.from(
      '{"audit_record":{"name":"Quit","record":"1_2024-01-01T00:00:00","timestamp":"2024-01-01T00:00:01Z","connection_id":"5","status":0,"user":"u","priv_user":"u","os_login":"","proxy_user":"","host":"h","ip":"","db":""}}\n' +
        '{ "timestamp": "2024-01-01 00:00:02", "id": 0, "class": "audit", "event": "shutdown", "connection_id": 0, "shutdown_data": { "server_id": 1 } }\n' +
        '{"audit_record":{"a":1},"other":2}\n',
    );
    const { items, scanner } = scan(input);
    expect(problemsOf(items)).toEqual([]);
    expect(entriesOf(items).map((e) => e.format)).toEqual(['percona-json', 'json', 'json']);
    expect(scanner.format).toBe('percona-json');
    expect(entriesOf(items)[2]!.event).toEqual({ audit_record: { a: 1 }, other: 2 });
    expectChunkInvariant(input);
  });

  test('"audit_record" that is not an object is a malformed record', () => {
    const { items } = scan('{"audit_record":"x"}\n{"a":1}\n');
    expect(norm(items)[0]).toMatchObject({ code: 'MALFORMED_RECORD', offset: 0, end: 21, index: 0 });
    expect(entriesOf(items)[0]!.at.index).toBe(1);
  });
});

// ---------------------------------------------------------------- damage

describe('torn records', () => {
  test('a line cut inside a string, then the next record: one MALFORMED_RECORD, the rest read', () => {
    const beats = corpus('beats');
    const l2 = lineOffset(beats, 2);
    const l3 = lineOffset(beats, 3);
    const cut = beats.indexOf('select @@version', l2) + 6; // inside the "query" string
    expect(cut).toBeLessThan(l3);
    const input = Buffer.concat([beats.subarray(0, cut), Buffer.from('\n'), beats.subarray(l3)]);
    const { items } = scan(input);
    const ps = problemsOf(items);
    expect(ps).toHaveLength(1);
    expect(ps[0]!.code).toBe('MALFORMED_RECORD');
    expect(ps[0]!.ctx).toMatchObject({ offset: l2, end: cut + 1, index: 2, recoverable: true });
    const es = entriesOf(items);
    expect(es).toHaveLength(30);
    expect(es[2]!.at).toMatchObject({ offset: cut + 1, index: 3 });
    expect(es[2]!.event).toMatchObject({ timestamp: '2020-10-19 19:25:52', event: 'disconnect' });
    expect(outside(input, items)).toEqual([]);
    expectChunkInvariant(input);
  });

  test('a line cut between members ("...", "cl") is torn too', () => {
    const beats = corpus('beats');
    const l5 = lineOffset(beats, 5);
    const l6 = lineOffset(beats, 6);
    const cut = beats.indexOf('"class"', l5) + 3;
    const input = Buffer.concat([beats.subarray(0, cut), Buffer.from('\n'), beats.subarray(l6)]);
    const { items } = scan(input);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'MALFORMED_RECORD', offset: l5, end: cut + 1, index: 5 })]);
    expect(entriesOf(items)).toHaveLength(30);
  });

  test('pretty-printed: a record cut in the middle, then the next record', () => {
    const alf = corpus('alf');
    const r2 = alf.indexOf('  {\n    "timestamp": "2023-03-29 11:17:05",\n    "id": 2');
    const r3 = alf.indexOf('  {\n    "timestamp": "2023-03-29 11:17:05",\n    "id": 3');
    const cut = alf.indexOf('"login"', r2); // after the account line
    const input = Buffer.concat([alf.subarray(0, cut), alf.subarray(r3)]);
    const { items, scanner } = scan(input);
    const ps = problemsOf(items);
    // The torn record ends where the line of the next one starts: that line is
    // the 4-space indent left of the cut "login" line, then the next "  {".
    expect(ps.map((p) => [p.code, p.ctx.offset, p.ctx.end, p.ctx.index])).toEqual([['MALFORMED_RECORD', r2, cut - 4, 2]]);
    expect(entriesOf(items)[2]!.at.offset).toBe(cut - 4);
    expect(entriesOf(items).map((e) => e.event.id)).toEqual([0, 1, 3, 4, 5, 6]);
    expect(scanner.complete).toBe(true);
    expectChunkInvariant(input);
  });

  test('an invalid object on its own line is MALFORMED_RECORD with the line range', () => {
    const input = '[\n{ "a": 1 },\n{ "b": tru },\n{ "c": 3 }\n]\n';
    const { items, scanner } = scan(input);
    expect(norm(items)).toEqual([
      expect.objectContaining({ event: { a: 1 }, at: { file: 't.json', offset: 2, end: 14, index: 0 } }),
      expect.objectContaining({ code: 'MALFORMED_RECORD', offset: 14, end: 28, index: 1 }),
      expect.objectContaining({ event: { c: 3 }, at: { file: 't.json', offset: 28, end: 39, index: 2 } }),
    ]);
    expect((items[1] as AuditLogError).detail).toMatch(/^invalid JSON/);
    expect(scanner.complete).toBe(true);
    expectChunkInvariant(Buffer.from(input));
  });
});

describe('truncated last record', () => {
  test('one-line records: TRUNCATED_RECORD, never returned half', () => {
    const beats = corpus('beats');
    const last = lineOffset(beats, 30);
    const cut = last + 60;
    const input = beats.subarray(0, cut);
    const { items, scanner } = scan(input);
    expect(entriesOf(items)).toHaveLength(30);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: last, end: cut, index: 30 })]);
    expect(scanner.complete).toBe(false);
    expectChunkInvariant(input);
  });

  test('pretty-printed: TRUNCATED_RECORD from the record\'s indent', () => {
    const alf = corpus('alf');
    const r6 = alf.lastIndexOf('  {\n');
    const input = alf.subarray(0, r6 + 60);
    const { items } = scan(input);
    expect(entriesOf(items)).toHaveLength(6);
    expect(norm(problemsOf(items))).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: r6, end: r6 + 60, index: 6 })]);
  });

  test('every cut point: a prefix of the records, then at most one TRUNCATED_RECORD past the last one', () => {
    for (const name of ['refman', 'alf'] as const) {
      const input = corpus(name);
      const full = entriesOf(scan(input).items);
      for (let k = 0; k <= input.length; k++) {
        const { items } = scan(input.subarray(0, k));
        const es = entriesOf(items);
        const ps = problemsOf(items);
        expect(es.map((e) => e.event)).toEqual(full.slice(0, es.length).map((e) => e.event));
        expect(ps.length).toBeLessThanOrEqual(1);
        if (ps.length) {
          expect(ps[0]!.code).toBe('TRUNCATED_RECORD');
          expect(items[items.length - 1]).toBe(ps[0]);
          expect(ps[0]!.ctx.offset).toBeGreaterThanOrEqual(es.length ? es[es.length - 1]!.at.end : 0);
          expect(ps[0]!.ctx.end).toBe(k);
        }
      }
    }
  });
});

describe('raw control characters and escapes', () => {
  test('raw TAB, 0x01 and LF inside strings are tolerated', () => {
    const input = Buffer.from('{ "query": "a\tb\x01c", "id": 1 },\n{ "query": "line1\nline2", "id": 2 },\n{ "id": 3 }\n');
    const { items } = scan(input);
    expect(problemsOf(items)).toEqual([]);
    expect(entriesOf(items).map((e) => e.event)).toEqual([{ query: 'a\tb\x01c', id: 1 }, { query: 'line1\nline2', id: 2 }, { id: 3 }]);
    expect(entriesOf(items)[1]!.at).toMatchObject({ offset: 31, end: 31 + 37 });
    expect(outside(input, items)).toEqual([]);
    expectChunkInvariant(input);
  });

  test('a raw LF in a string followed by a line starting "{ts" is not a torn record', () => {
    const input = Buffer.from('{ "query": "select\n{ts \'2020-01-01\'}", "id": 1 }\n{ "id": 2 }\n');
    const { items } = scan(input);
    expect(problemsOf(items)).toEqual([]);
    expect(entriesOf(items).map((e) => e.event)).toEqual([{ query: "select\n{ts '2020-01-01'}", id: 1 }, { id: 2 }]);
    expectChunkInvariant(input);
  });

  test('Percona gen-1 plugin JSON with a raw TAB and \\/', () => {
    const input = Buffer.from(
      '{"audit_record":{"name":"Query","record":"2_2016-01-01T00:00:00","timestamp":"2016-01-01T00:00:01 UTC","command_class":"select","connection_id":"7","status":0,"sqltext":"select\t1 \\/* x *\\/","user":"root[root] @ localhost []","host":"localhost","os_user":"","ip":"","db":""}}\n',
    );
    const e = entriesOf(scan(input).items)[0]!;
    expect(e.format).toBe('percona-json');
    expect(e.event.general_data).toEqual({ command: 'Query', sql_command: 'select', query: 'select\t1 /* x */', status: 0, db: '' });
    expect(e.event.connection_id).toBe(7);
  });

  test('a backslash before a character JSON cannot escape is kept as a backslash', () => {
    const e = entriesOf(scan('{ "q": "it\\\'s" }\n').items)[0]!;
    expect(e.event).toEqual({ q: "it\\'s" });
  });

  test('multi-byte UTF-8 split at every byte', () => {
    const input = Buffer.from('{ "q": "ฐานข้อมูล 𦉘𦟌𦧲 é" },\n{ "q": "ok" }\n');
    expect(entriesOf(scan(input).items)[0]!.event).toEqual({ q: 'ฐานข้อมูล 𦉘𦟌𦧲 é' });
    expectChunkInvariant(input);
  });
});

describe('layouts and what lies between records', () => {
  test('JSONL: one compact object per line, no array', () => {
    const input = Buffer.from('{"a":1}\n{"b":2}\n{"c":3}');
    const { items, scanner } = scan(input);
    expect(entriesOf(items).map((e) => e.event)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(entriesOf(items)[2]!.at).toMatchObject({ offset: 16, end: 23 });
    expect(scanner.complete).toBe(false);
    expectChunkInvariant(input);
  });

  test('a whole array on one line', () => {
    const input = Buffer.from('[{"a":1},{"b":{"c":"}"}}]\n');
    const { items, scanner } = scan(input);
    expect(entriesOf(items).map((e) => [e.event, Buffer.from(e.raw!).toString()])).toEqual([
      [{ a: 1 }, '{"a":1},'],
      [{ b: { c: '}' } }, '{"b":{"c":"}"}}'],
    ]);
    expect(scanner.complete).toBe(true);
    expect(outside(input, items)).toEqual(['[', ']\n']);
    expectChunkInvariant(input);
  });

  test('Enterprise layout "[\\n" + records joined by ",\\n" + "\\n]\\n"', () => {
    const input = Buffer.from('[\n{ "id": 0 },\n{ "id": 1 }\n]\n');
    const { items, scanner } = scan(input);
    expect(entriesOf(items).map((e) => Buffer.from(e.raw!).toString())).toEqual(['{ "id": 0 },\n', '{ "id": 1 }\n']);
    expect(outside(input, items)).toEqual(['[\n', ']\n']);
    expect(scanner.complete).toBe(true);
  });

  test('an empty array is complete with no records', () => {
    const { items, scanner } = scan('[\n]\n');
    expect(items).toEqual([]);
    expect(scanner.complete).toBe(true);
  });

  test('text between records is one SKIPPED_DATA per stretch, with its range; after the footer UNEXPECTED_DATA', () => {
    const input = Buffer.from('[\n{ "id": 0 },\nsome noise here\n  more noise\n{ "id": 1 }\n]\ntrailer\n');
    const { items, scanner } = scan(input);
    expect(norm(items)).toEqual([
      expect.objectContaining({ event: { id: 0 } }),
      expect.objectContaining({ code: 'SKIPPED_DATA', offset: 15, end: 43 }),
      expect.objectContaining({ event: { id: 1 }, at: expect.objectContaining({ index: 1 }) }),
      expect.objectContaining({ code: 'UNEXPECTED_DATA', offset: 58, end: 65 }),
    ]);
    expect(scanner.complete).toBe(false);
    expectChunkInvariant(input);
  });

  test('a slice that starts inside a pretty-printed record: the stray lines are junk', () => {
    const alf = corpus('alf');
    const from = alf.indexOf('"class": "command"');
    const input = alf.subarray(from);
    const { items, scanner } = scan(input);
    expect(problemsOf(items).map((p) => [p.code, p.ctx.offset])).toEqual([['UNEXPECTED_DATA', 0]]);
    expect(entriesOf(items).map((e) => e.event.id)).toEqual([2, 3, 4, 5, 6]);
    expect(scanner.complete).toBe(true);
    expectChunkInvariant(Buffer.from(input));
  });

  test('a UTF-8 byte order mark is not junk', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n')]);
    const { items } = scan(input);
    expect(norm(items)).toEqual([expect.objectContaining({ event: { a: 1 }, at: { file: 't.json', offset: 3, end: 11, index: 0 } })]);
    expectChunkInvariant(input);
  });

  test('keepRaw: false leaves raw out', () => {
    const s = new JsonScanner({ keepRaw: false });
    const items = [...s.push(Buffer.from('{"a":1}\n')), ...s.end()];
    expect((items[0] as Entry).raw).toBeUndefined();
  });
});

describe('pretty-printed nested objects on lines of their own (jq output)', () => {
  test('a deeper-indented `{` line is part of the record, not a new one', () => {
    const events = [
      { timestamp: '2020-10-19 19:25:51', id: 0, class: 'connection', event: 'connect', list: [{ a: 1 }, { b: { c: 2 } }] },
      { timestamp: '2020-10-19 19:25:52', id: 0, class: 'general', event: 'status', general_data: { query: 'x' } },
    ];
    for (const indent of [2, 4]) {
      const text = JSON.stringify(events, null, indent) + '\n';
      for (const size of [1, 3, 64, text.length]) {
        const { items } = scanParts(chunks(Buffer.from(text), size));
        expect(problemsOf(items), `indent ${indent} @${size}`).toEqual([]);
        expect(entriesOf(items).map((e) => e.event)).toEqual(events);
      }
    }
  });

  test('a torn pretty record is still cut at the next record at its own indent', () => {
    const a = JSON.stringify({ timestamp: '2020-10-19 19:25:51', id: 0, class: 'audit', nested: { x: 1 } }, null, 2);
    const b = JSON.stringify({ timestamp: '2020-10-19 19:25:52', id: 0, class: 'audit' }, null, 2);
    const torn = a.slice(0, a.indexOf('"nested"') + 12);
    const { items } = scan(`[\n${torn}\n${b}\n]\n`);
    expect(problemsOf(items).map((p) => [p.code, p.ctx.index])).toEqual([['MALFORMED_RECORD', 0]]);
    expect(entriesOf(items).map((e) => e.event.timestamp)).toEqual(['2020-10-19 19:25:52']);
  });
});
