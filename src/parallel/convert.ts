/**
 * Parallel conversion: the units of the inputs (src/parallel/plan.ts: whole
 * files, and large plain or AES files cut at record starts) are read,
 * filtered and encoded in worker threads (`convertUnit`, the task), and the
 * main thread writes their encoded bytes into the one sink in unit order
 * (`convertUnits`). The output and the summary are those of the sequential
 * conversion (src/convert.ts convertInto), byte for byte.
 *
 *   const summary = await convertWithJobs(['a.log', 'b.log'], 'out.json', { to: 'json' }, { jobs: 2 });
 *
 * What a unit cannot know on its own, and how it is made exact:
 * - The per-second ids of its leading events that share its first event's
 *   second continue the count of the unit before. Those events are held back
 *   (kept ones only, at most HOLD_MAX), and handed to the main thread with the
 *   unit's start; the main thread gives them their ids once the unit before is
 *   merged and writes them itself, before the unit's bytes. A longer run makes
 *   the unit wait for the ids before it.
 * - Record numbers are counted from 0 in each unit; the main thread adds the
 *   numbers the earlier units of the same input used, to problems and errors.
 * - The writer's state (src/writers/common.ts WriterState): the JSON separator
 *   goes before a unit's first record when a record was written before (the
 *   sink puts it in); an XML record converted from another format (its
 *   RECORD_ID counts the records before it) makes the unit ask for the
 *   writer's state first, which the main thread answers once the units before
 *   are written, so such conversions encode one unit after the other.
 * - A unit owns the records that start in its range: it reads on past its
 *   end until the first record that starts at or after it, so a record damaged
 *   across the cut is seen and reported as a whole read sees it.
 * - The first error in unit order is the one reported; earlier units' output
 *   is written first, and the sink is aborted (no output file is left).
 *
 * Sequential instead (see sequentialReason): `--jobs 1`, `trackDb`
 * (connection state crosses units and files), inputs that are not files
 * (stdin, bytes, streams), small work, work mostly in whole inputs too large
 * for a unit (mostlyWhole: gzip ones); rotating output is the caller's (the
 * CLI's --out-dir converts sequentially). A gzip input is one unit, and so is
 * a JSON one (splittableForConvert).
 */
import { closedInto, convertInto, emptySummary, fileSinkFactory, noteProblemIn, passes, passThroughRead, recordFailureHandler, skipsUnreadable, type ConvertOptions, type ConvertSummary, type InputSummary, type SinkFactory } from '../convert.js';
import type { Entry, FormatId } from '../entry.js';
import { AuditLogError } from '../errors.js';
import { compileFilter, type FilterSpec } from '../filter.js';
import { continueIdRun, idOffset, IdStage, type IdRun, type IdState } from '../ids.js';
import { MAX_LISTED, problemReport } from '../info.js';
import type { LayerId } from '../layers/index.js';
import { isUnreadable } from '../problems.js';
import { readAuditLog, type Source } from '../reader.js';
import { openSink } from '../sink.js';
import { Blocks, OUT_BLOCK } from '../sinks/blocks.js';
import { takesEncoded, type EncodedSink, type WriteHooks } from '../sinks/entry-sink.js';
import { createWriter, type EncodedRun, type OutputFormat, type WriterState } from '../writers/index.js';
import { isSpecialFile, workBytes } from '../input.js';
import { OPEN_NOTICES, planUnits, resolvedSource, splittableFormat, type Plan, type PlanOptions, type ResolvedPassword, type Unit } from './plan.js';
import { fromWire, runTasks, runTasksInline, toWire, type TaskIO, type WireError } from './pool.js';

/** Leading events of one second a unit holds back for the main thread, at most (then it waits for the ids before it). */
export const HOLD_MAX = 4096;

