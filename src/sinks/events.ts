/**
 * The event sink: a conversion's kept records handed to a callback as events,
 * in order, instead of being written out. It is how a command that shows
 * records itself (`show`) runs on the conversion loop, on one thread or on
 * workers (src/parallel/convert.ts), with the same filters, problems, ids and
 * record numbers as `convert`.
 *
 *   const sink = createEventSink(async (events) => { print(events); return true; });
 *   await convertIntoWithJobs(files, () => sink, { to: EVENT_SINK_FORMAT, onError: 'skip' }, { jobs: 2 });
 *
 * On one thread, entries come in as they are (no encoding). From workers,
 * records come as the NDJSON their writer encoded (one `JSON.stringify` of the
 * event per line) and are parsed back here; the `time_zone` member the writer
 * adds to mark a local or a Percona-looking UTC time (src/writers/common.ts
 * eventWithZone) is the entry's, not the event's (the readers take it off the
 * same way), so it is removed again.
 */
import type { AuditEvent, Entry } from '../entry.js';
import type { OutputFormat, WriterState } from '../writers/index.js';
import type { EncodedSink, SinkSummary } from './entry-sink.js';

/** The target format a conversion into an event sink names (what its workers encode). */
export const EVENT_SINK_FORMAT: OutputFormat = 'ndjson';

/** Told the events of each write, in order; false stops the conversion (the sink is `gone`). */
export type EventsCallback = (events: AuditEvent[]) => Promise<boolean> | boolean;

const NEWLINE = 0x0a;

class EventSink implements EncodedSink {
  private _gone = false;
  private written = 0;
  /** Bytes of an NDJSON line not yet ended (an encoded part's chunk may end inside one). */
  private rest: Uint8Array[] = [];

  constructor(private readonly onEvents: EventsCallback) {}

  get gone(): boolean {
    return this._gone;
  }

  async write(entries: readonly Entry[]): Promise<void> {
    await this.hand(entries.map((e) => e.event));
  }

  async writeEncoded(bytes: Uint8Array): Promise<void> {
    if (this._gone || bytes.length === 0) return;
    const last = bytes.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.rest.push(bytes.slice());
      return;
    }
    const head = this.rest.length ? Buffer.concat([...this.rest, bytes.subarray(0, last + 1)]) : bytes.subarray(0, last + 1);
    this.rest = last + 1 < bytes.length ? [bytes.slice(last + 1)] : [];
    // Whole lines only, so no character is cut.
    const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
    const events: AuditEvent[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; from = nl + 1, nl = text.indexOf('\n', from)) events.push(unmarked(JSON.parse(text.slice(from, nl)) as AuditEvent));
    await this.hand(events);
  }

  /** Only conversions into XML ask for the writer's state (their RECORD_ID sequence); events have none. */
  state(): WriterState {
    throw new Error('an event sink has no writer state: convert into it as ' + EVENT_SINK_FORMAT);
  }

  async close(): Promise<SinkSummary> {
    if (!this._gone && this.rest.length) throw new Error('event sink: encoded records ended inside a line');
    return { to: EVENT_SINK_FORMAT, written: this.written, passedThrough: 0, droppedFields: {}, bytesOut: 0, files: [], pruned: [] };
  }

  async abort(): Promise<void> {
    this._gone = true;
    this.rest = [];
  }

  private async hand(events: AuditEvent[]): Promise<void> {
    if (this._gone) return;
    this.written += events.length;
    if (!(await this.onEvents(events))) this._gone = true;
  }
}

/** The event as it was before the NDJSON writer marked its time's zone. */
function unmarked(e: AuditEvent): AuditEvent {
  if (e.time_zone === 'local' || e.time_zone === 'UTC') delete e.time_zone;
  return e;
}

/** A sink handing kept records to `onEvents` (see the top of this file). */
export function createEventSink(onEvents: EventsCallback): EncodedSink {
  return new EventSink(onEvents);
}
