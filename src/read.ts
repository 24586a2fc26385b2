/**
 * `read` and `bookmark`: the server's `audit_log_read()` and
 * `audit_log_read_bookmark()` over a file set, offline (spec section 5).
 * Events come out in the order written, from a bookmarked event, from the
 * first event at or after a time, or right after a saved cursor; as many as
 * asked for, and the result says whether more are left.
 *
 *   const set = await discoverFileSet(['/var/lib/mysql']);
 *   const r = readEvents(set, { bookmark: { timestamp: '2024-01-01 00:00:00', id: 0 }, maxArrayLength: 100 });
 *   for await (const batch of r.events) for (const ev of batch) console.log(JSON.stringify(ev));
 *   console.log(r.result.more, r.result.cursor);    // cursor: where the next read resumes
 *
 * Not parsing what is not needed: a file is skipped whole when the next
 * file's first event (read from its first bytes) says the target is not in it;
 * inside a large plain or AES file the target is found by binary search on
 * byte offsets, resynchronising on record boundaries, which assumes, as the
 * servers write them, that timestamps do not go backwards. gzip files are read
 * from their start. Ids of XML and Percona events are counted per second
 * from a point where the second changes, so they match a read from the start.
 * Events come out as the JSON writers write them: a local time (Percona
 * audit_log_filter) carries `"time_zone": "local"`, as MySQL's JSON times are UTC.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { AuditEvent, Entry } from './entry.js';
import { AuditLogError } from './errors.js';
import { headOf, type FileSet, type SetFile } from './fileset.js';
import { IdStage, type IdState } from './ids.js';
import { isDataProblem } from './info.js';
import { openInput, workBytes, type Input } from './input.js';
import { AES_BLOCK_LENGTH } from './layers/aes.js';
import type { PasswordSource } from './layers/index.js';
import { readAuditLog } from './reader.js';
import { eventWithZone } from './writers/common.js';
import { discoverFileSet } from './fileset.js';
import type { Plan, Unit } from './parallel/plan.js';
import { loadState, saveState, STATE_VERSION } from './state.js';

/** A bookmark: an event's timestamp and id (`audit_log_read_bookmark()`). */
export type Bookmark = IdState;

/** Where a read stopped: just after the last event it returned. */
export interface Cursor {
  /** The file, by name when the cursor was taken and by the hash of its first bytes (names change at rotation). */
  file: { name: string; fingerprint: string; fingerprintBytes: number };
  /** Decoded-stream offset just past the last event returned. */
  offset: number;
  /** That event's timestamp and id: the id stage's state there. */
  last: Bookmark;
}

export interface ReadEventsOptions {
  /** Start at exactly this event. */
  bookmark?: Bookmark;
  /** Start at the first event at or after this time (`YYYY-MM-DD[ hh:mm:ss]`). */
  start?: string;
  /** Resume right after this cursor (when neither a bookmark nor a start is given); also the cursor returned when no event is read. */
  after?: Cursor;
  /** At most this many events. Default: all. */
  maxArrayLength?: number;
  password?: PasswordSource;
  /** Told about every problem that did not stop reading. */
  onProblem?: (e: AuditLogError) => void;
  /**
   * Worker threads for the files a read goes through from their start (all of them
   * from the oldest event, else those after the one it starts in), when no
   * `maxArrayLength` is given and they hold READ_MIN_BYTES at least: the same
   * events, ids, problems, cursor and stats as one thread. Default 1.
   */
  jobs?: number;
  /** Below this many bytes of those files in all, they are read on this thread (READ_MIN_BYTES; tests). */
  minBytes?: number;
  /** Parts large files are cut into on workers, in bytes (src/parallel/convert.ts DEFAULT_UNIT_BYTES; tests). */
  unitBytes?: number;
  /** Told the units read on workers, when they are (tests). */
  onWorkers?: (units: readonly Unit[]) => void;
}

/** Below this many bytes of files left to read, a read uses no workers (starting them costs about 0.2 s of each core). */
export const READ_MIN_BYTES = 96 * 1024 * 1024;

