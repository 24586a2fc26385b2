/**
 * Model-based test of `read --state`: a writer appends events (sometimes a
 * record torn mid-write, finished later), the server rotates in each naming
 * scheme (MySQL timestamps with and without gzip and AES, legacy 17 digits,
 * Percona numbers), and reads with small `--max-array-length` run in between.
 * Whatever the interleaving, the concatenated output of all reads is the
 * sequence of events written: no duplicate, no gap, ids as the server counts
 * them, and a read ends with `null` exactly when it reached the last event.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { renderRecord, type GenRecord } from '../bench/generate.js';
import { encrypt } from '../src/layers/aes.js';
import { staticPassword } from '../src/layers/index.js';
import { runRead } from '../src/read.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const PW = 'model-password';
const PWD_ID = '20240101T000000-1';

type Scheme = 'mysql' | 'legacy' | 'numbered';
type Format = 'json' | 'new' | 'old';
type Layer = 'none' | 'gz' | 'enc' | 'gz.enc';

type Action =
  | { kind: 'append'; n: number; torn: boolean; ticks: number[] }
  | { kind: 'rotate'; layer: Layer }
  | { kind: 'read'; max: number };

/** What was written: one line per event, `timestamp|id|query`. */
function key(ts: string, id: number, query: string): string {
  return `${ts}|${id}|${query}`;
}

async function bytesOf(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A tiny audit log server: an active file, rotations, and the events it wrote (the model). */
class Server {
  readonly active: string;
  written: string[] = [];
  private clock = Date.UTC(2024, 0, 1, 0, 0, 0) / 1000;
  private lastTs = '';
  private id = 0;
  private seq = 0;
  private inFile = 0;
  private openTs = '';
  /** The rest of a record whose first part is already in the file. */
  private pendingTail = '';
  private rotations = 0;

  constructor(
    readonly dir: string,
    readonly scheme: Scheme,
    readonly format: Format,
  ) {
    this.active = join(dir, 'audit.log');
    this.open();
  }

  private ts(): string {
    return new Date(this.clock * 1000).toISOString().slice(0, 19).replace('T', ' ');
  }

  private open(): void {
    writeFileSync(this.active, this.format === 'json' ? '[\n' : '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n');
    this.inFile = 0;
  }

  private record(): string {
    const ts = this.ts();
    this.id = ts === this.lastTs ? this.id + 1 : 0;
    this.lastTs = ts;
    this.seq++;
    if (this.inFile === 0) this.openTs = ts;
    const query = `SELECT ${this.seq}`;
    const g: GenRecord = { name: 'Query', ts, connectionId: 7, status: 0, user: 'app', host: 'localhost', ip: '127.0.0.1', commandClass: 'select', sql: query, db: 'shop', table: 't' };
    const text = renderRecord(this.format, g, this.inFile + 1, this.openTs, this.id);
    const sep = this.format === 'json' && this.inFile > 0 ? ',\n' : '';
    this.inFile++;
    this.written.push(key(ts, this.id, query));
    return sep + text;
  }

  append(n: number, torn: boolean, ticks: number[]): void {
    let text = this.pendingTail;
    if (this.pendingTail) this.written.push(this.tornKey!);
    this.pendingTail = '';
    for (let i = 0; i < n; i++) {
      this.clock += ticks[i % ticks.length] ?? 0;
      text += this.record();
    }
    if (torn) {
      // A record cut mid-write: in the file but not finished yet (not an event a reader may return).
      this.clock += ticks[0] ?? 0;
      const rec = this.record();
      this.tornKey = this.written.pop();
      const cut = Math.max(1, Math.floor(rec.length / 2));
      text += rec.slice(0, cut);
      this.pendingTail = rec.slice(cut);
    }
    appendFileSync(this.active, text);
  }

  private tornKey: string | undefined;

  /** Finish a torn record (the server finishes writing before it rotates or stops). */
  finish(): void {
    if (!this.pendingTail) return;
    appendFileSync(this.active, this.pendingTail);
    this.pendingTail = '';
    this.written.push(this.tornKey!);
  }

  async rotate(layer: Layer): Promise<void> {
    this.finish();
    appendFileSync(this.active, this.format === 'json' ? '\n]\n' : '</AUDIT>\n');
    this.rotations++;
    let target: string;
    if (this.scheme === 'numbered') {
      const names = readdirSync(this.dir).filter((n) => /^audit\.log\.\d\d$/.test(n)).sort().reverse();
      for (const n of names) renameSync(join(this.dir, n), join(this.dir, `audit.log.${String(Number(n.slice(-2)) + 1).padStart(2, '0')}`));
      target = join(this.dir, 'audit.log.01');
      layer = 'none';
    } else if (this.scheme === 'legacy') {
      target = join(this.dir, `audit.log.${String(this.clock)}${String(this.rotations).padStart(7, '0')}.xml`);
      layer = 'none';
    } else {
      const mark = this.ts().replace(/[-:]/g, '').replace(' ', 'T');
      let base = `audit.${mark}`;
      for (let k = 1; readdirSync(this.dir).some((n) => n.startsWith(`${base}.`)); k++) base = `audit.${mark}-${k}`;
      target = join(this.dir, `${base}.log`);
    }
    renameSync(this.active, target);
    if (layer === 'gz' || layer === 'gz.enc') {
      writeFileSync(`${target}.gz`, gzipSync(readFileSync(target)));
      rmSync(target);
      target = `${target}.gz`;
    }
    if (layer === 'enc' || layer === 'gz.enc') {
      const enc = await bytesOf(encrypt([readFileSync(target)] as unknown as AsyncIterable<Uint8Array>, { password: PW }));
      writeFileSync(`${target}.${PWD_ID}.enc`, enc);
      rmSync(target);
    }
    this.open();
  }
}

/** The query of a returned event, whichever format it came from. */
function keyOf(e: Record<string, unknown>): string {
  const g = e.general_data as { query?: string } | undefined;
  return key(e.timestamp as string, e.id as number, g?.query ?? '');
}

async function readOnce(dir: string, state: string, max: number | undefined): Promise<{ keys: string[]; ended: boolean }> {
  let text = '';
  await runRead({ paths: [dir], state, ...(max ? { maxArrayLength: max } : {}), password: staticPassword(PW) }, async (t) => {
    text += t;
  });
  const arr = JSON.parse(text) as (Record<string, unknown> | null)[];
  const ended = arr.length > 0 && arr[arr.length - 1] === null;
  return { keys: arr.filter((x): x is Record<string, unknown> => x !== null).map(keyOf), ended };
}

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 0, max: 6 }), torn: fc.boolean(), ticks: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rotate' as const), layer: fc.constantFrom<Layer>('none', 'gz', 'enc', 'gz.enc') }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), max: fc.integer({ min: 1, max: 4 }) }) },
);

