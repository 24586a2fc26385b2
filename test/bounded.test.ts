/** Every tally is bounded: at most MAX_DISTINCT names, the rest under (other), totals complete. */
import { describe, expect, test } from 'vitest';
import { bump, CountMap, MAX_DISTINCT, OTHER } from '../src/counts.js';
import type { Entry } from '../src/entry.js';
import { combine, inspect } from '../src/info.js';
import { MAX_KEYS, SecurityTally } from '../src/security.js';
import { BaseWriter } from '../src/writers/common.js';

const N = MAX_DISTINCT + 2500;

function distinctLog(n: number, tag: string): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(JSON.stringify({ timestamp: '2019-10-03 14:00:00', class: `c_${tag}${i}`, event: `e${i}`, account: { user: `u_${tag}${i}` }, general_data: { command: `cmd_${tag}${i}` } }));
  // Names that are also Object.prototype members are counted as names, not mistaken for existing counts.
  lines.push(JSON.stringify({ timestamp: '2019-10-03 14:00:00', class: 'constructor', event: '__proto__', account: { user: '__proto__' }, general_data: { command: 'toString' } }));
  return Buffer.from(lines.join('\n') + '\n');
}

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

describe('bounded tallies', () => {
  test('info: events, commands and users keep MAX_DISTINCT names plus (other); the counts add up to every record', async () => {
    const r = await inspect(distinctLog(N, ''));
    expect(r.records).toBe(N + 1);
    for (const m of [r.events, r.commands, r.users]) {
      expect(Object.keys(m).length).toBe(MAX_DISTINCT + 1);
      expect(m[OTHER]).toBeGreaterThan(0);
      expect(sum(m)).toBe(N + 1);
    }
    // The first names seen are the ones kept.
    expect(r.users.u_0).toBe(1);
  });

  test('info: names like constructor and __proto__ are ordinary names', async () => {
    const r = await inspect(distinctLog(3, ''));
    expect(r.events['constructor/__proto__']).toBe(1);
    expect(r.users['__proto__']).toBe(1);
    expect(r.commands.toString).toBe(1);
    expect(JSON.parse(JSON.stringify(r.users))).toMatchObject({ __proto__: 1 });
  });

  test('info over several files: the totals are bounded the same way', async () => {
    const reports = [await inspect(distinctLog(N, 'a'), { file: 'a' }), await inspect(distinctLog(N, 'b'), { file: 'b' })];
    const t = combine(reports);
    for (const m of [t.events, t.commands, t.users]) {
      expect(Object.keys(m).length).toBeLessThanOrEqual(MAX_DISTINCT + 1);
      expect(sum(m)).toBe(2 * (N + 1));
    }
  });

  test('writers: dropped field paths keep MAX_DISTINCT paths plus (other), counts complete', () => {
    class Dropper extends BaseWriter {
      readonly format = 'new' as const;
      header() {
        return new Uint8Array();
      }
      footer() {
        return new Uint8Array();
      }
      record(e: Entry) {
        this.drop(`general_data.${String(e.event.id)}`);
        this.commit(false);
        return '';
      }
    }
    const w = new Dropper();
    for (let i = 0; i < N; i++) w.record({ event: { id: i }, format: 'json', at: { file: '-', offset: 0, end: 0, index: i } });
    const d = w.summary().droppedFields;
    expect(Object.keys(d).length).toBe(MAX_DISTINCT + 1);
    expect(d[OTHER]).toBe(N - MAX_DISTINCT);
    expect(sum(d)).toBe(N);
  });
});

