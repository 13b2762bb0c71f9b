import { describe, expect, it } from 'vitest';
import { RaftvecError } from '../../src/errors.js';
import { GroupWrites } from '../../src/storage/group-writes.js';
import { collectionKey, labelKey, pointKey, sessionKey } from '../../src/storage/keys.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

describe('GroupWrites', () => {
  it('keeps the ordered operations in order and only the last write of each slot, encoded once', () => {
    const group = new GroupWrites();
    const calls: string[] = [];
    const put = (slot: string, key: Uint8Array, value: string) =>
      group.rewrite(slot, () => {
        calls.push(`${slot}=${value}`);
        return { type: 'put', key, value: Buffer.from(value) };
      });
    group.add({ type: 'put', key: pointKey(1, 'a'), value: Buffer.from('pa') });
    put('Sw1', sessionKey('w1'), 'first');
    put('Cc', collectionKey('c'), 'rec1');
    group.add({ type: 'del', key: labelKey(1, 7) });
    put('Sw1', sessionKey('w1'), 'second');
    group.rewrite('Cc', () => ({ type: 'del', key: collectionKey('c') }));
    expect(group.isEmpty).toBe(false);

    const ops = group.take();
    expect(ops.map((op) => [op.type, text(op.key)])).toEqual([
      ['put', text(pointKey(1, 'a'))],
      ['del', text(labelKey(1, 7))],
      // the slots, in the order of their last writes
      ['put', text(sessionKey('w1'))],
      ['del', text(collectionKey('c'))],
    ]);
    expect(ops[2]!.type === 'put' && Buffer.from(ops[2]!.value).toString()).toBe('second');
    // Superseded writes are never encoded.
    expect(calls).toEqual(['Sw1=second']);
    expect(group.isEmpty).toBe(true);
    expect(group.take()).toEqual([]);
  });

  it('refuses a record that entries write again when it comes without its slot', () => {
    const group = new GroupWrites();
    for (const key of [sessionKey('w1'), collectionKey('c')]) {
      expect(() => group.add({ type: 'put', key, value: new Uint8Array(1) })).toThrow(RaftvecError);
    }
    expect(group.isEmpty).toBe(true);
  });
});
