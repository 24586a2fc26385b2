/**
 * Conversion: read inputs in order as one stream, filter, write in a target
 * format, optionally compress and encrypt, into a file (atomically) or a stream.
 *
 *   const summary = await convert(['audit.log'], 'audit.json', { to: 'json', filter: { user: ['root'] } });
 *   console.log(summary.written, summary.filtered);
 */
import type { Entry } from './entry.js';
import { AuditLogError } from './errors.js';
import { compileFilter, type FilterSpec } from './filter.js';
import { isDataProblem, MAX_LISTED, problemReport, type ProblemReport } from './info.js';
import { wrapOutput, type OutputEncryption, type PasswordSource } from './layers/index.js';
import { readAuditLog, type AuditLogReader, type Source } from './reader.js';
import { writeAtomic, writeStream } from './sink.js';
import { createWriter, type OutputFormat } from './writers/index.js';
import { createDbTracker, type DbTrackerSummary } from './track-db.js';

export interface ConvertOptions {
  to: OutputFormat;
  filter?: FilterSpec;
  /** `fail` (default): stop at the first malformed record; `skip`: skip it, count it, go on. */
  onError?: 'fail' | 'skip';
  /** Password of encrypted inputs. */
  password?: PasswordSource;
  /** Zone of local-time inputs (IANA name or `+hh:mm`): their times are converted to UTC on read. */
  sourceTz?: string;
  /** gzip the output. */
  compress?: boolean;
  /** AES-encrypt the output (after gzip, as the servers write `.gz.enc`). */
  encrypt?: OutputEncryption;
  /** Told about every problem that did not stop the conversion. */
  onProblem?: (e: AuditLogError) => void;
  /** Told about progress after every input block: the current input's reader (bytes read) and the records read so far. */
  onProgress?: (log: AuditLogReader, records: number) => void;
  /** Fill each connection's default database into general and table-access events without one (src/track-db.ts), before filtering. */
  trackDb?: boolean;
}

export interface InputSummary {
  file: string;
  format: string | null;
  layers: string[];
  complete: boolean | null;
  records: number;
}

export interface ConvertSummary {
  to: OutputFormat;
  inputs: InputSummary[];
  /** Complete records read. */
  read: number;
  written: number;
  /** Records dropped by the filters. */
  filtered: number;
  /** Records written as their original bytes (same-format pass-through). */
  passedThrough: number;
  /** Malformed records skipped (with `skip`), and stretches of bytes inside a document that are no record (SKIPPED_DATA). */
  malformed: number;
  /** Torn last records (never written half). */
  truncated: number;
  /** Field path -> number of records where the target format could not hold it. */
  droppedFields: Record<string, number>;
  /** The problems that did not stop the conversion, with their positions (the first MAX_LISTED). */
  problems: ProblemReport[];
  /** Whether any problem meant data was lost or damaged (malformed or torn records, cut input layers). */
  dataProblems: boolean;
  /** Bytes of output (after compression and encryption). */
  bytesOut: number;
  /** With `trackDb`: events that got a db, and those left without one. */
  trackDb?: DbTrackerSummary;
}

/** Size of the output blocks handed to the layers and the sink, in bytes. */
const OUT_BLOCK = 256 * 1024;
/** Text is encoded to bytes in pieces of about this many characters. */
const TEXT_PIECE = 16 * 1024;

/**
 * The output bytes of a conversion, as an async iterable, and its summary
 * (filled in as the bytes are consumed; complete once they all were).
 */
