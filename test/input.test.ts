/**
 * The input seam: the input edge's slice() for plain and AES files (against
 * files the real `openssl` wrote), scanners starting inside a document at any
 * offset, and the id stage whose state can be saved and restored.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import type { Entry } from '../src/entry.js';
import { IdStage } from '../src/ids.js';
import { openInput, readBytes, workBytes } from '../src/input.js';
import { staticPassword } from '../src/layers/index.js';
import { readAuditLog, type InputInfo, type InputSeen } from '../src/reader.js';
import { findBoundary } from '../src/scanners/boundary.js';

const PW = 'slice-password';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-input-'));
}

async function bytesOf(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function entries(path: string, opts: Parameters<typeof readAuditLog>[1] = {}): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of readAuditLog(path, { keepRaw: false, ...opts })) out.push(e);
  return out;
}

/** The same plain file, as written, and encrypted by the real openssl (EVP_BytesToKey and PBKDF2). */
function files(text: string): { plain: string; evp: string; pbkdf2: string; crashed: string } {
  const dir = tmp();
  const plain = join(dir, 'audit.log');
  writeFileSync(plain, text);
  const evp = join(dir, 'audit.log.enc');
  execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${PW}`, '-in', plain, '-out', evp], { stdio: 'pipe' });
  const pbkdf2 = join(dir, 'audit.log.20190403T142359-1.enc');
  execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pbkdf2', '-iter', '1000', '-pass', `pass:${PW}`, '-in', plain, '-out', pbkdf2], { stdio: 'pipe' });
  // A crashed encrypted file: its final (padded) block never written, and a torn partial block.
  const crashed = join(dir, 'crashed.log.enc');
  const enc = execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${PW}`, '-in', plain], { stdio: 'pipe' });
  writeFileSync(crashed, enc.subarray(0, enc.length - 16 - 7));
  return { plain, evp, pbkdf2, crashed };
}

describe('file reads: read buffers', () => {
  // Each part of a file a worker reads opens a new read: buffers that were not reused stayed
  // garbage until a full GC, and grew two workers' conversion of 1.2 GiB to over 300 MiB resident.
  test('a finished read hands its buffers to the next read of the thread, and reads at the same time never share one', async () => {
    const dir = tmp();
    // A block size no other read uses: the buffers kept for it are this test's alone.
    const size = 64 * 1024 + 16;
    const [a, b, c] = ['a', 'b', 'c'].map((n, k) => {
      const path = join(dir, n);
      // Several blocks each, of distinct bytes per file.
      writeFileSync(path, Buffer.alloc(3 * size + 100, 0x41 + k));
      return path;
    });
    const buffersOf = async (path: string, out: Set<ArrayBufferLike>) => {
      const parts: Buffer[] = [];
      for await (const chunk of readBytes(path!, path!, size)) {
        out.add(chunk.buffer);
        parts.push(Buffer.from(chunk));
      }
      return Buffer.concat(parts);
    };
    const first = new Set<ArrayBufferLike>();
    expect(await buffersOf(a!, first)).toEqual(Buffer.alloc(3 * size + 100, 0x41));
    expect(first.size).toBe(2);
    const second = new Set<ArrayBufferLike>();
    expect(await buffersOf(b!, second)).toEqual(Buffer.alloc(3 * size + 100, 0x42));
    expect([...second].every((buf) => first.has(buf))).toBe(true);
    // A read broken off after its first block hands its buffers back too.
    for await (const chunk of readBytes(c!, c!, size)) {
      expect(first.has(chunk.buffer)).toBe(true);
      break;
    }
    const third = new Set<ArrayBufferLike>();
    expect(await buffersOf(a!, third)).toEqual(Buffer.alloc(3 * size + 100, 0x41));
    expect([...third].every((buf) => first.has(buf))).toBe(true);
    // Two reads open at once, a chunk of each in turn: their bytes stay their own.
    const [ia, ic] = [readBytes(a!, a!, size), readBytes(c!, c!, size)].map((r) => r[Symbol.asyncIterator]());
    for (;;) {
      const [x, y] = [await ia!.next(), await ic!.next()];
      if (x.done || y.done) {
        expect(x.done && y.done).toBe(true);
        break;
      }
      expect(x.value.buffer).not.toBe(y.value.buffer);
      expect(x.value.every((v: number) => v === 0x41)).toBe(true);
      expect(y.value.every((v: number) => v === 0x43)).toBe(true);
    }
  });
});

