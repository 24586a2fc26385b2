/**
 * A record whose opening tag or brace has one damaged byte is a data problem: its bytes
 * are reported as SKIPPED_DATA with their range (exit 1), and the records after it are
 * read. Only text before the first header or after the footer stays a notice.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { parseAll } from '../src/reader.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const rec = (n: number) => ` <AUDIT_RECORD>\n  <TIMESTAMP>2019-10-03T14:09:3${n} UTC</TIMESTAMP>\n  <RECORD_ID>${n}_2019-10-03T14:06:33</RECORD_ID>\n  <NAME>Query</NAME>\n  <SQLTEXT>select ${n}</SQLTEXT>\n </AUDIT_RECORD>\n`;
const old = (n: number) => `  <AUDIT_RECORD TIMESTAMP="2019-10-03T14:09:3${n} UTC" NAME="Query" SQLTEXT="select ${n}"/>\n`;
const js = (n: number) => `{ "timestamp": "2019-10-03 14:09:3${n}", "id": 0, "class": "general", "event": "status", "general_data": { "command": "Query", "query": "select ${n}" } }`;
const HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n';

const cases: [string, string, string][] = [
  ['NEW', HEAD + rec(1) + rec(2).replace('<AUDIT_RECORD>', '<AUDIT_RECORX>') + rec(3) + '</AUDIT>\n', 'select 3'],
  ['OLD', HEAD + old(1) + old(2).replace('<AUDIT_RECORD ', '<AUDIT_RECORX ') + old(3) + '</AUDIT>\n', 'select 3'],
  ['JSON', `[\n${js(1)},\n${js(2).replace('{ "timestamp"', 'X "timestamp"')},\n${js(3)}\n]\n`, 'select 3'],
];

describe('damaged opening tag or brace', () => {
  for (const [name, text, last] of cases) {
    test(`${name}: SKIPPED_DATA with the damaged record's byte range, the next record read`, () => {
      const items = parseAll(Buffer.from(text));
      const probs = items.filter((x): x is AuditLogError => x instanceof AuditLogError);
      const entries = items.filter((x) => !(x instanceof AuditLogError));
      expect(entries).toHaveLength(2);
      expect(JSON.stringify(entries[1])).toContain(last);
      expect(probs.map((p) => p.code)).toEqual(['SKIPPED_DATA']);
      const start = text.indexOf(name === 'JSON' ? 'X "timestamp"' : '<AUDIT_RECORX');
      expect(probs[0]!.ctx.offset).toBe(start);
      // The range covers the damaged record's bytes up to the next record.
      expect(text.slice(probs[0]!.ctx.offset, probs[0]!.ctx.end)).toContain('select 2');
    });

    test(`${name}: auditlog info exits 1 and lists the position; convert --on-error fail still writes the other records and exits 1`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'damaged-'));
      const file = join(dir, 'audit.log');
      writeFileSync(file, text);
      const info = spawnSync(process.execPath, [CLI, 'info', '--json', file], { encoding: 'utf8' });
      expect(info.status).toBe(1);
      const rep = JSON.parse(info.stdout) as { records: number; malformed: { code: string; offset: number }[] };
      expect(rep.records).toBe(2);
      expect(rep.malformed).toEqual([expect.objectContaining({ code: 'SKIPPED_DATA', offset: text.indexOf(name === 'JSON' ? 'X "timestamp"' : '<AUDIT_RECORX') })]);
      const out = join(dir, 'out.ndjson');
      const conv = spawnSync(process.execPath, [CLI, 'convert', file, '--to', 'ndjson', '-o', out], { encoding: 'utf8' });
      expect(conv.status).toBe(1);
      expect(conv.stderr).toMatch(/SKIPPED_DATA/);
    });
  }

  test('text before the first header and after the footer stays a notice (UNEXPECTED_DATA)', () => {
    const items = parseAll(Buffer.from('garbage\n' + HEAD + rec(1) + '</AUDIT>\ntrailing\n'));
    expect(items.filter((x) => x instanceof AuditLogError).map((x) => (x as AuditLogError).code)).toEqual(['UNEXPECTED_DATA', 'UNEXPECTED_DATA']);
    const j = parseAll(Buffer.from(`junk line\n[\n${js(1)}\n]\nmore\n`));
    expect(j.filter((x) => x instanceof AuditLogError).map((x) => (x as AuditLogError).code)).toEqual(['UNEXPECTED_DATA', 'UNEXPECTED_DATA']);
  });
});
