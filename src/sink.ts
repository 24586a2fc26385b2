/**
 * Sinks: where output bytes go. A file is written under a temporary name in
 * the same directory, mode 0600 (audit logs are sensitive), and renamed into
 * place only when everything was written; on any error the temporary file is
 * removed, so no partial output is ever left behind.
 *
 *   await writeAtomic('out.json', chunks);      // chunks: AsyncIterable<Uint8Array>
 *   await writeStream(process.stdout, chunks);
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuditLogError } from './errors.js';

function ioError(e: unknown, file: string): AuditLogError {
  if (e instanceof AuditLogError) return e;
  const err = e as NodeJS.ErrnoException;
  return new AuditLogError('IO_ERROR', err.code ? `${err.code}: ${err.message}` : String(err?.message ?? err), { stage: 'write', file, recoverable: false }, { cause: e });
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

/**
 * Write all chunks to `path` atomically (temp file, fsync, rename).
 * @returns the number of bytes written
 */
export async function writeAtomic(path: string, chunks: AsyncIterable<Uint8Array>, mode = 0o600): Promise<number> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', mode);
  } catch (e) {
    throw ioError(e, path);
  }
  active.add(tmp);
  let bytes = 0;
  try {
    for await (const c of chunks) {
      let off = 0;
      while (off < c.length) {
        const { bytesWritten } = await fh.write(c, off, c.length - off);
        off += bytesWritten;
      }
      bytes += c.length;
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
    return bytes;
  } catch (e) {
    if (fh) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw ioError(e, path);
  } finally {
    active.delete(tmp);
  }
}

/** Resolves when the stream drains, closes or fails (whichever first), leaving no listener behind. */
export function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

/**
 * Write all chunks to a stream (stdout), respecting backpressure. A closed
 * pipe (EPIPE, as with `| head`) ends the writing quietly; any other error is
 * IO_ERROR. Returns the bytes written.
 */
export async function writeStream(out: NodeJS.WritableStream, chunks: AsyncIterable<Uint8Array>, name = '-'): Promise<number> {
  let bytes = 0;
  let failure: NodeJS.ErrnoException | undefined;
  const onError = (e: NodeJS.ErrnoException) => {
    failure ??= e;
  };
  out.on('error', onError);
  const gone = () => failure !== undefined || (out as { destroyed?: boolean }).destroyed === true;
  try {
    for await (const c of chunks) {
      if (gone()) break;
      bytes += c.length;
      if (!out.write(c) && !gone()) await drained(out);
    }
  } catch (e) {
    throw ioError(e, name);
  } finally {
    out.off('error', onError);
  }
  if (failure && failure.code !== 'EPIPE') throw ioError(failure, name);
  return bytes;
}
