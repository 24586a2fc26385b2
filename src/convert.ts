/**
 * Conversion: read inputs in order as one stream, filter, write in a target
 * format, optionally compress and encrypt, into a file (atomically) or a stream.
 *
 *   const summary = await convert(['audit.log'], 'audit.json', { to: 'json', filter: { user: ['root'] } });
 *   console.log(summary.written, summary.filtered);
 */
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { compileFilter, filterPaths, type FilterSpec } from './filter.js';
import { MAX_LISTED, problemReport, type ProblemReport } from './info.js';
import { isDataProblem, isUnreadable, problem, recordProblem } from './problems.js';
import type { OutputEncryption, PasswordSource } from './layers/index.js';
import { readAuditLog, type AuditLogReader, type ReadOptions, type Source } from './reader.js';
import { openSink, type ByteSink } from './sink.js';
import type { EntrySink, SinkFile, SinkSummary, WriteHooks } from './sinks/entry-sink.js';
import { createFileSink } from './sinks/file.js';
import type { OutputFormat } from './writers/index.js';
import { createDbTracker, type DbTrackerSummary } from './track-db.js';

export interface ConvertOptions {
  to: OutputFormat;
  filter?: FilterSpec;
  /** `fail` (default): stop at the first malformed record; `skip`: skip it, count it, go on. */
  onError?: 'fail' | 'skip';
  /**
   * An input that cannot be read (missing, unknown format, wrong password, or
   * the rest of it unreadable): `skip` reports it and goes on to the next
   * input, `fail` stops there. Defaults to `onError`.
   */
  unreadable?: 'fail' | 'skip';
  /** Password of encrypted inputs. */
  password?: PasswordSource;
  /** Zone of local-time inputs (IANA name or `+hh:mm`): their times are converted to UTC on read. */
  sourceTz?: string;
  /** gzip the output. */
  compress?: boolean;
  /** AES-encrypt the output (after gzip, as the servers write `.gz.enc`). */
  encrypt?: OutputEncryption;
  /** Told about every problem that did not stop the conversion. */
  onProblem?: (e: AuditLogError) => void;
  /** CSV output: prefix cells that start with `=`, `+`, `-` or `@` with `'`. Defaults to false. */
  csvSafe?: boolean;
  /** Told about progress after every input block: the current input's reader (bytes read) and the records read so far. */
  onProgress?: (log: AuditLogReader, records: number) => void;
  /** Fill each connection's default database into general and table-access events without one (src/track-db.ts), before filtering. */
  trackDb?: boolean;
  /**
   * Same-format records are read lean (src/scanners/frame.ts): framed, checked and
   * passed through without building their events, the filters deciding on the
   * fields they look at only. Output and summary are those of the full read.
   * Defaults to true; false parses every record in full (to compare the two).
   */
  lean?: boolean;
}

export interface InputSummary {
  file: string;
  format: string | null;
  layers: string[];
  complete: boolean | null;
  records: number;
}

export interface ConvertSummary {
  to: OutputFormat;
  inputs: InputSummary[];
  /** Complete records read. */
  read: number;
  written: number;
  /** Records dropped by the filters. */
  filtered: number;
  /** Records written as their original bytes (same-format pass-through). */
  passedThrough: number;
  /** Malformed records skipped (with `skip`), and stretches of bytes inside a document that are no record (SKIPPED_DATA). */
  malformed: number;
  /** Torn last records (never written half). */
  truncated: number;
  /** Field path -> number of records where the target format could not hold it. */
  droppedFields: Record<string, number>;
  /** The problems that did not stop the conversion, with their positions (the first MAX_LISTED). */
  problems: ProblemReport[];
  /** Inputs skipped as unreadable (with `onError: 'skip'`; otherwise the first one stops the conversion). */
  unreadable: ProblemReport[];
  /** Whether any problem meant data was lost or damaged (malformed or torn records, cut input layers). */
  dataProblems: boolean;
  /** Bytes of output (after compression and encryption). */
  bytesOut: number;
  /** The files written (none for a stream), in the order they were finished. */
  files: SinkFile[];
  /** Files removed by pruning (rotating output), oldest first. */
  pruned: string[];
  /** With `trackDb`: events that got a db, and those left without one. */
  trackDb?: DbTrackerSummary;
}

