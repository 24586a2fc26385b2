/**
 * Input and output layers (src/layers): AES-256-CBC and gzip, against the real
 * `openssl` and `gzip` commands, the spec's known-answer vectors (section 3.3),
 * chunk boundaries, truncation at every offset, and flat memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { rng } from '../bench/generate.js';
import {
  createPasswordSource,
  decrypt,
  deriveKeyIv,
  encrypt,
  evpBytesToKey,
  firstLine,
  gunzip,
  gzip,
  looksLikePlaintext,
  openLayers,
  pbkdf2KeyIv,
  pbkdf2KeyIvSync,
  pwdIdFromFileName,
  staticPassword,
  wrapLayers,
  wrapOutput,
  type OpenLayersOptions,
  type PasswordSource,
} from '../src/layers/index.js';

// ---------------------------------------------------------------------------
// helpers

/** Fake NEW-format XML audit log text of at least `size` bytes. */
function fakeXml(size: number, seed = 1, footer = true): Buffer {
  const r = rng(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
  const users = ['root', 'app', 'report', 'jos\u00e9', '\u7530\u4e2d'];
  const tables = ['orders', 'customers', 'audit_test', 'caf\u00e9'];
  const parts = ['<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n'];
  let len = parts[0]!.length;
  let sec = 0;
  for (let i = 1; len < size; i++) {
    if (r() < 0.3) sec++;
    const ts = new Date(Date.UTC(2019, 9, 3, 14, 0, 0) + sec * 1000).toISOString().slice(0, 19);
    const u = pick(users);
    const q = `SELECT * FROM ${pick(tables)} WHERE id = ${Math.floor(r() * 1e6)} AND note <> &apos;${'x'.repeat(Math.floor(r() * 40))}&apos;`;
    const rec =
      ` <AUDIT_RECORD>\n  <TIMESTAMP>${ts} UTC</TIMESTAMP>\n  <RECORD_ID>${i}_2019-10-03T14:00:00</RECORD_ID>\n` +
      `  <NAME>Query</NAME>\n  <CONNECTION_ID>${1 + Math.floor(r() * 50)}</CONNECTION_ID>\n  <STATUS>0</STATUS>\n` +
      `  <STATUS_CODE>0</STATUS_CODE>\n  <USER>${u}[${u}] @ localhost [127.0.0.1]</USER>\n  <OS_LOGIN/>\n` +
      `  <HOST>localhost</HOST>\n  <IP>127.0.0.1</IP>\n  <COMMAND_CLASS>select</COMMAND_CLASS>\n` +
      `  <SQLTEXT>${q}</SQLTEXT>\n </AUDIT_RECORD>\n`;
    parts.push(rec);
    len += Buffer.byteLength(rec);
  }
  if (footer) parts.push('</AUDIT>\n');
  return Buffer.from(parts.join(''), 'utf8');
}

async function* chunked(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

async function* pieces(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

async function collect(src: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

interface ReadResult {
  layers: string[];
  out: Buffer;
  notices: AuditLogError[];
}

async function readLayers(
  input: Uint8Array | AsyncIterable<Uint8Array>,
  opts: Partial<OpenLayersOptions> = {},
  chunk = 64 * 1024,
): Promise<ReadResult> {
  const notices: AuditLogError[] = [];
  const src = input instanceof Uint8Array ? chunked(input, chunk) : input;
  const { layers, stream } = await openLayers(src, { file: 'test.file', onNotice: (e) => notices.push(e), ...opts });
  const out = await collect(stream);
  return { layers, out, notices };
}

async function rejection(p: Promise<unknown>): Promise<AuditLogError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AuditLogError);
    return e as AuditLogError;
  }
  throw new Error('expected a rejection');
}

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  return execFileSync(cmd, args, { input, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'pipe'] });
}

const P = 'P';
const evpArgs = (pass: string) => ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', `pass:${pass}`];
const pbkdf2Args = (pass: string, iter: number) => ['enc', '-aes-256-cbc', '-pbkdf2', '-iter', String(iter), '-md', 'sha256', '-pass', `pass:${pass}`];
const opensslEnc = (plain: Uint8Array, args: string[]) => run('openssl', args, plain);
const opensslDec = (enc: Uint8Array, args: string[]) => run('openssl', [...args, '-d'], enc);
const gzipCmd = (plain: Uint8Array, ...flags: string[]) => run('gzip', ['-c', ...flags], plain);
const gunzipCmd = (gz: Uint8Array) => run('gzip', ['-dc'], gz);

