/** Invalid UTF-8 in a value is reported (count and first positions), never silently replaced; same-format pass-through keeps the bytes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { parseAll } from '../src/reader.js';
import { firstInvalidUtf8 } from '../src/scanners/scanner.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n';
const rec = (q: Buffer) => Buffer.concat([Buffer.from(' <AUDIT_RECORD>\n  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <SQLTEXT>'), q, Buffer.from('</SQLTEXT>\n </AUDIT_RECORD>\n')]);
const bad = Buffer.concat([Buffer.from(HEAD), rec(Buffer.from('select 1')), rec(Buffer.from([0x73, 0xff, 0x74])), rec(Buffer.from('caf\u00e9 \ufffd ok')), rec(Buffer.from([0xe2, 0x82])), Buffer.from('</AUDIT>\n')]);

describe('invalid UTF-8', () => {
  test('one INVALID_UTF8 notice at the end, with the count and the first bad bytes; a real U+FFFD is not counted', () => {
    const items = parseAll(bad);
    const probs = items.filter((x): x is AuditLogError => x instanceof AuditLogError);
    expect(probs.map((p) => p.code)).toEqual(['INVALID_UTF8']);
    const first = bad.indexOf(0xff);
    const second = bad.indexOf(Buffer.from([0xe2, 0x82, 0x3c]));
    expect(probs[0]!.ctx.offset).toBe(first);
    expect(probs[0]!.detail).toContain(`2 records hold bytes that are not UTF-8 (first at bytes ${first}, ${second})`);
  });

  test('info: a notice, exit 0; convert to another format notes it; to the same format the bytes are kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'utf8-'));
    const file = join(dir, 'audit.log');
    writeFileSync(file, bad);
    const info = spawnSync(process.execPath, [CLI, 'info', '--json', file], { encoding: 'utf8' });
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout).notices).toEqual([expect.objectContaining({ code: 'INVALID_UTF8' })]);
    const nd = spawnSync(process.execPath, [CLI, 'convert', file, '--to', 'ndjson'], { encoding: 'utf8' });
    expect(nd.stderr).toMatch(/Note: .*INVALID_UTF8: 2 records/);
    const out = join(dir, 'same.xml');
    spawnSync(process.execPath, [CLI, 'convert', file, '--to', 'new', '-o', out]);
    expect(readFileSync(out).equals(bad)).toBe(true);
  });

  test('firstInvalidUtf8 finds the first bad byte', () => {
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3, 0xa9, 0xff]), 0, 4)).toBe(3);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]), 0, 3)).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]), 0, 2)).toBe(0);
  });
});
