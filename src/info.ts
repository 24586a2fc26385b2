/**
 * `info`: what a file is and what is in it, gathered in one streaming pass.
 *
 *   const report = await inspect('audit.log');
 *   console.log(report.format, report.records, report.malformed.length);
 */
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { readAuditLog, type ReadOptions, type Source } from './reader.js';
import type { DbTracker } from './track-db.js';
import { ZONE_NAMES } from './timezone.js';

/** A problem found while reading, by position. */
export interface ProblemReport {
  code: string;
  file: string;
  offset?: number;
  end?: number;
  index?: number;
  message: string;
}

export interface InfoReport {
  file: string;
  /** Input layers found, outermost first (e.g. `aes-256-cbc`, `gzip`). */
  layers: string[];
  format: FormatId | 'mixed' | null;
  /** Ends with its footer (`</AUDIT>`, `]`); null for formats without one. */
  complete: boolean | null;
  /** Complete records read. */
  records: number;
  /** Bytes of the decoded stream. */
  bytes: number;
  /** Earliest and latest event timestamp (as the events write them), or null. */
  first: string | null;
  last: string | null;
  /** The zone of those times: `UTC`, `server local time, zone unknown`, both joined by ` and `, or null without records. */
  timeZone: string | null;
  /** Records by `class/event`. */
  events: Record<string, number>;
  /** General events by command (`Query`, `Init DB`, ...). */
  commands: Record<string, number>;
  /** Records by user (account user, else login user; `""` when empty; past MAX_DISTINCT users, `(other)`). */
  users: Record<string, number>;
  /** Malformed records (skipped) and bytes inside a document that are no record (SKIPPED_DATA), with positions. */
  malformed: ProblemReport[];
  /** A torn last record (not returned), with its position. */
  truncated: ProblemReport[];
  /** Text outside any record, and input layers cut short. */
  notices: ProblemReport[];
  /** How many of each there were (the lists above stop at MAX_LISTED). */
  counts: { malformed: number; truncated: number; notices: number };
  /** With a db tracker: general and table-access events by db (`""`: none; `(unknown)`: no db known). */
  databases?: Record<string, number>;
}

/** Problems listed with their positions, per kind; beyond this they are only counted. */
export const MAX_LISTED = 1000;

/** Problems that mean data was lost or damaged (exit code 1): all but the notices (text outside records, invalid UTF-8 reported). */
export function isDataProblem(code: string): boolean {
  return code !== 'UNEXPECTED_DATA' && code !== 'INVALID_UTF8';
}

export function problemReport(e: AuditLogError): ProblemReport {
  const r: ProblemReport = { code: e.code, file: e.ctx.file ?? '-', message: e.detail };
  if (e.ctx.offset !== undefined) r.offset = e.ctx.offset;
  if (e.ctx.end !== undefined) r.end = e.ctx.end;
  if (e.ctx.index !== undefined) r.index = e.ctx.index;
  return r;
}

function emptyReport(file: string): InfoReport {
  return {
    file,
    layers: [],
    format: null,
    complete: null,
    records: 0,
    bytes: 0,
    first: null,
    last: null,
    timeZone: null,
    events: {},
    commands: {},
    users: {},
    malformed: [],
    truncated: [],
    notices: [],
    counts: { malformed: 0, truncated: 0, notices: 0 },
  };
}


/** Distinct values counted by name; past this many, the rest count as `(other)` (memory stays bounded). */
export const MAX_DISTINCT = 10_000;

function bump(m: Map<string, number>, k: string): void {
  const n = m.get(k);
  if (n !== undefined) m.set(k, n + 1);
  else if (m.size < MAX_DISTINCT) m.set(k, 1);
  else m.set('(other)', (m.get('(other)') ?? 0) + 1);
}

/**
 * Counts entries into Maps (no string building per entry), folded into a
 * report once at the end: the hot path of `info`.
 */
class Tally {
  records = 0;
  first: string | null = null;
  last: string | null = null;
  events = new Map<string | undefined, Map<string | undefined, number>>();
  commands = new Map<string, number>();
  users = new Map<string, number>();
  utc = false;
  local = false;
  databases: Map<string, number> | undefined;

  constructor(countDatabases = false) {
    if (countDatabases) this.databases = new Map();
  }

  add(e: Entry): void {
    this.records++;
    if (e.timeZone === 'local') this.local = true;
    else this.utc = true;
    const ev = e.event;
    const ts = ev.timestamp;
    // Only real times (`YYYY-MM-DD hh:mm:ss`) count: test logs hold placeholders like `<DATETIME>`.
    if (typeof ts === 'string' && ts.length >= 19 && ts.charCodeAt(4) === 0x2d && ts.charCodeAt(13) === 0x3a) {
      if (this.first === null || ts < this.first) this.first = ts;
      if (this.last === null || ts > this.last) this.last = ts;
    }
    let byEvent = this.events.get(ev.class);
    if (!byEvent) this.events.set(ev.class, (byEvent = new Map()));
    byEvent.set(ev.event, (byEvent.get(ev.event) ?? 0) + 1);
    const cmd = ev.general_data?.command;
    if (typeof cmd === 'string') bump(this.commands, cmd);
    const user = ev.account?.user ?? ev.login?.user;
    if (typeof user === 'string') bump(this.users, user);
    const data = ev.table_access_data ?? ev.general_data;
    if (this.databases && data) bump(this.databases, data.db ?? '(unknown)');
  }

