import { describe, expect, it } from 'vitest';
import { SLAB_CHUNK_BYTES, slabBytes, slabUtf8 } from '../../src/storage/byte-slab.js';
import {
  decodePointValueInto,
  encodePointValue,
  labelKey,
  pointKey,
} from '../../src/storage/keys.js';
import { sealRecord } from '../../src/storage/checked-store.js';

describe('slab bytes', () => {
  it('hands out zeroed views that never overlap, across many chunks', () => {
    const taken: Array<{ view: Uint8Array; fill: number }> = [];
    let total = 0;
    for (let i = 0; total < 3 * SLAB_CHUNK_BYTES; i++) {
      const n = 1 + ((i * 37) % 700);
      const view = slabBytes(n);
      expect(view.length).toBe(n);
      expect(view.every((b) => b === 0)).toBe(true);
      const fill = i % 251;
      view.fill(fill);
      taken.push({ view, fill });
      total += n;
    }
    // Every view still holds what its taker wrote: none was handed out twice.
    for (const { view, fill } of taken) expect(view.every((b) => b === fill)).toBe(true);
  });

  it('gives a record larger than a quarter chunk a buffer of its own', () => {
    const big = slabBytes(SLAB_CHUNK_BYTES);
    expect(big.length).toBe(SLAB_CHUNK_BYTES);
    expect(big.buffer.byteLength).toBe(SLAB_CHUNK_BYTES);
    const small = slabBytes(10);
    expect(small.buffer).not.toBe(big.buffer);
  });

  it('refuses a byte count that is not one', () => {
    expect(() => slabBytes(-1)).toThrow(RangeError);
    expect(() => slabBytes(1.5)).toThrow(RangeError);
  });

  it('writes UTF-8 text after the prefix it leaves', () => {
    const out = slabUtf8('héllo ✓', 3);
    expect(out.subarray(0, 3)).toEqual(new Uint8Array(3));
    expect(Buffer.from(out.subarray(3)).toString('utf8')).toBe('héllo ✓');
    const long = 'x'.repeat(SLAB_CHUNK_BYTES);
    const own = slabUtf8(long, 2);
    expect(own.buffer.byteLength).toBe(SLAB_CHUNK_BYTES + 2);
    expect(Buffer.from(own.subarray(2)).toString('utf8')).toBe(long);
  });

  it('keeps the records built from it intact while later ones are built', () => {
    const vector = Float32Array.from({ length: 128 }, (_, i) => i / 7);
    const records = Array.from({ length: 400 }, (_, i) => ({
      key: pointKey(3, `id-${i}-é`),
      label: labelKey(3, i),
      value: encodePointValue(i, vector, JSON.stringify({ i })),
    }));
    const sealed = records.map((r) => sealRecord(r.key, r.value));
    records.forEach((r, i) => {
      expect(Buffer.from(r.key.subarray(9)).toString('utf8')).toBe(`id-${i}-é`);
      const out = new Float32Array(128);
      expect(decodePointValueInto(r.value, 128, out)).toEqual({
        label: i,
        metadataJson: JSON.stringify({ i }),
      });
      expect(out).toEqual(vector);
      expect(Buffer.from(sealed[i]!.subarray(4))).toEqual(Buffer.from(r.value));
    });
  });
});
