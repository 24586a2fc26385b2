/**
 * stdout for `read`: each write resolves only once stdout took it, so a
 * cursor saved afterwards never runs ahead of what was printed.
 *
 *   await runRead(opts, writeStdout);
 */
import { AuditLogError } from '../src/errors.js';

export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (err) reject(new AuditLogError('IO_ERROR', `stdout: ${err.message}: the state was not saved`, { stage: 'write', file: '-', recoverable: false }, { cause: err }));
      else resolve();
    });
  });
}
