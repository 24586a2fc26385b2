/**
 * `info`: what a file is and what is in it, gathered in one streaming pass.
 *
 *   const report = await inspect('audit.log');
 *   console.log(report.format, report.records, report.malformed.length);
 */
import type { Entry, FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { readAuditLog, type ReadOptions, type Source } from './reader.js';

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
  /** Records by `class/event`. */
  events: Record<string, number>;
  /** General events by command (`Query`, `Init DB`, ...). */
  commands: Record<string, number>;
  /** Records by user (account user, else login user; `""` when empty). */
  users: Record<string, number>;
  /** Malformed records (skipped), with positions. */
  malformed: ProblemReport[];
  /** A torn last record (not returned), with its position. */
  truncated: ProblemReport[];
  /** Text outside any record, and input layers cut short. */
  notices: ProblemReport[];
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
    events: {},
    commands: {},
    users: {},
    malformed: [],
    truncated: [],
    notices: [],
  };
}

function count(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** Fold one entry into a report. */
export function addEntry(r: InfoReport, e: Entry): void {
  r.records++;
  const ev = e.event;
  const ts = ev.timestamp;
  if (typeof ts === 'string') {
    if (r.first === null || ts < r.first) r.first = ts;
    if (r.last === null || ts > r.last) r.last = ts;
  }
  count(r.events, `${ev.class ?? '?'}/${ev.event ?? '?'}`);
  const cmd = ev.general_data?.command;
  if (typeof cmd === 'string') count(r.commands, cmd);
  const user = ev.account?.user ?? ev.login?.user;
  if (typeof user === 'string') count(r.users, user);
}

/** Fold one problem into a report. */
export function addProblem(r: InfoReport, e: AuditLogError): void {
  const p = problemReport(e);
  if (e.code === 'MALFORMED_RECORD') r.malformed.push(p);
  else if (e.code === 'TRUNCATED_RECORD') r.truncated.push(p);
  else r.notices.push(p);
}

/**
 * Read one input through and report on it. Malformed records are skipped and
 * listed, never fatal; an unreadable input (unknown format, I/O) throws.
 */
export async function inspect(src: Source, opts: ReadOptions = {}): Promise<InfoReport> {
  const log = readAuditLog(src, { ...opts, keepRaw: false, onError: 'skip', onProblem: (e) => addProblem(report, e) });
  const report = emptyReport(log.file);
  for await (const e of log) addEntry(report, e);
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
    for (const [k, v] of Object.entries(r.events)) t.events[k] = (t.events[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.commands)) t.commands[k] = (t.commands[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.users)) t.users[k] = (t.users[k] ?? 0) + v;
    t.malformed.push(...r.malformed);
    t.truncated.push(...r.truncated);
    t.notices.push(...r.notices);
  }
  return { ...t, files: reports };
}