export interface ReadStats {
  /** Decoded bytes handed to the scanners. */
  bytesParsed: number;
  /** Bytes read from disk (before the layers). */
  bytesIn: number;
  /** Files opened beyond their first bytes. */
  filesRead: string[];
  /** Binary-search probes. */
  probes: number;
}

export interface ReadEventsResult {
  /** Events returned. */
  count: number;
  /** Whether events are left after the last one returned (false: the array ends with `null`). */
  more: boolean;
  /** Where the next read resumes, or null when no event was returned and none was before. */
  cursor: Cursor | null;
  /** Whether problems meant data was lost or damaged (malformed records, a cut rotated file). */
  dataProblems: boolean;
  stats: ReadStats;
}

/** Below this decoded size a file is read from its start rather than searched. */
const SEARCH_MIN = 1 << 20;
/** The binary search stops when the range left is this small, and reads it through. */
const SEARCH_WINDOW = 64 * 1024;
/** First window read to find a record at a probe offset (grown when a record is longer). */
const PROBE_BYTES = 16 * 1024;
/** Bytes of a file's start that identify it in a cursor. */
const FINGERPRINT_BYTES = 4096;

/** `YYYY-MM-DD[( |T)hh:mm:ss]` -> `YYYY-MM-DD hh:mm:ss`; a date alone means 00:00:00. */
export function parseStart(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?$/.exec(s.trim());
  if (!m) throw new AuditLogError('INVALID_OPTION', `start time must be YYYY-MM-DD or "YYYY-MM-DD hh:mm:ss", got ${JSON.stringify(s)}`, { stage: 'read', recoverable: false });
  return `${m[1]} ${m[2] ?? '00:00:00'}`;
}

/** A bookmark from its JSON text: `{"timestamp": "YYYY-MM-DD hh:mm:ss", "id": N}` (both required, as the server wants). */
export function parseBookmark(text: string): Bookmark {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new AuditLogError('INVALID_OPTION', `bookmark is not JSON: ${(e as Error).message}`, { stage: 'read', recoverable: false });
  }
  const o = v as { timestamp?: unknown; id?: unknown };
  if (o === null || typeof o !== 'object' || typeof o.timestamp !== 'string' || !Number.isSafeInteger(o.id) || (o.id as number) < 0)
    throw new AuditLogError('INVALID_OPTION', 'bookmark must be {"timestamp": "YYYY-MM-DD hh:mm:ss", "id": N}, both required', { stage: 'read', recoverable: false });
  return { timestamp: o.timestamp, id: o.id as number };
}

/** Orders events as the servers write them: by timestamp, then id. */
function cmp(a: Bookmark, b: Bookmark): number {
  return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id - b.id;
}

/** The files' inputs, opened once each (an AES key is derived once), and what reading them cost. */
class Inputs {
  private readonly open = new Map<string, Input>();
  readonly stats: ReadStats = { bytesParsed: 0, bytesIn: 0, filesRead: [], probes: 0 };
  /** Bytes read by workers, from inputs opened there. */
  elsewhere = 0;
  constructor(private readonly password: PasswordSource | undefined) {}

  /** Notices an input gave before it was read (an AES file cut inside its last block), per path. */
  private readonly held = new Map<string, AuditLogError[]>();
  private reader: { path: string; tell: (e: AuditLogError) => void } | undefined;

  async get(path: string): Promise<Input> {
    let i = this.open.get(path);
    if (!i) this.open.set(path, (i = await openInput(path, { password: this.password, onNotice: (e) => this.notice(path, e) })));
    return i;
  }

  private notice(path: string, e: AuditLogError): void {
    if (this.reader?.path === path) this.reader.tell(e);
    else this.held.set(path, [...(this.held.get(path) ?? []), e]);
  }

  /** `path` is being read: its notices go to `tell`, first those its opening gave (as a read that opens it itself tells them). */
  reading(path: string, tell: (e: AuditLogError) => void): void {
    this.reader = { path, tell };
    for (const e of this.held.get(path) ?? []) tell(e);
    this.held.delete(path);
  }

