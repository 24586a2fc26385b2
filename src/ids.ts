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

export class IdStage {
  private last: string | undefined;
  private id = 0;

  constructor(state?: IdState | null) {
    if (state) this.restore(state);
  }

  /** The state after the last event, or null before any. */
  get state(): IdState | null {
    return this.last === undefined ? null : { timestamp: this.last, id: this.id };
  }

  restore(state: IdState | null): void {
    this.last = state?.timestamp;
    this.id = state?.id ?? 0;
  }

  /** Give an entry its id (in place), or follow the id it has. */
  assign(e: Entry): void {
    const ev = e.event;
    const ts = ev.timestamp;
    if (e.format === 'json' && typeof ev.id === 'number') {
      this.last = ts;
      this.id = ev.id;
      return;
    }
    if (ts !== undefined && ts === this.last) this.id++;
    else {
      this.last = ts;
      this.id = 0;
    }
    ev.id = this.id;
  }
}
