/**
 * `auditlog rotate` end to end (the built CLI, real gunzip and openssl), and a
 * kill test against a fake server that keeps writing while it is rotated.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateLogString, rng } from '../bench/generate.js';
import type { RotateReport } from '../src/rotate.js';
import { readAuditLog } from '../src/reader.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-rotate-'));
}

function rotate(args: string[]): { status: number | null; report: RotateReport; stderr: string } {
  const p = spawnSync(process.execPath, [CLI, 'rotate', ...args, '--json'], { encoding: 'utf8' });
  if (p.status !== 0) return { status: p.status, report: undefined as unknown as RotateReport, stderr: p.stderr };
  return { status: p.status, report: JSON.parse(p.stdout) as RotateReport, stderr: p.stderr };
}

const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.')).sort();

describe('auditlog rotate', () => {
  test('--rotate-on-size: renames only a file over the limit (rounded down to 4096), with a UTC name for XML', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    writeFileSync(file, generateLogString({ format: 'new', records: 10, seed: 1 }));
    const size = readFileSync(file).length;
    expect(size).toBeGreaterThan(4096);
    expect(size).toBeLessThan(8192);
    let r = rotate([file, '--rotate-on-size', '8191']); // 4096 after rounding: over it
    expect(r.report.reason).toBe('over-size');
    expect(visible(dir)).toEqual([expect.stringMatching(/^audit\.\d{8}T\d{6}\.log$/)]);
    writeFileSync(file, generateLogString({ format: 'new', records: 10, seed: 2 }));
    r = rotate([file, '--rotate-on-size', '8192']);
    expect(r.report).toMatchObject({ reason: 'under-size', renamed: [] });
    expect(existsSync(file)).toBe(true);
    r = rotate([file, '--rotate-on-size', '4095']); // under 4096: never
    expect(r.report).toMatchObject({ reason: 'under-size', renamed: [] });
  });

  test('without a hook, compression waits for the next run; an unterminated JSON file gets its footer; the name is its last event (UTC)', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    const text = generateLogString({ format: 'json', records: 200, seed: 4 });
    // A crashed server's file: no footer, the last record torn.
    const cut = text.lastIndexOf('{ "timestamp"') + 30;
    writeFileSync(file, text.slice(0, cut));
    const events = JSON.parse(text) as { timestamp: string }[];
    const lastComplete = events[events.length - 2]!.timestamp;
    let r = rotate([file, '--compress']);
    const name = `audit.${lastComplete.replace(/[-:]/g, '').replace(' ', 'T')}.log`;
    expect(r.report.renamed).toEqual([{ from: file, to: join(dir, name) }]);
    expect(r.report.pending).toEqual([name]);
    expect(r.report.written).toEqual([]);
    expect(visible(dir)).toEqual([name]);
    r = rotate([file, '--compress']);
    expect(r.report).toMatchObject({ reason: 'missing', terminated: [name], written: [`${name}.gz`], pending: [] });
    expect(visible(dir)).toEqual([`${name}.gz`]);
    const back = JSON.parse(execFileSync('gunzip', ['-c', join(dir, `${name}.gz`)], { encoding: 'utf8' })) as unknown[];
    expect(back).toEqual(events.slice(0, -1));
  });

  test('--post-rotate runs after the rename, with the names in its environment; then the file is encrypted and openssl reads it', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    const body = generateLogString({ format: 'new', records: 50, seed: 5 });
    writeFileSync(file, body);
    writeFileSync(join(dir, 'pw'), 'rotate-secret\n');
    const seen = join(dir, 'hook.txt');
    const r = rotate([file, '--encrypt', '--password-file', join(dir, 'pw'), '--pwd-id', '20190414T223342-2', '--naming', 'legacy', '--post-rotate', `test ! -e "$AUDITLOG_FILE" && echo "$AUDITLOG_ROTATED" > ${seen}`]);
    expect(r.status).toBe(0);
    expect(r.report.hook).toEqual([{ command: expect.any(String), exitCode: 0 }]);
    const rotated = r.report.renamed[0]!.to;
    expect(readFileSync(seen, 'utf8').trim()).toBe(rotated);
    expect(r.report.written).toEqual([expect.stringMatching(/^audit\.log\.\d{17}\.20190414T223342-2\.enc$/)]);
    expect(visible(dir)).toEqual(['hook.txt', 'pw', r.report.written[0]!].sort());
    const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-md', 'sha256', '-pass', `file:${join(dir, 'pw')}`, '-in', join(dir, r.report.written[0]!)], { encoding: 'utf8' });
    expect(plain).toBe(body);
  });

  test('a failing --post-rotate exits 3 and is tried again by the next run', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    writeFileSync(file, generateLogString({ format: 'new', records: 5, seed: 6 }));
    const flag = join(dir, 'ok');
    const hook = `test -e ${flag}`;
    const p = spawnSync(process.execPath, [CLI, 'rotate', file, '--compress', '--post-rotate', hook], { encoding: 'utf8' });
    expect(p.status).toBe(3);
    expect(p.stderr).toMatch(/IO_ERROR: the post-rotate command exited with 1/);
    writeFileSync(flag, '');
    const r = rotate([file, '--compress', '--post-rotate', hook]);
    expect(r.report).toMatchObject({ reason: 'missing', hook: [{ exitCode: 0 }], written: [expect.stringMatching(/\.log\.gz$/)], pending: [] });
  });

  test('a lock held by a live process: nothing is done; a lock left by a dead one is taken over', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    writeFileSync(file, generateLogString({ format: 'new', records: 5, seed: 7 }));
    const lock = join(dir, '.audit.log.rotate.lock');
    writeFileSync(lock, `${process.pid}\n`);
    let r = rotate([file]);
    expect(r.report).toMatchObject({ locked: true, renamed: [] });
    expect(existsSync(file)).toBe(true);
    writeFileSync(lock, '2147483646\n');
    r = rotate([file]);
    expect(r.report).toMatchObject({ locked: false, reason: 'always' });
    expect(existsSync(file)).toBe(false);
    expect(existsSync(lock)).toBe(false);
  });

  test('--dry-run reports the rename, the writing and the pruning, and changes nothing', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    writeFileSync(file, generateLogString({ format: 'new', records: 5, seed: 8 }));
    for (const old of ['audit.20190101T000000.log.gz', 'audit.20190102T000000.log.gz']) writeFileSync(join(dir, old), 'x'.repeat(5000));
    const before = readdirSync(dir).sort();
    const r = rotate([file, '--compress', '--post-rotate', 'false', '--prune-seconds', '86400', '--dry-run']);
    expect(r.report.dryRun).toBe(true);
    expect(r.report.renamed).toHaveLength(1);
    expect(r.report.written).toEqual([`${r.report.renamed[0]!.to.slice(dir.length + 1)}.gz`]);
    expect(r.report.pruned).toEqual(['audit.20190101T000000.log.gz', 'audit.20190102T000000.log.gz']);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  test('numbered names shift as Percona does: .1 newest, the one past --rotations removed; --max-size prunes the oldest', () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) {
      bodies.push(generateLogString({ format: 'old', records: 20, seed: 20 + i }));
      writeFileSync(file, bodies[i]!);
      const r = rotate([file, '--naming', 'numbered', '--rotations', '3', '--post-rotate', 'true']);
      expect(r.report.renamed[0]!.to).toBe(join(dir, 'audit.log.1'));
      if (i >= 3) expect(r.report.pruned).toEqual(['audit.log.3']);
    }
    expect(visible(dir)).toEqual(['audit.log.1', 'audit.log.2', 'audit.log.3']);
    expect(readFileSync(join(dir, 'audit.log.1'), 'utf8')).toBe(bodies[4]);
    expect(readFileSync(join(dir, 'audit.log.3'), 'utf8')).toBe(bodies[2]);
    // Pruning by size: after this rotation the set is bodies 0, 4, 3 (newest first); a limit that
    // holds the two newest but not the third removes the oldest, right after the shift removed .3.
    writeFileSync(file, bodies[0]!);
    const bytes = (i: number) => Buffer.byteLength(bodies[i]!);
    const max = Math.floor((bytes(0) + bytes(4) + 4096) / 4096) * 4096;
    expect(max).toBeLessThan(bytes(0) + bytes(4) + bytes(3));
    const r = rotate([file, '--naming', 'numbered', '--rotations', '3', '--post-rotate', 'true', '--max-size', String(max + 100)]);
    expect(r.report.pruned).toEqual(['audit.log.3', 'audit.log.3']);
    expect(visible(dir)).toEqual(['audit.log.1', 'audit.log.2']);
    expect(readFileSync(join(dir, 'audit.log.2'), 'utf8')).toBe(bodies[4]);
  });
});

/** A fake server: appends NEW XML records to its log; SIGHUP = footer, close, reopen by name, header (Percona's audit_log_flush); SIGTERM = footer and exit. */
const SERVER = `
import fs from 'node:fs';
const [file, counter, total] = process.argv.slice(2);
const HEADER = '<?xml version="1.0" encoding="utf-8"?>\\n<AUDIT>\\n';
const FOOTER = '</AUDIT>\\n';
let fd = fs.openSync(file, 'a', 0o600);
fs.writeSync(fd, HEADER);
let seq = 0, reopens = 0;
const pad = 'x'.repeat(300);
const rec = (n) => ' <AUDIT_RECORD>\\n  <TIMESTAMP>2019-10-03T14:06:33 UTC</TIMESTAMP>\\n  <RECORD_ID>' + (n + 1) + '_2019-10-03T14:06:33</RECORD_ID>\\n  <NAME>Query</NAME>\\n  <CONNECTION_ID>5</CONNECTION_ID>\\n  <STATUS>0</STATUS>\\n  <STATUS_CODE>0</STATUS_CODE>\\n  <USER>root[root] @ localhost [127.0.0.1]</USER>\\n  <OS_LOGIN/>\\n  <HOST>localhost</HOST>\\n  <IP>127.0.0.1</IP>\\n  <COMMAND_CLASS>select</COMMAND_CLASS>\\n  <SQLTEXT>SELECT ' + n + ' /* ' + pad + ' */</SQLTEXT>\\n </AUDIT_RECORD>\\n';
const timer = setInterval(() => { let s = ''; for (let i = 0; i < 20; i++) s += rec(seq++); fs.writeSync(fd, s); }, 5);
process.on('SIGHUP', () => { fs.writeSync(fd, FOOTER); fs.closeSync(fd); fd = fs.openSync(file, 'a', 0o600); fs.writeSync(fd, HEADER); fs.writeFileSync(counter, String(++reopens)); });
process.on('SIGTERM', () => { clearInterval(timer); fs.writeSync(fd, FOOTER); fs.closeSync(fd); fs.writeFileSync(total, String(seq)); process.exit(0); });
fs.writeFileSync(counter, '0');
`;