  read(path: string): void {
    if (!this.stats.filesRead.includes(path)) this.stats.filesRead.push(path);
  }

  finish(): ReadStats {
    this.stats.bytesIn = [...this.open.values()].reduce((n, i) => n + i.bytesIn, this.elsewhere);
    return this.stats;
  }
}

/** Where a read starts: a file, an offset in it, and the id state there. */
interface Position {
  index: number;
  offset: number;
  ids: IdState | null;
}

/**
 * The first record at or after `offset` of a file (never past `limit`), read
 * in a small window that grows when the record is longer.
 */
async function recordAt(f: SetFile, input: Input, inputs: Inputs, offset: number, limit: number): Promise<Entry | undefined> {
  inputs.stats.probes++;
  for (let w = PROBE_BYTES; ; w *= 4) {
    const end = Math.min(limit, offset + w);
    let first: Entry | undefined;
    const log = readAuditLog(f.path, { input, format: f.format!, keepRaw: false, onError: 'skip', range: { start: offset, end } });
    for await (const batch of log.batches()) {
      first = batch[0];
      break;
    }
    inputs.stats.bytesParsed += Math.max(0, log.bytesRead - offset);
    if (first || end >= limit) return first;
  }
}

/**
 * An offset of file `f` from which reading finds every event at or after `t`:
 * the start of a record older than `t` (or the file's start).
 */
async function search(f: SetFile, inputs: Inputs, t: string): Promise<number> {
  const input = await inputs.get(f.path);
  if (!input.addressable || input.size === undefined || input.size < SEARCH_MIN || !f.format) return 0;
  let lo = 0;
  let hi = input.size;
  while (hi - lo > SEARCH_WINDOW) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const e = await recordAt(f, input, inputs, mid, hi);
    if (e === undefined || e.event.timestamp === undefined) hi = mid;
    else if (e.event.timestamp < t) lo = e.at.offset;
    else hi = mid;
  }
  return lo;
}

/** The position from which every event at or after `t` is read, with ids counted right. */
async function locate(set: FileSet, inputs: Inputs, t: string): Promise<Position> {
  // The last file whose first event is older than t holds the first event at or after t, or the file after it does.
  let index = 0;
  set.files.forEach((f, i) => {
    if (f.first !== null && f.first < t) index = i;
  });
  const f = set.files[index];
  if (!f || f.first === null || f.first >= t) return { index, offset: 0, ids: null };
  // From a record older than t, a fresh id stage counts t's second from 0, as the server did.
  return { index, offset: await search(f, inputs, t), ids: null };
}

function fingerprint(head: Buffer): string {
  return createHash('sha256').update(head).digest('hex');
}

function stateError(detail: string, suggestion?: string): AuditLogError {
  return new AuditLogError('STATE_INVALID', detail, { stage: 'read', recoverable: false, ...(suggestion ? { suggestion } : {}) });
}

/** The file a cursor points at, found by the hash of its first bytes, whatever it is called now. */
async function resume(set: FileSet, inputs: Inputs, c: Cursor): Promise<Position> {
  const byName = (f: SetFile) => (basename(f.path) === c.file.name ? 0 : 1);
  const candidates = set.files.map((f, index) => ({ f, index })).sort((a, b) => byName(a.f) - byName(b.f));
  for (const { f, index } of candidates) {
    if (f.first !== null && f.first > c.last.timestamp) continue;
    const input = await inputs.get(f.path);
    const head = await headOf(input, c.file.fingerprintBytes);
    if (head.length !== c.file.fingerprintBytes || fingerprint(head) !== c.file.fingerprint) continue;
    if (input.size !== undefined && input.size < c.offset)
      throw stateError(`${f.path} is shorter (${input.size} bytes) than the saved position (${c.offset}): it was truncated or replaced`, 'remove the state file to read from the oldest event, or give --start or --bookmark');
    return { index, offset: c.offset, ids: c.last };
  }
  throw stateError(
    `the file the state points at (${c.file.name}, last event ${JSON.stringify(c.last)}) is no longer in the set: it was removed or pruned, and events after it may be lost`,
    'remove the state file to read from the oldest event, or give --start or --bookmark',
  );
}

