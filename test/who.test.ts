/** `who`: a connection id at a time, and mysqlbinlog text annotated with the sessions of the audit files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { annotateBinlog, epochToTimestamp, headerTimeToUtc, parseBinlogHeader, splitLines } from '../src/binlog-text.js';
import type { Entry, AuditEvent } from '../src/entry.js';
import { createSessionIndex } from '../src/session-index.js';
import { attributeBinlog, whoAt } from '../src/who.js';
import { fixture, fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const AUDIT = fixturePath('sessions/who-audit.json');
const BINLOG = fixturePath('sessions/binlog.000042.txt');

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('binlog text', () => {
  test('header lines of mysqlbinlog 5.6 to 8.x, with and without CRC32, hour padded with a blank', () => {
    expect(parseBinlogHeader('#250508 10:06:16 server id 1  end_log_pos 313 CRC32 0xf04d9e5d \tQuery\tthread_id=15\texec_time=0\terror_code=0\n')).toEqual({
      date: '250508 10:06:16',
      serverId: 1,
      endLogPos: 313,
      type: 'Query',
      threadId: 15,
    });
    expect(parseBinlogHeader('#260922  8:26:57 server id 1  end_log_pos 391 CRC32 0x6c072240 \tTable_map: `pln`.`sessions` mapped to number 83')).toMatchObject({ type: 'Table_map', date: '260922 8:26:57' });
    // 5.x without checksums, and the manual's own example (no tab, type after blanks).
    expect(parseBinlogHeader('#200201 11:21:14 server id 330691  end_log_pos 386 \tQuery\tthread_id=17519\texec_time=0\terror_code=0')).toMatchObject({ threadId: 17519 });
    expect(parseBinlogHeader('#100309  9:28:36 server id 123  end_log_pos 245   Query thread_id=3350  exec_time=11  error_code=0')).toMatchObject({ threadId: 3350, type: 'Query' });
    expect(parseBinlogHeader('#231121 23:12:14 server id 1  end_log_pos 6944 CRC32 0x58c16f54 \tQuery\tthread_id=11\texec_time=0\terror_code=0\tXid = 251')).toMatchObject({ threadId: 11 });
    for (const other of ['# at 236', '### INSERT INTO `db`.`t`', '# [empty]', '#not a header', 'SET TIMESTAMP=1746691576/*!*/;']) expect(parseBinlogHeader(other)).toBeUndefined();
  });

  test('SET TIMESTAMP is UTC; header times are read in the zone given', () => {
    expect(epochToTimestamp(1746691576)).toBe('2025-05-08 08:06:16');
    expect(headerTimeToUtc('250508 10:06:16', '+02:00')).toBe('2025-05-08 08:06:16');
    expect(headerTimeToUtc('250508  8:06:16'.replace('  ', ' '), 'UTC')).toBe('2025-05-08 08:06:16');
    expect(headerTimeToUtc('250508 01:00:00', '-05:30')).toBe('2025-05-08 06:30:00');
    expect(headerTimeToUtc('250508 01:00:00', 'Mars/Olympus')).toBeUndefined();
  });

  test('lines are split on LF whatever the chunks, and a last line without one is kept', async () => {
    const parts = ['ab', 'c\nd', 'e\n', '\nf'];
    expect(await collect(splitLines((async function* () { for (const p of parts) yield Buffer.from(p); })()))).toEqual(['abc\n', 'de\n', '\n', 'f']);
  });
});

