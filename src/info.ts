/**
 * `info`: what a file is and what is in it, gathered in one streaming pass.
 *
 *   const report = await inspect('audit.log');
 *   console.log(report.format, report.records, report.malformed.length);
 */
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { addCounts, bump, CountMap, counts, MAX_DISTINCT, OTHER, type Count } from './counts.js';
import { compileFilter, type FilterSpec } from './filter.js';
import { isDataProblem } from './problems.js';
import { readAuditLog, type AuditLogReader, type ReadOptions, type Source } from './reader.js';
import type { DbTracker } from './track-db.js';
import { ZONE_NAMES } from './timezone.js';

export { isDataProblem } from './problems.js';
export { MAX_DISTINCT, OTHER } from './counts.js';

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
  /** Records by `class/event` (past MAX_DISTINCT pairs, `(other)`). */
  events: Record<string, number>;
  /** General events by command (`Query`, `Init DB`, ...; past MAX_DISTINCT commands, `(other)`). */
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
  /** With a filter: records read that did not pass it (all other counts are of those that did). */
  filtered?: number;
  /** With a db tracker: general and table-access events by db (`""`: none; `(unknown)`: no db known). */
  databases?: Record<string, number>;
}

/** Problems listed with their positions, per kind; beyond this they are only counted. */
export const MAX_LISTED = 1000;


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
    events: counts(),
    commands: counts(),
    users: counts(),
    malformed: [],
    truncated: [],
    notices: [],
    counts: { malformed: 0, truncated: 0, notices: 0 },
  };
}


/**
 * Counts entries into Maps (no string building per entry), folded into a
 * report once at the end: the hot path of `info`.
 */
class Tally {
  records = 0;
  first: string | null = null;
  last: string | null = null;
  /** By class, then event; at most MAX_DISTINCT pairs, the rest in otherEvents. */
  events = new Map<string | undefined, Map<string | undefined, Count>>();
  private pairs = 0;
  private otherEvents = 0;
  /** The pair of the record before, and its count (consecutive records often share it). */
  private lastClass: string | undefined;
  private lastEvent: string | undefined;
  private lastPair: Count | undefined;
  commands = new CountMap();
  users = new CountMap();
  utc = false;
  local = false;
  databases: CountMap | undefined;

  constructor(countDatabases = false) {
    if (countDatabases) this.databases = new CountMap();
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
    if (this.lastPair !== undefined && ev.class === this.lastClass && ev.event === this.lastEvent) this.lastPair.n++;
    else this.addPair(ev.class, ev.event);
    const cmd = ev.general_data?.command;
    if (typeof cmd === 'string') this.commands.add(cmd);
    const user = ev.account?.user ?? ev.login?.user;
    if (typeof user === 'string') this.users.add(user);
    const data = ev.table_access_data ?? ev.general_data;
    if (this.databases && data) this.databases.add(data.db ?? '(unknown)');
  }

  private addPair(cls: string | undefined, event: string | undefined): void {
    let byEvent = this.events.get(cls);
    if (!byEvent && this.pairs < MAX_DISTINCT) this.events.set(cls, (byEvent = new Map()));
    let c = byEvent?.get(event);
    if (c !== undefined) c.n++;
    else if (byEvent && this.pairs < MAX_DISTINCT) {
      byEvent.set(event, (c = { n: 1 }));
      this.pairs++;
    } else this.otherEvents++;
    this.lastClass = cls;
    this.lastEvent = event;
    this.lastPair = c;
  }

  into(r: InfoReport): void {
    r.records += this.records;
    r.timeZone = zoneName(r.timeZone, this.utc, this.local);
    if (this.first !== null && (r.first === null || this.first < r.first)) r.first = this.first;
    if (this.last !== null && (r.last === null || this.last > r.last)) r.last = this.last;
    const events = new Map<string, number>();
    for (const [cls, m] of this.events) for (const [ev, c] of m) bump(events, `${cls ?? '?'}/${ev ?? '?'}`, c.n);
    if (this.otherEvents) bump(events, OTHER, this.otherEvents);
    addCounts(r.events, Object.fromEntries(events));
    addCounts(r.commands, Object.fromEntries(this.commands.toMap()));
    addCounts(r.users, Object.fromEntries(this.users.toMap()));
    if (this.databases) {
      r.databases ??= {};
      addCounts(r.databases, Object.fromEntries(this.databases.toMap()));
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

export interface InspectOptions extends ReadOptions {
  /** Count only the records that pass this filter (the others are counted in `filtered`). */
  filter?: FilterSpec;
  /** Told about every record counted (after the filter). */
  onEntry?: (e: Entry) => void;
  /** Told after every input block: the reader (bytes read) and the records read so far. */
  onProgress?: (log: AuditLogReader, records: number) => void;
  /** Fill each connection's default database into events without one (src/track-db.ts). */
  trackDb?: DbTracker;
}

/**
 * Read one input through and report on it. Malformed records are skipped and
 * listed, never fatal; an unreadable input (unknown format, I/O) throws.
 */
export async function inspect(src: Source, opts: InspectOptions = {}): Promise<InfoReport> {
  const { filter, onEntry, onProgress, trackDb, ...readOpts } = opts;
  const log = readAuditLog(src, { ...readOpts, keepRaw: false, onError: 'skip', onProblem: (e) => addProblem(report, e) });
  const report = emptyReport(log.file);
  const tally = new Tally(trackDb !== undefined);
  const keep = filter ? compileFilter(filter) : undefined;
  let filtered = 0;
  for await (const batch of log.batches()) {
    for (const e of batch) {
      // The connection's db is filled in before filtering (as convert does), so --db sees it.
      trackDb?.apply(e);
      if (keep && !keep(e.event)) filtered++;
      else {
        tally.add(e);
        onEntry?.(e);
      }
    }
    onProgress?.(log, tally.records + filtered);
  }
  tally.into(report);
  if (keep) report.filtered = filtered;
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
    if (r.filtered !== undefined) t.filtered = (t.filtered ?? 0) + r.filtered;
    t.records += r.records;
    t.bytes += r.bytes;
    if (r.first !== null && (t.first === null || r.first < t.first)) t.first = r.first;
    if (r.last !== null && (t.last === null || r.last > t.last)) t.last = r.last;
    if (r.timeZone !== null) t.timeZone = zoneName(t.timeZone, r.timeZone.includes(ZONE_NAMES.utc), r.timeZone.includes(ZONE_NAMES.local));
    addCounts(t.events, r.events);
    addCounts(t.commands, r.commands);
    addCounts(t.users, r.users);
    if (r.databases) addCounts((t.databases ??= {}), r.databases);
    for (const k of ['malformed', 'truncated', 'notices'] as const) {
      t.counts[k] += r.counts[k];
      t[k].push(...r[k].slice(0, MAX_LISTED - t[k].length));
    }
  }
  return { ...t, files: reports };
}
