/**
 * gzip layer (RFC 1952) on node:zlib. Spec section 4.
 *
 *   for await (const chunk of gunzip(bytes, { file, onNotice })) ...
 *   for await (const chunk of gzip(plain)) ...           // what `gunzip -c` reads
 *
 * gunzip reads every member of a multi-member file, parsing the gzip member
 * headers and trailers itself and inflating each member's raw deflate data
 * with a streaming inflater, so that it knows exactly where each member ends,
 * checks CRC-32 and length, and loses nothing at a member boundary.
 *
 * Problems after output do not throw away what was inflated: a truncated member
 * yields everything it can inflate and then a TRUNCATED_INPUT notice (offset =
 * compressed bytes consumed); corrupt data or garbage after good output is a
 * DECOMPRESS_FAILED notice, and reading stops there. Corrupt data before any
 * output throws DECOMPRESS_FAILED.
 */
import zlib from 'node:zlib';
import { AuditLogError } from '../errors.js';
import { asBuffer } from '../bytes.js';

export const GZIP_MAGIC: Buffer = Buffer.from([0x1f, 0x8b]);

const OUT_CHUNK = 64 * 1024;
/**
 * Inflate output in 256 KiB pieces, and let zlib run up to 2 MiB ahead of the
 * reader: inflating then goes on in the thread pool while the main thread
 * parses, instead of waiting for each 64 KiB to be read (.gz reading cost
 * +30% over plain with the defaults).
 */
const INFLATE_CHUNK = 256 * 1024;
const INFLATE_AHEAD = 2 * 1024 * 1024;
const DEFAULT_BATCH = 1 << 20;
/** A member header longer than this (FEXTRA, FNAME, FCOMMENT) is taken as corrupt. */
const MAX_HEADER = 1 << 20;
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

export interface GunzipOptions {
  /** File name for errors and notices. Defaults to `-`. */
  file?: string;
  /**
   * Told about problems after which the output so far stands: TRUNCATED_INPUT
   * (offset = compressed bytes consumed) and DECOMPRESS_FAILED (corrupt data,
   * a bad CRC, or garbage after a member; offset = where in the compressed input).
   */
  onNotice?: (err: AuditLogError) => void;
}

export interface GzipOptions {
  /** zlib level 0..9; default 6 (Z_DEFAULT_COMPRESSION, as the servers use). */
  level?: number;
  /** Plaintext bytes handed to zlib at a time. Default 1 MiB. */
  batchSize?: number;
}

const crc32: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : undefined;

/**
 * Drives a zlib Transform one input chunk at a time from an async generator,
 * with backpressure both ways: `write()` yields the output the chunk produces
 * and returns once zlib has consumed it (or failed); `end()` finishes.
 */
class ZlibDriver {
  error: Error | null = null;
  ended = false;
  private signaled = false;
  private waiter: (() => void) | null = null;
  private readonly wake = (): void => {
    this.signaled = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  };

  constructor(readonly z: zlib.Gzip | zlib.InflateRaw) {
    z.on('readable', this.wake);
    z.on('end', () => {
      this.ended = true;
      this.wake();
    });
    z.on('error', (e: Error) => {
      this.error = e;
      this.wake();
    });
  }

  private async wait(): Promise<void> {
    if (!this.signaled) await new Promise<void>((r) => (this.waiter = r));
    this.signaled = false;
  }

  private *drain(): Generator<Buffer> {
    let c: Buffer | null;
    while ((c = this.z.read() as Buffer | null) !== null) yield c;
  }

  /** Bytes zlib has consumed. */
  get consumed(): number {
    return this.z.bytesWritten;
  }

  async *write(chunk: Buffer): AsyncGenerator<Buffer, void, undefined> {
    if (this.error || this.ended) return;
    let done = false;
    this.z.write(chunk, () => {
      done = true;
      this.wake();
    });
    for (;;) {
      yield* this.drain();
      if (done || this.error) return;
      await this.wait();
    }
  }

  async *end(): AsyncGenerator<Buffer, void, undefined> {
    if (!this.error && !this.ended) this.z.end();
    for (;;) {
      yield* this.drain();
      if (this.ended || this.error) return;
      await this.wait();
    }
  }

  destroy(): void {
    this.z.destroy();
  }
}

/**
 * Parses a gzip member header at the start of `b`. Returns its length, 0 when
 * more bytes are needed, or an error message.
 */