describe('who --binlog', () => {
  test('two sessions and one unknown: each event header annotated from the audit files, the text otherwise unchanged', async () => {
    const { lines, summary } = attributeBinlog(BINLOG, [AUDIT], { headerZone: '+02:00' });
    const out = await collect(lines);
    const notes = out.filter((l) => l.startsWith('# auditlog:'));
    const original = fixture('sessions/binlog.000042.txt').toString('utf8');
    // Nothing but the annotation lines was added or changed.
    expect(out.filter((l) => !l.startsWith('# auditlog:')).join('')).toBe(original);
    // Each annotation sits right after the header it is about.
    for (let i = 0; i < out.length; i++) if (out[i]!.startsWith('# auditlog:')) expect(parseBinlogHeader(out[i - 1]!)?.threadId ?? parseBinlogHeader(out[i - 1]!)?.type).toBeDefined();
    const app = 'login app, host %, ip 10.0.0.5, client mysql, pid 4242, libmysql 8.0.36, connected 2025-05-08 08:05:00';
    const etl = 'login etl, host 10.0.0.%, ip 10.0.0.9, client nightly-load, pid 777, libmysql 8.0.36, connected 2025-05-08 08:05:10';
    const unknown = 'unknown (no session with this connection id in the audit files at that time)';
    expect(notes).toEqual([
      `# auditlog: thread_id=15 at 2025-05-08 08:06:16 UTC: ${app}\n`,
      `# auditlog: thread_id=15 (the transaction's BEGIN) at 2025-05-08 08:06:16 UTC: ${app}\n`,
      `# auditlog: thread_id=15 (the transaction's BEGIN) at 2025-05-08 08:06:16 UTC: ${app}\n`,
      `# auditlog: thread_id=16 at 2025-05-08 08:07:02 UTC: ${etl}\n`,
      `# auditlog: thread_id=99 at 2025-05-08 08:08:30 UTC: ${unknown}\n`,
      `# auditlog: thread_id=99 (the transaction's BEGIN) at 2025-05-08 08:08:30 UTC: ${unknown}\n`,
      `# auditlog: thread_id=99 (the transaction's BEGIN) at 2025-05-08 08:08:30 UTC: ${unknown}\n`,
    ]);
    // The row events of the insert are the ones annotated as thread 15's.
    const write = out.findIndex((l) => l.includes('Write_rows'));
    expect(out[write + 1]).toContain('thread_id=15');
    expect(out[write + 2]).toBe('### INSERT INTO `shop`.`orders`\n');
    expect(summary).toEqual({ events: 15, attributed: 4, unknown: { 'no-session': 3 } });
  });

  test('the time comes from SET TIMESTAMP, not the header: read with the wrong header zone, the same attributions', async () => {
    const a = await collect(attributeBinlog(BINLOG, [AUDIT], { headerZone: '+02:00' }).lines);
    const b = await collect(attributeBinlog(BINLOG, [AUDIT], { headerZone: '-07:00' }).lines);
    expect(b).toEqual(a);
  });

  test('an event without SET TIMESTAMP takes the header time in the zone given', async () => {
    const text = '# at 4\n#250508 10:06:16 server id 1  end_log_pos 99 \tQuery\tthread_id=15\texec_time=0\terror_code=0\nflush logs\n/*!*/;\n';
    const lines = async function* () { yield text; };
    const index = createSessionIndex((async function* () { yield [] as Entry[]; })());
    const seen: (string | undefined)[] = [];
    await collect(annotateBinlog(splitLines(lines()), async (_id, t) => (seen.push(t), index.at(15, t)), { headerZone: '+02:00' }));
    expect(seen).toEqual(['2025-05-08 08:06:16']);
  });

  test('outside the span of the audit files, and after a restart, a thread id is unknown, not a guess', async () => {
    const ev = (e: AuditEvent): Entry => ({ event: e, format: 'json', at: { file: 'm', offset: 0, end: 0, index: 0 } });
    const entries = [
      ev({ timestamp: '2025-05-08 08:00:00', class: 'connection', event: 'connect', connection_id: 5, login: { user: 'a' }, connection_data: { status: 0 } }),
      ev({ timestamp: '2025-05-08 09:00:00', class: 'audit', event: 'startup', connection_id: 0 }),
      ev({ timestamp: '2025-05-08 09:30:00', class: 'connection', event: 'connect', connection_id: 5, login: { user: 'b' }, connection_data: { status: 0 } }),
      ev({ timestamp: '2025-05-08 10:00:00', class: 'connection', event: 'disconnect', connection_id: 5, login: { user: 'b' }, connection_data: {} }),
    ];
    const index = createSessionIndex((async function* () { yield entries; })());
    expect(await index.at(5, '2025-05-08 07:59:59')).toEqual({ unknown: 'outside-audit-span' });
    const first = await index.at(5, '2025-05-08 08:30:00');
    expect('sessions' in first && first.sessions.map((s) => s.login_user)).toEqual(['a']);
    // Between the restart and the new connect, id 5 belonged to no one in the audit files.
    expect(await index.at(5, '2025-05-08 09:10:00')).toEqual({ unknown: 'no-session' });
    const second = await index.at(5, '2025-05-08 09:45:00');
    expect('sessions' in second && second.sessions.map((s) => s.login_user)).toEqual(['b']);
    expect(await index.at(5, '2025-05-08 11:00:00')).toEqual({ unknown: 'outside-audit-span' });
  });

  test('the CLI reads the binlog text from stdin too, and gives the same output', () => {
    const fromFile = spawnSync(process.execPath, [CLI, 'who', '--binlog', BINLOG, AUDIT, '--binlog-tz', '+02:00'], { encoding: 'utf8' });
    const fromStdin = spawnSync(process.execPath, [CLI, 'who', '--binlog', '-', AUDIT, '--binlog-tz', '+02:00'], { encoding: 'utf8', input: fixture('sessions/binlog.000042.txt') });
    expect(fromFile.status).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(fromFile.stdout.split('\n').filter((l) => l.startsWith('# auditlog:'))).toHaveLength(7);
    expect(fromFile.stderr).toBe('15 events, 4 attributed to a session, 3 unknown\n');
  });
});

