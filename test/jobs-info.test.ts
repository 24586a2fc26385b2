/**
 * `info --jobs N` gives what `--jobs 1` gives, byte for byte: for every
 * fixture cut at many places (inside, just before and just after records and
 * problems), for generated multi-file and single-large-file inputs, for
 * damaged inputs, bounded tallies and filters. The library is driven directly
 * (the same code the command runs), in this thread for the many cut positions
 * and on worker threads for the generated inputs; a CLI sample compares what
 * users see, exit codes included.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import { MAX_DISTINCT } from '../src/counts.js';
import { AuditLogError } from '../src/errors.js';
import type { FilterSpec } from '../src/filter.js';
import { createPasswordSource } from '../src/layers/passwords.js';
import { inspectInputs, type InspectInputsOptions } from '../src/parallel/info.js';
import type { Unit } from '../src/parallel/plan.js';
import { readAuditLog } from '../src/reader.js';
import { SecurityTally } from '../src/security.js';
import { FIXTURES, fixtureInputs, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const MAP = join(FIXTURES, 'layered', 'passwords.json');
const password = createPasswordSource({ passwordMapFile: MAP });
const tmp = mkdtempSync(join(tmpdir(), 'jobs-info-'));

interface Run {
  /** Everything the command prints is made from these: the reports, the unreadable inputs' errors, the security report. */
  text: string;
  units: Unit[] | undefined;
  rereads: string[];
}

async function info(files: string[], o: Partial<InspectInputsOptions> & { jobs: number }): Promise<Run> {
  const security = o.security ?? new SecurityTally();
  const outcomes: unknown[] = [];
  let units: Unit[] | undefined;
  const rereads: string[] = [];
  for await (const x of inspectInputs(files, { password, security, plainShape: true, onPlan: (u) => (units = u), onReread: (f, why) => rereads.push(`${f}: ${why}`), ...o })) {
    outcomes.push(x.report ?? { error: x.error instanceof AuditLogError ? { code: x.error.code, message: x.error.message, ctx: x.error.ctx } : String(x.error) });
  }
  // The report shows the largest counts; the state behind it holds every name kept, in the order first seen.
  const state = JSON.parse(JSON.stringify(security.state(), (_, v: unknown) => (v instanceof Map ? [...v] : v))) as unknown;
  return { text: JSON.stringify({ outcomes, security: security.report(), state }, null, 1), units, rereads };
}

/** Offsets around which to cut: each record's and problem's start and end, and the bytes either side. */
async function cutPoints(file: string): Promise<number[]> {
  const at = new Set<number>();
  const add = (n: number | undefined) => n !== undefined && [n - 1, n, n + 1].forEach((x) => x > 0 && at.add(x));
  try {
    const log = readAuditLog(file, {
      password,
      onError: 'skip',
      onProblem: (e) => {
        add(e.ctx.offset);
        add(e.ctx.end);
      },
    });
    for await (const e of log) {
      add(e.at.offset);
      add(e.at.end);
    }
  } catch {
    // An unreadable input: its single unit is compared below.
  }
  return [...at].sort((a, b) => a - b);
}

/** At most n of xs, evenly spread, the first and last included. */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, k) => xs[Math.round((k * (xs.length - 1)) / (n - 1))]!);
}

/** Compare --jobs 1 with --jobs 2 cut at each of the given nominal cuts (one cut, and pairs of neighbours: a small middle part). */
async function expectSameAtCuts(file: string, points: number[], extra: Partial<InspectInputsOptions> = {}): Promise<{ split: number; rereads: string[] }> {
  const seq = await info([file], { jobs: 1, ...extra });
  let split = 0;
  const rereads: string[] = [];
  const sets = [...points.map((p) => [p]), ...points.slice(1).map((p, i) => [points[i]!, p])];
  for (const cuts of sets) {
    const par = await info([file], { jobs: 2, inline: true, splitBytes: 0, minBytes: 0, cuts: () => cuts, ...extra });
    expect(par.text, `${file} cut at ${cuts.join(', ')}`).toBe(seq.text);
    if ((par.units?.length ?? 0) > 1) split++;
    rereads.push(...par.rereads);
  }
  return { split, rereads };
}

