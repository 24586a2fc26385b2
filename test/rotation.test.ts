/** Names, pruning and the rotating sink as a library (clock injected). */
import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import type { Entry } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { parseAll } from '../src/reader.js';
import { activeName, setLayout, listRotated, rotatedName } from '../src/sinks/naming.js';
import { createRotatingSink } from '../src/sinks/rotating.js';
import { blockRound, placeRotated, prune, pruneCandidates, renameNoClobber, shiftNumbered } from '../src/sinks/rotation.js';
import { entriesOf, saxesRecords } from './helpers.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-rotation-'));
}

const T0 = Date.UTC(2019, 3, 15, 15, 13, 22, 772);

function jsonEntries(records: number, seed = 1): Entry[] {
  return entriesOf(parseAll(Buffer.from(generateLogString({ format: 'json', records, seed }))));
}

describe('names', () => {
  test('each scheme with its layer suffixes, as the servers write them', () => {
    const dir = '/d';
    const mysql = setLayout({ dir, compress: true, encrypt: true, pwdId: '20190414T223342-2' });
    expect(activeName(mysql)).toBe('audit.log.gz.20190414T223342-2.enc');
    expect(rotatedName(mysql, { time: T0 })).toBe('audit.20190415T151322.log.gz.20190414T223342-2.enc');
    expect(rotatedName(mysql, { time: T0, seq: 2 })).toBe('audit.20190415T151322-2.log.gz.20190414T223342-2.enc');
    expect(rotatedName(setLayout({ dir, encrypt: true }), { time: T0 })).toBe('audit.20190415T151322.log.enc');
    expect(rotatedName(setLayout({ dir, naming: 'legacy' }), { time: T0, seq: 7720000 })).toBe('audit.log.15553412027720000');
    expect(rotatedName(setLayout({ dir, naming: 'numbered', rotations: 9 }), { seq: 3 })).toBe('audit.log.3');
    expect(rotatedName(setLayout({ dir, naming: 'numbered' }), { seq: 3 })).toBe('audit.log.03');
    expect(rotatedName(setLayout({ dir, naming: 'numbered', rotations: 100, compress: true }), { seq: 3 })).toBe('audit.log.003.gz');
    expect(() => setLayout({ dir, encrypt: true, pwdId: 'nope' })).toThrow(AuditLogError);
  });

  test('a clash in the same second gets the next -N after the highest in use, never an overwrite', async () => {
    const dir = tmp();
    const set = setLayout({ dir });
    writeFileSync(join(dir, 'audit.20190415T151322.log.gz'), 'older, already compressed');
    writeFileSync(join(dir, 'audit.20190415T151322-4.log'), 'older still');
    const a = join(dir, 'a');
    writeFileSync(a, 'new');
    const { name } = await placeRotated(set, a, { time: T0 });
    expect(name).toBe('audit.20190415T151322-5.log');
    expect(readFileSync(join(dir, 'audit.20190415T151322.log.gz'), 'utf8')).toBe('older, already compressed');
    expect((await listRotated(set)).map((f) => f.name)).toEqual(['audit.20190415T151322.log.gz', 'audit.20190415T151322-4.log', 'audit.20190415T151322-5.log']);
    // Legacy: the next free fraction.
    const legacy = setLayout({ dir, naming: 'legacy' });
    for (const n of ['b', 'c']) writeFileSync(join(dir, n), n);
    expect((await placeRotated(legacy, join(dir, 'b'), { time: T0 })).name).toBe('audit.log.15553412027720000');
    expect((await placeRotated(legacy, join(dir, 'c'), { time: T0 })).name).toBe('audit.log.15553412027720001');
  });

  test('renameNoClobber never replaces a file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a'), 'a');
    writeFileSync(join(dir, 'b'), 'b');
    expect(await renameNoClobber(join(dir, 'a'), join(dir, 'b'))).toBe(false);
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('b');
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('a');
  });

  test('a numbered shift interrupted half-way is completed by the next one, order kept', async () => {
    const dir = tmp();
    const set = setLayout({ dir, naming: 'numbered', rotations: 9 });
    // .1 .2 .3 were being shifted; .3 -> .4 happened, then the process died.
    for (const [n, body] of [['1', 'newest'], ['2', 'middle'], ['4', 'oldest']] as const) writeFileSync(join(dir, `audit.log.${n}`), body);
    expect(await shiftNumbered(set)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['audit.log.2', 'audit.log.3', 'audit.log.4']);
    expect(['2', '3', '4'].map((n) => readFileSync(join(dir, `audit.log.${n}`), 'utf8'))).toEqual(['newest', 'middle', 'oldest']);
  });
});

