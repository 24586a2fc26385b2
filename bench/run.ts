/**
 * `npm run bench`: generates 200 MiB inputs from a seed (cached in bench/.data,
 * never committed) and runs each scenario in its own process, printing MiB/s,
 * records/s and peak RSS beside the sax / stream-json baselines of the same run.
 *
 *   npm run bench                 # all scenarios, 200 MiB inputs
 *   BENCH_MIB=50 npm run bench    # smaller inputs
 *   BENCH_ONLY=layers BENCH_RUNS=5 npm run bench   # one section, more runs
 *   BENCH_ONLY=hostile npm run bench               # hostile inputs beside ordinary ones of the same size
 *   BENCH_ONLY=startup npm run bench               # start-up: tiny-file runs beside `node -e 0` and the library doing the same job
 *   BENCH_BASE=/tmp/old BENCH_ONLY=info npm run bench   # info beside another build's (its dist/bench/scenario.js), rounds interleaved
 *   BENCH_ONLY=jobs npm run bench                  # --jobs 1 beside --jobs 2 beside the framing floor (bench/jobs.ts)
 *   BENCH_ONLY=long npm run bench                  # peak RSS over 1.2 GiB (6 hard links of the 200 MiB file), --jobs 1 and 2
 *
 * How to read it: each row is the median of BENCH_RUNS runs (default 3) with a warm
 * page cache; `read` is the ceiling (reading the file to nowhere); the baselines
 * parse with a well-known library and do the same counting work as `info`.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { wrapOutput } from '../src/layers/index.js';
import { writeAtomic } from '../src/sink.js';
import { discoverFileSet } from '../src/fileset.js';
import { readAuditLog } from '../src/reader.js';
import { generateLog } from './generate.js';
import { generateSessionLog } from './generate-sessions.js';
import { ensureHostile, HOSTILE_KINDS } from './hostile.js';
import { writeRotatedSet } from './read-data.js';
import { jobsSection, longSection } from './jobs.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');
const MIB = Number(process.env.BENCH_MIB ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The 1 GiB split runs once per round by default (BENCH_RUNS sets it too). */
const SPLIT_RUNS = Number(process.env.BENCH_RUNS ?? 1);
const SEED = 20261122;

async function ensureInput(format: 'new' | 'old' | 'json', mib = MIB): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `${format}-${mib}MiB-${SEED}.${format === 'json' ? 'json' : 'xml'}`);
  if (existsSync(path)) return path;
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  for (const chunk of generateLog({ format, bytes: mib * 1024 * 1024, seed: SEED })) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(tmp, path);
  return path;
}

