import { describe, expect, test } from 'vitest';
import type { AuditEvent } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { compileFilter, normaliseTime, unknownEventWarning, xmlName, type FilterSpec } from '../src/filter.js';
import type { Entry } from '../src/entry.js';
import { parseAll } from '../src/reader.js';
import { fixture } from './helpers.js';

const who = (user: string, host: string, ip: string, login = user) => ({
  account: { user, host },
  login: { user: login, os: '', ip, proxy: '' },
});

/** A small log: each event is named by its position, for readable assertions. */
const EVENTS: AuditEvent[] = [
  { timestamp: '2019-10-03 14:06:33', id: 0, class: 'audit', event: 'startup', connection_id: 0, startup_data: { server_id: 1 } },
  { timestamp: '2019-10-03 14:09:38', id: 0, class: 'connection', event: 'connect', connection_id: 5, ...who('root', 'localhost', '127.0.0.1'), connection_data: { connection_type: 'ssl', status: 0, db: 'test' } },
  { timestamp: '2019-10-03 14:09:38', id: 1, class: 'general', event: 'status', connection_id: 5, ...who('root', 'localhost', '127.0.0.1'), general_data: { command: 'Query', sql_command: 'drop_table', query: 'DROP TABLE IF EXISTS t', status: 0 } },
  { timestamp: '2019-10-03 14:09:39', id: 0, class: 'general', event: 'status', connection_id: 6, ...who('app', 'db1', '10.0.0.7', 'app_login'), general_data: { command: 'Query', sql_command: 'select', query: 'SELECT * FROM orders WHERE id = 42', status: 1146 } },
  { timestamp: '2019-10-03 14:09:39', id: 1, class: 'table_access', event: 'read', connection_id: 6, ...who('app', 'db1', '10.0.0.7', 'app_login'), table_access_data: { db: 'shop', table: 'orders', query: 'SELECT * FROM orders WHERE id = 42', sql_command: 'select' } },
  { timestamp: '2019-10-03 14:09:40', id: 0, class: 'general', event: 'status', connection_id: 6, ...who('app', 'db1', '10.0.0.7', 'app_login'), general_data: { command: 'Init DB', sql_command: 'error', status: 1049 } },
  { timestamp: '2019-10-04 00:00:00', id: 0, class: 'connection', event: 'disconnect', connection_id: 5, ...who('root', 'localhost', '127.0.0.1'), connection_data: { connection_type: 'ssl' } },
  { timestamp: '2019-10-04 00:00:01', id: 0, class: 'audit', event: 'shutdown', connection_id: 0, shutdown_data: { server_id: 1 } },
];

function pick(spec: FilterSpec): number[] {
  const keep = compileFilter(spec);
  return EVENTS.flatMap((e, i) => (keep(e) ? [i] : []));
}

describe('filters, one flag at a time', () => {
  test('no filter keeps everything', () => expect(pick({})).toEqual([0, 1, 2, 3, 4, 5, 6, 7]));
  test('--user matches the account user or the login user', () => {
    expect(pick({ user: ['root'] })).toEqual([1, 2, 6]);
    expect(pick({ user: ['app_login'] })).toEqual([3, 4, 5]);
    expect(pick({ user: ['root', 'app'] })).toEqual([1, 2, 3, 4, 5, 6]);
  });
  test('--host matches account.host', () => expect(pick({ host: ['db1'] })).toEqual([3, 4, 5]));
  test('--ip matches login.ip', () => expect(pick({ ip: ['127.0.0.1'] })).toEqual([1, 2, 6]));
  test('--db matches connection, table-access and general db', () => {
    expect(pick({ db: ['shop'] })).toEqual([4]);
    expect(pick({ db: ['test', 'shop'] })).toEqual([1, 4]);
  });
  test('--event takes an XML NAME, a class or class/event, case-insensitively', () => {
    expect(pick({ event: ['Query'] })).toEqual([2, 3]);
    expect(pick({ event: ['cONNECT'] })).toEqual([1]);
    expect(pick({ event: ['connection'] })).toEqual([1, 6]);
    expect(pick({ event: ['connection/disconnect', 'init db'] })).toEqual([5, 6]);
    expect(pick({ event: ['TableRead'] })).toEqual([4]);
    expect(pick({ event: ['NoAudit'] })).toEqual([7]);
  });
  test('--command-class matches sql_command, case-insensitively', () => {
    expect(pick({ commandClass: ['SELECT'] })).toEqual([3, 4]);
    expect(pick({ commandClass: ['drop_table', 'error'] })).toEqual([2, 5]);
  });
  test('--connection-id', () => expect(pick({ connectionId: ['6'] })).toEqual([3, 4, 5]));
  test('--status ok, error, N and N-M; events without a status never match', () => {
    expect(pick({ status: ['ok'] })).toEqual([1, 2]);
    expect(pick({ status: ['error'] })).toEqual([3, 5]);
    expect(pick({ status: ['1146'] })).toEqual([3]);
    expect(pick({ status: ['1100-1199'] })).toEqual([3]);
    expect(pick({ status: ['1000-1148', '1049'] })).toEqual([3, 5]);
    expect(pick({ status: ['0-99999'] })).toEqual([1, 2, 3, 5]);
  });
  test('--since and --until are inclusive, across a second boundary', () => {
    expect(pick({ since: '2019-10-03 14:09:38', until: '2019-10-03 14:09:39' })).toEqual([1, 2, 3, 4]);
    expect(pick({ since: '2019-10-03 14:09:39' })).toEqual([3, 4, 5, 6, 7]);
    expect(pick({ until: '2019-10-03 14:09:38' })).toEqual([0, 1, 2]);
    expect(pick({ since: '2019-10-03T14:09:39Z', until: '2019-10-03T14:09:39 UTC' })).toEqual([3, 4]);
  });
  test('a date alone: since from 00:00:00, until through 23:59:59; hh:mm fills seconds', () => {
    expect(pick({ until: '2019-10-03' })).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pick({ since: '2019-10-04' })).toEqual([6, 7]);
    expect(pick({ since: '2019-10-03 14:09', until: '2019-10-03 14:09' })).toEqual([1, 2, 3, 4, 5]);
  });
  test('--grep searches the SQL text of general and table-access events', () => {
    expect(pick({ grep: ['orders'] })).toEqual([3, 4]);
    expect(pick({ grep: ['^DROP', 'id = \\d+$'] })).toEqual([2, 3, 4]);
  });
});