const FIXTURE_FILES = fixtureInputs();

describe('info --jobs 2 equals --jobs 1', () => {
  it('for every fixture, cut around every record and problem', async () => {
    let split = 0;
    const rereads: string[] = [];
    for (const file of FIXTURE_FILES) {
      const points = spread(await cutPoints(file), 14);
      const r = await expectSameAtCuts(file, points);
      split += r.split;
      rereads.push(...r.rereads.map((w) => relative(FIXTURES, w)));
    }
    // The comparison is of merged parts, not of whole re-reads: cuts happened, and were merged.
    expect(split).toBeGreaterThan(500);
    expect(rereads.length).toBeLessThan(split / 10);
  }, 120_000);

  it('for all fixtures at once, across files on worker threads', async () => {
    const seq = await info(FIXTURE_FILES, { jobs: 1 });
    const par = await info(FIXTURE_FILES, { jobs: 2, splitBytes: 0, minBytes: 0 });
    expect(par.units!.length).toBeGreaterThanOrEqual(FIXTURE_FILES.length);
    expect(par.text).toBe(seq.text);
  });
});

describe('the size below which no worker starts counts decoded bytes', () => {
  it('gzip files whose decoded bytes reach it are read on workers, though their bytes on disk do not', async () => {
    const logs = [1, 2].map((seed) => Buffer.from(generateLogString({ format: 'new', records: 1500, seed })));
    const files = logs.map((l, k) => put(`threshold-${k}.xml.gz`, gzipSync(l)));
    const onDisk = files.reduce((n, f) => n + statSync(f).size, 0);
    const decoded = logs.reduce((n, l) => n + l.length, 0);
    const minBytes = Math.floor(decoded * 0.9);
    expect(onDisk).toBeLessThan(minBytes);
    const seq = await info(files, { jobs: 1 });
    const par = await info(files, { jobs: 2, inline: true, minBytes });
    expect(par.units?.length).toBe(2);
    expect(par.text).toBe(seq.text);
    // Above what they decode to: read on this thread, as before.
    expect((await info(files, { jobs: 2, inline: true, minBytes: decoded + 1 })).units).toBeUndefined();
  });
});

