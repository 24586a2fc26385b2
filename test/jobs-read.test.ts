/**
 * `read --jobs N`: the whole files after the one a read starts in are read on
 * workers when every event is wanted. These tests hold the output, the
 * result (count, more, cursor, data problems, stats) and the problems told to
 * those of one thread, for rotated sets whose files share a second across
 * their boundaries (ids continue from one file into the next), with damaged
 * records and an active file's torn end; and the CLI's output, stderr and
 * saved cursor to those of `--jobs 1`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import { staticPassword } from '../src/layers/index.js';
import { runRead, type RunReadOptions } from '../src/read.js';

const root = mkdtempSync(join(tmpdir(), 'jobs-read-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CLI = join(process.cwd(), 'bin', 'run.js');

/**
 * A rotated set cut from one generated log: `files` files of about equal
 * records, the last the active `audit.log` (unterminated, its last record torn
 * when `torn`), the others named by their rotation time. Cuts fall between
 * records, often inside a second. Every 29th record of the middle file loses
 * its closing tag when `damaged`.
 */
function rotatedSet(name: string, format: 'new' | 'json', opts: { records: number; files: number; seed: number; torn?: boolean; damaged?: boolean }): string {
  const dir = join(root, name);
  mkdirSync(dir);
  const text = generateLogString({ format, records: opts.records, seed: opts.seed });
  const records = format === 'json' ? text.slice(2, text.lastIndexOf('\n]')).split(',\n') : text.match(/<AUDIT_RECORD>[\s\S]*?<\/AUDIT_RECORD>\n/g)!;
  const head = format === 'json' ? '[\n' : text.slice(0, text.indexOf('<AUDIT_RECORD>'));
  const per = Math.ceil(records.length / opts.files);
  for (let k = 0; k < opts.files; k++) {
    let group = records.slice(k * per, (k + 1) * per);
    if (opts.damaged && k === Math.floor(opts.files / 2)) group = group.map((r, i) => (i % 29 === 5 ? r.replace('</AUDIT_RECORD>', '</AUDIT_RECRD>') : r));
    const active = k === opts.files - 1;
    let body = head + (format === 'json' ? group.join(',\n') : group.join(''));
    if (!active) body += format === 'json' ? '\n]\n' : '</AUDIT>\n';
    else if (opts.torn) body = body.slice(0, -25);
    const stamp = `20191003T${String(150000 + k).padStart(6, '0')}`;
    writeFileSync(join(dir, active ? 'audit.log' : `audit.${stamp}.log`), body);
  }
  return dir;
}

let onWorkers = 0;

/** A read's output, result and problems, with `jobs` threads (every file set counts: minBytes 0). */
async function read(dir: string, opts: Partial<RunReadOptions>, jobs: number): Promise<string> {
  let text = '';
  const problems: string[] = [];
  try {
    const { result } = await runRead({ paths: [dir], ...opts, jobs, minBytes: 0, onWorkers: () => onWorkers++, onProblem: (e) => problems.push(`${e.code} ${e.message}`) }, async (t) => {
      text += t;
    });
    return JSON.stringify({ text, result, problems }, null, 1);
  } catch (e) {
    return JSON.stringify({ text, problems, error: String(e) }, null, 1);
  }
}

async function same(dir: string, opts: Partial<RunReadOptions>, workers: boolean): Promise<string> {
  const one = await read(dir, opts, 1);
  const before = onWorkers;
  const two = await read(dir, opts, 2);
  expect(two).toBe(one);
  expect(onWorkers - before).toBe(workers ? 1 : 0);
  return one;
}

