/**
 * The per-second `id` stage: gives every event its `id`, the sequence number
 * among events with the same `timestamp`, from 0 each new second, as MySQL
 * Enterprise JSON does (spec section 1.3). One stage sees the entries of a
 * whole read in order (across the files of a rotated set), so an event that
 * shares its second with the last event of the previous file continues that
 * file's count. Its state (`{timestamp, id}` of the last event) can be saved
 * and restored, so a read that starts in the middle (a bookmark, a saved
 * cursor) numbers the events exactly as a read from the start would.
 *
 *   const ids = new IdStage(saved);        // saved: IdState | null
 *   for (const e of entries) ids.assign(e);
 *   save(ids.state);
 *
 * JSON events carry the server's own id, which is kept as written (the stage
 * only follows it); every other format has its id computed here.
 */
import type { Entry } from './entry.js';

/** The last event seen: its timestamp and id. Also the shape of a bookmark. */
export interface IdState {
  timestamp: string;
  id: number;
}

/**
 * What a count begun without knowing the events before it (one part of a
 * file read on its own, src/parallel/) ended in: its last state, and whether
 * that state depends on what came before. It does while every event so far
 * shared the first one's second: then the count continues the one before.
 */
export interface IdRun {
  state: IdState | null;
  /** The state is the count's own (some event set it independently of the events before). */
  anchored: boolean;
}

/** The id state after `before` then a run counted without knowing `before`. */
export function continueIdRun(before: IdState | null, run: IdRun): IdState | null {
  if (!run.state) return run.anchored ? null : before;
  if (run.anchored) return run.state;
  return { timestamp: run.state.timestamp, id: run.state.id + idOffset(before, run.state.timestamp) };
}

/** What to add to the ids a run gave its leading events of second `ts` (counted from 0) when `before` came first. */
export function idOffset(before: IdState | null, ts: string): number {
  return before && before.timestamp === ts ? before.id + 1 : 0;
}

/**
 * The per-second count itself (0 for the first event of a second, then 1,
 * 2, ...), as an object whose state can be saved, restored, or left unknown
 * at the start (`floating`: the ids of the leading events of one second depend
 * on the events before, see IdRun).
 */
export class SecondCount {
  private last: string | undefined;
  private id = 0;
  private floating: boolean;
  /** Whether the last id given depends on the unknown events before the start. */
  depended = false;

  constructor(state?: IdState | null, unknownStart = false) {
    this.floating = unknownStart && !state;
    if (state) this.restore(state);
  }

  /** The state after the last event, or null before any. */
  get state(): IdState | null {
    return this.last === undefined ? null : { timestamp: this.last, id: this.id };
  }

  /** The state and whether it is the count's own. */
  get run(): IdRun {
    return { state: this.state, anchored: !this.floating };
  }

  restore(state: IdState | null): void {
    this.last = state?.timestamp;
    this.id = state?.id ?? 0;
    this.floating = false;
  }

  /** The id of the next event, of second `ts`. */
  next(ts: string | undefined): number {
    if (ts !== undefined && ts === this.last) this.id++;
    else {
      // The first event of an unknown start keeps floating: the second may have begun before it.
      if (!(this.floating && this.last === undefined && ts !== undefined)) this.floating = false;
      this.last = ts;
      this.id = 0;
    }
    this.depended = this.floating;
    return this.id;
  }

  /** Follow an id given by the source (JSON): the count is its own from here. */
  follow(ts: string | undefined, id: number): void {
    this.last = ts;
    this.id = id;
    this.floating = false;
    this.depended = false;
  }
}

export class IdStage {
  private readonly count: SecondCount;

  /** @param unknownStart the events before the first are not known (see SecondCount) */
  constructor(state?: IdState | null, unknownStart = false) {
    this.count = new SecondCount(state, unknownStart);
  }

  /** The state after the last event, or null before any. */
  get state(): IdState | null {
    return this.count.state;
  }

  /** The state and whether it is the stage's own (see IdRun). */
  get run(): IdRun {
    return this.count.run;
  }

  /** Whether the id the last assign() gave depends on unknown events before the start. */
  get depended(): boolean {
    return this.count.depended;
  }

  restore(state: IdState | null): void {
    this.count.restore(state);
  }

  /** Give an entry its id (in place), or follow the id it has. */
  assign(e: Entry): void {
    const ev = e.event;
    const ts = ev.timestamp;
    if (e.format === 'json' && typeof ev.id === 'number') this.count.follow(ts, ev.id);
    else ev.id = this.count.next(ts);
  }
}
