/** One test per row of docs/event-shape.md. */
import { describe, expect, test } from 'vitest';
import { createIdSequencer, fieldsToEvent, parseQueryUser, xmlTimestampToJson } from '../src/mapping.js';

const ev = (f: Record<string, string>, attrs?: Record<string, string>) => fieldsToEvent(f, createIdSequencer(), attrs);

describe('NAME -> class / event / data object', () => {
  test('Audit -> audit/startup with startup_data, args split on blanks', () => {
    const e = ev({ TIMESTAMP: '2019-10-03T14:06:33 UTC', NAME: 'Audit', SERVER_ID: '1', VERSION: '1', STARTUP_OPTIONS: '/usr/local/mysql/bin/mysqld\n    --socket=/tmp/s  --port=3306', OS_VERSION: 'i686-Linux', MYSQL_VERSION: '5.7.21-log' });
    expect(e).toEqual({
      timestamp: '2019-10-03 14:06:33',
      id: 0,
      class: 'audit',
      event: 'startup',
      startup_data: { server_id: 1, os_version: 'i686-Linux', mysql_version: '5.7.21-log', args: ['/usr/local/mysql/bin/mysqld', '--socket=/tmp/s', '--port=3306'] },
    });
    expect(Object.keys(e)).toEqual(['timestamp', 'id', 'class', 'event', 'startup_data']);
  });

  test('Startup (Percona filter 8.4.8+) -> audit/startup', () => {
    expect(ev({ NAME: 'Startup' })).toMatchObject({ class: 'audit', event: 'startup' });
  });

  test('NoAudit -> audit/shutdown with shutdown_data', () => {
    expect(ev({ TIMESTAMP: '2019-10-03T14:09:45 UTC', NAME: 'NoAudit', SERVER_ID: '1' })).toEqual({
      timestamp: '2019-10-03 14:09:45', id: 0, class: 'audit', event: 'shutdown', shutdown_data: { server_id: 1 },
    });
  });

  test('Connect -> connection/connect; USER is the login user, PRIV_USER the account user', () => {
    const e = ev(
      { TIMESTAMP: '2019-10-03T14:09:38 UTC', NAME: 'Connect', CONNECTION_ID: '5', STATUS: '0', STATUS_CODE: '0', USER: 'joe', OS_LOGIN: '', HOST: 'localhost', IP: '127.0.0.1', COMMAND_CLASS: 'connect', CONNECTION_TYPE: 'SSL/TLS', PRIV_USER: 'app', PROXY_USER: '', DB: 'test' },
      { _pid: '42794' },
    );
    expect(e).toEqual({
      timestamp: '2019-10-03 14:09:38',
      id: 0,
      class: 'connection',
      event: 'connect',
      connection_id: 5,
      account: { user: 'app', host: 'localhost' },
      login: { user: 'joe', os: '', ip: '127.0.0.1', proxy: '' },
      connection_data: { connection_type: 'ssl', status: 0, db: 'test', connection_attributes: { _pid: '42794' } },
    });
  });

  test('Change user -> connection/change_user, as Connect', () => {
    expect(ev({ NAME: 'Change user', STATUS: '1045', USER: 'u', PRIV_USER: '', DB: 'd', CONNECTION_TYPE: 'TCP/IP' })).toMatchObject({
      class: 'connection', event: 'change_user', account: { user: '' }, login: { user: 'u' }, connection_data: { connection_type: 'tcp/ip', status: 1045, db: 'd' },
    });
  });

  test('Quit -> connection/disconnect with only connection_type', () => {
    const e = ev({ NAME: 'Quit', CONNECTION_ID: '5', STATUS: '0', STATUS_CODE: '0', USER: 'root', OS_LOGIN: '', HOST: 'localhost', IP: '127.0.0.1', COMMAND_CLASS: 'connect', CONNECTION_TYPE: 'Socket' });
    expect(e.connection_data).toEqual({ connection_type: 'socket' });
    expect(e.account).toEqual({ user: 'root', host: 'localhost' });
    expect(e.login).toEqual({ user: 'root', os: '', ip: '127.0.0.1' });
  });

  test('Quit (Percona) keeps a non-empty DB and a non-zero STATUS', () => {
    expect(ev({ NAME: 'Quit', STATUS: '1156', DB: 'test' }).connection_data).toEqual({ status: 1156, db: 'test' });
  });

  test.each([
    ['TableRead', 'read'],
    ['TableInsert', 'insert'],
    ['TableUpdate', 'update'],
    ['TableDelete', 'delete'],
  ])('%s -> table_access/%s with table_access_data', (name, event) => {
    const e = ev({ NAME: name, DB: 'shop', TABLE: 'orders', SQLTEXT: 'x', COMMAND_CLASS: 'select' });
    expect(e).toMatchObject({ class: 'table_access', event, table_access_data: { db: 'shop', table: 'orders', query: 'x', sql_command: 'select' } });
  });

  test.each(['Query', 'Init DB', 'Execute', 'Ping', 'Command Start'])('%s -> general/status with general_data', (name) => {
    const e = ev({ NAME: name, COMMAND_CLASS: 'select', SQLTEXT: 'SELECT 1', STATUS: '1064' });
    expect(e).toMatchObject({ class: 'general', event: 'status', general_data: { command: name, sql_command: 'select', query: 'SELECT 1', status: 1064 } });
  });

  test('names that are Object.prototype members are plain names', () => {
    expect(ev({ NAME: 'constructor', CONNECTION_TYPE: 'toString' })).toMatchObject({ class: 'general', event: 'status', general_data: { command: 'constructor' } });
    expect(ev({ NAME: 'Connect', CONNECTION_TYPE: 'constructor' }).connection_data?.connection_type).toBe('constructor');
  });

  test('Percona classic general records keep DB in general_data', () => {
    expect(ev({ NAME: 'Query', DB: 'db1' }).general_data).toEqual({ command: 'Query', db: 'db1' });
  });
});

