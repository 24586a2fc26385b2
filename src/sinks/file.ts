/**
 * The file sink: one output (through src/sink.ts's byte sinks: a regular file
 * atomically, temp file, fsync, rename, mode 0600; a device or FIFO in place;
 * or a stream such as stdout). Header,
 * records, footer in the target format, then the output layers (gzip, AES).
 *
 *   const sink = createFileSink('audit.json.gz', { to: 'json', compress: true });
 *   await sink.write(entries);
 *   const { written, bytesOut } = await sink.close();
 *
 * Records are gathered into blocks of about 256 KiB before they go to the
 * layers and the disk: runs of text are encoded once per block, not once per
 * record. `bytes` (the log bytes so far, before the layers) is exact after every
 * write, which is what a rotating sink measures.
 */
import type { Entry } from '../entry.js';
import { AuditLogError } from '../errors.js';
import { wrapOutput, type OutputEncryption } from '../layers/index.js';
import { openSink, writeAll, type ByteSink } from '../sink.js';
import { createWriter, type OutputFormat, type RecordWriter } from '../writers/index.js';
import { Channel, type EntrySink, type SinkSummary, type WriteHooks } from './entry-sink.js';

export interface FileSinkOptions extends WriteHooks {
  to: OutputFormat;
  /** CSV: prefix cells that start with `=`, `+`, `-` or `@` with `'`. */
  csvSafe?: boolean;
  /** The source's bytes before its first record, kept as the header when valid for the target (same-format conversion). */
  prologue?: Uint8Array;
  /** gzip the output. */
  compress?: boolean;
  /** AES-encrypt the output (after gzip, as the servers write `.gz.enc`). */
  encrypt?: OutputEncryption;
  /** File mode of a new file. Default 0600. */
  mode?: number;
}

/** Size of the output blocks handed to the layers and the disk, in bytes. */
const OUT_BLOCK = 256 * 1024;
/** Text is encoded to bytes in pieces of about this many characters. */
const TEXT_PIECE = 16 * 1024;

export class FileSink implements EntrySink {
  readonly path: string;
  readonly to: OutputFormat;
  private readonly writer: RecordWriter;
  private readonly channel = new Channel();
  private readonly done: Promise<number>;
  private failure: AuditLogError | undefined;
  private parts: Uint8Array[] = [];
  private text = '';
  private size = 0;
  private closed = false;
  private _bytes = 0;
  private _records = 0;
  private _bytesOut = 0;
  private _lastTimestamp: string | undefined;
  private readonly onRecordFailure: WriteHooks['onRecordFailure'];
  private _gone = false;

