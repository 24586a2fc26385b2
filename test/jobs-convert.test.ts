/**
 * Parallel convert: for every fixture and target format, and for generated
 * multi-file and single-large-file inputs, the output bytes and the summary of
 * a conversion cut into units (forced small cuts at many positions) are those
 * of the sequential conversion, byte for byte; with --on-error skip and fail
 * (the same first error, no output file left), --compress and --encrypt.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import { convert, type ConvertOptions } from '../src/convert.js';
import { AuditLogError } from '../src/errors.js';
import { staticPassword } from '../src/layers/index.js';
import { createPasswordSource } from '../src/layers/passwords.js';
import { convertWithJobs, type JobsOptions } from '../src/parallel/convert.js';
import type { OutputFormat } from '../src/writers/index.js';
import { fixtureInputs } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'jobs-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = join(process.cwd(), 'bin', 'run.js');
const TARGETS: OutputFormat[] = ['json', 'ndjson', 'csv', 'new', 'old'];
const PASSWORDS = createPasswordSource({ passwordMapFile: 'fixtures/layered/passwords.json' });


/** Nominal cuts every `step` bytes (the planner moves each to the next record start). */
const every = (step: number) => (_f: string, size: number) => Array.from({ length: Math.max(0, Math.ceil(size / step) - 1) }, (_, k) => (k + 1) * step);
/** About `n` nominal cuts spread over the file. */
const pieces = (n: number) => (_f: string, size: number) => Array.from({ length: n - 1 }, (_, k) => Math.floor(((k + 1) * size) / n));
/** Nominal cuts just before, at and after every place where `re` matches in the file (a damaged record, a second change). */
const near = (re: RegExp, deltas = [-3, 0, 5], limit = 60) => (f: string) => {
  const text = readFileSync(f, 'latin1');
  const out: number[] = [];
  for (const m of [...text.matchAll(re)].slice(0, limit)) for (const d of deltas) out.push(m.index + d);
  return out;
};

interface Outcome {
  bytes: Buffer;
  summary?: string;
  error?: string;
}

/** One conversion into a stream: its bytes, and its summary or error (code and message). */
async function run(files: (string | Uint8Array)[], opts: ConvertOptions, job?: JobsOptions): Promise<Outcome> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  try {
    const s = job ? await convertWithJobs(files, out, opts, job) : await convert(files, out, opts);
    return { bytes: Buffer.concat(parts), summary: JSON.stringify(s) };
  } catch (e) {
    if (!(e instanceof AuditLogError)) throw e;
    return { bytes: Buffer.concat(parts), error: `${e.code} ${e.message}` };
  }
}

/** Conversions that ran cut into units (not sequentially), and into how many units. */
let cutRuns = 0;
let cutUnits = 0;

/** The sequential and the cut conversion agree; returns the sequential outcome. */
async function same(files: string[], opts: ConvertOptions, job: JobsOptions): Promise<Outcome> {
  const seq = await run(files, opts);
  const par = await run(files, opts, {
    ...job,
    onPlan: (units) => {
      cutRuns++;
      cutUnits += units.length;
    },
  });
  expect(par.error).toBe(seq.error);
  if (seq.error === undefined) {
    expect(par.summary).toBe(seq.summary);
    expect(par.bytes.equals(seq.bytes)).toBe(true);
  }
  return seq;
}

const inline = (cuts: JobsOptions['cuts'], more: Partial<JobsOptions> = {}): JobsOptions => ({ jobs: 2, minBytes: 0, splitBytes: 0, cuts, inline: true, ...more });

describe('writer parts', () => {
  it('a unit with no kept record does not break the next unit\'s JSON separator, and the XML RECORD_ID sequence continues', async () => {
    const f = 'fixtures/public/mysql-refman/refman-9-new-xml-sample.xml';
    // Only the last records kept: the early units write nothing.
    for (const to of ['json', 'new', 'old'] as const) {
      const seq = await same([f], { to, filter: { event: ['disconnect', 'query'] } }, inline(every(200)));
      expect(seq.bytes.length).toBeGreaterThan(0);
    }
  });
});