/** Below this many input bytes in all, a conversion runs in this thread. */
export const DEFAULT_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Size of the ranges a large file is cut into. The output of a unit waits on
 * the main thread until the units before it are written, so a unit is cut
 * small enough for its whole output to wait there (UNIT_QUEUE chunks): the
 * next unit's worker then finishes it while the one before is written, and
 * memory stays bounded by a few units' output.
 */
export const DEFAULT_UNIT_BYTES = 8 * 1024 * 1024;

/**
 * Young generation of a convert worker's heap, in MiB (the pool's default is
 * 12): a 200 MiB NEW -> JSON conversion with --jobs 2 peaked at 195-196 MiB RSS
 * with 8 and 200-204 with 12, at the same speed (two runs each, loaded machine).
 */
const CONVERT_YOUNG_MB = 8;

/** What the task gets: its unit and the conversion's options (all structured-clonable). */
export interface ConvertUnitPayload {
  unit: Unit;
  to: OutputFormat;
  filter: FilterSpec;
  onError: 'fail' | 'skip';
  /** An unreadable input: `skip` returns its error in the result (ConvertOptions.unreadable), `fail` throws it. */
  unreadable: 'fail' | 'skip';
  csvSafe: boolean;
  /** Read records of the target's own format lean (ConvertOptions.lean); defaults to true. */
  lean?: boolean;
  sourceTz?: string;
  password?: ResolvedPassword;
  /** HOLD_MAX unless told (tests). */
  holdMax?: number;
  /** The per-second ids continue from the input before (JobsOptions.idsFrom): a first unit's leading ids are not its own either. */
  idsAcross?: boolean;
}

/** What a unit asks the main thread. */
export type ConvertQuestion =
  /** Before its first bytes (or at its end): the input's format and prologue, and the held-back events. */
  | { kind: 'start'; format: FormatId | null; prologue: Uint8Array | undefined; held: Entry[] }
  /** The writer's state after everything before this unit's own records (answer: WriterState). */
  | { kind: 'state' }
  /** The id state after the unit before (answer: IdState | null). */
  | { kind: 'ids' }
  /** Problems so far, to be told in order (answered once the units before are merged). */
  | { kind: 'problems'; list: WireError[] };

/** What the task returns. */
export interface ConvertUnitResult {
  format: FormatId | null;
  layers: LayerId[];
  complete: boolean | null;
  /** Entries read (those that start in the unit). */
  records: number;
  /** Record numbers used (entries and numbered problems): what the next unit of the input starts at. */
  numbered: number;
  filtered: number;
  /** Problems not yet told through an ask, in order. */
  problems: WireError[];
  /** What its writer wrote. */
  run: EncodedRun;
  lastTimestamp: string | undefined;
  /** Its id stage at the end. */
  ids: IdRun;
  /** Whether it read any entry (the sink is made at the first one). */
  sawEntries: boolean;
  /** Bytes it read from disk (a range's unit reads ahead of its end). */
  inputBytes: number;
  /** Bytes of the decoded stream it read (gzip or AES inputs read whole). */
  decodedBytes: number;
  /** End of the last record it read (undefined: none). */
  lastEnd: number | undefined;
  /** With unreadable skip: the error that made the rest of the input unreadable. */
  unreadable?: WireError;
}

/** An id stage that leaves ids alone: the task assigns them itself, entry by entry, to know which depended on the unit before. */
class CallerAssigned extends IdStage {
  override assign(): void {}
}