export function parseGzipHeader(b: Buffer): number | string {
  if (b.length >= 1 && b[0] !== 0x1f) return 'not gzip data (bad magic)';
  if (b.length >= 2 && b[1] !== 0x8b) return 'not gzip data (bad magic)';
  if (b.length >= 3 && b[2] !== 8) return `unknown gzip compression method ${b[2]}`;
  if (b.length >= 4 && (b[3]! & 0xe0) !== 0) return 'reserved gzip header flags set';
  if (b.length < 10) return 0;
  const flg = b[3]!;
  let p = 10;
  if (flg & FEXTRA) {
    if (b.length < p + 2) return 0;
    p += 2 + b.readUInt16LE(p);
    if (b.length < p) return 0;
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (flg & f) {
      const z = b.indexOf(0, p);
      if (z < 0) return 0;
      p = z + 1;
    }
  }
  if (flg & FHCRC) {
    if (b.length < p + 2) return 0;
    if (crc32 && (crc32(b.subarray(0, p)) & 0xffff) !== b.readUInt16LE(p)) return 'gzip header CRC mismatch';
    p += 2;
  }
  return p;
}

/**
 * Inflates a gzip stream (all members). Output comes in chunks of up to 64 KiB;
 * memory stays at one input chunk plus zlib's window, whatever the file size.
 */
export async function* gunzip(src: AsyncIterable<Uint8Array>, opts: GunzipOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const file = opts.file ?? '-';
  let produced = 0; // total output bytes
  let total = 0; // compressed bytes read from src
  let members = 0; // members whose header was read

  type State = 'header' | 'body' | 'trailer' | 'between';
  let state: State = 'header';
  let hdr: Buffer = Buffer.alloc(0); // header bytes gathered so far
  let memberStart = 0; // offset of the current member
  let bodyStart = 0; // offset of its deflate data
  let driver: ZlibDriver | null = null;
  let fed = 0; // bytes written to the current inflater
  let crc = 0;
  let size = 0;
  const trailer = Buffer.alloc(8);
  let trailerFill = 0;
  let trailerStart = 0;
  let zeros = false; // inside trailing zero padding
  let stop = false;

  const mk = (code: 'TRUNCATED_INPUT' | 'DECOMPRESS_FAILED', detail: string, offset: number): AuditLogError =>
    new AuditLogError(code, detail, {
      stage: 'decompress',
      file,
      offset,
      end: total,
      recoverable: code === 'TRUNCATED_INPUT' || produced > 0,
      suggestion:
        code === 'TRUNCATED_INPUT'
          ? 'the compressed file was not closed cleanly; what it holds up to this point was recovered'
          : undefined,
    });
  /** Corrupt input: a notice when there is output to keep (reading stops), thrown otherwise. */
  const corrupt = (detail: string, offset: number): void => {
    const e = mk('DECOMPRESS_FAILED', detail, offset);
    if (produced === 0) throw e;
    opts.onNotice?.(e);
    stop = true;
  };
  const truncated = (detail: string): void => {
    opts.onNotice?.(mk('TRUNCATED_INPUT', detail, total));
  };

  try {
    for await (const chunk0 of src) {
      const chunk = asBuffer(chunk0);
      const base = total;
      total += chunk.length;
      let pos = 0;
      while (pos < chunk.length && !stop) {
        switch (state) {
          case 'between': {
            // After a member: another member, trailing zeros (ignored, as gzip does), or garbage.
            if (!zeros && chunk[pos] === 0x1f) {
              state = 'header';
              break;
            }
            let z = pos;
            while (z < chunk.length && chunk[z] === 0) z++;
            if (z > pos) zeros = true;
            if (z < chunk.length) {
              corrupt(`unexpected data after gzip member ${members}: not a gzip header; ignored from here`, base + z);
              break;
            }
            pos = z;
            break;
          }
          case 'header': {
            if (hdr.length === 0) memberStart = base + pos;
            const before = hdr.length;
            hdr = before === 0 ? chunk.subarray(pos) : Buffer.concat([hdr, chunk.subarray(pos)]);
            const r = parseGzipHeader(hdr);
            if (typeof r === 'string') {
              corrupt(members === 0 ? r : `${r} (member ${members + 1})`, memberStart);
              break;
            }
            if (r === 0) {
              if (hdr.length > MAX_HEADER) {
                corrupt('gzip member header too long', memberStart);
                break;
              }
              if (before === 0) hdr = Buffer.from(hdr); // a copy, not a view of the caller's chunk
              pos = chunk.length;
              break;
            }
            pos += r - before;
            hdr = Buffer.alloc(0);
            members++;
            bodyStart = base + pos;
            driver = new ZlibDriver(zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK, readableHighWaterMark: INFLATE_AHEAD } as zlib.ZlibOptions));
            fed = 0;
            crc = 0;
            size = 0;
            state = 'body';
            break;
          }
          case 'body': {
            const d = driver!;
            const slice = chunk.subarray(pos);
            const consumedBefore = d.consumed;
            for await (const out of d.write(slice)) {
              if (crc32) crc = crc32(out, crc);
              size += out.length;
              produced += out.length;
              yield out;
            }
            if (d.error) {
              corrupt(`corrupt deflate data in gzip member ${members}: ${d.error.message}`, bodyStart + d.consumed);
              break;
            }
            fed += slice.length;
            if (d.consumed < fed) {
              // The deflate data ended inside this slice: the trailer follows.
              pos += d.consumed - consumedBefore;
              d.destroy();
              driver = null;
              state = 'trailer';
              trailerFill = 0;
              trailerStart = base + pos;
            } else {
              pos = chunk.length;
            }
            break;
          }
          case 'trailer': {
            const n = Math.min(8 - trailerFill, chunk.length - pos);
            chunk.copy(trailer, trailerFill, pos, pos + n);
            trailerFill += n;
            pos += n;
            if (trailerFill === 8) {
              const badCrc = crc32 !== undefined && trailer.readUInt32LE(0) !== crc >>> 0;
              const badSize = trailer.readUInt32LE(4) !== size % 0x100000000;
              state = 'between';
              zeros = false;
              if (badCrc || badSize) {
                // The data is already out; say so, and go on with the next member.
                const e = mk('DECOMPRESS_FAILED', `gzip member ${members} fails its ${badCrc ? 'CRC-32' : 'length'} check: its data may be corrupt`, trailerStart);
                if (produced === 0) throw e;
                opts.onNotice?.(e);
              }
            }
            break;
          }
        }
      }
      if (stop) break;
    }
    if (!stop) {
      if (state === 'body') {
        const d = driver!;
        for await (const out of d.end()) {
          size += out.length;
          produced += out.length;
          yield out;
        }
        truncated(
          d.error
            ? `gzip member ${members} is cut short (${d.error.message}): what it holds up to here was inflated`
            : `gzip member ${members} ends without its 8-byte trailer`,
        );
      } else if (state === 'header') {
        truncated(total === 0 ? 'no gzip data' : `the input ends inside the header of gzip member ${members + 1}`);
      } else if (state === 'trailer') {
        truncated(`the input ends inside the 8-byte trailer of gzip member ${members}`);
      }
    }
  } finally {
    (driver as ZlibDriver | null)?.destroy();
  }
}

