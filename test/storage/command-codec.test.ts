import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain.js';
import { RaftvecError } from '../../src/errors.js';
import { decodeCommand, encodeCommand } from '../../src/storage/command-codec.js';

const bits = (v: Float32Array): number[] =>
  Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

describe('command codec', () => {
  it('round-trips an upsert bit-exactly, with unicode ids and metadata and a session', () => {
    const tricky = new Float32Array([0.1, -0, 1e-45, 3.4028234663852886e38, -1.5, Math.PI, 1 / 3]);
    const cmd: Command = {
      kind: 'upsert',
      collection: 'docs',
      session: { clientId: 'client-é', sequence: 2 ** 40 + 7 },
      points: [
        {
          id: 'vec1',
          vector: tricky,
          metadata: { source: 'docA', n: 1.5, nested: { ok: true, list: [1, 'two', null] } },
        },
        { id: '点🚀-ü', vector: new Float32Array(7).fill(0.25), metadata: { ключ: 'значение 😀' } },
        { id: 'empty-meta', vector: new Float32Array(7), metadata: {} },
      ],
    };
    const decoded = decodeCommand(encodeCommand(cmd));
    expect(decoded.kind).toBe('upsert');
    if (decoded.kind !== 'upsert') throw new Error('unreachable');
    expect(decoded.collection).toBe('docs');
    expect(decoded.session).toEqual({ clientId: 'client-é', sequence: 2 ** 40 + 7 });
    expect(decoded.points.map((p) => p.id)).toEqual(['vec1', '点🚀-ü', 'empty-meta']);
    expect(decoded.points.map((p) => p.metadata)).toEqual(cmd.points.map((p) => p.metadata));
    decoded.points.forEach((p, i) => {
      expect(p.vector).toBeInstanceOf(Float32Array);
      expect(bits(p.vector)).toEqual(bits(cmd.points[i]!.vector));
    });
    expect(Object.is(decoded.points[0]!.vector[1], -0)).toBe(true);
  });

  it('keeps NaN payload bits (even though validation rejects NaN before the log)', () => {
    const v = new Float32Array(new Uint32Array([0x7fc00001, 0xffc12345]).buffer);
    const decoded = decodeCommand(
      encodeCommand({
        kind: 'upsert',
        collection: 'c',
        points: [{ id: 'x', vector: v, metadata: {} }],
      }),
    );
    if (decoded.kind !== 'upsert') throw new Error('unreachable');
    expect(bits(decoded.points[0]!.vector)).toEqual([0x7fc00001, 0xffc12345]);
  });

  it('round-trips a subarray view vector (non-zero byteOffset)', () => {
    const big = new Float32Array([9, 1, 2, 3, 9]);
    const decoded = decodeCommand(
      encodeCommand({
        kind: 'upsert',
        collection: 'c',
        points: [{ id: 'x', vector: big.subarray(1, 4), metadata: {} }],
      }),
    );
    if (decoded.kind !== 'upsert') throw new Error('unreachable');
    expect(Array.from(decoded.points[0]!.vector)).toEqual([1, 2, 3]);
  });

  it('round-trips every other command kind', () => {
    const cmds: Command[] = [
      {
        kind: 'createCollection',
        spec: { name: 'c1', dimension: 768, metric: 'cosine', indexSpec: 'HNSW32' },
      },
      {
        kind: 'createCollection',
        spec: { name: 'c3', dimension: 8, metric: 'l2', indexSpec: 'HNSW16', efSearch: 200 },
      },
      {
        kind: 'createCollection',
        spec: { name: 'c2', dimension: 3, metric: 'l2', indexSpec: 'IVF100,Flat' },
        session: { clientId: 'a', sequence: 1 },
      },
      { kind: 'dropCollection', name: 'c1', session: { clientId: 'a', sequence: 0 } },
      { kind: 'dropCollection', name: 'c1' },
      { kind: 'delete', collection: 'c2', ids: ['a', 'ü', ''] },
      { kind: 'noop' },
    ];
    for (const cmd of cmds) expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd);
  });

  it('encodes noop as the empty payload', () => {
    expect(encodeCommand({ kind: 'noop' })).toHaveLength(0);
    expect(decodeCommand(new Uint8Array(0))).toEqual({ kind: 'noop' });
  });

  it('throws a RaftvecError INTERNAL on garbage', () => {
    const garbage = [
      new Uint8Array([0xff, 0xff, 0xff]),
      new TextEncoder().encode('hello world, this is not protobuf'),
      new Uint8Array([0x62, 0x10, 0x0a]), // upsert field, length 16, truncated
      new Uint8Array([0x08, 0x01]), // a varint in field 1 (client_id is a string): no command
    ];
    for (const bytes of garbage) {
      let caught: unknown;
      try {
        decodeCommand(bytes);
      } catch (err) {
        caught = err;
      }
      expect(caught, `bytes ${Buffer.from(bytes).toString('hex')}`).toBeInstanceOf(RaftvecError);
      expect((caught as RaftvecError).code).toBe('INTERNAL');
      expect((caught as RaftvecError).message).toMatch(/cannot decode log command/);
    }
  });

  it('rejects a vector whose byte length is not a multiple of 4, and metadata that is not a JSON object', async () => {
    const protobuf = (await import('protobufjs')).default;
    const { protoDir } = await import('../../src/package-root.js');
    const root = protobuf.loadSync(`${protoDir()}/raftvec/v1/command.proto`);
    const T = root.lookupType('raftvec.v1.LogCommand');
    const enc = (o: object): Uint8Array => T.encode(T.fromObject(o)).finish();
    expect(() =>
      decodeCommand(
        enc({ upsert: { collection: 'c', points: [{ id: 'x', vectorF32: new Uint8Array(5) }] } }),
      ),
    ).toThrow(/not a multiple of 4/);
    expect(() =>
      decodeCommand(
        enc({
          upsert: {
            collection: 'c',
            points: [{ id: 'x', vectorF32: new Uint8Array(4), metadataJson: '[1]' }],
          },
        }),
      ),
    ).toThrow(/not a JSON object/);
    expect(() =>
      decodeCommand(
        enc({
          upsert: {
            collection: 'c',
            points: [{ id: 'x', vectorF32: new Uint8Array(4), metadataJson: '{' }],
          },
        }),
      ),
    ).toThrow(/not valid JSON/);
  });

  it('refuses to encode a session with a bad sequence', () => {
    expect(() =>
      encodeCommand({
        kind: 'dropCollection',
        name: 'x',
        session: { clientId: 'a', sequence: -1 },
      }),
    ).toThrow(RaftvecError);
    expect(() =>
      encodeCommand({
        kind: 'dropCollection',
        name: 'x',
        session: { clientId: 'a', sequence: 1.5 },
      }),
    ).toThrow(/non-negative integer/);
  });
});