/** The task: read, filter and encode one unit; see the top of this file. */
export async function convertUnit(p: ConvertUnitPayload, io: TaskIO): Promise<ConvertUnitResult> {
  const { unit } = p;
  const holdMax = p.holdMax ?? HOLD_MAX;
  const skip = p.onError === 'skip';
  // Records that start at or after the end belong to the next unit.
  const end = unit.range && !unit.last ? unit.range.end : Infinity;
  const keep = compileFilter(p.filter);
  const writer = createWriter(p.to, { csvSafe: p.csvSafe, partOfOutput: true });
  const ids = new IdStage(null, !unit.first || p.idsAcross === true);
  const blocks = new Blocks();
  let problems: WireError[] = [];
  let records = 0;
  let numbered = 0;
  let filtered = 0;
  let past = false;
  let sawEntries = false;
  let started = false;
  let lastTimestamp: string | undefined;
  let lastEnd: number | undefined;
  let held: Entry[] = [];
  let unreadable: WireError | undefined;
  const number = (i: number | undefined) => {
    if (i !== undefined && i >= numbered) numbered = i + 1;
  };
  const note = (e: AuditLogError) => {
    number(e.ctx.index);
    problems.push(toWire(e));
  };
  const recordFailed = recordFailureHandler(skip, note);
  const log = readAuditLog(unit.file, {
    onError: skip ? 'skip' : 'throw',
    onProblem: (e) => {
      // A range's read sees the input's opening notices too (an AES file's torn end): the first unit tells them.
      if (unit.range && OPEN_NOTICES.has(e.code)) {
        if (unit.first) note(e);
      } else if ((e.ctx.offset ?? 0) >= end) past = true;
      else note(e);
    },
    password: resolvedSource(p.password),
    ...passThroughRead(p.to, p.filter, p.lean !== false),
    ids: new CallerAssigned(),
    ...(p.sourceTz !== undefined ? { sourceTz: p.sourceTz } : {}),
    // A range ends where the next unit's first record starts: nothing past it is parsed (`until`).
    ...(unit.range ? { range: { start: unit.range.start, ...(unit.last ? {} : { until: unit.range.end }) } } : {}),
    ...(unit.range && unit.range.start > 0 && unit.format ? { format: unit.format } : {}),
  });
  const start = async () => {
    if (started) return;
    started = true;
    const h = held;
    held = [];
    await io.ask({ kind: 'start', format: log.format ?? null, prologue: log.prologue, held: h } satisfies ConvertQuestion);
  };
  /** Encode one entry into the current block (no I/O). */
  const encode = (e: Entry) => {
    let bytes: string | Uint8Array;
    try {
      bytes = writer.record(e);
    } catch (err) {
      recordFailed(err, e, 'write');
      return;
    }
    blocks.put(bytes);
    const ts = e.event.timestamp;
    lastTimestamp = typeof ts === 'string' && e.timeZone !== 'local' ? ts : undefined;
  };
  const write = async (e: Entry) => {
    if (!started) await start();
    if (writer.needsResume(e)) writer.resume((await io.ask({ kind: 'state' } satisfies ConvertQuestion)) as WriterState);
    encode(e);
    while (blocks.full) await io.emit(blocks.take());
  };
  // The held run grew too long: wait for the ids before this unit, and write it here.
  const rebaseIds = async () => {
    const before = (await io.ask({ kind: 'ids' } satisfies ConvertQuestion)) as IdState | null;
    const h = held;
    held = [];
    const off = idOffset(before, h[0]!.event.timestamp!);
    for (const e of h) e.event.id = (e.event.id as number) + off;
    ids.restore(continueIdRun(before, ids.run));
    await start();
    for (const e of h) await write(e);
  };
  try {
    outer: for await (const batch of log.batches()) {
      for (const e of batch) {
        if (e.at.offset >= end) {
          past = true;
          break outer;
        }
        sawEntries = true;
        records++;
        lastEnd = e.at.end;
        number(e.at.index);
        ids.assign(e);
        const dependent = ids.depended;
        const pass = passes(keep, e, recordFailed);
        if (pass === undefined) continue;
        if (!pass) filtered++;
        else if (dependent) {
          held.push(e);
          if (held.length >= holdMax) await rebaseIds();
        } else if (started && !writer.needsResume(e)) {
          // The common case without a promise per record.
          encode(e);
          while (blocks.full) await io.emit(blocks.take());
        } else await write(e);
      }
      if (past) break;
      if (problems.length >= MAX_LISTED) {
        const list = problems;
        problems = [];
        await io.ask({ kind: 'problems', list } satisfies ConvertQuestion);
      }
    }
  } catch (err) {
    if (err instanceof AuditLogError && (err.ctx.offset ?? 0) >= end) past = true;
    else if (p.unreadable === 'skip' && err instanceof AuditLogError && isUnreadable(err)) unreadable = toWire(err);
    else {
      // What a sequential run did before the error: the held events written, the problems told.
      if (sawEntries) await start();
      if (problems.length) await io.ask({ kind: 'problems', list: problems } satisfies ConvertQuestion);
      throw err;
    }
  }
  if (sawEntries) await start();
  while (!blocks.empty) await io.emit(blocks.take());
  return {
    format: log.format ?? null,
    layers: log.layers,
    complete: log.complete,
    records,
    numbered,
    filtered,
    problems,
    run: writer.encodedRun(),
    lastTimestamp,
    ids: ids.run,
    sawEntries,
    inputBytes: log.inputBytesRead,
    decodedBytes: log.bytesRead,
    lastEnd,
    ...(unreadable ? { unreadable } : {}),
  };
}