// ---------------------------------------------------------------------------

describe('key derivation: spec 3.3 known-answer vectors', () => {
  const plain = Buffer.from('<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n');
  const salt = Buffer.from('0011223344556677', 'hex');
  const legacyFile =
    '53616c7465645f5f00112233445566776f0b4a48a954d1bd86f2f17c27349d3079c52ce074d50d86a2e4842a9f2161c090e80e44cc82ce6ab9fa6665e321c9aa';
  const pbkdf2File =
    '53616c7465645f5f00112233445566776139ffdb124427f7c584ab85f57a282e6db8a010a159fe2b6446edd367a2877a5c9c0b480906ca9920feb5484ac4d43a';

  it('EVP_BytesToKey, SHA-256, one round (MySQL Enterprise)', async () => {
    expect(plain.length).toBe(47);
    const { key, iv } = evpBytesToKey('secret', salt);
    expect(key.toString('hex').toUpperCase()).toBe('C16B59800CFCD3E5ABAFE33442C172A72903D2EB140FFECFE510190B351F86F8');
    expect(iv.toString('hex').toUpperCase()).toBe('D76B2FB1922B350C5E9DE318C5C5906C');
    const d = await deriveKeyIv('secret', salt);
    expect(d.key.equals(key) && d.iv.equals(iv)).toBe(true);
  });

  it('PBKDF2-HMAC-SHA256, 60000 iterations (Percona)', async () => {
    const { key, iv } = pbkdf2KeyIvSync('secret', salt, 60000);
    expect(key.toString('hex').toUpperCase()).toBe('F4F7E288A589B0DC0634926276DEF36F05AF525E96CCA92149E0D0325B734359');
    expect(iv.toString('hex').toUpperCase()).toBe('AF6E151DABC7BEF426B798F9AA02A821');
    const a = await pbkdf2KeyIv('secret', salt, 60000);
    const d = await deriveKeyIv('secret', salt, 60000);
    expect(a.key.equals(key) && a.iv.equals(iv) && d.key.equals(key) && d.iv.equals(iv)).toBe(true);
  });

  it('encrypt with the vector salt gives the vector files byte for byte', async () => {
    expect((await collect(encrypt(pieces([plain]), { password: 'secret', salt }))).toString('hex')).toBe(legacyFile);
    expect((await collect(encrypt(pieces([plain]), { password: 'secret', salt, iterations: 60000 }))).toString('hex')).toBe(pbkdf2File);
  });

  it('decrypt reads the vector files back, and openssl agrees', async () => {
    const notices: AuditLogError[] = [];
    const onNotice = (e: AuditLogError) => notices.push(e);
    const l = Buffer.from(legacyFile, 'hex');
    const p = Buffer.from(pbkdf2File, 'hex');
    expect((await collect(decrypt(pieces([l]), { password: 'secret', onNotice }))).equals(plain)).toBe(true);
    expect((await collect(decrypt(pieces([p]), { password: 'secret', iterations: 60000, onNotice }))).equals(plain)).toBe(true);
    expect(notices).toEqual([]);
    expect(opensslDec(l, evpArgs('secret')).equals(plain)).toBe(true);
    expect(opensslDec(p, pbkdf2Args('secret', 60000)).equals(plain)).toBe(true);
  });

  it('the first-block check accepts audit text and gzip, and rejects random blocks', () => {
    for (const s of ['<?xml version="1.0"', '[\n{ "timestamp"', '{"audit_record":', '"Query","1_2019', '  \r\n\t<AUDIT>', '\ufeff<?xml', '<a>caf\u00e9 \u7530\u4e2d']) {
      expect(looksLikePlaintext(Buffer.from(s, 'utf8')), s).toBe(true);
    }
    expect(looksLikePlaintext(Buffer.from('1f8b0800000000000003', 'hex'))).toBe(true);
    expect(looksLikePlaintext(Buffer.from('Salted__12345678'))).toBe(false);
    const r = rng(7);
    let passed = 0;
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.alloc(16);
      for (let k = 0; k < 16; k++) b[k] = Math.floor(r() * 256);
      if (looksLikePlaintext(b)) passed++;
    }
    expect(passed).toBe(0);
  });
});

