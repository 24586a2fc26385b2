/**
 * The problems table: for every error code, the exit code it gives when it
 * ends a command, whether it means data was lost or damaged (exit 1 at the
 * end when it was only reported), whether reading stops at it, and how a
 * person is told. Every command and the reader ask this table; nothing else
 * classifies codes.
 *
 *   if (problem(e.code).dataProblem) summary.dataProblems = true;
 *   process.exitCode = problem(e.code).exit;
 *
 * | code | exit | data problem | stops reading | severity |
 * |---|---|---|---|---|
 * | `UNKNOWN_FORMAT` | 3 | no | always | error |
 * | `MALFORMED_RECORD` | 1 | yes | unless `--on-error skip` | warning |
 * | `TRUNCATED_RECORD` | 1 | yes | never (it is the end) | warning |
 * | `TRUNCATED_INPUT` | 1 | yes | never (it is the end) | warning |
 * | `UNEXPECTED_DATA` | 0 | no (only reported) | never | note |
 * | `SKIPPED_DATA` | 1 | yes (bytes inside a document were not a record) | never | warning |
 * | `INVALID_UTF8` | 0 | no (reported; the bytes are kept) | never | note |
 * | `DECRYPT_FAILED` | 3 | no | always | error |
 * | `MISSING_PASSWORD` | 3 | no | always | error |
 * | `DECOMPRESS_FAILED` | 3 | yes (after output: what was inflated stands) | always | warning |
 * | `IO_ERROR` | 3 | no | always | error |
 * | `INVALID_OPTION` | 2 | no | always | error |
 * | `BOOKMARK_NOT_FOUND` | 3 | no | always | error |
 * | `STATE_INVALID` | 3 | no | always | error |
 * | `INPUT_CHANGED` | 3 | no (nothing was written) | always | error |
 */
import type { Position } from './entry.js';
import { AuditLogError, type AuditLogErrorCode, type Stage } from './errors.js';
import { excerpt } from './text.js';

export interface ProblemRule {
  /** Exit code of the command-line tool when this problem ends the command. */
  exit: 0 | 1 | 2 | 3;
  /** Data was lost or damaged: a run that only reported it still exits 1. */
  dataProblem: boolean;
  /** `always`: reading cannot go on; `unless-skip`: it stops unless the caller skips (`--on-error skip`); `never`. */
  stops: 'always' | 'unless-skip' | 'never';
  /** How it is shown to a person: `Error:`, `Warning:` or `Note:`. */
  severity: 'error' | 'warning' | 'note';
}

export const PROBLEMS: Readonly<Record<AuditLogErrorCode, ProblemRule>> = {
  UNKNOWN_FORMAT: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
  MALFORMED_RECORD: { exit: 1, dataProblem: true, stops: 'unless-skip', severity: 'warning' },
  TRUNCATED_RECORD: { exit: 1, dataProblem: true, stops: 'never', severity: 'warning' },
  TRUNCATED_INPUT: { exit: 1, dataProblem: true, stops: 'never', severity: 'warning' },
  UNEXPECTED_DATA: { exit: 0, dataProblem: false, stops: 'never', severity: 'note' },
  SKIPPED_DATA: { exit: 1, dataProblem: true, stops: 'never', severity: 'warning' },
  INVALID_UTF8: { exit: 0, dataProblem: false, stops: 'never', severity: 'note' },
  DECRYPT_FAILED: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
  MISSING_PASSWORD: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
  DECOMPRESS_FAILED: { exit: 3, dataProblem: true, stops: 'always', severity: 'warning' },
  IO_ERROR: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
  INVALID_OPTION: { exit: 2, dataProblem: false, stops: 'always', severity: 'error' },
  BOOKMARK_NOT_FOUND: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
  STATE_INVALID: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
  INPUT_CHANGED: { exit: 3, dataProblem: false, stops: 'always', severity: 'error' },
};

/** The table's row for a code (an unknown code counts as an unusable input). */
export function problem(code: string): ProblemRule {
  return (PROBLEMS as Record<string, ProblemRule>)[code] ?? PROBLEMS.IO_ERROR;
}

/**
 * An input that cannot be read (missing, unknown format, wrong password, I/O):
 * a problem that stops reading and ends with exit 3. A command over several
 * inputs may report it and go on with the others.
 */
export function isUnreadable(e: AuditLogError): boolean {
  const rule = problem(e.code);
  return rule.stops === 'always' && rule.exit === 3 && e.ctx.stage !== 'write';
}

/** Problems that mean data was lost or damaged (exit code 1). */
export function isDataProblem(code: string): boolean {
  return problem(code).dataProblem;
}

/** The word a person sees before a problem that did not stop the command: `Warning` or `Note`. */
export function severityLabel(code: string): string {
  const s = problem(code).severity;
  return s === 'error' ? 'Error' : s === 'warning' ? 'Warning' : 'Note';
}

/**
 * A failure while handling one record (an unexpected value, or a bug), as a
 * problem of that record: MALFORMED_RECORD at its position, so `--on-error`
 * treats it as any malformed record. An AuditLogError keeps its code and gets
 * the position when it had none.
 */
export function recordProblem(e: unknown, at: Position, stage: Stage): AuditLogError {
  const ctx = { stage, file: at.file, offset: at.offset, end: at.end, index: at.index, recoverable: true };
  if (e instanceof AuditLogError) return e.ctx.offset !== undefined ? e : new AuditLogError(e.code, e.detail, { ...e.ctx, ...ctx }, { cause: e });
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new AuditLogError('MALFORMED_RECORD', `record could not be handled (${stage}): ${excerpt(what, 120)}`, ctx, { cause: e });
}
