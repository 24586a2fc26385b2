/**
 * Lean reading (src/scanners/frame.ts) against the full parse: for every
 * fixture, for generated inputs fed in odd chunks, and for inputs damaged the
 * way the fuzz test damages them, a same-format conversion read lean gives the
 * same output bytes and the same summary (or stops with the same error) as one
 * read in full, with and without filters, with `--on-error skip` and `fail`;
 * the rotating writer gives the same files; and the reader gives the same
 * records (positions, bytes, format, time zone, timestamp, id) and problems.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { generateLog } from '../bench/generate.js';
import { convert, convertInto, type ConvertOptions } from '../src/convert.js';
import type { AuditEvent, Entry } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';
import { filterPaths, type FilterSpec } from '../src/filter.js';
import { readAuditLog, type Source } from '../src/reader.js';
import { createRotatingSink } from '../src/sinks/rotating.js';
import type { OutputFormat } from '../src/writers/index.js';
import { FIXTURES, fixture, fixtureInputs, randomCuts, splitAt } from './helpers.js';
import { applyAll, DAMAGE_FIXTURES, op } from './mutations.js';

const SEED = 20261201;

/** Every file under fixtures/ that is an input (not an expectation or a README), relative to fixtures/. */
const fixtureFiles = () => fixtureInputs().map((p) => relative(FIXTURES, p));

/** What a conversion gave: the output bytes and the summary, or the error that stopped it. */
type Outcome = { out: string; summary: unknown } | { error: unknown };

function errorOf(e: unknown): unknown {
  if (e instanceof AuditLogError) return { code: e.code, message: e.message, ctx: e.ctx };
  throw e;
}

async function run(src: () => Source, opts: ConvertOptions): Promise<Outcome> {
  const parts: Buffer[] = [];
  const dest = new Writable({
    write(c: Buffer, _e, cb) {
      parts.push(Buffer.from(c));
      cb();
    },
  });
  try {
    const summary = await convert([src()], dest, opts);
    return { out: Buffer.concat(parts).toString('latin1'), summary };
  } catch (e) {
    return { error: errorOf(e) };
  }
}

/** Convert lean and in full; both outcomes must be the same. Returns the full one. */
async function same(src: () => Source, opts: ConvertOptions, what: string): Promise<Outcome> {
  const full = await run(src, { ...opts, lean: false });
  const lean = await run(src, { ...opts, lean: true });
  expect(lean, what).toEqual(full);
  return full;
}

const get = (e: AuditEvent, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), e);

/** Filters that select some of the records of `events` (values taken from the records themselves), and some that select none. */
function filtersFor(events: AuditEvent[]): FilterSpec[] {
  const mid = events[Math.floor(events.length / 2)] ?? {};
  const pick = (path: string): string | undefined => {
    for (const e of [mid, ...events]) {
      const v = get(e, path);
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
    return undefined;
  };
  const specs: FilterSpec[] = [];
  const user = pick('account.user') ?? pick('login.user');
  if (user !== undefined) specs.push({ user: [user] });
  const host = pick('account.host');
  if (host !== undefined) specs.push({ host: [host] });
  const ip = pick('login.ip');
  if (ip !== undefined) specs.push({ ip: [ip] });
  const db = pick('connection_data.db') ?? pick('general_data.db') ?? pick('table_access_data.db');
  if (db !== undefined) specs.push({ db: [db] });
  specs.push({ event: ['query', 'connection', 'Quit', 'table_access/read'] });
  specs.push({ commandClass: ['select', 'insert'] });
  const conn = pick('connection_id');
  if (conn !== undefined && /^\d+$/.test(conn)) specs.push({ connectionId: [conn] });
  specs.push({ status: ['error'] });
  const ts = typeof mid.timestamp === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(mid.timestamp) ? mid.timestamp : undefined;
  if (ts !== undefined) specs.push({ since: ts }, { until: ts, ...(user !== undefined ? { user: [user] } : {}) });
  specs.push({ grep: ['select|set'], ignoreCase: true });
  return specs;
}

/** The full events of an input (for choosing filters), or none when it cannot be read. */
async function eventsOf(bytes: Buffer): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  try {
    for await (const e of readAuditLog(bytes, { onError: 'skip', keepRaw: false })) out.push(e.event);
  } catch {
    // an input that cannot be read gives no filters of its own
  }
  return out;
}

