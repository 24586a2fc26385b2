/** `auditlog convert` end to end: the built CLI, real gzip and openssl, files on disk. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateLog, generateLogString } from '../bench/generate.js';
import { convert } from '../src/convert.js';
import { staticPassword } from '../src/layers/index.js';
import { parseAll } from '../src/reader.js';
import { entriesOf, fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const NEW_56 = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');
const INVALID = fixturePath('public/mysql-utilities/audit.log.invalid');

function run(args: string[], input?: Buffer) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'buffer', input, maxBuffer: 1 << 28 });
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-convert-'));
}

describe('convert: output files', () => {
  test('writes -o atomically with mode 0600 and leaves no temporary file', () => {
    const dir = tmp();
    const out = join(dir, 'audit.json');
    const p = run(['convert', NEW_56, '--to', 'json', '-o', out]);
    expect(p.status).toBe(0);
    expect(p.stdout.length).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['audit.json']);
    const events = JSON.parse(readFileSync(out, 'utf8')) as unknown[];
    expect(events).toHaveLength(77);
  });

  test('--on-error fail stops at the malformed record with its position, exit 1, no output file', () => {
    const dir = tmp();
    const out = join(dir, 'out.json');
    const p = run(['convert', INVALID, '--to', 'json', '-o', out]);
    expect(p.status).toBe(1);
    expect(p.stderr.toString()).toMatch(/audit\.log\.invalid: byte 588: record #2: MALFORMED_RECORD/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('--on-error skip skips it, counts it, writes the rest and exits 1', () => {
    const dir = tmp();
    const out = join(dir, 'out.ndjson');
    const p = run(['convert', INVALID, '--to', 'ndjson', '-o', out, '--on-error', 'skip', '--json']);
    expect(p.status).toBe(1);
    const summary = JSON.parse(p.stdout.toString()) as { read: number; written: number; malformed: number; problems: { offset: number; index: number }[] };
    expect(summary).toMatchObject({ read: 69, written: 69, malformed: 1 });
    expect(summary.problems[0]).toMatchObject({ offset: 588, index: 2 });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(69);
    for (const l of lines) JSON.parse(l);
  });

  test('Ctrl-C during a conversion removes the half-written file and exits 130', async () => {
    const dir = tmp();
    const input = join(dir, 'big.xml');
    writeFileSync(input, [...generateLog({ format: 'new', bytes: 60 * 1024 * 1024, seed: 3 })].join(''));
    const out = join(dir, 'out.json');
    const child = spawn(process.execPath, [CLI, 'convert', input, '--to', 'json', '-o', out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 400 && !readdirSync(dir).some((f) => f.endsWith('.tmp')); i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(readdirSync(dir)).toEqual(['big.xml']);
  });

  test('a missing password: exit 3, MISSING_PASSWORD naming the file, no output file', () => {
    const dir = tmp();
    const enc = join(dir, 'audit.log.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:x', '-in', NEW_56, '-out', enc], { stdio: 'ignore' });
    const out = join(dir, 'out.json');
    const p = spawnSync(process.execPath, [CLI, 'convert', enc, '--to', 'json', '-o', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(p.status).toBe(3);
    expect(p.stderr).toMatch(/MISSING_PASSWORD/);
    expect(p.stderr).toContain(enc);
    expect(readdirSync(dir)).toEqual(['audit.log.enc']);
  });

  test('a wrong password: exit 3, DECRYPT_FAILED, no output file', () => {
    const dir = tmp();
    const enc = join(dir, 'audit.log.enc');
    execFileSync('openssl', ['enc', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:right', '-in', NEW_56, '-out', enc], { stdio: 'ignore' });
    writeFileSync(join(dir, 'pw'), 'wrong\n');
    const p = run(['convert', enc, '--to', 'json', '-o', join(dir, 'out.json'), '--password-file', join(dir, 'pw')]);
    expect(p.status).toBe(3);
    expect(p.stderr.toString()).toMatch(/DECRYPT_FAILED/);
    expect(readdirSync(dir).sort()).toEqual(['audit.log.enc', 'pw']);
  });
});

describe('convert: inputs, filters and formats through the CLI', () => {
  test('several inputs are one stream; stdin with -', () => {
    const a = fixturePath('public/mysql-refman/refman-9-json-event-examples.json');
    const b = fixturePath('public/ibm-guardium/audit_json.log');
    const p = run(['convert', a, '-', '--to', 'ndjson'], readFileSync(b));
    expect(p.status).toBe(0);
    const lines = p.stdout.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(11);
    expect(JSON.parse(lines[5]!)).toMatchObject({ timestamp: '2020-08-26 17:28:58', class: 'connection' });
  });

  test('filters combine: --user tester --event query --status 1000-1999', () => {
    const p = run(['convert', NEW_56, '--to', 'ndjson', '--user', 'tester', '--event', 'query', '--status', '1000-1999']);
    const events = p.stdout.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as { account: { user: string }; login: { user: string }; general_data: { status: number; command: string } });
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect([e.account.user, e.login.user]).toContain('tester');
      expect(e.general_data.command).toBe('Query');
      expect(e.general_data.status).toBeGreaterThanOrEqual(1000);
    }
    // The same selection, counted independently over the parsed file.
    const all = entriesOf(parseAll(readFileSync(NEW_56))).map((e) => e.event);
    const want = all.filter((e) => (e.account?.user === 'tester' || e.login?.user === 'tester') && e.general_data?.command === 'Query' && Number(e.general_data.status) >= 1000);
    expect(events).toEqual(want);
  });

  test('same-format conversion of a complete file is byte-identical', () => {
    for (const [f, to] of [
      [NEW_56, 'new'],
      [fixturePath('public/mysql-utilities/audit.log.13488316109086370'), 'old'],
    ] as const) {
      const p = run(['convert', f, '--to', to]);
      expect(p.status).toBe(0);
      expect(Buffer.compare(p.stdout, readFileSync(f))).toBe(0);
    }
  });

  test('an unterminated file whose last record has no newline: the footer goes on a line of its own', () => {
    const text = generateLogString({ format: 'old', records: 3, seed: 8, unterminated: true }).trimEnd();
    const p = run(['convert', '-', '--to', 'old'], Buffer.from(text));
    expect(p.stdout.toString()).toBe(text + '\n</AUDIT>\n');
  });

  test('info and convert exit 1 when a .gz is cut short, even at a record boundary', () => {
    const dir = tmp();
    const whole = execFileSync('gzip', ['-c', NEW_56]);
    const cut = join(dir, 'cut.xml.gz');
    writeFileSync(cut, whole.subarray(0, whole.length - 8)); // only the gzip trailer is missing
    const info = run(['info', '--json', cut]);
    expect(info.status).toBe(1);
    expect(JSON.parse(info.stdout.toString())).toMatchObject({ records: 77, layers: ['gzip'], notices: [expect.objectContaining({ code: 'TRUNCATED_INPUT' })] });
    expect(run(['convert', cut, '--to', 'ndjson']).status).toBe(1);
  });

  test('the source header is kept only for its own format: another XML format gets the standard header', () => {
    const p = run(['convert', fixturePath('percona/old-format-5.6-2014.xml'), '--to', 'new']);
    expect(p.status).toBe(0);
    expect(p.stdout.toString()).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<AUDIT>\n <AUDIT_RECORD>\n/);
  });

  test('an unterminated file comes out with its footer', () => {
    const text = generateLogString({ format: 'new', records: 20, seed: 8, unterminated: true });
    const p = run(['convert', '-', '--to', 'new'], Buffer.from(text));
    expect(p.status).toBe(0);
    expect(p.stdout.toString()).toBe(text + '</AUDIT>\n');
  });
});

describe('convert --compress / --encrypt interoperate with gunzip and openssl', () => {
  const dir = tmp();
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'sekret\n');
  const plain = run(['convert', NEW_56, '--to', 'json']).stdout;

  test('--compress: gunzip -c gives the plain conversion', () => {
    const out = join(dir, 'a.json.gz');
    expect(run(['convert', NEW_56, '--to', 'json', '--compress', '-o', out]).status).toBe(0);
    expect(Buffer.compare(execFileSync('gunzip', ['-c', out]), plain)).toBe(0);
    // The header zlib writes for the servers (spec section 4): no name, mtime 0, OS 3.
    expect(readFileSync(out).subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
  });

  test('--encrypt (EVP_BytesToKey): openssl enc -d -md sha256 gives the plain conversion', () => {
    const out = join(dir, 'a.json.enc');
    expect(run(['convert', NEW_56, '--to', 'json', '--encrypt', '--password-file', pw, '-o', out]).status).toBe(0);
    expect(readFileSync(out).subarray(0, 8).toString()).toBe('Salted__');
    const dec = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'sha256', '-pass', 'pass:sekret', '-in', out], { stderr: 'ignore' } as never);
    expect(Buffer.compare(dec, plain)).toBe(0);
  });

  test('--compress --encrypt --iterations (PBKDF2): openssl -pbkdf2 then gunzip gives the plain conversion; we read it back', () => {
    const out = join(dir, 'a.json.gz.enc');
    expect(run(['convert', NEW_56, '--to', 'json', '--compress', '--encrypt', '--password-file', pw, '--iterations', '1000', '-o', out]).status).toBe(0);
    const gz = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-pbkdf2', '-iter', '1000', '-md', 'sha256', '-pass', 'pass:sekret', '-in', out]);
    expect(Buffer.compare(execFileSync('gunzip', ['-c'], { input: gz }), plain)).toBe(0);
    const back = run(['convert', out, '--to', 'json', '--password-file', pw, '--iterations', '1000']);
    expect(Buffer.compare(back.stdout, plain)).toBe(0);
  });

  test('library: convert() into a path reports what it did', async () => {
    const out = join(dir, 'lib.ndjson');
    const s = await convert([NEW_56], out, { to: 'ndjson', filter: { event: ['Quit'] }, password: staticPassword('unused') });
    expect(s).toMatchObject({ read: 77, filtered: 72, written: 5, malformed: 0 });
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(5);
  });
});
