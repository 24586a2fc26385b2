/**
 * Byte sinks: where output bytes go, and the rules that keep an output path
 * from destroying anything.
 *
 *   const sink = await openSink('out.json', { inputs: ['audit.log'] });  // or '-' / a stream
 *   try { await sink.write(bytes); await sink.commit(); } catch (e) { await sink.abort(); throw e; }
 *   await writeAll(await openSink('-'), chunks);                            // same, from an async iterable
 *
 * What a path gets, decided once when the sink opens (`resolveOutput`):
 *
 * | the path names | written | kind |
 * |---|---|---|
 * | `-` | stdout | `stream` |
 * | nothing yet, or a regular file | a temporary file in the same directory (mode 0600), fsync, renamed over it by `commit()`; `abort()` removes it | `atomic` |
 * | a symlink | followed; its final target gets the rules of this table (a regular or new target is written atomically, the link stays a link) | as the target |
 * | a character device, FIFO | opened and written in place, never replaced | `direct` |
 * | `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N` | written through descriptor N as it is (a pipe, socket, terminal or file), never replaced | `descriptor` |
 * | a Unix socket | connected to and written | `stream` |
 *
 * An output that is the same file as an input (same device and inode, or the
 * same resolved path) is refused (INVALID_OPTION) before anything is read or
 * written, and so is binary output to a terminal (`binary: true`).
 *
 * Write errors are IO_ERROR, except a closed pipe (EPIPE: the reader went
 * away, as with `| head`): the sink then ends quietly, `closed` turns true and
 * further writes are dropped.
 */
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, fstatSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { lstat, open, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { AuditLogError } from './errors.js';

function ioError(e: unknown, file: string): AuditLogError {
  if (e instanceof AuditLogError) return e;
  const err = e as NodeJS.ErrnoException;
  const text = String(err?.message ?? err);
  const detail = err.code && !text.startsWith(err.code) ? `${err.code}: ${text}` : text;
  return new AuditLogError('IO_ERROR', detail, { stage: 'write', file, recoverable: false }, { cause: e });
}

function refuse(detail: string, file: string, suggestion: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', detail, { stage: 'write', file, recoverable: false, suggestion });
}

/** Temporary files being written now, so that an interrupted program can remove them. */
const active = new Set<string>();

/**
 * Remove the temporary files of writes still in progress (synchronously: for
 * a SIGINT/SIGTERM handler, right before the process exits).
 */
export function removeTempFiles(): void {
  for (const f of active) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
  active.clear();
}

/** A fresh temporary file name next to `path` (the same directory, so renaming it over `path` is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Count `tmp` among the temporary files that removeTempFiles() deletes when
 * the program is interrupted. Returns the function that stops counting it.
 */
export function trackTemp(tmp: string): () => void {
  active.add(tmp);
  return () => active.delete(tmp);
}

/** Write all chunks to an open file. @returns the number of bytes written */
export async function writeChunks(fh: FileHandle, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const c of chunks) {
    let off = 0;
    while (off < c.length) {
      const { bytesWritten } = await fh.write(c, off, c.length - off);
      off += bytesWritten;
    }
    bytes += c.length;
  }
  return bytes;
}

/** fsync a directory, so that a rename inside it survives a crash. Best effort: some file systems refuse. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close();
}

/** How a sink writes its path; see the table at the top of this file. */
export type OutputKind = 'stream' | 'atomic' | 'direct' | 'socket' | 'descriptor';

export interface OutputTarget {
  /** The path as given. */
  path: string;
  kind: OutputKind;
  /** What is opened: for `atomic`, the file renamed over (a symlink's final target); otherwise `path`. */
  file: string;
  /** For `descriptor`: the open descriptor written to. */
  fd?: number;
}

/** `/proc/self/fd/N`, `/dev/fd/N`: a descriptor of this process (a socket there cannot be reopened by name). */
const OWN_FD = /^\/(?:proc\/self|dev)\/fd\/(\d+)$/;

/** Links are followed at most this many hops (as the kernel's ELOOP limit). */
const MAX_LINKS = 40;

