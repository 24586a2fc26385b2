/**
 * `sessions`: read inputs in order as one stream, track sessions, and render
 * each finished one (human line, NDJSON, CSV or one JSON document), as they end.
 *
 *   const { chunks, summary } = sessionChunks(['audit.20190415T151322.log.gz', 'audit.log'], { to: 'ndjson' });
 *   await writeStream(process.stdout, chunks);
 *   console.error(summary.sessions.sessions);
 */
import type { AuditLogError } from './errors.js';
import { normaliseTime, type FilterSpec } from './filter.js';
import { isDataProblem, MAX_LISTED, problemReport, type ProblemReport } from './info.js';
import type { PasswordSource } from './layers/index.js';
import { readAuditLog, type AuditLogReader, type Source } from './reader.js';
import { createSessionTracker, sessionCsvHeader, sessionCsvRow, type Session, type SessionSummary, type SessionTracker, type SessionTrackerOptions } from './sessions.js';

/** Session filters: the event filters that make sense for a whole session. */
export type SessionFilterSpec = Pick<FilterSpec, 'user' | 'host' | 'ip' | 'db' | 'connectionId' | 'since' | 'until'>;

/**
 * Build a predicate over sessions. `user` matches the login or account user (or a
 * user changed to), `db` any database used, `since`/`until` sessions whose span overlaps.
 * @throws AuditLogError INVALID_OPTION for a bad time
 */
export function compileSessionFilter(spec: SessionFilterSpec): (s: Session) => boolean {
  const tests: ((s: Session) => boolean)[] = [];
  const set = (a: (string | number)[] | undefined) => (a && a.length ? new Set(a.map(String)) : undefined);
  const users = set(spec.user);
  if (users)
    tests.push(
      (s) =>
        (s.login_user !== undefined && users.has(s.login_user)) ||
        (s.account_user !== undefined && users.has(s.account_user)) ||
        (s.user_changes ?? []).some((c) => (c.login_user !== undefined && users.has(c.login_user)) || (c.account_user !== undefined && users.has(c.account_user))),
    );
  const hosts = set(spec.host);
  if (hosts) tests.push((s) => s.host !== undefined && hosts.has(s.host));
  const ips = set(spec.ip);
  if (ips) tests.push((s) => s.ip !== undefined && ips.has(s.ip));
  const dbs = set(spec.db);
  if (dbs) tests.push((s) => s.databases.some((d) => dbs.has(d)));
  const ids = set(spec.connectionId);
  if (ids) tests.push((s) => ids.has(String(s.connection_id)));
  if (spec.since !== undefined) {
    const since = normaliseTime(spec.since, false);
    tests.push((s) => (s.until ?? s.last_seen) === undefined || (s.until ?? s.last_seen)! >= since);
  }
  if (spec.until !== undefined) {
    const until = normaliseTime(spec.until, true);
    tests.push((s) => (s.from ?? s.first_seen) === undefined || (s.from ?? s.first_seen)! <= until);
  }
  return (s) => tests.every((t) => t(s));
}

export type SessionFormat = 'text' | 'ndjson' | 'csv' | 'json';

export interface SessionsOptions extends SessionTrackerOptions {
  to?: SessionFormat;
  filter?: SessionFilterSpec;
  password?: PasswordSource;
  /** Zone of local-time logs (Percona audit_log_filter): their times are read as UTC (ReadOptions.sourceTz). */
  sourceTz?: string;
  /** Told about every problem met while reading (malformed records are skipped). */
  onProblem?: (e: AuditLogError) => void;
  /** Told about progress after every input block: the current input's reader (bytes read) and the records read so far. */
  onProgress?: (log: AuditLogReader, records: number) => void;
}

export interface SessionsResult {
  sessions: SessionSummary;
  /** Sessions written (after the filters). */
  written: number;
  records: number;
  malformed: number;
  problems: ProblemReport[];
  dataProblems: boolean;
  inputs: { file: string; format: string | null; layers: string[]; records: number }[];
}

/**
 * The sessions of the inputs, in the order they end, as an async iterable,
 * with a summary filled in as they are consumed.
 */