describe('CountMap (the per-record tallies of info and the security report)', () => {
  test('keeps what bump keeps: the same names, counts, order and (other), repeats and a literal (other) among them', () => {
    const keys: string[] = [];
    for (let i = 0; i < 3 * MAX_DISTINCT; i++) {
      // Runs of one name (the shortcut), names seen before, new names past the bound.
      keys.push(i % 5 === 0 ? keys[i - 1] ?? 'a' : i === 20 ? OTHER : `k${(i * 7919) % (2 * MAX_DISTINCT)}`);
    }
    const m = new Map<string, number>();
    const c = new CountMap();
    for (const [i, k] of keys.entries()) {
      bump(m, k, 1 + (i % 3));
      c.add(k, 1 + (i % 3));
    }
    expect([...c.toMap()]).toEqual([...m]);
    expect(c.map.size).toBe(MAX_DISTINCT + 1);
  });

  test('a later part restricted to the names an earlier part filled up with (restrictTo), at any point of its counting, merges into what one pass counts', () => {
    const keys: string[] = [];
    for (let i = 0; i < 4 * MAX_DISTINCT; i++) keys.push(i % 4 === 0 ? `k${i % (MAX_DISTINCT + 3000)}` : i % 7 === 0 ? OTHER : i % 11 === 0 ? keys[i - 1]! : `n${i % 15_000}`);
    const one = new CountMap();
    for (const k of keys) one.add(k);
    const cut = 2 * MAX_DISTINCT;
    const first = new CountMap();
    for (const k of keys.slice(0, cut)) first.add(k);
    expect(first.full).toBe(true);
    const names = [...first.map.keys()].filter((k) => k !== OTHER);
    // Also just inside a run of one name the tally no longer keeps (the name counted just before is a shortcut).
    const kept = new Set(names);
    const inRun = keys.findIndex((k, i) => i > cut && k === keys[i - 1] && !kept.has(k)) - cut;
    expect(inRun).toBeGreaterThan(0);
    for (const at of [0, 1, 777, inRun, MAX_DISTINCT, keys.length - cut]) {
      // The later part counts at a larger bound until it learns the names, then only those.
      const later = new CountMap(10 * MAX_DISTINCT);
      keys.slice(cut).forEach((k, i) => {
        if (i === at) later.restrictTo(names);
        later.add(k);
      });
      if (at === keys.length - cut) later.restrictTo(names);
      const merged = new CountMap();
      for (const [k, n] of first.toMap()) merged.add(k, n);
      for (const [k, n] of later.toMap()) merged.add(k, n);
      expect([...merged.toMap()], `restricted after ${at}`).toEqual([...one.toMap()]);
    }
  });

  test('the security report restricted to the names of a filled first part (hours, addresses) merges into what one pass counts, inside a run of one hour too', () => {
    const hour = (h: number) => new Date(Date.UTC(2019, 0, 1) + h * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    const entry = (i: number, h: number, ip: string) => ({ event: { timestamp: hour(h), class: 'general', login: { ip } }, at: { file: '-', offset: i, end: i + 1, index: i } }) as unknown as Entry;
    const first: Entry[] = [];
    for (let h = 0; h < MAX_KEYS + 50; h++) first.push(entry(h, h, `10.0.${h >> 8}.${h & 255}`));
    // The later part: runs of one hour, inside and outside the first part's hours, and addresses old and new.
    const later: Entry[] = [];
    for (let i = 0; i < 6000; i++) later.push(entry(first.length + i, (i >> 2) % 3 === 0 ? MAX_KEYS + 100 + (i >> 2) : (i >> 2) % (MAX_KEYS + 40), `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`));
    const one = new SecurityTally();
    for (const e of [...first, ...later]) one.add(e);
    const a = new SecurityTally();
    for (const e of first) a.add(e);
    const filled = a.filled();
    expect(filled.map(([k]) => k).sort()).toEqual(['ips', 'perHour']);
    // Restricted inside a run of one hour (counted through the shortcut), one the run keeps and one it does not.
    const inRun = (kept: boolean) => later.findIndex((e, i) => i > 0 && e.event.timestamp === later[i - 1]!.event.timestamp && e.event.timestamp! < hour(MAX_KEYS) === kept);
    expect(inRun(true)).toBeGreaterThan(0);
    expect(inRun(false)).toBeGreaterThan(0);
    for (const cut of [0, inRun(true), inRun(false), 2001]) {
      const b = new SecurityTally({ maxKeys: 10 * MAX_KEYS });
      later.forEach((e, i) => {
        if (i === cut) for (const [k, names] of filled) b.restrict(k, names);
        b.add(e);
      });
      const merged = new SecurityTally();
      expect(merged.merge(a.state())).toBe(true);
      expect(merged.merge(b.state(), first.length)).toBe(true);
      expect(JSON.stringify(merged.state(), (_, v: unknown) => (v instanceof Map ? [...v] : v)), `restricted before record ${cut}`).toBe(JSON.stringify(one.state(), (_, v: unknown) => (v instanceof Map ? [...v] : v)));
    }
  });
});