describe('interoperability with openssl and gzip', () => {
  let dir: string;
  let plain: Buffer;
  let second: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auditlog-layers-'));
    plain = fakeXml(300_000, 1);
    second = fakeXml(120_000, 2);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('files from `openssl enc -md sha256` and `-pbkdf2 -iter 1000 -md sha256` decrypt to identical bytes', async () => {
    const legacy = opensslEnc(plain, evpArgs(P));
    const pb = opensslEnc(plain, pbkdf2Args(P, 1000));
    expect(legacy.subarray(0, 8).toString()).toBe('Salted__');
    expect(pb.subarray(0, 8).toString()).toBe('Salted__');
    const a = await readLayers(legacy, { password: staticPassword(P) });
    const b = await readLayers(pb, { password: staticPassword(P, 1000) });
    expect(a.layers).toEqual(['aes-256-cbc']);
    expect(b.layers).toEqual(['aes-256-cbc']);
    expect(a.out.equals(plain)).toBe(true);
    expect(b.out.equals(plain)).toBe(true);
    expect([...a.notices, ...b.notices]).toEqual([]);
    // decrypt() directly, with odd chunk sizes and a small batch
    const c = await collect(decrypt(chunked(pb, 4099), { password: P, iterations: 1000, batchSize: 8192 }));
    expect(c.equals(plain)).toBe(true);
  });

  it('gzip, multi-member gzip, gzip inside AES and AES inside gzip read back identically', async () => {
    const gz = gzipCmd(plain); // stores no name (stdin)
    writeFileSync(join(dir, 'second.xml'), second);
    const gz2 = run('gzip', ['-9', '-c', join(dir, 'second.xml')]); // FNAME set, level 9
    expect(gz2[3]! & 8).toBe(8);
    const multi = Buffer.concat([gz, gz2]);

    const r1 = await readLayers(gz);
    expect(r1.layers).toEqual(['gzip']);
    expect(r1.out.equals(plain)).toBe(true);

    const r2 = await readLayers(multi, {}, 10_000);
    expect(r2.layers).toEqual(['gzip']);
    expect(r2.out.equals(Buffer.concat([plain, second]))).toBe(true);
    expect(gunzipCmd(multi).equals(r2.out)).toBe(true);

    const gzEnc = opensslEnc(gz, pbkdf2Args(P, 1000));
    const r3 = await readLayers(gzEnc, { password: staticPassword(P, 1000) });
    expect(r3.layers).toEqual(['aes-256-cbc', 'gzip']);
    expect(r3.out.equals(plain)).toBe(true);

    const encGz = gzipCmd(opensslEnc(plain, evpArgs(P)));
    const r4 = await readLayers(encGz, { password: staticPassword(P) });
    expect(r4.layers).toEqual(['gzip', 'aes-256-cbc']);
    expect(r4.out.equals(plain)).toBe(true);

    const r5 = await readLayers(plain);
    expect(r5.layers).toEqual([]);
    expect(r5.out.equals(plain)).toBe(true);

    for (const r of [r1, r2, r3, r4, r5]) expect(r.notices).toEqual([]);
  });

  it('what we encrypt decrypts with `openssl enc -d`, byte-identical', async () => {
    const a = await collect(encrypt(chunked(plain, 1000), { password: P }));
    const b = await collect(encrypt(chunked(plain, 70_000), { password: P, iterations: 1000 }));
    expect(a.subarray(0, 8).toString()).toBe('Salted__');
    expect(opensslDec(a, evpArgs(P)).equals(plain)).toBe(true);
    expect(opensslDec(b, pbkdf2Args(P, 1000)).equals(plain)).toBe(true);
    // a fresh random salt each time
    const c = await collect(encrypt(pieces([plain]), { password: P }));
    expect(c.subarray(8, 16).equals(a.subarray(8, 16))).toBe(false);
    // empty plaintext: one padding block
    const e = await collect(encrypt(pieces([]), { password: P }));
    expect(e.length).toBe(32);
    expect(opensslDec(e, evpArgs(P)).length).toBe(0);
    expect((await readLayers(e, { password: staticPassword(P) })).out.length).toBe(0);
  });

  it('what we compress `gunzip -c` reads back, byte-identical, with the servers\' header', async () => {
    const gz = await collect(gzip(chunked(plain, 333)));
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
    expect(gunzipCmd(gz).equals(plain)).toBe(true);
    const empty = await collect(gzip(pieces([])));
    expect(gunzipCmd(empty).length).toBe(0);
    expect((await readLayers(empty)).out.length).toBe(0);
  });

  it('wrapOutput (gzip inside AES) reads with openssl + gunzip and with openLayers', async () => {
    for (const iterations of [undefined, 1000]) {
      const out = await collect(wrapOutput(chunked(plain, 4096), { compress: true, encrypt: { password: P, iterations } }));
      const gz = opensslDec(out, iterations === undefined ? evpArgs(P) : pbkdf2Args(P, iterations));
      expect(gunzipCmd(gz).equals(plain)).toBe(true);
      const r = await readLayers(out, { password: staticPassword(P, iterations) });
      expect(r.layers).toEqual(['aes-256-cbc', 'gzip']);
      expect(r.out.equals(plain)).toBe(true);
    }
    expect((await collect(wrapOutput(pieces([plain])))).equals(plain)).toBe(true);
    expect(gunzipCmd(await collect(wrapOutput(pieces([plain]), { compress: true }))).equals(plain)).toBe(true);
  });

  it('a wrong password or iteration count is DECRYPT_FAILED naming the file, with no output', async () => {
    const legacy = opensslEnc(plain, evpArgs(P));
    const pb = opensslEnc(plain, pbkdf2Args(P, 1000));
    const gzEnc = opensslEnc(gzipCmd(plain), pbkdf2Args(P, 1000));
    const cases: [Buffer, PasswordSource][] = [
      [legacy, staticPassword('wrong')],
      [legacy, staticPassword(P, 1000)], // PBKDF2 guess for an EVP file
      [pb, staticPassword(P, 1001)], // wrong iteration count
      [pb, staticPassword(P)], // EVP guess for a PBKDF2 file
      [pb, staticPassword('p', 1000)],
      [gzEnc, staticPassword(P, 999)],
    ];
    for (const [file, password] of cases) {
      const e = await rejection(openLayers(chunked(file, 65536), { file: 'audit.log.20190403T142359-1.enc', password }));
      expect(e.code).toBe('DECRYPT_FAILED');
      expect(e.file).toBe('audit.log.20190403T142359-1.enc');
      expect(e.message).toContain('audit.log.20190403T142359-1.enc');
      expect(e.message).toContain('wrong password or iteration count');
    }
    // decrypt() itself throws before yielding anything
    let yielded = 0;
    const e = await rejection(
      (async () => {
        for await (const _ of decrypt(chunked(legacy, 1000), { file: 'x.enc', password: 'nope' })) yielded++;
      })(),
    );
    expect(e.code).toBe('DECRYPT_FAILED');
    expect(yielded).toBe(0);
    // not an OpenSSL file at all
    expect((await rejection(collect(decrypt(pieces([plain]), { file: 'x', password: P })))).code).toBe('DECRYPT_FAILED');
  });

  it('an encrypted input without a password is MISSING_PASSWORD naming the file', async () => {
    const legacy = opensslEnc(plain.subarray(0, 5000), evpArgs(P));
    const e = await rejection(openLayers(pieces([legacy]), { file: 'audit.20190415T151322.log.20190414T223342-2.enc' }));
    expect(e.code).toBe('MISSING_PASSWORD');
    expect(e.message).toContain('audit.20190415T151322.log.20190414T223342-2.enc');
    expect(e.message).toContain('20190414T223342-2');
    const e2 = await rejection(
      openLayers(pieces([legacy]), { file: 'audit.log.enc', password: createPasswordSource({ passwordMap: { '20190101T000000-1': 'x' } }) }),
    );
    expect(e2.code).toBe('MISSING_PASSWORD');
    expect(e2.message).toContain('audit_log');
  });

  it('splits at every byte (two chunks) and one-byte chunks read the same', async () => {
    const small = fakeXml(1500, 3);
    const small2 = fakeXml(900, 4);
    const multi = Buffer.concat([gzipCmd(small), gzipCmd(small2, '-1')]);
    const gzEnc = await collect(wrapOutput(pieces([small]), { compress: true, encrypt: { password: P } }));
    const both = Buffer.concat([small, small2]);
    for (const [file, want] of [
      [multi, both],
      [gzEnc, small],
    ] as const) {
      for (let i = 0; i <= file.length; i++) {
        const r = await readLayers(pieces([file.subarray(0, i), file.subarray(i)]), { password: staticPassword(P) });
        if (!r.out.equals(want) || r.notices.length > 0) throw new Error(`split at ${i}: ${r.notices.map((n) => n.message)}`);
      }
      const r = await readLayers(file, { password: staticPassword(P) }, 1);
      expect(r.out.equals(want)).toBe(true);
      expect(r.notices).toEqual([]);
    }
  });

  it('trailing zeros are ignored; garbage, corruption and a bad CRC after output are notices, output kept', async () => {
    const gz = gzipCmd(plain);
    const zeros = await readLayers(Buffer.concat([gz, Buffer.alloc(1000)]));
    expect(zeros.out.equals(plain)).toBe(true);
    expect(zeros.notices).toEqual([]);

    // garbage after a member, in the same chunk as the member's end: nothing inflated is lost
    for (const chunk of [1 << 20, 4096]) {
      const g = await readLayers(Buffer.concat([gz, Buffer.from('GARBAGE after the member')]), {}, chunk);
      expect(g.out.equals(plain)).toBe(true);
      expect(g.notices.map((n) => n.code)).toEqual(['DECOMPRESS_FAILED']);
      expect(g.notices[0]!.offset).toBe(gz.length);
      expect(g.notices[0]!.file).toBe('test.file');
    }

    // corrupt deflate data in the middle: a notice, what came before is kept
    const bad = Buffer.from(gz);
    for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) bad[i] = 0xff;
    const c = await readLayers(bad, {}, 8192);
    // (the damage may end the deflate data early: then the CRC check and the bytes after it are reported too)
    expect(c.notices.length).toBeGreaterThanOrEqual(1);
    expect(c.notices.every((n) => n.code === 'DECOMPRESS_FAILED')).toBe(true);
    expect(c.out.length).toBeGreaterThan(plain.length / 3);
    const firstDiff = c.out.findIndex((b, i) => b !== plain[i]);
    expect(firstDiff === -1 || firstDiff > plain.length / 3).toBe(true);

    // bad CRC: the data is out already, the notice says so
    const crc = Buffer.from(gz);
    crc[crc.length - 8]! ^= 1;
    const k = await readLayers(crc);
    expect(k.out.equals(plain)).toBe(true);
    expect(k.notices.map((n) => n.code)).toEqual(['DECOMPRESS_FAILED']);

    // corrupt before any output: thrown
    const head = Buffer.from(gz);
    head[10] = 0xff;
    head[11] = 0xff;
    expect((await rejection(readLayers(head))).code).toBe('DECOMPRESS_FAILED');
    expect((await rejection(collect(gunzip(pieces([plain]), { file: 'plain.xml' })))).code).toBe('DECOMPRESS_FAILED');
  });
});

