/**
 * repair on .gz, .enc (both key derivations) and .gz.enc files: at every cut
 * point the repaired file is a valid file of the same kind (checked in-process
 * with node:zlib and node:crypto with strict padding, and for a sample of cut
 * points with the real gunzip and openssl), re-encrypted with the same
 * password and key derivation under a fresh salt, and holds exactly the
 * complete records of what the layers still hold.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createDecipheriv } from 'node:crypto';
import { join } from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditLogError } from '../src/errors.js';
import { evpBytesToKey, pbkdf2KeyIvSync, staticPassword } from '../src/layers/index.js';
import { repairBuffer } from '../src/repair/index.js';
import { ROOT, fixture, fixturePath } from './helpers.js';
import { SCRATCH, recordEnds, strictRecords } from './repair-oracle.js';

const PLAIN = fixture('percona/old-format-5.6-2014.xml');
const CLI = join(ROOT, 'bin', 'run.js');

interface Case {
  name: string;
  file: string;
  gzip: boolean;
  aes?: { password: string; iterations?: number };
}
const CASES: Case[] = [
  { name: '.gz', file: 'layered/audit.log.gz', gzip: true },
  { name: '.enc, EVP_BytesToKey', file: 'layered/audit.20140429T092940.log.enc', gzip: false, aes: { password: 'mysql-enterprise-pw' } },
  { name: '.enc, PBKDF2', file: 'layered/audit.20140429T092940.log.20140429T092940-1.enc', gzip: false, aes: { password: 'percona-pw', iterations: 1000 } },
  { name: '.gz.enc, PBKDF2', file: 'layered/audit.20140429T092940.log.gz.20140429T092940-2.enc', gzip: true, aes: { password: 'percona-gz-pw', iterations: 1500 } },
];

const derived = new Map<string, { key: Buffer; iv: Buffer }>();
function keyIv(c: Case, salt: Buffer) {
  const id = `${c.name}:${salt.toString('hex')}`;
  let k = derived.get(id);
  if (!k) derived.set(id, (k = c.aes!.iterations === undefined ? evpBytesToKey(c.aes!.password, salt) : pbkdf2KeyIvSync(c.aes!.password, salt, c.aes!.iterations)));
  return k;
}

/** What the layers of a cut file still hold, by node:crypto and node:zlib directly. */
function held(c: Case, bytes: Buffer): Buffer {
  let b = bytes;
  if (c.aes) {
    if (b.length < 32) return Buffer.alloc(0);
    const { key, iv } = keyIv(c, b.subarray(8, 16));
    const d = createDecipheriv('aes-256-cbc', key, iv);
    const whole = b.length === bytes.length && b.length % 16 === 0;
    d.setAutoPadding(false);
    const body = b.subarray(16, 16 + Math.floor((b.length - 16) / 16) * 16);
    b = d.update(body);
    // A clean last block carries PKCS#7 padding.
    const pad = b[b.length - 1]!;
    if (whole && pad >= 1 && pad <= 16 && b.subarray(b.length - pad).every((x) => x === pad)) b = b.subarray(0, b.length - pad);
  }
  if (c.gzip) {
    try {
      b = zlib.gunzipSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      b = Buffer.alloc(0);
    }
  }
  return b;
}

/** Open a repaired file strictly: valid gzip to its end, valid PKCS#7 padding. */
function openStrict(c: Case, out: Buffer, inputSalt?: Buffer): Buffer {
  let b = out;
  if (c.aes) {
    expect(b.subarray(0, 8).toString('latin1')).toBe('Salted__');
    if (inputSalt) expect(b.subarray(8, 16).equals(inputSalt)).toBe(false);
    const { key, iv } = keyIv(c, b.subarray(8, 16));
    const d = createDecipheriv('aes-256-cbc', key, iv);
    b = Buffer.concat([d.update(b.subarray(16)), d.final()]);
  }
  return c.gzip ? zlib.gunzipSync(b) : b;
}

