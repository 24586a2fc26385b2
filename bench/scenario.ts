/**
 * One benchmark scenario, run in its own process so that its peak RSS is its own:
 *
 *   node dist/bench/scenario.js info bench/.data/new.xml
 *   node dist/bench/scenario.js info-security bench/.data/new.xml   # and the security report, as the CLI
 *   node dist/bench/scenario.js sax-info bench/.data/new.xml
 *
 * Prints one JSON line: { scenario, bytes, records, ms, maxRssMiB }.
 * The baselines do the same work as `info` (count records, by event and by
 * user, first and last timestamp) with a well-known library doing the parsing.
 */
import { createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createWriteStream } from 'node:fs';
import { convert, convertInto } from '../src/convert.js';
import { createRotatingSink } from '../src/sinks/rotating.js';
import { inspect } from '../src/info.js';
import { staticPassword } from '../src/layers/index.js';
import { repair } from '../src/repair/index.js';
import { discoverFileSet } from '../src/fileset.js';
import { newestBookmark, parseBookmark, readEvents, type ReadStats } from '../src/read.js';
import { readAuditLog } from '../src/reader.js';
import { readSessions, renderSessions, toChunks } from '../src/sessions-read.js';
import { SecurityTally } from '../src/security.js';
import { writeStream } from '../src/sink.js';

const require = createRequire(import.meta.url);

interface Stats {
  records: number;
  events: Map<string, number>;
  users: Map<string, number>;
  first: string | null;
  last: string | null;
}

function newStats(): Stats {
  return { records: 0, events: new Map(), users: new Map(), first: null, last: null };
}

function add(s: Stats, ts: string | undefined, event: string, user: string | undefined): void {
  s.records++;
  s.events.set(event, (s.events.get(event) ?? 0) + 1);
  if (user !== undefined) s.users.set(user, (s.users.get(user) ?? 0) + 1);
  if (ts !== undefined) {
    if (s.first === null || ts < s.first) s.first = ts;
    if (s.last === null || ts > s.last) s.last = ts;
  }
}

/**
 * The records of a NEW or OLD XML file by sax (strict), fed 1 MiB blocks: one
 * field map per AUDIT_RECORD (child elements or attributes). `afterBlock` runs
 * after each block, for output with backpressure.
 */
async function saxRecords(file: string, onRecord: (fields: Record<string, string>) => void, afterBlock?: () => Promise<void>): Promise<void> {
  interface SaxParser {
    onopentag: (t: { name: string; attributes: Record<string, unknown> }) => void;
    ontext: (t: string) => void;
    onclosetag: (name: string) => void;
    write(s: string): SaxParser;
    close(): void;
  }
  const sax = require('sax') as { parser: (strict: boolean, opts: object) => SaxParser };
  const p = sax.parser(true, {});
  let fields: Record<string, string> = {};
  let text = '';
  let depth = 0;
  p.onopentag = (t) => {
    depth++;
    text = '';
    if (t.name === 'AUDIT_RECORD') {
      fields = {};
      for (const [k, v] of Object.entries(t.attributes)) fields[k] = String(v);
    }
  };
  p.ontext = (t) => (text += t);
  p.onclosetag = (name) => {
    depth--;
    if (name === 'AUDIT_RECORD') onRecord(fields);
    else if (depth === 2) fields[name] = text;
    text = '';
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    p.write(chunk.toString());
    await afterBlock?.();
  }
  p.close();
}

/** sax baseline of `info`. */
async function saxInfo(file: string): Promise<number> {
  const s = newStats();
  await saxRecords(file, (f) => add(s, f.TIMESTAMP, f.NAME ?? '?', f.USER));
  return s.records;
}

/** stream-json (parser + StreamArray) over a JSON array. */
async function streamJsonInfo(file: string): Promise<number> {
  const { parser } = require('stream-json') as { parser: () => NodeJS.ReadWriteStream };
  const { streamArray } = require('stream-json/streamers/StreamArray') as { streamArray: () => NodeJS.ReadWriteStream };
  const s = newStats();
  await pipeline(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    parser(),
    streamArray(),
    new Writable({
      objectMode: true,
      write(item: { value: { timestamp?: string; class?: string; event?: string; account?: { user?: string }; login?: { user?: string } } }, _enc, cb) {
        const v = item.value;
        add(s, v.timestamp, `${v.class}/${v.event}`, v.account?.user ?? v.login?.user);
        cb();
      },
    }),
  );
  return s.records;
}