describe('truncation at every offset', () => {
  // compressed kinds from a larger text, so that the .gz itself is a few KB
  const plainGz = fakeXml(64_000, 5);
  const plainEnc = fakeXml(5_000, 6);
  const files: Record<string, { bytes: Buffer; plain: Buffer }> = {};
  beforeAll(() => {
    files.gz = { bytes: gzipCmd(plainGz), plain: plainGz };
    files.enc = { bytes: opensslEnc(plainEnc, evpArgs(P)), plain: plainEnc };
    files['gz.enc'] = { bytes: opensslEnc(gzipCmd(plainGz), evpArgs(P)), plain: plainGz };
    files['gz.enc (pbkdf2)'] = { bytes: opensslEnc(gzipCmd(plainGz), pbkdf2Args(P, 1000)), plain: plainGz };
  });

  for (const kind of ['gz', 'enc', 'gz.enc', 'gz.enc (pbkdf2)']) {
    it(`.${kind}: every cut yields a prefix of the plain bytes, and a TRUNCATED_INPUT notice`, async () => {
      const { bytes: file, plain } = files[kind]!;
      expect(file.length).toBeGreaterThan(2500);
      const password = staticPassword(P, kind.includes('pbkdf2') ? 1000 : undefined);
      const step = kind.includes('pbkdf2') ? 7 : 1; // PBKDF2 costs a key derivation per cut
      let maxOut = 0;
      for (let cut = 0; cut <= file.length; cut = cut < file.length ? Math.min(cut + step, file.length) : cut + 1) {
        const r = await readLayers(file.subarray(0, cut), { password, file: `audit.log.${kind}` }, 512);
        const where = `.${kind} cut at ${cut} of ${file.length}`;
        if (!plain.subarray(0, r.out.length).equals(r.out)) throw new Error(`${where}: output is not a prefix of the plain bytes`);
        if (cut === file.length) {
          expect(r.out.equals(plain), where).toBe(true);
          expect(r.notices, where).toEqual([]);
        } else if (cut > 0) {
          if (!r.notices.some((n) => n.code === 'TRUNCATED_INPUT')) throw new Error(`${where}: no TRUNCATED_INPUT notice`);
          if (r.notices.some((n) => n.code !== 'TRUNCATED_INPUT')) throw new Error(`${where}: ${r.notices[0]!.message}`);
          for (const n of r.notices) {
            expect(n.file).toBe(`audit.log.${kind}`);
            expect(n.offset).toBeLessThanOrEqual(cut);
          }
          expect(r.layers[0], where).toBe(kind === 'gz' ? 'gzip' : 'aes-256-cbc');
        }
        maxOut = Math.max(maxOut, r.out.length);
      }
      expect(maxOut).toBe(plain.length);
    });
  }

  it('the notice offsets: AES stops at the last full block, gzip at the bytes consumed', async () => {
    const enc = files.enc!.bytes;
    const cut = enc.length - 20; // a partial block of 12 bytes after 16 + 16k
    const r = await readLayers(enc.subarray(0, cut), { password: staticPassword(P) });
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]!.offset).toBe(cut - ((cut - 16) % 16));
    expect(r.notices[0]!.ctx.end).toBe(cut);
    const r2 = await readLayers(enc.subarray(0, enc.length - 16), { password: staticPassword(P) });
    expect(r2.notices[0]!.offset).toBe(enc.length - 16);
    const gz = files.gz!.bytes;
    const half = Math.floor(gz.length / 2);
    const r3 = await readLayers(gz.subarray(0, half));
    expect(r3.notices).toHaveLength(1);
    expect(r3.notices[0]!.offset).toBe(half);
    expect(r3.notices[0]!.ctx.stage).toBe('decompress');
  });
});

