/**
 * `who`: which session held a connection id at a time, and binlog events
 * attributed to the sessions that ran them, from the audit files alone.
 *
 *   const hit = await whoAt(['audit.log'], 15, '2025-05-08 08:06:16');
 *   const { lines, summary } = attributeBinlog('binlog.000001.txt', ['audit.log']);
 *   for await (const l of lines) process.stdout.write(l);
 */
import type { Entry } from './entry.js';
import { AuditLogError } from './errors.js';
import { normaliseTime } from './filter.js';
import type { PasswordSource } from './layers/index.js';
import { readAuditLog, readBytes, type Source } from './reader.js';
import { annotateBinlog, splitLines, type AnnotateOptions, type AnnotateSummary } from './binlog-text.js';
import { createSessionIndex, type Attribution, type SessionIndex, type SessionIndexOptions } from './session-index.js';

export interface WhoOptions extends SessionIndexOptions, AnnotateOptions {
  password?: PasswordSource;
  /** Zone of local-time logs (Percona audit_log_filter): their times are read as UTC (ReadOptions.sourceTz). */
  sourceTz?: string;
  /** Told about every problem met while reading the audit files (malformed records are skipped). */
  onProblem?: (e: AuditLogError) => void;
}

/**
 * Which audit times a lookup can compare with: `utc` (binlog times are UTC), or
 * `one` (a time given in the audit files' zone, which must then be one zone).
 */
export type AuditZones = 'utc' | 'one';

/**
 * The entries of several audit inputs, in order, in batches.
 * @throws AuditLogError INVALID_OPTION at the first entry whose time cannot be compared
 *   (`zones`): a local time (Percona audit_log_filter) where UTC is needed, or a change
 *   between local and UTC times; `sourceTz` reads local times as UTC
 */
export async function* auditBatches(inputs: Source[], opts: Pick<WhoOptions, 'password' | 'onProblem' | 'sourceTz'> = {}, zones: AuditZones = 'one'): AsyncGenerator<Entry[]> {
  let zone: 'utc' | 'local' | undefined = zones === 'utc' ? 'utc' : undefined;
  // With sourceTz, every time that can be read is UTC; one that cannot (no time, or none the zone
  // gives) stays as it is, and tells nothing about the files' zone.
  const check = opts.sourceTz === undefined;
  for (const src of inputs) {
    const log = readAuditLog(src, { onError: 'skip', keepRaw: false, password: opts.password, ...(opts.onProblem ? { onProblem: opts.onProblem } : {}), ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}) });
    for await (const batch of log.batches()) {
      if (check)
        for (const e of batch) {
          if (typeof e.event.timestamp !== 'string') continue;
          const z = e.timeZone ?? 'utc';
          zone ??= z;
          if (z !== zone) throw zoneMismatch(e, zones);
        }
      yield batch;
    }
  }
}

function zoneMismatch(e: Entry, zones: AuditZones): AuditLogError {
  const what =
    zones === 'utc'
      ? "its times are the server's local time (Percona audit_log_filter), and binlog times are UTC"
      : e.timeZone === 'local'
        ? "its times are the server's local time (Percona audit_log_filter), and those of the audit records before it UTC"
        : "its times are UTC, and those of the audit records before it the server's local time (Percona audit_log_filter)";
  return new AuditLogError('INVALID_OPTION', `${what}: give --source-tz (the server's time zone) to read local times as UTC`, { stage: 'read', file: e.at.file, offset: e.at.offset, index: e.at.index, recoverable: false });
}

/**
 * The session(s) that had `connectionId` at `time`, finished (read on until each ends).
 * @param time `YYYY-MM-DD hh:mm:ss` (or a prefix `normaliseTime` accepts), in the audit files' zone
 *   (UTC, or the server's local time for Percona audit_log_filter files read without `sourceTz`)
 * @throws AuditLogError INVALID_OPTION for a bad time, or audit files of local and UTC times (auditBatches)
 */
export async function whoAt(inputs: Source[], connectionId: number | string, time: string, opts: WhoOptions = {}): Promise<Attribution> {
  const t = normaliseTime(time, false);
  const index = createSessionIndex(auditBatches(inputs, opts, 'one'), opts);
  const a = await index.at(connectionId, t);
  if ('sessions' in a) for (const s of a.sessions) await index.finish(s);
  return a;
}

/**
 * mysqlbinlog text with each event annotated by the session that ran it.
 * @param binlog the text (a path, `-` for stdin, bytes or chunks)
 * @param inputs the audit files, oldest first
 * @returns the annotated lines, and a summary filled in as they are consumed
 */
export function attributeBinlog(binlog: Source, inputs: Source[], opts: WhoOptions = {}): { lines: AsyncIterable<string>; summary: AnnotateSummary; index: SessionIndex } {
  const index = createSessionIndex(auditBatches(inputs, opts, 'utc'), opts);
  const summary: AnnotateSummary = { events: 0, attributed: 0, unknown: {} };
  const name = typeof binlog === 'string' ? binlog : '-';
  const lines = annotateBinlog(splitLines(readBytes(binlog, name)), (id, t) => index.at(id, t), opts, summary);
  return { lines, summary, index };
}
