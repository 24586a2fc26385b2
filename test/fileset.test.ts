/** File-set discovery: the server's names, the order of first events, the active file last, other files ignored. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { discoverFileSet, parseAuditFileName } from '../src/fileset.js';
import { staticPassword } from '../src/layers/index.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-fileset-'));
}

const json = (...ts: string[]) => `[\n${ts.map((t, i) => `{ "timestamp": "${t}", "id": ${i}, "class": "general", "event": "status" }`).join(',\n')}\n]\n`;

describe('file names', () => {
  test.each([
    ['audit.log', { group: 'audit.log', scheme: 'mysql', active: true, compressed: false, encrypted: false }],
    ['audit.log.gz', { group: 'audit.log', active: true, compressed: true }],
    ['audit.log.20190403T142359-1.enc', { group: 'audit.log', active: true, encrypted: true, pwdId: '20190403T142359-1' }],
    ['audit.log.gz.20190403T142359-1.enc', { active: true, compressed: true, encrypted: true, pwdId: '20190403T142359-1' }],
    ['audit.log.enc', { active: true, encrypted: true }],
    ['audit.20190415T151322.log', { group: 'audit.log', active: false, mark: '20190415T151322' }],
    ['audit.20190415T151322.log.gz.20190414T223342-2.enc', { active: false, mark: '20190415T151322', compressed: true, encrypted: true, pwdId: '20190414T223342-2' }],
    ['audit_filter.20250401T120000-1.log', { group: 'audit_filter.log', active: false, mark: '20250401T120000', seq: 1 }],
    ['audit.log.13951424704434196.xml', { group: 'audit.log', scheme: 'legacy', active: false, mark: '13951424704434196' }],
    ['audit.log.13488316109086370', { group: 'audit.log', scheme: 'legacy', active: false }],
    ['audit.log.01', { group: 'audit.log', scheme: 'numbered', active: false, seq: 1 }],
    ['audit.log.1', { scheme: 'numbered', seq: 1 }],
  ])('%s', (name, want) => {
    expect(parseAuditFileName(name)).toMatchObject(want);
  });

  test.each(['README', 'notes.txt.bak~', 'audit.log.corrupted.15081807937726520.xml', '.gz', 'audit.gz', 'audit.log.12345'])('%s is not an audit log name', (name) => {
    if (name === 'notes.txt.bak~' || name === 'audit.log.12345') expect(parseAuditFileName(name)?.scheme ?? null).not.toBe('legacy');
    else expect(parseAuditFileName(name)).toBeNull();
  });
});

describe('discovery', () => {
  test('a directory: ordered by first event (not by name), the active file last, other files ignored', async () => {
    const dir = tmp();
    // The rotation marks disagree with the events on purpose: the events decide.
    writeFileSync(join(dir, 'audit.20240101T000300.log'), json('2024-01-01 00:00:00', '2024-01-01 00:00:05'));
    writeFileSync(join(dir, 'audit.20240101T000100.log'), json('2024-01-01 00:00:06'));
    writeFileSync(join(dir, 'audit.log'), json('2024-01-01 00:00:01').slice(0, -3)); // active, open, and older events than the others
    writeFileSync(join(dir, 'notes.txt'), 'not an audit log');
    mkdirSync(join(dir, 'sub'));
    const set = await discoverFileSet([dir]);
    expect(set.files.map((f) => basename(f.path))).toEqual(['audit.20240101T000300.log', 'audit.20240101T000100.log', 'audit.log']);
    expect(set.files.map((f) => f.first)).toEqual(['2024-01-01 00:00:00', '2024-01-01 00:00:06', '2024-01-01 00:00:01']);
    expect(set.ignored.map((p) => basename(p))).toEqual(['notes.txt']);
  });

  test('the active file path means its set, even when it does not exist (server stopped)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.20240101T000100.log'), json('2024-01-01 00:00:06'));
    writeFileSync(join(dir, 'other.20240101T000100.log'), json('2024-01-01 00:00:06'));
    const set = await discoverFileSet([join(dir, 'audit.log')]);
    expect(set.files.map((f) => basename(f.path))).toEqual(['audit.20240101T000100.log']);
    expect(set.ignored.map((p) => basename(p))).toEqual(['other.20240101T000100.log']);
  });

  test('two sets in one directory: a usage error naming them', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), json('2024-01-01 00:00:06'));
    writeFileSync(join(dir, 'audit_filter.log'), json('2024-01-01 00:00:06'));
    await expect(discoverFileSet([dir])).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/audit\.log, audit_filter\.log/) });
  });

  test('Percona numbered and legacy names, gzip and AES (real gzip and openssl) in one set', async () => {
    const dir = tmp();
    const xml = (t: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n<AUDIT_RECORD\n  NAME="Query"\n  RECORD="1_x"\n  TIMESTAMP="${t}"\n/>\n`;
    writeFileSync(join(dir, 'audit.log.02'), xml('2024-01-01T00:00:01 UTC'));
    writeFileSync(join(dir, 'audit.log.01'), xml('2024-01-01T00:00:02 UTC'));
    writeFileSync(join(dir, 'audit.log'), xml('2024-01-01T00:00:03 UTC'));
    const set = await discoverFileSet([dir]);
    expect(set.files.map((f) => basename(f.path))).toEqual(['audit.log.02', 'audit.log.01', 'audit.log']);

    const d2 = tmp();
    writeFileSync(join(d2, 'audit.log.13951424704434196.xml'), xml('2014-03-18T11:15:34 UTC'));
    const plain = join(d2, 'p');
    writeFileSync(plain, json('2024-01-01 00:00:00'));
    writeFileSync(join(d2, 'audit.20240101T000000.log.gz'), execFileSync('gzip', ['-c', plain]));
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:pw', '-in', plain, '-out', join(d2, 'audit.20240102T000000.log.20240101T000000-1.enc')]);
    writeFileSync(plain, json('2024-01-03 00:00:00'));
    writeFileSync(join(d2, 'audit.log'), json('2024-01-02 00:00:00'));
    const s2 = await discoverFileSet([d2], { password: staticPassword('pw') });
    expect(s2.files.map((f) => [basename(f.path), f.first])).toEqual([
      ['audit.log.13951424704434196.xml', '2014-03-18 11:15:34'],
      ['audit.20240101T000000.log.gz', '2024-01-01 00:00:00'],
      ['audit.20240102T000000.log.20240101T000000-1.enc', '2024-01-01 00:00:00'],
      ['audit.log', '2024-01-02 00:00:00'],
    ]);
    expect(s2.ignored.map((p) => basename(p))).toEqual(['p']);
  });

  test('an empty directory is an empty set', async () => {
    expect(await discoverFileSet([tmp()])).toMatchObject({ files: [], ignored: [] });
  });

  test('info and convert read a directory as its set, in order', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.20240101T000300.log'), json('2024-01-01 00:00:07'));
    writeFileSync(join(dir, 'audit.20240101T000100.log'), json('2024-01-01 00:00:06'));
    writeFileSync(join(dir, 'README'), 'hello');
    const conv = spawnSync(process.execPath, [CLI, 'convert', dir, '--to', 'ndjson'], { encoding: 'utf8' });
    expect(conv.status).toBe(0);
    expect(conv.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { timestamp: string }).timestamp)).toEqual(['2024-01-01 00:00:06', '2024-01-01 00:00:07']);
    const info = spawnSync(process.execPath, [CLI, 'info', dir, '--json'], { encoding: 'utf8' });
    expect(info.status).toBe(0);
    const r = JSON.parse(info.stdout) as { records: number; files: { file: string }[] };
    expect(r.records).toBe(2);
    expect(r.files.map((f) => basename(f.file))).toEqual(['audit.20240101T000100.log', 'audit.20240101T000300.log']);
  });
});