describe('passwords', () => {
  let dir: string;
  const plain = fakeXml(20_000, 9);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auditlog-pw-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the pwd_id in rotated and active file names', () => {
    expect(pwdIdFromFileName('audit.20190415T151322.log.20190414T223342-2.enc')).toBe('20190414T223342-2');
    expect(pwdIdFromFileName('/var/lib/mysql/audit.log.gz.20190403T142359-1.enc')).toBe('20190403T142359-1');
    expect(pwdIdFromFileName('audit_filter.20250401T120000.log.gz.20230417T082215-1.enc')).toBe('20230417T082215-1');
    expect(pwdIdFromFileName('audit.log.enc')).toBeUndefined();
    expect(pwdIdFromFileName('audit.20190415T151322.log.gz.enc')).toBeUndefined();
    expect(pwdIdFromFileName('-')).toBeUndefined();
  });

  it('a password file (first line, line break stripped) and an environment variable', async () => {
    const enc = opensslEnc(plain, evpArgs('s3cret pass'));
    writeFileSync(join(dir, 'pw.txt'), 's3cret pass\nsecond line\n');
    writeFileSync(join(dir, 'pw-crlf.txt'), 's3cret pass\r\n');
    writeFileSync(join(dir, 'pw-bare.txt'), 's3cret pass');
    expect(firstLine('a\r\nb')).toBe('a');
    for (const f of ['pw.txt', 'pw-crlf.txt', 'pw-bare.txt']) {
      const r = await readLayers(enc, { password: createPasswordSource({ passwordFile: join(dir, f) }) });
      expect(r.out.equals(plain)).toBe(true);
    }
    const env = { AUDIT_PW: 's3cret pass' };
    const r = await readLayers(enc, { password: createPasswordSource({ passwordEnv: 'AUDIT_PW', env }) });
    expect(r.out.equals(plain)).toBe(true);
    const pb = opensslEnc(plain, pbkdf2Args('s3cret pass', 1234));
    const r2 = await readLayers(pb, { password: createPasswordSource({ passwordEnv: 'AUDIT_PW', env, iterations: 1234 }) });
    expect(r2.out.equals(plain)).toBe(true);
    const e = await rejection(openLayers(pieces([enc]), { file: 'a.enc', password: createPasswordSource({ passwordEnv: 'NOPE', env }) }));
    expect(e.code).toBe('MISSING_PASSWORD');
    expect(e.message).toContain('NOPE');
    const io = await rejection(openLayers(pieces([enc]), { file: 'a.enc', password: createPasswordSource({ passwordFile: join(dir, 'none') }) }));
    expect(io.code).toBe('IO_ERROR');
  });

  it('a password map keyed by pwd_id reads a directory under several passwords in one run', async () => {
    const map = {
      '20190403T142359-1': { password: 'first', iterations: 1000 },
      '20190414T223342-2': { password: 'second' },
      audit_log: { password: 'legacy' },
    };
    writeFileSync(join(dir, 'map.json'), JSON.stringify(map));
    const source = createPasswordSource({ passwordMapFile: join(dir, 'map.json') });
    const files: [string, Buffer][] = [
      ['audit.20190410T000000.log.20190403T142359-1.enc', opensslEnc(plain, pbkdf2Args('first', 1000))],
      ['audit.20190415T151322.log.gz.20190414T223342-2.enc', opensslEnc(gzipCmd(plain), evpArgs('second'))],
      ['audit.20180101T000000.log.enc', opensslEnc(plain, evpArgs('legacy'))],
    ];
    for (const [name, bytes] of files) {
      const r = await readLayers(bytes, { file: name, password: source });
      expect(r.out.equals(plain), name).toBe(true);
    }
    const missing = await rejection(openLayers(pieces([files[0]![1]]), { file: 'audit.log.20200101T000000-1.enc', password: source }));
    expect(missing.code).toBe('MISSING_PASSWORD');
    expect(missing.file).toBe('audit.log.20200101T000000-1.enc');
    // a map entry wins over the single password; the single password fills the gaps
    const mixed = createPasswordSource({ passwordMap: map, passwordEnv: 'PW', env: { PW: 'legacy' } });
    expect(await mixed.get('x.20190403T142359-1.enc')).toEqual({ password: 'first', iterations: 1000 });
    expect(await mixed.get('x.20200101T000000-1.enc')).toEqual({ password: 'legacy' });
  });

  it('bad maps and iteration counts are INVALID_OPTION', async () => {
    writeFileSync(join(dir, 'bad.json'), '{"a": ');
    expect((await rejection(createPasswordSource({ passwordMapFile: join(dir, 'bad.json') }).get('a.enc'))).code).toBe('INVALID_OPTION');
    expect((await rejection(createPasswordSource({ passwordMap: { x: { password: 'p', iterations: 0 } } }).get('a.enc'))).code).toBe(
      'INVALID_OPTION',
    );
    expect((await rejection(createPasswordSource({ passwordMap: { x: { pass: 'p' } } }).get('a.enc'))).code).toBe('INVALID_OPTION');
    expect(() => staticPassword('p', 1.5)).toThrow(AuditLogError);
    expect(() => wrapOutput(pieces([]), { encrypt: { password: 'p', iterations: -1 } })).toThrow(/iteration/);
  });

  it('the prompt hook is asked last, with the file and its pwd_id', async () => {
    const enc = opensslEnc(plain, pbkdf2Args('typed', 1000));
    const asked: unknown[] = [];
    const source = createPasswordSource({
      passwordMap: { audit_log: 'other' },
      prompt: async (file, info) => {
        asked.push([file, info]);
        return { password: 'typed', iterations: 1000 };
      },
    });
    const name = 'audit.log.20190403T142359-1.enc';
    const r = await readLayers(enc, { file: name, password: source });
    expect(r.out.equals(plain)).toBe(true);
    expect(asked).toEqual([[name, { pwdId: '20190403T142359-1' }]]);
    // A second file with the same pwd_id does not ask again.
    const again = await readLayers(enc, { file: 'audit.20190404T000000.log.20190403T142359-1.enc', password: source });
    expect(again.out.equals(plain)).toBe(true);
    expect(asked).toHaveLength(1);
    const giveUp = createPasswordSource({ prompt: async () => undefined });
    expect((await rejection(openLayers(pieces([enc]), { file: name, password: giveUp }))).code).toBe('MISSING_PASSWORD');
  });
});