  /** @param dest a path or stream (opened here), or a byte sink already opened with src/sink.ts's openSink */
  constructor(dest: string | NodeJS.WritableStream | ByteSink, opts: FileSinkOptions) {
    this.to = opts.to;
    const opened = isByteSink(dest) ? dest : undefined;
    this.path = opened ? opened.target.path : typeof dest === 'string' ? dest : '-';
    this.onRecordFailure = opts.onRecordFailure;
    this.writer = createWriter(opts.to, { csvSafe: opts.csvSafe ?? false, ...(opts.prologue ? { prologue: opts.prologue } : {}) });
    const layers = wrapOutput(this.channel, { compress: opts.compress ?? false, ...(opts.encrypt ? { encrypt: opts.encrypt } : {}) });
    const self = this;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const c of layers) {
        self._bytesOut += c.length;
        yield c;
      }
    }
    const binary = Boolean(opts.compress || opts.encrypt);
    const out = opened ? Promise.resolve(opened) : openSink(dest as string | NodeJS.WritableStream, { mode: opts.mode ?? 0o600, binary });
    this.done = out.then((sink) => writeAll(sink, counted()));
    // The reader went away (EPIPE) before the end: later blocks are dropped, and `gone` tells the caller to stop.
    void this.done.then(
      () => {
        if (this.closed) return;
        this._gone = true;
        this.channel.fail(new AuditLogError('IO_ERROR', 'the output was closed by its reader', { stage: 'write', file: this.path, recoverable: false }));
      },
      () => undefined,
    );
    // Remember the first failure; write() and close() report it.
    this.done.catch((e: unknown) => {
      this.failure ??= e instanceof AuditLogError ? e : new AuditLogError('IO_ERROR', String(e), { stage: 'write', file: this.path, recoverable: false });
      this.channel.fail(this.failure);
    });
    this.put(this.writer.header());
  }

  /** True once the output's reader went away (a closed pipe, as with `| head`): nothing more can be written. */
  get gone(): boolean {
    return this._gone;
  }

  /** Log bytes written so far (header and records, before compression and encryption). */
  get bytes(): number {
    return this._bytes;
  }
  /** Records written so far. */
  get records(): number {
    return this._records;
  }
  /** Bytes that reached the file so far, after the layers (lags behind `bytes` while blocks are pending). */
  get bytesOut(): number {
    return this._bytesOut;
  }
  /** The `timestamp` of the last record written, if it had one in UTC. */
  get lastTimestamp(): string | undefined {
    return this._lastTimestamp;
  }

  private put(b: string | Uint8Array): void {
    if (typeof b === 'string') {
      if (b.length === 0) return;
      this.text += b;
      this.size += b.length;
      this._bytes += Buffer.byteLength(b, 'utf8');
      // Small pieces: one big string per block would be a large heap object,
      // and those grow the old generation (and resident memory) fast.
      if (this.text.length >= TEXT_PIECE) {
        this.parts.push(Buffer.from(this.text, 'utf8'));
        this.text = '';
      }
      return;
    }
    if (b.length === 0) return;
    if (this.text) {
      this.parts.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
    this.parts.push(b);
    this.size += b.length;
    this._bytes += b.length;
  }

  private take(): Uint8Array {
    if (this.text) this.parts.push(Buffer.from(this.text, 'utf8'));
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.text = '';
    this.size = 0;
    return out;
  }

  /** Write one entry into the current block (no I/O). */
  add(e: Entry): void {
    let bytes: string | Uint8Array;
    try {
      bytes = this.writer.record(e);
    } catch (err) {
      if (!this.onRecordFailure) throw err;
      this.onRecordFailure(err, e);
      return;
    }
    this.put(bytes);
    this._records++;
    // A local time (Percona filter, no zone) is never taken for UTC: it gives no name time.
    const ts = e.event.timestamp;
    this._lastTimestamp = typeof ts === 'string' && e.timeZone !== 'local' ? ts : undefined;
  }

  /** Whether the current block is big enough to go to the layers and the disk. */
  get full(): boolean {
    return this.size >= OUT_BLOCK;
  }

  /** Hand the current block to the layers and the disk when it is big enough. */
  async flushIfFull(): Promise<void> {
    if (this.size >= OUT_BLOCK) await this.channel.push(this.take());
    if (this.failure) throw this.failure;
  }

  async write(entries: readonly Entry[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const e of entries) this.add(e);
    await this.flushIfFull();
  }

  async close(): Promise<SinkSummary> {
    if (this.closed) throw new AuditLogError('INVALID_OPTION', 'sink closed twice', { stage: 'write', file: this.path, recoverable: false });
    this.closed = true;
    if (this.failure) throw this.failure;
    if (this._gone) return this.summary();
    this.put(this.writer.footer());
    await this.channel.push(this.take());
    this.channel.end();
    try {
      await this.done;
    } catch {
      throw this.failure!;
    }
    return this.summary();
  }

  private summary(): SinkSummary {
    const ws = this.writer.summary();
    return {
      to: this.to,
      written: ws.written,
      passedThrough: ws.passedThrough,
      droppedFields: ws.droppedFields,
      bytesOut: this._bytesOut,
      files: this.path === '-' ? [] : [{ path: this.path, records: this._records, bytes: this._bytes, bytesOut: this._bytesOut }],
      pruned: [],
    };
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.channel.fail(new AuditLogError('IO_ERROR', 'output abandoned', { stage: 'write', file: this.path, recoverable: false }));
    await this.done.catch(() => undefined);
  }
}

function isByteSink(d: unknown): d is ByteSink {
  return typeof d === 'object' && d !== null && 'target' in d && typeof (d as ByteSink).commit === 'function';
}

/** A file sink writing to `dest` (a path, written atomically, or a stream). */
export function createFileSink(dest: string | NodeJS.WritableStream | ByteSink, opts: FileSinkOptions): FileSink {
  return new FileSink(dest, opts);
}
