/**
 * `show --jobs N`: the records it shows come from the conversion loop into an
 * event sink (src/sinks/events.ts), on one thread or on workers. These tests
 * hold the events, their ids, the problems and the data-problem flag of a
 * cut or multi-file run on workers to those of one thread, and the events of
 * one thread to what the reader gives; and the CLI's rows, notes and exit
 * code to those of `--jobs 1`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import { convertInto, type ConvertOptions } from '../src/convert.js';
import { AuditLogError } from '../src/errors.js';
import type { FilterSpec } from '../src/filter.js';
import { createPasswordSource } from '../src/layers/passwords.js';
import { convertIntoWithJobs, type JobsOptions } from '../src/parallel/convert.js';
import { readAuditLog } from '../src/reader.js';
import { createEventSink, EVENT_SINK_FORMAT } from '../src/sinks/events.js';
import { fixtureInputs } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'jobs-show-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CLI = join(process.cwd(), 'bin', 'run.js');
const PASSWORDS = createPasswordSource({ passwordMapFile: 'fixtures/layered/passwords.json' });

/** Nominal cuts every `step` bytes (the planner moves each to the next record start). */
const every = (step: number) => (_f: string, size: number) => Array.from({ length: Math.max(0, Math.ceil(size / step) - 1) }, (_, k) => (k + 1) * step);
const pieces = (n: number) => (_f: string, size: number) => Array.from({ length: n - 1 }, (_, k) => Math.floor(((k + 1) * size) / n));

let planned = 0;

/** What `show` gets from a run: every event handed to the sink (as JSON, when handed), the problems told, and how it ended. */
async function shown(files: string[], filter: FilterSpec, job?: JobsOptions): Promise<string> {
  const events: string[] = [];
  const problems: string[] = [];
  const sink = createEventSink((evs) => {
    for (const e of evs) events.push(JSON.stringify(e));
    return true;
  });
  const opts: ConvertOptions = { to: EVENT_SINK_FORMAT, filter, onError: 'skip', unreadable: 'fail', password: PASSWORDS, onProblem: (e) => problems.push(`${e.code} ${e.message}`) };
  try {
    const s = job ? await convertIntoWithJobs(files, () => sink, opts, { ...job, onPlan: () => planned++ }) : await convertInto(files, () => sink, opts);
    return JSON.stringify({ events, problems, dataProblems: s.dataProblems, read: s.read, filtered: s.filtered, written: s.written }, null, 1);
  } catch (e) {
    if (!(e instanceof AuditLogError)) throw e;
    return JSON.stringify({ events, problems, error: `${e.code} ${e.message}` }, null, 1);
  }
}

/** The events the reader gives for a file, read on its own as `show` reads it. */
async function readEvents(file: string): Promise<string[]> {
  const out: string[] = [];
  const log = readAuditLog(file, { onError: 'skip', keepRaw: false, password: PASSWORDS });
  for await (const batch of log.batches()) for (const e of batch) out.push(JSON.stringify(e.event));
  return out;
}

