import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { detectFormat } from '../src/detect.js';
import type { Entry } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { staticPassword } from '../src/layers/index.js';
import { parseAll, readAuditLog } from '../src/reader.js';
import { generateLogString } from '../bench/generate.js';
import { entriesOf, fixture, fixturePath } from './helpers.js';

async function collect(it: AsyncIterable<Entry>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('detection', () => {
  test.each([
    ['<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n <AUDIT_RECORD>\n  <NAME>Query</NAME>', 'new'],
    ['<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n  <AUDIT_RECORD\n    NAME="Query"/>', 'old'],
    ['<AUDIT_RECORD>\n  <NAME>Query</NAME>\n  <RECORD>1_2021-06-30T16:07:41</RECORD>', 'percona-new'],
    ['<AUDIT_RECORD\n  NAME="Query"\n  RECORD="1_x"\n/>', 'percona-old'],
    ['[\n{ "timestamp": "2020-10-19 19:21:33", "id": 0, "class": "audit" }', 'json'],
    ['{"audit_record":{"name":"Query"}}\n', 'percona-json'],
    ['"Query","1_x","2014-08-27T10:47:23 UTC","show_databases","37",0,"show databases"\n', 'percona-csv'],
    ['\ufeff[\n]\n', 'json'],
    ['r": "x" } },\n{ "timestamp": "2020-10-19 19:21:33", "id": 0, "class": "audit" },\n', 'json'],
    // Inputs cut short before their first record (a crashed .gz or .enc can hold just this):
    ['<?xm', 'new'],
    ['<', 'new'],
    ['[\n{ "timest', 'json'],
    ['"Quer', 'percona-csv'],
  ])('%j -> %s', (text, fmt) => {
    expect(detectFormat(Buffer.from(text), true)).toBe(fmt);
  });

  test('waits for more bytes when the start is not yet telling', () => {
    expect(detectFormat(Buffer.from('[\n'), false)).toBeNull();
    expect(detectFormat(Buffer.from('<?xml version="1.0"?>\n<AUDIT>\n'), false)).toBeNull();
  });

  test('names what it saw for formats it does not read', () => {
    const maria = fixture('public/mariadb-server-audit/server_audit.result.log-masked.csv');
    expect(() => detectFormat(maria, true, 'm.csv')).toThrow(/UNKNOWN_FORMAT: unknown format: it looks like MariaDB server_audit CSV.*saw "TIME,HOSTNAME/);
    const mcafee = fixture('public/mcafee-json/arstercz-blog-2014-mcafee-audit.json');
    expect(() => detectFormat(mcafee, true)).toThrow(/McAfee/);
    expect(() => detectFormat(Buffer.from(''), true)).toThrow(/empty/);
    expect(() => detectFormat(Buffer.from('<html><body>'), true)).toThrow(AuditLogError);
  });
});

describe('readAuditLog', () => {
  test('onError throw stops at the malformed record with its position, after the records before it', async () => {
    const seen: Entry[] = [];
    const err = await (async () => {
      for await (const e of readAuditLog(fixturePath('public/mysql-utilities/audit.log.invalid'))) seen.push(e);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditLogError);
    expect((err as AuditLogError).code).toBe('MALFORMED_RECORD');
    expect((err as AuditLogError).ctx).toMatchObject({ offset: 588, index: 2 });
    expect((err as AuditLogError).message).toMatch(/audit\.log\.invalid: byte 588: record #2: MALFORMED_RECORD/);
    expect(seen).toHaveLength(2);
  });

  test('onError skip reads on and tells onProblem', async () => {
    const problems: AuditLogError[] = [];
    const entries = await collect(readAuditLog(fixturePath('public/mysql-utilities/audit.log.invalid'), { onError: 'skip', onProblem: (e) => problems.push(e) }));
    expect(entries).toHaveLength(69);
    expect(problems.map((p) => p.code)).toEqual(['MALFORMED_RECORD']);
  });

  test('bytes, streams and paths read the same', async () => {
    const path = fixturePath('public/elastic/beats-mysql_audit_test.log');
    const bytes = fixture('public/elastic/beats-mysql_audit_test.log');
    async function* stream() {
      for (let i = 0; i < bytes.length; i += 100) yield bytes.subarray(i, i + 100);
    }
    const a = await collect(readAuditLog(path));
    const b = await collect(readAuditLog(bytes, { file: path }));
    const c = await collect(readAuditLog(stream(), { file: path }));
    expect(a).toHaveLength(31);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(parseAll(bytes, { file: path })).toEqual(a);
  });

  test('small read blocks (buffers reused by the file reader) read the same, plain and behind layers', async () => {
    for (const f of ['public/mysql-utilities/audit.log.13951424704434196.xml', 'public/percona-audit-log-filter-docs/ps-8.4-alf-json.json']) {
      const want = await collect(readAuditLog(fixturePath(f)));
      for (const blockSize of [1, 5, 32, 1000]) expect(await collect(readAuditLog(fixturePath(f), { blockSize })), `${f} @${blockSize}`).toEqual(want);
    }
  });

  test('an I/O error is IO_ERROR naming the file', async () => {
    const err = await collect(readAuditLog('/nonexistent/audit.log')).catch((e: unknown) => e);
    expect((err as AuditLogError).code).toBe('IO_ERROR');
    expect((err as AuditLogError).file).toBe('/nonexistent/audit.log');
  });
});

describe('the same payload in every encoding gives the same entries (real gzip and openssl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auditlog-reader-'));
  const plain = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');
  const gz = join(dir, 'audit.log.gz');
  writeFileSync(gz, execFileSync('gzip', ['-c', plain]));
  const enc = join(dir, 'audit.log.enc');
  execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:pw1', '-in', plain, '-out', enc], { stdio: 'ignore' });
  const gzenc = join(dir, 'audit.20190415T151322.log.gz.20190414T223342-2.enc');
  execFileSync('openssl', ['enc', '-aes-256-cbc', '-pbkdf2', '-iter', '1000', '-md', 'sha256', '-pass', 'pass:pw2', '-in', gz, '-out', gzenc], { stdio: 'ignore' });

  test('plain, .gz, .enc (EVP_BytesToKey) and .gz.enc (PBKDF2)', async () => {
    const strip = (es: Entry[]) => es.map((e) => ({ ...e, at: { ...e.at, file: '' } }));
    const want = strip(await collect(readAuditLog(plain)));
    expect(want).toHaveLength(77);
    const r1 = readAuditLog(gz);
    expect(strip(await collect(r1))).toEqual(want);
    expect(r1.layers).toEqual(['gzip']);
    const r2 = readAuditLog(enc, { password: staticPassword('pw1') });
    expect(strip(await collect(r2))).toEqual(want);
    expect(r2.layers).toEqual(['aes-256-cbc']);
    const r3 = readAuditLog(gzenc, { password: staticPassword('pw2', 1000) });
    expect(strip(await collect(r3))).toEqual(want);
    expect(r3.layers).toEqual(['aes-256-cbc', 'gzip']);
  });

  test('.gz, .enc and .gz.enc cut at every offset: the events read are a prefix of the full file, never garbage', async () => {
    const text = generateLogString({ format: 'new', records: 12, seed: 12, hostile: true });
    const src = join(dir, 'small.xml');
    writeFileSync(src, text);
    const smallGz = join(dir, 'small.xml.gz');
    writeFileSync(smallGz, execFileSync('gzip', ['-c', src]));
    const smallEnc = join(dir, 'small.xml.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:k', '-in', src, '-out', smallEnc], { stdio: 'ignore' });
    const smallGzEnc = join(dir, 'small.xml.gz.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:k', '-in', smallGz, '-out', smallGzEnc], { stdio: 'ignore' });
    const full = entriesOf(parseAll(Buffer.from(text))).map((e) => e.event);
    expect(full).toHaveLength(12);
    for (const f of [smallGz, smallEnc, smallGzEnc]) {
      const bytes = readFileSync(f);
      for (let cut = 0; cut < bytes.length; cut++) {
        const problems: AuditLogError[] = [];
        const got = (await collect(readAuditLog(bytes.subarray(0, cut), { file: f, password: staticPassword('k'), onError: 'skip', onProblem: (e) => problems.push(e) }))).map((e) => e.event);
        expect(got, `${f} cut at ${cut}`).toEqual(full.slice(0, got.length));
        expect(problems.some((p) => p.code === 'MALFORMED_RECORD'), `${f} cut at ${cut}`).toBe(false);
        if (cut > 0) expect(problems.some((p) => p.code === 'TRUNCATED_INPUT'), `${f} cut at ${cut}`).toBe(true);
      }
    }
  });

  test('a wrong password is DECRYPT_FAILED naming the file, before any entry', async () => {
    const seen: Entry[] = [];
    const err = await (async () => {
      for await (const e of readAuditLog(enc, { password: staticPassword('nope') })) seen.push(e);
    })().catch((e: unknown) => e);
    expect((err as AuditLogError).code).toBe('DECRYPT_FAILED');
    expect((err as AuditLogError).file).toBe(enc);
    expect(seen).toEqual([]);
  });
});

describe('problem reports', () => {
  test('info lists the first MAX_LISTED problems of a kind and counts them all', async () => {
    const { addProblem, MAX_LISTED } = await import('../src/info.js');
    const { inspect } = await import('../src/info.js');
    const r = await inspect(Buffer.from('[\n]\n'));
    for (let i = 0; i < MAX_LISTED + 500; i++)
      addProblem(r, new AuditLogError('MALFORMED_RECORD', 'x', { stage: 'parse', file: 'f', offset: i, index: i, recoverable: true }));
    expect(r.counts.malformed).toBe(MAX_LISTED + 500);
    expect(r.malformed).toHaveLength(MAX_LISTED);
  });
});