const OWN: Record<string, OutputFormat> = { new: 'new', old: 'old', json: 'json', 'percona-new': 'new', 'percona-old': 'old', 'percona-json': 'json', 'percona-csv': 'json' };

async function formatOf(bytes: Buffer): Promise<string | undefined> {
  const log = readAuditLog(bytes, { onError: 'skip', keepRaw: false });
  try {
    for await (const _ of log.batches()) break;
  } catch {
    return undefined;
  }
  return log.format;
}

describe('lean same-format conversion: the output and summary of the full parse', () => {
  for (const rel of fixtureFiles()) {
    test(`fixture ${rel}`, async () => {
      const bytes = fixture(rel);
      const own = OWN[(await formatOf(bytes)) ?? ''] ?? 'json';
      const events = await eventsOf(bytes);
      for (const onError of ['skip', 'fail'] as const) {
        for (const filter of [{}, ...filtersFor(events)]) await same(() => bytes, { to: own, onError, filter }, `${rel} -> ${own} ${onError} ${JSON.stringify(filter)}`);
        for (const to of (['new', 'old', 'json'] as const).filter((t) => t !== own)) await same(() => bytes, { to, onError }, `${rel} -> ${to} ${onError}`);
      }
    });
  }

  test('a local-time input with --source-tz: the converted times are the full parse\'s', async () => {
    for (const rel of ['constructed/percona-filter-full-classes-new.xml', 'percona/json-format-8.0-charmed-mysql.json']) {
      const bytes = fixture(rel);
      for (const to of ['new', 'json'] as const) await same(() => bytes, { to, sourceTz: 'Europe/Berlin', onError: 'skip' }, `${rel} -> ${to}`);
    }
  });
});

/**
 * Records at the edges of what the walks vouch for, each between ordinary ones: the
 * shapes they hand to the full parse (which reads or reports them) and the ones they read.
 */
