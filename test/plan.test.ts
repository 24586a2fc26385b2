import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPasswordSource } from '../src/layers/passwords.js';
import { openInput } from '../src/input.js';
import { planUnits, type Unit } from '../src/parallel/plan.js';

const NEW = 'fixtures/public/mysql-refman/refman-9-new-xml-sample.xml';
const JSON_FILE = 'fixtures/public/mysql-refman/refman-9-json-event-examples.json';
const MAP = 'fixtures/layered/passwords.json';

/** The ranges tile [0, size) in order, each but the first starting at a record start (not inside its indent). */
function expectTiling(units: Unit[], bytes: Buffer, opener: RegExp): void {
  expect(units[0]!.range!.start).toBe(0);
  expect(units[units.length - 1]!.range!.end).toBe(bytes.length);
  units.forEach((u, k) => {
    expect(u.first).toBe(k === 0);
    expect(u.last).toBe(k === units.length - 1);
    if (k > 0) {
      expect(u.range!.start).toBe(units[k - 1]!.range!.end);
      const at = u.range!.start;
      expect(bytes.subarray(at, at + 64).toString('latin1')).toMatch(opener);
      expect([0x20, 0x09]).not.toContain(bytes[at - 1]);
    }
  });
}

describe('planner', () => {
  it('cuts one large plain NEW file into jobs ranges at record starts, with its format', async () => {
    const bytes = readFileSync(NEW);
    const { units } = await planUnits([NEW], { jobs: 3, splitBytes: 0 });
    expect(units.length).toBe(3);
    expect(units.every((u) => u.format === 'new' && u.file === NEW && u.input === 0)).toBe(true);
    // A record of this sample is indented by one blank: the range starts at the line's start.
    expectTiling(units, bytes, /^ <AUDIT_RECORD>/);
  });

  it('moves a nominal cut inside a record to the next record start, and drops cuts that find none', async () => {
    const bytes = readFileSync(NEW);
    const first = bytes.indexOf('<AUDIT_RECORD>');
    const second = bytes.indexOf('<AUDIT_RECORD>', first + 1) - 1;
    const last = bytes.lastIndexOf('<AUDIT_RECORD>') - 1;
    // Inside the first record, exactly at the second one's line start, and after the last record starts.
    const { units } = await planUnits([NEW], { jobs: 2, splitBytes: 0, cuts: () => [first + 20, second, last + 5] });
    expect(units.map((u) => u.range)).toEqual([
      { start: 0, end: second },
      { start: second, end: bytes.length },
    ]);
  });

  it('cuts JSON at lines that open an event', async () => {
    const bytes = readFileSync(JSON_FILE);
    const { units } = await planUnits([JSON_FILE], { jobs: 2, splitBytes: 0 });
    expect(units.length).toBe(2);
    expect(units[0]!.format).toBe('json');
    expectTiling(units, bytes, /^[ \t]*\{\s*"timestamp"/);
  });

  it('leaves small inputs, many inputs, gzip, CSV, stdin and unreadable inputs whole', async () => {
    const files = ['fixtures/layered/audit.log.gz', 'fixtures/percona/csv-format-5.7-2021.csv', '-', 'fixtures/no-such-file.log', NEW];
    const { units } = await planUnits(files, { jobs: 2, splitBytes: 0, cuts: () => [100] });
    expect(units.map((u) => [u.input, u.file, u.range, u.first, u.last])).toEqual([
      [0, files[0], undefined, true, true],
      [1, files[1], undefined, true, true],
      [2, '-', undefined, true, true],
      [3, files[3], undefined, true, true],
      [4, NEW, { start: 0, end: expect.any(Number) }, true, false],
      [4, NEW, { start: expect.any(Number), end: readFileSync(NEW).length }, false, true],
    ]);
    // Without forced cuts, two equal inputs on two workers are one unit each; one small input is not cut.
    expect((await planUnits([NEW, NEW], { jobs: 2, splitBytes: 0 })).units.every((u) => !u.range)).toBe(true);
    expect((await planUnits([NEW], { jobs: 2 })).units.every((u) => !u.range)).toBe(true);
  });

  it('resolves passwords of encrypted inputs on the main thread and cuts an AES-only file in its decoded bytes', async () => {
    const asked: string[] = [];
    const map = createPasswordSource({ passwordMapFile: MAP });
    const password = { get: (f: string) => (asked.push(f), map.get(f)) };
    const enc = 'fixtures/layered/audit.20140429T092940.log.20140429T092940-1.enc';
    const gzEnc = 'fixtures/layered/audit.20140429T092940.log.gz.20140429T092940-2.enc';
    const plan = await planUnits([enc, gzEnc, NEW], { jobs: 2, splitBytes: 0, password, cuts: (f) => (f === enc ? [300] : undefined) });
    expect(asked).toEqual([enc, gzEnc]);
    expect(plan.passwords).toEqual([{ entry: { password: 'percona-pw', iterations: 1000 } }, { entry: { password: 'percona-gz-pw', iterations: 1500 } }, undefined]);
    const encUnits = plan.units.filter((u) => u.input === 0);
    expect(encUnits.length).toBe(2);
    const input = await openInput(enc, { password: map });
    const parts: Buffer[] = [];
    for await (const c of input.stream()) parts.push(Buffer.from(c));
    const decoded = Buffer.concat(parts);
    expectTiling(encUnits, decoded, /^\s*<AUDIT_RECORD/);
    // gzip inside AES is streamed: one unit.
    expect(plan.units.filter((u) => u.input === 1).map((u) => u.range)).toEqual([undefined]);
  });

  it('keeps the error of a password that cannot be had, for the unit to fail with', async () => {
    const password = createPasswordSource({ passwordMap: {} });
    const enc = 'fixtures/layered/audit.20140429T092940.log.enc';
    const plan = await planUnits([enc], { jobs: 2, splitBytes: 0, password });
    expect(plan.units).toEqual([{ input: 0, file: enc, first: true, last: true }]);
    const p = plan.passwords[0]!;
    expect('error' in p && p.error.code).toBe('MISSING_PASSWORD');
  });
});
