/** AgeQueue: the oldest live entry of a Map, in bounded memory whatever comes and goes. */
import { describe, expect, test } from 'vitest';
import { AgeQueue } from '../src/age-queue.js';

describe('AgeQueue', () => {
  test('gives the oldest entry still in the map, skipping deleted and replaced ones', () => {
    const m = new Map<string, object>();
    const q = new AgeQueue<object>((k, v) => m.get(k) === v, () => m.size);
    const put = (k: string) => {
      const v = {};
      m.set(k, v);
      q.push(k, v);
    };
    put('a');
    put('b');
    put('c');
    m.delete('a');
    put('b'); // replaced: its old place no longer counts
    expect(q.shiftLive()?.[0]).toBe('c');
    expect(q.shiftLive()?.[0]).toBe('b');
    expect(q.shiftLive()).toBeUndefined();
  });

  test('a map that stays small while a million entries come and go holds a bounded queue', () => {
    const m = new Map<string, number>();
    const q = new AgeQueue<number>((k, v) => m.get(k) === v, () => m.size);
    let most = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const k = String(i % 50);
      m.set(k, i);
      q.push(k, i);
      if (i % 3 === 0) m.delete(String((i + 7) % 50));
      most = Math.max(most, q.held);
    }
    expect(most).toBeLessThanOrEqual(2 * 50 + 1025);
    // Still in order: the oldest live entry is the one set longest ago.
    const oldest = [...m.entries()].sort((x, y) => x[1] - y[1])[0]!;
    expect(q.shiftLive()).toEqual(oldest);
  });
});