describe('workBytes: the bytes a read decodes, for thresholds of work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'work-bytes-'));
  const put = (name: string, b: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, b);
    return p;
  };
  const log = Buffer.from(generateLogString({ format: 'new', records: 2000, seed: 5 }));

  test('a gzip file counts its decoded size (its ISIZE trailer), not its size on disk', async () => {
    const gz = gzipSync(log);
    expect(gz.length * 5).toBeLessThan(log.length);
    expect(await workBytes(put('a.xml.gz', gz))).toBe(log.length);
  });

  test('a gzip file that does not shrink counts its size; a plain one its size; one that cannot be read 0', async () => {
    const noise = randomBytes(4096);
    const gz = gzipSync(noise, { level: 0 });
    expect(await workBytes(put('noise.gz', gz))).toBe(Math.max(gz.length, noise.length));
    expect(await workBytes(put('plain.xml', log))).toBe(log.length);
    // Only the magic of a gzip file: too short to have a trailer.
    expect(await workBytes(put('short.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0])))).toBe(5);
    expect(await workBytes(join(dir, 'missing.xml'))).toBe(0);
  });
});

describe('input edge: slice()', () => {
  const text = generateLogString({ format: 'json', records: 400, seed: 3, hostile: true });
  const whole = Buffer.from(text);
  const f = files(text);
  const cuts = [0, 1, 15, 16, 17, 31, 32, 33, 1000, whole.length - 17, whole.length - 16, whole.length - 1, whole.length];

  test('plain: any range is the same bytes as the file, and only those are read', async () => {
    const input = await openInput(f.plain);
    expect(input.addressable).toBe(true);
    expect(input.size).toBe(whole.length);
    for (const s of cuts)
      for (const e of [s, s + 1, s + 100, whole.length]) expect((await bytesOf(input.slice(s, e))).equals(whole.subarray(s, Math.min(e, whole.length)))).toBe(true);
    const before = input.bytesIn;
    await bytesOf(input.slice(5000, 5100));
    expect(input.bytesIn - before).toBe(100);
  });

  test.each([
    ['EVP_BytesToKey', 'evp', undefined],
    ['PBKDF2', 'pbkdf2', 1000],
  ] as const)('AES (%s, openssl-written): any range decrypts to the same bytes, reading only its blocks', async (_n, which, iterations) => {
    const input = await openInput(f[which], { password: staticPassword(PW, iterations) });
    expect(input.addressable).toBe(true);
    expect(input.size).toBe(whole.length); // PKCS#7 padding taken off
    expect(input.params.aes?.kdf).toBe(iterations ? 'pbkdf2-sha256' : 'evp-bytes-to-key-sha256');
    for (const s of cuts)
      for (const e of [s, s + 1, s + 100, whole.length]) expect((await bytesOf(input.slice(s, e))).equals(whole.subarray(s, Math.min(e, whole.length)))).toBe(true);
    const before = input.bytesIn;
    await bytesOf(input.slice(5000, 5100));
    // The blocks holding the range plus the one before (the IV): well under the file.
    expect(input.bytesIn - before).toBeLessThanOrEqual(100 + 3 * 16);
  });

  test('a crashed AES file: sliced up to its last whole block, and its cut is reported', async () => {
    const notices: string[] = [];
    const input = await openInput(f.crashed, { password: staticPassword(PW), onNotice: (e) => notices.push(e.code) });
    // openssl wrote m blocks (the last one padding); the crash lost the last and 7 bytes of the one before.
    const m = Math.floor(whole.length / 16) + 1;
    expect(input.size).toBe((m - 2) * 16);
    expect((await bytesOf(input.stream())).equals(whole.subarray(0, input.size))).toBe(true);
    expect(notices).toEqual(['TRUNCATED_INPUT']);
  });

  test('a wrong password fails at open, before any byte', async () => {
    await expect(openInput(f.evp, { password: staticPassword('wrong') })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });

  test('.gz and .gz.enc are not addressable, but slice the same', async () => {
    const dir = tmp();
    const gz = join(dir, 'a.log.gz');
    writeFileSync(gz, execFileSync('gzip', ['-c', f.plain]));
    const gzenc = join(dir, 'a.log.gz.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${PW}`, '-in', gz, '-out', gzenc], { stdio: 'pipe' });
    for (const p of [gz, gzenc]) {
      const input = await openInput(p, { password: staticPassword(PW) });
      expect(input.addressable).toBe(false);
      expect((await bytesOf(input.slice(1000, 3000))).equals(whole.subarray(1000, 3000))).toBe(true);
    }
  });
});

describe('reading from inside a document', () => {
  for (const format of ['json', 'new', 'old'] as const) {
    const text = generateLogString({ format, records: 120, seed: 11, hostile: true });
    const dir = tmp();
    const path = join(dir, 'audit.log');
    writeFileSync(path, text);
    const enc = join(dir, 'audit.log.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${PW}`, '-in', path, '-out', enc], { stdio: 'pipe' });

    test(`${format}: from any offset, the events are exactly those starting at or after it (ids restored from the state before it), with no problem reported`, async () => {
      const all = await entries(path);
      const len = Buffer.byteLength(text);
      // Offsets around the first records' edges, and spread over the file.
      const starts = new Set<number>();
      for (const e of all.slice(0, 12)) for (const d of [-2, -1, 0, 1, 2]) for (const x of [e.at.offset, firstByte(text, e), e.at.end]) starts.add(x + d);
      for (let k = 0; k < 80; k++) starts.add(1 + Math.floor((k * (len - 1)) / 80));
      for (const start of [...starts].filter((x) => x >= 1 && x <= len)) {
        const problems: string[] = [];
        // The id state of the last record before start, as a saved cursor would restore it.
        const prev = all.filter((e) => firstByte(text, e) < start).pop();
        const ids = new IdStage(prev ? { timestamp: prev.event.timestamp!, id: prev.event.id! } : null);
        const got = await entries(path, { range: { start }, ids, onProblem: (e) => problems.push(e.code) });
        // Every record whose first byte (past its indent) is at or after start, and no other.
        const want = all.filter((e) => firstByte(text, e) >= start);
        expect(got.map((e) => [firstByte(text, e), e.event])).toEqual(want.map((e) => [firstByte(text, e), e.event]));
        expect(problems).toEqual([]);
      }
    });

    test(`${format}: an encrypted file from an offset reads the same as the plain one`, async () => {
      const len = Buffer.byteLength(text);
      for (const start of [1, 17, Math.floor(len / 3), len - 100]) {
        const a = await entries(path, { range: { start } });
        const b = await entries(enc, { range: { start }, password: staticPassword(PW) });
        expect(b.map((e) => [e.at.offset, e.event])).toEqual(a.map((e) => [e.at.offset, e.event]));
      }
    });
  }

  test('the input edge says what it learned before the first entry and what it saw at the end', async () => {
    const dir = tmp();
    const path = join(dir, 'audit.log');
    const text = generateLogString({ format: 'new', records: 10, seed: 5, unterminated: true });
    writeFileSync(path, text);
    const log: string[] = [];
    let info: InputInfo | undefined;
    let seen: InputSeen | undefined;
    const r = readAuditLog(path, { onStart: (i) => ((info = i), log.push('start')), onEnd: (s) => ((seen = s), log.push('end')) });
    for await (const batch of r.batches()) log.push(`batch ${batch.length}`);
    expect(log).toEqual(['start', 'batch 10', 'end']);
    expect(info).toMatchObject({ format: 'new', layers: [], addressable: true, size: Buffer.byteLength(text) });
    expect(info!.prologue!.toString()).toBe('<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n');
    expect(seen).toMatchObject({ complete: false, bytes: Buffer.byteLength(text), lastGood: Buffer.byteLength(text) });
  });
});

/** Where the record's first non-blank byte is (its range may start at its indent). */
const encoded = new Map<string, Buffer>();
function firstByte(text: string, e: Entry): number {
  let b = encoded.get(text);
  if (!b) encoded.set(text, (b = Buffer.from(text)));
  let i = e.at.offset;
  while (b[i] === 0x20 || b[i] === 0x09) i++;
  return i;
}

describe('record boundaries', () => {
  test('JSON: a line opening an event, not a nested object or a value that looks like one', () => {
    const s = Buffer.from('x\n  "a": {\n{ "x": 1 }\n  { "timestamp": "t" },\n');
    expect(findBoundary('json', s, 1, true)).toBe(s.indexOf('  { "timestamp"'));
    expect(findBoundary('json', Buffer.from('\n{ "time'), 1, false)).toBe(-1);
  });
  test('XML: the record start tag with its indent; `<AUDIT_RECORDS>` is not one', () => {
    const s = Buffer.from('D>\n<AUDIT_RECORDS>\n  <AUDIT_RECORD>\n');
    expect(findBoundary('new', s, 1, true)).toBe(s.indexOf('  <AUDIT_RECORD>'));
  });
});

describe('id stage', () => {
  const e = (timestamp: string, format: Entry['format'] = 'new', id?: number): Entry => ({ event: id === undefined ? { timestamp } : { timestamp, id }, format, at: { file: '-', offset: 0, end: 0, index: 0 } });

  test('numbers events per second, from 0 each new second', () => {
    const ids = new IdStage();
    const got = ['a', 'a', 'a', 'b', 'b', 'c'].map((t) => {
      const x = e(t);
      ids.assign(x);
      return x.event.id;
    });
    expect(got).toEqual([0, 1, 2, 0, 1, 0]);
  });

  test('a restored state numbers the rest exactly as an uninterrupted run', () => {
    const ts = ['a', 'a', 'b', 'b', 'b', 'c', 'c'];
    const one = new IdStage();
    const full = ts.map((t) => (one.assign(e(t)), one.state!.id));
    for (let cut = 0; cut <= ts.length; cut++) {
      const first = new IdStage();
      const a = ts.slice(0, cut).map((t) => (first.assign(e(t)), first.state!.id));
      const second = new IdStage(first.state);
      const b = ts.slice(cut).map((t) => (second.assign(e(t)), second.state!.id));
      expect([...a, ...b]).toEqual(full);
    }
  });

  test("JSON events keep the server's id, and the stage follows it", () => {
    const ids = new IdStage();
    const x = e('a', 'json', 5);
    ids.assign(x);
    expect(x.event.id).toBe(5);
    const y = e('a');
    ids.assign(y);
    expect(y.event.id).toBe(6);
  });

  test('the reader carries one stage across files: the same second at a file boundary continues the count', async () => {
    const dir = tmp();
    const a = join(dir, 'a.xml');
    const b = join(dir, 'b.xml');
    const rec = (ts: string) => ` <AUDIT_RECORD>\n  <TIMESTAMP>${ts} UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n </AUDIT_RECORD>\n`;
    writeFileSync(a, `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${rec('2024-01-01T00:00:00')}${rec('2024-01-01T00:00:01')}</AUDIT>\n`);
    writeFileSync(b, `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${rec('2024-01-01T00:00:01')}${rec('2024-01-01T00:00:02')}</AUDIT>\n`);
    const ids = new IdStage();
    const got = [...(await entries(a, { ids })), ...(await entries(b, { ids }))].map((x) => [x.event.timestamp, x.event.id]);
    expect(got).toEqual([
      ['2024-01-01 00:00:00', 0],
      ['2024-01-01 00:00:01', 0],
      ['2024-01-01 00:00:01', 1],
      ['2024-01-01 00:00:02', 0],
    ]);
  });
});