/** A plain JSON file of `mib` MiB. */
async function ensureJson(mib: number): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `json-${mib}MiB-${SEED}.json`);
  if (existsSync(path)) return path;
  const out = createWriteStream(`${path}.tmp`);
  for (const chunk of generateLog({ format: 'json', bytes: mib * 1024 * 1024, seed: SEED })) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.tmp`, path);
  return path;
}

/** The bookmark of the event `back` events before the end of a JSON file (read from its last MiB). */
async function nearEnd(path: string, back: number): Promise<{ timestamp: string; id: number }> {
  const size = statSync(path).size;
  const tail: { timestamp: string; id: number }[] = [];
  for await (const e of readAuditLog(path, { keepRaw: false, range: { start: Math.max(1, size - (1 << 20)) } })) tail.push({ timestamp: e.event.timestamp!, id: e.event.id! });
  return tail[Math.max(0, tail.length - back)]!;
}

/** A start time in the middle of a set: the first event of its middle file, plus a little. */
async function middleStart(dir: string): Promise<string> {
  const set = await discoverFileSet([dir]);
  const f = set.files[Math.floor(set.files.length / 2)]!;
  return f.first!;
}

interface Result {
  scenario: string;
  bytes: number;
  records: number;
  ms: number;
  maxRssMiB: number;
  bytesParsed?: number;
  bytesIn?: number;
  probes?: number;
  filesRead?: number;
  bookmark?: unknown;
}

const PASSWORD = 'bench-password';

/** The same payload behind gzip, AES, or both (gzip inside AES, as the server writes .gz.enc). */
async function ensureLayered(plain: string, kind: 'gz' | 'enc' | 'gz.enc'): Promise<string> {
  const path = `${plain}.${kind}`;
  if (existsSync(path)) return path;
  const chunks = wrapOutput(createReadStream(plain, { highWaterMark: 1 << 20 }), {
    compress: kind !== 'enc',
    ...(kind !== 'gz' ? { encrypt: { password: PASSWORD } } : {}),
  });
  await writeAtomic(path, chunks, 0o644);
  return path;
}

/** A build to compare with (BENCH_BASE: the root of a checkout with its dist built), or undefined. */
const BASE = process.env.BENCH_BASE;

function runOnce(scenario: string, file: string, arg?: string, env: Record<string, string> = {}, root?: string): Result {
  const script = root ? join(root, 'dist', 'bench', 'scenario.js') : join(here, 'scenario.js');
  const outText = execFileSync(process.execPath, [script, scenario, file, ...(arg !== undefined ? [arg] : [])], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_PASSWORD: PASSWORD, ...env },
  });
  return JSON.parse(outText.trim().split('\n').pop()!) as Result;
}

/** Median time of RUNS runs; peak RSS is the largest seen. */
function run(scenario: string, file: string, arg?: string): Result {
  const results: Result[] = [];
  for (let i = 0; i < RUNS; i++) results.push(runOnce(scenario, file, arg));
  results.sort((a, b) => a.ms - b.ms);
  const med = results[Math.floor(results.length / 2)]!;
  return { ...med, maxRssMiB: Math.max(...results.map((r) => r.maxRssMiB)) };
}

/** Medians of RUNS rounds of several scenarios ([scenario, file, build root?]), each round running each once in turn. */
function interleaved(runs: [string, string, string?][]): Result[] {
  const all: Result[][] = runs.map(() => []);
  for (let i = 0; i < RUNS; i++) runs.forEach(([sc, file, root], k) => all[k]!.push(runOnce(sc, file, undefined, {}, root)));
  return all.map((rs) => ({ ...[...rs].sort((a, b) => a.ms - b.ms)[Math.floor(rs.length / 2)]!, maxRssMiB: Math.max(...rs.map((r) => r.maxRssMiB)) }));
}

function row(label: string, r: Result, base?: Result): string {
  const mibs = r.bytes / 1048576 / (r.ms / 1000);
  const recs = r.records / (r.ms / 1000);
  const vs = base ? `${(base.ms / r.ms).toFixed(2)}x` : '';
  return `${label.padEnd(34)} ${mibs.toFixed(1).padStart(8)} MiB/s ${(recs / 1000).toFixed(0).padStart(7)} krec/s ${(Number.isFinite(r.maxRssMiB) ? r.maxRssMiB.toFixed(0) : '-').padStart(5)} MiB RSS ${vs.padStart(7)}`;
}

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(`auditlog bench: ${MIB} MiB inputs, seed ${SEED}, median of ${RUNS}, node ${process.version}, ${cpu}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${'scenario'.padEnd(34)} ${'throughput'.padStart(14)} ${'records'.padStart(14)} ${'peak'.padStart(13)} ${'vs base'.padStart(7)}`);
/** BENCH_ONLY=info,convert,layers,read,sessions,hostile,split,repair,startup,jobs,long runs some sections only (same-format: the same-format rows of convert alone). */
const only = new Set((process.env.BENCH_ONLY ?? 'info,convert,layers,read,sessions,hostile,split,repair,startup,jobs,long').split(','));
const needsInputs = ['info', 'convert', 'same-format', 'layers', 'sessions', 'hostile'].some((s) => only.has(s));
const inputs = needsInputs ? { new: await ensureInput('new'), old: await ensureInput('old'), json: await ensureInput('json') } : undefined;
if (only.has('info')) console.log('== info');
for (const format of only.has('info') ? (['new', 'old', 'json'] as const) : []) {
  const file = inputs![format];
  console.log(`-- ${format}: ${(statSync(file).size / 1048576).toFixed(0)} MiB`);
  console.log(row('read (ceiling)', run('read', file)));
  const base = run(format === 'json' ? 'stream-json-info' : 'sax-info', file);
  console.log(row(format === 'json' ? 'baseline: stream-json info' : 'baseline: sax info', base));
  if (BASE) {
    // Another build (BENCH_BASE: a checkout with its dist built) in the same rounds, one after the other.
    const [theirs, mine, mineAll] = interleaved([['info', file, BASE], ['info', file], ['info-security', file]]);
    console.log(row('BENCH_BASE info', theirs!, base));
    console.log(`${row('auditlog info', mine!, base)} ${`${(theirs!.ms / mine!.ms).toFixed(2)}x base`.padStart(10)}`);
    console.log(row('auditlog info + security report', mineAll!, base));
  } else {
    console.log(row('auditlog info', run('info', file), base));
    console.log(row('auditlog info + security report', run('info-security', file), base));
  }
}

if (only.has('convert')) console.log('== convert (output to /dev/null)');
const conversions = [
  ['new', 'convert-json', 'sax-convert-json', 'new -> json'],
  ['old', 'convert-json', 'sax-convert-json', 'old -> json'],
  ['json', 'convert-ndjson', 'stream-json-convert-ndjson', 'json -> ndjson'],
] as const;
for (const [format, ours, theirs, label] of only.has('convert') ? conversions : []) {
  const file = inputs![format];
  const base = run(theirs, file);
  console.log(row(`baseline: ${theirs.startsWith('sax') ? 'sax' : 'stream-json'} ${label}`, base));
  console.log(row(`auditlog convert ${label}`, run(ours, file), base));
}

if (only.has('convert') || only.has('same-format')) {
  // Same-format conversion: records pass through as their bytes. The framing floor (read +
  // indexOf of each record's closing tag), the full parse of every record, and the lean read,
  // in the same rounds; the machine's load beside them (others may share its cores).
  console.log(`== same-format convert (output to /dev/null; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  for (const format of ['new', 'old', 'json'] as const) {
    const file = inputs![format];
    const times: Record<string, Result[]> = { floor: [], full: [], lean: [] };
    for (let i = 0; i < RUNS; i++) {
      times.floor!.push(runOnce('frame-floor', file, format));
      times.full!.push(runOnce('convert-same-full', file, format));
      times.lean!.push(runOnce('convert-same', file, format));
    }
    const med = (rs: Result[]) => ({ ...[...rs].sort((x, y) => x.ms - y.ms)[Math.floor(rs.length / 2)]!, maxRssMiB: Math.max(...rs.map((r) => r.maxRssMiB)) });
    const floor = med(times.floor!);
    const full = med(times.full!);
    console.log(row(`framing floor ${format}`, floor));
    console.log(row(`convert ${format} -> ${format}, full parse`, full));
    const lean = med(times.lean!);
    console.log(`${row(`convert ${format} -> ${format}, lean`, lean, full)} ${`${((floor.ms / lean.ms) * 100).toFixed(0)}% of floor`.padStart(13)}`);
  }
  console.log(`   (load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
}

if (only.has('layers')) console.log('== input layers (the new payload; MiB/s of plain bytes; cost vs the plain file, measured in the same rounds)');
const layered = only.has('layers') ? { plain: inputs!.new, gz: await ensureLayered(inputs!.new, 'gz'), enc: await ensureLayered(inputs!.new, 'enc'), 'gz.enc': await ensureLayered(inputs!.new, 'gz.enc') } : {};
for (const scenario of only.has('layers') ? (['info', 'convert-json'] as const) : []) {
  // Rounds of plain, .gz, .enc, .gz.enc back to back, so that a machine that
  // speeds up or slows down over the run does not show up as a layer's cost.
  const times: Record<string, Result[]> = { plain: [], gz: [], enc: [], 'gz.enc': [] };
  for (let i = 0; i < RUNS; i++) for (const [kind, file] of Object.entries(layered)) times[kind]!.push(runOnce(scenario, file));
  const med = (rs: Result[]) => [...rs].sort((x, y) => x.ms - y.ms)[Math.floor(rs.length / 2)]!;
  const plain = med(times.plain!);
  console.log(row(`${scenario} plain`, plain));
  for (const kind of ['gz', 'enc', 'gz.enc'] as const) {
    const r = med(times[kind]!);
    const pct = ((r.ms - plain.ms) / plain.ms) * 100;
    const cost = `${pct >= 0 ? '+' : ''}${pct.toFixed(0)}%`;
    console.log(`${row(`${scenario} .${kind} (${(r.bytes / 1048576).toFixed(0)} MiB on disk)`, { ...r, bytes: plain.bytes })} ${cost.padStart(7)}`);
  }
}
/** A JSON log with 5,000 to 15,000 connections open at once (bench/generate-sessions.ts). */
async function ensureSessionInput(): Promise<string> {
  const path = join(dataDir, `sessions-10k-${MIB}MiB-${SEED}.json`);
  if (existsSync(path)) return path;
  const out = createWriteStream(`${path}.tmp`);
  for (const chunk of generateSessionLog({ bytes: MIB * 1024 * 1024, seed: SEED, concurrent: 10_000 })) if (!out.write(chunk)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.tmp`, path);
  return path;
}