const NEW_REC = (fields: string) => ` <AUDIT_RECORD>\n${fields}\n </AUDIT_RECORD>\n`;
const NEW_OK = NEW_REC('  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <RECORD_ID>1_2019-10-03T14:09:38</RECORD_ID>\n  <NAME>Query</NAME>\n  <CONNECTION_ID>7</CONNECTION_ID>\n  <STATUS>0</STATUS>\n  <USER>root[root] @ localhost [127.0.0.1]</USER>\n  <HOST>localhost</HOST>\n  <COMMAND_CLASS>select</COMMAND_CLASS>\n  <SQLTEXT>select 1</SQLTEXT>');
const NEW_ODD = [
  '  <TIMESTAMP >2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <NAME>Query</NAME>',
  '  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <NAME a="b">Query</NAME>',
  '  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <NAME>Query</NAMEX>',
  '  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <>Query</>',
  '  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <NAME/ >',
  '  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <TIMESTAMP>2019-10-03T14:09:40 UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <USER>root</USER>\n  <USER>admin</USER>',
  '  <TIMESTAMP>2019-10-03T14:09:3&#56; UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <SQLTEXT>select &lt;1&gt; &amp; x</SQLTEXT>',
  '  <TIMESTAMP>2019-10-03T14:09:39</TIMESTAMP>\n  <RECORD_ID>3_2019-10-03T14:09:39</RECORD_ID>\n  <NAME>Query</NAME>\n  <USER>root</USER>',
  '  <TIMESTAMP>2019-10-03T14:09:39</TIMESTAMP>\n  <NAME>Query</NAME>',
  '  <TIMESTAMP>2019-10-03T14:09:39Z</TIMESTAMP>\n  <RECORD>4_2019-10-03T14:09:39</RECORD>\n  <NAME>Query</NAME>\n  <OS_USER/>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  ...\n  <NAME>Connect</NAME>\n  <CONNECTION_ATTRIBUTES>\n   <ATTRIBUTE>\n    <NAME>_os</NAME>\n    <VALUE>Linux</VALUE>\n   </ATTRIBUTE>\n  </CONNECTION_ATTRIBUTES>\n  <USER>root</USER>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <NAME>Quit</NAME>\n  <DB/>\n  <DB>shop</DB>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <NAME>Quit</NAME>\n  <Db>other</Db>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <NAME>Execute</NAME>\n  <STORED_PROGRAM>p</STORED_PROGRAM>\n  <DB>shop</DB>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <AUDIT_RECORD/>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <SQLTEXT>caf\xe9 \xff\xfe</SQLTEXT>',
  '  <TIMESTAMP/>\n  <NAME>Query</NAME>',
  '  <NAME>Ping</NAME>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <X.y-1>v</X.y-1>\n  <NAME>Query</NAME>',
  '  <TIMESTAMP>2019-10-03T14:09:39 UTC</TIMESTAMP>\n  <NAME>Query</NAME>\n  <SQLTEXT>a > b</SQLTEXT>',
].map(NEW_REC);
const OLD_REC = (attrs: string) => `  <AUDIT_RECORD${attrs}/>\n`;
const OLD_OK = OLD_REC('\n    TIMESTAMP="2019-10-03T14:09:38 UTC"\n    RECORD_ID="1_2019-10-03T14:09:38"\n    NAME="Query"\n    CONNECTION_ID="7"\n    STATUS="0"\n    USER="root[root] @ localhost [127.0.0.1]"\n    HOST="localhost"\n    COMMAND_CLASS="select"\n    SQLTEXT="select 1"');
const OLD_ODD = [
  ' TIMESTAMP="2019-10-03T14:09:38 UTC"NAME="Query"',
  ' TIMESTAMP = "2019-10-03T14:09:38 UTC" NAME=\t"Query"',
  " TIMESTAMP='2019-10-03T14:09:38 UTC' NAME=\"Query\"",
  ' TIMESTAMP="2019-10-03T14:09:38 UTC" NAME="Query" SQLTEXT="a > b"',
  ' TIMESTAMP="2019-10-03T14:09:38 UTC" NAME="Query" SQLTEXT="a < b"',
  ' TIMESTAMP="2019-10-03T14:09:38 UTC" NAME="Query" x:y="1" USER="a" USER="b"',
  ' TIMESTAMP="2019-10-03T14:09:38 UTC" NAME="Query" A B="1"',
  '',
  ' ',
  ' TIMESTAMP="2019-10-03T14:09:39" RECORD_ID="2_x" NAME="Query"',
  ' TIMESTAMP="2019-10-03T14:09:39Z" RECORD="2_x" NAME="Query"',
  ' TIMESTAMP="2019-10-03T14:09:3&#57; UTC" NAME="Query" SQLTEXT="&quot;x&quot;"',
  ' TIMESTAMP="2019-10-03T14:09:39 UTC" NAME="Query" SQLTEXT="unclosed',
  ' TIMESTAMP="2019-10-03T14:09:39 UTC" NAME="Query" /',
  ' TIMESTAMP="2019-10-03T14:09:39 UTC" NAME="Query" SQLTEXT="caf\xe9"',
].map(OLD_REC);
const JSON_OK = '{ "timestamp": "2019-10-03 14:09:38", "id": 0, "class": "general", "event": "status", "connection_id": 7, "account": { "user": "root", "host": "localhost" }, "login": { "user": "root", "os": "", "ip": "127.0.0.1", "proxy": "" }, "general_data": { "command": "Query", "sql_command": "select", "query": "select 1", "status": 0 } }';
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const JSON_ODD = [
  '{ "timestamp": "2019-10-03 14:09:38", "id": 1, "class": "general", "timestamp": "2019-10-03 14:09:39", "account": { "user": "root" }, "account": { "host": "h" } }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 2, "class": "general", "general_data": { "sql_command": "select", "sql_command": 5, "query": "a" } }',
  `{ "timestamp": "2019-10-03 14:09:39", "id": 3, "x": ${deep(63)} }`,
  `{ "timestamp": "2019-10-03 14:09:39", "id": 4, "x": ${deep(64)} }`,
  '{ "timestamp": "2019-10-03 14:09:39", "id": 5, "time\\u005fzone": "local", "cl\\u0061ss": "command" }',
  '{ "timestamp": "2019-10-03 14:09:39", "time_zone": "local", "id": 6, "class": "general" }',
  '{ "timestamp": "2019-10-03 14:09:39", "time_zone": "UTC", "id": 7, "class": "general" }',
  '{ "timestamp": "2019-10-03 14:09:39", "time_zone": "+02:00", "id": 8, "class": "general" }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 9, "class": "general", "general_data": { "query": "tab\there" } }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 9, "class": "general", "general_data": { "que\try": "caf\xe9" } }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 10, "general_data": { "query": "bad \\x escape" } }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 01 }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 1. }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": -0.5e-3, "n": [1E+5, -0, 0.25, 1e9, tru] }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 12, "n": [true, false, null, {}, [], ""], "o": {} }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 13, "a": 1, }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 14, "a": [1,] }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 15, "general_data": { "query": "caf\xe9 \xff" } }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 16, \xff: 1 }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 17 } { "timestamp": "2019-10-03 14:09:39", "id": 18 }',
  '{"audit_record":{"name":"Query","record":"1_2019-10-03T14:09:39","timestamp":"2019-10-03T14:09:39Z","user":"root"}}',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 19, "account": "root", "login": null, "general_data": [1] }',
  '{ "timestamp": 12345, "id": "7", "class": 5, "event": ["x"] }',
  '{ "timestamp": "2019-10-03 14:09:39", "id": 1.5 }',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 123456789012345678901234 }',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 0, "class": "general", "general_data": { "query": "\\u00e9\\ud800\\"\\\\\\/\\b\\f\\n\\r\\t" } }',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 1, "class": "general", "general_data": { "query": "\\u00g0" } }',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 2, "class": "general" }\r',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 3, "class": "general" }  ,  ',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 4, "class": "general" },,',
  '{ "timestamp": "2019-10-03 14:09:40", "id": 5, "class":\n "general" }',
  '{}',
  '{ "timestamp": "2019-10-03 14:09:41", "id": 0, "server_id": 1, "class": "audit" }',
  '{ "timestamp": "2019-10-03 14:09:41", "id": 1, "class": "command", "event": "command_start", "account": { "user": "root" } }',
  '{ "timestamp": "2019-10-03 14:09:41", "id": 2, "class": "general", "event": "status", "general_data": { "command": "Query", "status": 1064 } }',
  '{ "timestamp": "2019-10-03 14:09:41", "id": 3, "class": "general", "event": "log", "general_data": { "command": "Query", "query": "select 2" } }',
];