  into(r: InfoReport): void {
    r.records += this.records;
    r.timeZone = zoneName(r.timeZone, this.utc, this.local);
    if (this.first !== null && (r.first === null || this.first < r.first)) r.first = this.first;
    if (this.last !== null && (r.last === null || this.last > r.last)) r.last = this.last;
    for (const [cls, m] of this.events) for (const [ev, n] of m) r.events[`${cls ?? '?'}/${ev ?? '?'}`] = (r.events[`${cls ?? '?'}/${ev ?? '?'}`] ?? 0) + n;
    for (const [k, n] of this.commands) r.commands[k] = (r.commands[k] ?? 0) + n;
    for (const [k, n] of this.users) r.users[k] = (r.users[k] ?? 0) + n;
    if (this.databases) {
      r.databases ??= {};
      for (const [k, n] of this.databases) r.databases[k] = (r.databases[k] ?? 0) + n;
    }
  }
}

function zoneName(had: string | null, utc: boolean, local: boolean): string | null {
  const names = new Set(had === null ? [] : had.split(' and '));
  if (utc) names.add(ZONE_NAMES.utc);
  if (local) names.add(ZONE_NAMES.local);
  return names.size ? [...names].join(' and ') : null;
}

/** Fold one problem into a report. */
export function addProblem(r: InfoReport, e: AuditLogError): void {
  // Bytes skipped inside a document are a damaged record: listed with the malformed ones.
  const kind = e.code === 'MALFORMED_RECORD' || e.code === 'SKIPPED_DATA' ? 'malformed' : e.code === 'TRUNCATED_RECORD' ? 'truncated' : 'notices';
  r.counts[kind]++;
  if (r[kind].length < MAX_LISTED) r[kind].push(problemReport(e));
}

/** Whether a report holds problems that mean data was lost or damaged (exit code 1). */
export function hasDataProblems(r: InfoReport): boolean {
  return r.counts.malformed > 0 || r.counts.truncated > 0 || r.notices.some((p) => isDataProblem(p.code));
}

/**
 * Read one input through and report on it. Malformed records are skipped and
 * listed, never fatal; an unreadable input (unknown format, I/O) throws.
 */
export async function inspect(src: Source, opts: ReadOptions & { trackDb?: DbTracker } = {}): Promise<InfoReport> {
  const { trackDb, ...readOpts } = opts;
  const log = readAuditLog(src, { ...readOpts, keepRaw: false, onError: 'skip', onProblem: (e) => addProblem(report, e) });
  const report = emptyReport(log.file);
  const tally = new Tally(trackDb !== undefined);
  for await (const batch of log.batches())
    for (const e of batch) {
      trackDb?.apply(e);
      tally.add(e);
    }
  tally.into(report);
  report.layers = log.layers;
  report.format = log.format ?? null;
  report.complete = log.complete;
  report.bytes = log.bytesRead;
  return report;
}

/** Totals over several reports; `files` keeps each one. */
export function combine(reports: InfoReport[]): InfoReport & { files: InfoReport[] } {
  if (reports.length === 1) return { ...reports[0]!, files: reports };
  const t = emptyReport(reports.map((r) => r.file).join(', '));
  const formats = new Set(reports.map((r) => r.format));
  t.format = formats.size === 1 ? reports[0]!.format : 'mixed';
  t.layers = [...new Set(reports.flatMap((r) => r.layers))];
  t.complete = reports.every((r) => r.complete === null) ? null : reports.every((r) => r.complete !== false);
  for (const r of reports) {
    t.records += r.records;
    t.bytes += r.bytes;
    if (r.first !== null && (t.first === null || r.first < t.first)) t.first = r.first;
    if (r.last !== null && (t.last === null || r.last > t.last)) t.last = r.last;
    if (r.timeZone !== null) t.timeZone = zoneName(t.timeZone, r.timeZone.includes(ZONE_NAMES.utc), r.timeZone.includes(ZONE_NAMES.local));
    for (const [k, v] of Object.entries(r.events)) t.events[k] = (t.events[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.commands)) t.commands[k] = (t.commands[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.users)) t.users[k] = (t.users[k] ?? 0) + v;
    if (r.databases) for (const [k, v] of Object.entries(r.databases)) (t.databases ??= {})[k] = (t.databases[k] ?? 0) + v;
    for (const k of ['malformed', 'truncated', 'notices'] as const) {
      t.counts[k] += r.counts[k];
      t[k].push(...r[k].slice(0, MAX_LISTED - t[k].length));
    }
  }
  return { ...t, files: reports };
}
