/**
 * Output blocks: record text and bytes gathered into blocks of OUT_BLOCK
 * bytes before they go on (to the layers and the disk, or from a worker to
 * the main thread). Text is encoded straight into the block (a block ends
 * early rather than cut a character), and bytes are copied into it, running
 * on into the next block. A piece of OUT_BLOCK bytes or more goes on by itself.
 *
 *   const b = new Blocks();
 *   b.put(writer.record(entry));
 *   while (b.full) await out.push(b.take());
 *
 * Every block is a buffer of exactly OUT_BLOCK bytes. Blocks joined from
 * pieces had every size just above 256 KiB, which the C allocator could not
 * reuse for one another: NEW -> JSON with --jobs 2 over 1.2 GiB peaked at
 * 255-261 MiB resident, and at 193-200 with blocks of one size, while the
 * heaps held under 20 MiB each (2026-12-01). Encoding each record into the
 * block is also faster than joining 16 KiB pieces (2.2x for JSON text).
 */

/** Size of the blocks handed on, in bytes. */
export const OUT_BLOCK = 256 * 1024;

/** The buffers of blocks handed on by take(): each is used by the one view take() returned, so it may be moved to another thread. */
const OWN = new WeakSet<ArrayBufferLike>();

/** Whether `chunk` is a block take() returned, the only view of its buffer (worker threads transfer it). */
export function ownsBuffer(chunk: Uint8Array): boolean {
  return OWN.has(chunk.buffer);
}

const EMPTY = new Uint8Array(0);

export class Blocks {
  /** Blocks ready to go on, from `head`. */
  private ready: Uint8Array[] = [];
  private head = 0;
  /** The block being filled, and how much of it is. */
  private cur: Buffer | undefined;
  private used = 0;
  /** Bytes put so far (all blocks, taken or not). */
  bytes = 0;

  put(b: string | Uint8Array): void {
    if (b.length === 0) return;
    if (typeof b === 'string') this.putText(b);
    else this.putBytes(b);
  }

  private putText(s: string): void {
    // At most 3 bytes per UTF-16 unit: the common case needs no count of its bytes.
    let room = this.room();
    if (s.length * 3 > room) {
      const n = Buffer.byteLength(s, 'utf8');
      if (n > room) {
        if (n >= OUT_BLOCK) {
          this.putBytes(Buffer.from(s, 'utf8'));
          return;
        }
        this.seal();
        room = this.room();
      }
    }
    const w = (this.cur as Buffer & { utf8Write(s: string, offset: number): number }).utf8Write(s, this.used);
    this.used += w;
    this.bytes += w;
    if (this.used === OUT_BLOCK) this.seal();
  }

  private putBytes(b: Uint8Array): void {
    this.bytes += b.length;
    if (b.length >= OUT_BLOCK) {
      if (this.used > 0) this.seal();
      this.ready.push(b);
      return;
    }
    let off = 0;
    while (off < b.length) {
      const n = Math.min(this.room(), b.length - off);
      this.cur!.set(off === 0 && n === b.length ? b : b.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      if (this.used === OUT_BLOCK) this.seal();
    }
  }

  /** Room left in the current block (one is started when there is none). */
  private room(): number {
    this.cur ??= Buffer.allocUnsafeSlow(OUT_BLOCK);
    return OUT_BLOCK - this.used;
  }

  /** The current block is ready, if it holds anything. */
  private seal(): void {
    if (this.cur === undefined || this.used === 0) return;
    OWN.add(this.cur.buffer);
    this.ready.push(this.cur.subarray(0, this.used));
    this.cur = undefined;
    this.used = 0;
  }

  /** Whether a block is ready to go on. */
  get full(): boolean {
    return this.head < this.ready.length;
  }

  /** Whether nothing waits. */
  get empty(): boolean {
    return this.head === this.ready.length && this.used === 0;
  }

  /** The next block: a ready one, else what the current one holds (possibly nothing). */
  take(): Uint8Array {
    if (this.head === this.ready.length) this.seal();
    if (this.head === this.ready.length) return EMPTY;
    const b = this.ready[this.head]!;
    this.ready[this.head++] = EMPTY;
    if (this.head === this.ready.length) {
      this.ready = [];
      this.head = 0;
    }
    return b;
  }
}
