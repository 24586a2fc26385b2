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
import { createWriter, type EncodedRun, type OutputFormat, type RecordWriter, type WriterState } from '../writers/index.js';
import { Channel, type EncodedSink, type SinkSummary, type WriteHooks } from './entry-sink.js';
import { Blocks } from './blocks.js';

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

export class FileSink implements EncodedSink {
  readonly path: string;
  readonly to: OutputFormat;
  private readonly writer: RecordWriter;
  private readonly channel = new Channel();
  private readonly done: Promise<number>;
  private failure: AuditLogError | undefined;
  private readonly blocks = new Blocks();
  private closed = false;
  /** Inside a run of encoded records (writeEncoded), after its first bytes. */
  private inRun = false;
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
    return this.blocks.bytes;
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
    this.blocks.put(b);
  }

  private take(): Uint8Array {
    return this.blocks.take();
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
    return this.blocks.full;
  }

  /** Hand the current block to the layers and the disk when it is big enough. */
  async flushIfFull(): Promise<void> {
    while (this.blocks.full) await this.channel.push(this.take());
    if (this.failure) throw this.failure;
  }

  async write(entries: readonly Entry[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.inRun) throw new Error('FileSink: write() inside a run of encoded records');
    for (const e of entries) this.add(e);
    await this.flushIfFull();
  }

  /** Where the writer stands (what a writer of the next part of this output continues from; see src/writers/common.ts WriterState). */
  state(): WriterState {
    return this.writer.state();
  }

  /**
   * Write records already encoded in the target format by a part's writer
   * (`createWriter(to, { partOfOutput: true })`): one or more calls with the
   * part's bytes in order, the last one with `run`, that writer's
   * encodedRun() (its counts and end state). Header, footer and the output
   * layers stay the sink's; the separator before the part's first record
   * (JSON) is put in here.
   */
  async writeEncoded(bytes: Uint8Array, run?: EncodedRun & { lastTimestamp?: string | undefined }): Promise<void> {
    if (this.failure) throw this.failure;
    if (bytes.length) {
      if (!this.inRun) this.put(this.writer.joinPrefix());
      this.inRun = true;
      this.put(bytes);
    }
    if (run) {
      this.inRun = false;
      this.writer.absorb(run);
      this._records += run.records;
      if (run.records > 0) this._lastTimestamp = run.lastTimestamp;
    }
    await this.flushIfFull();
  }

  async close(): Promise<SinkSummary> {
    if (this.closed) throw new AuditLogError('INVALID_OPTION', 'sink closed twice', { stage: 'write', file: this.path, recoverable: false });
    this.closed = true;
    if (this.failure) throw this.failure;
    if (this._gone) return this.summary();
    this.put(this.writer.footer());
    do await this.channel.push(this.take());
    while (!this.blocks.empty);
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
      files: this.path === '-' ? [] : [{ path: this.path, records: this._records, bytes: this.blocks.bytes, bytesOut: this._bytesOut }],
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
