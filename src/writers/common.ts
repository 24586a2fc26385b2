/**
 * Shared pieces of the record writers: the summary bookkeeping and small
 * value helpers. See src/writers/index.ts for the writer interface.
 */
import type { AuditEvent, Entry, JsonValue } from '../entry.js';
import { bump, counts } from '../counts.js';
import { AuditLogError } from '../errors.js';
import { looksPerconaFilter } from '../timezone.js';
import { continueIdRun, SecondCount, type IdRun, type IdState } from '../ids.js';

export type OutputFormat = 'new' | 'old' | 'json' | 'ndjson' | 'csv';

/** What a writer did, for the command's report. */
export interface WriteSummary {
  /** Records written (converted and passed through). */
  written: number;
  /** Records whose original bytes were written unchanged (same-format pass-through). */
  passedThrough: number;
  /** Field path (`query_statistics`, `login.proxy`, `connection_data.connection_attributes`, ...) -> number of records where the target format could not hold it. */
  droppedFields: Record<string, number>;
}

/**
 * A stateful writer for one output file: `header()` once, `record()` per
 * entry (the record's bytes, with whatever separator belongs before it),
 * `footer()` once, then `summary()`.
 */
export interface RecordWriter {
  readonly format: OutputFormat;
  header(): Uint8Array;
  /** One record's bytes (with the separator that goes before it): text, or the original bytes when passed through. */
  record(entry: Entry): string | Uint8Array;
  footer(): Uint8Array;
  summary(): WriteSummary;
  /** Forget what a record() that threw had noted (its dropped fields), so the next record starts clean. */
  abandonRecord?(): void;
  /** Where the writer stands: what a writer of the next part of the same output continues from. */
  state(): WriterState;
  /**
   * (A part's writer, made with `partOfOutput`.) Continue from the state of
   * the writer of everything before this part, keeping what it wrote itself so far.
   */
  resume(before: WriterState): void;
  /** (A part's writer.) Whether writing `entry` needs the state before the part first (`resume`): XML records it converts. */
  needsResume(entry: Entry): boolean;
  /** (A part's writer.) What it wrote: counts and where it ended, for `absorb`. */
  encodedRun(): EncodedRun;
  /** The bytes that go before a part's first record written by another writer of this format (JSON: the separator, once a record was written). */
  joinPrefix(): Uint8Array;
  /** Take over the bookkeeping of a part another writer of this format wrote (its encodedRun), as if this writer had written it. */
  absorb(run: EncodedRun): void;
}

/**
 * Where a writer stands in its output. The parts of one output can be encoded
 * by separate writers (src/parallel/convert.ts): each starts without knowing
 * the parts before it, and the bytes it writes do not depend on them, except
 * for what `joinPrefix` puts before it and what `resume` tells it (XML
 * records it converts: their RECORD_ID sequence and open time).
 */
export interface WriterState {
  /** Records written. */
  written: number;
  /** The per-second id a reader of the output gave the last record (XML). */
  readIds: IdState | null;
  /** XML: the RECORD_ID sequence (records written), the timestamp of the first record, whether the last record ended its line. */
  seq: number;
  openTs: string | undefined;
  atLineStart: boolean;
}

/** What a part's writer wrote. */
export interface EncodedRun {
  records: number;
  passedThrough: number;
  droppedFields: Record<string, number>;
  /** Its state at the end: the whole output's when `resumed`, else the part's own (from nothing before). */
  end: WriterState;
  /** Its read-id count, which may continue the one before (see IdRun). */
  readIds: IdRun;
  /** Whether it resumed from the state before it. */
  resumed: boolean;
}

export interface WriterOptions {
  /**
   * The source file's bytes before its first record (for example
   * `<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n`). An XML writer uses it
   * as its header when it is a valid XML audit header, a JSON writer when it is
   * a JSON array opening; otherwise the standard header is written. Pass it
   * only when converting to the source's own format.
   */
  prologue?: Uint8Array;
  /** CSV: prefix cells that start with `=`, `+`, `-` or `@` with `'` (spreadsheet formula injection). Defaults to false. */
  csvSafe?: boolean;
  /** The writer writes one part of an output, whose earlier parts it is not told (see WriterState). */
  partOfOutput?: boolean;
}

export const EMPTY = new Uint8Array(0);

export function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/** Summary bookkeeping common to all writers. */
export abstract class BaseWriter implements RecordWriter {
  abstract readonly format: OutputFormat;
  protected written = 0;
  protected passed = 0;
  /** At most MAX_DISTINCT paths (unknown keys make new ones), then `(other)` (src/counts.ts). */
  private readonly dropped = new Map<string, number>();
  /** Paths dropped from the record being written (each counts once per record). */
  private recordDrops: string[] = [];
  /**
   * The `id` a reader of the output will give each record: the sequence
   * among records with the same timestamp, as src/mapping.ts computes it.
   * Used by the XML writers, whose format has no `id`.
   */
  private readonly ids: SecondCount;
  /** Whether this writer resumed from the state of the parts before it. */
  protected resumed = false;

  /** @param partOfOutput the writer writes a part of an output whose earlier parts it is not told (see WriterState) */
  constructor(partOfOutput = false) {
    this.ids = new SecondCount(null, partOfOutput);
  }

  abstract header(): Uint8Array;
  abstract record(entry: Entry): string | Uint8Array;
  abstract footer(): Uint8Array;

  /** Note that the record being written loses `path`. */
  protected drop(path: string): void {
    if (!this.recordDrops.includes(path)) this.recordDrops.push(path);
  }