/**
 * Events of a file set from a position, in batches, and the result (filled in
 * as the batches are consumed; complete once they all were).
 * @throws AuditLogError BOOKMARK_NOT_FOUND when the bookmark names no event (its nearest events named)
 */
export function readEvents(
  set: FileSet,
  opts: ReadEventsOptions = {},
): {
  events: AsyncIterable<AuditEvent[]>;
  /** The same batches as they come, without re-encoding: events read on this thread, NDJSON text from workers (take one of the two). */
  batches: AsyncIterable<AuditEvent[] | NdjsonBatch>;
  result: ReadEventsResult;
} {
  const inputs = new Inputs(opts.password);
  const result: ReadEventsResult = { count: 0, more: false, cursor: opts.after ?? null, dataProblems: false, stats: inputs.stats };
  const max = opts.maxArrayLength ?? Infinity;
  const start = opts.start !== undefined ? parseStart(opts.start) : undefined;

  /** Batches as events (read here) or as NDJSON lines (from workers). */
  async function* batches(): AsyncGenerator<AuditEvent[] | NdjsonBatch> {
    // A bookmark or a start time positions the read; otherwise it resumes after the cursor, or starts at the oldest event.
    let pos: Position = { index: 0, offset: 0, ids: null };
    if (opts.bookmark) pos = await locate(set, inputs, opts.bookmark.timestamp);
    else if (start !== undefined) pos = await locate(set, inputs, start);
    else if (opts.after) pos = await resume(set, inputs, opts.after);
    const ids = new IdStage(pos.ids);
    // Before the first event returned: what is skipped, and the nearest events to a bookmark.
    let found = opts.bookmark === undefined && start === undefined;
    let before: Bookmark | undefined;
    let lastCursorFile: { path: string; fp: { name: string; fingerprint: string; fingerprintBytes: number } } | undefined;
    const fpOf = async (f: SetFile, end: number) => {
      const n = Math.min(FINGERPRINT_BYTES, end);
      if (lastCursorFile?.path === f.path && lastCursorFile.fp.fingerprintBytes === n) return lastCursorFile.fp;
      const fp = { name: basename(f.path), fingerprint: fingerprint(await headOf(await inputs.get(f.path), n)), fingerprintBytes: n };
      lastCursorFile = { path: f.path, fp };
      return fp;
    };
    const tell = (e: AuditLogError, activeEnd: boolean) => {
      // The active file's torn end (a record, a gzip member or an AES block being written) is read next time.
      if (activeEnd && (e.code === 'TRUNCATED_RECORD' || e.code === 'TRUNCATED_INPUT')) return;
      if (isDataProblem(e.code)) result.dataProblems = true;
      opts.onProblem?.(e);
    };
    let triedWorkers = false;
    for (let i = pos.index; i < set.files.length; i++) {
      const f = set.files[i]!;
      const last = i === set.files.length - 1;
      const from = i === pos.index ? pos.offset : 0;
      // Every event wanted from the start of this file on: the files left can be read on workers.
      if (found && from === 0 && max === Infinity && (opts.jobs ?? 1) > 1 && !triedWorkers) {
        triedWorkers = true;
        const rest = set.files.slice(i);
        const work: number[] = [];
        for (const r of rest) work.push(await workBytes(r.path));
        const plan = work.reduce((a, b) => a + b, 0) >= (opts.minBytes ?? READ_MIN_BYTES) ? await planRest(rest, work) : undefined;
        if (plan) {
          yield* onWorkers(rest, plan, ids.state, tell, fpOf);
          break;
        }
      }
      const input = await inputs.get(f.path);
      inputs.read(f.path);
      inputs.reading(f.path, (e) => tell(e, last && f.active));
      const log = readAuditLog(f.path, {
        input,
        keepRaw: false,
        onError: 'skip',
        ids,
        ...(f.format ? { format: f.format } : {}),
        ...(from > 0 ? { range: { start: from } } : {}),
        onProblem: (e) => tell(e, last && f.active),
      });
      let done = false;
      try {
        for await (const batch of log.batches()) {
          const out: AuditEvent[] = [];
          let lastEntry: Entry | undefined;
          for (const e of batch) {
            const ev = e.event;
            if (!found) {
              const here = { timestamp: ev.timestamp ?? '', id: ev.id ?? 0 };
              if (opts.bookmark) {
                const c = cmp(here, opts.bookmark);
                if (c < 0) {
                  before = here;
                  continue;
                }
                if (c > 0) throw notFound(opts.bookmark, before, here);
              } else if (here.timestamp < start!) continue;
              found = true;
            }
            if (result.count >= max) {
              result.more = true;
              done = true;
              break;
            }
            // As the JSON writers write it: a local time is marked, never passed off as UTC.
            out.push(eventWithZone(e));
            result.count++;
            lastEntry = e;
          }
          if (lastEntry) {
            const ev = lastEntry.event;
            result.cursor = { file: await fpOf(f, lastEntry.at.end), offset: lastEntry.at.end, last: { timestamp: ev.timestamp ?? '', id: ev.id ?? 0 } };
          }
          if (out.length) yield out;
          if (done) break;
        }
      } finally {
        inputs.stats.bytesParsed += Math.max(0, log.bytesRead - from);
      }
      if (done) break;
    }
    if (!found && opts.bookmark) throw notFound(opts.bookmark, before, undefined);
    inputs.finish();
  }

  /** The plan for the files left (`work`: each one's workBytes), or undefined when they are better read on this thread (convert.ts mostlyWhole). */
  async function planRest(files: SetFile[], work: number[]): Promise<Plan | undefined> {
    const { planConversion, mostlyWhole, DEFAULT_UNIT_BYTES } = await import('./parallel/convert.js');
    const plan = await planConversion(
      files.map((f) => f.path),
      opts.password ? { password: opts.password } : {},
      { jobs: opts.jobs!, ...(opts.unitBytes !== undefined ? { unitBytes: opts.unitBytes, splitBytes: 0 } : {}) },
    );
    return plan.units.length > 1 && !mostlyWhole(plan.units, work, opts.unitBytes ?? DEFAULT_UNIT_BYTES) ? plan : undefined;
  }

  /**
   * The files left, read on `opts.jobs` workers as `convert --jobs` reads them
   * (src/parallel/convert.ts, whole files and large plain or AES files in
   * parts) into an NDJSON sink, with one id count across them from `before`;
   * their events handed out in order as text, and the cursor after the last one.
   */
  async function* onWorkers(files: SetFile[], plan: Plan, before: IdState | null, tell: (e: AuditLogError, activeEnd: boolean) => void, fpOf: (f: SetFile, end: number) => Promise<Cursor['file']>): AsyncGenerator<NdjsonBatch> {
    const [{ convertUnits }, { createNdjsonSink, EVENT_SINK_FORMAT }, { Channel }] = await Promise.all([import('./parallel/convert.js'), import('./sinks/events.js'), import('./sinks/entry-sink.js')]);
    opts.onWorkers?.(plan.units);
    const newest = files[files.length - 1]!;
    const channel = new Channel<NdjsonBatch>();
    let stopped = false;
    let lastLine: NdjsonBatch | undefined;
    /** Files with events, and where their last one ends. */
    const ends: { f: SetFile; end: number }[] = [];
    const sink = createNdjsonSink(async (text, count) => {
      if (count === 0) return !stopped;
      const batch = { text, count };
      lastLine = batch;
      await channel.push(batch);
      return !stopped;
    });
    const done = convertUnits(
      plan.units,
      plan.passwords,
      () => sink,
      { to: EVENT_SINK_FORMAT, onError: 'skip', unreadable: 'fail', ...(opts.password ? { password: opts.password } : {}), onProblem: (e) => tell(e, newest.active && e.ctx.file === newest.path) },
      {
        jobs: opts.jobs!,
        idsFrom: { state: before },
        onMerged: (unit, m) => {
          const f = files[unit.input]!;
          if (unit.first) inputs.read(f.path);
          if (!unit.range) {
            inputs.stats.bytesParsed += m.decodedBytes;
            inputs.elsewhere += m.inputBytes;
          } else if (unit.last) {
            // A file read in parts: what one read of it from its start parses (up to its decoded end) and
            // reads (as much; of an AES file, the whole blocks that hold it, its header read uncounted at opening).
            const end = m.decodedBytes;
            inputs.stats.bytesParsed += end;
            inputs.elsewhere += m.layers.includes('aes-256-cbc') ? AES_BLOCK_LENGTH * Math.ceil(end / AES_BLOCK_LENGTH) : end;
          }
          if (m.lastEnd !== undefined) {
            if (ends[ends.length - 1]?.f === f) ends[ends.length - 1]!.end = m.lastEnd;
            else ends.push({ f, end: m.lastEnd });
          }
        },
      },
    ).then(
      () => channel.end(),
      (e: unknown) => channel.fail(e instanceof Error ? e : new Error(String(e))),
    );
    try {
      for await (const batch of channel) {
        result.count += batch.count;
        yield batch;
      }
    } finally {
      stopped = true;
      channel.fail(new Error('read stopped'));
      await done;
    }
    // The cursor after the last event; each file's head is hashed as one thread hashes it (and counts the bytes read).
    let file: Cursor['file'] | undefined;
    for (const { f, end } of ends) file = await fpOf(f, end);
    if (file && lastLine) {
      const t = lastLine.text;
      const ev = JSON.parse(t.slice(t.lastIndexOf('\n', t.length - 2) + 1)) as AuditEvent;
      result.cursor = { file, offset: ends[ends.length - 1]!.end, last: { timestamp: ev.timestamp ?? '', id: ev.id ?? 0 } };
    }
  }

  async function* events(): AsyncGenerator<AuditEvent[]> {
    for await (const b of batches()) yield Array.isArray(b) ? b : (await import('./sinks/events.js')).parseNdjson(b.text);
  }

  return { events: events(), batches: batches(), result };
}