export function readSessions(inputs: Source[], opts: SessionsOptions = {}): { sessions: AsyncIterable<Session>; result: SessionsResult; tracker: SessionTracker } {
  const tracker = createSessionTracker(opts);
  const result: SessionsResult = { sessions: tracker.summary(), written: 0, records: 0, malformed: 0, problems: [], dataProblems: false, inputs: [] };
  const keep = compileSessionFilter(opts.filter ?? {});
  const onProblem = (e: AuditLogError) => {
    if (e.code === 'MALFORMED_RECORD') result.malformed++;
    if (isDataProblem(e.code)) result.dataProblems = true;
    if (result.problems.length < MAX_LISTED) result.problems.push(problemReport(e));
    opts.onProblem?.(e);
  };
  async function* run(): AsyncGenerator<Session> {
    for (const src of inputs) {
      const log = readAuditLog(src, { onError: 'skip', onProblem, password: opts.password, keepRaw: false, ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}) });
      const input = { file: log.file, format: null as string | null, layers: [] as string[], records: 0 };
      result.inputs.push(input);
      for await (const batch of log.batches()) {
        for (const e of batch) {
          input.records++;
          result.records++;
          for (const s of tracker.push(e)) if (keep(s)) yield s;
        }
        opts.onProgress?.(log, result.records);
      }
      input.format = log.format ?? null;
      input.layers = log.layers;
    }
    for (const s of tracker.end()) if (keep(s)) yield s;
  }
  async function* counted(): AsyncGenerator<Session> {
    for await (const s of run()) {
      result.written++;
      yield s;
    }
    result.sessions = tracker.summary();
  }
  return { sessions: counted(), result, tracker };
}

/** One session as a line of text for people. */
export function formatSessionLine(s: Session): string {
  const who = `${s.login_user ?? '?'}${s.account_user && s.account_user !== s.login_user ? ` (as ${s.account_user})` : ''}@${s.host || '?'}${s.ip ? ` [${s.ip}]` : ''}`;
  const client = [s.program_name, s.client_pid !== undefined ? `pid ${s.client_pid}` : undefined, s.client_name && `${s.client_name}${s.client_version ? ' ' + s.client_version : ''}`, s.os]
    .filter(Boolean)
    .join(', ');
  const span = `${s.connect_time ?? `(before ${s.from ?? s.first_seen ?? '?'})`} .. ${s.disconnect_time ?? `(${s.ended_by.replace(/_/g, ' ')}${s.until ? ' ' + s.until : ''})`}`;
  const flags = [
    s.login_failed ? `LOGIN FAILED ${s.login_status}` : '',
    s.open_at_start ? 'open at start' : '',
    s.open_at_end ? 'open at end' : '',
    s.ended_by === 'evicted' ? 'evicted' : '',
    s.ended_by === 'reconnect' ? 'no disconnect' : '',
    s.time_zone === 'local' ? 'local time' : '',
    s.user_changes?.length ? `changed user to ${s.user_changes.map((c) => c.login_user).join(', ')}` : '',
  ].filter(Boolean);
  const dbs = s.databases.length ? `  db ${s.databases.join(',')}${s.databases_more ? ` +${s.databases_more}` : ''}` : '';
  return (
    `${String(s.connection_id).padStart(6)}  ${who}${client ? `  {${client}}` : ''}  ${span}${s.duration_seconds !== undefined ? ` (${s.duration_seconds} s)` : ''}` +
    `${dbs}  ${s.statements} stmt${s.errors ? `, ${s.errors} err` : ''}${flags.length ? `  [${flags.join('; ')}]` : ''}\n`
  );
}

/**
 * Render sessions as text: `text` (one line each), `ndjson`, `csv` (header row first), or
 * `json` (one document `{"sessions": [...], "summary": {...}}`, still written as the sessions end).
 */
export async function* renderSessions(sessions: AsyncIterable<Session>, to: SessionFormat, result?: SessionsResult): AsyncGenerator<string> {
  if (to === 'csv') yield sessionCsvHeader();
  if (to === 'json') yield '{"sessions": [\n';
  let first = true;
  for await (const s of sessions) {
    if (to === 'ndjson') yield JSON.stringify(s) + '\n';
    else if (to === 'csv') yield sessionCsvRow(s);
    else if (to === 'json') {
      yield (first ? '' : ',\n') + JSON.stringify(s);
      first = false;
    } else yield formatSessionLine(s);
  }
  if (to === 'json') yield `${first ? '' : '\n'}], "summary": ${JSON.stringify(result ?? null)}}\n`;
}

/** Text pieces gathered into byte chunks of about `size` bytes (for a sink). */
export async function* toChunks(text: AsyncIterable<string>, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  let buf = '';
  for await (const t of text) {
    buf += t;
    if (buf.length >= size) {
      yield Buffer.from(buf, 'utf8');
      buf = '';
    }
  }
  if (buf) yield Buffer.from(buf, 'utf8');
}
