import { describe, expect, test } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import { createIdSequencer, fieldsToEvent, type Fields } from '../src/mapping.js';
import { parseAttributeRecord, parseElementRecord, XmlScanner } from '../src/scanners/xml.js';
import { JsonScanner } from '../src/scanners/json.js';
import { PerconaCsvScanner } from '../src/scanners/percona-csv.js';
import type { Scanner } from '../src/scanners/scanner.js';
import { chunks, entriesOf, feed, feedReusing, fixture, problemsOf, randomCuts, saxesRecords, splitAt, summary } from './helpers.js';

const NEW_FIXTURES = [
  'public/mysql-utilities/audit.log.13951424704434196.xml',
  'public/mysql-refman/refman-9-new-xml-sample.xml',
  'public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml',
  'public/realworld/wwwted-mysql-5.7.21-new-xml-fragment.xml',
  'percona/new-format-5.6-2014-fragment.xml',
  'percona/new-format-5.7-2021-fragment-a.xml',
  'percona/new-format-5.7-2021-fragment-b.xml',
  'public/percona-audit-log-plugin-docs/ps-8.0-plugin-new-record.xml',
];
const OLD_FIXTURES = [
  'public/mysql-utilities/audit.log.13488316109086370',
  'public/mysql-utilities/audit.log.invalid',
  'public/mysql-refman/refman-9-old-xml-sample.xml',
  'public/percona-audit-log-filter-docs/ps-8.4-alf-old.xml',
  'percona/old-format-5.6-2014.xml',
  'percona/old-format-5.6-2016-fragment.xml',
  'percona/old-format-5.7-2021.xml',
  'percona/old-format-8.0-fragment.xml',
  'public/percona-audit-log-plugin-docs/ps-8.0-plugin-old-record.xml',
];

function scanBytes(bytes: Uint8Array, parts?: Uint8Array[]) {
  return feed(new XmlScanner({ file: 'x' }), parts ?? [bytes]);
}

describe('XML scanner: chunk boundaries', () => {
  for (const f of [...NEW_FIXTURES, ...OLD_FIXTURES]) {
    test(`${f}: chunks of 1..16 bytes and random splits give the same items`, () => {
      const bytes = fixture(f);
      const whole = summary(scanBytes(bytes));
      for (let size = 1; size <= 16; size++) expect(summary(scanBytes(bytes, chunks(bytes, size)))).toEqual(whole);
      for (let seed = 1; seed <= 20; seed++) expect(summary(scanBytes(bytes, splitAt(bytes, randomCuts(bytes.length, 5, seed))))).toEqual(whole);
    });
  }

  test('chunks may be reused by the caller once push() returns (JSON, CSV and XML scanners)', () => {
    const cases: [() => Scanner, string][] = [
      [() => new XmlScanner({ file: 'x' }), 'public/mysql-utilities/audit.log.13951424704434196.xml'],
      [() => new XmlScanner({ file: 'x' }), 'public/mysql-refman/refman-9-old-xml-sample.xml'],
      [() => new JsonScanner({ file: 'x' }, 'json'), 'public/percona-audit-log-filter-docs/ps-8.4-alf-json.json'],
      [() => new PerconaCsvScanner({ file: 'x' }), 'percona/csv-mtr-filter-commands.csv'],
    ];
    for (const [mk, f] of cases) {
      const bytes = fixture(f);
      const whole = summary(feed(mk(), [bytes]));
      for (const size of [7, 100, 1000]) expect(summary(feedReusing(mk(), chunks(bytes, size))), `${f} @${size}`).toEqual(whole);
    }
  });

  test('generated hostile NEW and OLD logs: every split point of the first records', () => {
    for (const format of ['new', 'old'] as const) {
      const bytes = Buffer.from(generateLogString({ format, records: 12, seed: 3, hostile: true }));
      const whole = summary(scanBytes(bytes));
      expect(entriesOf(scanBytes(bytes))).toHaveLength(12);
      for (let cut = 1; cut < bytes.length; cut += 3) expect(summary(scanBytes(bytes, splitAt(bytes, [cut])))).toEqual(whole);
    }
  });
});

