/**
 * Input and output layers: AES-256-CBC and gzip, stacked by magic bytes.
 *
 *   const { layers, details, stream } = await openLayers(fileBytes, { file, password, onNotice });
 *   // layers: e.g. ['aes-256-cbc', 'gzip'] for audit.log.gz.<pwd_id>.enc
 *   for await (const chunk of stream) ...                       // the plain audit log
 *
 *   for await (const chunk of wrapOutput(plain, { compress: true, encrypt: { password } })) ...
 *
 * Layers are recognised by content, never by name: `Salted__` is AES, `1f 8b`
 * is gzip, in any order and depth (the server's `.gz.enc` is gzip inside AES).
 * An input that ends inside one of these magics (a file cut after 1..7 bytes)
 * counts as that layer, cut short, so it yields nothing rather than the stub.
 */
import { AuditLogError } from '../errors.js';
import { SALTED_MAGIC, checkIterations, decrypt, encrypt } from './aes.js';
import { GZIP_MAGIC, gunzip, gzip } from './gzip.js';
import { missingPassword, type PasswordEntry, type PasswordSource } from './passwords.js';

export { decrypt, encrypt, evpBytesToKey, pbkdf2KeyIv, pbkdf2KeyIvSync, deriveKeyIv, looksLikePlaintext, SALTED_MAGIC } from './aes.js';
export type { DecryptOptions, EncryptOptions, KeyIv, PasswordBytes } from './aes.js';
export { gunzip, gzip, parseGzipHeader, GZIP_MAGIC } from './gzip.js';
export type { GunzipOptions, GzipOptions } from './gzip.js';
export {
  createPasswordSource,
  staticPassword,
  pwdIdFromFileName,
  missingPassword,
  firstLine,
  LEGACY_PWD_ID,
} from './passwords.js';
export type { PasswordEntry, PasswordPrompt, PasswordSource, PasswordSourceOptions, PromptInfo } from './passwords.js';

export type LayerId = 'aes-256-cbc' | 'gzip';

export interface OpenLayersOptions {
  /** File name, for errors, notices and the password lookup (its pwd_id). `-` for stdin. */
  file: string;
  /** Where the password of an encrypted input comes from. Absent: an encrypted input is MISSING_PASSWORD. */
  password?: PasswordSource;
  /**
   * Told about problems after which reading goes on with what was recovered:
   * TRUNCATED_INPUT (a layer was cut short) and DECOMPRESS_FAILED after output.
   * Offsets are in that layer's own input: the encrypted file for AES, the
   * compressed stream (the decrypted bytes, for `.gz.enc`) for gzip.
   */
  onNotice?: (err: AuditLogError) => void;
  /** Most layers to unwrap. Default 4. */
  maxLayers?: number;
}

export interface OpenedLayers {
  /** Layers found, outermost first. */
  layers: LayerId[];
  /** What was learned about each layer (same order): enough to write the same layers again (see wrapLayers). */
  details: LayerDetail[];
  /** The bytes under all layers. */
  stream: AsyncIterable<Uint8Array>;
}

/**
 * What opening learned about one input layer. For AES: the password that
 * opened it and its key derivation (PBKDF2-HMAC-SHA256 with `iterations`, or
 * EVP_BytesToKey SHA-256 one round when absent). The password is not an
 * enumerable property, so a detail can be logged or JSON-printed without it.
 */
export type LayerDetail =
  | { readonly layer: 'gzip' }
  | { readonly layer: 'aes-256-cbc'; readonly kdf: 'pbkdf2' | 'evp-bytes-to-key'; readonly iterations?: number; readonly password: string };

function aesDetail(entry: PasswordEntry): LayerDetail {
  const d = entry.iterations === undefined ? { layer: 'aes-256-cbc' as const, kdf: 'evp-bytes-to-key' as const } : { layer: 'aes-256-cbc' as const, kdf: 'pbkdf2' as const, iterations: entry.iterations };
  return Object.defineProperty(d, 'password', { value: entry.password, enumerable: false }) as LayerDetail;
}

export interface OutputEncryption {
  password: string;
  /** PBKDF2 iterations (Percona's scheme); absent = EVP_BytesToKey (MySQL Enterprise's). */
  iterations?: number;
}

export interface WrapOutputOptions {
  compress?: boolean;
  encrypt?: OutputEncryption;
}

interface Peeked {
  head: Buffer;
  /** True when the stream ended within the peeked bytes. */
  ended: boolean;
  stream: AsyncIterable<Uint8Array>;
  /** Closes the underlying iterator when `stream` will not be read. */
  close(): Promise<void>;
}

