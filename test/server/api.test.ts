/**
 * Happy paths of the client API through RaftvecClient against a real node
 * (real gRPC on 127.0.0.1, real LevelDB), plus health, reflection and write
 * deduplication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RaftvecClient } from '../../src/client/client.js';
import { checkHealth } from '../../src/client/health.js';
import { loadVectorProto } from '../../src/api/proto.js';
import type { VectorServiceClient } from '../../src/generated/raftvec/v1/VectorService.js';
import type { WriteResponse__Output } from '../../src/generated/raftvec/v1/WriteResponse.js';
import { expectStatus } from '../support/expect-error.js';
import { startTestNode, type TestNode } from '../support/in-process.js';

let t: TestNode;
let client: RaftvecClient;

beforeAll(async () => {
  t = await startTestNode();
  client = new RaftvecClient(t.address);
});

afterAll(async () => {
  client?.close();
  await t?.close();
});

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

describe('reference scenario', () => {
  it('insert vec1 with metadata, then a search for it returns vec1 first with its metadata', async () => {
    const created = await client.createCollection('reference', { dimension: 3 });
    expect(created.collection).toEqual({
      name: 'reference',
      dimension: 3,
      metric: 'l2',
      indexSpec: 'Flat',
      pointCount: 0,
      payloadIndexes: [],
    });
    expect(created.logIndex).toBeGreaterThan(0);

    const w = await client.upsert('reference', [
      { id: 'vec1', vector: [0.1, 0.2, 0.3], metadata: { source: 'docA' } },
    ]);
    expect(w.upserted).toBe(1);
    expect(w.logIndex).toBeGreaterThan(created.logIndex);
    await client.upsert('reference', [
      { id: 'vec2', vector: [0.9, 0.1, 0.0], metadata: { source: 'docB' } },
      { id: 'vec3', vector: [-0.5, 0.4, 0.8], metadata: { source: 'docC' } },
    ]);

    const hits = await client.search('reference', [0.1, 0.2, 0.3], { k: 3 });
    expect(hits.map((h) => h.id)).toHaveLength(3);
    expect(hits[0]).toMatchObject({ id: 'vec1', metadata: { source: 'docA' } });
    expect(hits[0]!.score).toBeCloseTo(0, 6);
    expect(hits[1]!.score).toBeGreaterThanOrEqual(hits[0]!.score);
  });
});

describe('collections', () => {
  it('create with each metric and index spec, list, describe, drop', async () => {
    await client.createCollection('m-ip', { dimension: 2, metric: 'ip' });
    await client.createCollection('m-cos', { dimension: 2, metric: 'cosine', indexSpec: 'Flat' });
    const names = (await client.listCollections()).map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['m-ip', 'm-cos']));
    expect(await client.describeCollection('m-cos')).toEqual({
      name: 'm-cos',
      dimension: 2,
      metric: 'cosine',
      indexSpec: 'Flat',
      pointCount: 0,
      payloadIndexes: [],
    });
    expect((await client.describeCollection('m-ip')).metric).toBe('ip');

    const drop = await client.dropCollection('m-ip');
    expect(drop.logIndex).toBeGreaterThan(0);
    await expectStatus(client.describeCollection('m-ip'), 'NOT_FOUND', '"m-ip"');
    expect((await client.listCollections()).map((c) => c.name)).not.toContain('m-ip');
    // the name can be used again
    await client.createCollection('m-ip', { dimension: 5, metric: 'ip' });
    expect((await client.describeCollection('m-ip')).dimension).toBe(5);
  });

  it('cosine: scores are inner products of normalized vectors', async () => {
    await client.upsert('m-cos', [
      { id: 'east', vector: [10, 0] },
      { id: 'north', vector: [0, 3] },
    ]);
    const hits = await client.search('m-cos', [1, 0.01], { k: 2 });
    expect(hits[0]!.id).toBe('east');
    expect(hits[0]!.score).toBeCloseTo(1, 3);
  });
});

describe('points', () => {
  const C = 'points';
  const metadataOf = (i: number) => ({
    source: i % 2 === 0 ? 'even' : 'odd',
    n: i,
    tags: ['t', `t${i}`],
    nested: { deep: { flag: i % 3 === 0, nothing: null } },
    'ünïcode key': 'välue ✓',
  });

  beforeAll(async () => {
    await client.createCollection(C, { dimension: 4 });
    await client.upsert(
      C,
      Array.from({ length: 20 }, (_, i) => ({
        id: `p${String(i).padStart(2, '0')}`,
        vector: f32([i, i / 3, -i, Math.PI * i]),
        metadata: metadataOf(i),
      })),
    );
  });

  it('get returns the points that exist, in the order asked, vectors bit-exact', async () => {
    const got = await client.get(C, ['p05', 'missing', 'p01']);
    expect(got.map((p) => p.id)).toEqual(['p05', 'p01']);
    expect(got[0]!.vector).toEqual(f32([5, 5 / 3, -5, Math.PI * 5]));
    expect(
      Buffer.from(got[0]!.vector!.buffer).equals(
        Buffer.from(f32([5, 5 / 3, -5, Math.PI * 5]).buffer),
      ),
    ).toBe(true);
    expect(got[0]!.metadata).toEqual(metadataOf(5));
  });

  it('get can leave out vectors or metadata', async () => {
    const [noVec] = await client.get(C, ['p02'], { withVector: false });
    expect(noVec).toEqual({ id: 'p02', metadata: metadataOf(2) });
    const [noMeta] = await client.get(C, ['p02'], { withMetadata: false });
    expect(noMeta!.metadata).toBeUndefined();
    expect(noMeta!.vector).toHaveLength(4);
  });

  it('upsert replaces a point (vector and metadata)', async () => {
    await client.upsert(C, [{ id: 'p19', vector: [0, 0, 0, 1], metadata: { replaced: true } }]);
    const [p] = await client.get(C, ['p19']);
    expect(p).toEqual({ id: 'p19', vector: f32([0, 0, 0, 1]), metadata: { replaced: true } });
    expect(await client.count(C)).toBe(20);
  });

  it('search with k, withVector, and several query vectors', async () => {
    const hits = await client.search(C, [3, 1, -3, Math.PI * 3], { k: 2, withVector: true });
    expect(hits).toHaveLength(2);
    expect(hits[0]!.id).toBe('p03');
    expect(hits[0]!.vector).toEqual(f32([3, 1, -3, Math.PI * 3]));

    const many = await client.search(
      C,
      [f32([1, 1 / 3, -1, Math.PI]), [7, 7 / 3, -7, Math.PI * 7]],
      { k: 1 },
    );
    expect(many.map((r) => r.map((h) => h.id))).toEqual([['p01'], ['p07']]);
  });

  it('search with filters: equals, in, range, nested keys', async () => {
    const q = [10, 10 / 3, -10, Math.PI * 10];
    const odd = await client.search(C, q, {
      k: 3,
      filter: { must: [{ key: 'source', equals: 'odd' }] },
    });
    // p09 and p11 are equally close to p10; then p07 (p13 is as close; either may come third)
    expect(
      odd
        .slice(0, 2)
        .map((h) => h.id)
        .sort(),
    ).toEqual(['p09', 'p11']);
    expect(odd.every((h) => (h.metadata as { source: string }).source === 'odd')).toBe(true);
    expect(odd).toHaveLength(3);

    const inSet = await client.search(C, q, {
      k: 10,
      filter: { must: [{ key: 'n', in: [2, 4, 99] }] },
    });
    expect(inSet.map((h) => h.id).sort()).toEqual(['p02', 'p04']);

    const ranged = await client.search(C, q, {
      k: 10,
      filter: {
        must: [
          { key: 'n', range: { gte: 5, lt: 8 } },
          { key: 'nested.deep.flag', equals: true },
        ],
      },
    });
    expect(ranged.map((h) => h.id)).toEqual(['p06']);
  });

  it('count with and without a filter', async () => {
    expect(await client.count(C)).toBe(20);
    expect(await client.count(C, { filter: { must: [{ key: 'source', equals: 'even' }] } })).toBe(
      10,
    );
    expect(await client.count(C, { filter: { must: [{ key: 'n', range: { gt: 100 } }] } })).toBe(0);
  });

  it('scroll pages through every point in id order', async () => {
    const seen: string[] = [];
    let afterId: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await client.scroll(C, {
        limit: 6,
        withVector: false,
        ...(afterId !== undefined && { afterId }),
      });
      pages++;
      seen.push(...page.points.map((p) => p.id));
      expect(page.points.every((p) => p.vector === undefined && p.metadata !== undefined)).toBe(
        true,
      );
      if (page.nextAfterId === undefined) break;
      afterId = page.nextAfterId;
    }
    expect(pages).toBe(4);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}`));

    const filtered = await client.scroll(C, {
      filter: { must: [{ key: 'source', equals: 'odd' }] },
    });
    expect(filtered.points).toHaveLength(9); // p19 lost its metadata when it was replaced
    expect(filtered.nextAfterId).toBeUndefined();
  });

  it('delete removes points; missing ids are ignored', async () => {
    const d = await client.delete(C, ['p00', 'p01', 'not-there']);
    expect(d.deleted).toBe(2);
    expect(await client.get(C, ['p00', 'p01'])).toEqual([]);
    expect(await client.count(C)).toBe(18);
    const hits = await client.search(C, [0, 0, 0, 0], { k: 1 });
    expect(hits[0]!.id).not.toBe('p00');
    expect((await client.describeCollection(C)).pointCount).toBe(18);
  });

  it('write concern "all" is accepted (one node: same as majority)', async () => {
    const w = await client.upsert(C, [{ id: 'wc-all', vector: [1, 1, 1, 1] }], {
      writeConcern: 'all',
    });
    expect(w.upserted).toBe(1);
    expect((await client.get(C, ['wc-all'])).map((p) => p.id)).toEqual(['wc-all']);
  });
});

describe('health and reflection', () => {
  it('health: SERVING overall and for raftvec.v1.VectorService; unknown services NOT_FOUND', async () => {
    expect(await checkHealth(t.address)).toBe('SERVING');
    expect(await checkHealth(t.address, 'raftvec.v1.VectorService')).toBe('SERVING');
    await expectStatus(checkHealth(t.address, 'no.such.Service'), 'NOT_FOUND');
  });

  it('reflection lists raftvec.v1.VectorService and ClusterService and serves their descriptors', async () => {
    const require = createRequire(import.meta.url);
    const reflectionDir = join(
      require.resolve('@grpc/reflection/package.json'),
      '..',
      'build',
      'proto',
    );
    const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [reflectionDir],
      keepCase: true,
      defaults: true,
      oneofs: true,
    });
    type Stream = grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: {
        reflection: {
          v1: {
            ServerReflection: new (
              a: string,
              c: grpc.ChannelCredentials,
            ) => grpc.Client & { ServerReflectionInfo(): Stream };
          };
        };
      };
    };
    const rc = new pkg.grpc.reflection.v1.ServerReflection(
      t.address,
      grpc.credentials.createInsecure(),
    );
    const ask = (req: Record<string, unknown>): Promise<Record<string, unknown>> =>
      new Promise((resolve, reject) => {
        const call = rc.ServerReflectionInfo();
        call.on('data', (res: Record<string, unknown>) => {
          resolve(res);
          call.end();
        });
        call.on('error', reject);
        call.write(req);
      });
    try {
      const list = (await ask({ list_services: '*' })) as {
        list_services_response: { service: Array<{ name: string }> };
      };
      const services = list.list_services_response.service.map((s) => s.name);
      expect(services).toContain('raftvec.v1.VectorService');
      expect(services).toContain('grpc.health.v1.Health');
      expect(services).toContain('raftvec.v1.ClusterService');

      const file = (await ask({ file_containing_symbol: 'raftvec.v1.VectorService' })) as {
        file_descriptor_response: { file_descriptor_proto: Buffer[] };
      };
      const blobs = file.file_descriptor_response.file_descriptor_proto.map((b) =>
        Buffer.from(b).toString('latin1'),
      );
      expect(blobs.some((b) => b.includes('VectorService') && b.includes('Upsert'))).toBe(true);
    } finally {
      rc.close();
    }
  });
});

describe('write deduplication (client id + sequence)', () => {
  const C = 'dedup';
  let raw: VectorServiceClient;
  const send = <Res>(method: 'Upsert' | 'Delete', req: unknown): Promise<Res> =>
    new Promise((resolve, reject) => {
      const fn = (raw as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
      fn.call(raw, req, (err: unknown, res: Res) => (err ? reject(err) : resolve(res)));
    });

  beforeAll(async () => {
    await client.createCollection(C, { dimension: 2 });
    const { proto } = loadVectorProto();
    raw = new proto.raftvec.v1.VectorService(t.address, grpc.credentials.createInsecure());
  });
  afterAll(() => raw?.close());

  it('the same (client id, sequence) sent twice is applied once', async () => {
    const upsert1 = {
      collection: C,
      points: [{ id: 'a', vector: [1, 2] }],
      options: { clientId: 'dedup-client', sequence: 1 },
    };
    const first = await send<WriteResponse__Output>('Upsert', upsert1);
    expect(first.upserted).toBe(1);
    const del = await send<WriteResponse__Output>('Delete', {
      collection: C,
      ids: ['a'],
      options: { clientId: 'dedup-client', sequence: 2 },
    });
    expect(del.deleted).toBe(1);

    // a late retry of the first upsert: refused with the reason, not applied again
    await expect(send<WriteResponse__Output>('Upsert', upsert1)).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringMatching(/sequence 1, but its last applied write was sequence 2/),
    });
    expect(await client.get(C, ['a'])).toEqual([]);
    expect(await client.count(C)).toBe(0);

    // an immediate duplicate of the last write gets the original result
    const again = await send<WriteResponse__Output>('Delete', {
      collection: C,
      ids: ['a'],
      options: { clientId: 'dedup-client', sequence: 2 },
    });
    expect(again.deleted).toBe(1);
  });

  it('writes without a client id are not deduplicated', async () => {
    const req = { collection: C, points: [{ id: 'b', vector: [1, 1] }] };
    await send('Upsert', req);
    await client.delete(C, ['b']);
    await send('Upsert', req);
    expect((await client.get(C, ['b'])).map((p) => p.id)).toEqual(['b']);
  });

  it('concurrent writes from one client are all applied (sent in sequence order)', async () => {
    const c = new RaftvecClient(t.address);
    try {
      const writes = Array.from({ length: 40 }, (_, i) =>
        c.upsert(C, [{ id: `c${i}`, vector: [i, -i] }]),
      );
      const results = await Promise.all(writes);
      const indexes = results.map((r) => r.logIndex);
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      expect(new Set(indexes).size).toBe(40);
      expect(
        await client.get(
          C,
          Array.from({ length: 40 }, (_, i) => `c${i}`),
        ),
      ).toHaveLength(40);
      expect(c.lastSequence).toBe(40);
    } finally {
      c.close();
    }
  });

  it('a new client instance reusing a client id keeps its writes (sequences start above the old ones)', async () => {
    const a = new RaftvecClient(t.address, { clientId: 'stable-id' });
    await a.upsert(C, [{ id: 'from-a', vector: [1, 0] }]);
    a.close();
    const b = new RaftvecClient(t.address, { clientId: 'stable-id' });
    try {
      await b.upsert(C, [{ id: 'from-b', vector: [0, 1] }]);
      expect(b.lastSequence).toBeGreaterThan(a.lastSequence);
      expect((await client.get(C, ['from-a', 'from-b'])).map((p) => p.id)).toEqual([
        'from-a',
        'from-b',
      ]);
    } finally {
      b.close();
    }
  });
});

describe('node lifecycle', () => {
  it('stop() is graceful and a restart on the same data dir has everything', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'raftvec-lifecycle-'));
    try {
      const a = await startTestNode({ dataDir: dir });
      const ca = new RaftvecClient(a.address);
      await ca.createCollection('life', { dimension: 2 });
      const w = await ca.upsert('life', [
        { id: 'x', vector: [0.5, 0.25], metadata: { k: [1, 'two', null] } },
      ]);
      ca.close();
      await a.close();
      await expectStatus(
        new RaftvecClient(a.address, { retry: { maxAttempts: 1 }, deadlineMs: 2_000 }).count(
          'life',
        ),
        'UNAVAILABLE',
      );

      const b = await startTestNode({ dataDir: dir });
      const cb = new RaftvecClient(b.address);
      try {
        expect(await cb.get('life', ['x'])).toEqual([
          { id: 'x', vector: f32([0.5, 0.25]), metadata: { k: [1, 'two', null] } },
        ]);
        // Nothing was applied twice or skipped; the restarted node's new term adds its
        // no-op entry (Raft §8) after the last acknowledged write.
        expect(b.node.stateMachine.appliedIndex).toBeGreaterThanOrEqual(w.logIndex);
        const w2 = await cb.upsert('life', [{ id: 'y', vector: [1, 1] }]);
        expect(w2.logIndex).toBe(w.logIndex + 2);
      } finally {
        cb.close();
        await b.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