/** Events as NDJSON text: `count` lines, each one compact event ended by `\n`. */
export interface NdjsonBatch {
  text: string;
  count: number;
}

function notFound(b: Bookmark, before: Bookmark | undefined, after: Bookmark | undefined): AuditLogError {
  const near = [before ? `the event before it is ${JSON.stringify(before)}` : 'no event is before it', after ? `the next one is ${JSON.stringify(after)}` : 'no event is after it'];
  return new AuditLogError('BOOKMARK_NOT_FOUND', `no event has the bookmark ${JSON.stringify(b)}: ${near.join(', ')}`, {
    stage: 'read',
    recoverable: false,
    suggestion: 'take a bookmark from `auditlog bookmark` or from an event read before, or use --start',
  });
}

/**
 * The bookmark of the newest event of a set (`audit_log_read_bookmark()`),
 * reading only the end of the newest file that has events (all of it when
 * it is compressed), or null when the set has no event.
 */
export async function newestBookmark(set: FileSet, opts: { password?: PasswordSource; onProblem?: (e: AuditLogError) => void } = {}): Promise<{ bookmark: Bookmark | null; stats: ReadStats }> {
  const inputs = new Inputs(opts.password);
  for (let i = set.files.length - 1; i >= 0; i--) {
    const f = set.files[i]!;
    if (f.format === null) continue;
    const input = await inputs.get(f.path);
    inputs.read(f.path);
    let lastEv: AuditEvent | undefined;
    const size = input.addressable ? input.size! : undefined;
    for (let w = PROBE_BYTES * 4; lastEv === undefined; w *= 4) {
      const from = size === undefined ? 0 : Math.max(0, size - w);
      const log = readAuditLog(f.path, { input, format: f.format, keepRaw: false, onError: 'skip', ...(from > 0 ? { range: { start: from } } : {}) });
      for await (const batch of log.batches()) if (batch.length) lastEv = batch[batch.length - 1]!.event;
      inputs.stats.bytesParsed += Math.max(0, log.bytesRead - from);
      if (from === 0) break;
    }
    if (lastEv === undefined) continue;
    const ts = lastEv.timestamp ?? '';
    if (f.format === 'json' && typeof lastEv.id === 'number') return { bookmark: { timestamp: ts, id: lastEv.id }, stats: inputs.finish() };
    // Computed ids: count the newest second from where it starts (possibly in an earlier file).
    const r = readEvents(set, { start: ts, ...(opts.password ? { password: opts.password } : {}) });
    let last: AuditEvent | undefined;
    for await (const batch of r.events) last = batch[batch.length - 1] ?? last;
    const s = inputs.finish();
    s.bytesParsed += r.result.stats.bytesParsed;
    s.bytesIn += r.result.stats.bytesIn;
    s.probes += r.result.stats.probes;
    return { bookmark: last ? { timestamp: last.timestamp ?? '', id: last.id ?? 0 } : null, stats: s };
  }
  return { bookmark: null, stats: inputs.finish() };
}