/** Write a generated input into the scratch directory. */
function put(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const inline = (cuts: JobsOptions['cuts'], more: Partial<JobsOptions> = {}): JobsOptions => ({ jobs: 2, minBytes: 0, splitBytes: 0, cuts, inline: true, ...more });

describe('event sink: the events of a cut run are those of one thread, which are those the reader gives', () => {
  it('every fixture, cut every 149 bytes, with and without a filter', async () => {
    const before = planned;
    let events = 0;
    for (const f of fixtureInputs()) {
      const seq = await shown([f], {});
      const parsed = JSON.parse(seq) as { events: string[]; error?: string };
      if (!parsed.error) {
        expect(parsed.events).toEqual(await readEvents(f));
        events += parsed.events.length;
      }
      expect(await shown([f], {}, inline(every(149)))).toBe(seq);
      const filter: FilterSpec = { status: ['error'] };
      expect(await shown([f], filter, inline(every(149)))).toBe(await shown([f], filter));
    }
    expect(events).toBeGreaterThan(500);
    // The XML fixtures were cut (JSON, Percona CSV and gzip are read whole, and single small files need no plan).
    expect(planned - before).toBeGreaterThan(20);
  }, 120_000);

  it('local times keep no time_zone member in their events (the writer marks it, the sink takes it off)', async () => {
    const f = 'fixtures/public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml';
    const seq = JSON.parse(await shown([f], {})) as { events: string[] };
    expect(seq.events.length).toBeGreaterThan(0);
    expect(seq.events.some((e) => e.includes('time_zone'))).toBe(false);
    expect(await shown([f], {}, inline(every(200)))).toBe(JSON.stringify(seq, null, 1));
  });
});

describe('generated inputs', () => {
  const big = put('big.xml', generateLogString({ format: 'new', records: 900, seed: 41 }));
  // One second throughout: per-second ids run across every cut.
  const second = put('second.xml', generateLogString({ format: 'new', records: 300, seed: 42 }).replace(/<TIMESTAMP>[^<]*</g, '<TIMESTAMP>2019-10-03T14:06:33 UTC<'));
  let n = 0;
  const damaged = put(
    'damaged.xml',
    generateLogString({ format: 'new', records: 400, seed: 43, unterminated: true })
      .replace(/<\/AUDIT_RECORD>/g, (m) => (++n % 37 === 0 ? '</AUDIT_RECRD>' : m))
      .slice(0, -40),
  );
  const json = put('part.json', generateLogString({ format: 'json', records: 200, seed: 44 }));
  const missing = join(dir, 'missing.xml');
  const text = put('notes.txt', 'not an audit log\n');

  it('ids across cuts in one second, held runs past the hold limit, filters', async () => {
    for (const filter of [{}, { user: ['root'] }, { status: ['error'] }] as FilterSpec[]) {
      const seq = await shown([second], filter);
      expect(await shown([second], filter, inline(pieces(12)))).toBe(seq);
      expect(await shown([second], filter, inline(pieces(12), { holdMax: 4 }))).toBe(seq);
    }
    expect(JSON.parse(await shown([second], {})).events[299]).toContain('"id":299');
  });

  it('damaged records near cuts are told in order, and an unreadable input stops the run where one thread stops', async () => {
    for (const files of [[big, damaged, json], [big, missing, json], [damaged, text, big]]) {
      const seq = await shown(files, {});
      expect(await shown(files, {}, inline(pieces(9)))).toBe(seq);
      expect(await shown(files, { user: ['root'] }, inline(every(3000)))).toBe(await shown(files, { user: ['root'] }));
    }
    expect(JSON.parse(await shown([big, missing, json], {})).error).toContain('missing.xml');
    expect(JSON.parse(await shown([damaged], {})).problems.length).toBeGreaterThan(5);
  });

  it('on worker threads: several files and files cut in parts', async () => {
    const before = planned;
    for (const filter of [{}, { status: ['error'] }] as FilterSpec[]) {
      const files = [big, damaged, json, second];
      expect(await shown(files, filter, { jobs: 2, minBytes: 0, splitBytes: 0, cuts: pieces(4) })).toBe(await shown(files, filter));
    }
    expect(await shown([big, missing], {}, { jobs: 2, minBytes: 0, splitBytes: 0 })).toBe(await shown([big, missing], {}));
    expect(planned - before).toBe(3);
    // Progress after each merged unit: how far into each file (to its size), and the records read in all.
    const told: [string, number, number][] = [];
    const all = JSON.parse(await shown([big, json], {}, { jobs: 2, minBytes: 0, splitBytes: 0, cuts: pieces(3), onProgress: (f, disk, _d, n) => told.push([f, disk, n]) }));
    expect(told.map((t) => t[0])).toEqual([big, big, big, json]);
    expect(told.map((t) => t[1])).toEqual([expect.any(Number), expect.any(Number), statSync(big).size, statSync(json).size]);
    expect(told[0]![1]).toBeLessThan(told[1]![1]);
    expect(told[3]![2]).toBe(all.read);
  }, 30_000);
});

describe('show CLI: --jobs 2 prints what --jobs 1 prints', () => {
  const a = put('cli-a.xml', generateLogString({ format: 'new', records: 500, seed: 51 }));
  let n = 0;
  const damaged = put('cli-damaged.xml', generateLogString({ format: 'new', records: 300, seed: 52 }).replace(/<\/AUDIT_RECORD>/g, (m) => (++n % 41 === 0 ? '</AUDIT_RECRD>' : m)));
  const json = put('cli-b.json', generateLogString({ format: 'json', records: 300, seed: 53 }));
  const text = put('cli-text.txt', 'no log\n');
  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'show', ...args], { encoding: 'utf8' });

  it('rows, --vertical, --count and --fields, notes on stderr and the exit code, over several files, damaged and unreadable ones among them', () => {
    const sets = [[a, damaged, json], [a, json, text, damaged], [a, join(dir, 'missing.xml')]];
    const modes = [[], ['--vertical'], ['--count'], ['--status', 'error', '--fields', 'time,user@host,id,login.ip,sql'], ['--user', 'root', '--vertical', '--fields', 'id,name']];
    let compared = 0;
    for (const files of sets) {
      for (const mode of modes) {
        const one = cli([...mode, '--jobs', '1', ...files]);
        const two = cli([...mode, '--jobs', '2', '--split-bytes', '0', ...files]);
        expect(two.stdout).toBe(one.stdout);
        expect(two.stderr).toBe(one.stderr);
        expect(two.status).toBe(one.status);
        if (one.stdout.length > 0) compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(12);
    // What the runs end in: data problems (exit 1), and an unreadable input (its error, exit 2 or 3).
    expect(cli(['--jobs', '2', '--split-bytes', '0', a, damaged]).status).toBe(1);
    const stop = cli(['--jobs', '2', '--split-bytes', '0', a, text, json]);
    expect(stop.stderr).toContain('cli-text.txt');
    expect(stop.status).not.toBe(0);
  }, 60_000);
});
