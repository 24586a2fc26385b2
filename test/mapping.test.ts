/** One test per row of docs/event-shape.md. */
import { describe, expect, test } from 'vitest';
import { canonicalEvent, classEventToName, createIdSequencer, EVENT_KINDS, fieldsToEvent, parseQueryUser, xmlTimestampToJson } from '../src/mapping.js';

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

  test.each(['Query', 'Init DB', 'Execute', 'Ping', 'Shutdown'])('%s -> general/status with general_data', (name) => {
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

describe('the taxonomy: every XML NAME gets the class/event of the same server\'s JSON writer', () => {
  // One row per NAME: the record as Percona's (or MySQL's) XML writer lays it out, and the
  // event its JSON writer gives the same event (json.cc for the Percona classes).
  const rows: [string, Record<string, string>, Record<string, unknown>][] = [
    ['Startup', { NAME: 'Startup', SERVER_ID: '1', COMMAND_CLASS: 'audit' }, { class: 'audit', event: 'startup', startup_data: { server_id: 1, command_class: 'audit' } }],
    ['Shutdown with SERVER_ID', { NAME: 'Shutdown', SERVER_ID: '7' }, { class: 'audit', event: 'shutdown', shutdown_data: { server_id: 7 } }],
    ['Disconnect', { NAME: 'Disconnect', CONNECTION_ID: '9', STATUS: '0', USER: 'u', CONNECTION_TYPE: 'TCP/IP' }, { class: 'connection', event: 'disconnect', connection_data: { connection_type: 'tcp/ip' } }],
    ['Pre Authenticate', { NAME: 'Pre Authenticate', STATUS: '0', CONNECTION_TYPE: 'Socket' }, { class: 'connection', event: 'pre_authenticate', connection_data: { connection_type: 'socket', status: 0 } }],
    ['Log', { NAME: 'Log', SQLTEXT: 'x' }, { class: 'general', event: 'log', general_data: { command: 'Log', query: 'x' } }],
    ['Error', { NAME: 'Error', STATUS: '1064' }, { class: 'general', event: 'error', general_data: { command: 'Error', status: 1064 } }],
    ['Result', { NAME: 'Result' }, { class: 'general', event: 'result', general_data: { command: 'Result' } }],
    ['Status', { NAME: 'Status' }, { class: 'general', event: 'status', general_data: { command: 'Status' } }],
    ['Variable Get', { NAME: 'Variable Get', COMMAND_CLASS: 'select', CONNECTION_ID: '3', VARIABLE_NAME: 'sql_mode', VARIABLE_VALUE: 'ANSI' }, { class: 'global_variable', event: 'variable_get', connection_id: 3, global_variable_data: { name: 'sql_mode', value: 'ANSI', sql_command: 'select' } }],
    ['Variable Set', { NAME: 'Variable Set', COMMAND_CLASS: 'set_option', VARIABLE_NAME: 'x', VARIABLE_VALUE: '1' }, { class: 'global_variable', event: 'variable_set', global_variable_data: { name: 'x', value: '1', sql_command: 'set_option' } }],
    ['Command Start', { NAME: 'Command Start', STATUS: '0', CONNECTION_ID: '1', COMMAND_CLASS: 'query' }, { class: 'command', event: 'command_start', command_data: { name: 'command_start', status: 0, command: 'query' } }],
    ['Command End', { NAME: 'Command End', STATUS: '0', COMMAND_CLASS: 'query' }, { class: 'command', event: 'command_end', command_data: { name: 'command_end', status: 0, command: 'query' } }],
    ['Query Start', { NAME: 'Query Start', STATUS: '0', COMMAND_CLASS: 'create_table', SQLTEXT: 'CREATE TABLE t1 (c1 INT)' }, { class: 'query', event: 'query_start', query_data: { query: 'CREATE TABLE t1 (c1 INT)', status: 0, sql_command: 'create_table' } }],
    ['Query Nested Start', { NAME: 'Query Nested Start', SQLTEXT: 'q' }, { class: 'query', event: 'query_nested_start', query_data: { query: 'q' } }],
    ['Query Status End', { NAME: 'Query Status End', STATUS: '1146', SQLTEXT: 'q' }, { class: 'query', event: 'query_status_end', query_data: { query: 'q', status: 1146 } }],
    ['Query Nested Status End', { NAME: 'Query Nested Status End', SQLTEXT: 'q' }, { class: 'query', event: 'query_nested_status_end', query_data: { query: 'q' } }],
    ['Auth Flush', { NAME: 'Auth Flush', COMMAND_CLASS: 'Authentication', STATUS: '0', USER: '', HOST: '' }, { class: 'authentication', event: 'auth_flush', account: { user: '', host: '' }, authentication_data: { status: 0 } }],
    ['Auth Authid Create', { NAME: 'Auth Authid Create', COMMAND_CLASS: 'Authentication', STATUS: '0', USER: 'bob', HOST: '%' }, { class: 'authentication', event: 'auth_authid_create', account: { user: 'bob', host: '%' }, authentication_data: { status: 0 } }],
    ['Auth Credential Change', { NAME: 'Auth Credential Change', STATUS: '0' }, { class: 'authentication', event: 'auth_credential_change', authentication_data: { status: 0 } }],
    ['Auth Authid Rename', { NAME: 'Auth Authid Rename', STATUS: '0' }, { class: 'authentication', event: 'auth_authid_rename', authentication_data: { status: 0 } }],
    ['Auth Authid Drop', { NAME: 'Auth Authid Drop', STATUS: '0' }, { class: 'authentication', event: 'auth_authid_drop', authentication_data: { status: 0 } }],
    ['Execute (stored program)', { NAME: 'Execute', COMMAND_CLASS: 'Stored Program', CONNECTION_ID: '8', DB: 'shop', STORED_PROGRAM: 'p1' }, { class: 'stored_program', event: 'execute', connection_id: 8, stored_program_data: { name: 'p1', db: 'shop' } }],
    ['Message', { NAME: 'Message', STATUS: '0', COMMAND_CLASS: 'user', COMPONENT: 'c', PRODUCER: 'p', MESSAGE: 'm' }, { class: 'message', event: 'user', message_data: { component: 'c', producer: 'p', message: 'm' } }],
    ['User', { NAME: 'User', MESSAGE: 'm' }, { class: 'message', event: 'user', message_data: { message: 'm' } }],
    ['Internal', { NAME: 'Internal', MESSAGE: 'm' }, { class: 'message', event: 'internal', message_data: { message: 'm' } }],
    ['Preparse', { NAME: 'Preparse', COMMAND_CLASS: 'Parse', FLAGS: '0', SQLTEXT: 'SELECT 1', REWRITTEN_QUERY: '' }, { class: 'parse', event: 'preparse', parse_data: { flags: 0, query: 'SELECT 1', rewritten_query: '' } }],
    ['Postparse', { NAME: 'Postparse', COMMAND_CLASS: 'Parse', FLAGS: '2', SQLTEXT: 'SELECT 1', REWRITTEN_QUERY: 'SELECT 2' }, { class: 'parse', event: 'postparse', parse_data: { flags: 2, query: 'SELECT 1', rewritten_query: 'SELECT 2' } }],
  ];
  test.each(rows)('%s', (_, f, want) => {
    expect(ev(f)).toMatchObject(want);
    const data = Object.keys(want).find((k) => k.endsWith('_data'))!;
    expect(ev(f)[data]).toEqual(want[data]);
  });

  test('every row of the table has a test above or in the NAME table', () => {
    const tested = new Set([...rows.map((r) => r[1].NAME), 'Audit', 'NoAudit', 'Connect', 'Change user', 'Quit', 'TableRead', 'TableInsert', 'TableUpdate', 'TableDelete']);
    expect(EVENT_KINDS.map((k) => k.name).filter((n) => !tested.has(n))).toEqual([]);
  });

  test('Message takes its event from COMMAND_CLASS', () => {
    expect(ev({ NAME: 'Message', COMMAND_CLASS: 'internal' })).toMatchObject({ class: 'message', event: 'internal' });
  });

  test('Shutdown without SERVER_ID and Execute without STORED_PROGRAM are general commands (COM_SHUTDOWN, COM_EXECUTE)', () => {
    expect(ev({ NAME: 'Shutdown', COMMAND_CLASS: 'shutdown' })).toMatchObject({ class: 'general', event: 'status', general_data: { command: 'Shutdown' } });
    expect(ev({ NAME: 'Execute', COMMAND_CLASS: 'select', SQLTEXT: 'x' })).toMatchObject({ class: 'general', event: 'status', general_data: { command: 'Execute' } });
  });

  test('the message map MAP/ELEMENT/KEY,VALUE becomes message_data.map { key: value }', () => {
    const e = fieldsToEvent({ NAME: 'Message', COMMAND_CLASS: 'user' }, createIdSequencer(), undefined, [['MAP', { element: [{ key: 'a', value: '1' }, { key: 'b', value: 'x' }] }]]);
    expect(e.message_data).toEqual({ map: { a: '1', b: 'x' } });
  });

  test('event spellings: both Percona spellings give the canonical one; classEventToName inverts the table', () => {
    expect(canonicalEvent('query', 'start')).toBe('query_start');
    expect(canonicalEvent('query', 'query_start')).toBe('query_start');
    expect(canonicalEvent('global_variable', 'set')).toBe('variable_set');
    expect(canonicalEvent('authentication', 'flush')).toBe('auth_flush');
    expect(canonicalEvent('audit', 'noaudit')).toBe('shutdown');
    for (const k of EVENT_KINDS) if (k.event !== '' && k.when === undefined && !['Startup', 'Disconnect', 'Status', 'User', 'Internal'].includes(k.name)) expect(classEventToName(k.cls, k.event), k.name).toBe(k.name);
    expect(classEventToName('command', 'start')).toBe('Command Start');
    expect(classEventToName('message', 'user')).toBe('Message');
    expect(classEventToName('general', 'status')).toBeUndefined();
  });
});

describe('unmapped fields are kept', () => {
  test('an element without a mapping row goes into the data object, lower-cased', () => {
    expect(ev({ NAME: 'Query', SQLTEXT: 'x', NEW_THING: 'v' }).general_data).toEqual({ command: 'Query', query: 'x', new_thing: 'v' });
  });

  test('a mapped field this kind does not take is kept too (TABLE on a Query, SQLTEXT on a Connect)', () => {
    expect(ev({ NAME: 'Query', TABLE: 't' }).general_data).toEqual({ command: 'Query', table: 't' });
    expect(ev({ NAME: 'Connect', SQLTEXT: 's', COMMAND_CLASS: 'connect' }).connection_data).toEqual({ sqltext: 's' });
    expect(ev({ NAME: 'Connect', COMMAND_CLASS: 'other' }).connection_data).toEqual({ command_class: 'other' });
    expect(ev({ NAME: 'TableRead', STATUS: '1146' }).table_access_data).toEqual({ status: 1146 });
    expect(ev({ NAME: 'NoAudit', SERVER_ID: '1', OS_VERSION: 'x' }).shutdown_data).toEqual({ server_id: 1, os_version: 'x' });
  });

  test('nested elements become objects, repeated ones arrays; a name the mapping uses keeps its XML spelling', () => {
    const e = fieldsToEvent({ NAME: 'Query', SQLTEXT: 'x' }, createIdSequencer(), undefined, [
      ['TAGS', { tag: ['a', 'b'] }],
      ['NOTE', '1'],
      ['NOTE', '2'],
      ['QUERY', 'other'],
    ]);
    expect(e.general_data).toEqual({ command: 'Query', query: 'x', tags: { tag: ['a', 'b'] }, note: ['1', '2'], QUERY: 'other' });
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
