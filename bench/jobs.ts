/**
 * `BENCH_ONLY=jobs npm run bench`: the CLI as users run it (`node bin/run.js
 * info --json --jobs N FILES`, startup included, its stdout captured and
 * compared), `--jobs 1` beside `--jobs 2` beside a framing floor (one thread
 * reading the same files and finding each record's end with indexOf, in its
 * own node process), over one 200 MiB file, over 4 files of 50 MiB and (NEW)
 * those 4 gzipped (MiB/s of the decoded bytes; the floor reads them plain), in
 * rounds (floor, jobs 1, jobs 2 back to back). Peak RSS is the process's,
 * worker threads included (GNU time's maximum resident set size).
 *
 * Over the 4 files, a last column gives what this machine does for two runs
 * that share nothing: two `--jobs 1` processes at the same time, two files
 * each (wall time until both ended). That is the most two threads can be
 * expected to give here, whatever the code: the rest of `--jobs 2`'s distance
 * to it is its own overhead.
 *
 *   node dist/bench/jobs.js floor new a.xml b.xml     # the floor scenario alone
 *   BENCH_ONLY=jobs BENCH_JOBS_ROWS=convert npm run bench   # the convert rows only
 *
 * The rows come from COMMANDS: a command that learns --jobs adds its line there.
 * `read` is given the files as a rotated set (a directory of hard links).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateLog } from './generate.js';

type Format = 'new' | 'old' | 'json';

interface Command {
  /** The row's name. */
  label: string;
  /** Input formats it runs on. */
  formats: Format[];
  /** The CLI arguments before the files (without --jobs). */
  args: string[];
  /** Whether two runs must print the same bytes (reports do; outputs with times in them may not). */
  sameOutput: boolean;
  /** Write the output into a file in a temporary directory (`-o`), the `--json` summary to stdout; the files are compared too. */
  toFile?: boolean;
  /** Give the files as a rotated set: a directory of hard links named as the server names rotated files. */
  asSet?: boolean;
}

/** The commands measured. */
export const COMMANDS: Command[] = [
  { label: 'info', formats: ['new', 'old', 'json'], args: ['info', '--json'], sameOutput: true },
  { label: 'convert ->json', formats: ['new'], args: ['convert', '--to', 'json', '--json'], sameOutput: true, toFile: true },
  { label: 'convert ->new', formats: ['new'], args: ['convert', '--to', 'new', '--json'], sameOutput: true, toFile: true },
  { label: 'show filtered', formats: ['new'], args: ['show', '--user', 'root', '--status', 'error'], sameOutput: true },
  { label: 'read', formats: ['new'], args: ['read', '--ndjson'], sameOutput: true, asSet: true },
];

/** Hard links to `files` in `dir` (made once), the k-th named `name(k)`. */
function hardLinks(dir: string, files: string[], name: (k: number) => string): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f, k) => {
    const link = join(dir, name(k));
    if (!existsSync(link)) linkSync(f, link);
    return link;
  });
}

/** A rotated set of `files` (hard links in `dir`), oldest first by name. */
function rotatedSet(dir: string, files: string[]): string {
  hardLinks(dir, files, (k) => `audit.20191003T${String(150000 + k)}.log`);
  return dir;
}

