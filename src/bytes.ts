/**
 * Byte helpers shared by the layers and the scanners.
 *
 *   const b = asBuffer(chunk); // a Buffer view of any Uint8Array, no copy
 */

/** A Buffer view of the same bytes (no copy). */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
