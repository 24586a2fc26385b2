/**
 * Every row of fixtures/EXPECTED.tsv (counted independently of this code):
 * the library and the built CLI report the same format and record count.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { inspect } from '../src/info.js';
import { expectedRows, fixturePath, ROOT } from './helpers.js';

const rows = expectedRows().filter((r) => r.format !== 'not-a-log');
const CLI = join(ROOT, 'bin', 'run.js');

/** EXPECTED.tsv writes `json (array slice)`; the format id is the first word. */
function formatId(f: string): string {
  return f.split(' ')[0]!;
}

describe('library: inspect() over the corpus', () => {
  for (const r of rows) {
    if (r.format.includes('unsupported')) {
      test(`${r.file}: unknown format`, async () => {
        const err = await inspect(fixturePath(r.file)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AuditLogError);
        expect((err as AuditLogError).code).toBe('UNKNOWN_FORMAT');
        expect((err as AuditLogError).message).toMatch(/not supported/);
      });
      continue;
    }
    test(`${r.file}: ${r.format}, ${r.records} records, complete ${r.complete}`, async () => {
      const rep = await inspect(fixturePath(r.file));
      expect(rep.format).toBe(formatId(r.format));
      expect(rep.records).toBe(Number(r.records));
      if (r.complete === 'yes') expect(rep.complete).toBe(true);
      if (r.complete === 'no') expect(rep.complete).toBe(false);
      if (r.complete === 'n/a') expect(rep.complete).toBeNull();
    });
  }

  test('audit.log.invalid: the one malformed record is listed with offset and record number', async () => {
    const rep = await inspect(fixturePath('public/mysql-utilities/audit.log.invalid'));
    expect(rep.malformed).toEqual([expect.objectContaining({ code: 'MALFORMED_RECORD', offset: 588, index: 2 })]);
  });

  test('first and last count real times only, not test placeholders', async () => {
    const rep = await inspect(fixturePath('percona/csv-mtr-filter-commands.csv'));
    expect([rep.first, rep.last]).toEqual([null, null]);
    const real = await inspect(fixturePath('public/ibm-guardium/audit_json.log'));
    expect([real.first, real.last]).toEqual(['2020-08-26 17:28:58', '2020-08-26 17:41:21']);
  });

  test('ps-8.0-plugin-new-record.xml: 0 complete records, 1 truncated', async () => {
    const rep = await inspect(fixturePath('public/percona-audit-log-plugin-docs/ps-8.0-plugin-new-record.xml'));
    expect(rep.records).toBe(0);
    expect(rep.truncated).toEqual([expect.objectContaining({ code: 'TRUNCATED_RECORD', offset: 0, index: 0 })]);
  });
});

describe('CLI: auditlog info', () => {
  test('--json over every corpus file: format and records as expected; unsupported formats exit 3', () => {
    for (const r of rows) {
      const p = spawnSync(process.execPath, [CLI, 'info', '--json', fixturePath(r.file)], { encoding: 'utf8' });
      if (r.format.includes('unsupported')) {
        expect(p.status, r.file).toBe(3);
        expect(p.stderr).toMatch(/UNKNOWN_FORMAT/);
        expect(p.stderr).toContain(r.file);
        continue;
      }
      const out = JSON.parse(p.stdout) as { format: string; records: number; complete: boolean | null; malformed: unknown[] };
      expect(out.format, r.file).toBe(formatId(r.format));
      expect(out.records, r.file).toBe(Number(r.records));
      const problems = out.malformed.length + (out as unknown as { truncated: unknown[] }).truncated.length;
      expect(p.status, r.file).toBe(problems ? 1 : 0);
    }
    // One CLI process per corpus file (about 45): on a loaded 2-core machine their start-up alone can pass the default minute.
  }, 240_000);

  test('human output names the format, the count and the malformed record position', () => {
    const p = spawnSync(process.execPath, [CLI, 'info', fixturePath('public/mysql-utilities/audit.log.invalid')], { encoding: 'utf8' });
    expect(p.status).toBe(1);
    expect(p.stdout).toMatch(/format +old \(MySQL Enterprise OLD XML\), complete/);
    expect(p.stdout).toMatch(/records +69 /);
    expect(p.stdout).toMatch(/byte 588: record #2: /);
  });

  test('reads stdin with -', () => {
    const input = execFileSync('cat', [fixturePath('public/elastic/beats-mysql_audit_test.log')]);
    const p = spawnSync(process.execPath, [CLI, 'info', '--json', '-'], { input, encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ format: 'json', records: 31, complete: false });
  });

  test('several files: totals and one report per file', () => {
    const files = ['public/mysql-refman/refman-9-json-event-examples.json', 'public/ibm-guardium/audit_json.log'].map(fixturePath);
    const p = spawnSync(process.execPath, [CLI, 'info', '--json', ...files], { encoding: 'utf8' });
    const out = JSON.parse(p.stdout) as { records: number; files: { records: number }[]; first: string; last: string };
    expect(out.records).toBe(11);
    expect(out.files.map((f) => f.records)).toEqual([5, 6]);
    expect(out.first).toBe('2019-10-03 14:21:56');
  });

  test('a missing file exits 3 with IO_ERROR naming it', () => {
    const p = spawnSync(process.execPath, [CLI, 'info', '/nonexistent/audit.log'], { encoding: 'utf8' });
    expect(p.status).toBe(3);
    expect(p.stderr).toMatch(/IO_ERROR.*ENOENT|\/nonexistent\/audit\.log.*IO_ERROR/);
  });
});
