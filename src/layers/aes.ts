/**
 * AES-256-CBC layer, in OpenSSL `enc` layout: `Salted__` + 8-byte salt +
 * ciphertext (PKCS#7 padded). Spec section 3.
 *
 *   const plain = decrypt(bytes, { file, password: 'P' });                    // MySQL Enterprise (EVP_BytesToKey)
 *   const plain = decrypt(bytes, { file, password: 'P', iterations: 60000 });  // Percona (PBKDF2)
 *   for await (const chunk of plain) ...
 *
 * Key and IV come from OpenSSL's EVP_BytesToKey with SHA-256 and one round
 * (`openssl enc -aes-256-cbc -md sha256`) when no iteration count is given, and
 * from PBKDF2-HMAC-SHA256 with that many iterations otherwise
 * (`openssl enc -aes-256-cbc -pbkdf2 -iter N -md sha256`).
 *
 * Decryption streams in ~1 MiB batches and never holds the file. A crashed
 * file (spec 3.4) is read as far as it goes: a trailing partial block is
 * dropped, full blocks are decrypted without a padding check, PKCS#7 padding is
 * stripped only when the last block carries valid padding, and a cut file is
 * reported through `onNotice` as TRUNCATED_INPUT.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { AuditLogError } from '../errors.js';
import { asBuffer } from '../bytes.js';

/** `Salted__`, the OpenSSL `enc` magic. */
export const SALTED_MAGIC: Buffer = Buffer.from('Salted__', 'latin1');
/** Magic + salt. */
export const AES_HEADER_LENGTH = 16;
/** The cipher's block. */
export const AES_BLOCK_LENGTH = 16;
const BLOCK = AES_BLOCK_LENGTH;
const KEY_LEN = 32;
const IV_LEN = 16;
const DEFAULT_BATCH = 1 << 20;

export interface KeyIv {
  key: Buffer;
  iv: Buffer;
}

/** A password as given by the user: a string (encoded as UTF-8) or raw bytes. */
export type PasswordBytes = string | Uint8Array;

function passwordBuffer(p: PasswordBytes): Buffer {
  return typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

function checkSalt(salt: Uint8Array): void {
  if (salt.length !== 8) {
    throw new AuditLogError('INVALID_OPTION', `salt must be 8 bytes, got ${salt.length}`, { stage: 'decrypt', recoverable: false });
  }
}

/** Throws INVALID_OPTION unless `iterations` is undefined or a positive safe integer. */
export function checkIterations(iterations: number | undefined, file?: string): void {
  if (iterations === undefined) return;
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new AuditLogError('INVALID_OPTION', `iteration count must be a positive integer, got ${String(iterations)}`, {
      stage: 'decrypt',
      file,
      recoverable: false,
    });
  }
}

/**
 * OpenSSL's EVP_BytesToKey with SHA-256 and one round (count = 1):
 * D1 = SHA256(password || salt), Di = SHA256(Di-1 || password || salt);
 * key = first 32 bytes, IV = next 16 bytes. `openssl enc -md sha256` without `-pbkdf2`.
 */
export function evpBytesToKey(password: PasswordBytes, salt: Uint8Array): KeyIv {
  checkSalt(salt);
  const pw = passwordBuffer(password);
  const parts: Buffer[] = [];
  let have = 0;
  let prev: Buffer = Buffer.alloc(0);
  while (have < KEY_LEN + IV_LEN) {
    prev = createHash('sha256').update(prev).update(pw).update(salt).digest();
    parts.push(prev);
    have += prev.length;
  }
  const all = Buffer.concat(parts);
  return { key: all.subarray(0, KEY_LEN), iv: all.subarray(KEY_LEN, KEY_LEN + IV_LEN) };
}

/** PBKDF2-HMAC-SHA256(password, salt, iterations, 48): key = bytes 0..31, IV = bytes 32..47 (Percona). */
export function pbkdf2KeyIvSync(password: PasswordBytes, salt: Uint8Array, iterations: number): KeyIv {
  checkSalt(salt);
  checkIterations(iterations);
  const all = pbkdf2Sync(passwordBuffer(password), salt, iterations, KEY_LEN + IV_LEN, 'sha256');
  return { key: all.subarray(0, KEY_LEN), iv: all.subarray(KEY_LEN) };
}

/** As {@link pbkdf2KeyIvSync}, off the main thread. */
export function pbkdf2KeyIv(password: PasswordBytes, salt: Uint8Array, iterations: number): Promise<KeyIv> {
  checkSalt(salt);
  checkIterations(iterations);
  return new Promise((resolve, reject) => {
    pbkdf2(passwordBuffer(password), salt, iterations, KEY_LEN + IV_LEN, 'sha256', (err, all) => {
      if (err) reject(err);
      else resolve({ key: all.subarray(0, KEY_LEN), iv: all.subarray(KEY_LEN) });
    });
  });
}