describe('XML scanner: records and raw bytes', () => {
  test('the 5.6.16 NEW file: 77 records, complete, raw bytes rebuild the file', () => {
    const bytes = fixture('public/mysql-utilities/audit.log.13951424704434196.xml');
    const s = new XmlScanner({ file: 'x' });
    const items = feed(s, [bytes]);
    const entries = entriesOf(items);
    expect(entries).toHaveLength(77);
    expect(problemsOf(items)).toEqual([]);
    expect(s.complete).toBe(true);
    const header = bytes.subarray(0, entries[0]!.at.offset).toString();
    expect(header).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n');
    const rebuilt = Buffer.concat([Buffer.from(header), ...entries.map((e) => e.raw!), Buffer.from('</AUDIT>\n')]);
    expect(rebuilt.equals(bytes)).toBe(true);
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.at.offset).toBe(entries[i - 1]!.at.end);
  });

  test('decodes entities in values and maps a Query record', () => {
    const bytes = fixture('public/mysql-utilities/audit.log.13951424704434196.xml');
    const e = entriesOf(scanBytes(bytes)).find((x) => x.event.general_data?.query?.includes("value = '<>"));
    expect(e?.event.general_data).toEqual({
      command: 'Query',
      sql_command: '',
      query: `select * from test_encoding where value = '<>"&'`,
      status: 1046,
    });
    expect(e?.event.account).toEqual({ user: 'tester', host: 'localhost' });
    expect(e?.event.login).toEqual({ user: 'root', os: '', ip: '127.0.0.1' });
  });

  test('5.5 one-line OLD file with several server starts: 87 records, ids restart each second', () => {
    const items = scanBytes(fixture('public/mysql-utilities/audit.log.13488316109086370'));
    const entries = entriesOf(items);
    expect(entries).toHaveLength(87);
    expect(entries.every((e) => e.format === 'old')).toBe(true);
    expect(entries[0]!.event).toMatchObject({ timestamp: '2012-09-27 13:33:11', id: 0, class: 'audit', event: 'startup' });
    expect(entries[1]!.event).toMatchObject({ timestamp: '2012-09-27 13:33:11', id: 1, class: 'general', event: 'status' });
    expect(entries[3]!.event).toMatchObject({ timestamp: '2012-09-27 13:33:39', id: 0, class: 'connection', event: 'connect' });
  });

  test('OLD attribute values keep raw newlines and tabs', () => {
    const rec = '<AUDIT_RECORD TIMESTAMP="2019-10-03T14:25:24 UTC" NAME="Query" SQLTEXT="select 1\n\tfrom dual\r\n  &lt;x&gt;"/>';
    const p = parseAttributeRecord(rec);
    expect(typeof p).toBe('object');
    expect((p as { fields: Fields }).fields.SQLTEXT).toBe('select 1\n\tfrom dual\r\n  <x>');
  });

  test('NEW values keep raw CR, TAB and LF; Percona control character references decode', () => {
    const p = parseElementRecord('<AUDIT_RECORD>\n  <NAME>Query</NAME>\n  <SQLTEXT>a\r\nb\tc&#10;d&#9;e</SQLTEXT>\n </AUDIT_RECORD>');
    expect((p as { fields: Fields }).fields.SQLTEXT).toBe('a\r\nb\tc\nd\te');
  });

  test('connection attributes of the manual sample become connection_attributes', () => {
    const entries = entriesOf(scanBytes(fixture('public/mysql-refman/refman-9-new-xml-sample.xml')));
    expect(entries).toHaveLength(6);
    expect(entries[1]!.event.connection_data).toEqual({
      connection_type: 'ssl',
      status: 0,
      db: 'test',
      connection_attributes: { _pid: '42794', program_name: 'mysqladmin' },
    });
    expect(entries[0]!.event.startup_data?.args).toEqual(['/usr/local/mysql/bin/mysqld', '--socket=/usr/local/mysql/mysql.sock', '--port=3306']);
  });

  test('Percona classic records are told apart by RECORD and OS_USER', () => {
    const old = entriesOf(scanBytes(fixture('percona/old-format-5.6-2014.xml')));
    expect(old.map((e) => e.format)).toEqual(['percona-old', 'percona-old', 'percona-old']);
    expect(old[1]!.event).toMatchObject({
      timestamp: '2014-04-29 10:20:10',
      class: 'general',
      connection_id: 49,
      account: { user: 'root', host: 'localhost' },
      login: { user: 'root', os: '', ip: '' },
      general_data: { command: 'Query', sql_command: 'select', query: 'SELECT * from mysql.user', status: 0 },
    });
    const nw = entriesOf(scanBytes(fixture('percona/new-format-5.7-2021-fragment-b.xml')));
    expect(nw.map((e) => e.format)).toEqual(['percona-new']);
  });

  test('several XML documents back to back are read as one stream', () => {
    const one = generateLogString({ format: 'new', records: 5, seed: 9 });
    const bytes = Buffer.from(one + one.replace('</AUDIT>\n', '') + one);
    const s = new XmlScanner({ file: 'x' });
    const items = feed(s, [bytes]);
    expect(entriesOf(items)).toHaveLength(15);
    expect(problemsOf(items)).toEqual([]);
    expect(s.complete).toBe(true);
  });
});

