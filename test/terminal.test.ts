/**
 * Behaviour at a real terminal, run under a pseudo-terminal (`script`): colour
 * only there and never with NO_COLOR, the pager once the output is longer than
 * the screen, the per-hour histogram as bars, and no raw control character
 * from a record reaching the terminal. Uses the build (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const FILE = fixturePath('cli/security.json');
const dir = mkdtempSync(join(tmpdir(), 'auditlog-tty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pager that records what it was given and says it ran. */
const PAGER = join(dir, 'pager.sh');
writeFileSync(PAGER, `#!/bin/sh\ncat > ${join(dir, 'paged')}\necho PAGER-RAN\n`);
chmodSync(PAGER, 0o755);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run the CLI with stdout on a pseudo-terminal of `rows` x `cols`; what the terminal showed, without CRs. */
function onTerminal(args: string[], env: Record<string, string> = {}, size = { rows: 40, cols: 100 }): string {
  const setEnv = Object.entries({ PAGER, ...env })
    .map(([k, v]) => `${k}=${q(v)}`)
    .join(' ');
  const inner = `stty rows ${size.rows} cols ${size.cols}; ${setEnv} node ${q(CLI)} ${args.map(q).join(' ')}`;
  const r = spawnSync('script', ['-qec', inner, '/dev/null'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm' }, timeout: 30_000 });
  return r.stdout.replace(/\r/g, '');
}

function piped(args: string[], env: Record<string, string> = {}): string {
  return spawnSync('node', [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } }).stdout;
}

const ESC = '\x1b[';

describe('show at a terminal', () => {
  test('a table with a bold header and failed records in red', () => {
    const out = onTerminal(['show', FILE, '--no-pager']);
    expect(out.split('\n')[0]).toBe(`${ESC}1mtime                 conn  user@host       name       status  sql${ESC}0m`);
    const failed = out.split('\n').filter((l) => l.includes('!1045') || l.includes('!1142'));
    expect(failed).toHaveLength(3);
    for (const l of failed) expect(l.startsWith(`${ESC}31m`) && l.endsWith(`${ESC}0m`)).toBe(true);
  });

  test('NO_COLOR: the same table without one escape sequence; failed records still marked with !', () => {
    const out = onTerminal(['show', FILE, '--no-pager'], { NO_COLOR: '1' });
    expect(out).not.toContain('\x1b');
    expect(out).toContain('!1142');
  });

  test('piped: no colour, no header, tab-separated', () => {
    const out = piped(['show', FILE]);
    expect(out).not.toContain('\x1b');
    expect(out.split('\n')[0]).toBe('2024-03-05 09:58:01\t0\t\tAudit\t\t');
  });

  test('a control character from a record never reaches the terminal raw', () => {
    // The fixture holds SELECT '<ESC>[2J' (clear screen).
    const out = onTerminal(['show', FILE, '--no-pager', '--grep', '2J'], { NO_COLOR: '1' });
    expect(out).toContain("SELECT '\\x1b[2J'");
    expect(out).not.toContain('\x1b[2J');
    const vertical = onTerminal(['show', FILE, '--no-pager', '--grep', '2J', '--vertical']);
    expect(vertical).toContain("general_data.query: SELECT '\\x1b[2J'");
    expect(vertical).not.toContain('\x1b[2J');
  });

  test('the table fits the terminal width: long SQL is cut with …', () => {
    const out = onTerminal(['show', FILE, '--no-pager'], { NO_COLOR: '1' }, { rows: 40, cols: 60 });
    const lines = out.trimEnd().split('\n');
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(60);
    expect(lines.some((l) => l.endsWith('…'))).toBe(true);
  });

  test('longer than the screen: paged through $PAGER, which gets every line (colour kept)', () => {
    rmSync(join(dir, 'paged'), { force: true });
    const out = onTerminal(['show', FILE], {}, { rows: 10, cols: 100 });
    expect(out.trim()).toBe('PAGER-RAN');
    const paged = readFileSync(join(dir, 'paged'), 'utf8').trimEnd().split('\n');
    expect(paged).toHaveLength(14); // header + 13 records
    expect(paged[0]).toContain(`${ESC}1m`);
  });

  test('no pager when the output fits, with --no-pager, with --count, or when piped', () => {
    for (const [args, size] of [
      [['show', FILE], { rows: 40, cols: 100 }],
      [['show', FILE, '--no-pager'], { rows: 10, cols: 100 }],
      [['show', FILE, '--count'], { rows: 2, cols: 100 }],
    ] as const) {
      const out = onTerminal([...args], { NO_COLOR: '1' }, size);
      expect(out).not.toContain('PAGER-RAN');
    }
    expect(piped(['show', FILE], { PAGER })).not.toContain('PAGER-RAN');
  });
});

describe('info at a terminal', () => {
  test('events per hour as bars, scaled to the busiest hour; piped, numbers only', () => {
    const out = onTerminal(['info', FILE]);
    expect(out).toContain(`    2024-03-05 09  5  ${'█'.repeat(25)}\n    2024-03-05 10  8  ${'█'.repeat(40)}\n`);
    expect(piped(['info', FILE])).toContain('    2024-03-05 09  5\n    2024-03-05 10  8\n');
  });
});