/**
 * The events as the server's `audit_log_read()` returns them: a JSON array,
 * one compact event per line, ending with `null` when nothing more is left;
 * or NDJSON. `write` is awaited for each piece, so when `end()` resolves
 * everything was handed on.
 */
export class EventOutput {
  private n = 0;
  constructor(
    private readonly write: (text: string) => Promise<void>,
    private readonly ndjson = false,
  ) {}

  async events(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    let text = this.n === 0 && !this.ndjson ? '[\n' : '';
    for (const e of events) {
      text += this.ndjson ? JSON.stringify(e) + '\n' : (this.n === 0 ? '' : ',\n') + JSON.stringify(e);
      this.n++;
    }
    await this.write(text);
  }

  /** Events already encoded, one compact JSON per line. */
  async lines(b: NdjsonBatch): Promise<void> {
    if (b.count === 0) return;
    // In the array, events are joined by `,\n` (JSON text holds no raw newline).
    const text = this.ndjson ? b.text : (this.n === 0 ? '[\n' : ',\n') + b.text.slice(0, -1).replaceAll('\n', ',\n');
    this.n += b.count;
    await this.write(text);
  }

  /** Close the array: with a final `null` when no event is left (`more` false). */
  async end(more: boolean): Promise<void> {
    if (this.ndjson) return;
    await this.write((this.n === 0 ? '[\n' : more ? '\n' : ',\n') + (more ? ']\n' : 'null\n]\n'));
  }
}