describe('who CONNECTION_ID --at TIME', () => {
  test('the session that had the id at that time, finished; an id nobody had is unknown (exit 1)', async () => {
    const a = await whoAt([AUDIT], 16, '2025-05-08 08:06:00');
    expect('sessions' in a && a.sessions.map((s) => [s.login_user, s.connect_time, s.disconnect_time, s.statements])).toEqual([['etl', '2025-05-08 08:05:10', '2025-05-08 08:09:00', 2]]);
    expect(await whoAt([AUDIT], 16, '2025-05-08 08:09:30')).toEqual({ unknown: 'no-session' });
    const p = spawnSync(process.execPath, [CLI, 'who', '15', '--at', '2025-05-08 08:06:16', AUDIT, '--json'], { encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect((JSON.parse(p.stdout) as { program_name: string }[]).map((s) => s.program_name)).toEqual(['mysql']);
    const none = spawnSync(process.execPath, [CLI, 'who', '99', '--at', '2025-05-08 08:06:16', AUDIT], { encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('unknown');
  });
});

/**
 * The audit file of these tests as Percona audit_log_filter would time it on a server at
 * +02:00: every time two hours later, and local (JSON as our writers write local times).
 */
function localAudit(): string {
  const events = JSON.parse(fixture('sessions/who-audit.json').toString('utf8')) as AuditEvent[];
  const shifted = events.map(({ timestamp, ...rest }) => {
    const t = new Date(Date.parse(`${timestamp!.replace(' ', 'T')}Z`) + 2 * 3600_000).toISOString();
    return { timestamp: `${t.slice(0, 10)} ${t.slice(11, 19)}`, time_zone: 'local', ...rest };
  });
  const path = join(mkdtempSync(join(tmpdir(), 'auditlog-who-')), 'audit.log');
  writeFileSync(path, `[\n${shifted.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
  return path;
}

describe('who over local times (Percona audit_log_filter)', () => {
  test('--binlog refuses audit times it cannot compare with UTC, naming the file and record; with sourceTz the attributions are those of UTC files', async () => {
    const local = localAudit();
    const refused = attributeBinlog(BINLOG, [local], { headerZone: '+02:00' });
    await expect(collect(refused.lines)).rejects.toMatchObject({ code: 'INVALID_OPTION', ctx: { file: local, index: 0 }, message: expect.stringContaining('--source-tz') });
    const converted = await collect(attributeBinlog(BINLOG, [local], { headerZone: '+02:00', sourceTz: '+02:00' }).lines);
    const utc = await collect(attributeBinlog(BINLOG, [AUDIT], { headerZone: '+02:00' }).lines);
    expect(converted.filter((l) => l.startsWith('# auditlog:')).length).toBe(7);
    expect(converted).toEqual(utc);
    // The CLI: exit 2, the reason on stderr, and no annotated text.
    const p = spawnSync(process.execPath, [CLI, 'who', '--binlog', BINLOG, local, '--binlog-tz', '+02:00'], { encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr).toContain(`${local}: byte 2: record #0: INVALID_OPTION: its times are the server's local time`);
    expect(p.stdout).toBe('');
    const ok = spawnSync(process.execPath, [CLI, 'who', '--binlog', BINLOG, local, '--binlog-tz', '+02:00', '--source-tz', '+02:00'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(utc.join(''));
  });

  test('--at takes local files in their own zone, and marks the session local; files of local and UTC times are refused', async () => {
    const local = localAudit();
    const a = await whoAt([local], 15, '2025-05-08 10:06:16');
    expect('sessions' in a && a.sessions.map((s) => [s.login_user, s.connect_time, s.time_zone])).toEqual([['app', '2025-05-08 10:05:00', 'local']]);
    const utc = await whoAt([local], 15, '2025-05-08 08:06:16', { sourceTz: '+02:00' });
    expect('sessions' in utc && utc.sessions.map((s) => [s.login_user, s.connect_time, s.time_zone])).toEqual([['app', '2025-05-08 08:05:00', undefined]]);
    const cli = spawnSync(process.execPath, [CLI, 'who', '15', '--at', '2025-05-08 08:06:16', local, '--source-tz', '+02:00', '--json'], { encoding: 'utf8' });
    expect(cli.status).toBe(0);
    expect((JSON.parse(cli.stdout) as { connect_time: string; time_zone?: string }[]).map((s) => [s.connect_time, s.time_zone])).toEqual([['2025-05-08 08:05:00', undefined]]);
    await expect(whoAt([AUDIT, local], 16, '2025-05-08 09:00:00')).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('those of the audit records before it UTC') });
    await expect(whoAt([local, AUDIT], 16, '2025-05-08 11:00:00')).rejects.toMatchObject({ code: 'INVALID_OPTION', ctx: { file: AUDIT } });
  });
});

test('with --source-tz, a record whose time stays local (it has none, only the mark) does not stop who --binlog', async () => {
  const local = localAudit();
  const text = readFileSync(local, 'utf8').replace('"timestamp":"2025-05-08 10:06:16",', '');
  expect(text).not.toBe(readFileSync(local, 'utf8'));
  writeFileSync(local, text);
  const out = await collect(attributeBinlog(BINLOG, [local], { headerZone: '+02:00', sourceTz: '+02:00' }).lines);
  expect(out.filter((l) => l.startsWith('# auditlog:')).length).toBe(7);
});
