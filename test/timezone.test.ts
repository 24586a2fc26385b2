/**
 * Time zones: each entry knows whether its time is UTC or the server's local time;
 * writers never write a local time as UTC; --source-tz converts local times to UTC on
 * read (ids recomputed); info names the zone; --since/--until take Z, " UTC" and +hh:mm.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Entry } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { normaliseTime } from '../src/filter.js';
import { inspect } from '../src/info.js';
import { parseAll } from '../src/reader.js';
import { createZoneConverter } from '../src/timezone.js';
import { fixture, fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const ALF_NEW = 'public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml';
const ALF_JSON = 'public/percona-audit-log-filter-docs/ps-8.4-alf-json.json';
const entries = (bytes: Buffer, opts = {}) => parseAll(bytes, opts).filter((x): x is Entry => !(x instanceof AuditLogError));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('which zone an entry is in, from the dialect', () => {
  test.each([
    [ALF_NEW, 'local'],
    ['public/percona-audit-log-filter-docs/ps-8.4-alf-old.xml', 'local'],
    [ALF_JSON, 'local'],
    ['public/mysql-utilities/audit.log.13951424704434196.xml', 'utc'],
    ['public/mysql-utilities/audit.log.13488316109086370', 'utc'], // 5.5: no suffix, no RECORD_ID, UTC
    ['public/mysql-refman/refman-9-json-event-examples.json', 'utc'],
    ['public/elastic/beats-mysql_audit_test.log', 'utc'],
    ['percona/old-format-8.0-fragment.xml', 'utc'], // Percona classic: Z
    ['percona/csv-format-5.7-2021.csv', 'utc'],
  ])('%s: %s', (file, zone) => {
    const es = entries(fixture(file));
    expect(es.length).toBeGreaterThan(0);
    expect(new Set(es.map((e) => e.timeZone))).toEqual(new Set([zone]));
  });
});

describe('a local-time source converted, without --source-tz: never written as UTC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-'));
  for (const to of ['new', 'old', 'json', 'ndjson', 'csv'] as const) {
    test(`to ${to}`, () => {
      const out = join(dir, `plain.${to}`);
      const p = cli('convert', fixturePath(ALF_NEW), '--to', to, '-o', out);
      expect(p.status, p.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      expect(text).not.toMatch(/UTC/);
      if (to === 'new') expect(text).toContain('<TIMESTAMP>2023-03-29T11:11:43</TIMESTAMP>');
      if (to === 'old') expect(text).toContain('TIMESTAMP="2023-03-29T11:11:43"');
      if (to === 'json') expect(text).toContain('{ "timestamp": "2023-03-29 11:11:43", "time_zone": "local", "id": 0,');
      if (to === 'ndjson') expect(text.split('\n')[0]).toMatch(/^\{"timestamp":"2023-03-29 11:11:43","time_zone":"local",/);
      if (to === 'csv') expect(text).toContain('{""time_zone"":""local""}');
      // Read back: still local, same times.
      if (to !== 'csv') {
        const back = entries(readFileSync(out));
        expect(back.map((e) => e.timeZone)).toEqual(back.map(() => 'local'));
        expect(back.map((e) => e.event.timestamp)).toEqual(entries(fixture(ALF_NEW)).map((e) => e.event.timestamp));
        expect(back.every((e) => e.event.time_zone === undefined)).toBe(true);
      }
    });
  }
});

describe('--source-tz: local times become UTC on read, ids recomputed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-'));
  for (const to of ['new', 'old', 'json'] as const) {
    test(`to ${to}, --source-tz Europe/Berlin (CEST, +02:00 on 2023-03-29)`, () => {
      const out = join(dir, `berlin.${to}`);
      const p = cli('convert', fixturePath(ALF_NEW), '--to', to, '--source-tz', 'Europe/Berlin', '-o', out);
      expect(p.status, p.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      if (to === 'new') expect(text).toContain('<TIMESTAMP>2023-03-29T09:11:43 UTC</TIMESTAMP>');
      if (to === 'old') expect(text).toContain('TIMESTAMP="2023-03-29T09:11:43 UTC"');
      if (to === 'json') {
        expect(text).toContain('{ "timestamp": "2023-03-29 09:11:43", "id": 0,');
        expect(text).not.toContain('"time_zone": "local"');
        // Events only Percona's filter writes say UTC, or a reader would take them for its local time.
        expect(text).toContain('"class": "command"');
        expect(text).toContain('{ "timestamp": "2023-03-29 09:11:45", "time_zone": "UTC", "id": 0, "class": "command"');
      }
      const back = entries(readFileSync(out));
      expect(back.every((e) => e.timeZone === 'utc')).toBe(true);
      expect(back.map((e) => e.event.timestamp)).toEqual(['2023-03-29 09:11:43', '2023-03-29 09:11:45', '2023-03-29 09:11:45', '2023-03-29 09:11:45', '2023-03-29 09:11:45', '2023-03-29 09:11:45']);
    });
  }

  test('ids are the per-second sequence of the UTC times (a zone with a half-hour offset moves records across seconds only as a whole)', () => {
    // Two local seconds that are one UTC second apart keep one sequence each.
    const es = entries(fixture(ALF_NEW), { sourceTz: '+05:30' });
    expect(es.map((e) => [e.event.timestamp, e.event.id])).toEqual([
      ['2023-03-29 05:41:43', 0],
      ['2023-03-29 05:41:45', 0],
      ['2023-03-29 05:41:45', 1],
      ['2023-03-29 05:41:45', 2],
      ['2023-03-29 05:41:45', 3],
      ['2023-03-29 05:41:45', 4],
    ]);
    // Converted records are no longer their bytes: never passed through unchanged.
    expect(es.every((e) => e.raw === undefined)).toBe(true);
  });

  test('JSON: converted timestamp, the server ids kept', () => {
    const es = entries(fixture(ALF_JSON), { sourceTz: 'UTC' });
    expect(es.every((e) => e.timeZone === 'utc')).toBe(true);
    expect(es.map((e) => e.event.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(entries(fixture(ALF_JSON), { sourceTz: '-03:00' })[0]!.event.timestamp).toBe('2023-03-29 14:17:03');
  });

  test('UTC sources are not touched', () => {
    const f = 'public/mysql-utilities/audit.log.13951424704434196.xml';
    expect(entries(fixture(f), { sourceTz: 'Asia/Tokyo' }).map((e) => e.event.timestamp)).toEqual(entries(fixture(f)).map((e) => e.event.timestamp));
  });

  test('a zone that does not exist is a usage error (exit 2)', () => {
    const p = cli('convert', fixturePath(ALF_NEW), '--to', 'json', '--source-tz', 'Mars/Olympus');
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/INVALID_OPTION.*Mars\/Olympus/);
    expect(() => createZoneConverter('+25:00')).toThrow(AuditLogError);
  });

  test('daylight saving: the offset of the instant, not of the day', () => {
    const ny = createZoneConverter('America/New_York');
    expect(ny('2023-01-15 12:00:00')).toBe('2023-01-15 17:00:00');
    expect(ny('2023-07-15 12:00:00')).toBe('2023-07-15 16:00:00');
  });
});

describe('info names the zone', () => {
  test('library: UTC, server local time, or both', async () => {
    expect((await inspect(fixturePath(ALF_NEW))).timeZone).toBe('server local time, zone unknown');
    expect((await inspect(fixturePath('public/mysql-refman/refman-9-json-event-examples.json'))).timeZone).toBe('UTC');
    expect((await inspect(fixturePath(ALF_NEW), { sourceTz: 'Europe/Berlin' })).timeZone).toBe('UTC');
  });
  test('CLI: the time line says it; --source-tz shows UTC', () => {
    expect(cli('info', fixturePath(ALF_NEW)).stdout).toMatch(/time +2023-03-29 11:11:43 \.\. 2023-03-29 11:11:45 \(server local time, zone unknown\)/);
    expect(cli('info', '--source-tz', 'Europe/Berlin', fixturePath(ALF_NEW)).stdout).toMatch(/time +2023-03-29 09:11:43 \.\. 2023-03-29 09:11:45 \(UTC\)/);
  });
});

describe('--since / --until', () => {
  test('Z, " UTC" and +hh:mm are accepted; an offset is converted to UTC', () => {
    expect(normaliseTime('2019-10-03 14:00:00Z', false)).toBe('2019-10-03 14:00:00');
    expect(normaliseTime('2019-10-03T14:00 UTC', false)).toBe('2019-10-03 14:00:00');
    expect(normaliseTime('2019-10-03 16:00:00+02:00', false)).toBe('2019-10-03 14:00:00');
    expect(normaliseTime('2019-10-03 09:30-04:30', true)).toBe('2019-10-03 14:00:59');
    expect(normaliseTime('2019-12-31', true)).toBe('2019-12-31 23:59:59');
  });
  test.each(['2019-13-45', '2014-02-30', '2019-10-03 24:00:00', '2019-10-03 12:60', 'yesterday', '2019-10-03+15:00'])('%s is a usage error', (t) => {
    expect(() => normaliseTime(t, false)).toThrow(AuditLogError);
  });
  test('CLI: an impossible date exits 2', () => {
    const p = cli('convert', fixturePath(ALF_NEW), '--to', 'json', '--since', '2014-02-30');
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/INVALID_OPTION/);
  });
  test('leap day exists in a leap year only', () => {
    expect(normaliseTime('2024-02-29', false)).toBe('2024-02-29 00:00:00');
    expect(() => normaliseTime('2023-02-29', false)).toThrow(AuditLogError);
  });
});