/** How to run the units. */
export interface JobsOptions {
  /** Worker threads. 1: the sequential conversion. */
  jobs: number;
  /** Below this many input bytes in all, run sequentially. Default DEFAULT_MIN_BYTES. */
  minBytes?: number;
  /** Inputs smaller than this are not cut (plan.ts DEFAULT_SPLIT_BYTES). */
  splitBytes?: number;
  /** Ranges a large file is cut into, in bytes (DEFAULT_UNIT_BYTES). */
  unitBytes?: number;
  /** Nominal cut offsets instead of every unitBytes (tests). */
  cuts?: PlanOptions['cuts'];
  /** Run the units in this thread, one after the other (tests). */
  inline?: boolean;
  /** Held-back events per unit, at most (HOLD_MAX; tests). */
  holdMax?: number;
  /**
   * One per-second id count over all inputs, from this state (the events before the
   * first input), as `read` numbers a file set; by default each input counts its own.
   */
  idsFrom?: { state: IdState | null };
  /** Told after each unit is merged: the end of its last record (undefined: none), the bytes it read from disk and decoded, its input's layers. */
  onMerged?: (unit: Unit, merged: { lastEnd: number | undefined; inputBytes: number; decodedBytes: number; layers: LayerId[] }) => void;
  /** Told the units before they run (not told when the conversion runs sequentially). */
  onPlan?: (units: readonly Unit[]) => void;
  /**
   * Told after each unit is merged, on workers (on one thread ConvertOptions.onProgress
   * is told instead): the input, its bytes read from disk so far, those of its decoded
   * stream when it is read whole through layers, and the records read in all.
   */
  onProgress?: (file: string, diskBytes: number, decodedBytes: number | undefined, records: number) => void;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The units of a conversion across workers, merged into the sink `makeSink` makes; see the top of this file. */
export async function convertUnits(units: Unit[], passwords: (ResolvedPassword | undefined)[], makeSink: SinkFactory, opts: ConvertOptions, job: JobsOptions): Promise<ConvertSummary> {
  const summary = emptySummary(opts.to);
  const onProblem = noteProblemIn(summary, opts);
  const skip = opts.onError === 'skip';
  const recordFailed = recordFailureHandler(skip, onProblem);
  const hooks: WriteHooks = { onRecordFailure: (err, e) => recordFailed(err, e, 'write') };
  let sink: EncodedSink | undefined;
  const sinkFor = (format: FormatId | null, prologue: Uint8Array | undefined): EncodedSink => {
    if (!sink) {
      const s = makeSink(format === opts.to ? prologue : undefined, hooks);
      if (!takesEncoded(s)) throw new Error('parallel conversion needs a sink that takes encoded parts');
      sink = s;
    }
    return sink;
  };
  interface UnitState {
    start?: Extract<ConvertQuestion, { kind: 'start' }>;
    startDone: boolean;
    startError?: unknown;
    begun: ReturnType<typeof deferred>;
    started: ReturnType<typeof deferred>;
    /** The rest of its input was unreadable: its output is not wanted. */
    dropped: boolean;
  }
  const state: UnitState[] = units.map(() => ({ startDone: false, begun: deferred(), started: deferred(), dropped: false }));
  /** Record numbers used by the merged units of each input. */
  const base: number[] = [];
  let idState: IdState | null = job.idsFrom ? job.idsFrom.state : null;
  let current = -1;
  const renumber = (w: WireError, k: number): Error => {
    const e = fromWire(w);
    const b = base[units[k]!.input] ?? 0;
    if (!(e instanceof AuditLogError) || e.ctx.index === undefined || b === 0) return e;
    return new AuditLogError(e.code, e.detail, { ...e.ctx, index: e.ctx.index + b });
  };
  const asProblem = (e: Error): AuditLogError => (e instanceof AuditLogError ? e : new AuditLogError('IO_ERROR', e.message, { stage: 'read', recoverable: false }));
  // The unit's start: the sink (made at the first entry, with that input's prologue), then its held events with their ids and numbers.
  const runStart = async (k: number) => {
    const u = state[k]!;
    const st = u.start!;
    u.startDone = true;
    try {
      const s = sinkFor(st.format, st.prologue);
      if (st.held.length) {
        const off = idOffset(idState, st.held[0]!.event.timestamp!);
        const b = base[units[k]!.input] ?? 0;
        for (const e of st.held) {
          e.event.id = (e.event.id as number) + off;
          e.at = { ...e.at, index: e.at.index + b };
        }
        await s.write(st.held);
      }
    } catch (e) {
      u.startError = e;
      throw e;
    } finally {
      u.started.resolve();
    }
  };
  const onAsk = async (k: number, question: unknown): Promise<unknown> => {
    const q = question as ConvertQuestion;
    const u = state[k]!;
    switch (q.kind) {
      case 'start':
        u.start = q;
        if (u.dropped) u.startDone = true;
        else if (current === k && !u.startDone) await runStart(k);
        return true;
      case 'state':
        await u.started.promise;
        return sink?.state() ?? createWriter(opts.to).state();
      case 'ids':
        await u.begun.promise;
        return idState;
      case 'problems':
        await u.begun.promise;
        if (!u.dropped) for (const w of q.list) onProblem(asProblem(renumber(w, k)));
        return true;
    }
  };
  const tasks = units.map((unit) => {
    const payload: ConvertUnitPayload = { unit, to: opts.to, filter: opts.filter ?? {}, onError: skip ? 'skip' : 'fail', unreadable: skipsUnreadable(opts) ? 'skip' : 'fail', csvSafe: opts.csvSafe ?? false, ...(opts.lean === false ? { lean: false } : {}), ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}), ...(passwords[unit.input] ? { password: passwords[unit.input]! } : {}), ...(job.holdMax !== undefined ? { holdMax: job.holdMax } : {}), ...(job.idsFrom ? { idsAcross: true } : {}) };
    return { name: 'convert', payload };
  });
  // Room for a whole unit's output (see DEFAULT_UNIT_BYTES), and some. Records of tens of KiB and more
  // end blocks early (src/sinks/blocks.ts), so a unit of them may fill this and wait for its turn.
  const maxQueued = Math.ceil((job.unitBytes ?? DEFAULT_UNIT_BYTES) / OUT_BLOCK) + 8;
  const runner = job.inline ? runTasksInline<ConvertUnitResult>(tasks, { convert: convertUnit }, { onAsk, maxQueued }) : runTasks<ConvertUnitResult>(tasks, { jobs: job.jobs, onAsk, maxQueued, resourceLimits: { maxYoungGenerationSizeMb: CONVERT_YOUNG_MB } });
  const inputs: InputSummary[] = [];
  try {
    for await (const run of runner) {
      const k = run.index;
      const unit = units[k]!;
      const u = state[k]!;
      current = k;
      if (unit.first) {
        if (!job.idsFrom) idState = null;
        base[unit.input] = 0;
        inputs[unit.input] = { file: unit.file, format: null, layers: [], complete: null, records: 0 };
        summary.inputs.push(inputs[unit.input]!);
      }
      u.begun.resolve();
      if (u.dropped) {
        u.started.resolve();
        for await (const _ of run.chunks);
        await run.result.catch(() => undefined);
        continue;
      }
      if (u.start && !u.startDone) await runStart(k);
      let gone = false;
      for await (const c of run.chunks) {
        await sink!.writeEncoded(c);
        // A closed pipe (`| head`): nothing more can be written, so nothing more is read.
        if (sink!.gone) {
          gone = true;
          break;
        }
      }
      if (gone) break;
      let r: ConvertUnitResult;
      try {
        r = await run.result;
      } catch (err) {
        throw u.startError ?? (err instanceof AuditLogError && err.ctx.index !== undefined ? renumber(toWire(err), k) : err);
      }
      for (const w of r.problems) onProblem(asProblem(renumber(w, k)));
      if (sink) await sink.writeEncoded(new Uint8Array(0), { ...r.run, lastTimestamp: r.lastTimestamp });
      const input = inputs[unit.input]!;
      input.records += r.records;
      summary.read += r.records;
      // How far into the file: a range's end (its units read ahead of it), or what a whole unit read.
      job.onProgress?.(unit.file, unit.range ? unit.range.end : r.inputBytes, r.layers.length && !unit.range ? r.decodedBytes : undefined, summary.read);
      job.onMerged?.(unit, { lastEnd: r.lastEnd, inputBytes: r.inputBytes, decodedBytes: r.decodedBytes, layers: r.layers });
      summary.filtered += r.filtered;
      // The format is the one the input's first record decided (an XML scanner's hint is replaced by it).
      if (unit.first || input.format === null) input.format = r.format;
      input.layers = r.layers;
      input.complete = r.complete;
      idState = continueIdRun(idState, r.ids);
      if (r.unreadable) {
        const e = asProblem(renumber(r.unreadable, k));
        summary.unreadable.push(problemReport(e));
        onProblem(e);
        for (let j = k + 1; j < units.length && units[j]!.input === unit.input; j++) state[j]!.dropped = true;
      }
      base[unit.input] = (base[unit.input] ?? 0) + r.numbered;
    }
    // No record at all: still a valid, empty file of the target format.
    sink ??= sinkFor(null, undefined);
    closedInto(summary, await sink.close());
    return summary;
  } catch (e) {
    await sink?.abort();
    throw e;
  }
}