describe('pruning, as the servers do it', () => {
  const f = (name: string, time: number, size: number) => ({ name, path: name, time, seq: 0, size, compress: false, encrypt: false });
  const files = [f('a', 1000, 5000), f('b', 2000, 5000), f('c', 3000, 5000)];

  test('--max-size: the oldest first while the rotated files together exceed it; rounded down to 4096, under 4096 off', () => {
    expect(blockRound(4095)).toBe(0);
    expect(blockRound(12287)).toBe(8192);
    expect(pruneCandidates(files, { maxSize: 16384, now: 0 }).map((x) => x.name)).toEqual([]); // 15000 fit
    expect(pruneCandidates(files, { maxSize: 16383, now: 0 }).map((x) => x.name)).toEqual(['a']); // 12288: 15000 -> 10000
    expect(pruneCandidates(files, { maxSize: 8192, now: 0 }).map((x) => x.name)).toEqual(['a', 'b']);
  });

  test('--prune-seconds: rotated files strictly older than now minus N; a non-zero --max-size takes precedence', () => {
    expect(pruneCandidates(files, { pruneSeconds: 1, now: 3000 }).map((x) => x.name)).toEqual(['a']); // b is exactly at the point: kept
    expect(pruneCandidates(files, { pruneSeconds: 1, maxSize: 20480, now: 3000 }).map((x) => x.name)).toEqual([]);
    expect(pruneCandidates(files, { pruneSeconds: 1, maxSize: 100, now: 3000 }).map((x) => x.name)).toEqual(['a']); // max-size under 4096 is off
    expect(pruneCandidates(files, { pruneSeconds: 10, now: 3000, keep: new Set(['a']) })).toEqual([]);
  });

  test('on disk: the active file is never pruned, however big or old', async () => {
    const dir = tmp();
    const set = setLayout({ dir });
    writeFileSync(join(dir, 'audit.log'), 'x'.repeat(100_000));
    utimesSync(join(dir, 'audit.log'), new Date(0), new Date(0));
    writeFileSync(join(dir, 'audit.20190101T000000.log'), 'x'.repeat(5000));
    writeFileSync(join(dir, 'audit.20190102T000000.log'), 'x'.repeat(5000));
    writeFileSync(join(dir, 'other.20190101T000000.log'), 'x'); // another set
    expect(await prune(set, { maxSize: 8192, now: Date.now() })).toEqual(['audit.20190101T000000.log']);
    expect(await prune(set, { pruneSeconds: 1, now: Date.now() })).toEqual(['audit.20190102T000000.log']);
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'other.20190101T000000.log']);
  });
});

