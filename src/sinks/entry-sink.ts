/**
 * Entry sinks: the last stage of a pipeline. A command loops entries from its
 * input into a sink, then closes it and reports the sink's summary.
 *
 *   const sink = createFileSink('out.json', { to: 'json' });
 *   for await (const batch of log.batches()) await sink.write(batch);
 *   const summary = await sink.close();   // { written, passedThrough, droppedFields, bytesOut, files, pruned }
 *
 * Two sinks exist: one file or stream (src/sinks/file.ts) and a rotating file
 * set made of file sinks (src/sinks/rotating.ts). A sink that fails, or is
 * aborted, leaves no partial output file behind.
 */
import type { Entry } from '../entry.js';
import type { EncodedRun, OutputFormat, WriterState } from '../writers/index.js';

/** One output file a sink finished. */
export interface SinkFile {
  /** Path of the file (its final, rotated name for a rotating sink). */
  path: string;
  /** Records in it. */
  records: number;
  /** Bytes of the log in it (before compression and encryption). */
  bytes: number;
  /** Bytes on disk (after compression and encryption). */
  bytesOut: number;
}

/** What a sink wrote. */
export interface SinkSummary {
  to: OutputFormat;
  /** Records written (converted and passed through). */
  written: number;
  /** Records written as their original bytes (same-format pass-through). */
  passedThrough: number;
  /** Field path -> number of records where the target format could not hold it. */
  droppedFields: Record<string, number>;
  /** Bytes of output (after compression and encryption), all files together. */
  bytesOut: number;
  /** The files written, in the order they were finished (empty for a stream). */
  files: SinkFile[];
  /** Files removed by pruning, oldest first. */
  pruned: string[];
}

/** What a sink's caller decides about records: given to sinks by the conversion loop. */
export interface WriteHooks {
  /**
   * A record the writer could not handle (e.g. nested too deep): throw to stop
   * (the sink is then aborted), or return to skip the record and go on.
   */
  onRecordFailure?: (err: unknown, entry: Entry) => void;
}

/** Where entries go. `write` then `close` (or `abort`), each once the previous call settled. */
export interface EntrySink {
  /** Write entries in order. Rejects with the sink's I/O error (the sink is then aborted). */
  write(entries: readonly Entry[]): Promise<void>;
  /** Write the footer, finish every file and return what was written. */
  close(): Promise<SinkSummary>;
  /** True once the output's reader went away (a closed pipe): the caller may stop reading. */
  readonly gone?: boolean;
  /** Give up: remove the file being written (finished files of a rotating set stay). */
  abort(): Promise<void>;
}

/**
 * A sink that also takes records already encoded in its target format by a
 * part's writer (parallel conversion, src/parallel/convert.ts): see FileSink.writeEncoded.
 */
export interface EncodedSink extends EntrySink {
  /** Where the sink's writer stands (what the writer of the next part continues from). */
  state(): WriterState;
  /** A part's bytes, in order; the last call of a part carries its writer's encodedRun(). */
  writeEncoded(bytes: Uint8Array, run?: EncodedRun & { lastTimestamp?: string | undefined }): Promise<void>;
}

/** Whether a sink takes encoded parts. */
export function takesEncoded(s: EntrySink): s is EncodedSink {
  return typeof (s as Partial<EncodedSink>).writeEncoded === 'function';
}

/** Add the dropped-field counts of `from` into `into`. */
export function addDropped(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/**
 * A push-to-pull bridge with backpressure: a producer `push`es chunks (bytes by
 * default), and the consumer (an async-iterable sink primitive such as writeAtomic) pulls them.
 * `push` resolves once the chunk was taken, so at most one chunk waits.
 * `fail` makes the consumer's iteration throw (it then removes its temp file).
 */
export class Channel<T = Uint8Array> implements AsyncIterable<T> {
  private item: T | undefined;
  private ended = false;
  private error: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  /** Hand a chunk to the consumer; resolves when it was taken (or the channel failed). */
  async push(chunk: T): Promise<void> {
    while (this.item !== undefined && !this.error) await new Promise<void>((r) => (this.wakeProducer = r));
    if (this.error) return;
    this.item = chunk;
    this.wakeConsumer?.();
  }

  /** No more chunks. */
  end(): void {
    this.ended = true;
    this.wakeConsumer?.();
  }

  /** Make the consumer's iteration throw `e`. */
  fail(e: Error): void {
    this.error ??= e;
    this.wakeConsumer?.();
    this.wakeProducer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.item === undefined && !this.ended && !this.error) await new Promise<void>((r) => (this.wakeConsumer = r));
      if (this.error) throw this.error;
      if (this.item === undefined) return;
      const c = this.item;
      this.item = undefined;
      this.wakeProducer?.();
      yield c;
    }
  }
}