/** Write strings to /dev/null with backpressure. */
function devNull(): { write(s: string): Promise<void> | void; end(): Promise<void> } {
  const out = createWriteStream('/dev/null');
  let buf: string[] = [];
  let size = 0;
  return {
    write(s: string) {
      buf.push(s);
      size += s.length;
      if (size < 1 << 18) return;
      const chunk = buf.join('');
      buf = [];
      size = 0;
      if (!out.write(chunk)) return new Promise<void>((r) => out.once('drain', () => r()));
    },
    async end() {
      out.write(buf.join(''));
      await new Promise<void>((r) => out.end(r));
    },
  };
}

/** sax (strict) NEW/OLD XML -> one JSON event per record (same field mapping as ours, simplified), to /dev/null. */
async function saxConvert(file: string): Promise<number> {
  const out = devNull();
  let n = 0;
  const pending: string[] = [];
  await saxRecords(
    file,
    (f) => {
      const ev = {
        timestamp: f.TIMESTAMP?.replace('T', ' ').replace(' UTC', ''),
        class: 'general',
        event: 'status',
        connection_id: Number(f.CONNECTION_ID),
        account: { user: f.USER, host: f.HOST },
        login: { user: f.USER, os: f.OS_LOGIN, ip: f.IP },
        general_data: { command: f.NAME, sql_command: f.COMMAND_CLASS, query: f.SQLTEXT, status: Number(f.STATUS) },
      };
      pending.push((n++ === 0 ? '[\n' : ',\n') + JSON.stringify(ev));
    },
    async () => {
      await out.write(pending.join(''));
      pending.length = 0;
    },
  );
  await out.write(pending.join('') + '\n]\n');
  await out.end();
  return n;
}

/** stream-json (parser + StreamArray) JSON array -> NDJSON to /dev/null. */
async function streamJsonConvert(file: string): Promise<number> {
  const { parser } = require('stream-json') as { parser: () => NodeJS.ReadWriteStream };
  const { streamArray } = require('stream-json/streamers/StreamArray') as { streamArray: () => NodeJS.ReadWriteStream };
  const out = devNull();
  let n = 0;
  await pipeline(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    parser(),
    streamArray(),
    new Writable({
      objectMode: true,
      write(item: { value: unknown }, _enc, cb) {
        n++;
        const w = out.write(JSON.stringify(item.value) + '\n');
        if (w) w.then(() => cb(), cb);
        else cb();
      },
    }),
  );
  await out.end();
  return n;
}

/** Raw read of the file to nowhere: the ceiling. */
async function readOnly(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) n += (chunk as Buffer).length & 0;
  return n;
}

/**
 * The framing floor of same-format conversion: the file read in 1 MiB blocks and
 * each record's closing tag found with indexOf (`</AUDIT_RECORD>`, OLD's `/>`, a
 * JSON line's LF), nothing else. Returns the records found.
 */
async function frameFloor(file: string, format: string): Promise<number> {
  const close = Buffer.from(format === 'new' ? '</AUDIT_RECORD>' : format === 'old' ? '/>' : '\n');
  let n = 0;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buf: Buffer = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let p = 0;
    for (let i = buf.indexOf(close, p); i >= 0; i = buf.indexOf(close, p)) {
      n++;
      p = i + close.length;
    }
    carry = buf.subarray(p);
  }
  return n;
}

/** Events from a bookmark (or a start time) through the library, as `auditlog read` gets them. */
async function readFrom(path: string, pos: { bookmark?: string; start?: string }, max: number): Promise<{ records: number; stats: ReadStats }> {
  const set = await discoverFileSet([path]);
  const r = readEvents(set, { ...(pos.bookmark ? { bookmark: parseBookmark(pos.bookmark) } : { start: pos.start! }), maxArrayLength: max });
  let records = 0;
  // Serialised as `read` prints them, so that the cost of the output counts too.
  for await (const batch of r.events) for (const e of batch) records += JSON.stringify(e).length > 0 ? 1 : 0;
  return { records, stats: r.result.stats };
}

/** Baseline: parse from the start until the bookmarked event, then take the events after it. */
async function readLinear(path: string, bookmark: string, max: number): Promise<number> {
  const b = parseBookmark(bookmark);
  let n = 0;
  let found = false;
  for await (const batch of readAuditLog(path, { keepRaw: false }).batches()) {
    for (const e of batch) {
      if (!found && e.event.timestamp === b.timestamp && e.event.id === b.id) found = true;
      if (found && n < max) n++;
    }
    if (n >= max) break;
  }
  return n;
}

