/**
 * A value inside one record that the filters or a writer cannot handle is
 * that record's problem (MALFORMED_RECORD with its position), handled by
 * --on-error like any malformed record; never IO_ERROR.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, test } from 'vitest';
import { checkEvent, MAX_EVENT_DEPTH } from '../src/writers/index.js';
import type { Entry } from '../src/entry.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

function run(args: string[], input: Buffer) {
  return spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'buffer', maxBuffer: 1 << 28 });
}

const good = (n: number) => `{"timestamp": "2019-10-03 14:00:0${n}", "id": 0, "class": "general", "event": "status", "connection_id": 1, "account": {"user": "root", "host": "localhost"}, "login": {"user": "root", "os": "", "ip": "127.0.0.1", "proxy": ""}, "general_data": {"command": "Query", "sql_command": "select", "query": "SELECT ${n}", "status": 0}}`;
const DEPTH = 100_000;
const nested = `{"timestamp": "2019-10-03 14:00:01", "id": 0, "class": "general", "event": "status", "general_data": {"command": "Query", "sql_command": "select", "deep": ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}}`;
const deepLog = Buffer.from(`[\n${good(0)},\n${nested},\n${good(2)}\n]\n`);
const deepOffset = deepLog.indexOf(nested);

describe('deep nesting is bounded in every writer', () => {
  for (const to of ['new', 'old', 'json', 'ndjson', 'csv']) {
    test(`--to ${to} --on-error skip: the deep record is MALFORMED_RECORD at its position, the others are written`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'auditlog-deep-'));
      const out = join(dir, `out.${to}`);
      const p = run(['convert', '-', '--to', to, '--on-error', 'skip', '-o', out, '--json'], deepLog);
      expect(p.stderr.toString()).not.toMatch(/IO_ERROR|RangeError|^\s+at /m);
      expect(p.status).toBe(1);
      const summary = JSON.parse(p.stdout.toString()) as { written: number; malformed: number; problems: { code: string; offset: number; index: number; message: string }[] };
      expect(summary).toMatchObject({ written: 2, malformed: 1 });
      expect(summary.problems).toEqual([expect.objectContaining({ code: 'MALFORMED_RECORD', offset: deepOffset, index: 1 })]);
      expect(summary.problems[0]!.message).toContain(`deeper than ${MAX_EVENT_DEPTH} levels`);
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('SELECT 0');
      expect(text).toContain('SELECT 2');
      if (to === 'json') expect(JSON.parse(text)).toHaveLength(2);
    });
  }

  test('--on-error fail: stops at the deep record with its position, exit 1, no output file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-deep-'));
    const p = run(['convert', '-', '--to', 'json', '-o', join(dir, 'out.json')], deepLog);
    expect(p.status).toBe(1);
    expect(p.stderr.toString()).toMatch(new RegExp(`^Error: -: byte ${deepOffset}: record #1: MALFORMED_RECORD: event nested deeper`));
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the depth bound is exact', () => {
  /** An event of `depth` nested arrays or objects (the event itself is the first), with a string in the innermost. */
  const eventOfDepth = (depth: number, by: 'array' | 'object') => {
    let v: unknown = 'leaf';
    for (let d = 0; d < depth; d++) v = by === 'array' ? [1, v] : { a: 'x', b: v };
    return { event: v as Entry['event'], at: { file: 'f', offset: 7, end: 9, index: 3 } } as Entry;
  };
  for (const by of ['array', 'object'] as const) {
    test(`nested ${by}s: ${MAX_EVENT_DEPTH} levels pass, one more is MALFORMED_RECORD at the entry's position`, () => {
      expect(() => checkEvent(eventOfDepth(MAX_EVENT_DEPTH, by))).not.toThrow();
      expect(() => checkEvent(eventOfDepth(MAX_EVENT_DEPTH + 1, by))).toThrow(expect.objectContaining({ code: 'MALFORMED_RECORD', ctx: expect.objectContaining({ offset: 7, index: 3 }) }));
    });
  }
});

describe('mistyped values', () => {
  const mistyped = good(1).replace('"sql_command": "select"', '"sql_command": 5');
  const log = Buffer.from(`[\n${good(0)},\n${mistyped},\n${good(2)}\n]\n`);
  const at = log.indexOf(mistyped);

  test('a non-string sql_command under --command-class, --on-error skip: that record is reported, the rest filtered', () => {
    const p = run(['convert', '-', '--to', 'ndjson', '--command-class', 'select', '--on-error', 'skip'], log);
    expect(p.status).toBe(1);
    const err = p.stderr.toString();
    expect(err).toMatch(new RegExp(`^Warning: -: byte ${at}: record #1: MALFORMED_RECORD: record could not be handled`, 'm'));
    expect(err).not.toMatch(/IO_ERROR|^\s+at /m);
    expect(p.stdout.toString().trimEnd().split('\n').map((l) => (JSON.parse(l) as { general_data: { query: string } }).general_data.query)).toEqual(['SELECT 0', 'SELECT 2']);
  });

  test('the same with --on-error fail: exit 1 at that record, nothing written', () => {
    const p = run(['convert', '-', '--to', 'ndjson', '--command-class', 'select'], log);
    expect(p.status).toBe(1);
    expect(p.stderr.toString()).toMatch(new RegExp(`byte ${at}: record #1: MALFORMED_RECORD`));
  });
});

describe('--csv-safe', () => {
  const formula = good(0).replace('"query": "SELECT 0"', '"query": "=HYPERLINK(\\"http://x\\")"').replace('"user": "root", "host"', '"user": "@evil", "host"');
  const log = Buffer.from(`[\n${formula}\n]\n`);

  test("prefixes cells starting with =, +, - or @ with '; plain numbers stay; off by default", () => {
    const rows = (args: string[]) => parseCsv(run(['convert', '-', '--to', 'csv', ...args], log).stdout.toString(), { columns: true }) as Record<string, string>[];
    const plain = rows([])[0]!;
    expect(plain.query).toBe('=HYPERLINK("http://x")');
    expect(plain.account_user).toBe('@evil');
    const safe = rows(['--csv-safe'])[0]!;
    expect(safe.query).toBe('\'=HYPERLINK("http://x")');
    expect(safe.account_user).toBe("'@evil");
    expect(safe.status).toBe('0');
    expect(safe.timestamp).toBe('2019-10-03 14:00:00');
  });
});