/** Key and IV for a salt: PBKDF2 when `iterations` is given, EVP_BytesToKey otherwise. */
export function deriveKeyIv(password: PasswordBytes, salt: Uint8Array, iterations?: number): Promise<KeyIv> {
  if (iterations === undefined) {
    try {
      return Promise.resolve(evpBytesToKey(password, salt));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  return pbkdf2KeyIv(password, salt, iterations);
}

export interface DecryptOptions {
  /** File name for errors and notices. Defaults to `-`. */
  file?: string;
  password: PasswordBytes;
  /** PBKDF2 iteration count (Percona). Absent: EVP_BytesToKey, SHA-256, one round (MySQL Enterprise). */
  iterations?: number;
  /**
   * Told about problems that do not stop reading: TRUNCATED_INPUT when the file
   * was cut (partial last block, or no valid padding). Its `offset` is the byte
   * offset in the encrypted file where usable data stops, `end` the file length.
   */
  onNotice?: (err: AuditLogError) => void;
  /** Ciphertext bytes per decryption step (rounded to 16). Default 1 MiB. */
  batchSize?: number;
}

export interface EncryptOptions {
  password: PasswordBytes;
  /** PBKDF2 iteration count; absent = EVP_BytesToKey (what MySQL Enterprise's docs decrypt with). */
  iterations?: number;
  /** 8-byte salt; random by default (only tests should set it). */
  salt?: Uint8Array;
  /** Plaintext bytes per encryption step. Default 1 MiB. */
  batchSize?: number;
}

/** Length of the valid PKCS#7 padding that ends `plain` (length a multiple of 16, > 0), or 0. */
export function padLength(plain: Buffer): number {
  const n = plain[plain.length - 1]!;
  if (n < 1 || n > BLOCK || n > plain.length) return 0;
  for (let i = plain.length - n; i < plain.length; i++) if (plain[i] !== n) return 0;
  return n;
}

/** Length of a valid UTF-8 sequence starting at b[i] (1..4), 0 if invalid, -1 if cut by the end of b. */
function utf8SeqLength(b: Buffer, i: number): number {
  const c = b[i]!;
  let need: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) (need = 1), (min = 0x80);
  else if (c >= 0xe0 && c <= 0xef) (need = 2), (min = 0x800);
  else if (c >= 0xf0 && c <= 0xf4) (need = 3), (min = 0x10000);
  else return 0;
  let cp = c & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    if (i + k >= b.length) return -1;
    const d = b[i + k]!;
    if ((d & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return need + 1;
}

/**
 * Whether the start of a decrypted stream (at most its first 16 bytes) looks
 * like an audit log or a gzip member, i.e. whether the key was right.
 * Text: optional UTF-8 BOM, then `<`, `[`, `{`, `"` or whitespace first, and
 * only printable ASCII, TAB/LF/CR or well-formed UTF-8 after it. A random block
 * passes with a probability well under 1e-6.
 */
export function looksLikePlaintext(head: Uint8Array): boolean {
  const b = asBuffer(head).subarray(0, BLOCK);
  if (b.length === 0) return true;
  if (b[0] === 0x1f) {
    // gzip: ID1 ID2 CM=8, reserved flag bits clear
    return (b.length < 2 || b[1] === 0x8b) && (b.length < 3 || b[2] === 8) && (b.length < 4 || (b[3]! & 0xe0) === 0);
  }
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  if (i < b.length) {
    const f = b[i]!;
    if (!(f === 0x3c || f === 0x5b || f === 0x7b || f === 0x22 || f === 0x20 || f === 0x09 || f === 0x0a || f === 0x0d)) {
      return false;
    }
  }
  while (i < b.length) {
    const c = b[i]!;
    if ((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d) {
      i++;
      continue;
    }
    const n = utf8SeqLength(b, i);
    if (n === -1) return true; // a multi-byte character cut by the end of the block
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/**
 * Decrypts an OpenSSL `enc` stream. Throws DECRYPT_FAILED, before yielding
 * anything, when the input has no `Salted__` header or the first block does not
 * decrypt to something that looks like an audit log or gzip (wrong password or
 * iteration count). Memory: one batch (`batchSize` + 32 bytes) plus its output.
 */
export async function* decrypt(src: AsyncIterable<Uint8Array>, opts: DecryptOptions): AsyncGenerator<Buffer, void, undefined> {
  const file = opts.file ?? '-';
  checkIterations(opts.iterations, file);
  const batchSize = Math.max(BLOCK, Math.floor((opts.batchSize ?? DEFAULT_BATCH) / BLOCK) * BLOCK);
  const header = Buffer.alloc(AES_HEADER_LENGTH);
  let headerFill = 0;
  let total = 0; // bytes read from src
  const buf = Buffer.allocUnsafe(batchSize + 2 * BLOCK);
  let fill = 0;
  let decipher: ReturnType<typeof createDecipheriv> | undefined;
  let validated = false;

  const fail = (detail: string, offset?: number): AuditLogError =>
    new AuditLogError('DECRYPT_FAILED', detail, {
      stage: 'decrypt',
      file,
      offset,
      recoverable: false,
      suggestion: 'check the password, and give the iteration count for files written by Percona (PBKDF2)',
    });
  const truncated = (offset: number, detail: string): void => {
    opts.onNotice?.(
      new AuditLogError('TRUNCATED_INPUT', detail, {
        stage: 'decrypt',
        file,
        offset,
        end: total,
        recoverable: true,
        suggestion: 'the encrypted file was not closed cleanly; what it holds up to this point was recovered',
      }),
    );
  };
  const checkHeaderPrefix = (): void => {
    if (header.subarray(0, Math.min(headerFill, 8)).compare(SALTED_MAGIC, 0, Math.min(headerFill, 8)) !== 0) {
      throw fail('not an OpenSSL-encrypted file (no "Salted__" header)', 0);
    }
  };
  const validate = (plain: Buffer): void => {
    if (!looksLikePlaintext(plain)) {
      throw fail('wrong password or iteration count: the first block does not decrypt to an audit log or gzip data', AES_HEADER_LENGTH);
    }
    validated = true;
  };

  for await (const chunk0 of src) {
    const chunk = asBuffer(chunk0);
    total += chunk.length;
    let pos = 0;
    if (headerFill < AES_HEADER_LENGTH) {
      const n = Math.min(AES_HEADER_LENGTH - headerFill, chunk.length);
      chunk.copy(header, headerFill, 0, n);
      headerFill += n;
      pos = n;
      checkHeaderPrefix();
      if (headerFill < AES_HEADER_LENGTH) continue;
      const { key, iv } = await deriveKeyIv(opts.password, header.subarray(8, 16), opts.iterations);
      decipher = createDecipheriv('aes-256-cbc', key, iv);
      decipher.setAutoPadding(false);
    }
    while (pos < chunk.length) {
      const n = Math.min(buf.length - fill, chunk.length - pos);
      chunk.copy(buf, fill, pos, pos + n);
      fill += n;
      pos += n;
      if (fill === buf.length) {
        // Decrypt one batch; keep the last 32 bytes back (they may hold the final, padded block).
        const plain = decipher!.update(buf.subarray(0, batchSize));
        buf.copy(buf, 0, batchSize, fill);
        fill -= batchSize;
        if (!validated) validate(plain);
        yield plain;
      }
    }
  }

  if (headerFill < AES_HEADER_LENGTH) {
    truncated(0, `the file ends inside the 16-byte "Salted__" header (${total} bytes): no encrypted data`);
    return;
  }
  const partial = fill % BLOCK;
  const full = fill - partial;
  const dataEnd = total - partial; // encrypted-file offset where usable data stops
  let plain = full > 0 ? decipher!.update(buf.subarray(0, full)) : Buffer.alloc(0);
  let clean = false;
  if (partial === 0 && plain.length > 0) {
    const pad = padLength(plain);
    if (pad > 0) {
      plain = plain.subarray(0, plain.length - pad);
      clean = true;
    }
  }
  if (!validated && plain.length > 0) validate(plain);
  if (plain.length > 0) yield plain;
  if (partial > 0) {
    truncated(dataEnd, `the encrypted data ends in a partial block: ${partial} bytes after byte ${dataEnd} were dropped`);
  } else if (dataEnd === AES_HEADER_LENGTH) {
    truncated(dataEnd, 'no encrypted data after the header');
  } else if (!clean) {
    truncated(dataEnd, 'the last block has no valid padding: the file was cut and its final block is missing');
  }
}

/**
 * Encrypts to the OpenSSL `enc` layout: `Salted__` + salt + AES-256-CBC
 * ciphertext with PKCS#7 padding. `openssl enc -d -aes-256-cbc -md sha256
 * [-pbkdf2 -iter N] -pass pass:P` reads it back.
 */
export async function* encrypt(src: AsyncIterable<Uint8Array>, opts: EncryptOptions): AsyncGenerator<Buffer, void, undefined> {
  checkIterations(opts.iterations);
  const salt = opts.salt !== undefined ? asBuffer(opts.salt) : randomBytes(8);
  checkSalt(salt);
  const { key, iv } = await deriveKeyIv(opts.password, salt, opts.iterations);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const batchSize = Math.max(BLOCK, opts.batchSize ?? DEFAULT_BATCH);
  yield Buffer.concat([SALTED_MAGIC, salt]);
  let buf = Buffer.allocUnsafe(batchSize);
  let fill = 0;
  for await (const chunk0 of src) {
    const chunk = asBuffer(chunk0);
    if (fill === 0 && chunk.length >= batchSize) {
      yield cipher.update(chunk);
      continue;
    }
    let pos = 0;
    while (pos < chunk.length) {
      const n = Math.min(batchSize - fill, chunk.length - pos);
      chunk.copy(buf, fill, pos, pos + n);
      fill += n;
      pos += n;
      if (fill === batchSize) {
        const out = cipher.update(buf);
        fill = 0;
        if (out.length > 0) yield out;
      }
    }
  }
  const last = Buffer.concat([fill > 0 ? cipher.update(buf.subarray(0, fill)) : Buffer.alloc(0), cipher.final()]);
  buf = Buffer.alloc(0);
  yield last;
}