describe('read on workers = read on one thread', () => {
  for (const format of ['new', 'json'] as const) {
    it(`${format}: from the oldest event, from a time and from a bookmark, ids across file boundaries`, async () => {
      const dir = rotatedSet(`set-${format}`, format, { records: 1500, files: 5, seed: 61 });
      const all = JSON.parse(await same(dir, {}, true)) as { text: string; result: { count: number; cursor: unknown } };
      expect(all.result.count).toBe(1500);
      const events = (JSON.parse(all.text) as ({ timestamp: string; id: number } | null)[]).filter((e) => e !== null);
      // A second that spans a file boundary continues its count.
      const crossing = events.filter((e, i) => i > 0 && e.timestamp === events[i - 1]!.timestamp && e.id > 0);
      expect(crossing.length).toBeGreaterThan(100);
      const mid = events[400]!;
      await same(dir, { start: mid.timestamp }, true);
      await same(dir, { bookmark: { timestamp: mid.timestamp, id: mid.id } }, true);
      await same(dir, { ndjson: true }, true);
      // From the last file: nothing is left after it; cut in parts, the files' parts are read on workers.
      await same(dir, { start: events[1250]!.timestamp }, false);
      // JSON files are read whole: larger than two such units, they are read on this thread (convert.ts mostlyWhole).
      await same(dir, { unitBytes: 20_000 }, format === 'new');
      await same(dir, { start: mid.timestamp, unitBytes: 20_000 }, format === 'new');
      // One file left: cut when it is XML (JSON files are read whole, as convert reads them).
      await same(dir, { start: events[1050]!.timestamp, unitBytes: 10_000 }, format === 'new');
      // A limit reads on one thread.
      await same(dir, { maxArrayLength: 1000 }, false);
    }, 30_000);
  }

  it('damaged records in a middle file are told in order; the active file\'s torn end is not', async () => {
    const dir = rotatedSet('damaged', 'new', { records: 1200, files: 4, seed: 62, torn: true, damaged: true });
    expect(await read(dir, { unitBytes: 7_000 }, 2)).toBe(await read(dir, {}, 1));
    const r = JSON.parse(await same(dir, {}, true)) as { problems: string[]; result: { dataProblems: boolean } };
    expect(r.problems.length).toBeGreaterThan(3);
    expect(r.problems.every((p) => p.startsWith('MALFORMED_RECORD'))).toBe(true);
    expect(r.result.dataProblems).toBe(true);
  });

  it('a set mostly of gzip files larger than two units is read on this thread (their output would wait in order), with the same result', async () => {
    const dir = rotatedSet('mostly-gz', 'new', { records: 1200, files: 4, seed: 65 });
    const rotated = readdirSync(dir).filter((n) => n !== 'audit.log');
    expect(rotated.length).toBe(3);
    for (const n of rotated) {
      const p = join(dir, n);
      writeFileSync(p + '.gz', gzipSync(readFileSync(p)));
      rmSync(p);
    }
    const unitBytes = 30_000;
    expect(readFileSync(join(dir, 'audit.log')).length).toBeGreaterThan(2 * unitBytes);
    await same(dir, { unitBytes }, false);
    // Units as large as the files: none is too large, and workers read them.
    await same(dir, { unitBytes: 1 << 20 }, true);
  });

  it('a set with gzip and AES files among them (passwords asked on this thread), cut and whole', async () => {
    const dir = rotatedSet('layers', 'new', { records: 1200, files: 4, seed: 64 });
    const names = readdirSync(dir).sort();
    const gz = join(dir, names[0]!);
    writeFileSync(gz + '.gz', gzipSync(readFileSync(gz)));
    rmSync(gz);
    const plain = join(dir, names[1]!);
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:pw', '-in', plain, '-out', plain + '.enc'], { stdio: 'pipe' });
    rmSync(plain);
    const password = staticPassword('pw');
    const r = JSON.parse(await same(dir, { password }, true)) as { result: { count: number; stats: { filesRead: string[] } } };
    expect(r.result.count).toBe(1200);
    expect(r.result.stats.filesRead.length).toBe(4);
    await same(dir, { password, unitBytes: 30_000 }, true);
    // An AES file whose plaintext fills its last block (a whole block of padding follows), and one cut off inside its last block.
    const third = join(dir, names[2]!);
    const text = readFileSync(third, 'latin1');
    writeFileSync(third, text.replace('</AUDIT>\n', ' '.repeat((16 - (text.length % 16)) % 16) + '</AUDIT>\n'));
    expect(readFileSync(third).length % 16).toBe(0);
    for (const torn of [false, true]) {
      execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:pw', '-in', third, '-out', third + '.enc'], { stdio: 'pipe' });
      if (torn) writeFileSync(third + '.enc', readFileSync(third + '.enc').subarray(0, -5));
      const moved = join(root, `third-${torn}`);
      writeFileSync(moved, readFileSync(third));
      rmSync(third);
      const r = JSON.parse(await same(dir, { password, unitBytes: 30_000 }, true)) as { problems: string[]; result: { dataProblems: boolean } };
      // A rotated file cut off is told (the active file's torn end alone is not).
      expect(r.problems.filter((p) => p.startsWith('TRUNCATED_INPUT')).length).toBe(torn ? 1 : 0);
      expect(r.result.dataProblems).toBe(torn);
      writeFileSync(third, readFileSync(moved));
      rmSync(third + '.enc');
    }
  });

  it('resuming from a saved cursor: the same cursor is saved, and the next read from it is the same', async () => {
    const dir = rotatedSet('cursor', 'json', { records: 900, files: 4, seed: 63 });
    const states = [1, 2].map((jobs) => {
      const state = join(root, `cursor-${jobs}.state`);
      const p = spawnSync(process.execPath, [CLI, 'read', dir, '--state', state, '--max-array-length', '100', '--jobs', String(jobs), '--split-bytes', '0'], { encoding: 'utf8' });
      expect(p.status).toBe(0);
      return state;
    });
    expect(readFileSync(states[1]!, 'utf8')).toBe(readFileSync(states[0]!, 'utf8'));
    const runs = states.map((state, k) => spawnSync(process.execPath, [CLI, 'read', dir, '--state', state, '--verbose', '--jobs', String(k + 1), '--split-bytes', '0'], { encoding: 'utf8' }));
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    expect(runs[1]!.stderr).toBe(runs[0]!.stderr);
    expect(runs[0]!.stderr).toMatch(/read +4 of 4 files/);
    expect(JSON.parse(runs[0]!.stdout).length).toBe(800 + 1);
    expect(readFileSync(states[1]!, 'utf8')).toBe(readFileSync(states[0]!, 'utf8'));
  }, 30_000);
});
