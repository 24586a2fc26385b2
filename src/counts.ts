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

/** Count `k` (by `by`) in a Map bounded at `max` names. */
export function bump(m: Map<string, number>, k: string, by = 1, max = MAX_DISTINCT): void {
  const n = m.get(k);
  if (n !== undefined) m.set(k, n + by);
  else if (m.size < max) m.set(k, by);
  else m.set(OTHER, (m.get(OTHER) ?? 0) + by);
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