export function convertChunks(inputs: Source[], opts: ConvertOptions): { chunks: AsyncIterable<Uint8Array>; summary: ConvertSummary } {
  const summary: ConvertSummary = {
    to: opts.to,
    inputs: [],
    read: 0,
    written: 0,
    filtered: 0,
    passedThrough: 0,
    malformed: 0,
    truncated: 0,
    droppedFields: {},
    problems: [],
    dataProblems: false,
    bytesOut: 0,
  };
  const keep = compileFilter(opts.filter ?? {});
  const track = opts.trackDb ? createDbTracker() : undefined;
  const onProblem = (e: AuditLogError) => {
    if (e.code === 'MALFORMED_RECORD' || e.code === 'SKIPPED_DATA') summary.malformed++;
    if (e.code === 'TRUNCATED_RECORD') summary.truncated++;
    if (isDataProblem(e.code)) summary.dataProblems = true;
    if (summary.problems.length < MAX_LISTED) summary.problems.push(problemReport(e));
    opts.onProblem?.(e);
  };

  async function* render(): AsyncGenerator<Uint8Array> {
    let writer: ReturnType<typeof createWriter> | undefined;
    // Output is gathered into blocks: runs of text are encoded once per block, not per record.
    let parts: Uint8Array[] = [];
    let text = '';
    let size = 0;
    const put = (b: string | Uint8Array) => {
      if (typeof b === 'string') {
        text += b;
        size += b.length;
        // Encode in small pieces: one big string per block would be a large heap
        // object, and those grow the old generation (and resident memory) fast.
        if (text.length >= TEXT_PIECE) {
          parts.push(Buffer.from(text, 'utf8'));
          text = '';
        }
        return;
      }
      if (b.length === 0) return;
      if (text) {
        parts.push(Buffer.from(text, 'utf8'));
        text = '';
      }
      parts.push(b);
      size += b.length;
    };
    const take = (): Uint8Array => {
      if (text) parts.push(Buffer.from(text, 'utf8'));
      const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      parts = [];
      text = '';
      size = 0;
      return out;
    };
    for (const src of inputs) {
      // Original bytes are only needed when they can pass through to the target unchanged.
      const keepRaw = (f: string) => f === opts.to;
      const log = readAuditLog(src, { onError: opts.onError === 'skip' ? 'skip' : 'throw', onProblem, password: opts.password, keepRaw, ...(opts.sourceTz !== undefined ? { sourceTz: opts.sourceTz } : {}) });
      const input: InputSummary = { file: log.file, format: null, layers: [], complete: null, records: 0 };
      summary.inputs.push(input);
      for await (const batch of log.batches()) {
        if (!writer) {
          // The source header is kept only when converting to the source's own format.
          writer = createWriter(opts.to, log.format === opts.to ? { prologue: log.prologue } : {});
          put(writer.header());
        }
        for (const e of batch as Entry[]) {
          input.records++;
          summary.read++;
          track?.apply(e);
          if (!keep(e.event)) {
            summary.filtered++;
            continue;
          }
          put(writer.record(e));
        }
        if (size >= OUT_BLOCK) yield take();
        opts.onProgress?.(log, summary.read);
      }
      input.format = log.format ?? null;
      input.layers = log.layers;
      input.complete = log.complete;
    }
    if (!writer) {
      // No record at all: still a valid, empty file of the target format.
      writer = createWriter(opts.to);
      put(writer.header());
    }
    put(writer.footer());
    const ws = writer.summary();
    summary.written = ws.written;
    summary.passedThrough = ws.passedThrough;
    summary.droppedFields = ws.droppedFields;
    if (track) summary.trackDb = track.summary();
    yield take();
  }

  async function* counted(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const c of src) {
      summary.bytesOut += c.length;
      yield c;
    }
  }

  const wrapped = wrapOutput(render(), { compress: opts.compress ?? false, ...(opts.encrypt ? { encrypt: opts.encrypt } : {}) });
  return { chunks: counted(wrapped), summary };
}

/**
 * Convert inputs into `dest`: a path (written atomically, mode 0600; nothing
 * is left behind if the conversion fails) or a writable stream.
 * @throws AuditLogError the first malformed record (with `onError: 'fail'`), or an unusable input
 */
export async function convert(inputs: Source[], dest: string | NodeJS.WritableStream, opts: ConvertOptions): Promise<ConvertSummary> {
  const { chunks, summary } = convertChunks(inputs, opts);
  if (typeof dest === 'string') await writeAtomic(dest, chunks);
  else await writeStream(dest, chunks);
  return summary;
}
