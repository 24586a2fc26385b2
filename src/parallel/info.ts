/**
 * `info` on several threads: each unit of work (an input, or a range of a
 * large one; src/parallel/plan.ts) is read and counted in a worker, and the
 * main thread merges the units in order into the reports a sequential run
 * gives, byte for byte: counts (bounded maps filled in the order names were
 * first seen), first/last, problem lists with their record numbers, the
 * security tally across inputs. A part that cannot be merged exactly (a
 * range whose edges do not meet, bounded maps that filled up, invalid UTF-8
 * before the last range, JSON whose local-time detection carries over) is
 * read again on the main thread, as the sequential run reads it.
 *
 *   for await (const o of inspectInputs(files, { jobs: 2, security })) o.report ?? o.error;
 */
import { MAX_DISTINCT } from '../counts.js';
import type { FormatId } from '../entry.js';
import { AuditLogError } from '../errors.js';
import type { FilterSpec } from '../filter.js';
import { emptyReport, finishReport, inspect, inspectRun, MAX_LISTED, Tally, type InfoReport, type TallyMap, type TallyState } from '../info.js';
import type { PasswordSource } from '../layers/passwords.js';
import { isSpecialFile } from '../input.js';
import { MAX_KEYS, SecurityTally, type SecurityMap, type SecurityState } from '../security.js';
import type { DbTracker } from '../track-db.js';
import { fromWire, runTasks, runTasksInline, toWire, type TaskFn, type TaskIO, type WireError } from './pool.js';
import { OPEN_NOTICES, planUnits, resolvedSource, splittableFormat, type PlanOptions, type ResolvedPassword, type Unit } from './plan.js';

export interface InfoPayload {
  unit: Unit;
  /** Read XML records in the plain shape servers write by bytes (ScannerOptions.plainShape). */
  plainShape?: boolean;
  /** Names the part's tallies keep; PART_MAX_KEYS by default. */
  maxKeys?: number;
  /**
   * The run's security tally starts empty at its default bound: its first unit counts at that
   * bound and tells the names of maps that fill, and later units count only those (InfoQuestion).
   */
  relay?: boolean;
  password?: ResolvedPassword;
  sourceTz?: string;
  filter?: FilterSpec;
}

/** What reading one unit counted, or the error that stopped it. */
export type InfoUnitResult =
  | {
      /** The report's problems (record numbers counted from the unit's start) and reader facts; no tally counts. */
      report: InfoReport;
      tally: TallyState;
      security: SecurityState;
      /** Records and record problems read: the record numbers the unit took. */
      numbered: number;
      /** Records read (counted or filtered out). */
      entries: number;
      filteredZones: { utc: boolean; local: boolean };
      /** Where reading stopped (a range's end, when its edge met a record) and where its first record started. */
      stoppedAt: number | null;
      firstOffset: number | null;
      invalidUtf8: number;
      inputBytes: number;
      /** Some security counts were kept only for the names the run's first part filled its maps with (InfoQuestion). */
      restricted: boolean;
    }
  | { error: WireError }
  /** The part's tallies filled their bounds: it cannot be merged, the input is read again on the main thread. */
  | { full: string };

/**
 * What a part asks the main thread. The run's first part counts the security report at the
 * run's own bounds, and an input's first part counts the input's report at its bounds, so a
 * map of theirs that fills up holds every name the run (the input) keeps in it: they tell them
 * (`filled`, once per map; scope `security` for the run's security counts, `input` for the
 * input's own). Every later part asks for those of its scopes (`poll`: the maps told after the
 * first `after`, answered once there are more or the first part ended) and from then on counts
 * only those names by name, every other one under (other). Without that, a later part keeps
 * each name it sees, up to PART_MAX_KEYS: with many distinct client addresses, a third of its time.
 */
export type InfoScope = 'security' | 'input';
export type InfoQuestion = { kind: 'filled'; scope: InfoScope; map: string; names: string[] } | { kind: 'poll'; scope: InfoScope; after: number };
export interface InfoPollAnswer {
  filled: [string, string[]][];
  /** The first part ended: nothing more will be told. */
  final: boolean;
}

/** The names one first unit told, for the units that ask (InfoQuestion). */
class Channel {
  private told: [string, string[]][] = [];
  private ended = false;
  private waiting: (() => void)[] = [];

  tell(map: string, names: string[]): void {
    if (this.ended) return;
    this.told.push([map, names]);
    this.wake();
  }