const [, , scenario, file, arg] = process.argv;
let extra: Record<string, unknown> = {};
if (!scenario || !file) {
  console.error('usage: scenario.js <info|sax-info|stream-json-info|read> FILE');
  process.exit(2);
}
const t0 = process.hrtime.bigint();
let records: number;
const password = process.env.BENCH_PASSWORD ? { password: staticPassword(process.env.BENCH_PASSWORD) } : {};
switch (scenario) {
  case 'info':
    // As the info command reads: the plain-shape fast path on (the default).
    records = (await inspect(file, password)).records;
    break;
  case 'info-security': {
    // All the info command counts: the report and the security report.
    const security = new SecurityTally();
    records = (await inspect(file, { ...password, onEntry: (e) => security.add(e) })).records;
    extra.privileged = security.report().privileged.count;
    break;
  }
  case 'info-full':
    // The full parse of every record, for comparison.
    records = (await inspect(file, { ...password, plainShape: false })).records;
    break;
  case 'sax-info':
    records = await saxInfo(file);
    break;
  case 'stream-json-info':
    records = await streamJsonInfo(file);
    break;
  case 'read':
    records = await readOnly(file);
    break;
  case 'convert-json':
  case 'convert-ndjson': {
    const to = scenario === 'convert-json' ? 'json' : 'ndjson';
    records = (await convert([file], createWriteStream('/dev/null'), { to, ...password })).written;
    break;
  }
  case 'frame-floor':
    records = await frameFloor(file, arg!);
    break;
  case 'convert-same':
  case 'convert-same-full': {
    // Same-format conversion (arg: the file's format), read lean or, for comparison, in full.
    const to = arg as 'new' | 'old' | 'json';
    const s = await convert([file], createWriteStream('/dev/null'), { to, lean: scenario === 'convert-same', ...password });
    records = s.written;
    extra.passedThrough = s.passedThrough;
    break;
  }
  case 'repair-o':
  case 'repair-in-place':
  case 'repair-check': {
    // The input's repair: to FILE.repaired, in place (keeping FILE.bak), or a check only.
    const r = await repair(file, scenario === 'repair-o' ? { output: `${file}.repaired` } : scenario === 'repair-in-place' ? { inPlace: true } : { check: true });
    records = 0;
    extra.bytesParsed = r.bytesParsed;
    extra.whole = r.whole;
    break;
  }
  case 'sessions': {
    // As `auditlog sessions --to ndjson > /dev/null`: every session rendered and written.
    const { sessions, result } = readSessions([file], password);
    await writeStream(createWriteStream('/dev/null'), toChunks(renderSessions(sessions, 'ndjson')));
    records = result.records;
    break;
  }
  case 'sax-convert-json':
    records = await saxConvert(file);
    break;
  case 'split':
  case 'split-gz': {
    // Same-format split into 64 MiB pieces (BENCH_SPLIT_DIR: an empty directory).
    const dir = process.env.BENCH_SPLIT_DIR!;
    const sink = (prologue: Uint8Array | undefined) =>
      createRotatingSink({ dir, to: 'new', rotateOnSize: 64 * 1024 * 1024, compress: scenario === 'split-gz', ...(prologue ? { prologue } : {}) });
    records = (await convertInto([file], sink, { to: 'new' })).written;
    break;
  }
  case 'stream-json-convert-ndjson':
    records = await streamJsonConvert(file);
    break;
  case 'read-bookmark': {
    const r = await readFrom(file, { bookmark: arg! }, 100);
    records = r.records;
    extra = { ...r.stats, filesRead: r.stats.filesRead.length };
    break;
  }
  case 'read-linear':
    records = await readLinear(file, arg!, 100);
    break;
  case 'bookmark': {
    const r = await newestBookmark(await discoverFileSet([file]));
    records = r.bookmark ? 1 : 0;
    extra = { ...r.stats, filesRead: r.stats.filesRead.length, bookmark: r.bookmark };
    break;
  }
  case 'read-start': {
    const r = await readFrom(file, { start: arg! }, 1000);
    records = r.records;
    extra = { ...r.stats, filesRead: r.stats.filesRead.length };
    break;
  }
  default:
    console.error(`unknown scenario ${scenario}`);
    process.exit(2);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
const statted = scenario === 'repair-in-place' ? `${file}.bak` : file;
const bytes = statSync(statted).isDirectory() ? 0 : statSync(statted).size;
console.log(JSON.stringify({ scenario, bytes, records, ms, maxRssMiB, ...extra }));
