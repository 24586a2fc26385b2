/**
 * The rotating sink: a set of file sinks in one directory, rotated on size
 * with the servers' names (spec mysql-enterprise-audit.md §2, percona-audit-log.md §4).
 *
 *   const sink = createRotatingSink({ dir: 'out', to: 'json', rotateOnSize: 64 << 20, naming: 'mysql', compress: true });
 *   for await (const batch of log.batches()) await sink.write(batch);
 *   const { files, pruned } = await sink.close();
 *
 * Entries go to the active file (`audit.log[.gz][.<pwd_id>.enc]`, written
 * under a temporary name and renamed into place when finished). When a record
 * takes the active file past `rotateOnSize` (rounded down to a multiple of
 * 4096; under 4096 means never), the file gets its footer, is renamed to its
 * rotated name (src/sinks/naming.ts) and the set is pruned; the next record
 * opens a new file with a header. So each file holds at most one record more
 * than the limit. The limit counts the log's own bytes (before gzip and AES),
 * so that is exact whatever the layers; on disk a compressed file is smaller.
 * (Percona's filter plugin measures the on-disk size; whether MySQL Enterprise
 * does is unconfirmed.)
 *
 * Every file is a complete document of the target format. Same-format records
 * are passed through as their original bytes (the file sink's writers do
 * that), so re-chunking an archive costs about a copy (or a gzip). XML records
 * that are converted get RECORD_IDs numbered from 1 in each file, as the server
 * numbers them per file; passed-through records keep the RECORD_ID they had.
 *
 * At close the last file is renamed too for the mysql and legacy names (the
 * server renames its file at shutdown); the numbered scheme leaves it under the
 * active name, as the Percona plugin does. An aborted sink removes the file it
 * was writing; the files already rotated stay.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry } from '../entry.js';
import { AuditLogError } from '../errors.js';
import type { OutputFormat } from '../writers/index.js';
import { addDropped, type EntrySink, type SinkFile, type SinkSummary, type WriteHooks } from './entry-sink.js';
import { FileSink } from './file.js';
import { activeName, eventTimeMs, type SetLayout } from './naming.js';
import { blockRound, placeRotated, policySet, prune, type RotationPolicy } from './rotation.js';

export interface RotatingSinkOptions extends RotationPolicy, WriteHooks {
  /** CSV: prefix cells that start with `=`, `+`, `-` or `@` with `'`. */
  csvSafe?: boolean;
  /** Directory of the set (created, mode 0700, when missing). */
  dir: string;
  /** The active file's name without layer suffixes. Default `audit.log`. */
  baseName?: string;
  to: OutputFormat;
  /** Rotate once a record takes a file past this many bytes of log (rounded down to 4096; under 4096: never). */
  rotateOnSize: number;
  /** Header source, as for the file sink (same-format conversion). */
  prologue?: Uint8Array;
  /** The clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

export class RotatingSink implements EntrySink {
  readonly set: SetLayout;
  private readonly opts: RotatingSinkOptions;
  private readonly limit: number;
  private readonly now: () => number;
  private current: FileSink | undefined;
  private readonly files: SinkFile[] = [];
  private readonly pruned: string[] = [];
  private written = 0;
  private passedThrough = 0;
  private bytesOut = 0;
  private readonly droppedFields: Record<string, number> = {};
  private checked = false;

  constructor(opts: RotatingSinkOptions) {
    this.opts = opts;
    this.set = policySet(opts.dir, opts.baseName, opts);
    this.limit = blockRound(opts.rotateOnSize);
    this.now = opts.now ?? Date.now;
  }

  private get activePath(): string {
    return join(this.set.dir, activeName(this.set));
  }

  private async open(): Promise<FileSink> {
    if (!this.checked) {
      await mkdir(this.set.dir, { recursive: true, mode: 0o700 }).catch((e: unknown) => {
        throw new AuditLogError('IO_ERROR', `cannot create the directory: ${(e as Error).message}`, { stage: 'write', file: this.set.dir, recoverable: false }, { cause: e });
      });
      // An active file left from before is not ours to replace.
      const st = await stat(this.activePath).catch(() => undefined);
      if (st)
        throw new AuditLogError('INVALID_OPTION', `${this.activePath} exists; rotate or move it first`, {
          stage: 'write',
          file: this.activePath,
          recoverable: false,
          suggestion: `auditlog rotate ${this.activePath}`,
        });
      this.checked = true;
    }
    return new FileSink(this.activePath, {
      to: this.opts.to,
      ...(this.opts.csvSafe ? { csvSafe: true } : {}),
      ...(this.opts.onRecordFailure ? { onRecordFailure: this.opts.onRecordFailure } : {}),
      compress: this.set.compress,
      ...(this.opts.encrypt ? { encrypt: this.opts.encrypt } : {}),
      ...(this.opts.prologue ? { prologue: this.opts.prologue } : {}),
    });
  }

  /** Finish the current file; rename it (unless it stays active) and prune. */
  private async finish(rotate: boolean): Promise<void> {
    const f = this.current!;
    this.current = undefined;
    const lastTimestamp = f.lastTimestamp;
    const s = await f.close();
    this.written += s.written;
    this.passedThrough += s.passedThrough;
    this.bytesOut += s.bytesOut;
    addDropped(this.droppedFields, s.droppedFields);
    const file = s.files[0]!;
    if (!rotate) {
      this.files.push(file);
      return;
    }
    const now = this.now();
    const lastEvent = this.opts.to === 'json' ? eventTimeMs(lastTimestamp) : undefined;
    const { name, removed } = await placeRotated(this.set, this.activePath, { time: now, ...(lastEvent !== undefined ? { lastEvent } : {}) });
    this.files.push({ ...file, path: join(this.set.dir, name) });
    this.pruned.push(...removed);
    this.pruned.push(...(await prune(this.set, { maxSize: this.opts.maxSize, pruneSeconds: this.opts.pruneSeconds, now })));
  }

  async write(entries: readonly Entry[]): Promise<void> {
    try {
      for (const e of entries) {
        this.current ??= await this.open();
        this.current.add(e);
        if (this.limit > 0 && this.current.bytes > this.limit) await this.finish(true);
        else if (this.current.full) await this.current.flushIfFull();
      }
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  async close(): Promise<SinkSummary> {
    try {
      // No record at all: still one valid, empty file.
      if (!this.current && this.files.length === 0) this.current = await this.open();
      if (this.current) await this.finish(this.set.naming !== 'numbered');
    } catch (e) {
      await this.abort();
      throw e;
    }
    return {
      to: this.opts.to,
      written: this.written,
      passedThrough: this.passedThrough,
      droppedFields: { ...this.droppedFields },
      bytesOut: this.bytesOut,
      files: this.files,
      pruned: this.pruned,
    };
  }

  async abort(): Promise<void> {
    const f = this.current;
    this.current = undefined;
    await f?.abort();
  }
}

/** A rotating sink. See RotatingSink. */
export function createRotatingSink(opts: RotatingSinkOptions): RotatingSink {
  return new RotatingSink(opts);
}