/**
 * Formats a conversion cuts: as the planner's, but not JSON, whose scanner
 * takes the rest of an input for local time once one record shows Percona
 * audit_log_filter's layout (src/scanners/json.ts), which a later part cannot
 * know. JSON files are still converted one per worker.
 */
export function splittableForConvert(format: FormatId): boolean {
  return splittableFormat(format) && format !== 'json' && format !== 'percona-json';
}

/** Nominal cuts every `n` bytes. */
function everyBytes(n: number): NonNullable<PlanOptions['cuts']> {
  return (_file, size) => {
    const out: number[] = [];
    for (let at = n; at < size; at += n) out.push(at);
    return out;
  };
}

/** The units a conversion on workers reads: whole files, and large plain or AES files cut every `job.unitBytes` (passwords asked here). */
export function planConversion(files: string[], opts: Pick<ConvertOptions, 'password'>, job: JobsOptions): Promise<Plan> {
  return planUnits(files, {
    jobs: job.jobs,
    ...(job.splitBytes !== undefined ? { splitBytes: job.splitBytes } : {}),
    ...(opts.password ? { password: opts.password } : {}),
    cuts: job.cuts ?? everyBytes(job.unitBytes ?? DEFAULT_UNIT_BYTES),
    splittable: splittableForConvert,
  });
}

