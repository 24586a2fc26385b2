/**
 * Output blocks: record text and bytes gathered into blocks of about
 * OUT_BLOCK bytes before they go on (to the layers and the disk, or from a
 * worker to the main thread). Runs of text are encoded to UTF-8 once per piece
 * of about TEXT_PIECE characters, not once per record.
 *
 *   const b = new Blocks();
 *   b.put(writer.record(entry));
 *   if (b.full) await out.push(b.take());
 */

/** Size of the blocks handed on, in bytes. */
export const OUT_BLOCK = 256 * 1024;
/** Text is encoded to bytes in pieces of about this many characters. */
const TEXT_PIECE = 16 * 1024;

export class Blocks {
  private parts: Uint8Array[] = [];
  private text = '';
  private size = 0;
  /** Bytes put so far (all blocks, taken or not). */
  bytes = 0;

  put(b: string | Uint8Array): void {
    if (typeof b === 'string') {
      if (b.length === 0) return;
      this.text += b;
      this.size += b.length;
      this.bytes += Buffer.byteLength(b, 'utf8');
      // Small pieces: one big string per block would be a large heap object,
      // and those grow the old generation (and resident memory) fast.
      if (this.text.length >= TEXT_PIECE) {
        this.parts.push(Buffer.from(this.text, 'utf8'));
        this.text = '';
      }
      return;
    }
    if (b.length === 0) return;
    if (this.text) {
      this.parts.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
    this.parts.push(b);
    this.size += b.length;
    this.bytes += b.length;
  }

  /** Whether the current block is big enough to go on. */
  get full(): boolean {
    return this.size >= OUT_BLOCK;
  }

  /** Whether nothing waits in the current block. */
  get empty(): boolean {
    return this.size === 0;
  }

  /** The current block (possibly empty); the next one starts empty. */
  take(): Uint8Array {
    if (this.text) this.parts.push(Buffer.from(this.text, 'utf8'));
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.text = '';
    this.size = 0;
    return out;
  }
}