describe('XML scanner: edges', () => {
  test('a UTF-8 byte order mark is not junk; text after the footer makes the file not complete', () => {
    const text = generateLogString({ format: 'new', records: 3, seed: 6 });
    const s1 = new XmlScanner({ file: 'x' });
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const items = feed(s1, chunks(withBom, 1));
    expect(problemsOf(items)).toEqual([]);
    expect(entriesOf(items)).toHaveLength(3);
    expect(s1.complete).toBe(true);
    const s2 = new XmlScanner({ file: 'x' });
    expect(problemsOf(feed(s2, [Buffer.from(text + 'trailing text\n')])).map((p) => p.code)).toEqual(['UNEXPECTED_DATA']);
    expect(s2.complete).toBe(false);
  });
});

describe('XML scanner: bad input', () => {
  test('a malformed record in the middle is reported with its position; the records after it are read', () => {
    const bytes = fixture('public/mysql-utilities/audit.log.invalid');
    const items = scanBytes(bytes);
    const bad = problemsOf(items);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.code).toBe('MALFORMED_RECORD');
    expect(bad[0]!.ctx.index).toBe(2);
    const line5 = bytes.toString('latin1').split('\n').slice(0, 4).join('\n').length + 1;
    expect(bad[0]!.ctx.offset).toBe(line5);
    expect(bytes.subarray(bad[0]!.ctx.offset!, bad[0]!.ctx.end!).toString()).toBe(
      '  <AUDIT_RECORD TIMESTAMP="2012-09-27T13:33:11" NAME="Quit" CONNECTION_ID="6" STATUS="0"\n',
    );
    const entries = entriesOf(items);
    expect(entries).toHaveLength(69);
    expect(entries[2]!.at.index).toBe(3);
    expect(entries[2]!.event).toMatchObject({ class: 'connection', event: 'connect', connection_id: 7 });
  });

  test('a record torn at any point and followed by whole ones: one malformed, the rest read (NEW and OLD)', () => {
    for (const format of ['new', 'old'] as const) {
      const log = generateLogString({ format, records: 4, seed: 2, hostile: true });
      const sep = format === 'new' ? ' <AUDIT_RECORD>\n' : '  <AUDIT_RECORD\n';
      const recs = log.split(sep);
      for (let cut = 1; cut < recs[2]!.length - 12; cut++) {
        const bytes = Buffer.from([recs[0], recs[1], recs[2]!.slice(0, cut) + '\n', recs[3], recs[4]].join(sep));
        const items = scanBytes(bytes);
        expect(problemsOf(items).map((p) => [p.code, p.ctx.index])).toEqual([['MALFORMED_RECORD', 1]]);
        expect(entriesOf(items).map((e) => e.at.index)).toEqual([0, 2, 3]);
      }
    }
  });

  test('a torn record followed by the next record on the same line (a crashed one-line file)', () => {
    const cases: [string, number][] = [
      ['<AUDIT>\n<AUDIT_RECORD NAME="Query" SQLTEXT="x<AUDIT_RECORD NAME="Quit"/>\n</AUDIT>\n', 1],
      ['<AUDIT_RECORD><NAME>Q</NAME><AUDIT_RECORD><NAME>Quit</NAME></AUDIT_RECORD>', 1],
      ['  <AUDIT_RECORD TIMESTAMP="2012-09-27T13:33:11" NAME="Qu  <AUDIT_RECORD TIMESTAMP="2012-09-27T13:33:12" NAME="Quit"/>\n', 1],
    ];
    for (const [text, records] of cases) {
      const items = scanBytes(Buffer.from(text));
      expect(problemsOf(items).map((p) => p.code), text).toEqual(['MALFORMED_RECORD']);
      const got = entriesOf(items);
      expect(got, text).toHaveLength(records);
      expect(got[0]!.event.general_data ?? got[0]!.event.connection_data).toBeDefined();
      expect(got[0]!.at.index).toBe(1);
      for (const size of [1, 5]) expect(summary(scanBytes(Buffer.from(text), chunks(Buffer.from(text), size)))).toEqual(summary(items));
    }
  });

  test('a long stretch of text without records or newlines is not carried from push to push', () => {
    for (const make of [() => new XmlScanner({ file: 'x' }), () => new JsonScanner({ file: 'x' }, 'json'), () => new PerconaCsvScanner({ file: 'x' })]) {
      const s = make();
      s.push(Buffer.from(s instanceof XmlScanner ? '<AUDIT>\n' : s instanceof JsonScanner ? '[\n' : '"Query","1_x","t","select","1",0,"q","u","h","","",""\n'));
      const junk = Buffer.alloc(64 * 1024, 0x78);
      for (let i = 0; i < 64; i++) s.push(junk);
      const carried = s.bytesRead - (s as unknown as { base: number }).base;
      expect(carried, s.constructor.name).toBeLessThan(1024);
      const items = s.end();
      // After the header (XML, JSON) or a record (CSV), skipped bytes are a data problem.
      expect(problemsOf(items).map((p) => p.code)).toEqual(['SKIPPED_DATA']);
    }
  });

  test('a record longer than maxRecordBytes is reported and skipped; memory stays bounded; reading goes on', () => {
    const good = generateLogString({ format: 'new', records: 3, seed: 13 });
    const body = good.slice(good.indexOf(' <AUDIT_RECORD>'), good.indexOf('</AUDIT>'));
    const huge = ` <AUDIT_RECORD>\n  <SQLTEXT>${'y'.repeat(300_000)}</SQLTEXT>\n </AUDIT_RECORD>\n`;
    const text = `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${huge}${body}</AUDIT>\n`;
    const s = new XmlScanner({ file: 'x', maxRecordBytes: 100_000 });
    const items = feed(s, chunks(Buffer.from(text), 32 * 1024));
    const probs = problemsOf(items);
    expect(probs[0]).toMatchObject({ code: 'MALFORMED_RECORD', ctx: { offset: 47, index: 0 } });
    expect(probs[0]!.detail).toMatch(/longer than 100000 bytes/);
    expect(probs.slice(1).every((p) => p.code === 'SKIPPED_DATA')).toBe(true);
    expect(entriesOf(items).map((e) => e.at.index)).toEqual([1, 2, 3]);
  });

  test('a truncated last record is reported and never returned half, at every cut point', () => {
    const bytes = Buffer.from(generateLogString({ format: 'new', records: 6, seed: 4, hostile: true }));
    const full = entriesOf(scanBytes(bytes));
    for (let cut = 1; cut < bytes.length; cut++) {
      const items = scanBytes(bytes.subarray(0, cut));
      const got = entriesOf(items);
      // A prefix of the full file's records, never a half one.
      expect(got.map((e) => e.event)).toEqual(full.slice(0, got.length).map((e) => e.event));
      const probs = problemsOf(items);
      // The record the cut falls in, if any: it must come out as exactly one TRUNCATED_RECORD,
      // unless the cut leaves less than `<AUDIT_` of it (then it is text outside records).
      const torn = full.find((e) => e.at.offset < cut && cut < e.at.end - 1);
      const tagStart = torn ? torn.at.offset + Buffer.from(torn.raw!).indexOf('<') : -1;
      if (torn && cut - tagStart >= 7) expect(probs.map((p) => [p.code, p.ctx.index])).toEqual([['TRUNCATED_RECORD', got.length]]);
      else for (const p of probs) expect(['UNEXPECTED_DATA', 'SKIPPED_DATA']).toContain(p.code);
    }
  });

  test('an unterminated file is read whole and reported as not complete', () => {
    const s = new XmlScanner({ file: 'x' });
    const items = feed(s, [Buffer.from(generateLogString({ format: 'old', records: 5, seed: 5, unterminated: true }))]);
    expect(entriesOf(items)).toHaveLength(5);
    expect(problemsOf(items)).toEqual([]);
    expect(s.complete).toBe(false);
  });

  test('text between records inside the document is reported once per stretch as SKIPPED_DATA, not as a record', () => {
    const items = scanBytes(fixture('public/mysql-refman/refman-9-new-xml-sample.xml'));
    const p = problemsOf(items);
    expect(p.map((x) => x.code)).toEqual(['SKIPPED_DATA', 'SKIPPED_DATA', 'SKIPPED_DATA']);
    expect(p.every((x) => x.ctx.index === undefined)).toBe(true);
  });
});

