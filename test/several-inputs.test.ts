/** Several inputs: every readable one is reported; an unreadable one is named and the exit is 3. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const A = fixturePath('public/mysql-refman/refman-9-json-event-examples.json');
const B = fixturePath('public/ibm-guardium/audit_json.log');
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

function junk(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditlog-inputs-'));
  const p = join(dir, 'notes.txt');
  writeFileSync(p, 'these are not audit records\n');
  return p;
}

describe('info over several inputs', () => {
  test('an unreadable input in the middle: the others are reported, it is named, exit 3', () => {
    const bad = junk();
    const p = run(['info', '--json', A, '/nonexistent/audit.log', bad, B]);
    expect(p.status).toBe(3);
    const out = JSON.parse(p.stdout) as { records: number; files: { file: string; records: number }[]; unreadable: { code: string; file: string }[] };
    expect(out.files.map((f) => [f.file, f.records])).toEqual([
      [A, 5],
      [B, 6],
    ]);
    expect(out.records).toBe(11);
    expect(out.unreadable.map((u) => [u.code, u.file])).toEqual([
      ['IO_ERROR', '/nonexistent/audit.log'],
      ['UNKNOWN_FORMAT', bad],
    ]);
    expect(p.stderr).toMatch(/^Error: \/nonexistent\/audit\.log: IO_ERROR/m);
    expect(p.stderr).toMatch(/UNKNOWN_FORMAT/);
  });

  test('human output too: both reports, then the unreadable one on stderr', () => {
    const p = run(['info', A, '/nonexistent/audit.log', B]);
    expect(p.status).toBe(3);
    expect(p.stdout).toContain(A);
    expect(p.stdout).toContain(B);
    expect(p.stdout).toMatch(/total \(2 files\)/);
    expect(p.stderr).toMatch(/\/nonexistent\/audit\.log: IO_ERROR/);
  });
});

describe('convert over several inputs', () => {
  test('stops at an unreadable input (exit 3, no output file) by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-inputs-'));
    const out = join(dir, 'out.ndjson');
    const p = run(['convert', A, '/nonexistent/audit.log', B, '--to', 'ndjson', '-o', out]);
    expect(p.status).toBe(3);
    expect(p.stderr).toMatch(/\/nonexistent\/audit\.log: IO_ERROR/);
    expect(() => readFileSync(out)).toThrow();
  });

  test('--on-error skip: skips it, converts the others, reports it, exit 3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-inputs-'));
    const out = join(dir, 'out.ndjson');
    const p = run(['convert', A, '/nonexistent/audit.log', B, '--to', 'ndjson', '-o', out, '--on-error', 'skip', '--json']);
    expect(p.status).toBe(3);
    const s = JSON.parse(p.stdout) as { written: number; unreadable: { code: string; file: string }[] };
    expect(s.written).toBe(11);
    expect(s.unreadable).toEqual([expect.objectContaining({ code: 'IO_ERROR', file: '/nonexistent/audit.log' })]);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(11);
    expect(p.stderr).toMatch(/unreadable input skipped: \/nonexistent\/audit\.log/);
  });
});

describe('human output escapes control characters', () => {
  test('a user name holding terminal escapes is shown escaped by info; --json keeps it as it is', () => {
    const evil = 'x\x1b[2J\x1b[H\x9b31m\x07\x7f\nroot 999';
    const log = `${JSON.stringify({ timestamp: '2019-10-03 14:00:00', class: 'connection', event: 'connect', account: { user: evil, host: 'h' }, connection_data: { status: 1045 } })}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-esc-'));
    const f = join(dir, 'a\x1b[31m.log');
    writeFileSync(f, log);
    const human = run(['info', f]);
    expect(human.status).toBe(0);
    expect(human.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(human.stdout).toContain('x\\x1b[2J\\x1b[H\\x9b31m\\x07\\x7f\\nroot 999 1');
    expect(human.stdout).toContain('a\\x1b[31m.log');
    const json = JSON.parse(run(['info', '--json', f]).stdout) as { users: Record<string, number> };
    expect(json.users[evil]).toBe(1);
  });

  test('error messages are escaped too', () => {
    const p = run(['info', '/nonexistent/\x1b[2Jx.log']);
    expect(p.status).toBe(3);
    expect(p.stderr).not.toContain('\x1b');
    expect(p.stderr).toContain('\\x1b[2J');
  });
});
