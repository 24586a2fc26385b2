/**
 * How the CLI ends: stdout and stderr flushed on every exit whatever the
 * code, EPIPE quiet, other stdout errors one line and exit 3, stdin read when
 * no file is given, and no input content in error messages.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const NEW_56 = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-exit-'));
}

/** An OLD XML file with `n` malformed records (a record without its "/>"), each followed by a good one. */
function malformedLog(n: number): Buffer {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n'];
  for (let i = 0; i < n; i++) {
    parts.push(`  <AUDIT_RECORD TIMESTAMP="2012-09-27T13:33:11" NAME="Quit" CONNECTION_ID="${i}" STATUS="0"\n`);
    parts.push(`  <AUDIT_RECORD TIMESTAMP="2012-09-27T13:33:11" NAME="Ping" CONNECTION_ID="${i}" STATUS="0"/>\n`);
  }
  parts.push('</AUDIT>\n');
  return Buffer.from(parts.join(''));
}

/** Run the CLI with stdout and stderr read through a slow consumer (a pause after every chunk). */
async function runSlowly(args: string[]): Promise<{ status: number | null; stdout: Buffer; stderr: Buffer }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const status = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const read = async (s: AsyncIterable<Buffer>) => {
    const got: Buffer[] = [];
    await new Promise((r) => setTimeout(r, 300));
    for await (const c of s) {
      got.push(c);
      await new Promise((r) => setTimeout(r, 10));
    }
    return Buffer.concat(got);
  };
  const [stdout, stderr] = await Promise.all([read(child.stdout), read(child.stderr)]);
  return { status: await status, stdout, stderr };
}

/** Run the CLI with stdout into a file. */
function runToFile(args: string[], dir: string): { status: number | null; stdout: Buffer } {
  const path = join(dir, 'stdout');
  const fd = openSync(path, 'w');
  const p = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  return { status: p.status, stdout: readFileSync(path) };
}

describe('every exit flushes stdout and stderr', () => {
  test('info --json with problems (exit 1) through a slow pipe: byte for byte what a file gets', async () => {
    const dir = tmp();
    const input = join(dir, 'bad.xml');
    writeFileSync(input, malformedLog(3000));
    const file = runToFile(['info', '--json', input], dir);
    expect(file.status).toBe(1);
    expect(file.stdout.length).toBeGreaterThan(256 * 1024);
    const piped = await runSlowly(['info', '--json', input]);
    expect(piped.status).toBe(1);
    expect(piped.stdout.length).toBe(file.stdout.length);
    expect(Buffer.compare(piped.stdout, file.stdout)).toBe(0);
  });

  test('convert --on-error skip (exit 1): every warning reaches a slow stderr', async () => {
    const dir = tmp();
    const input = join(dir, 'bad.xml');
    writeFileSync(input, malformedLog(3000));
    const p = await runSlowly(['convert', input, '--to', 'ndjson', '--on-error', 'skip', '-o', join(dir, 'out.ndjson')]);
    expect(p.status).toBe(1);
    const lines = p.stderr.toString().trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('Warning: ') && l.includes('MALFORMED_RECORD'))).toHaveLength(3000);
    expect(lines[lines.length - 1]).toMatch(/^3000 records written to /);
  });
});

describe('stdout errors', () => {
  const full = join(tmp(), 'full');
  const canMknod = spawnSync('mknod', [full, 'c', '1', '7'], { stdio: 'ignore' }).status === 0;
  if (!canMknod) console.warn('skipping the full-device tests: mknod is not permitted here (needs root or CAP_MKNOD)');

  for (const args of [
    ['info', NEW_56],
    ['info', '--json', NEW_56],
    ['convert', NEW_56, '--to', 'json'],
  ]) {
    test.skipIf(!canMknod)(`${args.slice(0, 2).join(' ')} > a full device (mknod c 1 7 in a temp dir): exit 3, one line naming ENOSPC, no stack trace`, () => {
      const fd = openSync(full, 'w');
      const p = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      closeSync(fd);
      expect(p.status).toBe(3);
      expect(p.stderr).toMatch(/^Error: .*IO_ERROR.*ENOSPC/);
      expect(p.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(p.stderr).not.toMatch(/^\s+at /m);
    });
  }

  test('a reader that goes away (EPIPE) ends the program quietly', async () => {
    const dir = tmp();
    const input = join(dir, 'bad.xml');
    writeFileSync(input, malformedLog(3000));
    for (const args of [
      ['info', '--json', input],
      ['convert', input, '--to', 'ndjson', '--on-error', 'skip'],
    ]) {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(err).not.toMatch(/EPIPE|^\s+at /m);
      expect(status === 0 || status === 1).toBe(true);
    }
  });
});

describe('stdin', () => {
  test('no FILES and piped stdin: stdin is read, as with - (human output too)', () => {
    const human = spawnSync('sh', ['-c', `cat "${NEW_56}" | "${process.execPath}" "${CLI}" info`], { encoding: 'utf8' });
    expect(human.status).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(/^-\n  format +new/);
    const input = readFileSync(NEW_56);
    const withDash = spawnSync(process.execPath, [CLI, 'info', '--json', '-'], { input, encoding: 'utf8' });
    // As a shell pipes it: the bytes are waiting in the pipe before the program starts.
    const without = spawnSync('sh', ['-c', `cat "${NEW_56}" | "${process.execPath}" "${CLI}" info --json`], { encoding: 'utf8' });
    expect(without.status).toBe(0);
    expect(without.stderr).toBe('');
    expect(without.stdout).toBe(withDash.stdout);
    expect(JSON.parse(without.stdout)).toMatchObject({ file: '-', format: 'new', records: 77 });
    const conv = spawnSync(process.execPath, [CLI, 'convert', '--to', 'ndjson'], { input, encoding: 'utf8' });
    expect(conv.status).toBe(0);
    expect(conv.stdout.trimEnd().split('\n')).toHaveLength(77);
  });

  test('no input content in error messages: at most a short escaped excerpt', () => {
    const secret = 'SELECT password FROM users WHERE name = \'x\'; '.repeat(50) + '\x1b[2J';
    for (const args of [['info'], ['info', '-'], ['convert', '--to', 'json']]) {
      const p = spawnSync(process.execPath, [CLI, ...args], { input: Buffer.from(secret), encoding: 'utf8' });
      expect(p.status).toBe(3);
      expect(p.stderr).toMatch(/UNKNOWN_FORMAT/);
      expect(p.stderr.length).toBeLessThan(400);
      // At most 60 characters of what was seen.
      for (let i = 0; i + 61 <= 200; i += 7) expect(p.stderr).not.toContain(secret.slice(i, i + 61));
      expect(p.stderr).not.toContain('\x1b');
    }
  });
});