describe('XML scanner agrees with saxes (strict) on well-formed NEW XML', () => {
  const docs: [string, string][] = [
    ['5.6.16 file', fixture('public/mysql-utilities/audit.log.13951424704434196.xml').toString()],
    ['manual sample', fixture('public/mysql-refman/refman-9-new-xml-sample.xml').toString()],
    ['Percona filter NEW', fixture('public/percona-audit-log-filter-docs/ps-8.4-alf-new.xml').toString()],
    ['generated hostile', generateLogString({ format: 'new', records: 400, seed: 11, hostile: true })],
  ];
  for (const [name, xml] of docs) {
    test(`${name}: field for field, and event for event`, () => {
      const oracle = saxesRecords(xml);
      const entries = entriesOf(scanBytes(Buffer.from(xml)));
      expect(entries.length).toBe(oracle.length);
      const ids = createIdSequencer();
      entries.forEach((e, i) => {
        const mine = parseElementRecord(Buffer.from(e.raw!).toString().trim());
        if (typeof mine !== 'object') throw new Error(`record ${i}: ${mine}`);
        // Mapped fields and the unmapped ones (kept apart by the scanner) together, as saxes sees them.
        const fields = Object.fromEntries(Object.entries(mine.fields).filter(([, v]) => v !== undefined));
        for (const [k, v] of mine.extras ?? []) if (typeof v === 'string') fields[k] = v;
        expect(mine.attributes ? { fields, attributes: mine.attributes } : { fields }).toEqual(oracle[i]);
        expect(e.event).toEqual(fieldsToEvent(oracle[i]!.fields, ids, oracle[i]!.attributes));
      });
    });
  }
});

describe('several documents back to back (Percona reopens the file)', () => {
  const doc = fixture('percona/old-format-5.6-2014.xml').toString('latin1');
  const header = doc.slice(0, doc.indexOf('<AUDIT_RECORD'));
  for (const [name, tail, complete] of [
    ['ends with the second document closed', doc, true],
    ['ends right after the second header', header, false],
    ['ends right after the second XML declaration', header.slice(0, header.indexOf('<AUDIT>')), false],
  ] as const) {
    test(`${name}: complete is ${complete}`, () => {
      for (const size of [1, 7, 4096]) {
        const s = new XmlScanner({}, 'percona-old');
        const items = feed(s, chunks(Buffer.from(doc + tail, 'latin1'), size));
        expect(problemsOf(items)).toEqual([]);
        expect(s.complete).toBe(complete);
      }
    });
  }
});
