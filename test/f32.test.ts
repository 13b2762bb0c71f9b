/**
 * Float32 vectors to little-endian bytes and back, bit-exact: the log command, the
 * state store and the wire all carry vectors this way.
 */
import { describe, expect, it } from 'vitest';
import { f32LEBytesNow, f32ToLE, readF32LEInto } from '../src/f32.js';

/** A vector with the awkward values: -0, a NaN with a payload, subnormals, infinities. */
function awkward(): Float32Array {
  const v = new Float32Array([1.5, -0, 0, 3.4e38, -1e-45, Infinity, -Infinity, 0]);
  new Uint32Array(v.buffer)[7] = 0x7fc01234; // a quiet NaN with a payload
  return v;
}

const bits = (v: Float32Array): number[] => [...new Uint32Array(v.slice().buffer)];

describe('float32 little-endian bytes', () => {
  it('round-trips every bit, -0 and NaN payloads included', () => {
    const v = awkward();
    const bytes = f32ToLE(v);
    expect(bytes.byteLength).toBe(v.length * 4);
    const back = new Float32Array(v.length);
    readF32LEInto(bytes, 0, back, 0, v.length);
    expect(bits(back)).toEqual(bits(v));
    // Little-endian whatever the host: the first float, 1.5, is 0x3fc00000.
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });

  it('f32LEBytesNow gives the same bytes, from a vector that is a view into a larger buffer', () => {
    const whole = new Float32Array(20).fill(7);
    whole.set(awkward(), 5);
    const v = whole.subarray(5, 13);
    expect([...f32LEBytesNow(v)]).toEqual([...f32ToLE(v)]);
  });

  it('f32ToLE copies: changing the vector afterwards leaves its bytes alone', () => {
    const v = awkward();
    const bytes = f32ToLE(v);
    v[0] = 2;
    expect([...bytes.subarray(0, 4)]).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });

  it('readF32LEInto refuses to read past the bytes or write past the array', () => {
    const bytes = f32ToLE(new Float32Array([1, 2, 3]));
    expect(() => readF32LEInto(bytes, 4, new Float32Array(3), 0, 3)).toThrow(RangeError);
    expect(() => readF32LEInto(bytes, 0, new Float32Array(2), 0, 3)).toThrow(RangeError);
  });
});