describe('memory', () => {
  it('stays flat through gzip + AES and back (64 MiB)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const block = fakeXml(256 * 1024, 11, false).subarray(60); // records only
    const total = 64 << 20;
    let produced = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      // fresh buffers, 16 KiB to 256 KiB, as a writer would hand them over
      const r = rng(3);
      while (produced < total) {
        const n = Math.min(total - produced, 16384 + Math.floor(r() * 240 * 1024));
        const start = produced % (block.length - n);
        produced += n;
        yield Buffer.from(block.subarray(start, start + n));
      }
    }
    gc();
    const base = process.memoryUsage();
    let peak = 0;
    let got = 0;
    let nextCheck = 0;
    const sample = () => {
      gc();
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed - base.heapUsed + (m.arrayBuffers - base.arrayBuffers));
    };
    const wrapped = wrapOutput(source(), { compress: true, encrypt: { password: P } });
    const { layers, stream } = await openLayers(wrapped, { file: 'big.gz.enc', password: staticPassword(P) });
    expect(layers).toEqual(['aes-256-cbc', 'gzip']);
    for await (const c of stream) {
      got += c.length;
      if (got >= nextCheck) {
        sample();
        nextCheck += 4 << 20;
      }
    }
    sample();
    expect(got).toBe(total);
    // a whole-file buffer would be 64 MiB of plain text plus its compressed copy
    expect(peak).toBeLessThan(24 << 20);
  });
});

