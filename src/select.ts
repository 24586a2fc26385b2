/**
 * Selection: the entries of several inputs, read in order as one stream,
 * that pass a filter, in batches (one per input block, possibly empty), and counts of what
 * was read. Stops reading as soon as the consumer stops (`break`, a limit).
 *
 *   const sel = selectEntries(['audit.log'], { filter: { user: ['root'] } });
 *   for await (const batch of sel.batches()) for (const e of batch) console.log(e.event.timestamp);
 *   console.log(sel.summary.matched, sel.summary.read);
 */
import type { Entry } from './entry.js';
import type { AuditLogError } from './errors.js';
import { compileFilter, type FilterSpec } from './filter.js';
import { isDataProblem } from './info.js';
import type { PasswordSource } from './layers/index.js';
import { readAuditLog, type AuditLogReader, type Source } from './reader.js';

export interface SelectOptions {
  filter?: FilterSpec;
  /** Password of encrypted inputs. */
  password?: PasswordSource;
  /** `skip` (default): malformed records are reported to `onProblem` and skipped; `fail`: the first one throws. */
  onError?: 'fail' | 'skip';
  /** Told about every problem that did not stop reading. */
  onProblem?: (e: AuditLogError) => void;
  /** Told after every input block: the current input's reader (bytes read) and the records read so far. */
  onProgress?: (log: AuditLogReader, records: number) => void;
}

export interface SelectSummary {
  /** Complete records read. */
  read: number;
  /** Records that passed the filter (and were handed out). */
  matched: number;
  /** Whether a problem meant data was lost or damaged (malformed or torn records, cut input layers). */
  dataProblems: boolean;
}

/**
 * The matching entries of `inputs`, in input order.
 * @throws AuditLogError INVALID_OPTION at once for a filter value that cannot match
 */
export function selectEntries(inputs: Source[], opts: SelectOptions = {}): { batches(): AsyncGenerator<Entry[]>; summary: SelectSummary } {
  const keep = compileFilter(opts.filter ?? {});
  const summary: SelectSummary = { read: 0, matched: 0, dataProblems: false };
  const onProblem = (e: AuditLogError) => {
    if (isDataProblem(e.code)) summary.dataProblems = true;
    opts.onProblem?.(e);
  };
  async function* batches(): AsyncGenerator<Entry[]> {
    for (const src of inputs) {
      const log = readAuditLog(src, { onError: opts.onError === 'fail' ? 'throw' : 'skip', onProblem, password: opts.password, keepRaw: false });
      for await (const batch of log.batches()) {
        summary.read += batch.length;
        const out = batch.filter((e) => keep(e.event));
        summary.matched += out.length;
        opts.onProgress?.(log, summary.read);
        // Empty batches too: a consumer holding output (a table being sized) gets a turn per block.
        yield out;
      }
      opts.onProgress?.(log, summary.read);
    }
  }
  return { batches, summary };
}