/** Makes the sink of a conversion, once the first input's prologue is known (undefined when it is not kept). */
export type SinkFactory = (prologue: Uint8Array | undefined, hooks: WriteHooks) => EntrySink;

/** A summary before anything was read. */
export function emptySummary(to: OutputFormat): ConvertSummary {
  return {
    to,
    inputs: [],
    read: 0,
    written: 0,
    filtered: 0,
    passedThrough: 0,
    malformed: 0,
    truncated: 0,
    droppedFields: {},
    problems: [],
    unreadable: [],
    dataProblems: false,
    bytesOut: 0,
    files: [],
    pruned: [],
  };
}

/** Counts a problem that did not stop the conversion into `summary` (the first MAX_LISTED listed), and tells `opts.onProblem`. */
export function noteProblemIn(summary: ConvertSummary, opts: Pick<ConvertOptions, 'onProblem'>): (e: AuditLogError) => void {
  return (e) => {
    if (e.code === 'MALFORMED_RECORD' || e.code === 'SKIPPED_DATA') summary.malformed++;
    if (e.code === 'TRUNCATED_RECORD') summary.truncated++;
    if (isDataProblem(e.code)) summary.dataProblems = true;
    if (summary.problems.length < MAX_LISTED) summary.problems.push(problemReport(e));
    opts.onProblem?.(e);
  };
}

/**
 * How records pass through to a target of their own format: their original
 * bytes are kept, and (unless `lean` is false, e.g. when db tracking changes
 * them) they are read lean: framed and checked, with only the fields the
 * filters read (src/scanners/frame.ts).
 */
export function passThroughRead(to: OutputFormat, filter: FilterSpec, lean: boolean): Pick<ReadOptions, 'keepRaw' | 'lean'> {
  const leanRead = lean ? { format: to as FormatId, paths: filterPaths(filter) } : undefined;
  return {
    keepRaw: (f: string) => f === to,
    lean: (f: FormatId) => (leanRead && f === to ? leanRead : undefined),
  };
}

/** Whether an input that cannot be read is reported and skipped (ConvertOptions.unreadable). */
export function skipsUnreadable(opts: Pick<ConvertOptions, 'onError' | 'unreadable'>): boolean {
  return (opts.unreadable ?? opts.onError) === 'skip';
}

/** A value the filters or the writer cannot handle is that record's problem: thrown, or (with skip) noted and skipped. */
export function recordFailureHandler(skip: boolean, onProblem: (e: AuditLogError) => void): (err: unknown, e: Entry, stage: 'transform' | 'write') => void {
  return (err, e, stage) => {
    const p = recordProblem(err, e.at, stage);
    if (!skip || problem(p.code).stops !== 'unless-skip') throw p;
    onProblem(p);
  };
}

/** Whether the filters keep `e`; undefined when they failed on it (its problem was thrown or, with skip, noted). */
export function passes(keep: (ev: Entry['event']) => boolean, e: Entry, recordFailed: (err: unknown, e: Entry, stage: 'transform') => void): boolean | undefined {
  try {
    return keep(e.event);
  } catch (err) {
    recordFailed(err, e, 'transform');
    return undefined;
  }
}

/** What the closed sink wrote, into the summary. */
export function closedInto(summary: ConvertSummary, s: SinkSummary): void {
  summary.written = s.written;
  summary.passedThrough = s.passedThrough;
  summary.droppedFields = s.droppedFields;
  summary.bytesOut = s.bytesOut;
  summary.files = s.files;
  summary.pruned = s.pruned;
}

/**
 * The conversion loop: read inputs in order, filter, and write every kept
 * entry into the sink `makeSink` returns. The sink is made once the first
 * input's format is known (its header is kept when converting to the source's
 * own format), and closed at the end; on any error it is aborted, so no
 * partial output is left behind.
 * @throws AuditLogError the first malformed record (with `onError: 'fail'`), an unusable input, or the sink's I/O error
 */
