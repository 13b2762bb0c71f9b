/** Float32 vectors ⇄ little-endian bytes, bit-exact (NaN payloads and -0 included). */

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes `vector` as little-endian float32 into `out` at `offset`. */
export function writeF32LE(vector: Float32Array, out: Uint8Array, offset: number): void {
  if (HOST_IS_LITTLE_ENDIAN) {
    out.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < vector.length; i++) view.setFloat32(offset + i * 4, vector[i]!, true);
}

/**
 * The little-endian bytes of `vector`: on a little-endian host a view of its own memory
 * (no copy), else a copy. Only for a caller that reads them at once and keeps nothing
 * (a log command is encoded synchronously): a copy per vector was a tenth of encoding
 * a 1000-point upsert.
 */
export function f32LEBytesNow(vector: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN)
    return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  return f32ToLE(vector);
}

export function f32ToLE(vector: Float32Array): Uint8Array {
  const out = new Uint8Array(vector.length * 4);
  writeF32LE(vector, out, 0);
  return out;
}

/**
 * Reads `count` little-endian float32 values from `bytes` at `offset` into `out` at
 * `outOffset` (in floats): loading a collection decodes every vector into one array
 * this way, instead of allocating a small one per point.
 */
export function readF32LEInto(
  bytes: Uint8Array,
  offset: number,
  out: Float32Array,
  outOffset: number,
  count: number,
): void {
  if (offset + count * 4 > bytes.length) {
    throw new RangeError(
      `need ${count * 4} bytes at offset ${offset}, have ${bytes.length - offset}`,
    );
  }
  if (outOffset + count > out.length)
    throw new RangeError(`no room for ${count} floats at ${outOffset} of ${out.length}`);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset + outOffset * 4, count * 4).set(
      bytes.subarray(offset, offset + count * 4),
    );
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[outOffset + i] = view.getFloat32(offset + i * 4, true);
}