describe('every fixture, every target: cut conversion = sequential', () => {
  const all = fixtureInputs();
  it('covers the fixtures', () => expect(all.length).toBeGreaterThan(40));
  for (const [onError, step] of [['skip', 149], ['fail', 1009]] as const) {
    it(`--on-error ${onError}, a cut every ${step} bytes`, async () => {
      let compared = 0;
      for (const f of all) {
        for (const to of TARGETS) {
          const seq = await same([f], { to, onError, password: PASSWORDS }, inline(every(step)));
          if (!seq.error) compared++;
        }
      }
      expect(compared).toBeGreaterThan(onError === 'skip' ? 200 : 150);
      // The XML fixtures were cut (JSON, Percona CSV and gzip are read whole).
      expect(cutRuns).toBeGreaterThan(all.length);
    }, 60_000);
  }
  it('--source-tz: zone conversion before ids', async () => {
    for (const f of ['fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml', 'fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-json.json']) {
      for (const to of TARGETS) await same([f], { to, onError: 'skip', sourceTz: 'Europe/Berlin' }, inline(every(150)));
    }
  });
});

/** A NEW log with runs of one second, some records damaged, cut off at the end. */
function damagedNew(seed: number, records: number): string {
  let s = generateLogString({ format: 'new', records, seed, unterminated: true });
  // A few records lose their closing tag (malformed), some garbage between records (skipped data).
  let n = 0;
  s = s.replace(/<\/AUDIT_RECORD>/g, (m) => (++n % 37 === 0 ? '</AUDIT_RECRD>' : m));
  s = s.replace(/<AUDIT_RECORD>/g, (m) => (++n % 53 === 0 ? `garbage here\n ${m}` : m));
  return s.slice(0, s.length - 40);
}

/** All timestamps the same second: one run across every cut. */
function oneSecond(format: 'new' | 'json', records: number): string {
  const s = generateLogString({ format, records, seed: 3 });
  return format === 'new' ? s.replace(/<TIMESTAMP>[^<]*</g, '<TIMESTAMP>2019-10-03T14:06:33 UTC<') : s.replace(/"timestamp": "[^"]*"/g, '"timestamp": "2019-10-03 14:06:33"');
}

