/**
 * `who`: which session held a connection id at a time, and binlog events
 * attributed to the sessions that ran them, from the audit files alone.
 *
 *   const hit = await whoAt(['audit.log'], 15, '2025-05-08 08:06:16');
 *   const { lines, summary } = attributeBinlog('binlog.000001.txt', ['audit.log']);
 *   for await (const l of lines) process.stdout.write(l);
 */
import type { Entry } from './entry.js';
import type { AuditLogError } from './errors.js';
import { normaliseTime } from './filter.js';
import type { PasswordSource } from './layers/index.js';
import { readAuditLog, readBytes, type Source } from './reader.js';
import { annotateBinlog, splitLines, type AnnotateOptions, type AnnotateSummary } from './binlog-text.js';
import { createSessionIndex, type Attribution, type SessionIndex, type SessionIndexOptions } from './session-index.js';

export interface WhoOptions extends SessionIndexOptions, AnnotateOptions {
  password?: PasswordSource;
  /** Told about every problem met while reading the audit files (malformed records are skipped). */
  onProblem?: (e: AuditLogError) => void;
}

/** The entries of several audit inputs, in order, in batches. */
export async function* auditBatches(inputs: Source[], opts: Pick<WhoOptions, 'password' | 'onProblem'> = {}): AsyncGenerator<Entry[]> {
  for (const src of inputs) {
    const log = readAuditLog(src, { onError: 'skip', keepRaw: false, password: opts.password, ...(opts.onProblem ? { onProblem: opts.onProblem } : {}) });
    yield* log.batches();
  }
}

/**
 * The session(s) that had `connectionId` at `time`, finished (read on until each ends).
 * @param time `YYYY-MM-DD hh:mm:ss` (or a prefix `normaliseTime` accepts), in the audit files' zone
 * @throws AuditLogError INVALID_OPTION for a bad time
 */
export async function whoAt(inputs: Source[], connectionId: number | string, time: string, opts: WhoOptions = {}): Promise<Attribution> {
  const t = normaliseTime(time, false);
  const index = createSessionIndex(auditBatches(inputs, opts), opts);
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
  const index = createSessionIndex(auditBatches(inputs, opts), opts);
  const summary: AnnotateSummary = { events: 0, attributed: 0, unknown: {} };
  const name = typeof binlog === 'string' ? binlog : '-';
  const lines = annotateBinlog(splitLines(readBytes(binlog, name)), (id, t) => index.at(id, t), opts, summary);
  return { lines, summary, index };
}
