import { describe, expect, it } from 'vitest';
import { readU64be, u64be } from '../../src/storage/keys.js';

describe('u64be / readU64be', () => {
  it('round-trip every boundary of the two 32-bit halves up to 2^53 - 1', () => {
    const values = [
      0,
      1,
      0xff,
      0x7fffffff,
      0x80000000,
      0xffffffff,
      0x100000000,
      0x1_2345_6789,
      2 ** 52,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const v of values) {
      const bytes = u64be(v);
      expect(readU64be(bytes)).toBe(v);
      // at an offset, inside a larger buffer
      const framed = new Uint8Array(3 + 8 + 2);
      framed.set(bytes, 3);
      expect(readU64be(framed, 3)).toBe(v);
    }
  });

  it('refuses a value above 2^53 - 1 and a buffer too short', () => {
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigUint64(0, 2n ** 53n, false);
    expect(() => readU64be(big)).toThrow(RangeError);
    expect(() => readU64be(new Uint8Array(7))).toThrow(/need 8 bytes/);
    expect(() => readU64be(new Uint8Array(8), 1)).toThrow(/need 8 bytes/);
  });
});