/** Write a generated input into the scratch directory. */
function put(name: string, content: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

/** A NEW file with a torn record, a malformed one, junk between records, two documents back to back, invalid UTF-8 and a torn tail. */
function damagedNew(seed: number, utf8At: number): Buffer {
  const log = generateLogString({ format: 'new', records: 60, seed, hostile: true, unterminated: true });
  const starts: number[] = [];
  for (let i = log.indexOf(' <AUDIT_RECORD>'); i >= 0; i = log.indexOf(' <AUDIT_RECORD>', i + 1)) starts.push(i);
  const parts: Buffer[] = [Buffer.from(log.slice(0, starts[0]))];
  starts.forEach((s, i) => {
    const rec = log.slice(s, starts[i + 1] ?? log.length);
    if (i === 10) parts.push(Buffer.from(rec.slice(0, rec.length >> 1)));
    else if (i === 20) parts.push(Buffer.from(rec.replace('<NAME>', '<NAME a="<">')));
    else if (i === 30) parts.push(Buffer.from(rec + 'some text between records\n'));
    else if (i === 40) parts.push(Buffer.from(rec + '</AUDIT>\n<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n'));
    else if (i === utf8At) {
      const k = rec.indexOf('</NAME>');
      parts.push(Buffer.from(rec.slice(0, k)), Buffer.from([0xff, 0xfe]), Buffer.from(rec.slice(k)));
    } else if (i === starts.length - 1) parts.push(Buffer.from(rec.slice(0, 100)));
    else parts.push(Buffer.from(rec));
  });
  return Buffer.concat(parts);
}

/** A JSON file with a torn line, a junk line, a malformed object, two arrays back to back and a torn tail. */
function damagedJson(seed: number): string {
  const log = generateLogString({ format: 'json', records: 60, seed, hostile: true });
  const lines = log.split('\n');
  return lines
    .map((l, i) => {
      if (i === 10) return l.slice(0, l.length >> 1);
      if (i === 20) return `not json at all\n${l}`;
      if (i === 30) return `{ "timestamp": "2019-10-03 14:09:38", "class": broken },\n${l}`;
      if (i === 40) return `${l.replace(/,$/, '')}\n]\n[`;
      if (i === lines.length - 3) return l.slice(0, 80);
      if (i > lines.length - 3) return '';
      return l;
    })
    .join('\n');
}

describe('info --jobs 2 equals --jobs 1 on damaged inputs, cut around every record and problem', () => {
  const cases: [string, () => string | Buffer][] = [
    ['damaged.xml', () => damagedNew(3, 50)],
    ['damaged-utf8-early.xml', () => damagedNew(4, 5)],
    ['damaged.json', () => damagedJson(5)],
    // Percona filter JSON (local times) first: the scanner takes the records after it as local too.
    ['local-then-utc.json', () => readFileSyncText('fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-json.json') + generateLogString({ format: 'json', records: 20, seed: 8 })],
    ['utc-then-local.json', () => generateLogString({ format: 'json', records: 20, seed: 8 }) + readFileSyncText('fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-json.json')],
    // An Enterprise JSON array, then Percona classic JSON lines: complete is the array's (false), not null as for percona-json.
    ['json-then-percona.json', () => generateLogString({ format: 'json', records: 20, seed: 9 }) + readFileSyncText('fixtures/percona/json-format-5.7-2021.json')],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const file = put(name, make());
      const points = spread(await cutPoints(file), 50);
      const r = await expectSameAtCuts(file, points);
      expect(r.split).toBeGreaterThan(points.length);
      if (name === 'local-then-utc.json') expect(r.rereads.some((w) => w.includes('local times'))).toBe(true);
      if (name === 'damaged-utf8-early.xml') expect(r.rereads.some((w) => w.includes('invalid UTF-8'))).toBe(true);
      // Invalid UTF-8 is reported once, at the end, with its count: a part before the last one that saw some is read again.
      if (name === 'damaged.xml') {
        for (const why of r.rereads) expect(why).toMatch(/invalid UTF-8/);
        expect(r.rereads.length).toBeLessThan(r.split / 3);
      }
      if (name === 'damaged.json' || name === 'utc-then-local.json') expect(r.rereads).toEqual([]);
      if (name === 'json-then-percona.json') expect(r.rereads.some((w) => w.includes('another kind'))).toBe(true);
    });
  }

  it('with filters, and with --source-tz on local-time XML', async () => {
    const file = put('filtered.xml', damagedNew(9, 55));
    const points = spread(await cutPoints(file), 12);
    const filters: FilterSpec[] = [{ user: ['root'] }, { since: '2019-10-03 14:10', event: ['Query'] }];
    // Only parts before the record with invalid UTF-8 are read again.
    for (const filter of filters) for (const why of (await expectSameAtCuts(file, points, { filter })).rereads) expect(why).toMatch(/invalid UTF-8/);
    const alf = join(FIXTURES, 'public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml');
    await expectSameAtCuts(alf, spread(await cutPoints(alf), 12), { sourceTz: 'Europe/Berlin' });
  });
});

function readFileSyncText(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8');
}

/** JSON lines, one event each: user names from `users(i)`, every `grantEvery`-th a GRANT, client address and host from `net(i)`. */
function jsonLines(n: number, users: (i: number) => string, grantEvery = 0, net = (i: number) => ({ ip: `10.0.${(i >> 8) & 255}.${i & 255}`, host: `h${i % 5}` }), cls = (_: number) => 'general'): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const grant = grantEvery > 0 && i % grantEvery === 0;
    const ts = `2019-10-03 ${String(10 + (i % 12)).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}`;
    out.push(
      JSON.stringify({
        timestamp: ts,
        id: 0,
        class: cls(i),
        event: 'status',
        connection_id: i % 97,
        account: { user: users(i), host: net(i).host },
        login: { user: users(i), os: '', ip: net(i).ip, proxy: '' },
        general_data: { command: 'Query', sql_command: grant ? 'grant' : 'select', query: grant ? `GRANT SELECT ON db.* TO 'u${i}'` : 'SELECT 1', status: i % 13 === 0 ? 1045 : 0 },
      }),
    );
    if (i % 1000 === 999) out.push('{ "timestamp": "2019-10-03 14:00:00", "broken": ');
  }
  return out.join('\n') + '\n';
}

