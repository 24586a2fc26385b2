/**
 * The input edge: where the decoded bytes of one input come from. A path,
 * stdin, bytes or a stream; through its layers (AES, gzip) found by magic
 * bytes. For a plain or AES-only file the decoded stream can be addressed:
 * `slice(start, end)` reads just those decoded bytes (an AES-CBC block k is
 * decrypted with ciphertext block k-1 as its IV), so a reader can start in the
 * middle of a large file without reading what comes before.
 *
 *   const input = await openInput('audit.log', { password });
 *   for await (const chunk of input.slice(1 << 30, input.size!)) ...   // the last bytes only
 *   for await (const chunk of input.stream()) ...                      // everything, in order
 *
 * Other inputs (gzip, stdin, streams) slice too, by reading and dropping the
 * bytes before `start`; `addressable` says which kind an input is.
 */
import { createDecipheriv } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { asBuffer } from './bytes.js';
import { AuditLogError } from './errors.js';
import { AES_HEADER_LENGTH, deriveKeyIv, looksLikePlaintext, padLength, SALTED_MAGIC } from './layers/aes.js';
import { GZIP_MAGIC } from './layers/gzip.js';
import { openLayers, type LayerId, type PasswordSource } from './layers/index.js';
import { missingPassword } from './layers/passwords.js';

/** Where bytes come from: a path (`-` is stdin), bytes, or a stream of chunks. */
export type Source = string | Uint8Array | AsyncIterable<Uint8Array>;

export const DEFAULT_BLOCK_SIZE = 1 << 20;
const BLOCK = 16;

/** What the input edge learned about its layers before the first byte. */
export interface LayerParams {
  /** Layers found, outermost first. */
  layers: LayerId[];
  /** AES parameters, when encrypted: the key derivation, its iteration count, the salt (hex). */
  aes?: { kdf: 'evp-bytes-to-key-sha256' | 'pbkdf2-sha256'; iterations?: number; salt: string };
}

export interface InputOptions {
  /** File name for positions and errors; defaults to the path, or `-`. */
  file?: string;
  /** Password of an encrypted input (`Salted__`). Without one, an encrypted input is MISSING_PASSWORD. */
  password?: PasswordSource;
  /** Read the bytes as they are, without looking for gzip or AES layers. */
  noLayers?: boolean;
  /** Read block size in bytes. Defaults to 1 MiB. */
  blockSize?: number;
  /** Told about problems after which reading goes on (a layer cut short). */
  onNotice?: (err: AuditLogError) => void;
}

/** One opened input. */
export interface Input {
  readonly file: string;
  /** Layers and their parameters. For streamed layered inputs, known once `stream()` or `slice()` started. */
  readonly params: LayerParams;
  /** Whether `slice()` reads only the bytes asked for (a plain or AES-only file). */
  readonly addressable: boolean;
  /** Length of the decoded stream, when addressable. */
  readonly size: number | undefined;
  /** Bytes read from the underlying file or stream so far (encrypted or compressed bytes for layered inputs). */
  readonly bytesIn: number;
  /** The whole decoded stream, in order. A chunk is only valid until the next one is asked for. */
  stream(): AsyncIterable<Uint8Array>;
  /** Decoded bytes [start, end) (end defaults to the end of the stream). */
  slice(start: number, end?: number): AsyncIterable<Uint8Array>;
}

/** A Node I/O error as IO_ERROR, keeping its code. */
export function ioError(e: unknown, file: string): AuditLogError {
  if (e instanceof AuditLogError) return e;
  const err = e as NodeJS.ErrnoException;
  return new AuditLogError('IO_ERROR', err.code ? `${err.code}: ${err.message}` : String(err.message ?? err), { stage: 'read', file, recoverable: false }, { cause: e });
}

/**
 * A file's bytes from `start` to `end` in blocks, read into two buffers that
 * take turns: the next block is read while the current one is being used, and
 * no new memory is allocated per block (1 MiB blocks allocated afresh were
 * garbage the GC reclaimed late: about 60 MiB of resident memory). A block is
 * valid until the next one is asked for.
 */
async function* readFileBlocks(path: string, blockSize: number, start = 0, end = Infinity, count?: (n: number) => void): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  const bufs = [spareBuffer(blockSize), spareBuffer(blockSize)];
  let pending: Promise<{ bytesRead: number }> | undefined;
  let pos = start;
  const next = (buf: Buffer) => {
    const n = Math.min(blockSize, end - pos);
    const p = n <= 0 ? Promise.resolve({ bytesRead: 0 }) : fh.read(buf, 0, n, pos);
    return p;
  };
  try {
    let k = 0;
    pending = next(bufs[0]!);
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      pos += bytesRead;
      count?.(bytesRead);
      const cur = bufs[k]!;
      k ^= 1;
      pending = next(bufs[k]!);
      yield cur.subarray(0, bytesRead);
    }
  } finally {
    await pending?.catch(() => undefined);
    await fh.close();
    // The last block is no longer valid either: its buffer serves the next file read.
    for (const b of bufs) if (SPARE.length < MAX_SPARE) SPARE.push(b);
  }
}

