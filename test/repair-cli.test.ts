/** `auditlog repair` end to end: the built CLI, exit codes, where the report and the bytes go. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, fixture, fixturePath } from './helpers.js';
import { SCRATCH, strictRecords } from './repair-oracle.js';

const CLI = join(ROOT, 'bin', 'run.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'repair', ...args], { encoding: 'buffer', maxBuffer: 1 << 26 });
const NEW = fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml');

function scratch(name: string, bytes: Buffer): string {
  const f = join(SCRATCH, `cli-${name}`);
  writeFileSync(f, bytes);
  return f;
}

describe('auditlog repair (CLI)', () => {
  it('--check: exit 0 for a whole file, 1 for one that needs repair; writes nothing', () => {
    expect(run(fixturePath('public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml'), '--check').status).toBe(0);
    const f = scratch('check.xml', Buffer.concat([NEW.subarray(0, 1700), Buffer.alloc(100)]));
    const p = run(f, '--check');
    expect(p.status).toBe(1);
    expect(p.stdout.toString()).toContain('needs repair');
    expect(readFileSync(f).length).toBe(1800);
  });

  it('without -o the repaired file goes to stdout and the report to stderr; --json is the report object', () => {
    const f = scratch('stdout.xml', NEW.subarray(0, 1700));
    const p = run(f, '--json');
    expect(p.status, p.stderr.toString()).toBe(0);
    expect(strictRecords(p.stdout, 'xml', 'new')).toBeGreaterThan(0);
    const report = JSON.parse(p.stderr.toString());
    expect(report).toMatchObject({ format: 'new', whole: false, output: '-', footerAdded: '</AUDIT>\n' });
    expect(report.cut.problems[0].code).toBe('TRUNCATED_RECORD');
    const o = join(SCRATCH, 'cli-out.xml');
    const q = run(f, '-o', o, '--json');
    expect(q.status).toBe(0);
    expect(readFileSync(o).equals(p.stdout)).toBe(true);
    expect(JSON.parse(q.stdout.toString()).output).toBe(o);
  });

  it('not an audit log: exit 3 with the file named; usage errors: exit 2', () => {
    const f = scratch('notes.txt', Buffer.from('just some notes\n'));
    const p = run(f, '--in-place');
    expect(p.status).toBe(3);
    expect(p.stderr.toString()).toContain(`${f}: byte 0: UNKNOWN_FORMAT`);
    expect(existsSync(`${f}.bak`)).toBe(false);
    expect(run(f, '-o', 'x', '--in-place').status).toBe(2);
    expect(run(f, '--no-backup').status).toBe(2);
    expect(run(join(SCRATCH, 'missing.log')).status).toBe(3);
  });
});
