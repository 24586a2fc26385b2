/**
 * Shared pieces of the record writers: the summary bookkeeping and small
 * value helpers. See src/writers/index.ts for the writer interface.
 */
import type { AuditEvent, Entry, JsonValue } from '../entry.js';
import { bump, counts } from '../counts.js';
import { AuditLogError } from '../errors.js';
import { looksPerconaFilter } from '../timezone.js';
import { createIdSequencer, type IdSequencer } from '../mapping.js';

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
  private readonly ids: IdSequencer = createIdSequencer();

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

function tooDeep(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth > MAX_EVENT_DEPTH) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (tooDeep(x, depth + 1)) return true;
  } else for (const k in v) if (tooDeep((v as Record<string, unknown>)[k], depth + 1)) return true;
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
}
