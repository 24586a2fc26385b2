/**
 * Bounded tallies: counts by name that keep at most MAX_DISTINCT names and
 * put the rest under `(other)`, so memory stays bounded whatever the input
 * while the totals stay complete. Used by every tally of `info` (events,
 * commands, users) and by the writers' dropped-field counts.
 *
 *   const m = new Map<string, number>();
 *   bump(m, user);                       // past MAX_DISTINCT names: m.get('(other)')
 *   addCounts(report.users, Object.fromEntries(m));
 */

/** Distinct names one tally keeps. */
export const MAX_DISTINCT = 10_000;
/** The name under which values past MAX_DISTINCT are counted. */
export const OTHER = '(other)';

/** An empty count record, without a prototype (a name like `constructor` or `__proto__` is just a name). */
export function counts(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** Count `k` (by `by`) in a bounded Map. */
export function bump(m: Map<string, number>, k: string, by = 1): void {
  const n = m.get(k);
  if (n !== undefined) m.set(k, n + by);
  else if (m.size < MAX_DISTINCT) m.set(ownString(k), by);
  else m.set(OTHER, (m.get(OTHER) ?? 0) + by);
}

/**
 * `s` as a string of its own. A field value is often a slice of the whole
 * record's text, and V8 keeps such a slice as a pointer into that text: a
 * name kept in a tally would keep its record alive with it (10,000 names from
 * records of 1 KiB: 10 MiB held, copied by every young-generation collection
 * that keeps them). Joining forces a flat copy; slicing it again gives the
 * same characters without the record.
 */
export function ownString(s: string): string {
  return (' ' + s).slice(1);
}

/** A count kept by reference in a Map, so that counting a name seen before is one lookup. */
export interface Count {
  n: number;
}

/**
 * A bounded tally by name, as bump() keeps it (at most `max` names, then `(other)`), made
 * for counting per record: a name seen before costs one Map lookup, and the name counted
 * just before none (consecutive records often repeat a user, a host, a command).
 */
export class CountMap {
  private _map = new Map<string, Count>();
  private lastKey: string | undefined;
  private last: Count = { n: 0 };
  /** The count of (other), once the tally is full. */
  private other: Count | undefined;
  /** Once restricted (restrictTo): only the names in the map are counted by name; every other one counts into `dropped`. */
  private only = false;
  private dropped: Count = { n: 0 };

  constructor(private readonly max = MAX_DISTINCT) {}

  /** The names counted so far, in first-counted order. */
  get map(): ReadonlyMap<string, Count> {
    return this._map;
  }

  /** The names counted by name, in first-counted order (`(other)` left out): what restrictTo() takes. */
  names(): string[] {
    return [...this._map.keys()].filter((n) => n !== OTHER);
  }

  /** Whether the tally reached its bound: it takes no new name again, so its names are final. */
  get full(): boolean {
    return !this.only && this._map.size >= this.max;
  }

  add(k: string, by = 1): void {
    if (k === this.lastKey) {
      this.last.n += by;
      return;
    }
    let c = this._map.get(k);
    if (c === undefined) {
      // A restricted tally holds every name it counts (at 0 if not seen yet): any other is dropped.
      if (this.only) c = this.dropped;
      else if (this._map.size < this.max) this._map.set(ownString(k), (c = { n: 0 }));
      else {
        // A full tally never takes a new name again: `k` stays under (other).
        c = this.other ??= this._map.get(OTHER);
        if (c === undefined) this._map.set(OTHER, (c = this.other = { n: 0 }));
      }
    }
    c.n += by;
    this.lastKey = k;
    this.last = c;
  }

  /**
   * From now on count by name only the names in `names`, and every other name
   * (those counted so far included) in one sum that toMap() gives as `(other)`.
   * For a tally of a later part of a run whose earlier part's tally filled up
   * with `names`: those are all the names the run's tally keeps, so the rest
   * can only end up under `(other)` there. toMap() gives the names in the
   * order of `names` (the order the run keeps them in), those counted only.
   */
  restrictTo(names: Iterable<string>): void {
    const map = new Map<string, Count>();
    let dropped = this.dropped.n;
    for (const k of names) if (k !== OTHER) map.set(k, this._map.get(k) ?? { n: 0 });
    for (const [k, c] of this._map) if (!map.has(k)) dropped += c.n;
    this._map = map;
    this.only = true;
    this.dropped = { n: dropped };
    this.other = undefined;
    this.lastKey = undefined;
  }

  /** The counts as a Map of numbers, in first-counted order (a restricted tally's other names as `(other)`, last). */
  toMap(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, c] of this._map) if (!this.only || c.n > 0) out.set(k, c.n);
    if (this.only && this.dropped.n > 0) out.set(OTHER, this.dropped.n);
    return out;
  }
}

/** Add counts into a bounded record (at most MAX_DISTINCT names, then `(other)`). */
export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  let size = Object.keys(into).length - (Object.hasOwn(into, OTHER) ? 1 : 0);
  let other = 0;
  for (const [k, v] of Object.entries(from)) {
    if (Object.hasOwn(into, k)) into[k]! += v;
    else if (k !== OTHER && size < MAX_DISTINCT) {
      set(into, k, v);
      size++;
    } else other += v;
  }
  if (other) set(into, OTHER, (Object.hasOwn(into, OTHER) ? into[OTHER]! : 0) + other);
}

function set(into: Record<string, number>, k: string, v: number): void {
  // defineProperty: `__proto__` is a name like any other, even in a plain object.
  Object.defineProperty(into, k, { value: v, writable: true, enumerable: true, configurable: true });
}