describe('auditlog rotate killed at random moments', () => {
  test('SIGKILL anywhere never loses or duplicates an event across the old and new files; the next run completes the job', async () => {
    const dir = tmp();
    const file = join(dir, 'audit.log');
    const aside = mkdtempSync(join(tmpdir(), 'auditlog-server-'));
    const script = join(aside, 'server.mjs');
    const counter = join(aside, 'reopens');
    const total = join(aside, 'total');
    writeFileSync(script, SERVER);
    const server = spawn(process.execPath, [script, file, counter, total], { stdio: 'ignore' });
    const serverExit = new Promise<void>((resolve) => server.on('exit', () => resolve()));
    for (let i = 0; i < 200 && !existsSync(counter); i++) await new Promise((r) => setTimeout(r, 10));
    // The hook makes the server reopen its log and waits until it did.
    const hook = `n=$(cat ${counter}); kill -HUP ${server.pid}; while [ "$(cat ${counter})" = "$n" ]; do sleep 0.01; done`;
    const args = [file, '--compress', '--post-rotate', hook, '--json'];
    const random = rng(20261201);
    let interrupted = 0;
    try {
      for (let round = 0; round < 6; round++) {
        await new Promise((r) => setTimeout(r, 300));
        const child = spawn(process.execPath, [CLI, 'rotate', ...args], { stdio: 'ignore' });
        let gone = false;
        const exited = new Promise<void>((resolve) => child.on('exit', () => ((gone = true), resolve())));
        // Once the run holds its lock (its start-up takes long on a loaded machine), kill it
        // somewhere in the job: renaming, in the hook, compressing, pruning, or just after.
        const lock = join(dir, '.audit.log.rotate.lock');
        for (let i = 0; i < 3000 && !gone && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
        child.kill('SIGKILL');
        await exited;
        // Killed while holding the lock: in the middle of the job.
        if (existsSync(join(dir, '.audit.log.rotate.lock'))) interrupted++;
        const r = rotate(args.slice(0, -1));
        expect(r.status, r.stderr).toBe(0);
        // The job is complete: nothing pending, no plain rotated file, no leftovers.
        expect(r.report.pending).toEqual([]);
        const names = readdirSync(dir);
        expect(names.filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toEqual([]);
        expect(names.filter((n) => n !== 'audit.log' && !n.startsWith('.') && !n.endsWith('.gz'))).toEqual([]);
      }
    } finally {
      server.kill('SIGTERM');
      await serverExit;
    }
    expect(interrupted).toBeGreaterThanOrEqual(2);
    const written = Number(readFileSync(total, 'utf8'));
    expect(written).toBeGreaterThan(1000);
    // Every event exactly once, and in order when the files are read in name order (the active file last).
    const key = (n: string): [string, number] => {
      const m = /^audit\.(\d{8}T\d{6})(?:-(\d+))?\.log\.gz$/.exec(n)!;
      return [m[1]!, Number(m[2] ?? 0)];
    };
    const names = visible(dir)
      .filter((n) => n !== 'audit.log')
      .sort((a, b) => {
        const [ta, sa] = key(a);
        const [tb, sb] = key(b);
        return ta < tb ? -1 : ta > tb ? 1 : sa - sb;
      });
    expect(names.length).toBeGreaterThanOrEqual(6);
    const seen: number[] = [];
    for (const n of [...names, 'audit.log']) {
      for await (const e of readAuditLog(join(dir, n), { onError: 'skip' })) seen.push(Number(/^SELECT (\d+) /.exec(String(e.event.general_data?.query))![1]));
    }
    expect(seen.length).toBe(written);
    expect(seen).toEqual(Array.from({ length: written }, (_, i) => i));
  }, 180_000);
});
