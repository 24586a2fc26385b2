/**
 * `read` and `bookmark`: positioning (bookmark, start time with and without
 * its time part), `--max-array-length`, the trailing `null`, an unknown
 * bookmark, the same second at a file boundary, empty and foreign
 * directories, binary search in large files, state errors; the built CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateLog, generateLogString } from '../bench/generate.js';
import type { AuditEvent } from '../src/entry.js';
import { discoverFileSet } from '../src/fileset.js';
import { newestBookmark, readEvents, runRead, type ReadEventsOptions } from '../src/read.js';
import { readAuditLog } from '../src/reader.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-read-'));
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

const ev = (ts: string, id: number, q: string) => `{ "timestamp": "${ts}", "id": ${id}, "class": "general", "event": "status", "general_data": { "command": "Query", "query": "${q}" } }`;
const jsonFile = (...events: string[]) => `[\n${events.join(',\n')}\n]\n`;
const xmlRec = (ts: string, q: string) => ` <AUDIT_RECORD>\n  <TIMESTAMP>${ts.replace(' ', 'T')} UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <SQLTEXT>${q}</SQLTEXT>\n </AUDIT_RECORD>\n`;
const xmlFile = (...recs: string[]) => `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${recs.join('')}</AUDIT>\n`;

/** A small set: two rotated files and the active one; the same second (00:00:02) spans the first boundary. */
function smallSet(format: 'json' | 'xml'): string {
  const dir = tmp();
  if (format === 'json') {
    writeFileSync(join(dir, 'audit.20240101T000002.log'), jsonFile(ev('2024-01-01 00:00:01', 0, 'a'), ev('2024-01-01 00:00:02', 0, 'b'), ev('2024-01-01 00:00:02', 1, 'c')));
    writeFileSync(join(dir, 'audit.20240102T000000.log'), jsonFile(ev('2024-01-01 00:00:02', 2, 'd'), ev('2024-01-01 00:00:03', 0, 'e')));
    writeFileSync(join(dir, 'audit.log'), `[\n${ev('2024-01-02 10:00:00', 0, 'f')},\n${ev('2024-01-02 10:00:00', 1, 'g')}`);
  } else {
    writeFileSync(join(dir, 'audit.20240101T000002.log'), xmlFile(xmlRec('2024-01-01 00:00:01', 'a'), xmlRec('2024-01-01 00:00:02', 'b'), xmlRec('2024-01-01 00:00:02', 'c')));
    writeFileSync(join(dir, 'audit.20240102T000000.log'), xmlFile(xmlRec('2024-01-01 00:00:02', 'd'), xmlRec('2024-01-01 00:00:03', 'e')));
    writeFileSync(join(dir, 'audit.log'), `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${xmlRec('2024-01-02 10:00:00', 'f')}${xmlRec('2024-01-02 10:00:00', 'g')}`);
  }
  return dir;
}

async function read(dir: string, opts: ReadEventsOptions = {}): Promise<{ events: AuditEvent[]; more: boolean; text: string }> {
  let text = '';
  const { result } = await runRead({ paths: [dir], ...opts }, async (t) => {
    text += t;
  });
  const arr = JSON.parse(text) as (AuditEvent | null)[];
  expect(arr.slice(0, -1)).not.toContain(null);
  return { events: arr.filter((x): x is AuditEvent => x !== null), more: result.more, text };
}

const q = (es: AuditEvent[]) => es.map((e) => `${e.general_data?.query}:${e.id}`);

