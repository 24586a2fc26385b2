/**
 * A problem met while reading, told on stderr: `Note:` for what loses no record
 * (text outside records, an input layer cut short), `Warning:` for the rest.
 *
 *   readSessions(files, { onProblem: tellProblem });
 */
import type { AuditLogError } from '../src/errors.js';

export function tellProblem(e: AuditLogError): void {
  process.stderr.write(`${e.code === 'UNEXPECTED_DATA' || e.code === 'TRUNCATED_INPUT' ? 'Note' : 'Warning'}: ${e.message}\n`);
}