function kindOf(st: Stats): OutputKind {
  if (st.isFile()) return 'atomic';
  if (st.isSocket()) return 'socket';
  if (st.isDirectory()) return 'atomic'; // rename fails with EISDIR: a clear IO_ERROR, nothing replaced
  return 'direct';
}

/**
 * Decide how `path` is written: stdout (`-`), atomically (a regular file, a
 * new path, or a symlink to one: its target is replaced, the link kept), or
 * in place (devices, FIFOs, `/dev/stdout`; sockets are connected to).
 */
export async function resolveOutput(path: string): Promise<OutputTarget> {
  if (path === '-') return { path, kind: 'stream', file: '-' };
  let cur = resolve(path);
  for (let hop = 0; hop <= MAX_LINKS; hop++) {
    const own = OWN_FD.exec(cur);
    if (own) return { path, kind: 'descriptor', file: path, fd: Number(own[1]) };
    let st: Stats;
    try {
      st = await lstat(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'atomic', file: cur };
      throw ioError(e, path);
    }
    if (!st.isSymbolicLink()) return { path, kind: kindOf(st), file: st.isFile() || st.isDirectory() ? cur : path };
    const to = await readlink(cur).catch((e: unknown) => {
      throw ioError(e, path);
    });
    // /dev/stdout -> /proc/self/fd/1 -> whatever the shell opened: written through the descriptor, never replaced.
    cur = isAbsolute(to) ? to : join(dirname(cur), to);
    if (cur.startsWith('/proc/') && !OWN_FD.test(cur)) return { path, kind: 'direct', file: path };
  }
  throw ioError(Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' }), path);
}

/** Device and inode of a path (following links), or undefined when it does not exist. */
async function identity(p: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const st = await stat(p);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** The absolute path with every link resolved; for a path that does not exist yet, its directory resolved. */
async function resolvedPath(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    try {
      return join(await realpath(dirname(resolve(p))), basename(p));
    } catch {
      return resolve(p);
    }
  }
}

/**
 * Refuse (INVALID_OPTION) an output that is one of the inputs: the same
 * device and inode, or the same resolved path. `-` as output means stdout,
 * compared by its descriptor (`>> audit.log` on the input itself). Inputs
 * that are not paths (`-`, bytes, streams) are skipped.
 */
export async function assertNotInput(output: string, inputs: readonly unknown[]): Promise<void> {
  const paths = inputs.filter((i): i is string => typeof i === 'string' && i !== '-');
  if (!paths.length) return;
  let outId: { dev: number; ino: number } | undefined;
  let outPath: string | undefined;
  if (output === '-') {
    try {
      const st = fstatSync(1);
      if (st.isFile()) outId = { dev: st.dev, ino: st.ino };
    } catch {
      // no stdout descriptor: nothing to compare
    }
  } else {
    outId = await identity(output);
    outPath = await resolvedPath(output);
  }
  for (const input of paths) {
    const inId = outId ? await identity(input) : undefined;
    const same = (outId && inId && outId.dev === inId.dev && outId.ino === inId.ino) || (outPath !== undefined && outPath === (await resolvedPath(input)));
    if (same)
      throw refuse(`the output ${output === '-' ? '(stdout)' : output} is the input ${input}; it would be destroyed`, output, 'write to another path, then rename it yourself');
  }
}

/** Bytes going to one output. Write, then either `commit()` (done) or `abort()` (failed: nothing left behind). */
export interface ByteSink {
  readonly target: OutputTarget;
  /** Bytes accepted so far. */
  readonly bytes: number;
  /** True once the reader went away (EPIPE): further writes are dropped. */
  readonly closed: boolean;
  /** Write one chunk, waiting for it (backpressure). The chunk may be reused once this resolves. */
  write(chunk: Uint8Array): Promise<void>;
  /** Finish: flush, fsync and rename into place (atomic), or close. @returns the bytes written */
  commit(): Promise<number>;
  /** Give up: remove the temporary file (atomic) or close; never throws. */
  abort(): Promise<void>;
}

export interface SinkOptions {
  /** Mode of a new file. Defaults to 0600 (audit logs are sensitive). */
  mode?: number;
  /** The bytes are binary (gzip, AES): a terminal is refused (INVALID_OPTION). */
  binary?: boolean;
  /** Inputs of the same run: an output that is one of them is refused (INVALID_OPTION). */
  inputs?: readonly unknown[];
}

function binaryRefused(file: string): AuditLogError {
  return refuse('refusing to write compressed or encrypted output to a terminal', file, 'give -o FILE, or pipe the output into another program');
}

/** Resolves when the stream drains, closes or fails (whichever first), leaving no listener behind. */
export function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((done) => {
    const end = () => {
      out.off('drain', end);
      out.off('close', end);
      out.off('error', end);
      done();
    };
    out.on('drain', end);
    out.on('close', end);
    out.on('error', end);
  });
}