describe.each(['json', 'xml'] as const)('read, %s set', (format) => {
  const dir = smallSet(format);

  test('no position: every event from the oldest, ids per second across the file boundary, then null', async () => {
    const r = await read(dir);
    expect(q(r.events)).toEqual(['a:0', 'b:0', 'c:1', 'd:2', 'e:0', 'f:0', 'g:1']);
    expect(r.more).toBe(false);
    expect(r.text.endsWith(',\nnull\n]\n')).toBe(true);
  });

  test('a bookmark at the second event of a second that spans two files', async () => {
    expect(q((await read(dir, { bookmark: { timestamp: '2024-01-01 00:00:02', id: 2 } })).events)).toEqual(['d:2', 'e:0', 'f:0', 'g:1']);
    expect(q((await read(dir, { bookmark: { timestamp: '2024-01-01 00:00:02', id: 1 } })).events)).toEqual(['c:1', 'd:2', 'e:0', 'f:0', 'g:1']);
  });

  test('--start with a time: the first event at or after it, even when the second began in the previous file', async () => {
    expect(q((await read(dir, { start: '2024-01-01 00:00:02' })).events)).toEqual(['b:0', 'c:1', 'd:2', 'e:0', 'f:0', 'g:1']);
    expect(q((await read(dir, { start: '2024-01-01 00:00:04' })).events)).toEqual(['f:0', 'g:1']);
  });

  test('--start with a date only means its midnight', async () => {
    expect(q((await read(dir, { start: '2024-01-02' })).events)).toEqual(['f:0', 'g:1']);
    expect(q((await read(dir, { start: '2024-01-01' })).events)).toHaveLength(7);
    const after = await read(dir, { start: '2024-01-03' });
    expect(after.events).toEqual([]);
    expect(after.text).toBe('[\nnull\n]\n');
  });

  test('--max-array-length: at most N events, and null only when nothing is left', async () => {
    const r = await read(dir, { maxArrayLength: 2 });
    expect(q(r.events)).toEqual(['a:0', 'b:0']);
    expect(r.more).toBe(true);
    expect(r.text).not.toMatch(/null/);
    const last = await read(dir, { start: '2024-01-02', maxArrayLength: 2 });
    expect(q(last.events)).toEqual(['f:0', 'g:1']);
    expect(last.more).toBe(false);
    expect(last.text.endsWith('null\n]\n')).toBe(true);
  });

  test('a bookmark that names no event: BOOKMARK_NOT_FOUND naming the events around it', async () => {
    await expect(read(dir, { bookmark: { timestamp: '2024-01-01 00:00:02', id: 7 } })).rejects.toMatchObject({
      code: 'BOOKMARK_NOT_FOUND',
      message: expect.stringMatching(/before it is \{"timestamp":"2024-01-01 00:00:02","id":2\}, the next one is \{"timestamp":"2024-01-01 00:00:03","id":0\}/),
    });
    await expect(read(dir, { bookmark: { timestamp: '2030-01-01 00:00:00', id: 0 } })).rejects.toMatchObject({ code: 'BOOKMARK_NOT_FOUND', message: expect.stringMatching(/no event is after it/) });
  });

  test('bookmark: the newest event, with its id counted across the file boundary when needed', async () => {
    expect((await newestBookmark(await discoverFileSet([dir]))).bookmark).toEqual({ timestamp: '2024-01-02 10:00:00', id: 1 });
    const d2 = smallSet(format);
    // No active file: the newest rotated file; its last second (00:00:02 ... 00:00:03) started in the file before.
    writeFileSync(join(d2, 'audit.log'), format === 'json' ? '[\n' : '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n');
    expect((await newestBookmark(await discoverFileSet([d2]))).bookmark).toEqual({ timestamp: '2024-01-01 00:00:03', id: 0 });
  });
});

describe('read: the command', () => {
  test('an empty directory: an empty array ending with null, exit 0, a note; bookmark prints null', () => {
    const dir = tmp();
    const r = cli(['read', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('[\nnull\n]\n');
    expect(r.stderr).toMatch(/no audit log files found/);
    const b = cli(['bookmark', dir]);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe('null\n');
  });

  test('a directory holding only other files: nothing read, they are listed with --verbose', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'error.log'), '2024-01-01T00:00:00.000000Z 0 [System] [MY-010116] [Server] starting\n');
    writeFileSync(join(dir, 'my.cnf'), '[mysqld]\n');
    writeFileSync(join(dir, 'ib_logfile0'), Buffer.alloc(64, 7));
    const r = cli(['read', dir, '--verbose']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('[\nnull\n]\n');
    expect(r.stderr).toMatch(/ignored .*error\.log/);
    expect(r.stderr).toMatch(/ignored .*my\.cnf/);
    expect(r.stderr).toMatch(/ignored .*ib_logfile0/);
  });

  test('--bookmark, --ndjson and an unknown bookmark (exit 3, nearest events named)', () => {
    const dir = smallSet('json');
    const r = cli(['read', dir, '--bookmark', '{"timestamp":"2024-01-01 00:00:03","id":0}', '--ndjson']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as AuditEvent).general_data?.query)).toEqual(['e', 'f', 'g']);
    const bad = cli(['read', dir, '--bookmark', '{"timestamp":"2024-01-01 00:00:03","id":4}']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/BOOKMARK_NOT_FOUND.*"id":0\}.*"2024-01-02 10:00:00"/);
    expect(cli(['read', dir, '--bookmark', '{"timestamp":"2024-01-01 00:00:03"}']).status).toBe(2);
    expect(cli(['read', dir, '--start', 'yesterday']).status).toBe(2);
    const b = cli(['bookmark', join(dir, 'audit.log')]);
    expect(b.stdout).toBe('{"timestamp":"2024-01-02 10:00:00","id":1}\n');
  });

  test('a state from a newer version, and a state whose file is gone: clear errors, exit 3, nothing printed', () => {
    const dir = smallSet('json');
    const st = join(tmp(), 'st');
    writeFileSync(st, JSON.stringify({ version: 99, cursor: null }));
    const newer = cli(['read', dir, '--state', st]);
    expect(newer.status).toBe(3);
    expect(newer.stdout).toBe('');
    expect(newer.stderr).toMatch(/STATE_INVALID: state file was written by a newer auditlog \(state version 99/);
    writeFileSync(st, JSON.stringify({ version: 1, cursor: { file: { name: 'audit.20230101T000000.log', fingerprint: '00', fingerprintBytes: 100 }, offset: 50, last: { timestamp: '2024-01-01 00:00:01', id: 0 } } }));
    const gone = cli(['read', dir, '--state', st]);
    expect(gone.status).toBe(3);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toMatch(/STATE_INVALID: the file the state points at \(audit\.20230101T000000\.log.*no longer in the set/);
  });
});