describe('generated inputs', () => {
  const big = join(dir, 'big.xml');
  writeFileSync(big, generateLogString({ format: 'new', records: 800, seed: 11 }));
  const damaged = join(dir, 'damaged.xml');
  writeFileSync(damaged, damagedNew(5, 400));
  const second = join(dir, 'second.xml');
  writeFileSync(second, oneSecond('new', 200));
  const secondJson = join(dir, 'second.json');
  writeFileSync(secondJson, oneSecond('json', 200));
  const parts = [1, 2, 3, 4].map((k) => {
    const p = join(dir, `part-${k}.json`);
    writeFileSync(p, generateLogString({ format: 'json', records: 100 + k * 30, seed: 20 + k }));
    return p;
  });

  it('one large file, many cuts, every target; filters drop whole units', async () => {
    const units = cutUnits;
    for (const to of TARGETS) {
      await same([big], { to }, inline(pieces(40)));
      await same([big], { to, filter: { user: ['root'] } }, inline(pieces(25)));
      await same([big], { to, filter: { status: ['error'] } }, inline(pieces(60)));
    }
    expect(cutUnits - units).toBeGreaterThan(5 * 100);
  });

  it('equal-second runs straddling every cut: ids continue (held runs, and runs past the hold limit); JSON inputs stay whole', async () => {
    for (const to of TARGETS) {
      for (const f of [second, secondJson]) {
        await same([f], { to }, inline(pieces(15)));
        await same([f], { to }, inline(pieces(15), { holdMax: 7 }));
        await same([f], { to, filter: { user: ['root'] } }, inline(pieces(9), { holdMax: 3 }));
      }
      // Cuts at the change of second, where a run ends and the next one starts.
      await same([big], { to }, inline(near(/<TIMESTAMP>/g, [-20, 0])));
    }
  });

  it('malformed, skipped and torn records near cuts: skip reports them all with their record numbers; fail stops at the first', async () => {
    const cuts = near(/<\/AUDIT_RECRD>|garbage here|<AUDIT_RECORD>(?![\s\S]*<AUDIT_RECORD>)/g, [-300, -3, 0, 7, 40]);
    for (const to of TARGETS) {
      const s = await same([damaged], { to, onError: 'skip' }, inline(cuts));
      const summary = JSON.parse(s.summary!) as { malformed: number; truncated: number; problems: { index?: number }[] };
      expect(summary.malformed).toBeGreaterThan(10);
      expect(summary.truncated).toBe(1);
      const f = await same([damaged], { to, onError: 'fail' }, inline(cuts));
      expect(f.error).toMatch(/^MALFORMED_RECORD .*record #\d+/);
    }
  });

  it('several files, a large one among them, some unreadable (skip) or encrypted', async () => {
    const missing = join(dir, 'missing.json');
    const enc = 'fixtures/layered/audit.20140429T092940.log.20140429T092940-1.enc';
    const gz = 'fixtures/layered/audit.log.gz';
    const files = [parts[0]!, big, missing, enc, gz, parts[1]!, damaged, parts[2]!, parts[3]!];
    for (const to of TARGETS) {
      await same(files, { to, onError: 'skip', password: PASSWORDS }, inline(pieces(7)));
      await same(files, { to, onError: 'fail', password: PASSWORDS }, inline(pieces(7)));
    }
    // Damaged records skipped, but the first unreadable input stops the run (unreadable: 'fail').
    for (const to of ['ndjson', 'new'] as const) {
      const stop = await same(files, { to, onError: 'skip', unreadable: 'fail', password: PASSWORDS }, inline(pieces(7)));
      expect(stop.error).toContain('missing.json');
    }
    expect((await run([damaged], { to: 'ndjson', onError: 'skip', unreadable: 'fail' })).summary).toContain('"malformed":1');
  });

  it('an AES file cut off inside its last block, read in parts: every record, and its notice once, where one thread tells it', async () => {
    const plain = join(dir, 'torn-plain.xml');
    // Parts larger than a read block (1 MiB): a part that took the notice for a record past its end stopped after one block.
    writeFileSync(plain, generateLogString({ format: 'new', bytes: 5 << 20, seed: 14 }));
    const enc = join(dir, 'torn.xml.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:pw', '-in', plain, '-out', enc], { stdio: 'pipe' });
    writeFileSync(enc, readFileSync(enc).subarray(0, -5));
    const password = staticPassword('pw');
    const records = (readFileSync(plain, 'latin1').match(/<\/AUDIT_RECORD>/g) ?? []).length;
    for (const to of ['ndjson', 'new'] as const) {
      const seq = await same([enc], { to, onError: 'skip', password }, inline(pieces(3)));
      const s = JSON.parse(seq.summary!) as { read: number; problems: { code: string }[] };
      // The last record is in the block cut off (it is the torn one).
      expect(s.read).toBe(records - 1);
      expect(s.problems.filter((p) => p.code === 'TRUNCATED_INPUT').length).toBe(1);
    }
    await same([enc, plain], { to: 'json', onError: 'skip', password }, { jobs: 2, minBytes: 0, splitBytes: 0, cuts: pieces(4) });
  });

  it('in worker threads: several files and one file cut in pieces', async () => {
    const before = cutRuns;
    for (const to of ['json', 'new', 'csv'] as const) {
      await same([...parts, big, damaged], { to, onError: 'skip' }, { jobs: 2, minBytes: 0, splitBytes: 0, cuts: pieces(5) });
      await same([second, big], { to }, { jobs: 2, minBytes: 0, splitBytes: 0, cuts: pieces(6), holdMax: 5 });
    }
    const f = await same([big, damaged], { to: 'json', onError: 'fail' }, { jobs: 2, minBytes: 0, splitBytes: 0, cuts: pieces(6) });
    expect(f.error).toMatch(/^MALFORMED_RECORD/);
    expect(cutRuns - before).toBe(7);
  }, 30_000);
});