/**
 * Whether inputs read whole (not cut: gzip and JSON ones) and larger than two units hold
 * more than half of the work. Such a unit's output cannot all wait on the main
 * thread while the units before it are written, so its worker soon waits for
 * them: workers then mostly take turns, at the cost of threads. Four gzip files
 * of 50 MiB of NEW XML each, to /dev/null (2026-12-02, two rounds each): to JSON
 * 6.5-6.6 s on one thread and 7.1 s on two workers, peaking at 103 and 213-228
 * MiB resident; to NEW 2.8-3.0 s and 3.5 s, at 94-96 and 190-212 MiB. Four JSON
 * files of 50 MiB to NDJSON: 6.0-6.3 s and 5.7-6.0 s, at 102-108 and 186-189 MiB.
 * `work`: each input's bytes, as workBytes() estimates them, by input index.
 */
export function mostlyWhole(units: readonly Unit[], work: readonly number[], unitBytes: number): boolean {
  const total = work.reduce((a, b) => a + b, 0);
  let whole = 0;
  for (const u of units) if (!u.range && work[u.input]! > 2 * unitBytes) whole += work[u.input]!;
  return whole * 2 > total;
}

/** Why a conversion runs sequentially, or undefined when it can use workers. */
export function sequentialReason(inputs: readonly Source[], opts: ConvertOptions, job: JobsOptions): string | undefined {
  if (job.jobs <= 1) return '--jobs 1';
  if (opts.trackDb) return 'trackDb: connection state crosses units and files';
  if (inputs.some((s) => typeof s !== 'string' || s === '-')) return 'an input is not a file';
  return undefined;
}