describe('fields', () => {
  test('TIMESTAMP spellings -> timestamp', () => {
    expect(xmlTimestampToJson('2019-10-03T14:09:38 UTC')).toBe('2019-10-03 14:09:38');
    expect(xmlTimestampToJson('2021-06-29T19:33:34Z')).toBe('2021-06-29 19:33:34');
    expect(xmlTimestampToJson('2023-03-29T11:15:52')).toBe('2023-03-29 11:15:52');
    expect(xmlTimestampToJson('<DATETIME>')).toBe('<DATETIME>');
  });

  test('id counts events within the same second, from 0 each new second', () => {
    const ids = createIdSequencer();
    const got = ['10:00:00', '10:00:00', '10:00:00', '10:00:01', '10:00:01', '10:00:00'].map((t) => fieldsToEvent({ NAME: 'Query', TIMESTAMP: `2020-01-01T${t} UTC` }, ids).id);
    expect(got).toEqual([0, 1, 2, 0, 1, 0]);
  });

  test('CONNECTION_ID is a number; a placeholder stays a string', () => {
    expect(ev({ NAME: 'Query', CONNECTION_ID: '42' }).connection_id).toBe(42);
    expect(ev({ NAME: 'Query', CONNECTION_ID: '<CONN_ID>' }).connection_id).toBe('<CONN_ID>');
  });

  test('query-style USER priv[login] @ host [ip] -> account and login', () => {
    expect(parseQueryUser('tester[root] @ localhost [127.0.0.1]')).toEqual({ priv: 'tester', login: 'root', host: 'localhost', ip: '127.0.0.1' });
    expect(parseQueryUser('root[root] @ localhost []')).toEqual({ priv: 'root', login: 'root', host: 'localhost', ip: '' });
    expect(parseQueryUser('root')).toBeNull();
    const e = ev({ NAME: 'Query', USER: 'tester[root] @ localhost [127.0.0.1]' });
    expect(e.account).toEqual({ user: 'tester', host: 'localhost' });
    expect(e.login).toEqual({ user: 'root', ip: '127.0.0.1' });
  });

  test('HOST and IP fields win over the parts of USER', () => {
    const e = ev({ NAME: 'Query', USER: 'a[b] @ h1 [1.1.1.1]', HOST: 'h2', IP: '2.2.2.2' });
    expect(e.account).toEqual({ user: 'a', host: 'h2' });
    expect(e.login).toEqual({ user: 'b', ip: '2.2.2.2' });
  });

  test('OS_LOGIN and Percona OS_USER -> login.os; PROXY_USER -> login.proxy', () => {
    expect(ev({ NAME: 'Query', OS_LOGIN: 'unix1', PROXY_USER: 'p' }).login).toEqual({ os: 'unix1', proxy: 'p' });
    expect(ev({ NAME: 'Query', OS_USER: 'unix2' }).login).toEqual({ os: 'unix2' });
  });

  test.each([
    ['TCP/IP', 'tcp/ip'],
    ['SSL/TLS', 'ssl'],
    ['SSL', 'ssl'],
    ['Socket', 'socket'],
    ['Named Pipe', 'named_pipe'],
    ['Shared Memory', 'shared_memory'],
    ['Plugin', 'plugin'],
  ])('CONNECTION_TYPE %s -> %s', (xml, json) => {
    expect(ev({ NAME: 'Connect', CONNECTION_TYPE: xml }).connection_data?.connection_type).toBe(json);
  });

  test('STATUS_CODE, RECORD_ID, RECORD and VERSION are not kept; fields a record lacks are not invented', () => {
    const e = ev({ NAME: 'Audit', RECORD_ID: '1_2019-10-03T14:06:33', VERSION: '1', STATUS_CODE: '0' });
    expect(e).toEqual({ id: 0, class: 'audit', event: 'startup', startup_data: {} });
    expect(JSON.stringify(ev({ NAME: 'Query', RECORD: '3_x' }))).not.toContain('3_x');
  });
});