/** The median run by wall time, with the largest peak RSS of all the runs. */
function median(xs: Measure[]): Measure {
  return { ...[...xs].sort((a, b) => a.ms - b.ms)[Math.floor(xs.length / 2)]!, maxRssMiB: Math.max(...xs.map((x) => x.maxRssMiB)) };
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const CLI = join(root, 'bin', 'run.js');
const TIME = '/usr/bin/time';

interface Measure {
  ms: number;
  /** CPU seconds (user + system, all threads). */
  cpuS: number;
  maxRssMiB: number;
  stdout: string;
  records: number;
}

/** Run a node script under GNU time (when there is one): wall time, peak RSS, its stdout. */
function measure(args: string[]): Measure {
  const withTime = existsSync(TIME);
  const t0 = process.hrtime.bigint();
  const r = withTime
    ? spawnSync(TIME, ['-f', '@@rss %M %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const stdout = r.stdout ?? '';
  // A long output (rows, events) is kept as its hash: the runs are compared, not stored.
  return { ms, ...ranFor(stdout, r.stderr ?? ''), stdout: stdout.length > 1 << 20 ? `sha256 ${createHash('sha256').update(stdout).digest('hex')}` : stdout };
}

/** CPU seconds and peak RSS from GNU time's line on stderr, records from the `--json` summary on stdout (NaN where missing). */
function ranFor(stdout: string, stderr: string): Pick<Measure, 'cpuS' | 'maxRssMiB' | 'records'> {
  const rss = /@@rss (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
  let records = NaN;
  try {
    const j = JSON.parse(stdout) as { records?: number; read?: number };
    records = j.records ?? j.read ?? NaN;
  } catch {
    const m = /"records":\s*(\d+)/.exec(stdout);
    if (m) records = Number(m[1]);
  }
  return { cpuS: rss ? Number(rss[2]) + Number(rss[3]) : NaN, maxRssMiB: rss ? Number(rss[1]) / 1024 : NaN, records };
}

/** Two CLI runs at the same time, each under GNU time (when there is one): wall time until both ended, CPU and records summed, the larger peak RSS. */
async function measurePair(a: string[], b: string[]): Promise<Measure> {
  const withTime = existsSync(TIME);
  const run = (args: string[]) =>
    new Promise<{ stdout: string; stderr: string; status: number | null }>((done, fail) => {
      const c = withTime ? spawn(TIME, ['-f', '@@rss %M %U %S', process.execPath, ...args]) : spawn(process.execPath, args);
      let stdout = '';
      let stderr = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      c.on('error', fail).on('close', (status) => done({ stdout, stderr, status }));
    });
  const t0 = process.hrtime.bigint();
  const rs = await Promise.all([run(a), run(b)]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let cpuS = 0;
  let maxRssMiB = 0;
  let records = 0;
  for (const [k, r] of rs.entries()) {
    if (r.status !== 0 && r.status !== 1) throw new Error(`${(k ? b : a).join(' ')} exited ${r.status}: ${r.stderr}`);
    const m = ranFor(r.stdout, r.stderr);
    cpuS += m.cpuS;
    maxRssMiB = Math.max(maxRssMiB, m.maxRssMiB);
    records += m.records;
  }
  return { ms, cpuS, maxRssMiB, stdout: '', records };
}

/** What marks a record's end, per format: NEW `</AUDIT_RECORD>`, OLD `/>`, JSON the newline. */
const CLOSERS: Record<Format, Buffer> = { new: Buffer.from('</AUDIT_RECORD>'), old: Buffer.from('/>\n'), json: Buffer.from('\n') };

/** The framing floor: read each file in 1 MiB blocks and count the record ends (carrying a closer split over two blocks). */
function floor(format: Format, files: string[]): { bytes: number; records: number } {
  const closer = CLOSERS[format];
  const buf = Buffer.allocUnsafe((1 << 20) + closer.length);
  let bytes = 0;
  let records = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    let keep = 0;
    for (;;) {
      const n = readSync(fd, buf, keep, 1 << 20, null);
      if (n === 0) break;
      bytes += n;
      const end = keep + n;
      let i = buf.indexOf(closer, 0);
      let last = -1;
      while (i >= 0 && i + closer.length <= end) {
        records++;
        last = i + closer.length;
        i = buf.indexOf(closer, last);
      }
      // Keep the bytes that may begin a closer.
      const from = Math.max(last, end - closer.length + 1, 0);
      buf.copy(buf, 0, from, end);
      keep = end - from;
    }
    closeSync(fd);
  }
  return { bytes, records };
}

async function ensure(dataDir: string, format: Format, mib: number, seed: number, part?: number): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const ext = format === 'json' ? 'json' : 'xml';
  // The name says everything the content depends on: format, size, seed (and the part's own seed).
  const path = join(dataDir, part === undefined ? `${format}-${mib}MiB-${seed}.${ext}` : `${format}-${mib}MiB-${seed}-part${part}.${ext}`);
  if (existsSync(path)) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  for (const chunk of generateLog({ format, bytes: mib * 1024 * 1024, seed: part === undefined ? seed : seed + 1 + part })) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  renameSync(tmp, path);
  return path;
}

/** `path` gzipped next to it (`.gz`, level 6 as gzip's default), made once. */
async function ensureGz(path: string): Promise<string> {
  const gz = `${path}.gz`;
  if (existsSync(gz)) return gz;
  const tmp = `${gz}.${process.pid}.tmp`;
  await pipeline(createReadStream(path), createGzip({ level: 6 }), createWriteStream(tmp));
  renameSync(tmp, gz);
  return gz;
}

export interface JobsSectionOptions {
  dataDir: string;
  mib: number;
  seed: number;
  runs: number;
}

/** Print the jobs section: per command, format and layout, the floor, --jobs 1 and --jobs 2. */
export async function jobsSection(o: JobsSectionOptions): Promise<void> {
  const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/^.*load/, 'load');
  console.log(`== jobs: the CLI (node bin/run.js ... --jobs N FILES, startup included) beside a one-thread framing floor (node, read + indexOf); median of ${o.runs} rounds; ${load()}`);
  console.log('   (MiB/s and records/s of wall time; peak RSS of the process, worker threads included; CPU seconds of all its threads)');
  console.log(`${''.padEnd(30)} ${'floor'.padStart(22)} ${'--jobs 1'.padStart(42)} ${'--jobs 2'.padStart(42)} ${'jobs2/jobs1'.padStart(11)} ${'2 x --jobs 1 at once'.padStart(22)} ${'/jobs1'.padStart(7)}`);
  const cell = (m: Measure, bytes: number, withRecs: boolean) => {
    const s = m.ms / 1000;
    const mibs = `${(bytes / 1048576 / s).toFixed(0).padStart(5)} MiB/s`;
    const rss = `${Number.isFinite(m.maxRssMiB) ? m.maxRssMiB.toFixed(0) : '-'} MiB`;
    const cpu = `${Number.isFinite(m.cpuS) ? m.cpuS.toFixed(1) : '-'} cpu-s`;
    // Records are known from a --json summary (show and read print none).
    const recs = Number.isFinite(m.records) ? (m.records / s / 1000).toFixed(0) : '-';
    return withRecs ? `${mibs} ${recs.padStart(5)} krec/s ${rss.padStart(8)} ${cpu.padStart(10)}` : `${mibs} ${rss.padStart(8)}`;
  };
  // BENCH_JOBS_ROWS=convert: only the rows whose label starts so.
  const rows = process.env.BENCH_JOBS_ROWS;
  for (const cmd of COMMANDS.filter((c) => rows === undefined || c.label.startsWith(rows))) {
    for (const format of cmd.formats) {
      const parts = await Promise.all([0, 1, 2, 3].map((k) => ensure(o.dataDir, format, o.mib / 4, o.seed, k)));
      // [layout, the files given, the plain files they hold: what the floor reads and MiB/s count].
      const layouts: [string, string[], string[]][] = [
        [`1 x ${o.mib} MiB`, [await ensure(o.dataDir, format, o.mib, o.seed)], []],
        [`4 x ${o.mib / 4} MiB`, parts, []],
      ];
      // A month of rotated logs is mostly gzip files: read whole, one per thread.
      if (format === 'new') layouts.push([`4 x ${o.mib / 4} MiB .gz`, await Promise.all(parts.map(ensureGz)), parts]);
      for (const [layout, files, plainFiles] of layouts) {
        const plain = plainFiles.length ? plainFiles : files;
        const bytes = plain.reduce((n, f) => n + statSync(f).size, 0);
        const runs: Record<'floor' | 'j1' | 'j2' | 'pair', Measure[]> = { floor: [], j1: [], j2: [], pair: [] };
        const tmp = cmd.toFile ? mkdtempSync(join(tmpdir(), 'auditlog-bench-')) : undefined;
        const out = (jobs: string) => (tmp ? ['-o', join(tmp, `out-${jobs}`)] : []);
        // What the CLI is given: the files, or (asSet) the directory of their rotated set; halves for the pair.
        const half = Math.ceil(files.length / 2);
        const slug = `${format}-${layout.replaceAll(' ', '')}`;
        const given = (part: string[], name: string) => (cmd.asSet ? [rotatedSet(join(o.dataDir, `set-${slug}${name}`), part)] : part);
        const all = given(files, '');
        let sameFiles = true;
        try {
          for (let i = 0; i < o.runs; i++) {
            runs.floor.push(measure([fileURLToPath(import.meta.url), 'floor', format, ...plain]));
            runs.j1.push(measure([CLI, ...cmd.args, ...out('1'), '--jobs', '1', ...all]));
            runs.j2.push(measure([CLI, ...cmd.args, ...out('2'), '--jobs', '2', ...all]));
            if (tmp) sameFiles &&= spawnSync('cmp', ['-s', join(tmp, 'out-1'), join(tmp, 'out-2')]).status === 0;
            if (files.length >= 2) {
              runs.pair.push(await measurePair([CLI, ...cmd.args, ...out('a'), '--jobs', '1', ...given(files.slice(0, half), '-a')], [CLI, ...cmd.args, ...out('b'), '--jobs', '1', ...given(files.slice(half), '-b')]));
            }
          }
        } finally {
          if (tmp) rmSync(tmp, { recursive: true, force: true });
        }
        const [fl, j1, j2] = [median(runs.floor), median(runs.j1), median(runs.j2)];
        // The summaries name the output file: compared with its name made the same.
        const norm = (r: Measure) => r.stdout.replaceAll(/out-[12]/g, 'out');
        const same = !cmd.sameOutput || (sameFiles && runs.j2.every((r) => norm(r) === norm(runs.j1[0]!))) ? '' : '  OUTPUT DIFFERS';
        const pair = runs.pair.length ? median(runs.pair) : undefined;
        const apart = pair ? `${cell(pair, bytes, false).padStart(22)} ${`${(j1.ms / pair.ms).toFixed(2)}x`.padStart(7)}` : `${'-'.padStart(22)} ${'-'.padStart(7)}`;
        console.log(`${`${cmd.label} ${format} ${layout}`.padEnd(30)} ${cell(fl, bytes, false).padStart(22)} ${cell(j1, bytes, true).padStart(42)} ${cell(j2, bytes, true).padStart(42)} ${`${(j1.ms / j2.ms).toFixed(2)}x`.padStart(11)} ${apart}${same}`);
      }
    }
  }
}

/** The rows of the long-input section: what keeps output flowing through the main thread. */
const LONG_ROWS = ['convert ->json', 'convert ->new', 'show filtered'];

/**
 * `BENCH_ONLY=long`: peak RSS over a long input (`copies` hard links of the
 * 200 MiB NEW file: 1.2 GiB by default), `--jobs 1` beside `--jobs 2`, output
 * to /dev/null. Memory must stay under 200 MiB whatever the input; the 200 MiB
 * rows above did not show that it rose with the input (2026-12-01: from 192 MiB
 * at 200 MiB to 311 MiB at 1.6 GiB for convert NEW -> NEW). One round unless told.
 */
export async function longSection(o: JobsSectionOptions & { copies: number }): Promise<void> {
  const file = await ensure(o.dataDir, 'new', o.mib, o.seed);
  const files = hardLinks(join(o.dataDir, `long-${o.copies}x${o.mib}MiB`), Array.from({ length: o.copies }, () => file), (k) => `audit-${k}.xml`);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  console.log(`== long input: ${o.copies} x ${o.mib} MiB of NEW XML (hard links of one file), output to /dev/null; median of ${o.runs} rounds; peak RSS target 200 MiB`);
  const cell = (m: Measure) => `${(bytes / 1048576 / (m.ms / 1000)).toFixed(0).padStart(5)} MiB/s ${`${m.maxRssMiB.toFixed(0)} MiB`.padStart(8)} ${`${m.cpuS.toFixed(1)} cpu-s`.padStart(11)}`;
  for (const cmd of COMMANDS.filter((c) => LONG_ROWS.includes(c.label))) {
    const runs: Record<'j1' | 'j2', Measure[]> = { j1: [], j2: [] };
    const out = cmd.toFile ? ['-o', '/dev/null'] : [];
    for (let i = 0; i < o.runs; i++) {
      runs.j1.push(measure([CLI, ...cmd.args, ...out, '--jobs', '1', ...files]));
      runs.j2.push(measure([CLI, ...cmd.args, ...out, '--jobs', '2', ...files]));
    }
    const [j1, j2] = [median(runs.j1), median(runs.j2)];
    const over = [j1, j2].some((m) => m.maxRssMiB > 200) ? '  OVER 200 MiB' : '';
    console.log(`${cmd.label.padEnd(30)} --jobs 1 ${cell(j1)}   --jobs 2 ${cell(j2)}${over}`);
  }
}

if (process.argv[2] === 'floor') {
  const [format, ...files] = process.argv.slice(3) as [Format, ...string[]];
  const t0 = process.hrtime.bigint();
  const r = floor(format, files);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ ...r, ms }));
}
