import { describe, expect, test } from 'vitest';
import { closest, editDistance, unknownFlag } from '../cli/did-you-mean.js';
import { escapeText } from '../src/text.js';
import { displayWidth, fit, fitWidths } from '../cli/show-format.js';
import type { Entry } from '../src/entry.js';
import { MAX_KEYS, SecurityTally, TOP_N, topCounts } from '../src/security.js';

describe('did you mean', () => {
  test('edit distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('shwo', 'show')).toBe(1);
    expect(editDistance('infoo', 'info')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
  test('closest: near names and unique prefixes, nothing for unrelated words', () => {
    const cmds = ['convert', 'help', 'info', 'show', 'version'];
    expect(closest('infoo', cmds)).toBe('info');
    expect(closest('conver', cmds)).toBe('convert');
    expect(closest('vers', cmds)).toBe('version');
    expect(closest('frobnicate', cmds)).toBeUndefined();
  });
  test('unknownFlag skips the values of flags that take one, and stops at --', () => {
    const flags = { user: { type: 'option' as const }, count: { type: 'boolean' as const, char: 'c' }, pager: { type: 'boolean' as const, allowNo: true }, grep: { type: 'option' as const } };
    expect(unknownFlag(['--user', '--usr', 'x'], flags)).toBeUndefined();
    expect(unknownFlag(['--grep=--x', '-c', '--no-pager', 'f'], flags)).toBeUndefined();
    expect(unknownFlag(['--usr', 'root'], flags)).toEqual({ typed: '--usr', guess: '--user' });
    expect(unknownFlag(['--no-pagr'], flags)).toEqual({ typed: '--no-pagr', guess: '--no-pager' });
    expect(unknownFlag(['-x'], flags)).toEqual({ typed: '-x' });
    expect(unknownFlag(['--', '--anything'], flags)).toBeUndefined();
  });
});

describe('escaping', () => {
  test('C0, DEL, C1, line separators and bidi overrides are escaped; text and non-ASCII stay', () => {
    expect(escapeText('a\x1b[2Jb\x07\x7f\x9b')).toBe('a\\x1b[2Jb\\x07\\x7f\\x9b');
    expect(escapeText('l1\nl2\tx\r')).toBe('l1\\nl2\\tx\\r');
    expect(escapeText('evil\u202etxt.exe\u2028')).toBe('evil\\u202etxt.exe\\u2028');
    expect(escapeText('é 日本 a\\b')).toBe('é 日本 a\\b');
  });
  test('for tab-separated output backslashes are doubled, so the escaping can be undone', () => {
    expect(escapeText('a\\nb\tc', true)).toBe('a\\\\nb\\tc');
  });
});

describe('table layout', () => {
  test('display width: wide East Asian characters take two columns, combining marks none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });
  test('fit cuts with … and never exceeds the width, also through wide characters', () => {
    expect(fit('abcdef', 4, false)).toBe('abc…');
    expect(fit('ab', 4, true)).toBe('ab  ');
    expect(displayWidth(fit('日本語です', 6, true))).toBe(6);
    expect(fit('日本語です', 6, false)).toBe('日本…');
  });
  test('fitWidths: the widest column gives way first, down to the others', () => {
    expect(fitWidths([19, 4, 14, 9, 6, 44], 100)).toEqual([19, 4, 14, 9, 6, 38]);
    expect(fitWidths([10, 30, 30], 50)).toEqual([10, 18, 18]);
    expect(fitWidths([5, 5], 80)).toEqual([5, 5]);
  });
});

function entry(event: Entry['event'], index = 0): Entry {
  return { event, format: 'json', at: { file: 'f', offset: index * 10, end: index * 10 + 10, index } };
}

describe('security tally', () => {
  test('topCounts keeps the TOP_N largest and sums the rest as (other)', () => {
    const m = new Map(Array.from({ length: 25 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 100 - i] as [string, number]));
    const t = topCounts(m);
    expect(Object.keys(t)).toHaveLength(TOP_N + 1);
    expect(t['k00']).toBe(100);
    expect(t['(other)']).toBe(80 + 79 + 78 + 77 + 76);
  });
  test('memory stays bounded: past MAX_KEYS distinct hosts the rest are counted as (other)', () => {
    const t = new SecurityTally();
    for (let i = 0; i < MAX_KEYS + 50; i++) t.add(entry({ account: { host: `h${i}` } }));
    const r = t.report();
    expect(r.hosts['(other)']).toBe(MAX_KEYS + 50 - TOP_N);
    expect(Object.values(r.hosts).reduce((a, b) => a + b, 0)).toBe(MAX_KEYS + 50);
  });
  test('privileged statements by sql_command, or by their text when it is missing; table-access repeats are not counted', () => {
    const t = new SecurityTally();
    t.add(entry({ timestamp: '2024-01-01 00:00:00', class: 'general', account: { user: 'root', host: 'h' }, general_data: { sql_command: 'drop_user', query: 'DROP USER x', status: 0 } }, 0));
    t.add(entry({ class: 'general', login: { user: 'u', ip: '1.2.3.4' }, general_data: { command: 'Query', query: '  alter  user x identified by y', status: 1227 } }, 1));
    t.add(entry({ class: 'table_access', table_access_data: { query: 'GRANT ALL ON *.* TO x', sql_command: 'grant' } }, 2));
    t.add(entry({ class: 'general', general_data: { sql_command: 'select', query: 'select "grant"' } }, 3));
    const p = t.report().privileged;
    expect(p.count).toBe(2);
    expect(p.kinds).toEqual({ alter_user: 1, drop_user: 1 });
    expect(p.list.map((s) => [s.kind, s.user, s.host, s.status, s.index])).toEqual([
      ['drop_user', 'root', 'h', 0, 0],
      ['alter_user', 'u', '1.2.3.4', 1227, 1],
    ]);
  });
  test('logins: connect and change_user; failed = status not 0, with the codes; the login user counts', () => {
    const t = new SecurityTally();
    const c = (status: number, ev = 'connect') => t.add(entry({ class: 'connection', event: ev, account: { user: '', host: 'db1' }, login: { user: 'eve' }, connection_data: { status } }));
    c(0);
    c(1045);
    c(1045);
    c(1130, 'change_user');
    t.add(entry({ class: 'connection', event: 'disconnect', login: { user: 'eve' }, connection_data: {} }));
    const r = t.report();
    expect(r.logins).toEqual([{ user: 'eve', host: 'db1', ok: 1, failed: 3, errors: { '1045': 2, '1130': 1 } }]);
    expect(r.loginTotals).toEqual({ ok: 1, failed: 3 });
    expect(r.errors).toEqual({ '1045': 2, '1130': 1 });
  });
});
