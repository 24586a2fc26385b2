/**
 * Output of `read`: the events as the server's `audit_log_read()` returns
 * them (a JSON array, one compact event per line, ending with `null` when
 * nothing more is left) or NDJSON, written to stdout and flushed: each write
 * resolves only once stdout took it, so a cursor saved afterwards never runs
 * ahead of what was printed.
 *
 *   const o = new EventOutput(false);
 *   await o.write(batch); ...; await o.end(more);
 */
import type { AuditEvent } from '../src/entry.js';
import { AuditLogError } from '../src/errors.js';

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (err) reject(new AuditLogError('IO_ERROR', `stdout: ${err.message}`, { stage: 'write', file: '-', recoverable: false }, { cause: err }));
      else resolve();
    });
  });
}

export class EventOutput {
  private n = 0;
  constructor(private readonly ndjson: boolean) {}

  async write(events: AuditEvent[]): Promise<void> {
    let text = this.n === 0 && !this.ndjson ? '[\n' : '';
    for (const e of events) {
      text += this.ndjson ? JSON.stringify(e) + '\n' : (this.n === 0 ? '' : ',\n') + JSON.stringify(e);
      this.n++;
    }
    await write(text);
  }

  /** Close the array: with a final `null` when no event is left (`more` false). */
  async end(more: boolean): Promise<void> {
    if (this.ndjson) return;
    await write((this.n === 0 ? '[\n' : more ? '\n' : ',\n') + (more ? ']\n' : 'null\n]\n'));
  }
}
