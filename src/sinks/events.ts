/**
 * Sinks for commands that print records themselves (`show`, `read`): a
 * conversion's kept records handed to a callback, in order, instead of being
 * written out. They run on the conversion loop, on one thread or on workers
 * (src/parallel/convert.ts), with the same filters, problems, ids and record
 * numbers as `convert`.
 *
 *   const sink = createEventSink(async (events) => { print(events); return true; });
 *   await convertIntoWithJobs(files, () => sink, { to: EVENT_SINK_FORMAT, onError: 'skip' }, { jobs: 2 });
 *
 * Workers encode records as NDJSON (one `JSON.stringify` of the event per
 * line, a local time marked `"time_zone": "local"`: src/writers/common.ts
 * eventWithZone). The event sink parses those lines back into events and takes
 * the mark off again (it is the entry's, not the event's: the readers take it
 * off the same way); on one thread it hands the entries' events as they are.
 * The NDJSON sink hands the lines as text, and encodes entries the same way.
 */
import type { AuditEvent, Entry } from '../entry.js';
import { createWriter, type OutputFormat, type WriterState } from '../writers/index.js';
import type { EncodedSink, SinkSummary } from './entry-sink.js';

/** The target format a conversion into these sinks names (what its workers encode). */
export const EVENT_SINK_FORMAT: OutputFormat = 'ndjson';

/** Told the events of each write, in order; false stops the conversion (the sink is `gone`). */
export type EventsCallback = (events: AuditEvent[]) => Promise<boolean> | boolean;

/** Told the NDJSON lines of each write (`count` of them, each ended by `\n`), in order; false stops the conversion. */
export type LinesCallback = (text: string, count: number) => Promise<boolean> | boolean;

const NEWLINE = 0x0a;

/** Whole NDJSON lines out of encoded parts whose chunks may end inside a line. */
abstract class LineSink implements EncodedSink {
  protected stopped = false;
  private written = 0;
  private rest: Uint8Array[] = [];

  get gone(): boolean {
    return this.stopped;
  }

  abstract write(entries: readonly Entry[]): Promise<void>;

  /** Whole lines, `count` of them. */
  protected abstract lines(text: string, count: number): Promise<void>;

  async writeEncoded(bytes: Uint8Array): Promise<void> {
    if (this.stopped || bytes.length === 0) return;
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.rest.push(bytes.slice());
      return;
    }
    const head = this.rest.length ? Buffer.concat([...this.rest, bytes.subarray(0, last + 1)]) : Buffer.from(bytes.buffer, bytes.byteOffset, last + 1);
    this.rest = last + 1 < bytes.length ? [bytes.slice(last + 1)] : [];
    let count = 0;
    for (let nl = head.indexOf(NEWLINE); nl >= 0; nl = head.indexOf(NEWLINE, nl + 1)) count++;
    // Whole lines only, so no character is cut.
    await this.lines(head.toString('utf8'), count);
  }

  /** Only conversions into XML ask for the writer's state (their RECORD_ID sequence); these sinks have none. */
  state(): WriterState {
    throw new Error('an event sink has no writer state: convert into it as ' + EVENT_SINK_FORMAT);
  }

  async close(): Promise<SinkSummary> {
    if (!this.stopped && this.rest.length) throw new Error('event sink: encoded records ended inside a line');
    return { to: EVENT_SINK_FORMAT, written: this.written, passedThrough: 0, droppedFields: {}, bytesOut: 0, files: [], pruned: [] };
  }

  async abort(): Promise<void> {
    this.stopped = true;
    this.rest = [];
  }

  /** Count `n` records handed on; `go` is the callback's answer. */
  protected handed(n: number, go: boolean): void {
    this.written += n;
    if (!go) this.stopped = true;
  }
}

class EventSink extends LineSink {
  constructor(private readonly onEvents: EventsCallback) {
    super();
  }

  async write(entries: readonly Entry[]): Promise<void> {
    await this.hand(entries.map((e) => e.event));
  }

  protected async lines(text: string): Promise<void> {
    const events = parseNdjson(text);
    for (const e of events) unmarked(e);
    await this.hand(events);
  }

  private async hand(events: AuditEvent[]): Promise<void> {
    if (this.stopped) return;
    this.handed(events.length, await this.onEvents(events));
  }
}

class NdjsonSink extends LineSink {
  private readonly writer = createWriter(EVENT_SINK_FORMAT);

  constructor(private readonly onLines: LinesCallback) {
    super();
  }

  async write(entries: readonly Entry[]): Promise<void> {
    let text = '';
    for (const e of entries) text += this.writer.record(e) as string;
    await this.lines(text, entries.length);
  }

  protected async lines(text: string, count: number): Promise<void> {
    if (this.stopped) return;
    this.handed(count, await this.onLines(text, count));
  }
}

/** The events of NDJSON lines, each ended by `\n`. */
export function parseNdjson(text: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (let from = 0, nl = text.indexOf('\n'); nl >= 0; from = nl + 1, nl = text.indexOf('\n', from)) out.push(JSON.parse(text.slice(from, nl)) as AuditEvent);
  return out;
}

/** The event as it was before the NDJSON writer marked its time's zone. */
function unmarked(e: AuditEvent): AuditEvent {
  if (e.time_zone === 'local' || e.time_zone === 'UTC') delete e.time_zone;
  return e;
}

/** A sink handing kept records to `onEvents` as events (see the top of this file). */
export function createEventSink(onEvents: EventsCallback): EncodedSink {
  return new EventSink(onEvents);
}

/** A sink handing kept records to `onLines` as NDJSON text, as `convert --to ndjson` writes them. */
export function createNdjsonSink(onLines: LinesCallback): EncodedSink {
  return new NdjsonSink(onLines);
}