function doc(kind: 'xml' | 'json', ok: string, odd: string[]): Buffer {
  const recs = odd.flatMap((r) => [ok, r]).concat(ok);
  const text = kind === 'xml' ? `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${recs.join('')}</AUDIT>\n` : `[\n${recs.join(',\n')}\n]\n`;
  return Buffer.from(text, 'latin1');
}

/** Whole documents laid out otherwise: records sharing lines, no final LF, CRLF, a BOM, a footer on a record's line. */
const ODD_DOCS: Record<'new' | 'old' | 'json', string[]> = {
  new: [
    `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>${NEW_OK.trim()}${NEW_OK.trim()}</AUDIT>`,
    `\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<AUDIT>\r\n${NEW_OK.replace(/\n/g, '\r\n')}${NEW_OK.replace(/\n/g, '\r\n')}</AUDIT>\r\n`,
    `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${NEW_OK}${NEW_OK.trimEnd()}`,
    `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${NEW_OK}</AUDIT>\n<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n${NEW_OK}</AUDIT>\n`,
  ],
  old: [
    `<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>${OLD_OK.trim()}${OLD_OK.trim()}</AUDIT>`,
    `<?xml version="1.0" encoding="utf-8"?>\r\n<AUDIT>\r\n${OLD_OK.replace(/\n/g, '\r\n')}</AUDIT>\r\n`,
    `<AUDIT>\n${OLD_OK}${OLD_OK.trimEnd()}`,
  ],
  json: [`[\n${JSON_OK},\n${JSON_OK}]\n`, `[\n${JSON_OK},${JSON_OK}\n]\n`, `${JSON_OK}\n${JSON_OK}`, `[\r\n${JSON_OK},\r\n${JSON_OK}\r\n]\r\n`, `\ufeff[\n${JSON_OK}\n]\n`, `[\n${JSON_OK},\n${JSON_OK},\n`],
};

