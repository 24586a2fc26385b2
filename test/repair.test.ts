/**
 * repair on plain files: at every cut point of real fixtures (with and
 * without a NUL tail, read from the end or whole), the repaired file parses
 * strictly and is exactly the complete records before the cut plus the
 * format's footer; whole files are left alone; salvage; safety rules.
 */
import { appendFileSync, existsSync, linkSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { repair, repairBuffer } from '../src/repair/index.js';
import { fixture, fixturePath } from './helpers.js';
import { SCRATCH, recordEnds, repairBytes, strictRecords } from './repair-oracle.js';

type Kind = 'new' | 'old' | 'json' | 'jsonl' | 'csv';
const FOOTER: Record<Kind, string> = { new: '\n</AUDIT>\n', old: '\n</AUDIT>\n', json: '\n]\n', jsonl: '\n', csv: '\n' };
const FRAMING = { new: 'xml', old: 'xml', json: 'json-array', jsonl: 'lines', csv: 'lines' } as const;

const CASES: [string, Kind, Buffer][] = [
  ['NEW (Percona filter docs)', 'new', fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml')],
  ['OLD (Percona filter docs)', 'old', fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-old.xml')],
  ['JSON (MySQL manual, records over several lines)', 'json', fixture('public/mysql-refman/refman-9-json-event-examples.json')],
  ['JSON (Percona filter, pretty-printed)', 'json', fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-json.json')],
  // Percona's plugin writes a new header at every open: two documents back to back.
  ['Percona OLD, two documents back to back', 'old', Buffer.concat([fixture('percona/old-format-5.6-2014.xml'), fixture('percona/old-format-5.7-2021.xml')])],
  ['Percona JSON lines', 'jsonl', fixture('percona/json-format-8.0-charmed-mysql.json')],
  // Its first 14 records (the ninth spans three lines): every cut of the whole file takes minutes on a busy machine.
  ['Percona CSV (records over several lines)', 'csv', fixture('percona/csv-mtr-filter-commands.csv').subarray(0, 1984)],
];

/** What repair must write for the first `k` bytes of `orig`, when at least one record is complete there. */
function expected(orig: Buffer, kind: Kind, k: number): { bytes: Buffer; records: number } | undefined {
  if (k >= orig.length) return { bytes: orig, records: recordEnds(orig, kind).length };
  const ends = recordEnds(orig, kind).filter((e) => e <= k);
  if (ends.length === 0) return undefined;
  return { bytes: Buffer.concat([orig.subarray(0, ends[ends.length - 1]), Buffer.from(FOOTER[kind])]), records: ends.length };
}

describe('repair at every cut point of real fixtures', () => {
  for (const [name, kind, orig] of CASES) {
    it(`${name}: every cut, with and without a NUL tail, read from the end and whole`, async () => {
      const total = recordEnds(orig, kind).length;
      expect(total).toBeGreaterThan(1);
      // The NUL tail's length and the window read from the end are drawn by fast-check (fixed seed).
      const draws = fc.sample(fc.record({ nuls: fc.integer({ min: 1, max: 5000 }), window: fc.integer({ min: 16, max: 4096 }), onDisk: fc.integer({ min: 0, max: 49 }) }), { seed: 20261201, numRuns: orig.length + 1 });
      for (let k = 0; k <= orig.length; k++) {
        const cut = orig.subarray(0, k);
        const { nuls, window, onDisk } = draws[k]!;
        const variants = [
          { input: cut, opts: {} },
          { input: Buffer.concat([cut, Buffer.alloc(nuls)]), opts: { tailWindow: window } },
        ];
        for (const { input, opts } of variants) {
          let res;
          try {
            res = await repairBuffer(input, opts);
          } catch (e) {
            // Only a cut so early that nothing says "audit log" yet may be refused, as not an audit log.
            expect((e as AuditLogError).code, `cut ${k}`).toBe('UNKNOWN_FORMAT');
            expect(k).toBeLessThan(2);
            continue;
          }
          const { bytes: out, report } = res;
          const want = expected(orig, kind, k);
          const n = strictRecords(out, FRAMING[kind], kind);
          if (want) {
            expect(out.toString('latin1'), `cut ${k} nuls ${input.length - k}`).toBe(want.bytes.toString('latin1'));
            expect(n).toBe(want.records);
          } else {
            expect(n, `cut ${k}`).toBe(0);
          }
          // Whole exactly when nothing changes.
          expect(report.whole, `cut ${k}`).toBe(out.equals(input));
          if (report.recordsKept !== null) expect(report.recordsKept).toBe(want?.records ?? 0);
          // One cut in 50, the same through a file on disk (read from the end, copied by the kernel).
          if (onDisk === 0) expect((await repairBytes(input, opts)).out.equals(out), `on disk, cut ${k}`).toBe(true);
        }
      }
    }, 300_000);
  }

  it('a whole file is left as it is and check says whole', async () => {
    for (const [name, , orig] of CASES) {
      const { out, report } = await repairBytes(orig);
      expect(out.equals(orig), name).toBe(true);
      expect(report.whole).toBe(true);
      expect(report.cut).toBeNull();
      const file = join(SCRATCH, 'whole.log');
      writeFileSync(file, orig);
      expect((await repair(file, { check: true })).whole, name).toBe(true);
      expect((await repair(file, { check: true, tailWindow: 64 })).whole, name).toBe(true);
    }
  });

  it('a large file is read from its end: only its last bytes are parsed, and the cut is where a full read puts it', async () => {
    const { generateLogString } = await import('../bench/generate.js');
    for (const format of ['new', 'old', 'json'] as const) {
      const whole = Buffer.from(generateLogString({ format, records: 3000, seed: 5, hostile: true }));
      const input = whole.subarray(0, whole.length - 200);
      const tail = await repairBytes(input, { tailWindow: 8192 });
      const full = await repairBytes(input, { salvage: true });
      expect(tail.report.method).toBe('tail');
      expect(tail.report.bytesParsed).toBeLessThan(16384);
      expect(full.report.method).toBe('full');
      expect(tail.out.equals(full.out), format).toBe(true);
      expect(strictRecords(tail.out, format === 'json' ? 'json-array' : 'xml', format)).toBe(full.report.recordsKept);
    }
  });
});

describe('repair --salvage', () => {
  it('audit.log.invalid: keeps its 69 good records and reports the malformed one with its offset, record number and text', async () => {
    const orig = fixture('public/mysql-utilities/audit.log.invalid');
    const { out, report } = await repairBytes(orig, { salvage: true });
    expect(report.recordsKept).toBe(69);
    expect(report.salvagedCount).toBe(1);
    const [bad] = report.salvaged;
    expect(bad).toMatchObject({ code: 'MALFORMED_RECORD', offset: 588, index: 2 });
    // Its text is the bytes of the broken record, and the output is the input without exactly those bytes.
    expect(bad!.raw).toBe(orig.toString('utf8', bad!.offset, bad!.end));
    expect(bad!.raw).toContain('NAME="Quit" CONNECTION_ID="6"');
    expect(Buffer.concat([orig.subarray(0, bad!.offset), orig.subarray(bad!.end)]).equals(out)).toBe(true);
    expect(strictRecords(out, 'xml', 'old')).toBe(69);
  });

  it('removes stray text and keeps every good record around it, in every format', async () => {
    const cases: [Kind, Buffer, string][] = [
      ['new', fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml'), '    <AUDIT_RECORD>\n        <NAME>Query'],
      ['json', fixture('public/mysql-refman/refman-9-json-event-examples.json'), '{ "timestamp": "2019-10-03 14:2'],
      ['jsonl', fixture('percona/json-format-8.0-charmed-mysql.json'), '{"audit_record":{"name":"Qu'],
    ];
    for (const [kind, orig, torn] of cases) {
      // A torn record in the middle: the first bytes of a record, then the next record.
      const ends = recordEnds(orig, kind);
      const at = orig.indexOf('\n', ends[1]!) + 1;
      const input = Buffer.concat([orig.subarray(0, at), Buffer.from(torn + '\n'), orig.subarray(at)]);
      const { out, report } = await repairBytes(input, { salvage: true });
      expect(report.salvagedCount, kind).toBe(1);
      expect(report.salvaged[0]!.offset).toBe(at);
      expect(strictRecords(out, FRAMING[kind], kind)).toBe(ends.length);
      expect(out.equals(orig), kind).toBe(true);
    }
  });
});

describe('repair safety', () => {
  const torn = () => fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml').subarray(0, 1500);
  const fresh = (name: string, bytes: Buffer): string => {
    const f = join(SCRATCH, `${name}-${Math.random().toString(36).slice(2)}.log`);
    writeFileSync(f, bytes, { mode: 0o640 });
    return f;
  };

  it('does not change the input without --in-place; -o is mode 0600', async () => {
    const f = fresh('keep', torn());
    const before = readFileSync(f);
    const out = `${f}.out`;
    await repair(f, { output: out });
    expect(readFileSync(f).equals(before)).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    await repair(f, { dryRun: true });
    await repair(f, { check: true });
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it('--in-place keeps FILE.bak (the original inode), replaces the file with its mode, and refuses an existing backup', async () => {
    const f = fresh('inplace', torn());
    const before = readFileSync(f);
    const ino = statSync(f).ino;
    const r = await repair(f, { inPlace: true });
    expect(r.backup).toBe(`${f}.bak`);
    expect(readFileSync(`${f}.bak`).equals(before)).toBe(true);
    expect(statSync(`${f}.bak`).ino).toBe(ino);
    expect(statSync(f).mode & 0o777).toBe(0o640);
    expect(strictRecords(readFileSync(f), 'xml', 'new')).toBe(recordEnds(torn(), 'new').length);
    // Repair it again (it is whole now: nothing happens, the backup stays).
    expect((await repair(f, { inPlace: true })).whole).toBe(true);
    writeFileSync(f, torn());
    await expect(repair(f, { inPlace: true })).rejects.toMatchObject({ code: 'IO_ERROR' });
    const r2 = await repair(f, { inPlace: true, backup: false });
    expect(r2.backup).toBeNull();
    expect(readFileSync(`${f}.bak`).equals(before)).toBe(true);
  });

  it('refuses a file that grows while it is being repaired, and writes nothing', async () => {
    for (const inPlace of [true, false]) {
      const f = fresh('grow', torn());
      const out = `${f}.out`;
      const p = repair(f, { ...(inPlace ? { inPlace } : { output: out }), beforeCommit: () => appendFileSync(f, '  <AUDIT_RECORD>\n') });
      await expect(p).rejects.toMatchObject({ code: 'INPUT_CHANGED' });
      await expect(p).rejects.toSatisfy((e: AuditLogError) => e.exitCode === 3);
      expect(existsSync(`${f}.bak`)).toBe(false);
      expect(existsSync(out)).toBe(false);
      expect(readFileSync(f).subarray(0, 1500).equals(torn())).toBe(true);
    }
  });

  it('refuses what is not an audit log, the input as output, and outputs that are not regular files', async () => {
    await expect(repairBytes(Buffer.from('hello world\n'))).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
    await expect(repairBytes(Buffer.alloc(5000))).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
    const f = fresh('self', torn());
    await expect(repair(f, { output: f })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const other = `${f}.link`;
    linkSync(f, other);
    await expect(repair(f, { output: other })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    const sl = `${f}.sym`;
    symlinkSync('/dev/null', sl);
    await expect(repair(f, { output: sl })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(repair(sl, { inPlace: true })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(repair(f, { output: '/dev/null' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