  /** The first unit's result is in: nothing more comes. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  async poll(after: number): Promise<InfoPollAnswer> {
    while (this.told.length <= after && !this.ended) await new Promise<void>((r) => this.waiting.push(r));
    return { filled: this.told.slice(after), final: this.ended };
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}

/** Thrown (and caught) inside a part's read to stop it once its counts cannot be merged anyway. */
class PartFull extends Error {}

/**
 * Names a part's tallies keep (the run's tallies keep MAX_DISTINCT): a part that saw
 * fewer distinct names than this knows all their counts, so it merges exactly whatever
 * came before it. Past it, the input is read again on the main thread.
 */
export const PART_MAX_KEYS = 10 * MAX_DISTINCT;

/**
 * Below this many input bytes in all (decoded: input.ts workBytes, so a set of
 * gzip files counts what it holds), `info` reads on this thread. Starting a
 * worker and warming up its compiled code costs about 0.2 s of each core;
 * measured on 2 cores (interleaved medians of 5, NEW XML), two workers were
 * slower up to 50 MiB (0.67x at 20 MiB, 0.92x at 50) and faster from 100 MiB
 * (1.10x at 100, 1.16x at 200).
 */
export const INFO_MIN_BYTES = 96 * 1024 * 1024;

/** Read and count one unit (runs in a worker). Errors come back as a result, so that other inputs are still read. */
export const infoTask: TaskFn = async (p: InfoPayload, io: TaskIO): Promise<InfoUnitResult> => {
  const { unit } = p;
  // Counts that filled their bounds merge only into nothing: the run's first part, or (the per-input counts) an input's first.
  // Those count at the run's own bounds (what they keep is what the run keeps); every later part keeps more names, so that
  // it knows the counts of every name the parts before it may have kept.
  const runFirst = unit.first && unit.input === 0;
  const relay = p.relay === true;
  const maxKeys = p.maxKeys ?? PART_MAX_KEYS;
  const security = new SecurityTally({ maxKeys: runFirst && relay ? MAX_KEYS : maxKeys });
  const range = unit.range && (unit.last ? { start: unit.range.start } : { start: unit.range.start, until: unit.range.end });
  const told = new Set<SecurityMap>();
  const toldTally = new Set<TallyMap>();
  const tell = (scope: InfoScope, map: string, names: string[]) => void io.ask({ kind: 'filled', scope, map, names } satisfies InfoQuestion).catch(() => undefined);
  /** The input's own restrictions, applied to its tally at the next batch (the tally is made inside the read). */
  const pending: [TallyMap, string[]][] = [];
  const check = (tally: Tally) => {
    // On the main thread, nothing terminates a part whose run stopped: it ends here.
    if (io.stopped) throw new Error('stopped: the run ended before this part was read');
    if (runFirst && relay) {
      for (const [map, names] of security.filled(told)) {
        told.add(map);
        tell('security', map, names);
      }
    } else if (!runFirst && security.full()) throw new PartFull('the security counts of a part filled their bounds');
    if (unit.first && !unit.last) {
      for (const [map, names] of tally.filled(toldTally)) {
        toldTally.add(map);
        tell('input', map, names);
      }
    }
    for (const [map, names] of pending.splice(0)) {
      tally.restrict(map, names);
      restricted = true;
    }
    if (!unit.first && tally.full()) throw new PartFull('the counts of a part filled their bounds');
  };
  let finished = false;
  let restricted = false;
  const poll = async (scope: InfoScope) => {
    for (let after = 0; !finished; ) {
      const a = (await io.ask({ kind: 'poll', scope, after } satisfies InfoQuestion)) as InfoPollAnswer;
      if (finished) return;
      for (const [map, names] of a.filled) {
        if (scope === 'input') pending.push([map as TallyMap, names]);
        else {
          security.restrict(map as SecurityMap, names);
          restricted = true;
        }
      }
      after += a.filled.length;
      if (a.final) return;
    }
  };
  if (relay && !runFirst) void poll('security').catch(() => undefined);
  if (!unit.first) void poll('input').catch(() => undefined);
  try {
    const run = await inspectRun(unit.file, {
      file: unit.file,
      password: resolvedSource(p.password),
      ...(p.sourceTz !== undefined ? { sourceTz: p.sourceTz } : {}),
      ...(p.filter ? { filter: p.filter } : {}),
      ...(p.plainShape !== undefined ? { plainShape: p.plainShape } : {}),
      ...(range ? { range } : {}),
      ...(range && range.start > 0 && unit.format ? { format: unit.format } : {}),
      maxDistinct: unit.first ? MAX_DISTINCT : maxKeys,
      onEntry: (e) => security.add(e),
      onProgress: (_log, _n, tally) => check(tally),
    });
    finished = true;
    const { report, tally, log } = run;
    if (!unit.first) {
      const kept = report.notices.filter((n) => !OPEN_NOTICES.has(n.code));
      report.counts.notices -= report.notices.length - kept.length;
      report.notices = kept;
    }
    return {
      report,
      tally: tally.state(),
      security: security.state(),
      numbered: run.numbered,
      entries: tally.records + (report.filtered ?? 0),
      filteredZones: run.filteredZones,
      stoppedAt: log.stoppedAt ?? null,
      firstOffset: log.firstItemOffset ?? null,
      invalidUtf8: log.invalidUtf8Records,
      inputBytes: log.inputBytesRead,
      restricted,
    };
  } catch (e) {
    finished = true;
    if (e instanceof PartFull) return { full: e.message };
    if (e instanceof AuditLogError) return { error: toWire(e) };
    throw e;
  }
};

type UnitDone = Exclude<InfoUnitResult, { error: WireError } | { full: string }>;

export interface InspectInputsOptions {
  /** Workers; 1 reads every input on this thread, one after the other. */
  jobs: number;
  password?: PasswordSource;
  sourceTz?: string;
  filter?: FilterSpec;
  /** The security tally of the whole run: every input's entries are counted into it, in input order. */
  security: SecurityTally;
  /** Inputs smaller than this are not cut (plan.ts DEFAULT_SPLIT_BYTES). */
  splitBytes?: number;
  /** Below this many input bytes in all (decoded, as workBytes() estimates them) no worker starts. Default INFO_MIN_BYTES. */
  minBytes?: number;
  /** Nominal cut offsets (tests). */
  cuts?: PlanOptions['cuts'];
  /** Read XML records in the plain shape servers write by bytes (ScannerOptions.plainShape; the same counts, faster). */
  plainShape?: boolean;
  /** Names a part's tallies keep (tests; PART_MAX_KEYS by default). */
  partMaxKeys?: number;
  /** Run the units in this thread (tests: the same plan and merge, without threads). */
  inline?: boolean;
  /** Told the units the inputs were cut into, before reading (not called when all is read on this thread). */
  onPlan?: (units: Unit[]) => void;
  /** Told, for an input whose units were merged, how many of them counted some security maps only for the names the run's first part filled them with. */
  onMerged?: (file: string, restricted: number) => void;
  /** Told when an input read in parts could not be merged exactly and was read again on this thread, and why. */
  onReread?: (file: string, why: string) => void;
  /** Follow connections' default databases across the inputs (in order: always read on this thread, one input after the other). */
  trackDb?: DbTracker;
  /**
   * Told as reading goes on: the input, its bytes on disk read so far, its decoded
   * bytes read so far (inputs with layers), and the records read so far over all inputs.
   */
  onProgress?: (file: string, diskBytes: number, decodedBytes: number | undefined, records: number) => void;
}

/** One input's outcome, in input order: its report, or the error that made it unreadable. */
export type InputOutcome = { input: number; file: string; report: InfoReport; error?: undefined } | { input: number; file: string; error: Error; report?: undefined };

/** Why the units of one input cannot be merged exactly (they did not meet at their edges, or carry what a range cannot see), or undefined. */
function edgesMeet(units: Unit[], results: UnitDone[], format: FormatId | undefined): string | undefined {
  let local = false;
  for (let k = 0; k < units.length; k++) {
    const u = units[k]!;
    const r = results[k]!;
    if (!u.range) continue;
    if (!u.last && r.stoppedAt !== u.range.end) return `the part ending at byte ${u.range.end} read on to ${r.stoppedAt ?? 'the end'}`;
    if (!u.last && r.invalidUtf8 > 0) return `invalid UTF-8 before byte ${u.range.end}`;
    if (!u.first && r.firstOffset !== u.range.start) return `the part starting at byte ${u.range.start} found its first record at ${r.firstOffset ?? 'none'}`;
    // JSON: once a record shows Percona filter local times, the scanner takes every later record as local.
    const utc = r.tally.utc || r.filteredZones.utc;
    if ((format === 'json' || format === 'percona-json') && local && utc) return `local times before byte ${u.range.start}`;
    local ||= r.tally.local || r.filteredZones.local;
  }
  return undefined;
}

/** Merge the units of one input; why not, when they cannot be merged exactly. */
function mergeInput(file: string, units: Unit[], results: UnitDone[], filtering: boolean, maxKeys: number): { report: InfoReport; security: SecurityState } | string {
  const first = results[0]!;
  const format = (results.find((r) => r.entries > 0) ?? first).report.format;
  const why = edgesMeet(units, results, units[0]!.format);
  if (why) return why;
  const last = results[results.length - 1]!.report;
  // Whether the input has a footer to be complete with is the format of its first record (percona-json has none).
  if ((last.format === 'percona-json') !== (format === 'percona-json')) return 'its last part holds records of another kind than its first';
  const tally = new Tally(false);
  // The input's security counts go into the run's once all its parts merged: kept at the parts' bound till then
  // (a whole input's are its part's).
  const security = results.length > 1 ? new SecurityTally({ maxKeys }) : undefined;
  const r = emptyReport(file);
  let base = 0;
  for (const u of results) {
    if (!tally.merge(u.tally)) return 'the counts of its parts filled their bounds';
    if (security && !security.merge(u.security, base)) return 'the security counts of its parts filled their bounds';
    for (const kind of ['malformed', 'truncated', 'notices'] as const) {
      r.counts[kind] += u.report.counts[kind];
      for (const p of u.report[kind]) {
        if (r[kind].length >= MAX_LISTED) break;
        r[kind].push(p.index === undefined ? p : { ...p, index: p.index + base });
      }
    }
    base += u.numbered;
  }
  tally.into(r);
  const filtered = filtering ? results.reduce((n, u) => n + (u.report.filtered ?? 0), 0) : undefined;
  finishReport(r, { filtered, layers: first.report.layers, format, complete: last.complete, bytes: last.bytes });
  return { report: r, security: security ? security.state() : first.security };
}

/**
 * Read every input and report on each, in input order, on `jobs` workers.
 * The outcomes are those of `inspect` run on each input in turn with one
 * security tally; an input's outcome comes once all its units are merged.
 */
export async function* inspectInputs(files: string[], opts: InspectInputsOptions): AsyncGenerator<InputOutcome, void, undefined> {
  const { security } = opts;
  if (opts.jobs <= 1 || opts.trackDb || files.includes('-')) return yield* inspectEach(files, opts);
  // A pipe or device is read once, in order: planning would read its head.
  for (const f of files) if (await isSpecialFile(f)) return yield* inspectEach(files, opts);
  const splittable = (f: FormatId) => splittableFormat(f) && !(opts.sourceTz !== undefined && (f === 'json' || f === 'percona-json'));
  const plan = await planUnits(files, { jobs: opts.jobs, splitBytes: opts.splitBytes, password: opts.password, splittable, cuts: opts.cuts });
  // Too little work for threads: the sequential read.
  if (plan.units.length < 2 || plan.work < (opts.minBytes ?? INFO_MIN_BYTES)) return yield* inspectEach(files, opts);
  opts.onPlan?.(plan.units);
  const filtering = opts.filter !== undefined;
  const maxKeys = opts.partMaxKeys ?? PART_MAX_KEYS;
  // Restricting later units to the first unit's names is exact only for a run's tally that starts empty at its bound.
  const relay = security.fresh();
  const tasks = plan.units.map((unit) => ({
    name: 'info',
    payload: {
      unit,
      relay,
      ...(opts.partMaxKeys !== undefined ? { maxKeys } : {}),
      ...(plan.passwords[unit.input] ? { password: plan.passwords[unit.input] } : {}),
      ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}),
      ...(opts.filter ? { filter: opts.filter } : {}),
      ...(opts.plainShape !== undefined ? { plainShape: opts.plainShape } : {}),
    } satisfies InfoPayload,
  }));
  // What the run's first unit told of its filled security maps, and each input's first unit of its
  // own, for the later units (InfoQuestion): one channel each, ended when that first unit's result is in.
  const channels = new Map<string, Channel>();
  const channel = (key: string) => {
    let c = channels.get(key);
    if (!c) channels.set(key, (c = new Channel()));
    return c;
  };
  let firstOk = false;
  /** Whether the first input's counts went into the run's security tally (merged, or read again): then they start with its names. */
  let firstCounted = false;
  const onAsk = async (index: number, question: unknown): Promise<unknown> => {
    const q = question as InfoQuestion;
    const unit = plan.units[index]!;
    const key = q.scope === 'security' ? 'security' : `input ${unit.input}`;
    if (q.kind === 'filled') {
      // Only a first unit knows the names its scope keeps.
      if (q.scope === 'security' ? index === 0 : unit.first) channel(key).tell(q.map, q.names);
      return true;
    }
    return channel(key).poll(q.after);
  };
  // This thread reads units too, one worker fewer: measured 5-10% faster over 4 files and over JSON here (the same over one NEW or OLD file), at 5-10 MiB more resident.
  const runs = opts.inline ? runTasksInline<InfoUnitResult>(tasks, { info: infoTask }, { onAsk }) : runTasks<InfoUnitResult>(tasks, { jobs: opts.jobs, onAsk, mainThread: true });
  let units: Unit[] = [];
  let results: InfoUnitResult[] = [];
  let records = 0;
  let diskBytes = 0;
  for await (const run of runs) {
    const unit = plan.units[run.index]!;
    const res = await run.result;
    if (run.index === 0) {
      firstOk = 'entries' in res;
      channel('security').end();
    }
    if (unit.first) channel(`input ${unit.input}`).end();
    units.push(unit);
    results.push(res);
    if ('entries' in res) {
      records += res.entries;
      diskBytes += res.inputBytes;
      opts.onProgress?.(unit.file, diskBytes, res.report.layers.length ? res.report.bytes : undefined, records);
    }
    if (unit.last) diskBytes = 0;
    if (!unit.last) continue;
    const outcome = await finish(unit, units, results);
    if (unit.input === 0) firstCounted = outcome.report !== undefined;
    units = [];
    results = [];
    yield outcome;
  }

  async function finish(unit: Unit, units: Unit[], results: InfoUnitResult[]): Promise<InputOutcome> {
    const base = { input: unit.input, file: unit.file };
    // The first error in input order is the one a whole read meets first (a part that gave up may come before it: read again).
    for (const r of results) {
      if ('full' in r) break;
      if ('error' in r) return { ...base, error: fromWire(r.error) };
    }
    const full = results.find((r): r is { full: string } => 'full' in r);
    // Counts kept for the names of a first part that then failed, or of a first input whose counts were
    // not counted (it failed in a later part): those are not the names the run keeps.
    const misled = (unit.input === 0 ? !firstOk : !firstCounted) && results.some((r) => 'restricted' in r && r.restricted);
    const merged = full ? full.full : misled ? 'its parts kept counts for the names of a first part that failed' : mergeInput(unit.file, units, results as UnitDone[], filtering, maxKeys);
    if (typeof merged !== 'string' && security.merge(merged.security)) {
      opts.onMerged?.(unit.file, results.filter((r) => 'restricted' in r && r.restricted).length);
      return { ...base, report: merged.report };
    }
    // Not mergeable exactly: read it again here, as the sequential run does.
    opts.onReread?.(unit.file, typeof merged === 'string' ? merged : 'the security counts of the run filled their bounds');
    return inspectOne(unit.input, unit.file, { ...opts, password: resolvedSource(plan.passwords[unit.input]) ?? opts.password }, records);
  }
}