export interface RunReadOptions extends Omit<ReadEventsOptions, 'after'> {
  /** A directory, the active file's path, or files. */
  paths: string[];
  /** Cursor file: resume after it, and save the new position once the output is written. */
  state?: string;
  ndjson?: boolean;
}

/**
 * `auditlog read`: find the set, resume from the state (if any), write the
 * events through `write`, and only then save the new cursor (atomically).
 */
export async function runRead(opts: RunReadOptions, write: (text: string) => Promise<void>): Promise<{ set: FileSet; result: ReadEventsResult }> {
  const set = await discoverFileSet(opts.paths, { ...(opts.password ? { password: opts.password } : {}) });
  const state = opts.state ? await loadState(opts.state) : null;
  const { paths: _p, state: _s, ndjson, ...rest } = opts;
  const r = readEvents(set, { ...rest, ...(state?.cursor ? { after: state.cursor } : {}) });
  const out = new EventOutput(write, ndjson);
  for await (const batch of r.batches) await (Array.isArray(batch) ? out.events(batch) : out.lines(batch));
  await out.end(r.result.more);
  // Only once the events are out: a cursor never runs ahead of what was printed.
  if (opts.state) await saveState(opts.state, { version: STATE_VERSION, cursor: r.result.cursor });
  return { set, result: r.result };
}