describe('lean same-format conversion at the edges of the walks', () => {
  for (const [format, texts] of Object.entries(ODD_DOCS) as ['new' | 'old' | 'json', string[]][]) {
    test(`${format}: documents laid out otherwise`, async () => {
      for (const t of texts) {
        const bytes = Buffer.from(t);
        for (const onError of ['skip', 'fail'] as const) await same(() => bytes, { to: format, onError }, `${format} ${JSON.stringify(t.slice(0, 60))}`);
      }
    });
  }
  const docs = { new: doc('xml', NEW_OK, NEW_ODD), old: doc('xml', OLD_OK, OLD_ODD), json: doc('json', JSON_OK, JSON_ODD) };
  const filters: FilterSpec[] = [{}, { user: ['root'] }, { host: ['h', 'localhost'] }, { event: ['query', 'command', 'Quit', 'stored_program'] }, { commandClass: ['select'] }, { db: ['shop', 'other'] }, { status: ['error'] }, { since: '2019-10-03 14:09:39' }, { grep: ['select|é'] }];
  for (const [format, bytes] of Object.entries(docs) as ['new' | 'old' | 'json', Buffer][]) {
    test(`${format}: each odd record between ordinary ones, with filters, skip and fail, with and without --source-tz`, async () => {
      for (const onError of ['skip', 'fail'] as const)
        for (const filter of filters)
          for (const tz of [{}, { sourceTz: '+02:00' }]) await same(() => bytes, { to: format, onError, filter, ...tz }, `${format} ${onError} ${JSON.stringify(filter)} ${JSON.stringify(tz)}`);
    });
    test(`${format}: each odd record alone, and cut at every byte`, async () => {
      const odd = { new: NEW_ODD, old: OLD_ODD, json: JSON_ODD }[format];
      const ok = { new: NEW_OK, old: OLD_OK, json: JSON_OK }[format];
      for (const r of odd) {
        const one = doc(format === 'json' ? 'json' : 'xml', ok, [r]);
        for (const tz of [{}, { sourceTz: '+02:00' }]) await same(() => one, { to: format, onError: 'skip', filter: { user: ['root'] }, ...tz }, `${format} ${JSON.stringify(r)} ${JSON.stringify(tz)}`);
        for (let cut = 0; cut < one.length; cut += 7) await same(pieces(one, [cut]), { to: format, onError: 'skip' }, `${format} cut at ${cut} ${JSON.stringify(r)}`);
      }
    });
  }
});

