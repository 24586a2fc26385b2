/**
 * Damage done to an input's bytes, for property tests (test/fuzz.test.ts,
 * test/lean.test.ts): bytes mutated, a cut, a piece of the input spliced in
 * elsewhere, a stretch repeated; each says which original bytes it touched.
 *
 *   fc.assert(fc.property(op(bytes.length), (o) => { const d = apply(bytes, o); ... }));
 */
import fc from 'fast-check';

/** A fixture of each format (paths under fixtures/), the ones the property tests damage. */
export const DAMAGE_FIXTURES: Record<string, string> = {
  new: 'public/mysql-utilities/audit.log.13951424704434196.xml',
  old: 'public/mysql-utilities/audit.log.13488316109086370',
  json: 'public/mysql-refman/refman-9-json-event-examples.json',
  'percona-new': 'percona/new-format-5.6-2014-fragment.xml',
  'percona-old': 'percona/old-format-5.6-2014.xml',
  'percona-json': 'percona/json-format-5.6-2014.json',
  'percona-csv': 'percona/csv-mtr-filter-commands.csv',
};

/** A damage done to the bytes, and the range of original bytes it touched (for "untouched records"). */
export interface Damaged {
  bytes: Buffer;
  /** Original offsets at or after which bytes changed or shifted meaning: [from, to) touched; `to` = Infinity for a cut. */
  touched: [number, number][];
}

export type Op =
  | { kind: 'mutate'; at: number[]; values: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; from: number; len: number; random: number[] }
  | { kind: 'repeat'; from: number; len: number; times: number };

export const op = (n: number): fc.Arbitrary<Op> => {
  const pos = fc.nat({ max: Math.max(0, n - 1) });
  return fc.oneof(
    fc.record({ kind: fc.constant('mutate' as const), at: fc.array(pos, { minLength: 1, maxLength: 6 }), values: fc.array(fc.nat({ max: 255 }), { minLength: 6, maxLength: 6 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: pos }),
    fc.record({ kind: fc.constant('splice' as const), at: pos, from: pos, len: fc.nat({ max: 300 }), random: fc.array(fc.nat({ max: 255 }), { maxLength: 8 }) }),
    fc.record({ kind: fc.constant('repeat' as const), from: pos, len: fc.integer({ min: 1, max: 400 }), times: fc.integer({ min: 1, max: 4 }) }),
  );
};

export function apply(b: Buffer, o: Op): Damaged {
  switch (o.kind) {
    case 'mutate': {
      const c = Buffer.from(b);
      o.at.forEach((p, i) => (c[p] = o.values[i]!));
      return { bytes: c, touched: o.at.map((p) => [p, p + 1]) };
    }
    case 'truncate':
      return { bytes: b.subarray(0, o.at), touched: [[o.at, Infinity]] };
    case 'splice': {
      // A piece of the same input (a record start, half a record) plus a few random bytes, put in elsewhere.
      const piece = Buffer.concat([b.subarray(o.from, o.from + o.len), Buffer.from(o.random)]);
      return { bytes: Buffer.concat([b.subarray(0, o.at), piece, b.subarray(o.at)]), touched: [[o.at, o.at]] };
    }
    case 'repeat': {
      const end = Math.min(b.length, o.from + o.len);
      const piece = b.subarray(o.from, end);
      return { bytes: Buffer.concat([b.subarray(0, end), ...Array<Buffer>(o.times).fill(piece), b.subarray(end)]), touched: [[end, end]] };
    }
  }
}

/** Apply several operations in turn, gathering what they touched. */
export function applyAll(bytes: Buffer, ops: Op[]): Damaged {
  let d: Damaged = { bytes, touched: [] };
  for (const o of ops) {
    const next = apply(d.bytes, o);
    d = { bytes: next.bytes, touched: [...d.touched, ...next.touched] };
  }
  return d;
}