if (only.has('sessions')) console.log('== sessions (ndjson to /dev/null), beside info over the same file in the same rounds');
const sessionInputs = only.has('sessions') ? ([['new XML', inputs!.new], ['JSON', inputs!.json], ['JSON, 5k-15k open', await ensureSessionInput()]] as const) : [];
for (const [label, file] of sessionInputs) {
  console.log(`-- ${label}: ${(statSync(file).size / 1048576).toFixed(0)} MiB`);
  const [info, sessions] = interleaved([['info', file], ['sessions', file]]) as [Result, Result];
  console.log(row('auditlog info', info));
  console.log(`${row('auditlog sessions', sessions)} ${`${((sessions.ms / info.ms) * 100).toFixed(0)}% of info's time`.padStart(22)}`);
}
if (only.has('read')) {
  // read --bookmark / bookmark / read --start on 1 GiB (BENCH_READ_MIB): what matters is how little is parsed.
  const READ_MIB = Number(process.env.BENCH_READ_MIB ?? 1024);
  const big = await ensureJson(READ_MIB);
  const setDir = join(dataDir, `set-${READ_MIB}MiB-${SEED}`);
  if (!existsSync(join(setDir, 'audit.log'))) writeRotatedSet(setDir, { bytes: READ_MIB * 1048576, fileBytes: 64 * 1048576, seed: SEED });
  const mark = runOnce('bookmark', big).bookmark as { timestamp: string; id: number };
  // An event about 1,000 events before the end: the bookmark's second, or the events just before it.
  const near = await nearEnd(big, 1000);
  console.log(`== read (${READ_MIB} MiB plain JSON file; bookmark ${JSON.stringify(near)}; newest ${JSON.stringify(mark)})`);
  const readRow = (label: string, r: Result) =>
    `${label.padEnd(34)} ${r.ms.toFixed(0).padStart(8)} ms  ${String(r.bytesParsed ?? '-').padStart(10)} bytes parsed ${String(r.bytesIn ?? '-').padStart(10)} bytes read ${String(r.probes ?? '-').padStart(3)} probes ${String(r.filesRead ?? '-').padStart(3)} files ${r.maxRssMiB.toFixed(0).padStart(5)} MiB RSS`;
  const rb = run('read-bookmark', big, JSON.stringify(near));
  console.log(readRow('read --bookmark (100 events)', rb));
  const lin = runOnce('read-linear', big, JSON.stringify(near));
  console.log(`${readRow('baseline: parse from the start', { ...lin, bytesParsed: lin.bytes })} ${(lin.ms / rb.ms).toFixed(0).padStart(6)}x`);
  console.log(readRow('bookmark', run('bookmark', big)));
  const files = readdirSync(setDir).length;
  const middle = await middleStart(setDir);
  const rs = run('read-start', setDir, middle);
  console.log(readRow(`read --start (set of ${files} files)`, rs));
}

if (only.has('split')) {
  // Same-format split of a 1 GiB NEW XML file into 64 MiB pieces, beside cp and gzip -c of
  // the same file, in the same rounds (BENCH_SPLIT_MIB changes the size).
  const mib = Number(process.env.BENCH_SPLIT_MIB ?? 1024);
  const file = await ensureInput('new', mib);
  const out = join(dataDir, 'split-out');
  const fresh = () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
  };
  const timed = (scenario: string, f: () => void): Result => {
    fresh();
    const t0 = process.hrtime.bigint();
    f();
    return { scenario, bytes: statSync(file).size, records: 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, maxRssMiB: NaN };
  };
  const times: Record<string, Result[]> = { cp: [], gzip: [], split: [], 'split-gz': [] };
  for (let i = 0; i < SPLIT_RUNS; i++) {
    times.cp!.push(timed('cp', () => execFileSync('cp', [file, join(out, 'copy')])));
    times.gzip!.push(timed('gzip', () => execFileSync('sh', ['-c', `gzip -c "${file}" > "${join(out, 'copy.gz')}"`])));
    for (const s of ['split', 'split-gz'] as const) {
      fresh();
      times[s]!.push(runOnce(s, file, undefined, { BENCH_SPLIT_DIR: out }));
    }
  }
  const med = (rs: Result[]) => [...rs].sort((x, y) => x.ms - y.ms)[Math.floor(rs.length / 2)]!;
  console.log(`== split: ${(statSync(file).size / 1048576).toFixed(0)} MiB NEW XML into 64 MiB pieces (same format), median of ${SPLIT_RUNS}`);
  const cp = med(times.cp!);
  const gz = med(times.gzip!);
  console.log(row('baseline: cp', cp));
  console.log(row('auditlog split (plain)', med(times.split!), cp));
  console.log(row('baseline: gzip -c', gz));
  console.log(row('auditlog split --compress', med(times['split-gz']!), gz));
  rmSync(out, { recursive: true, force: true });
}
if (only.has('hostile')) {
  console.log('== hostile inputs (info; each beside an ordinary input of the same decoded size, measured in the same rounds; target: within 2x, peak RSS < 150 MiB)');
  const ordinary: Record<string, string> = {
    'whitespace-json': inputs!.json,
    'whitespace-xml': inputs!.new,
    'long-records': inputs!.new,
    'distinct-values': inputs!.json,
    'gzip-bomb': await ensureLayered(inputs!.new, 'gz'),
  };
  for (const kind of HOSTILE_KINDS) {
    const file = await ensureHostile(kind, dataDir, MIB);
    const mine: Result[] = [];
    const theirs: Result[] = [];
    for (let i = 0; i < RUNS; i++) {
      theirs.push(runOnce('info', ordinary[kind]!));
      mine.push(runOnce('info', file));
    }
    const med = (rs: Result[]) => [...rs].sort((x, y) => x.ms - y.ms)[Math.floor(rs.length / 2)]!;
    const o = med(theirs);
    const h = { ...med(mine), maxRssMiB: Math.max(...mine.map((r) => r.maxRssMiB)) };
    const line = (label: string, r: Result) => `${label.padEnd(34)} ${(r.ms / 1000).toFixed(2).padStart(8)} s ${r.records.toString().padStart(10)} rec ${r.maxRssMiB.toFixed(0).padStart(5)} MiB RSS`;
    console.log(line(`${kind}: ordinary`, o));
    console.log(`${line(`${kind}: hostile`, h)} ${(h.ms / o.ms).toFixed(2).padStart(6)}x time`);
  }
}