/**
 * Read buffers of finished file reads, for the next one. A worker thread reads
 * one part of a file after another (src/parallel/plan.ts), and two fresh 1 MiB
 * buffers per part were garbage only a full GC gives back: two workers' conversion of
 * 1.2 GiB grew to over 300 MiB resident while their heaps held under 20 MiB (2026-12-01).
 */
const SPARE: Buffer[] = [];
const MAX_SPARE = 4;

function spareBuffer(size: number): Buffer {
  const i = SPARE.findIndex((b) => b.length === size);
  return i >= 0 ? SPARE.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(size);
}

/**
 * The raw bytes of a source (no layers), as an async iterable of chunks. I/O
 * errors become IO_ERROR. For a path, a chunk is only valid until the next one is asked for.
 */
export async function* readBytes(src: Source, file: string, blockSize = DEFAULT_BLOCK_SIZE, count?: (n: number) => void): AsyncIterable<Uint8Array> {
  if (src instanceof Uint8Array) {
    count?.(src.length);
    yield src;
    return;
  }
  const stream: AsyncIterable<Uint8Array> = typeof src === 'string' ? (src === '-' ? process.stdin : readFileBlocks(src, blockSize, 0, Infinity, count)) : src;
  try {
    for await (const c of stream) {
      if (typeof src !== 'string' || src === '-') count?.(c.length);
      yield c;
    }
  } catch (e) {
    throw ioError(e, file);
  }
}

/** Drop the first `start` bytes of a stream and stop after `end`. */
async function* cut(src: AsyncIterable<Uint8Array>, start: number, end: number): AsyncGenerator<Uint8Array> {
  let pos = 0;
  for await (const c of src) {
    const s = Math.max(0, start - pos);
    const e = Math.min(c.length, end - pos);
    pos += c.length;
    if (e > s) yield c.subarray(s, e);
    if (pos >= end) return;
  }
}

/**
 * Open an input. A path is looked at (its first 16 bytes) to tell whether it
 * can be addressed; an encrypted one has its key derived here, so a wrong
 * password fails before anything is read.
 */
export async function openInput(src: Source, opts: InputOptions = {}): Promise<Input> {
  const file = opts.file ?? (typeof src === 'string' ? src : '-');
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (typeof src === 'string' && src !== '-') {
    let fh: FileHandle | undefined;
    try {
      fh = await open(src, 'r');
      const st = await fh.stat();
      // A pipe, FIFO or device (`<(zcat x.gz)`, `/dev/stdin`): bytes read from it are gone,
      // and it has no size: read once, from this handle, as a stream.
      if (!st.isFile()) {
        const handle = fh;
        fh = undefined;
        return streamed(handleBlocks(handle, blockSize), file, blockSize, opts);
      }
      const size = st.size;
      const head = Buffer.alloc(Math.min(size, AES_HEADER_LENGTH + 2 * BLOCK));
      if (head.length) await fh.read(head, 0, head.length, 0);
      await fh.close();
      fh = undefined;
      // A file cut inside a magic counts as that layer, cut short (the layers report it).
      const starts = (magic: Buffer) => head.length > 0 && magic.subarray(0, Math.min(head.length, magic.length)).equals(head.subarray(0, magic.length));
      const salted = starts(SALTED_MAGIC);
      if (opts.noLayers || (!salted && !starts(GZIP_MAGIC))) return plainFile(src, file, size, blockSize);
      if (salted && size >= AES_HEADER_LENGTH + BLOCK) {
        const aes = await aesFile(src, file, size, head, blockSize, opts);
        if (aes) return aes;
      }
    } catch (e) {
      await fh?.close().catch(() => undefined);
      throw ioError(e, file);
    }
  }
  return streamed(src, file, blockSize, opts);
}