  /** Close the bookkeeping of one record. */
  protected commit(passedThrough: boolean): void {
    this.written++;
    if (passedThrough) this.passed++;
    for (const p of this.recordDrops) bump(this.dropped, p);
    if (this.recordDrops.length) this.recordDrops = [];
  }

  abandonRecord(): void {
    this.recordDrops = [];
  }

  /** The id a reader of this output will compute for the next record, whose timestamp is `ts`. */
  protected nextReadId(ts: string | undefined): number {
    return this.ids.next(ts);
  }

  summary(): WriteSummary {
    const droppedFields = counts();
    for (const [k, n] of this.dropped) droppedFields[k] = n;
    return { written: this.written, passedThrough: this.passed, droppedFields };
  }

  state(): WriterState {
    return { written: this.written, readIds: this.ids.state, seq: 0, openTs: undefined, atLineStart: true };
  }

  resume(before: WriterState): void {
    this.ids.restore(continueIdRun(before.readIds, this.ids.run));
    this.resumed = true;
  }

  needsResume(_entry: Entry): boolean {
    return false;
  }

  encodedRun(): EncodedRun {
    const s = this.summary();
    return { records: s.written, passedThrough: s.passedThrough, droppedFields: s.droppedFields, end: this.state(), readIds: this.ids.run, resumed: this.resumed };
  }

  joinPrefix(): Uint8Array {
    return EMPTY;
  }

  absorb(run: EncodedRun): void {
    this.written += run.records;
    this.passed += run.passedThrough;
    for (const [k, n] of Object.entries(run.droppedFields)) bump(this.dropped, k, n);
    this.ids.restore(run.resumed ? run.readIds.state : continueIdRun(this.ids.state, run.readIds));
  }
}

/** Whether an entry's time is the server's local time (no zone): `timeZone`, or a `time_zone` note our writers added. */
export function isLocalTime(entry: Entry): boolean {
  return entry.timeZone === 'local' || entry.event.time_zone === 'local';
}

/**
 * The event as JSON, NDJSON and CSV write it: a local time carries `"time_zone": "local"`
 * right after `timestamp` (their timestamps have no zone of their own, and MySQL's are UTC);
 * a UTC time of an event only Percona's filter writes (whose times are local) `"UTC"`.
 */
export function eventWithZone(entry: Entry): AuditEvent {
  const e = entry.event;
  if (e.time_zone !== undefined) return e;
  let zone: string;
  if (entry.timeZone === 'local') zone = 'local';
  else if (looksPerconaFilter(e)) zone = 'UTC'; // else a reader would take it for Percona's local time
  else return e;
  const out: AuditEvent = {};
  let put = false;
  for (const k in e) {
    out[k] = e[k];
    if (k === 'timestamp') {
      out.time_zone = zone;
      put = true;
    }
  }
  if (!put) out.time_zone = zone;
  return out;
}

/** A plain (non-null, non-array) object. */
export function isObject(v: unknown): v is { [key: string]: JsonValue | undefined } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first top-level key ending in `_data` whose value is an object: the event's data object. */
export function dataKeyOf(e: { [key: string]: unknown }): string | undefined {
  for (const k of Object.keys(e)) if (k.endsWith('_data') && isObject(e[k])) return k;
  return undefined;
}

/**
 * Deepest nesting of objects and arrays a writer accepts in an event (the
 * event itself is depth 1; real audit events reach 4). Deeper events are
 * MALFORMED_RECORD, so no writer recurses without a bound.
 */
export const MAX_EVENT_DEPTH = 64;

function tooDeep(v: object, depth: number): boolean {
  if (depth > MAX_EVENT_DEPTH) return true;
  // Only objects and arrays are descended into: no call per string or number.
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null && tooDeep(x, depth + 1)) return true;
    }
  } else
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'object' && x !== null && tooDeep(x, depth + 1)) return true;
    }
  return false;
}

/**
 * The check every writer makes once per event, before writing it.
 * @throws AuditLogError MALFORMED_RECORD (at the entry's position) when the event nests deeper than MAX_EVENT_DEPTH
 */
export function checkEvent(entry: Entry): void {
  if (tooDeep(entry.event, 1))
    throw new AuditLogError('MALFORMED_RECORD', `event nested deeper than ${MAX_EVENT_DEPTH} levels: not written`, {
      stage: 'write',
      file: entry.at.file,
      offset: entry.at.offset,
      end: entry.at.end,
      index: entry.at.index,
      recoverable: true,
    });
}

/**
 * A writer with the shared per-event check in front of it; a record that
 * fails leaves the writer as it was before that record (as far as its
 * bookkeeping goes), so the caller may skip it and go on.
 */
export class CheckedWriter implements RecordWriter {
  constructor(private readonly inner: RecordWriter) {}
  get format(): OutputFormat {
    return this.inner.format;
  }
  header(): Uint8Array {
    return this.inner.header();
  }
  record(entry: Entry): string | Uint8Array {
    checkEvent(entry);
    try {
      return this.inner.record(entry);
    } catch (e) {
      this.inner.abandonRecord?.();
      throw e;
    }
  }
  footer(): Uint8Array {
    return this.inner.footer();
  }
  summary(): WriteSummary {
    return this.inner.summary();
  }
  state(): WriterState {
    return this.inner.state();
  }
  resume(before: WriterState): void {
    this.inner.resume(before);
  }
  needsResume(entry: Entry): boolean {
    return this.inner.needsResume(entry);
  }
  encodedRun(): EncodedRun {
    return this.inner.encodedRun();
  }
  joinPrefix(): Uint8Array {
    return this.inner.joinPrefix();
  }
  absorb(run: EncodedRun): void {
    this.inner.absorb(run);
  }
}