if (only.has('repair')) await repairSection();
// --jobs 1 beside --jobs 2 beside the framing floor, one file and four (bench/jobs.ts).
if (only.has('jobs')) await jobsSection({ dataDir, mib: MIB, seed: SEED, runs: RUNS });
// Peak RSS over a long input (bench/jobs.ts longSection): BENCH_LONG_COPIES files, BENCH_LONG_RUNS rounds.
if (only.has('long')) await longSection({ dataDir, mib: MIB, seed: SEED, runs: Number(process.env.BENCH_LONG_RUNS ?? 1), copies: Number(process.env.BENCH_LONG_COPIES ?? 6) });
if (only.has('startup')) startupSection();

/**
 * Start-up: runs on a 32 KiB file, all interleaved (one of each per round, so
 * load from others hits every row alike), median of BENCH_STARTUP_RUNS (21).
 * "The work" is the same job done by the library from a plain node script
 * (bench/startup-work.ts) minus `node -e 0`; the target for a CLI run is
 * 1.5x `node -e 0` plus the work. `oclif path` is the same run with
 * AUDITLOG_NO_FAST_PATH=1 (what every run cost before the fast path).
 */
function startupSection(): void {
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 21);
  const tiny = join(root, 'fixtures', 'public', 'mysql-utilities', 'audit.log.13951424704434196.xml');
  const cli = join(root, 'bin', 'run.js');
  const work = join(here, 'startup-work.js');
  const oclif = { AUDITLOG_NO_FAST_PATH: '1' };
  const cases: [string, string[], Record<string, string>?][] = [
    ['node -e 0', ['-e', '0']],
    ['work: info (library)', [work, 'info', tiny]],
    ['auditlog info TINY', [cli, 'info', tiny]],
    ['  oclif path', [cli, 'info', tiny], oclif],
    ['work: convert --to json (library)', [work, 'convert-json', tiny]],
    ['auditlog convert TINY --to json', [cli, 'convert', tiny, '--to', 'json']],
    ['  oclif path', [cli, 'convert', tiny, '--to', 'json'], oclif],
    ['auditlog version', [cli, 'version']],
    ['  oclif path', [cli, 'version'], oclif],
    ['auditlog --help', [cli, '--help']],
  ];
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < runs; i++)
    cases.forEach(([, args, env], j) => {
      const t0 = process.hrtime.bigint();
      execFileSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, ...env } });
      times[j]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ms = times.map(med);
  const node = ms[0]!;
  const load = (execFileSync('uptime', { encoding: 'utf8' }).match(/load averages?: (.*)/)?.[1] ?? '?').trim();
  console.log(`== startup (a ${(statSync(tiny).size / 1024).toFixed(0)} KiB file; median of ${runs} interleaved rounds; load ${load})`);
  console.log(`${'run'.padEnd(34)} ${'ms'.padStart(8)} ${'vs node'.padStart(8)} ${'target'.padStart(10)}`);
  // The target of a CLI row: 1.5x node -e 0 plus the work of the library row above it (none for version and help).
  let workMs = 0;
  cases.forEach(([label], j) => {
    if (label.startsWith('work:')) workMs = ms[j]! - node;
    const target = label.startsWith('auditlog') ? 1.5 * node + (label.includes('info') || label.includes('convert') ? workMs : 0) : undefined;
    const verdict = target === undefined ? '' : ms[j]! <= target ? 'within' : `over by ${(ms[j]! - target).toFixed(0)} ms`;
    console.log(`${label.padEnd(34)} ${ms[j]!.toFixed(0).padStart(8)} ${(ms[j]! / node).toFixed(2).padStart(7)}x ${target === undefined ? ''.padStart(10) : `${target.toFixed(0)} ms`.padStart(10)} ${verdict}`);
  });
}