describe('read --state: model-based', () => {
  test('writes, rotations (every naming scheme, gzip, AES) and reads interleaved: the reads give every event once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Scheme>('mysql', 'legacy', 'numbered'),
        fc.constantFrom<Format>('json', 'new', 'old'),
        fc.array(action, { minLength: 1, maxLength: 18 }),
        async (scheme, format, actions) => {
          const dir = mkdtempSync(join(tmpdir(), 'auditlog-model-'));
          const stateDir = mkdtempSync(join(tmpdir(), 'auditlog-model-state-'));
          const state = join(stateDir, 'read.state');
          try {
            const server = new Server(dir, scheme, format);
            const got: string[] = [];
            for (const a of actions) {
              if (a.kind === 'append') server.append(a.n, a.torn, a.ticks);
              else if (a.kind === 'rotate') await server.rotate(a.layer);
              else {
                const r = await readOnce(dir, state, a.max);
                expect(r.keys.length).toBeLessThanOrEqual(a.max);
                got.push(...r.keys);
                // What was read so far is exactly the start of what was written.
                expect(got).toEqual(server.written.slice(0, got.length));
                // `null` at the end exactly when nothing complete is left.
                expect(r.ended).toBe(got.length === server.written.length);
              }
            }
            server.finish();
            const rest = await readOnce(dir, state, undefined);
            got.push(...rest.keys);
            expect(rest.ended).toBe(true);
            expect(got).toEqual(server.written);
            expect(new Set(got).size).toBe(got.length);
          } finally {
            rmSync(dir, { recursive: true, force: true });
            rmSync(stateDir, { recursive: true, force: true });
          }
        },
      ),
      { seed: 20261201, numRuns: 120, endOnFailure: true },
    );
  });
});

describe('read --state: the command, with the real gzip and openssl', () => {
  test('rotations to .gz, .enc and .gz.enc between runs of `read --state --max-array-length 3`: every event once, and the state file is versioned JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-model-cli-'));
    const state = join(mkdtempSync(join(tmpdir(), 'auditlog-model-cli-state-')), 'st');
    const pw = join(mkdtempSync(join(tmpdir(), 'auditlog-model-cli-pw-')), 'pw');
    writeFileSync(pw, PW + '\n');
    const server = new Server(dir, 'mysql', 'json');
    const got: string[] = [];
    const read = () => {
      const p = spawnSync(process.execPath, [CLI, 'read', join(dir, 'audit.log'), '--state', state, '--max-array-length', '3', '--password-file', pw], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      const arr = JSON.parse(p.stdout) as (Record<string, unknown> | null)[];
      got.push(...arr.filter((x): x is Record<string, unknown> => x !== null).map(keyOf));
      return arr[arr.length - 1] === null;
    };
    const rotateWith = (how: 'gzip' | 'openssl' | 'both') => {
      server.finish();
      appendFileSync(server.active, '\n]\n');
      const target = join(dir, `audit.20240101T00000${readdirSync(dir).length}.log`);
      renameSync(server.active, target);
      let t = target;
      if (how !== 'openssl') {
        execFileSync('gzip', [t]);
        t = `${t}.gz`;
      }
      if (how !== 'gzip') {
        execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${PW}`, '-in', t, '-out', `${t}.${PWD_ID}.enc`]);
        rmSync(t);
      }
      writeFileSync(server.active, '[\n');
      (server as unknown as { inFile: number }).inFile = 0;
    };
    server.append(5, false, [0, 1]);
    read();
    rotateWith('gzip');
    server.append(4, true, [0]);
    read();
    read();
    rotateWith('openssl');
    server.append(2, false, [1]);
    read();
    rotateWith('both');
    server.append(3, false, [0]);
    for (let i = 0; i < 10 && !read(); i++);
    expect(got).toEqual(server.written);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { version: number; cursor: { last: unknown } };
    expect(saved.version).toBe(1);
    expect(existsSync(state)).toBe(true);
  });
});
