/**
 * Output blocks (src/sinks/blocks.ts): what goes in comes out in order, in
 * blocks of one size, with no character cut; and the blocks a worker hands on
 * can be moved to the main thread (src/parallel/pool.ts transferable).
 */
import { describe, expect, test } from 'vitest';
import { rng } from '../bench/generate.js';
import { transferable } from '../src/parallel/pool.js';
import { Blocks, OUT_BLOCK, ownsBuffer } from '../src/sinks/blocks.js';

/** Put every piece, taking blocks as a sink does; returns the blocks. */
function blocksOf(pieces: (string | Uint8Array)[]): { out: Uint8Array[]; bytes: number } {
  const b = new Blocks();
  const out: Uint8Array[] = [];
  for (const p of pieces) {
    b.put(p);
    while (b.full) out.push(b.take());
  }
  while (!b.empty) out.push(b.take());
  expect(b.take().length).toBe(0);
  return { out, bytes: b.bytes };
}

const expected = (pieces: (string | Uint8Array)[]) => Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

describe('output blocks', () => {
  test('text and bytes of every size come out in order, in blocks of OUT_BLOCK bytes (the last ones possibly shorter)', () => {
    const r = rng(7);
    const pieces: (string | Uint8Array)[] = [];
    // Records of 1 byte to 40 KiB, text with 1- to 4-byte characters (and lone surrogates), bytes, and a few larger than a block.
    const chars = ['a', 'é', '€', '😀', '<', '\n', '\uD800'];
    for (let i = 0; i < 4000; i++) {
      const len = r() < 0.01 ? OUT_BLOCK + Math.floor(r() * 3 * OUT_BLOCK) : 1 + Math.floor(r() * r() * 40_000);
      if (r() < 0.5) {
        let s = '';
        while (s.length < len / 3) s += chars[Math.floor(r() * chars.length)]!.repeat(1 + Math.floor(r() * 50));
        pieces.push(s);
      } else pieces.push(Buffer.alloc(len, i & 0xff));
    }
    const { out, bytes } = blocksOf(pieces);
    const all = expected(pieces);
    expect(Buffer.concat(out).equals(all)).toBe(true);
    expect(bytes).toBe(all.length);
    const large = pieces.map((p) => expected([p])).filter((p) => p.length >= OUT_BLOCK);
    expect(large.length).toBeGreaterThan(10);
    for (const block of out) {
      expect(block.length).toBeGreaterThan(0);
      // A block is at most OUT_BLOCK bytes, unless it is one piece as large or larger, handed on by itself.
      if (block.length > OUT_BLOCK) expect(large.some((p) => p.equals(block))).toBe(true);
    }
    // Every other block is a buffer of OUT_BLOCK bytes of its own (one size, which the allocator reuses best).
    for (const block of out) if (!large.some((p) => p.equals(block))) expect([block.byteOffset, block.buffer.byteLength, ownsBuffer(block)]).toEqual([0, OUT_BLOCK, true]);
  });

  test('a block ends before text that does not fit, so each block is whole UTF-8', () => {
    const s = '€'.repeat(1000); // 3000 bytes per piece
    const pieces = Array.from({ length: 400 }, () => s);
    const { out } = blocksOf(pieces);
    for (const block of out) expect(Buffer.from(block).toString('utf8')).toBe(s.repeat(block.length / 3000));
    expect(Buffer.concat(out).equals(expected(pieces))).toBe(true);
  });

  test('lone surrogates take the 3 bytes of U+FFFD, wherever they fall', () => {
    const pieces = Array.from({ length: 3000 }, (_, i) => `${'x'.repeat(i % 97)}\uD800${'y'.repeat(i % 13)}\uDC00`);
    const { out, bytes } = blocksOf(pieces);
    expect(Buffer.concat(out).equals(expected(pieces))).toBe(true);
    expect(bytes).toBe(expected(pieces).length);
  });

  test('bytes run on into the next block; a piece of a block or more goes on as it is, without a copy', () => {
    const small = Buffer.alloc(OUT_BLOCK - 10, 1);
    const next = Buffer.alloc(100, 2);
    const big = Buffer.alloc(OUT_BLOCK, 3);
    const { out } = blocksOf([small, next, big, Buffer.from('end')]);
    expect(out.map((b) => b.length)).toEqual([OUT_BLOCK, 90, OUT_BLOCK, 3]);
    expect(out[2]).toBe(big);
    expect(Buffer.concat(out).equals(expected([small, next, big, Buffer.from('end')]))).toBe(true);
  });

  test('the blocks handed on own their buffers, and move to another thread even when partly used; views of other buffers do not', () => {
    const b = new Blocks();
    b.put('a few bytes');
    const block = b.take();
    expect(block.buffer.byteLength).toBe(OUT_BLOCK);
    expect(ownsBuffer(block)).toBe(true);
    expect(transferable(block)).toBe(block.buffer);
    const shared = Buffer.alloc(1000);
    expect(transferable(shared.subarray(0, 10))).toBeUndefined();
    expect(transferable(shared.subarray(10))).toBeUndefined();
    expect(transferable(new Uint8Array(16))).toBeDefined();
    // A large piece put as it is stays its owner's: it moves only if it is its whole buffer.
    const big = Buffer.alloc(OUT_BLOCK * 2).subarray(0, OUT_BLOCK);
    b.put(big);
    expect(b.take()).toBe(big);
    expect(transferable(big)).toBeUndefined();
  });
});