class StreamSink implements ByteSink {
  bytes = 0;
  private failure: NodeJS.ErrnoException | undefined;
  private readonly onError = (e: NodeJS.ErrnoException) => {
    this.failure ??= e;
  };

  constructor(
    readonly target: OutputTarget,
    private readonly out: NodeJS.WritableStream,
    private readonly ownsStream: boolean,
  ) {
    out.on('error', this.onError);
  }

  get closed(): boolean {
    return this.failure?.code === 'EPIPE' || (this.failure === undefined && (this.out as { destroyed?: boolean }).destroyed === true);
  }

  private check(): void {
    // A failed write may not have emitted its 'error' yet: the stream knows already.
    this.failure ??= (this.out as { errored?: NodeJS.ErrnoException | null }).errored ?? undefined;
    if (this.failure && this.failure.code !== 'EPIPE') throw ioError(this.failure, this.target.path);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.check();
    if (this.closed || chunk.length === 0) return;
    let more: boolean;
    try {
      // A copy: write() may hold the chunk after it returns, and the caller may reuse it.
      more = this.out.write(Buffer.from(chunk));
    } catch (e) {
      // Synchronous streams (stdout on a file) throw from write().
      this.onError(e as NodeJS.ErrnoException);
      more = true;
    }
    this.bytes += chunk.length;
    if (!more && !this.failure && !this.closed) await drained(this.out);
    this.check();
  }

  async commit(): Promise<number> {
    this.check();
    if (!this.closed) {
      // Everything written so far is handed to the system (for stdout: Node waits again at exit).
      await new Promise<void>((done) => {
        try {
          if (this.ownsStream) this.out.end(() => done());
          else if (!this.out.write('', () => done())) drained(this.out).then(done, done);
        } catch (e) {
          this.onError(e as NodeJS.ErrnoException);
          done();
        }
      });
    }
    this.out.off('error', this.onError);
    this.check();
    return this.bytes;
  }

  async abort(): Promise<void> {
    this.out.off('error', this.onError);
    if (this.ownsStream) (this.out as unknown as { destroy(): void }).destroy();
  }
}

class FileSink implements ByteSink {
  bytes = 0;
  closed = false;

  constructor(
    readonly target: OutputTarget,
    private fh: FileHandle | undefined,
    /** The temporary file renamed over target.file at commit (atomic), or undefined (direct). */
    private readonly tmp: string | undefined,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) return;
    const fh = this.fh;
    if (!fh) throw ioError(new Error('write after close'), this.target.path);
    let off = 0;
    try {
      // The temporary file is a regular file this sink created: a write lands in the page cache, so it is
      // made right here. A trip through libuv's pool waits for a free core, and while workers keep both
      // cores busy (convert --jobs) that wait held back every block (14% of a 200 MiB pass-through).
      // A device or FIFO may block for as long as its reader takes: those are written off this thread.
      while (off < chunk.length) off += this.tmp ? writeSync(fh.fd, chunk, off, chunk.length - off) : (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    } catch (e) {
      // A FIFO whose reader went away: as a closed stdout, the writing ends quietly.
      if (!this.tmp && (e as NodeJS.ErrnoException).code === 'EPIPE') {
        this.closed = true;
        return;
      }
      throw ioError(e, this.target.path);
    }
    this.bytes += chunk.length;
  }

  async commit(): Promise<number> {
    const fh = this.fh;
    this.fh = undefined;
    try {
      if (fh && this.tmp) await fh.sync();
      await fh?.close();
      if (this.tmp) await rename(this.tmp, this.target.file);
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await this.removeTmp();
      throw ioError(e, this.target.path);
    }
    if (this.tmp) active.delete(this.tmp);
    return this.bytes;
  }

