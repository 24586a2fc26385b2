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
import { entriesOf, fixture, ROOT } from './helpers.js';

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

/**
 * A record whose closing `</AUDIT_RECORD>`, `/>` or `}` is damaged by a byte that is not UTF-8:
 * that record alone is one MALFORMED_RECORD with its range and number, and reading resumes at the
 * next record's opening, so every record after it is read byte for byte (none swallowed as
 * skipped bytes). The replacement character the bad byte decodes to is longer than the byte, so
 * a cut found in the decoded text must not be taken as a byte count.
 */
describe('damaged closing tag or brace', () => {
  const cases: [string, string, number, number][] = [
    ['NEW', 'public/mysql-utilities/audit.log.13951424704434196.xml', 30393, 0x99],
    ['OLD', 'public/mysql-utilities/audit.log.13488316109086370', 8649, 0xfb],
  ];
  for (const [name, path, at, value] of cases) {
    test(`${name}: byte ${at} set to ${value}: the damaged record is MALFORMED_RECORD, the next one and all others are read`, () => {
      const plain = fixture(path);
      const records = entriesOf(parseAll(plain, { keepRaw: true }));
      const hit = records.findIndex((r) => r.at.offset <= at && at < r.at.end);
      expect(hit).toBeGreaterThanOrEqual(0);
      expect(hit).toBeLessThan(records.length - 1);
      const bytes = Buffer.from(plain);
      bytes[at] = value;
      const items = parseAll(bytes, { keepRaw: true });
      const probs = items.filter((x): x is AuditLogError => x instanceof AuditLogError);
      expect(probs.filter((p) => p.code !== 'INVALID_UTF8').map((p) => [p.code, p.ctx.offset, p.ctx.end, p.ctx.index])).toEqual([
        ['MALFORMED_RECORD', records[hit]!.at.offset, records[hit]!.at.end, hit],
      ]);
      const got = entriesOf(items);
      const want = records.filter((_, i) => i !== hit);
      expect(got.map((e) => Buffer.from(e.raw!).toString('latin1'))).toEqual(want.map((e) => Buffer.from(e.raw!).toString('latin1')));
      expect(got.map((e) => e.at.index)).toEqual(want.map((e) => e.at.index));
      // The record right after the damaged one, whose bytes the damage did not touch.
      expect(got[hit]!.at.offset).toBe(records[hit + 1]!.at.offset);

      const dir = mkdtempSync(join(tmpdir(), 'damaged-close-'));
      const file = join(dir, 'audit.log');
      writeFileSync(file, bytes);
      const info = spawnSync(process.execPath, [CLI, 'info', '--json', file], { encoding: 'utf8' });
      expect(info.status).toBe(1);
      const rep = JSON.parse(info.stdout) as { records: number; malformed: { code: string; offset: number; end: number; index: number }[] };
      expect(rep.records).toBe(records.length - 1);
      expect(rep.malformed).toEqual([expect.objectContaining({ code: 'MALFORMED_RECORD', offset: records[hit]!.at.offset, end: records[hit]!.at.end, index: hit })]);
    });
  }

  test('JSON: a closing brace replaced by a byte that is not UTF-8: that record is MALFORMED_RECORD, the next one is read', () => {
    const text = Buffer.from(`[\n${js(1)},\n${js(2)},\n${js(3)}\n]\n`);
    const records = entriesOf(parseAll(text, { keepRaw: true }));
    expect(records).toHaveLength(3);
    const bytes = Buffer.from(text);
    bytes[records[1]!.at.end - 3] = 0x99; // the record's last `}`, before `,\n`
    expect(text[records[1]!.at.end - 3]).toBe(0x7d);
    const items = parseAll(bytes, { keepRaw: true });
    const probs = items.filter((x): x is AuditLogError => x instanceof AuditLogError).filter((p) => p.code !== 'INVALID_UTF8');
    expect(probs.map((p) => [p.code, p.ctx.offset, p.ctx.end, p.ctx.index])).toEqual([['MALFORMED_RECORD', records[1]!.at.offset, records[1]!.at.end, 1]]);
    const got = entriesOf(items);
    expect(got.map((e) => Buffer.from(e.raw!).toString())).toEqual([records[0]!, records[2]!].map((e) => Buffer.from(e.raw!).toString()));
    expect(got[1]!.at.index).toBe(2);
  });
});

describe('a declaration or comment opened inside the document and not closed before the next record', () => {
  test('OLD, "<?xml" spliced into a record: that record is MALFORMED_RECORD, the next one is read, not swallowed up to a "?>"', () => {
    const text = HEAD + old(1) + old(2).replace('NAME=', '<?xml version="1.0" en NAME=') + old(3) + '</AUDIT>\n';
    const items = parseAll(Buffer.from(text));
    const entries = entriesOf(items);
    expect(entries.map((e) => JSON.stringify(e.event).match(/select \d/)?.[0])).toEqual(['select 1', 'select 3']);
    expect(entries[1]!.at.offset).toBe(text.lastIndexOf('  <AUDIT_RECORD'));
    const probs = items.filter((x): x is AuditLogError => x instanceof AuditLogError);
    expect(probs.map((p) => p.code)).toEqual(['MALFORMED_RECORD', 'SKIPPED_DATA']);
    expect(probs[0]!.ctx.index).toBe(1);
    expect(probs[0]!.ctx.offset).toBe(HEAD.length + old(1).length);
    // The rest of the damaged record, from the spliced text on, is reported too.
    expect(probs[1]!.ctx.offset).toBe(text.indexOf('<?xml', 10));
    expect(probs[1]!.ctx.end).toBe(text.indexOf('select 2') + 'select 2"/>'.length);
  });

  test('NEW, an unclosed "<!--" between records: SKIPPED_DATA for it alone, the record after it is read, not swallowed up to a ">"', () => {
    const text = HEAD + rec(1) + ' <!-- x\n' + rec(2) + '</AUDIT>\n';
    const items = parseAll(Buffer.from(text));
    expect(entriesOf(items).map((e) => JSON.stringify(e.event).match(/select \d/)?.[0])).toEqual(['select 1', 'select 2']);
    const probs = items.filter((x): x is AuditLogError => x instanceof AuditLogError);
    expect(probs.map((p) => [p.code, p.ctx.offset, p.ctx.end])).toEqual([['SKIPPED_DATA', text.indexOf('<!--'), text.indexOf('<!--') + '<!-- x'.length]]);
  });
});