/**
 * repair of a large plain NEW file cut inside its last record (BENCH_REPAIR_MIB,
 * default 1024), to -o and in place, beside `cp` of the same file (and `cp`
 * followed by an fsync of the copy, since repair syncs what it writes), in rounds.
 */
async function repairSection(): Promise<void> {
  const mib = Number(process.env.BENCH_REPAIR_MIB ?? 1024);
  mkdirSync(dataDir, { recursive: true });
  const torn = join(dataDir, `new-${mib}MiB-${SEED}-torn.xml`);
  if (!existsSync(torn)) {
    const tmp = `${torn}.tmp`;
    const out = createWriteStream(tmp);
    let last = '';
    for (const chunk of generateLog({ format: 'new', bytes: mib * 1024 * 1024, seed: SEED, unterminated: true })) {
      if (last && !out.write(last)) await once(out, 'drain');
      last = chunk;
    }
    // Cut inside the last record: up to the middle of its SQL text.
    const cut = last.lastIndexOf('<SQLTEXT>');
    out.end(last.slice(0, cut > 0 ? cut + 20 : last.length - 100));
    await once(out, 'finish');
    renameSync(tmp, torn);
  }
  const size = statSync(torn).size;
  console.log(`== repair (a ${(size / 1048576).toFixed(0)} MiB plain NEW file cut inside its last record; median of ${RUNS} rounds)`);
  const work = join(dataDir, 'repair-work.xml');
  const rm = (...fs: string[]) => fs.forEach((f) => existsSync(f) && unlinkSync(f));
  const timed = (fn: () => void): number => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const times: Record<string, number[]> = { cp: [], 'cp + fsync': [], 'repair -o': [], 'repair --in-place': [], 'repair --check': [] };
  let parsed: Record<string, number> = {};
  for (let i = 0; i < RUNS; i++) {
    rm(`${torn}.copy`);
    times.cp!.push(timed(() => execFileSync('cp', [torn, `${torn}.copy`])));
    rm(`${torn}.copy`);
    times['cp + fsync']!.push(timed(() => execFileSync('sh', ['-c', 'cp "$1" "$2" && sync "$2"', 'sh', torn, `${torn}.copy`])));
    rm(`${torn}.copy`);
    const o = runOnce('repair-o', torn);
    times['repair -o']!.push(o.ms);
    rm(`${torn}.repaired`);
    execFileSync('cp', [torn, work]);
    rm(`${work}.bak`);
    const ip = runOnce('repair-in-place', work);
    times['repair --in-place']!.push(ip.ms);
    rm(work, `${work}.bak`);
    const c = runOnce('repair-check', torn);
    times['repair --check']!.push(c.ms);
    parsed = { 'repair -o': o.bytesParsed ?? 0, 'repair --in-place': ip.bytesParsed ?? 0, 'repair --check': c.bytesParsed ?? 0 };
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cp = med(times.cp!);
  for (const [label, xs] of Object.entries(times)) {
    const ms = med(xs);
    const p = parsed[label];
    console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(8)} ms ${(size / 1048576 / (ms / 1000)).toFixed(0).padStart(8)} MiB/s ${(ms / cp).toFixed(2).padStart(6)}x cp${p !== undefined ? `   ${p} bytes parsed` : ''}`);
  }
}
// The inputs stay in bench/.data for the next run; `rm -r bench/.data` regenerates them.
