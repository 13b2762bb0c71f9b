/**
 * Short-lived record bytes (LevelDB keys and values on their way into a write batch)
 * carved from shared 64 KiB chunks instead of one allocation each.
 *
 * Why: every Uint8Array that is handed to native code or is over 64 bytes gets its own
 * off-heap backing store, which costs a malloc, the garbage collector's bookkeeping and,
 * on these machines, page faults. An applied single-point upsert builds about eight such
 * records; carving them from chunks took the state machine's apply from 83-101 to 69-70
 * µs per entry in alternate runs of `npm run bench -- apply`. 64 KiB chunks measured
 * faster than 16 KiB (more chunks) and than 256 KiB or 1 MiB (glibc maps those fresh
 * from the kernel each time).
 *
 * The contract: a view is written in full by its taker (chunks are zero-filled, so a
 * slip would store zeros, never another record's bytes) and is not kept after the
 * operation it was made for. A kept view keeps its whole chunk alive; a chunk is never
 * reused while any view of it lives, so a kept view is a memory cost, never a
 * corruption.
 */

/** Chunk size: see the measurements above. */
export const SLAB_CHUNK_BYTES = 64 * 1024;

/** Records larger than this get a chunk of their own, so one never wastes more than a quarter. */
const LARGEST_CARVED = SLAB_CHUNK_BYTES / 4;

let chunk = Buffer.alloc(SLAB_CHUNK_BYTES);
let used = 0;

/** Where `n` bytes start in `chunk` (a fresh chunk when they do not fit), or -1 for a record of its own. */
function carve(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${n} is not a byte count`);
  if (n > LARGEST_CARVED) return -1;
  if (used + n > SLAB_CHUNK_BYTES) {
    chunk = Buffer.alloc(SLAB_CHUNK_BYTES);
    used = 0;
  }
  const at = used;
  // 8-byte alignment keeps each record's start where a wider read of it is cheap.
  used += (n + 7) & ~7;
  return at;
}

/**
 * `n` zeroed bytes of their own, valid until dropped; see the module's contract. A plain
 * Uint8Array view: making a Buffer view costs twice as much.
 */
export function slabBytes(n: number): Uint8Array {
  const at = carve(n);
  if (at < 0) return new Uint8Array(n);
  return new Uint8Array(chunk.buffer, chunk.byteOffset + at, n);
}

/** `text` as UTF-8 in slab bytes, after `prefix` bytes left for the caller to fill. */
export function slabUtf8(text: string, prefix = 0): Uint8Array {
  const n = prefix + Buffer.byteLength(text, 'utf8');
  const at = carve(n);
  if (at < 0) {
    const own = Buffer.alloc(n);
    own.write(text, prefix, 'utf8');
    return own;
  }
  chunk.write(text, at + prefix, 'utf8');
  return new Uint8Array(chunk.buffer, chunk.byteOffset + at, n);
}