  async abort(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
    await this.removeTmp();
  }

  private async removeTmp(): Promise<void> {
    if (!this.tmp) return;
    await unlink(this.tmp).catch(() => undefined);
    active.delete(this.tmp);
  }
}

async function openAtomic(target: OutputTarget, mode: number): Promise<ByteSink> {
  const tmp = tempPathFor(target.file);
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'wx', mode);
  } catch (e) {
    throw ioError(e, target.path);
  }
  active.add(tmp);
  return new FileSink(target, fh, tmp);
}

async function openDirect(target: OutputTarget, binary: boolean): Promise<ByteSink> {
  let fh: FileHandle;
  try {
    // No O_CREAT, no O_TRUNC: it exists and is written as it is. Blocks until a FIFO has a reader.
    fh = await open(target.file, constants.O_WRONLY | constants.O_NOCTTY);
  } catch (e) {
    throw ioError(e, target.path);
  }
  if (binary && isatty(fh.fd)) {
    await fh.close();
    throw binaryRefused(target.path);
  }
  return new FileSink(target, fh, undefined);
}

async function openSocket(target: OutputTarget): Promise<ByteSink> {
  const sock = connect({ path: target.file });
  await new Promise<void>((done, fail) => {
    sock.once('connect', done);
    sock.once('error', fail);
  }).catch((e: unknown) => {
    throw ioError(e, target.path);
  });
  return new StreamSink(target, sock, true);
}

/**
 * Open an output: a path (`-` is stdout; see the table at the top of this
 * file) or a writable stream.
 * @throws AuditLogError INVALID_OPTION when the output is an input, or binary output would go to a terminal; IO_ERROR when it cannot be opened
 */
export async function openSink(dest: string | NodeJS.WritableStream, opts: SinkOptions = {}): Promise<ByteSink> {
  if (opts.inputs) await assertNotInput(typeof dest === 'string' ? dest : dest === process.stdout ? '-' : '', opts.inputs);
  if (typeof dest !== 'string' || dest === '-') {
    const stream = typeof dest === 'string' ? process.stdout : dest;
    if (opts.binary && (stream as { isTTY?: boolean }).isTTY) throw binaryRefused('-');
    return new StreamSink({ path: '-', kind: 'stream', file: '-' }, stream, false);
  }
  const target = await resolveOutput(dest);
  if (target.kind === 'descriptor') {
    const fd = target.fd!;
    const stream = fd === 1 ? process.stdout : fd === 2 ? process.stderr : createWriteStream('', { fd, autoClose: false });
    if (opts.binary && isatty(fd)) throw binaryRefused(target.path);
    return new StreamSink(target, stream, false);
  }
  switch (target.kind) {
    case 'atomic':
      return openAtomic(target, opts.mode ?? 0o600);
    case 'socket':
      return openSocket(target);
    default:
      return openDirect(target, opts.binary ?? false);
  }
}

/**
 * Write every chunk into a sink and commit it; on any error, abort it (no
 * partial file is left) and rethrow. Stops reading `chunks` once the sink is
 * closed (EPIPE).
 * @returns the bytes written
 */
export async function writeAll(sink: ByteSink, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  try {
    for await (const c of chunks) {
      await sink.write(c);
      if (sink.closed) break;
    }
    return await sink.commit();
  } catch (e) {
    // Errors of the sink are IO_ERROR already; anything else (from producing the chunks) passes as it is.
    await sink.abort();
    throw e;
  }
}

/**
 * Write all chunks to `path` (see openSink: atomically for a regular or new
 * file, in place for a device or FIFO).
 * @returns the number of bytes written
 */
export async function writeAtomic(path: string, chunks: AsyncIterable<Uint8Array>, mode = 0o600): Promise<number> {
  return writeAll(await openSink(path, { mode }), chunks);
}

/**
 * Write all chunks to a stream (stdout), respecting backpressure. A closed
 * pipe (EPIPE, as with `| head`) ends the writing quietly; any other error is
 * IO_ERROR. Returns the bytes written.
 */
export async function writeStream(out: NodeJS.WritableStream, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  return writeAll(await openSink(out), chunks);
}
