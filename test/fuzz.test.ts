/**
 * Fuzz: fixtures of every format, plain and inside every layer (gzip, AES,
 * gzip inside AES), with bytes mutated, truncated, spliced in and repeated.
 * Whatever the damage: nothing but AuditLogError is thrown, no read runs past
 * a time bound, and (plain inputs) every complete record the damage did not
 * touch (nor the byte on each side of it) is still read byte for byte, before
 * and after the damage: only the damaged record is reported.
 *
 * Fixed seed, bounded runs; `npm run fuzz` runs the same longer (FUZZ_RUNS=N).
 */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { staticPassword } from '../src/layers/index.js';
import { parseAll, readAuditLog } from '../src/reader.js';
import { entriesOf, fixture } from './helpers.js';
import { applyAll, DAMAGE_FIXTURES as FIXTURES, op } from './mutations.js';

/** Runs per fixture and layer (plain inputs get three times as many). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** Generous: these inputs are a few KiB, read in milliseconds; a hang or a quadratic blow-up passes it. */
const TIME_BOUND_MS = 5000;
const PASSWORD = 'fuzz';

function encrypt(bytes: Buffer): Buffer {
  return execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${PASSWORD}`], { input: bytes });
}

const LAYERS: Record<string, (b: Buffer) => Buffer> = {
  plain: (b) => b,
  gz: (b) => gzipSync(b),
  enc: (b) => encrypt(b),
  'gz.enc': (b) => encrypt(gzipSync(b)),
};

/** Read everything (skipping bad records); returns the raws read, or the AuditLogError that stopped it. */
async function readAll(bytes: Buffer): Promise<{ raws: Map<string, number>; reported: [number, number][]; stopped?: AuditLogError; ms: number }> {
  const t0 = performance.now();
  const raws = new Map<string, number>();
  const reported: [number, number][] = [];
  const onProblem = (p: AuditLogError) => {
    if (p.ctx.offset !== undefined) reported.push([p.ctx.offset, p.ctx.end ?? p.ctx.offset + 1]);
  };
  let stopped: AuditLogError | undefined;
  try {
    for await (const e of readAuditLog(bytes, { onError: 'skip', keepRaw: true, password: staticPassword(PASSWORD), onProblem })) {
      const k = Buffer.from(e.raw!).toString('latin1');
      raws.set(k, (raws.get(k) ?? 0) + 1);
    }
  } catch (e) {
    if (!(e instanceof AuditLogError)) throw e;
    stopped = e;
  }
  return { raws, reported, ms: performance.now() - t0, ...(stopped ? { stopped } : {}) };
}

describe('fuzz: damaged inputs of every format and layer', () => {
  for (const [format, path] of Object.entries(FIXTURES)) {
    const plain = fixture(path);
    const records = entriesOf(parseAll(plain, { keepRaw: true }));
    test(`${format}: the fixture reads whole (the baseline the fuzz compares with)`, () => {
      expect(records.length).toBeGreaterThan(0);
      expect(records[0]!.format).toBe(format);
    });

    for (const [layer, wrap] of Object.entries(LAYERS)) {
      test(`${format} ${layer}: mutated, truncated, spliced, repeated bytes`, async () => {
        const input = wrap(plain);
        await fc.assert(
          fc.asyncProperty(fc.array(op(input.length), { minLength: 1, maxLength: layer === 'plain' ? 1 : 3 }), async (ops) => {
            const d = applyAll(input, ops);
            const got = await readAll(d.bytes);
            expect(got.ms).toBeLessThan(TIME_BOUND_MS);
            if (layer !== 'plain' || got.stopped) return;
            // Every complete record whose bytes (and the byte on each side) the damage did not touch: read,
            // byte for byte, before the first damaged byte and after it alike.
            const first = Math.min(...d.touched.map(([a]) => a));
            for (const r of records) {
              const hit = d.touched.some(([a, b]) => a <= r.at.end && (b === a ? a > r.at.offset - 1 : b > r.at.offset - 1));
              if (hit) continue;
              const k = Buffer.from(r.raw!).toString('latin1');
              const read = (got.raws.get(k) ?? 0) > 0;
              if (r.at.end < first) {
                expect(read, `untouched record before the damage at ${first}: ${JSON.stringify(k.slice(0, 80))}`).toBe(true);
                continue;
              }
              // After the damage too: the damaged record alone is reported, reading resumes at the next record's
              // start, so an untouched record is read byte for byte, never swallowed into a reported problem.
              expect(read, `untouched record after the damage at ${first}: ${JSON.stringify(k.slice(0, 80))}`).toBe(true);
            }
          }),
          { seed: SEED, numRuns: layer === 'plain' ? RUNS * 3 : RUNS, endOnFailure: true },
        );
      });
    }
  }
});
