/**
 * Oldest-first order of the entries of a Map, for evicting the oldest one in
 * O(1) amortised time. (Taking `map.keys().next()` after many deletes at the
 * front costs a scan over the deleted slots each time: measured 2026-12-01 at
 * 200,000 connections through a cap of 100,000, 26 s instead of 3 s.)
 *
 *   const ages = new AgeQueue<Session>();
 *   ages.push(key, s); ...
 *   const old = ages.shiftLive((k, v) => open.get(k) === v);   // the oldest still in the map
 */
export class AgeQueue<V> {
  private keys: string[] = [];
  private values: V[] = [];
  private head = 0;

  /** Note that `key` was (re)inserted with `value`. */
  push(key: string, value: V): void {
    this.keys.push(key);
    this.values.push(value);
  }

  /**
   * Take the oldest entry that is still live, dropping dead ones on the way.
   * @param live whether an entry is still the map's (not deleted or replaced since)
   * @returns the entry, or undefined when none is live
   */
  shiftLive(live: (key: string, value: V) => boolean): [string, V] | undefined {
    while (this.head < this.keys.length) {
      const k = this.keys[this.head]!;
      const v = this.values[this.head]!;
      this.head++;
      if (live(k, v)) {
        this.compact();
        return [k, v];
      }
    }
    this.clear();
    return undefined;
  }

  clear(): void {
    this.keys = [];
    this.values = [];
    this.head = 0;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.keys.length) {
      this.keys.splice(0, this.head);
      this.values.splice(0, this.head);
      this.head = 0;
    }
  }
}