/** A generated log of about `kib` KiB. */
function generated(format: 'new' | 'old' | 'json', kib: number, seed: number): Buffer {
  return Buffer.from([...generateLog({ format, bytes: kib * 1024, seed })].join(''));
}

/** The bytes as an async iterable of pieces cut at `cuts`, so records fall across pushes. */
function pieces(bytes: Buffer, cuts: number[]): () => AsyncIterable<Uint8Array> {
  return () =>
    (async function* () {
      for (const p of splitAt(bytes, cuts)) yield p;
    })();
}

describe('lean same-format conversion of generated inputs, in odd chunks', () => {
  for (const format of ['new', 'old', 'json'] as const) {
    test(`${format}: the records of a generated input are read lean (no event built), but for those a push cuts`, async () => {
      const bytes = generated(format, 200, 9);
      const allowed = new Set(format === 'json' ? ['timestamp', 'id', 'class', 'event', 'server_id', 'time'] : ['timestamp', 'id']);
      let n = 0;
      let full = 0;
      const cuts = 10;
      for await (const e of readAuditLog(pieces(bytes, randomCuts(bytes.length, cuts, 1))(), { lean: { format } })) {
        if (Object.keys(e.event).some((k) => !allowed.has(k))) full++;
        n++;
      }
      expect(n).toBeGreaterThan(300);
      // The pieces, and the reader's slices of 128 KiB.
      expect(full).toBeLessThanOrEqual(cuts + Math.ceil(bytes.length / 131072));
    });
    test(`${format}: whole, cut into pieces, filtered`, async () => {
      const bytes = generated(format, 400, 7);
      const events = await eventsOf(bytes);
      const cuts = randomCuts(bytes.length, 40, SEED);
      for (const src of [() => bytes, pieces(bytes, cuts)]) {
        const full = await same(src, { to: format }, `${format} whole`);
        // The lean path passed every record through: the output is the input.
        expect('out' in full && full.out).toBe(bytes.toString('latin1'));
        for (const filter of filtersFor(events)) await same(src, { to: format, filter }, `${format} ${JSON.stringify(filter)}`);
      }
    });
  }
});

describe('lean same-format conversion of damaged inputs', () => {
  for (const [format, rel] of Object.entries(DAMAGE_FIXTURES)) {
    test(`${format}: mutated, truncated, spliced, repeated bytes; skip and fail; with and without filters`, async () => {
      const plain = fixture(rel);
      const filters = [{}, ...filtersFor(await eventsOf(plain))];
      await fc.assert(
        fc.asyncProperty(fc.array(op(plain.length), { minLength: 1, maxLength: 3 }), fc.constantFrom(...filters), fc.constantFrom('skip' as const, 'fail' as const), async (ops, filter, onError) => {
          const d = applyAll(plain, ops);
          await same(() => d.bytes, { to: OWN[format]!, filter, onError }, `${format} ${JSON.stringify(ops)}`);
        }),
        { seed: SEED, numRuns: 60, endOnFailure: true },
      );
    });
  }

  test('generated inputs, damaged and cut into pieces', async () => {
    for (const format of ['new', 'old', 'json'] as const) {
      const plain = generated(format, 48, 3);
      await fc.assert(
        fc.asyncProperty(fc.array(op(plain.length), { minLength: 1, maxLength: 4 }), fc.constantFrom('skip' as const, 'fail' as const), async (ops, onError) => {
          const d = applyAll(plain, ops);
          await same(pieces(d.bytes, randomCuts(d.bytes.length, 8, ops.length)), { to: format, onError, filter: ops.length > 2 ? { grep: ['select'] } : {} }, `${format} ${JSON.stringify(ops)}`);
        }),
        { seed: SEED, numRuns: 25, endOnFailure: true },
      );
    }
  });
});