describe('the rotating sink', () => {
  test('JSON -> NEW XML in 4 KiB pieces: each a whole document with RECORD_IDs from 1, at most one record over', async () => {
    const dir = tmp();
    const entries = jsonEntries(200);
    const sink = createRotatingSink({ dir, to: 'new', rotateOnSize: 4096 + 100, now: () => T0 });
    for (let i = 0; i < entries.length; i += 7) await sink.write(entries.slice(i, i + 7));
    const s = await sink.close();
    expect(s.written).toBe(200);
    expect(s.passedThrough).toBe(0);
    const names = readdirSync(dir);
    expect(names.length).toBe(s.files.length);
    // All rotated in the same (injected) second: -N names, in order.
    expect(s.files.map((f) => f.path.slice(dir.length + 1))).toEqual(s.files.map((_, i) => `audit.20190415T151322${i ? `-${i}` : ''}.log`));
    let total = 0;
    for (const [i, file] of s.files.entries()) {
      const text = readFileSync(file.path, 'utf8');
      const recs = saxesRecords(text);
      expect(recs[0]!.fields.RECORD_ID).toMatch(/^1_/);
      expect(recs.map((r) => Number(r.fields.RECORD_ID!.split('_')[0]))).toEqual(recs.map((_, k) => k + 1));
      const items = entriesOf(parseAll(Buffer.from(text)));
      expect(items[items.length - 1]!.at.offset).toBeLessThanOrEqual(4096);
      if (i < s.files.length - 1) expect(Buffer.byteLength(text) - '</AUDIT>\n'.length).toBeGreaterThan(4096);
      expect(statSync(file.path).mode & 0o777).toBe(0o600);
      total += recs.length;
    }
    expect(total).toBe(200);
  });

  test('--max-size during a conversion: after every rotation the rotated files fit; the numbered active file stays', async () => {
    const dir = tmp();
    const entries = jsonEntries(400, 2);
    const sink = createRotatingSink({ dir, to: 'json', rotateOnSize: 8192, naming: 'numbered', rotations: 999, maxSize: 3 * 8192 + 4096 });
    await sink.write(entries);
    const s = await sink.close();
    expect(s.pruned.length).toBeGreaterThan(0);
    const rotated = await listRotated(setLayout({ dir, naming: 'numbered', rotations: 999 }));
    expect(rotated.reduce((n, f) => n + f.size, 0)).toBeLessThanOrEqual(3 * 8192 + 4096);
    expect(rotated.map((f) => f.name)).toEqual(['audit.log.003', 'audit.log.002', 'audit.log.001']);
    // The newest events are all there: the active file and the kept ones read back as the input's tail.
    const back = [...rotated.map((f) => f.path), join(dir, 'audit.log')].flatMap((p) => entriesOf(parseAll(readFileSync(p))).map((e) => e.event));
    expect(back).toEqual(entries.slice(entries.length - back.length).map((e) => e.event));
    // Each time the oldest went: the fourth file after a shift.
    expect(new Set(s.pruned)).toEqual(new Set(['audit.log.004']));
  });

  test('--prune-seconds during a conversion uses the names: JSON names carry the last event time', async () => {
    const dir = tmp();
    const entries = jsonEntries(400, 3);
    const lastTs = Date.parse(`${entries[entries.length - 1]!.event.timestamp!.replace(' ', 'T')}Z`);
    const sink = createRotatingSink({ dir, to: 'json', rotateOnSize: 8192, pruneSeconds: 60, now: () => lastTs });
    await sink.write(entries);
    const s = await sink.close();
    const kept = await listRotated(setLayout({ dir }));
    const point = lastTs - 60_000;
    for (const f of kept) expect(f.time).toBeGreaterThanOrEqual(Math.floor(point / 1000) * 1000);
    expect(kept[kept.length - 1]!.time).toBe(Math.floor(lastTs / 1000) * 1000);
    expect(s.pruned.length).toBeGreaterThan(0);
    for (const n of s.pruned) {
      const m = /^audit\.(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(?:-\d+)?\.log$/.exec(n)!;
      expect(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)).toBeLessThan(point);
    }
    expect(s.files.length).toBe(kept.length + s.pruned.length);
  });

  test('an existing active file is not replaced', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'audit.log'), 'the server is using this');
    const sink = createRotatingSink({ dir, to: 'json', rotateOnSize: 8192 });
    await expect(sink.write(jsonEntries(3))).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(readdirSync(dir)).toEqual(['audit.log']);
    expect(readFileSync(join(dir, 'audit.log'), 'utf8')).toBe('the server is using this');
  });
});
