/**
 * `info`: what a file is and what is in it, gathered in one streaming pass.
 *
 *   const report = await inspect('audit.log');
 *   console.log(report.format, report.records, report.malformed.length);
 */
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { addCounts, bump, CountMap, counts, MAX_DISTINCT, OTHER, ownString, type Count } from './counts.js';
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

/** A report with nothing in it yet: every key in its place, so reports print their keys in one order. */
export function emptyReport(file: string): InfoReport {
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


/** A tally's counts as plain data (structured-clonable: Maps keep their insertion order). */
export interface TallyState {
  records: number;
  first: string | null;
  last: string | null;
  events: Map<string | undefined, Map<string | undefined, number>>;
  pairs: number;
  otherEvents: number;
  commands: Map<string, number>;
  users: Map<string, number>;
  utc: boolean;
  local: boolean;
  databases: Map<string, number> | undefined;
  /** The bound the maps were kept at. */
  max: number;
  /** Its pairs were restricted to those an earlier part filled its tally with (Tally.restrict): otherEvents are the other pairs. */
  pairsOnly?: boolean;
}

/** Whether a tally's state reached its bound somewhere (a name it saw may be under `(other)`): then it merges exactly only into nothing. */
export function tallyStateFull(s: TallyState): boolean {
  const full = (m: Map<string, number> | undefined) => m !== undefined && m.size >= s.max;
  return (s.otherEvents > 0 && !s.pairsOnly) || s.pairs >= s.max || full(s.commands) || full(s.users) || full(s.databases);
}

/** A Tally's maps of names that a later part of an input can be restricted to (Tally.restrict); `events` are class/event pairs. */
const TALLY_MAPS = ['commands', 'users'] as const;
export type TallyMap = (typeof TALLY_MAPS)[number] | 'events';

/** A class/event pair as one name (undefined as null), for Tally.filled() and restrict(). */
const pairName = (cls: string | undefined, ev: string | undefined) => JSON.stringify([cls ?? null, ev ?? null]);

/**
 * Counts entries into Maps (no string building per entry), folded into a
 * report once at the end: the hot path of `info`.
 */
export class Tally {
  records = 0;
  first: string | null = null;
  last: string | null = null;
  /** By class, then event; at most MAX_DISTINCT pairs, the rest in otherEvents. */
  events = new Map<string | undefined, Map<string | undefined, Count>>();
  private pairs = 0;
  private otherEvents = 0;
  /** Restricted (restrict('events')): only the pairs in `events` are counted by pair, every other one in otherEvents. */
  private pairsOnly = false;
  /** The pair of the record before, and its count (consecutive records often share it). */
  private lastClass: string | undefined;
  private lastEvent: string | undefined;
  private lastPair: Count | undefined;
  commands: CountMap;
  users: CountMap;
  utc = false;
  local = false;
  databases: CountMap | undefined;
  /** Distinct names (and class/event pairs) kept: MAX_DISTINCT, more for a part of a run counted apart (so that it merges exactly). */
  readonly max: number;

  constructor(countDatabases = false, max = MAX_DISTINCT) {
    this.max = max;
    this.commands = new CountMap(max);
    this.users = new CountMap(max);
    if (countDatabases) this.databases = new CountMap(max);
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
    if (this.pairsOnly) {
      const c = byEvent?.get(event);
      if (c !== undefined) c.n++;
      else this.otherEvents++;
      this.lastClass = cls;
      this.lastEvent = event;
      this.lastPair = c;
      return;
    }
    if (!byEvent && this.pairs < this.max) this.events.set(cls === undefined ? cls : ownString(cls), (byEvent = new Map()));
    let c = byEvent?.get(event);
    if (c !== undefined) c.n++;
    else if (byEvent && this.pairs < this.max) {
      byEvent.set(event === undefined ? event : ownString(event), (c = { n: 1 }));
      this.pairs++;
    } else this.otherEvents++;
    this.lastClass = cls;
    this.lastEvent = event;
    this.lastPair = c;
  }

  /**
   * The maps of names (commands, users) that reached their bound, but those in `except`, with
   * their names (`(other)` left out). Counted from an input's start, those are the names the
   * input's report keeps: no later name joins them.
   */
  filled(except?: ReadonlySet<TallyMap>): [TallyMap, string[]][] {
    const out: [TallyMap, string[]][] = [];
    for (const k of TALLY_MAPS) if (!except?.has(k) && this[k].full) out.push([k, this[k].names()]);
    if (!except?.has('events') && !this.pairsOnly && this.pairs >= this.max) {
      const names: string[] = [];
      for (const [cls, m] of this.events) for (const ev of m.keys()) names.push(pairName(cls, ev));
      out.push(['events', names]);
    }
    return out;
  }

  /** Count map `k` by name only for `names` (what filled() gave for the input's start), every other name under `(other)`. */
  restrict(k: TallyMap, names: readonly string[]): void {
    if (k !== 'events') return this[k].restrictTo(names);
    const events = new Map<string | undefined, Map<string | undefined, Count>>();
    let pairs = 0;
    for (const name of names) {
      const [c, e] = JSON.parse(name) as [string | null, string | null];
      const cls = c ?? undefined;
      const ev = e ?? undefined;
      let byEvent = events.get(cls);
      if (!byEvent) events.set(cls, (byEvent = new Map()));
      byEvent.set(ev, this.events.get(cls)?.get(ev) ?? { n: 0 });
      pairs++;
    }
    for (const [cls, m] of this.events) for (const [ev, c] of m) if (!events.get(cls)?.has(ev)) this.otherEvents += c.n;
    this.events = events;
    this.pairs = pairs;
    this.pairsOnly = true;
    this.lastPair = undefined;
  }

  /** Whether a map reached its bound (what tallyStateFull(state()) says, without the copy). */
  full(): boolean {
    const max = this.max;
    return (this.otherEvents > 0 && !this.pairsOnly) || this.pairs >= max || this.commands.map.size >= max || this.users.map.size >= max || (this.databases?.map.size ?? 0) >= max;
  }

  state(): TallyState {
    const events = new Map<string | undefined, Map<string | undefined, number>>();
    let pairs = 0;
    for (const [cls, m] of this.events) {
      // A restricted tally holds the pairs it may count, at 0 if not seen: those are left out.
      const counted = [...m].filter(([, c]) => !this.pairsOnly || c.n > 0);
      if (counted.length) events.set(cls, new Map(counted.map(([ev, c]) => [ev, c.n])));
      pairs += counted.length;
    }
    const { records, first, last, otherEvents, utc, local, max } = this;
    return { records, first, last, events, pairs, otherEvents, commands: this.commands.toMap(), users: this.users.toMap(), utc, local, databases: this.databases?.toMap(), max, ...(this.pairsOnly ? { pairsOnly: true } : {}) };
  }

  /**
   * Add the counts of the entries that follow the ones counted here (another
   * part of the same input), as adding those entries one by one would. Their
   * names come in the order they were first seen, so bounded maps fill the
   * same way as long as the later part knows every name it saw (its maps, kept
   * at a larger bound, did not fill: else a name it put under `(other)` may be
   * one counted here) and the class/event pairs cannot overflow here (they come
   * grouped by class, not in the order they were seen): else false, and nothing changed.
   */
  merge(later: TallyState): boolean {
    // Into nothing, any state merges exactly: its maps hold the first names seen, with all their counts.
    const fresh = this.records === 0 && this.pairs === 0 && this.commands.map.size === 0 && this.users.map.size === 0 && !this.databases?.map.size;
    if (!fresh && tallyStateFull(later)) return false;
    // Pairs that would be new here go in class by class, not in the order they came: fine while they all fit.
    let newPairs = 0;
    for (const [cls, m] of later.events) for (const ev of m.keys()) if (!this.events.get(cls)?.has(ev)) newPairs++;
    if (newPairs > 0 && (!fresh || later.max > this.max) && this.pairs + newPairs >= this.max) return false;
    // Restricted pairs: its other pairs are other pairs here only if this tally is full with the pairs it was restricted to.
    if (later.pairsOnly && (newPairs > 0 || this.pairs < this.max)) return false;
    this.records += later.records;
    if (later.first !== null && (this.first === null || later.first < this.first)) this.first = later.first;
    if (later.last !== null && (this.last === null || later.last > this.last)) this.last = later.last;
    this.utc ||= later.utc;
    this.local ||= later.local;
    this.lastPair = undefined;
    for (const [cls, m] of later.events) {
      let byEvent = this.events.get(cls);
      if (!byEvent && this.pairs < this.max) this.events.set(cls, (byEvent = new Map()));
      for (const [ev, n] of m) {
        const had = byEvent?.get(ev);
        if (had !== undefined) had.n += n;
        else if (byEvent && this.pairs < this.max) {
          byEvent.set(ev, { n });
          this.pairs++;
        } else this.otherEvents += n;
      }
    }
    this.otherEvents += later.otherEvents;
    for (const [k, n] of later.commands) this.commands.add(k, n);
    for (const [k, n] of later.users) this.users.add(k, n);
    if (later.databases) {
      const dbs = (this.databases ??= new CountMap(this.max));
      for (const [k, n] of later.databases) dbs.add(k, n);
    }
    return true;
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
  /** Told after every input block: the reader (bytes read), the records read so far, and the tally counting them. */
  onProgress?: (log: AuditLogReader, records: number, tally: Tally) => void;
  /** Fill each connection's default database into events without one (src/track-db.ts). */
  trackDb?: DbTracker;
  /** Distinct names the tally keeps (inspectRun; see Tally). Defaults to MAX_DISTINCT. */
  maxDistinct?: number;
}

/** What one read through an input counted, before it is folded into the report. */
export interface InspectRun {
  /** The report without the tally's counts (records, times, events, users, ...). */
  report: InfoReport;
  tally: Tally;
  /** The reader, once read (its `stoppedAt`, `invalidUtf8Records`, ...). */
  log: AuditLogReader;
  /** Records and record problems read: the record numbers they took. */
  numbered: number;
  /** Whether records the filter left out had local or UTC times (the tally knows those of the others). */
  filteredZones: { utc: boolean; local: boolean };
}

/**
 * Read one input (or a range of it) through and count, without folding the
 * counts into the report: what `inspect` does, for callers that merge the
 * counts of several parts.
 */
export async function inspectRun(src: Source, opts: InspectOptions = {}): Promise<InspectRun> {
  const { filter, onEntry, onProgress, trackDb, onProblem, maxDistinct, ...readOpts } = opts;
  let numbered = 0;
  const log = readAuditLog(src, {
    ...readOpts,
    keepRaw: false,
    onError: 'skip',
    onProblem: (e) => {
      if (e.ctx.index !== undefined) numbered++;
      addProblem(report, e);
      onProblem?.(e);
    },
  });
  const report = emptyReport(log.file);
  const tally = new Tally(trackDb !== undefined, maxDistinct);
  const keep = filter ? compileFilter(filter) : undefined;
  const filteredZones = { utc: false, local: false };
  let filtered = 0;
  for await (const batch of log.batches()) {
    for (const e of batch) {
      // The connection's db is filled in before filtering (as convert does), so --db sees it.
      trackDb?.apply(e);
      if (keep && !keep(e.event)) {
        filtered++;
        filteredZones[e.timeZone === 'local' ? 'local' : 'utc'] = true;
      } else {
        tally.add(e);
        onEntry?.(e);
      }
    }
    onProgress?.(log, tally.records + filtered, tally);
  }
  if (keep) report.filtered = filtered;
  report.layers = log.layers;
  report.format = log.format ?? null;
  report.complete = log.complete;
  report.bytes = log.bytesRead;
  return { report, tally, log, numbered: numbered + tally.records + filtered, filteredZones };
}

/**
 * Read one input through and report on it. Malformed records are skipped and
 * listed, never fatal; an unreadable input (unknown format, I/O) throws.
 */
export async function inspect(src: Source, opts: InspectOptions = {}): Promise<InfoReport> {
  const { report, tally } = await inspectRun(src, opts);
  // The counts go first, as in a report built by one pass: the keys keep their order.
  const out = emptyReport(report.file);
  for (const k of ['malformed', 'truncated', 'notices'] as const) out[k] = report[k];
  out.counts = report.counts;
  tally.into(out);
  return finishReport(out, report);
}

/** Copy what the reader learned (filtered, layers, format, complete, bytes) from `from` into `r`, in the report's key order. */
export function finishReport(r: InfoReport, from: Pick<InfoReport, 'filtered' | 'layers' | 'format' | 'complete' | 'bytes'>): InfoReport {
  if (from.filtered !== undefined) r.filtered = from.filtered;
  r.layers = from.layers;
  r.format = from.format;
  r.complete = from.complete;
  r.bytes = from.bytes;
  return r;
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