describe('one thread when parts cannot be read apart', () => {
  it('--track-db, --jobs 1, bytes in memory and too little input run sequentially, with the same result', async () => {
    const f = 'fixtures/public/mysql-refman/refman-9-new-xml-sample.xml';
    let planned = 0;
    const job = (more: Partial<JobsOptions>): JobsOptions => ({ jobs: 2, minBytes: 0, splitBytes: 0, cuts: every(200), inline: true, onPlan: () => planned++, ...more });
    for (const [opts, j, src] of [
      [{ to: 'json', trackDb: true }, job({}), [f]],
      [{ to: 'json' }, job({ jobs: 1 }), [f]],
      [{ to: 'json' }, job({}), [readFileSync(f)]],
      [{ to: 'json' }, job({ minBytes: 1 << 30 }), [f]],
    ] as const) {
      const seq = await run(src as never, opts);
      const par = await run(src as never, opts, j);
      expect(par.summary).toBe(seq.summary);
    }
    expect(planned).toBe(0);
    // The same options with a file and threads allowed are cut.
    await run([f], { to: 'json' }, job({}));
    expect(planned).toBe(1);
  });

  it('gzip inputs larger than two units holding most of the work run sequentially (their output would wait in order), with the same result', async () => {
    const logs = [11, 12].map((seed) => generateLogString({ format: 'new', records: 400, seed }));
    const gz = logs.map((l, k) => {
      const p = join(dir, `whole-${k}.xml.gz`);
      writeFileSync(p, gzipSync(l));
      return p;
    });
    const plain = join(dir, 'whole-plain.xml');
    writeFileSync(plain, logs[0]!);
    const unitBytes = Math.floor(Buffer.byteLength(logs[0]!) / 3);
    let planned = 0;
    const job: JobsOptions = { jobs: 2, minBytes: 0, splitBytes: 0, unitBytes, inline: true, onPlan: () => planned++ };
    const seq = await run(gz, { to: 'json' });
    expect((await run(gz, { to: 'json' }, job)).summary).toBe(seq.summary);
    expect(planned).toBe(0);
    // Not too large for units as large as each input; and a gzip input holding less than half the work: workers.
    expect((await run(gz, { to: 'json' }, { ...job, unitBytes: Buffer.byteLength(logs[0]!) })).summary).toBe(seq.summary);
    expect(planned).toBe(1);
    await run([plain, plain, gz[0]!], { to: 'json' }, job);
    expect(planned).toBe(2);
  });
});

describe('CLI --jobs', () => {
  const big = join(dir, 'cli-big.xml');
  writeFileSync(big, generateLogString({ format: 'new', records: 700, seed: 9 }));
  const damaged = join(dir, 'cli-damaged.xml');
  writeFileSync(damaged, damagedNew(8, 300));
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'convert', '--split-bytes', '0', ...args], { encoding: 'buffer' });

  it('--jobs 1 and --jobs 2 write the same file and print the same --json summary (json, same-format new, --compress)', () => {
    for (const extra of [['--to', 'json'], ['--to', 'new', '--user', 'root'], ['--to', 'ndjson', '--compress']]) {
      const outs = ['1', '2'].map((j) => {
        const o = join(dir, `cli-out-${j}`);
        const p = cli([big, damaged, '--on-error', 'skip', '--json', '-o', o, '--jobs', j, ...extra]);
        expect(p.status).toBe(1); // the damaged input's problems
        return { bytes: readFileSync(o), summary: p.stdout.toString().replaceAll(o, 'OUT') };
      });
      expect(outs[1]!.summary).toBe(outs[0]!.summary);
      expect(outs[1]!.bytes.equals(outs[0]!.bytes)).toBe(true);
      if (extra.includes('--compress')) expect(gunzipSync(outs[0]!.bytes).length).toBeGreaterThan(0);
    }
  });

  it('--encrypt: openssl decrypts the same plain output', () => {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'secret\n');
    const plain = ['1', '2'].map((j) => {
      const o = join(dir, `cli-enc-${j}`);
      const p = cli([big, '--to', 'json', '--encrypt', '--password-file', pw, '-o', o, '--jobs', j]);
      expect(p.stderr.toString()).toMatch(/^700 records written to /);
      expect(p.status).toBe(0);
      return execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:secret', '-in', o]);
    });
    expect(plain[1]!.equals(plain[0]!)).toBe(true);
    expect(JSON.parse(plain[0]!.toString()).length).toBe(700);
  });

  it('--on-error fail: the same first error, and no output file left', () => {
    const errs = ['1', '2'].map((j) => {
      const o = join(dir, `cli-fail-${j}`);
      const p = cli([big, damaged, '--to', 'json', '-o', o, '--jobs', j]);
      expect(p.status).toBe(1);
      expect(existsSync(o)).toBe(false);
      return p.stderr.toString();
    });
    expect(errs[0]).toMatch(/MALFORMED_RECORD/);
    expect(errs[1]).toBe(errs[0]);
  });
});