/** Reads the first `n` bytes (fewer if the stream ends) without losing them. */
async function peek(src: AsyncIterable<Uint8Array>, n: number): Promise<Peeked> {
  const it = src[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let have = 0;
  let ended = false;
  try {
    while (have < n) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      if (r.value.length === 0) continue;
      // Keep a copy only when another chunk must be read before this one is used:
      // a source may refill its buffer for the chunk after next.
      taken.push(have + r.value.length < n ? Buffer.from(r.value) : r.value);
      have += r.value.length;
    }
  } catch (e) {
    await it.return?.();
    throw e;
  }
  const head = Buffer.concat(taken.map((c) => c.subarray(0, n)), Math.min(have, n)).subarray(0, n);
  async function* rest(): AsyncGenerator<Uint8Array, void, undefined> {
    let finished = ended;
    try {
      for (const c of taken) yield c;
      taken.length = 0;
      while (!finished) {
        const r = await it.next();
        if (r.done) {
          finished = true;
          break;
        }
        yield r.value;
      }
    } finally {
      if (!finished) await it.return?.();
    }
  }
  const close = async (): Promise<void> => {
    if (!ended) await it.return?.();
  };
  return { head, ended, stream: rest(), close };
}

function startsWith(head: Buffer, magic: Buffer, ended: boolean): boolean {
  if (head.length >= magic.length) return head.subarray(0, magic.length).equals(magic);
  // An input that ends inside the magic is that layer, cut short.
  return ended && head.length > 0 && magic.subarray(0, head.length).equals(head);
}

/**
 * Peeks at the input and stacks the layers its magic bytes call for. Resolves
 * once the layers are known, so DECRYPT_FAILED (wrong password or iteration
 * count) and MISSING_PASSWORD are thrown here, before any byte is returned.
 */
export async function openLayers(src: AsyncIterable<Uint8Array>, opts: OpenLayersOptions): Promise<OpenedLayers> {
  const { file, onNotice } = opts;
  const maxLayers = opts.maxLayers ?? 4;
  const layers: LayerId[] = [];
  const details: LayerDetail[] = [];
  let stream: AsyncIterable<Uint8Array> = src;
  for (;;) {
    const p = await peek(stream, SALTED_MAGIC.length);
    stream = p.stream;
    if (layers.length >= maxLayers) break;
    if (startsWith(p.head, SALTED_MAGIC, p.ended)) {
      let entry;
      try {
        if (opts.password === undefined) throw missingPassword(file);
        entry = await opts.password.get(file);
      } catch (e) {
        await p.close();
        throw e;
      }
      stream = decrypt(stream, { file, password: entry.password, iterations: entry.iterations, onNotice });
      layers.push('aes-256-cbc');
      details.push(aesDetail(entry));
    } else if (startsWith(p.head, GZIP_MAGIC, p.ended)) {
      stream = gunzip(stream, { file, onNotice });
      layers.push('gzip');
      details.push({ layer: 'gzip' });
    } else {
      break;
    }
  }
  return { layers, details, stream };
}

/**
 * Write `src` under the layers `details` describes (outermost first, as
 * openLayers found them): recompressed, and re-encrypted with the same
 * password and key derivation under a fresh random salt, so a repaired or
 * rewritten file is of the same kind as the one read.
 */
export function wrapLayers(src: AsyncIterable<Uint8Array>, details: readonly LayerDetail[]): AsyncIterable<Uint8Array> {
  let out = src;
  for (let i = details.length - 1; i >= 0; i--) {
    const d = details[i]!;
    out = d.layer === 'gzip' ? gzip(out) : encrypt(out, d.iterations === undefined ? { password: d.password } : { password: d.password, iterations: d.iterations });
  }
  return out;
}

/**
 * The write side: optionally gzip, then optionally AES (gzip inside AES, as
 * the servers write `.gz.enc`). With neither, the input passes through.
 */
export function wrapOutput(src: AsyncIterable<Uint8Array>, opts: WrapOutputOptions = {}): AsyncIterable<Uint8Array> {
  let out: AsyncIterable<Uint8Array> = src;
  if (opts.compress) out = gzip(out);
  if (opts.encrypt !== undefined) {
    checkIterations(opts.encrypt.iterations);
    out = encrypt(out, { password: opts.encrypt.password, iterations: opts.encrypt.iterations });
  }
  return out;
}