/**
 * Convert `inputs` through the sink `makeSink` makes, across `job.jobs`
 * workers when that is possible and worth it (enough bytes, more than one
 * unit, not mostlyWhole), else sequentially (convertInto). Same output and
 * summary either way.
 */
export async function convertIntoWithJobs(inputs: Source[], makeSink: SinkFactory, opts: ConvertOptions, job: JobsOptions): Promise<ConvertSummary> {
  if (sequentialReason(inputs, opts, job) !== undefined) return convertInto(inputs, makeSink, opts);
  const files = inputs as string[];
  // A pipe or device is read once, in order: planning would read its head.
  for (const f of files) if (await isSpecialFile(f)) return convertInto(inputs, makeSink, opts);
  const work: number[] = [];
  for (const f of files) work.push(await workBytes(f));
  if (work.reduce((a, b) => a + b, 0) < (job.minBytes ?? DEFAULT_MIN_BYTES)) return convertInto(inputs, makeSink, opts);
  const plan = await planConversion(files, opts, job);
  if (plan.units.length < 2 || mostlyWhole(plan.units, work, job.unitBytes ?? DEFAULT_UNIT_BYTES)) return convertInto(inputs, makeSink, opts);
  job.onPlan?.(plan.units);
  return convertUnits(plan.units, plan.passwords, makeSink, opts, job);
}

/**
 * convert() (src/convert.ts) across workers: the output is opened (and
 * refused when it is an input) before any input is read, then written as
 * convertIntoWithJobs decides.
 */
export async function convertWithJobs(inputs: Source[], dest: string | NodeJS.WritableStream, opts: ConvertOptions, job: JobsOptions): Promise<ConvertSummary> {
  const out = await openSink(dest, { inputs, binary: Boolean(opts.compress || opts.encrypt) });
  try {
    return await convertIntoWithJobs(inputs, fileSinkFactory(out, opts), opts, job);
  } catch (e) {
    await out.abort();
    throw e;
  }
}