describe('openLayers says what it learned; wrapLayers writes the same layers again', () => {
  const plain = fakeXml(3000, 9);
  const cases: [string, string[], number | undefined][] = [
    ['gzip', ['gzip'], undefined],
    ['aes, EVP_BytesToKey', ['aes-256-cbc'], undefined],
    ['aes, PBKDF2', ['aes-256-cbc'], 1234],
    ['gzip inside aes, PBKDF2', ['aes-256-cbc', 'gzip'], 2000],
  ];
  for (const [name, layers, iterations] of cases) {
    it(name, async () => {
      const wrapped = await collect(
        wrapOutput(chunked(plain, 700), {
          compress: layers.includes('gzip'),
          ...(layers.includes('aes-256-cbc') ? { encrypt: iterations === undefined ? { password: 'pw' } : { password: 'pw', iterations } } : {}),
        }),
      );
      const opened = await openLayers(chunked(wrapped, 500), { file: 'x', password: staticPassword('pw', iterations) });
      expect(opened.layers).toEqual(layers);
      const want = layers.map((l) => (l === 'gzip' ? { layer: 'gzip' } : iterations === undefined ? { layer: l, kdf: 'evp-bytes-to-key' } : { layer: l, kdf: 'pbkdf2', iterations }));
      // The password is there but not enumerable: printing a detail does not show it.
      expect(JSON.parse(JSON.stringify(opened.details))).toEqual(want);
      for (const d of opened.details) if (d.layer === 'aes-256-cbc') expect(d.password).toBe('pw');
      expect((await collect(opened.stream)).equals(plain)).toBe(true);
      const again = await collect(wrapLayers(chunked(plain, 999), opened.details));
      if (layers[0] === 'aes-256-cbc') {
        // A fresh salt: not the same bytes, but the real openssl opens it with the same derivation.
        expect(again.subarray(8, 16).equals(wrapped.subarray(8, 16))).toBe(false);
        const kdf = iterations === undefined ? ['-md', 'sha256'] : ['-md', 'sha256', '-pbkdf2', '-iter', String(iterations)];
        const dec = run('openssl', ['enc', '-d', '-aes-256-cbc', ...kdf, '-pass', 'pass:pw'], again);
        expect((layers[1] === 'gzip' ? run('gunzip', ['-c'], dec) : dec).equals(plain)).toBe(true);
      } else {
        expect(run('gunzip', ['-c'], again).equals(plain)).toBe(true);
      }
    });
  }
});