describe('read: binary search in a large file', () => {
  // A 6 MiB plain JSON file and the same events as NEW XML (ids computed), and as an AES file.
  const dir = tmp();
  const dirXml = tmp();
  const json = join(dir, 'audit.log');
  const xml = join(dirXml, 'audit.log');
  writeFileSync(json, [...generateLog({ format: 'json', bytes: 6 << 20, seed: 9 })].join(''));
  writeFileSync(xml, [...generateLog({ format: 'new', bytes: 6 << 20, seed: 9 })].join(''));

  test.each([
    ['json', json],
    ['new', xml],
  ])('%s: bookmarks anywhere give what a read from the start gives, parsing a small part of the file', async (_f, path) => {
    const all: AuditEvent[] = [];
    for await (const e of readAuditLog(path, { keepRaw: false })) all.push(e.event);
    const set = await discoverFileSet([path]);
    for (const k of [0, 1, 7, Math.floor(all.length / 3), all.length - 40, all.length - 1]) {
      const b = all[k]!;
      const r = readEvents(set, { bookmark: { timestamp: b.timestamp!, id: b.id! }, maxArrayLength: 20 });
      const got: AuditEvent[] = [];
      for await (const batch of r.events) got.push(...batch);
      expect(got).toEqual(all.slice(k, k + 20));
      if (k > 100) expect(r.result.stats.bytesParsed).toBeLessThan(1 << 20);
    }
  });

  test('AES (openssl-written): the same search reads a few blocks, not the file', async () => {
    const enc = join(dir, 'audit.20240101T000000.log.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:pw', '-in', json, '-out', enc], { stdio: 'pipe' });
    const { staticPassword } = await import('../src/layers/index.js');
    const all: AuditEvent[] = [];
    for await (const e of readAuditLog(json, { keepRaw: false })) all.push(e.event);
    const set = await discoverFileSet([enc], { password: staticPassword('pw') });
    const b = all[all.length - 100]!;
    const r = readEvents(set, { bookmark: { timestamp: b.timestamp!, id: b.id! }, maxArrayLength: 5, password: staticPassword('pw') });
    const got: AuditEvent[] = [];
    for await (const batch of r.events) got.push(...batch);
    expect(got).toEqual(all.slice(all.length - 100, all.length - 95));
    expect(r.result.stats.bytesIn).toBeLessThan(1 << 20);
  });
});

test('generated logs are what the search assumes: timestamps never go backwards', () => {
  const t = generateLogString({ format: 'json', records: 2000, seed: 9 });
  const ts = [...t.matchAll(/"timestamp": "([^"]+)"/g)].map((m) => m[1]!);
  expect([...ts].sort()).toEqual(ts);
});

test('local times (Percona audit_log_filter) come out marked "time_zone": "local", as the JSON writers mark them; UTC ones unmarked', async () => {
  for (const [fixture, local] of [
    ['fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-json.json', true],
    ['fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml', true],
    ['fixtures/public/mysql-refman/refman-9-new-xml-sample.xml', false],
  ] as const) {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), readFileSync(join(ROOT, fixture)));
    const { events } = await read(dir);
    expect(events.length).toBeGreaterThan(2);
    for (const e of events) expect(e.time_zone).toBe(local ? 'local' : undefined);
    // Read back as JSON, the entries know their times are local again, and the marks are gone from the events.
    const back = join(dir, 'back.json');
    writeFileSync(back, `[\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
    for await (const e of readAuditLog(back, { keepRaw: false })) {
      expect(e.timeZone).toBe(local ? 'local' : 'utc');
      expect(e.event.time_zone).toBeUndefined();
    }
  }
});
