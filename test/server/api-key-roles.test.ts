/**
 * The API key table (src/server/api-keys.ts): which role each method needs, and what
 * a call with each kind of key gets, before any server is involved.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ApiKeys, generateApiKey, requiredRole } from '../../src/server/api-keys.js';
import { PEER_ID_HEADER, PEER_KEY_HEADER } from '../../src/raft/runtime/peer-transport.js';
import { loadVectorProto } from '../../src/api/proto.js';

const reader = generateApiKey('reader', 'read');
const writer = generateApiKey('writer', 'write');
const admin = generateApiKey('admin', 'admin');
const keys = new ApiKeys([reader.entry, writer.entry, admin.entry]);

const withKey = (key: string | undefined, header = 'authorization'): grpc.Metadata => {
  const m = new grpc.Metadata();
  if (key !== undefined) m.set(header, header === 'authorization' ? `Bearer ${key}` : key);
  return m;
};

describe('API key roles', () => {
  it('names a role for every VectorService method, and leaves health and Raft peers open', () => {
    const { proto } = loadVectorProto();
    const methods = Object.values(proto.raftvec.v1.VectorService.service).map((m) => m.path);
    const byRole = (role: string) => methods.filter((p) => requiredRole(p) === role).length;
    expect(byRole('read') + byRole('write') + byRole('admin')).toBe(methods.length);
    expect(requiredRole('/raftvec.v1.VectorService/Search')).toBe('read');
    expect(requiredRole('/raftvec.v1.VectorService/UpdateBatch')).toBe('write');
    expect(requiredRole('/raftvec.v1.VectorService/CreatePayloadIndex')).toBe('admin');
    expect(requiredRole('/raftvec.v1.VectorService/SomethingNew')).toBe('admin');
    expect(requiredRole('/raftvec.v1.ClusterService/TakeSnapshot')).toBe('admin');
    expect(requiredRole('/grpc.health.v1.Health/Check')).toBeUndefined();
    expect(requiredRole('/raftvec.v1.RaftPeer/Deliver')).toBeUndefined();
    expect(requiredRole('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo')).toBe('read');
  });

  it('admits each role to its methods and refuses the others with the right code', () => {
    const cases: Array<[string, string | undefined, number | 'ok']> = [
      ['/raftvec.v1.VectorService/Search', reader.key, 'ok'],
      ['/raftvec.v1.VectorService/Upsert', reader.key, grpc.status.PERMISSION_DENIED],
      ['/raftvec.v1.VectorService/Upsert', writer.key, 'ok'],
      ['/raftvec.v1.VectorService/CreateCollection', writer.key, grpc.status.PERMISSION_DENIED],
      ['/raftvec.v1.VectorService/CreateCollection', admin.key, 'ok'],
      ['/raftvec.v1.ClusterService/RemoveMember', admin.key, 'ok'],
      ['/raftvec.v1.VectorService/Search', undefined, grpc.status.UNAUTHENTICATED],
      ['/raftvec.v1.VectorService/Search', 'rvk_not-a-key', grpc.status.UNAUTHENTICATED],
      ['/grpc.health.v1.Health/Check', undefined, 'ok'],
    ];
    for (const [path, key, expected] of cases) {
      const verdict = keys.check(path, withKey(key));
      expect(
        verdict.ok ? 'ok' : verdict.code,
        `${path} with ${key === undefined ? 'no key' : key.slice(0, 8)}`,
      ).toBe(expected);
      if (!verdict.ok && key !== undefined) {
        expect(verdict.message).not.toContain(key);
        for (const { entry } of [reader, writer, admin])
          expect(verdict.message).not.toContain(entry.sha256);
      }
    }
    expect(
      keys.check('/raftvec.v1.VectorService/Search', withKey(reader.key, 'api-key')),
    ).toMatchObject({
      ok: true,
      role: 'read',
    });
  });

  it("lets a node's own cluster calls through on their peer key, for the handler to check", () => {
    const m = new grpc.Metadata();
    m.set(PEER_ID_HEADER, 'n4');
    m.set(PEER_KEY_HEADER, 'ab'.repeat(32));
    expect(keys.check('/raftvec.v1.ClusterService/AddMember', m)).toEqual({ ok: true });
    // Not for the read-only cluster calls (their handlers check no peer key), nor for
    // the client API: a peer key is no API key.
    expect(keys.check('/raftvec.v1.ClusterService/Status', m)).toMatchObject({
      ok: false,
      code: grpc.status.UNAUTHENTICATED,
    });
    expect(keys.check('/raftvec.v1.VectorService/Search', m)).toMatchObject({
      ok: false,
      code: grpc.status.UNAUTHENTICATED,
    });
  });
});