/** Read one input on this thread, counting into the run's security tally: the sequential path. */
async function inspectOne(input: number, file: string, opts: InspectInputsOptions, before: number): Promise<InputOutcome> {
  try {
    const report = await inspect(file, {
      password: opts.password,
      ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}),
      ...(opts.trackDb ? { trackDb: opts.trackDb } : {}),
      ...(opts.filter ? { filter: opts.filter } : {}),
      ...(opts.plainShape !== undefined ? { plainShape: opts.plainShape } : {}),
      onEntry: (e) => opts.security.add(e),
      onProgress: (log, n) => opts.onProgress?.(log.file, log.inputBytesRead, log.layers.length ? log.bytesRead : undefined, before + n),
    });
    return { input, file, report };
  } catch (e) {
    if (e instanceof AuditLogError) return { input, file, error: e };
    throw e;
  }
}

/** Every input read on this thread, one after the other (`--jobs 1`). */
async function* inspectEach(files: string[], opts: InspectInputsOptions): AsyncGenerator<InputOutcome, void, undefined> {
  let before = 0;
  for (let i = 0; i < files.length; i++) {
    const o = await inspectOne(i, files[i]!, opts, before);
    if (o.report) before += o.report.records + (o.report.filtered ?? 0);
    yield o;
  }
}