describe('filters combined', () => {
  test('different flags AND, repeated flags OR', () => {
    expect(pick({ user: ['app'], event: ['Query'] })).toEqual([3]);
    expect(pick({ user: ['root', 'app'], status: ['error'], since: '2019-10-03 14:09:40' })).toEqual([5]);
    expect(pick({ host: ['localhost'], commandClass: ['select'] })).toEqual([]);
    expect(pick({ connectionId: ['5', '6'], grep: ['DROP|orders'], until: '2019-10-03 14:09:38' })).toEqual([2]);
  });
});

describe('bad filter values are INVALID_OPTION', () => {
  test.each<FilterSpec>([{ status: ['bad'] }, { status: ['10-5'] }, { since: '03/10/2019' }, { grep: ['('] }])('%j', (spec) => {
    const err = (() => {
      try {
        compileFilter(spec);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AuditLogError);
    expect((err as AuditLogError).code).toBe('INVALID_OPTION');
  });
  test('normaliseTime', () => {
    expect(normaliseTime('2019-10-03', false)).toBe('2019-10-03 00:00:00');
    expect(normaliseTime('2019-10-03', true)).toBe('2019-10-03 23:59:59');
  });
  test('xmlName gives back the XML NAME of each class/event', () => {
    expect(EVENTS.map(xmlName)).toEqual(['Audit', 'Connect', 'Query', 'Query', 'TableRead', 'Init DB', 'Quit', 'NoAudit']);
  });
});

describe('--event: one taxonomy for every format', () => {
  const kinds = (file: string, event: string[]) => {
    const keep = compileFilter({ event });
    return parseAll(fixture(file))
      .filter((x): x is Entry => !(x instanceof AuditLogError))
      .filter((e) => keep(e.event))
      .map((e) => `${e.event.class}/${e.event.event}`);
  };
  const XML = 'public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml';
  const OLD = 'public/percona-audit-log-filter-docs/ps-8.4-alf-old.xml';
  const JSON_ = 'public/percona-audit-log-filter-docs/ps-8.4-alf-json.json';

  test.each([
    [['Command Start'], ['command/command_start']],
    [['command/start'], ['command/command_start']],
    [['command/command_start'], ['command/command_start']],
    [['COMMAND_START'], ['command/command_start']],
    [['command'], ['command/command_start', 'command/command_end']],
    [['Query Start'], ['query/query_start']],
    [['query/start'], ['query/query_start']],
    [['query_start'], ['query/query_start']],
  ])('%j finds the same records in the Percona filter NEW, OLD and JSON files', (event, want) => {
    expect(kinds(XML, event)).toEqual(want);
    expect(kinds(OLD, event)).toEqual(want);
    expect(kinds(JSON_, event)).toEqual(want);
  });

  test('--event query finds the query class in every format (and general Query commands)', () => {
    // The XML files hold no Query Status End record; the JSON file does.
    expect(kinds(XML, ['query'])).toEqual(['general/status', 'query/query_start', 'general/status']);
    expect(kinds(JSON_, ['query/query_start', 'query/status_end'])).toEqual(['query/query_start', 'query/query_status_end']);
  });

  test('XML NAMEs, classes and class/event are case-insensitive', () => {
    expect(pick({ event: ['tableread'] })).toEqual([4]);
    expect(pick({ event: ['CONNECTION'] })).toEqual([1, 6]);
    expect(pick({ event: ['Connection/Disconnect'] })).toEqual([6]);
  });

  test('a value no format uses gets a warning naming the known ones; known values none', () => {
    expect(unknownEventWarning(['Query', 'query/start', 'Command Start', 'connection', 'table_access/read', 'variable_set', 'Init DB'])).toBeUndefined();
    const w = unknownEventWarning(['Qurey', 'Connect']);
    expect(w).toMatch(/^--event "Qurey" matches no event/);
    expect(w).not.toContain('"Connect"');
    expect(w).toContain('query/query_start');
    expect(w).toContain('Command Start');
  });
});

describe('CLI: --event', () => {
  test('convert prints the warning for a value no format uses, and finds Command Start in XML and JSON alike', async () => {
    const { spawnSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const { ROOT, fixturePath } = await import('./helpers.js');
    const run = (file: string, ev: string) => spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'convert', fixturePath(file), '--to', 'ndjson', '--event', ev], { encoding: 'utf8' });
    const typo = run('public/percona-audit-log-filter-docs/ps-8.4-alf-json.json', 'Qurey');
    expect(typo.stderr).toMatch(/^Warning: --event "Qurey" matches no event that any format writes\. Known: classes /m);
    for (const file of ['public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml', 'public/percona-audit-log-filter-docs/ps-8.4-alf-json.json']) {
      const p = run(file, 'Command Start');
      expect(p.stderr).toBe('');
      expect(p.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['command_start']);
    }
  });
});