export async function convertInto(inputs: Source[], makeSink: SinkFactory, opts: ConvertOptions): Promise<ConvertSummary> {
  const summary = emptySummary(opts.to);
  const keep = compileFilter(opts.filter ?? {});
  const skip = opts.onError === 'skip';
  const track = opts.trackDb ? createDbTracker() : undefined;
  const onProblem = noteProblemIn(summary, opts);
  const recordFailed = recordFailureHandler(skip, onProblem);
  const hooks: WriteHooks = { onRecordFailure: (err, e) => recordFailed(err, e, 'write') };
  const passThrough = passThroughRead(opts.to, opts.filter ?? {}, opts.lean !== false && !track);
  let sink: EntrySink | undefined;
  try {
    for (const src of inputs) {
      const log = readAuditLog(src, { onError: skip ? 'skip' : 'throw', onProblem, password: opts.password, ...passThrough, ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}) });
      const input: InputSummary = { file: log.file, format: null, layers: [], complete: null, records: 0 };
      summary.inputs.push(input);
      try {
        for await (const batch of log.batches()) {
          // The source header is kept only when converting to the source's own format.
          sink ??= makeSink(log.format === opts.to ? log.prologue : undefined, hooks);
          const kept: Entry[] = [];
          for (const e of batch) {
            input.records++;
            summary.read++;
            track?.apply(e);
            const pass = passes(keep, e, recordFailed);
            if (pass) kept.push(e);
            else if (pass === false) summary.filtered++;
          }
          await sink.write(kept);
          opts.onProgress?.(log, summary.read);
          // A closed pipe (`| head`): nothing more can be written, so nothing more is read.
          if (sink.gone) break;
        }
      } catch (err) {
        // An input that cannot be read at all (missing, unknown format, wrong password) is skipped and reported with skip.
        if (!(skipsUnreadable(opts) && err instanceof AuditLogError && isUnreadable(err))) throw err;
        summary.unreadable.push(problemReport(err));
        onProblem(err);
      }
      input.format = log.format ?? null;
      input.layers = log.layers;
      input.complete = log.complete;
      if (sink?.gone) break;
    }
    // No record at all: still a valid, empty file of the target format.
    sink ??= makeSink(undefined, hooks);
    closedInto(summary, await sink.close());
    if (track) summary.trackDb = track.summary();
    return summary;
  } catch (e) {
    await sink?.abort();
    throw e;
  }
}

/** The sinks of a conversion into one output already opened (src/sink.ts openSink). */
export function fileSinkFactory(out: ByteSink, opts: ConvertOptions): SinkFactory {
  return (prologue, hooks) => createFileSink(out, { to: opts.to, csvSafe: opts.csvSafe ?? false, compress: opts.compress ?? false, ...hooks, ...(opts.encrypt ? { encrypt: opts.encrypt } : {}), ...(prologue ? { prologue } : {}) });
}

/**
 * Convert inputs into `dest`: a path (`-` is stdout; a regular file is
 * written atomically, mode 0600, and nothing is left behind if the conversion
 * fails; a device or FIFO is written in place; see src/sink.ts) or a writable stream.
 * The output is opened before any input is read.
 * @throws AuditLogError the first malformed record (with `onError: 'fail'`), an unusable input,
 *   or INVALID_OPTION for an output that is one of the inputs, or binary output to a terminal
 */
export async function convert(inputs: Source[], dest: string | NodeJS.WritableStream, opts: ConvertOptions): Promise<ConvertSummary> {
  // The output is opened (and refused when it is an input, or binary to a terminal) before any input is read.
  const out = await openSink(dest, { inputs, binary: Boolean(opts.compress || opts.encrypt) });
  try {
    return await convertInto(inputs, fileSinkFactory(out, opts), opts);
  } catch (e) {
    await out.abort();
    throw e;
  }
}