describe('repair of layered files at every cut point', () => {
  for (const c of CASES) {
    it(`${c.name}: valid file of the same kind, the complete records of what the layers hold`, async () => {
      const file = fixture(c.file);
      const password = c.aes ? staticPassword(c.aes.password, c.aes.iterations) : undefined;
      const sample = new Set(fc.sample(fc.integer({ min: 1, max: file.length - 1 }), { seed: 7, numRuns: 6 }));
      let realChecked = 0;
      for (let k = 0; k <= file.length; k++) {
        const input = file.subarray(0, k);
        const plain = held(c, input);
        let res;
        try {
          res = await repairBuffer(input, password ? { password } : {}, c.file);
        } catch (e) {
          // Nothing held yet (or no more than a few header bytes): not an audit log.
          expect((e as AuditLogError).code, `cut ${k}`).toBe('UNKNOWN_FORMAT');
          expect(plain.length, `cut ${k}`).toBeLessThan(8);
          continue;
        }
        const { bytes: out, report } = res;
        expect(report.layers.map((l) => l.layer)).toEqual(c.aes ? (c.gzip ? ['aes-256-cbc', 'gzip'] : ['aes-256-cbc']) : ['gzip']);
        if (c.aes) expect(report.layers[0]).toMatchObject(c.aes.iterations ? { kdf: 'pbkdf2', iterations: c.aes.iterations } : { kdf: 'evp-bytes-to-key' });
        if (k === file.length) {
          expect(report.whole).toBe(true);
          expect(out.equals(file)).toBe(true);
          continue;
        }
        expect(report.whole, `cut ${k}`).toBe(false);
        const content = openStrict(c, out, k >= 16 && c.aes ? file.subarray(8, 16) : undefined);
        // Exactly the complete records of what was held, byte for byte, then the footer.
        const ends = recordEnds(PLAIN, 'old').filter((e) => e <= plain.length);
        expect(PLAIN.subarray(0, plain.length).equals(plain)).toBe(true);
        if (ends.length) {
          const want = plain.length === PLAIN.length ? PLAIN : Buffer.concat([PLAIN.subarray(0, ends[ends.length - 1]), Buffer.from('\n</AUDIT>\n')]);
          expect(content.toString('latin1'), `cut ${k}`).toBe(want.toString('latin1'));
        }
        expect(strictRecords(content, 'xml', 'old')).toBe(ends.length);
        expect(report.recordsKept).toBe(ends.length);
        if (sample.has(k)) {
          realChecked++;
          // The real tools accept it.
          let dec = out;
          if (c.aes) {
            const kdf = c.aes.iterations ? ['-pbkdf2', '-iter', String(c.aes.iterations)] : [];
            dec = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'sha256', ...kdf, '-pass', `pass:${c.aes.password}`], { input: out, stdio: ['pipe', 'pipe', 'pipe'] });
          }
          if (c.gzip) {
            expect(spawnSync('gunzip', ['-t'], { input: dec }).status).toBe(0);
            dec = execFileSync('gunzip', ['-c'], { input: dec });
          }
          expect(dec.equals(content)).toBe(true);
        }
      }
      expect(realChecked).toBeGreaterThan(0);
    }, 300_000);
  }

  it('CLI --in-place on a .gz.<pwd_id>.enc with a password map: same name, same password, same iterations, fresh salt', () => {
    const c = CASES[3]!;
    const f = join(SCRATCH, 'audit.20140429T092940.log.gz.20140429T092940-2.enc');
    copyFileSync(fixturePath(c.file), f);
    const whole = readFileSync(f);
    const cut = whole.subarray(0, whole.length - 40);
    writeFileSync(f, cut);
    const map = fixturePath('layered/passwords.json');
    const check = spawnSync(process.execPath, [CLI, 'repair', f, '--password-map', map, '--check'], { encoding: 'utf8' });
    expect(check.status).toBe(1);
    const p = spawnSync(process.execPath, [CLI, 'repair', f, '--password-map', map, '--in-place', '--json'], { encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const report = JSON.parse(p.stdout);
    expect(report.backup).toBe(`${f}.bak`);
    expect(readFileSync(`${f}.bak`).equals(cut)).toBe(true);
    const out = readFileSync(f);
    const dec = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'sha256', '-pbkdf2', '-iter', '1500', '-pass', 'pass:percona-gz-pw'], { input: out });
    expect(spawnSync('gunzip', ['-t'], { input: dec }).status).toBe(0);
    expect(strictRecords(execFileSync('gunzip', ['-c'], { input: dec }), 'xml', 'old')).toBe(report.recordsKept);
    const after = spawnSync(process.execPath, [CLI, 'repair', f, '--password-map', map, '--check'], { encoding: 'utf8' });
    expect(after.status).toBe(0);
  });
});