/**
 * Compresses to a single gzip member (zlib, header `1f 8b 08 00 00 00 00 00 00 03`
 * as the servers write it) that `gunzip -c` reads back.
 */
export async function* gzip(src: AsyncIterable<Uint8Array>, opts: GzipOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const d = new ZlibDriver(zlib.createGzip({ level: opts.level ?? zlib.constants.Z_DEFAULT_COMPRESSION, chunkSize: OUT_CHUNK }));
  const fail = (e: Error): AuditLogError =>
    new AuditLogError('IO_ERROR', `gzip compression failed: ${e.message}`, { stage: 'write', recoverable: false }, { cause: e });
  try {
    let buf: Buffer | undefined;
    let fill = 0;
    for await (const chunk0 of src) {
      const chunk = asBuffer(chunk0);
      if (fill === 0 && chunk.length >= batchSize) {
        yield* d.write(chunk);
        if (d.error) throw fail(d.error);
        continue;
      }
      let pos = 0;
      while (pos < chunk.length) {
        buf ??= Buffer.allocUnsafe(batchSize);
        const n = Math.min(batchSize - fill, chunk.length - pos);
        chunk.copy(buf, fill, pos, pos + n);
        fill += n;
        pos += n;
        if (fill === batchSize) {
          // write() returns once zlib has consumed the buffer, so it can be refilled.
          yield* d.write(buf);
          if (d.error) throw fail(d.error);
          fill = 0;
        }
      }
    }
    if (fill > 0) yield* d.write(buf!.subarray(0, fill));
    yield* d.end();
    if (d.error) throw fail(d.error);
  } finally {
    d.destroy();
  }
}