/** The bytes of an open handle, read on from where it is (a pipe has no positions), then closed. */
async function* handleBlocks(fh: FileHandle, blockSize: number): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      // A fresh buffer per block: a stream's consumer may keep a chunk (readBytes' contract is per source).
      const buf = Buffer.allocUnsafe(blockSize);
      const { bytesRead } = await fh.read(buf, 0, blockSize, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Whether `path` names something other than a regular file or directory (a
 * pipe, FIFO, device or socket), looked at without opening it: such an input
 * can be read once only, so nothing may look at its bytes before the read
 * (planning parts, telling its size). False when it cannot be looked at.
 */
export async function isSpecialFile(path: string): Promise<boolean> {
  if (path === '-') return true;
  try {
    const st = await stat(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

function plainFile(path: string, file: string, size: number, blockSize: number): Input {
  let bytesIn = 0;
  const count = (n: number) => (bytesIn += n);
  const slice = (start: number, end = size) => readBytesRange(path, file, blockSize, start, Math.min(end, size), count);
  return {
    file,
    params: { layers: [] },
    addressable: true,
    size,
    get bytesIn() {
      return bytesIn;
    },
    stream: () => slice(0),
    slice,
  };
}

async function* readBytesRange(path: string, file: string, blockSize: number, start: number, end: number, count: (n: number) => void): AsyncGenerator<Uint8Array> {
  try {
    yield* readFileBlocks(path, blockSize, start, end, count);
  } catch (e) {
    throw ioError(e, file);
  }
}

/**
 * An AES-only file (no gzip inside), addressable by block. Returns undefined
 * for `.gz.enc` (gzip inside), which is streamed instead.
 */
async function aesFile(path: string, file: string, size: number, head: Buffer, blockSize: number, opts: InputOptions): Promise<Input | undefined> {
  if (opts.password === undefined) throw missingPassword(file);
  const entry = await opts.password.get(file);
  const salt = head.subarray(8, AES_HEADER_LENGTH);
  const { key, iv } = await deriveKeyIv(entry.password, salt, entry.iterations);
  const first = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false).update(head.subarray(AES_HEADER_LENGTH, AES_HEADER_LENGTH + BLOCK));
  if (first[0] === 0x1f) return undefined; // gzip inside: not addressable
  const cipherLen = size - AES_HEADER_LENGTH;
  const partial = cipherLen % BLOCK;
  const blocks = (cipherLen - partial) / BLOCK;
  // The decoded length: a cleanly closed file ends in PKCS#7 padding; a crashed one does not (spec 3.4).
  let decoded = blocks * BLOCK;
  let clean = false;
  if (partial === 0) {
    const fh = await open(path, 'r');
    try {
      const last = Buffer.alloc(2 * BLOCK);
      const at = AES_HEADER_LENGTH + (blocks - 2) * BLOCK;
      if (blocks >= 2) await fh.read(last, 0, 2 * BLOCK, at);
      else await fh.read(last, BLOCK, BLOCK, AES_HEADER_LENGTH);
      const lastIv = blocks >= 2 ? last.subarray(0, BLOCK) : iv;
      const plain = createDecipheriv('aes-256-cbc', key, lastIv).setAutoPadding(false).update(last.subarray(BLOCK));
      const pad = padLength(plain);
      if (pad > 0) {
        decoded -= pad;
        clean = true;
      }
    } finally {
      await fh.close();
    }
  }
  if (!clean) {
    const dataEnd = AES_HEADER_LENGTH + blocks * BLOCK;
    opts.onNotice?.(
      new AuditLogError(
        'TRUNCATED_INPUT',
        partial > 0
          ? `the encrypted data ends in a partial block: ${partial} bytes after byte ${dataEnd} were dropped`
          : 'the last block has no valid padding: the file was cut and its final block is missing',
        { stage: 'decrypt', file, offset: dataEnd, end: size, recoverable: true, suggestion: 'the encrypted file was not closed cleanly; what it holds up to this point was recovered' },
      ),
    );
  }
  // The first block decides whether the key is right (its padding, in a one-block file, left out).
  if (!looksLikePlaintext(first.subarray(0, Math.min(BLOCK, decoded)))) {
    throw new AuditLogError('DECRYPT_FAILED', 'wrong password or iteration count: the first block does not decrypt to an audit log or gzip data', {
      stage: 'decrypt',
      file,
      offset: AES_HEADER_LENGTH,
      recoverable: false,
      suggestion: 'check the password, and give the iteration count for files written by Percona (PBKDF2)',
    });
  }
  let bytesIn = 0;
  const count = (n: number) => (bytesIn += n);
  async function* slice(start: number, end = decoded): AsyncGenerator<Uint8Array> {
    end = Math.min(end, decoded);
    if (start >= end) return;
    const k0 = Math.floor(start / BLOCK);
    const k1 = Math.ceil(end / BLOCK);
    // The IV of block k is ciphertext block k-1 (the derived IV for block 0).
    let blockIv = iv;
    let from = AES_HEADER_LENGTH + k0 * BLOCK;
    if (k0 > 0) {
      from -= BLOCK;
      blockIv = Buffer.alloc(0);
    }
    const decipher = blockIv.length ? createDecipheriv('aes-256-cbc', key, blockIv).setAutoPadding(false) : undefined;
    let d = decipher;
    let pos = k0 * BLOCK; // decoded offset of the next plaintext byte
    let carry = Buffer.alloc(0);
    const batch = Math.max(BLOCK, Math.floor(blockSize / BLOCK) * BLOCK);
    for await (const raw of readBytesRange(path, file, batch, from, AES_HEADER_LENGTH + k1 * BLOCK, count)) {
      let c = asBuffer(raw);
      if (!d) {
        // The first block read is the IV of the first block wanted.
        d = createDecipheriv('aes-256-cbc', key, Buffer.from(c.subarray(0, BLOCK))).setAutoPadding(false);
        c = c.subarray(BLOCK);
      }
      if (carry.length) {
        c = Buffer.concat([carry, c]);
        carry = Buffer.alloc(0);
      }
      const whole = c.length - (c.length % BLOCK);
      if (whole < c.length) carry = Buffer.from(c.subarray(whole));
      if (whole === 0) continue;
      const plain = d.update(c.subarray(0, whole));
      const s = Math.max(0, start - pos);
      const e = Math.min(plain.length, end - pos);
      pos += plain.length;
      if (e > s) yield plain.subarray(s, e);
    }
  }
  return {
    file,
    params: { layers: ['aes-256-cbc'], aes: aesParams(entry.iterations, salt) },
    addressable: true,
    size: decoded,
    get bytesIn() {
      return bytesIn;
    },
    stream: () => slice(0),
    slice,
  };
}

function aesParams(iterations: number | undefined, salt: Buffer): NonNullable<LayerParams['aes']> {
  return iterations === undefined ? { kdf: 'evp-bytes-to-key-sha256', salt: salt.toString('hex') } : { kdf: 'pbkdf2-sha256', iterations, salt: salt.toString('hex') };
}

/** Any other input: the layers are stacked on the stream as it is read. */
function streamed(src: Source, file: string, blockSize: number, opts: InputOptions): Input {
  let bytesIn = 0;
  const params: LayerParams = { layers: [] };
  const count = (n: number) => (bytesIn += n);
  let used = false;
  async function* stream(): AsyncGenerator<Uint8Array> {
    if (used && typeof src !== 'string') throw new AuditLogError('INVALID_OPTION', 'a stream input can be read only once', { stage: 'read', file, recoverable: false });
    used = true;
    let bytes = readBytes(src, file, blockSize, count);
    if (!opts.noLayers) {
      let salt: Buffer | undefined;
      let iterations: number | undefined;
      let encrypted = false;
      const pw = opts.password;
      const password: PasswordSource | undefined = pw && {
        get: async (f) => {
          const e = await pw.get(f);
          encrypted = true;
          iterations = e.iterations;
          return e;
        },
      };
      const opened = await openLayers(
        (async function* () {
          for await (const c of bytes) {
            if (salt === undefined && c.length >= AES_HEADER_LENGTH) salt = asBuffer(c).subarray(0, 8).equals(SALTED_MAGIC) ? Buffer.from(c.subarray(8, AES_HEADER_LENGTH)) : Buffer.alloc(0);
            yield c;
          }
        })(),
        { file, password, onNotice: (e) => opts.onNotice?.(e) },
      );
      params.layers = opened.layers;
      if (encrypted && salt?.length) params.aes = aesParams(iterations, salt);
      bytes = opened.stream;
    }
    yield* bytes;
  }
  return {
    file,
    params,
    addressable: false,
    size: undefined,
    get bytesIn() {
      return bytesIn;
    },
    stream,
    slice: (start: number, end = Infinity) => cut(stream(), start, end),
  };
}

/**
 * About how many bytes a read of `path` decodes: the work it is, where the
 * bytes on disk understate it. A gzip file says its decoded size (mod 4 GiB)
 * in its last 4 bytes (ISIZE, RFC 1952; of the last member only): the larger
 * of that and the file's size. Any other file (an encrypted one too: its
 * payload is not read here) counts its size; one that cannot be read, 0.
 * Audit logs compress about 20 to 1, so thresholds of work (the size below
 * which no worker starts) would otherwise miss a set of gzip files of 1 GiB.
 */
export async function workBytes(path: string): Promise<number> {
  let fh: FileHandle;
  let size: number;
  try {
    // A pipe or device is not opened here: what is read from it would be lost to the read.
    const st = await stat(path);
    size = st.size;
    if (!st.isFile()) return size;
    fh = await open(path, 'r');
  } catch {
    return 0;
  }
  try {
    if (size < 18) return size; // header (10) + trailer (8): anything shorter is no whole gzip member
    const head = Buffer.alloc(GZIP_MAGIC.length);
    await fh.read(head, 0, head.length, 0);
    if (!head.equals(GZIP_MAGIC)) return size;
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, size - 4);
    return Math.max(size, tail.readUInt32LE(0));
  } catch {
    return 0;
  } finally {
    await fh.close();
  }
}