describe('bounded tallies and lists merge as one pass counts them', () => {
  it('names past MAX_DISTINCT over the parts go under (other) as they would in one pass; a part that learns the first part\'s names merges, one that saw too many names is read again', async () => {
    // 16,000 users, each part (about 8,000) within its bound: merged, crossing MAX_DISTINCT in the merge.
    const within = put('users-within.json', jsonLines(16_000, (i) => (i % 3 === 0 ? 'u5' : `u${i}`)));
    const a = await expectSameAtCuts(within, [Math.floor(statSync(within).size / 2)], { partMaxKeys: 12_000 });
    expect(a.rereads).toEqual([]);
    // 24,000 users, and a name counted before (u5) comes back late. Cut in the middle: the first part filled the
    // input's 10,000 users, so the second counts only those by name (the rest under (other)) and merges.
    const beyond = put('users-beyond.json', jsonLines(24_000, (i) => (i % 4000 === 3999 ? 'u5' : `u${i}`)));
    const size = statSync(beyond).size;
    const b = await expectSameAtCuts(beyond, [Math.floor(size / 2)], { partMaxKeys: 11_000 });
    expect(b.rereads).toEqual([]);
    const told: number[] = [];
    await info([beyond], { jobs: 2, inline: true, splitBytes: 0, minBytes: 0, cuts: () => [Math.floor(size / 2)], partMaxKeys: 11_000, onMerged: (_, n) => told.push(n) });
    expect(told).toEqual([1]);
    // Cut early, the first part keeps fewer than 10,000 users: the second sees more names than its bound and is read again.
    const c = await expectSameAtCuts(beyond, [Math.floor(size / 10)], { partMaxKeys: 11_000 });
    expect(c.rereads.length).toBe(1);
    expect(c.rereads[0]).toMatch(/bounds/);
    const seq = JSON.parse((await info([beyond], { jobs: 1 })).text);
    expect(Object.keys(seq.outcomes[0].users).length).toBe(MAX_DISTINCT + 1);
  });

  it('security maps the first part filled: later parts count only its names, the rest under (other), as one pass does', async () => {
    // Client addresses and hosts: the first 11,000 records all new (the run keeps the first 10,000 of each);
    // after that a third come back from the first 10,000, a third from past them, a third are new.
    const key = (i: number) => (i < 11_000 || i % 3 === 2 ? i : i % 3 === 0 ? i % 10_000 : 10_000 + (i % 1000));
    const net = (i: number) => {
      const k = key(i);
      return { ip: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, host: `host-${k}` };
    };
    // Users and class/event pairs too: the input's own report keeps 10,000 of each, the later parts count those only.
    const file = put('many-clients.json', jsonLines(36_000, (i) => `u${key(i)}`, 0, net, (i) => `class_${key(i)}`));
    const size = statSync(file).size;
    const seq = await info([file], { jobs: 1 });
    const whole = new SecurityTally();
    for await (const e of readAuditLog(file, { onError: 'skip' })) whole.add(e);
    // The run keeps 10,000 addresses and hosts; the rest, more than 15,000 records, are under (other).
    const state = whole.state();
    expect(state.ips.size).toBe(MAX_DISTINCT + 1);
    expect(state.ips.get('(other)')).toBeGreaterThan(15_000);
    expect(state.hosts.get('(other)')).toBeGreaterThan(15_000);
    // In this thread (the first part ends before the next one starts), cut early, in the middle and late.
    for (const cuts of [[Math.floor(size / 2)], [Math.floor(size / 3), Math.floor((2 * size) / 3)], [Math.floor(size * 0.4), Math.floor(size * 0.45), Math.floor(size * 0.9)]]) {
      const told: number[] = [];
      const par = await info([file], { jobs: 2, inline: true, splitBytes: 0, minBytes: 0, cuts: () => cuts, onMerged: (_, n) => told.push(n) });
      expect(par.text, `cut at ${cuts.join(', ')}`).toBe(seq.text);
      expect(par.rereads).toEqual([]);
      expect(told).toEqual([cuts.length]);
    }
    // On worker threads the later parts learn the names while they read; a second input is counted against them too.
    // One class/event pair there: pairs a later part counted before it learned the first part's (it may finish first)
    // cannot be merged past the bound, and make the input read again; users and addresses merge either way.
    const onePair = put('many-clients-one-pair.json', jsonLines(36_000, (i) => `u${key(i)}`, 0, net));
    const second = put('many-clients-2.json', jsonLines(12_000, (i) => `v${i % 5}`, 0, (i) => net(i % 2 ? 20_000 + i : i % 10_000)));
    const seq2 = await info([onePair, second], { jobs: 1 });
    const told: number[] = [];
    const par = await info([onePair, second], { jobs: 2, splitBytes: 0, minBytes: 0, cuts: (f, n) => (f === onePair ? [Math.floor(n / 2)] : undefined), onMerged: (_, n) => told.push(n) });
    expect(par.text).toBe(seq2.text);
    expect(par.rereads).toEqual([]);
    expect(told.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // A run whose security tally already holds counts: the first part's addresses are not the run's (only the
    // input's own counts are restricted then).
    const counted = async (jobs: number) => {
      const security = new SecurityTally();
      for await (const e of readAuditLog(second, { onError: 'skip' })) security.add(e);
      return info([file], { jobs, security, splitBytes: 0, minBytes: 0, cuts: (_, n) => [Math.floor(n / 2)] });
    };
    expect((await counted(2)).text).toBe((await counted(1)).text);
  });

  it('a first input that fails after its first part told its names: the later inputs are read again, as one pass counts them', async () => {
    const key = (i: number) => (i < 11_000 || i % 2 ? i : 50_000 + i);
    const net = (i: number) => ({ ip: `10.${(key(i) >> 16) & 255}.${(key(i) >> 8) & 255}.${key(i) & 255}`, host: 'h' });
    const content = jsonLines(24_000, (i) => `u${i % 7}`, 0, net);
    const first = join(tmp, 'fails-later.json');
    // The second input's addresses: some the first part keeps, most it does not.
    const second = put('after-failure.json', jsonLines(12_000, (i) => `v${i % 5}`, 0, (i) => net(i % 3 ? 30_000 + i : i)));
    // Once the first unit is merged, the first input becomes a directory: its second unit cannot be read.
    writeFileSync(first, content);
    const reread: string[] = [];
    let swapped = false;
    const par = await info([first, second], {
      jobs: 2,
      inline: true,
      splitBytes: 0, minBytes: 0,
      cuts: (f, n) => (f === first ? [Math.floor(n / 2)] : undefined),
      onReread: (f, why) => reread.push(`${f}: ${why}`),
      onProgress: (f) => {
        if (f !== first || swapped) return;
        swapped = true;
        rmSync(first);
        mkdirSync(first);
      },
    });
    expect(swapped).toBe(true);
    // One pass over what the files are now: the first unreadable, the second counted from nothing.
    const seq = await info([first, second], { jobs: 1 });
    const parsed = (t: string) => JSON.parse(t) as { outcomes: unknown[]; security: unknown; state: unknown };
    expect(parsed(par.text).outcomes[1]).toEqual(parsed(seq.text).outcomes[1]);
    expect(parsed(par.text).state).toEqual(parsed(seq.text).state);
    expect(reread).toEqual([`${second}: its parts kept counts for the names of a first part that failed`]);
    rmSync(first, { recursive: true });
  });

  it('privileged statements: the first 100 in order with their record numbers, all counted', async () => {
    const file = put('grants.json', jsonLines(6000, (i) => `u${i % 7}`, 23));
    const size = statSync(file).size;
    const r = await expectSameAtCuts(file, [Math.floor(size / 4), Math.floor(size / 2), Math.floor(size * 0.55)]);
    expect(r.rereads).toEqual([]);
    const seq = JSON.parse((await info([file], { jobs: 1 })).text);
    expect(seq.security.privileged.count).toBe(Math.ceil(6000 / 23));
    expect(seq.security.privileged.list.length).toBe(100);
  });
});

describe('generated inputs on worker threads', () => {
  it('several files of every format and layer, unreadable ones among them, each cut in three', async () => {
    const files = [
      put('gen.xml', generateLogString({ format: 'new', records: 3000, seed: 11, hostile: true })),
      put('gen-old.xml', generateLogString({ format: 'old', records: 3000, seed: 12, hostile: true })),
      put('gen.json', generateLogString({ format: 'json', records: 3000, seed: 13, hostile: true })),
      put('gen-damaged.xml', damagedNew(14, 59)),
      put('not-a-log.txt', 'hello, this is no audit log\n'),
      join(tmp, 'missing.log'),
      join(FIXTURES, 'layered/audit.20140429T092940.log.enc'),
      join(FIXTURES, 'layered/audit.log.gz'),
      join(FIXTURES, 'percona/csv-format-5.7-2021.csv'),
    ];
    files.push(files[0]!);
    const seq = await info(files, { jobs: 1 });
    const cuts = (_: string, size: number) => [Math.floor(size / 3), Math.floor((2 * size) / 3)];
    const par = await info(files, { jobs: 2, splitBytes: 0, minBytes: 0, cuts });
    // Plain and AES-only files are cut (the duplicate too); gzip, CSV, unreadable ones are not.
    expect(par.units!.length).toBe(files.length + 2 * 6);
    expect(par.rereads).toEqual([]);
    expect(par.text).toBe(seq.text);
    // Even shares: the planner's own cuts.
    const even = await info(files, { jobs: 3, splitBytes: 0, minBytes: 0 });
    expect(even.text).toBe(seq.text);
  });

  it('less input in all than INFO_MIN_BYTES starts no worker, even with files the planner would cut', async () => {
    const file = put('small-new', generateLogString({ format: 'new', bytes: 2 << 20, seed: 22 }));
    const below = await info([file, file], { jobs: 2, splitBytes: 0 });
    expect(below.units).toBeUndefined();
    const at = await info([file, file], { jobs: 2, splitBytes: 0, minBytes: 2 * statSync(file).size });
    expect(at.units!.length).toBeGreaterThanOrEqual(2);
    expect(at.text).toBe(below.text);
  });

  it('one large file of each format, cut by the planner for 2 and 3 workers', async () => {
    for (const format of ['new', 'old', 'json'] as const) {
      const file = put(`large-${format}`, generateLogString({ format, bytes: 2 << 20, seed: 21, hostile: true }));
      const seq = await info([file], { jobs: 1 });
      for (const jobs of [2, 3]) {
        const par = await info([file], { jobs, splitBytes: 1 << 20, minBytes: 0 });
        expect(par.units!.length).toBe(jobs);
        expect(par.rereads).toEqual([]);
        expect(par.text).toBe(seq.text);
      }
    }
  });
});

describe('info CLI: --jobs 2 prints what --jobs 1 prints', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'info', ...args], { encoding: 'utf8' });
  it('JSON and human output, stderr and exit code, for a damaged file cut in parts and for several files with unreadable ones', () => {
    const damaged = put('cli-damaged.xml', damagedNew(31, 58));
    const json = put('cli.json', damagedJson(32));
    const sets = [[damaged], [damaged, json, join(tmp, 'missing.log'), put('cli-text.txt', 'no log\n')], [join(tmp, 'missing.log')]];
    for (const files of sets) {
      for (const mode of files.length > 1 || files[0] === damaged ? [['--json'], []] : [['--json']]) {
        const one = cli([...mode, '--jobs', '1', ...files]);
        const two = cli([...mode, '--jobs', '2', '--split-bytes', '0', ...files]);
        expect(two.stdout).toBe(one.stdout);
        expect(two.stderr).toBe(one.stderr);
        expect(two.status).toBe(one.status);
        expect(one.status).toBe(files.length === 1 && files[0] === damaged ? 1 : 3);
      }
    }
  });
});