/** Everything a rotating conversion left: the files (names relative to the directory, bytes) and the summary (paths relative). */
async function rotated(src: Source, opts: ConvertOptions, lean: boolean): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'auditlog-lean-rot-'));
  try {
    const s = await convertInto([src], (prologue, hooks) => createRotatingSink({ ...hooks, dir, to: opts.to, rotateOnSize: 8192, naming: 'mysql', now: () => Date.UTC(2026, 11, 1), ...(prologue ? { prologue } : {}) }), { ...opts, lean });
    const files = Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('latin1')]));
    return { files, summary: { ...s, files: s.files.map((f) => ({ ...f, path: relative(dir, f.path) })), pruned: s.pruned.map((p) => relative(dir, p)) } };
  } catch (e) {
    return { error: errorOf(e) };
  }
}

describe('the rotating writer, lean and in full', () => {
  for (const format of ['new', 'old', 'json'] as const) {
    test(`${format}: the same files with the same names and bytes, and the same summary`, async () => {
      const bytes = generated(format, 96, 5);
      const damaged = applyAll(bytes, [{ kind: 'mutate', at: [5000, 40000], values: [0x3c, 0x7b, 0, 0, 0, 0] }]).bytes;
      for (const [input, filter] of [[bytes, {}], [bytes, { grep: ['select'] }], [damaged, {}]] as const) {
        for (const onError of ['skip', 'fail'] as const) {
          const full = await rotated(input, { to: format, filter, onError }, false);
          expect(await rotated(input, { to: format, filter, onError }, true), `${format} ${JSON.stringify(filter)} ${onError}`).toEqual(full);
          if (input === bytes && Object.keys(filter).length === 0) expect(Object.keys((full as { files: object }).files).length).toBeGreaterThan(5);
        }
      }
    });
  }
});

/** What a reader gives: records (what a lean event must carry besides its paths) and problems, in order, and what it says at the end. */
async function readOut(bytes: Buffer, lean: boolean, paths: string[] = []): Promise<unknown> {
  const items: unknown[] = [];
  const log = readAuditLog(bytes, { onError: 'skip', keepRaw: true, onProblem: (p) => items.push(errorOf(p)), ...(lean ? { lean: { paths } } : {}) });
  try {
    for await (const batch of log.batches())
      for (const e of batch as Entry[]) {
        const ev: Record<string, unknown> = { timestamp: e.event.timestamp, id: e.event.id };
        for (const p of paths) ev[p] = get(e.event, p);
        items.push({ format: e.format, at: e.at, zone: e.timeZone, raw: Buffer.from(e.raw ?? []).toString('latin1'), ev });
      }
  } catch (e) {
    items.push(errorOf(e));
  }
  return { items, format: log.format, complete: log.complete, prologue: log.prologue?.toString('latin1') };
}

describe('the lean reader: records and problems of the full parse', () => {
  test('damaged inputs of every format, records of any format read lean', async () => {
    for (const rel of Object.values(DAMAGE_FIXTURES)) {
      const plain = fixture(rel);
      await fc.assert(
        fc.asyncProperty(fc.array(op(plain.length), { minLength: 1, maxLength: 3 }), async (ops) => {
          const d = applyAll(plain, ops);
          expect(await readOut(d.bytes, true), `${rel} ${JSON.stringify(ops)}`).toEqual(await readOut(d.bytes, false));
        }),
        { seed: SEED, numRuns: 40, endOnFailure: true },
      );
    }
  });

  const everyPath = filterPaths({ user: ['x'], host: ['x'], ip: ['x'], db: ['x'], event: ['x'], commandClass: ['x'], connectionId: ['1'], status: ['ok'], since: '2020-01-01', grep: ['x'] });
  for (const rel of fixtureFiles()) {
    test(`fixture ${rel}, records of any format, with and without paths`, async () => {
      const bytes = fixture(rel);
      expect(await readOut(bytes, true)).toEqual(await readOut(bytes, false));
      expect(await readOut(bytes, true, everyPath)).toEqual(await readOut(bytes, false, everyPath));
    });
  }
});
