/**
 * Every bad input of the design brief ("Errors and bad input") against a real
 * node over real gRPC: the status code, a message that names the offending
 * thing, and nothing half-written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { RaftvecClient } from '../../src/client/client.js';
import { checkHealth } from '../../src/client/health.js';
import { loadVectorProto } from '../../src/api/proto.js';
import { RaftvecClientError } from '../../src/client/errors.js';
import type { VectorServiceClient } from '../../src/generated/raftvec/v1/VectorService.js';
import { limits } from '../../src/limits.js';
import { expectStatus } from '../support/expect-error.js';
import { startTestNode, type TestNode } from '../support/in-process.js';

let t: TestNode;
let client: RaftvecClient;
/** A raw generated client: sends exactly what a test builds, including what the SDK would not. */
let raw: VectorServiceClient;

const C = 'errs';
const rawCall = <Res>(method: string, req: unknown, options: grpc.CallOptions = {}): Promise<Res> =>
  new Promise((resolve, reject) => {
    const fn = (raw as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
    fn.call(
      raw,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + 30_000, ...options },
      (err: unknown, res: Res) => (err ? reject(err) : resolve(res)),
    );
  });

beforeAll(async () => {
  t = await startTestNode();
  client = new RaftvecClient(t.address, { retry: { maxAttempts: 1 } });
  const { proto } = loadVectorProto();
  raw = new proto.raftvec.v1.VectorService(t.address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  });
  await client.createCollection(C, { dimension: 3 });
  await client.upsert(C, [{ id: 'seed', vector: [1, 2, 3], metadata: { k: 'v' } }]);
});

afterAll(async () => {
  client?.close();
  raw?.close();
  await t?.close();
});

describe('vectors', () => {
  it('wrong dimension → INVALID_ARGUMENT naming the point and both sizes', async () => {
    await expectStatus(
      client.upsert(C, [{ id: 'short', vector: [0.1, 0.2] }]),
      'INVALID_ARGUMENT',
      '"short"',
      /2 values/,
      /dimension is 3/,
    );
  });

  it('a vector as float list or as float32 bytes is the same point; both, or bytes that are not whole floats → INVALID_ARGUMENT', async () => {
    const bytes = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
    const upsert = (req: unknown): Promise<unknown> =>
      rawCall('Upsert', req).catch((err: unknown) => {
        throw RaftvecClientError.fromServiceError('Upsert', err);
      });
    await upsert({
      collection: C,
      points: [
        { id: 'as-list', vector: [0.5, -1.25, 3] },
        { id: 'as-bytes', vectorF32: bytes([0.5, -1.25, 3]) },
      ],
    });
    const [asList, asBytes] = await client.get(C, ['as-list', 'as-bytes'], { withVector: true });
    expect([...asBytes!.vector!]).toEqual([0.5, -1.25, 3]);
    expect([...asBytes!.vector!]).toEqual([...asList!.vector!]);
    await expectStatus(
      upsert({
        collection: C,
        points: [{ id: 'twice', vector: [1, 2, 3], vectorF32: bytes([1, 2, 3]) }],
      }),
      'INVALID_ARGUMENT',
      '"twice"',
      /both vector and vector_f32/,
    );
    await expectStatus(
      upsert({ collection: C, points: [{ id: 'ragged', vectorF32: Buffer.alloc(10) }] }),
      'INVALID_ARGUMENT',
      '"ragged"',
      /10 bytes, not a whole number of float32/,
    );
    await expectStatus(
      upsert({
        collection: C,
        points: [{ id: 'short-bytes', vectorF32: bytes([1, 2]) }],
      }),
      'INVALID_ARGUMENT',
      /dimension is 3/,
    );
    await expectStatus(
      upsert({
        collection: C,
        points: [{ id: 'nan-bytes', vectorF32: bytes([1, NaN, 3]) }],
      }),
      'INVALID_ARGUMENT',
      /vector\[1\] is NaN/,
    );
    const [twice, ragged] = await client.get(C, ['twice', 'ragged']);
    expect(twice).toBeUndefined();
    expect(ragged).toBeUndefined();
  });

  it('a query as float list or as float32 bytes finds the same; both, or ragged bytes → INVALID_ARGUMENT', async () => {
    const bytes = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
    const search = (queries: unknown[]): Promise<{ results: { hits: { id: string }[] }[] }> =>
      rawCall<{ results: { hits: { id: string }[] }[] }>('Search', {
        collection: C,
        queries,
        k: 3,
      }).catch((err: unknown) => {
        throw RaftvecClientError.fromServiceError('Search', err);
      });
    const res = await search([{ values: [1, 2, 3] }, { valuesF32: bytes([1, 2, 3]) }]);
    expect(res.results[0]!.hits.map((h) => h.id)).toContain('seed');
    expect(res.results[1]!.hits).toEqual(res.results[0]!.hits);
    await expectStatus(
      search([{ values: [1, 2, 3] }, { values: [1, 2, 3], valuesF32: bytes([1, 2, 3]) }]),
      'INVALID_ARGUMENT',
      /query 1: both values and values_f32/,
    );
    await expectStatus(
      search([{ valuesF32: Buffer.alloc(10) }]),
      'INVALID_ARGUMENT',
      /query 0: values_f32 has 10 bytes/,
    );
    await expectStatus(search([{ valuesF32: bytes([1, 2]) }]), 'INVALID_ARGUMENT', /dimension/);
  });

  it('NaN → INVALID_ARGUMENT naming the component (NaN travels in a proto float)', async () => {
    await expectStatus(
      client.upsert(C, [{ id: 'nan', vector: [0.1, NaN, 0.3] }]),
      'INVALID_ARGUMENT',
      '"nan"',
      /vector\[1\] is NaN/,
    );
  });

  it('Infinity and -Infinity → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.upsert(C, [{ id: 'inf', vector: [0.1, 0.2, Infinity] }]),
      'INVALID_ARGUMENT',
      /vector\[2\] is Infinity/,
    );
    await expectStatus(
      client.upsert(C, [{ id: 'ninf', vector: new Float32Array([-Infinity, 0, 0]) }]),
      'INVALID_ARGUMENT',
      /vector\[0\] is -Infinity/,
    );
  });

  it('a component beyond ±1e15 (the poison value 1e16) → INVALID_ARGUMENT, nothing written, and the node still applies writes', async () => {
    await expectStatus(
      client.upsert(C, [
        { id: 'fine', vector: [1, 2, 3] },
        { id: 'poison', vector: [1e16, 0, 0] },
      ]),
      'INVALID_ARGUMENT',
      /point 1/,
      '"poison"',
      /vector\[0\] is 10000000272564224/,
      /from -1e15 to 1e15/,
    );
    expect(await client.get(C, ['fine', 'poison'])).toEqual([]);
    // the bound itself is a valid value, stored and searched like any other
    await client.upsert(C, [{ id: 'at-max', vector: [1e15, -1e15, 0] }]);
    const hits = await client.search(C, [1e15, -1e15, 0], { k: 1 });
    expect(hits.map((h) => h.id)).toEqual(['at-max']);
    await client.delete(C, ['at-max']);
  });

  it('a query component near float32 max → INVALID_ARGUMENT (it used to be INTERNAL)', async () => {
    await expectStatus(
      client.search(C, [3.4e38, 0, 0]),
      'INVALID_ARGUMENT',
      /query vector 0/,
      /vector\[0\] is 3\.\d+e\+38/,
      /1e15/,
    );
  });

  it('a query vector with NaN or the wrong dimension → INVALID_ARGUMENT', async () => {
    await expectStatus(client.search(C, [NaN, 0, 0]), 'INVALID_ARGUMENT', /query vector 0/, /NaN/);
    await expectStatus(
      client.search(C, [1, 2, 3, 4]),
      'INVALID_ARGUMENT',
      /query vector 0/,
      /4 values/,
      /dimension is 3/,
    );
  });
});

describe('ids', () => {
  it('empty id → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.upsert(C, [{ id: '', vector: [1, 2, 3] }]),
      'INVALID_ARGUMENT',
      /point 0/,
      /id is empty/,
    );
    await expectStatus(client.get(C, ['']), 'INVALID_ARGUMENT', /ids\[0\]/, /id is empty/);
    await expectStatus(client.delete(C, ['ok', '']), 'INVALID_ARGUMENT', /ids\[1\]/, /id is empty/);
  });

  it('a 10 KB id → INVALID_ARGUMENT with its size and the limit', async () => {
    const big = 'x'.repeat(10 * 1024);
    await expectStatus(
      client.upsert(C, [{ id: big, vector: [1, 2, 3] }]),
      'INVALID_ARGUMENT',
      /10240 bytes/,
      new RegExp(`limit is ${limits.maxPointIdBytes}`),
    );
    await expectStatus(client.get(C, [big]), 'INVALID_ARGUMENT', /10240 bytes/);
    await expectStatus(client.delete(C, [big]), 'INVALID_ARGUMENT', /10240 bytes/);
  });

  it('no ids → INVALID_ARGUMENT', async () => {
    await expectStatus(client.get(C, []), 'INVALID_ARGUMENT', /at least one point id/);
    await expectStatus(client.delete(C, []), 'INVALID_ARGUMENT', /at least one point id/);
  });
});

describe('batches are all or nothing', () => {
  it('one bad point rejects the whole batch, and nothing of it is written', async () => {
    const before = await client.count(C);
    const logBefore = t.node.stateMachine.appliedIndex;
    await expectStatus(
      client.upsert(C, [
        { id: 'good-1', vector: [1, 1, 1], metadata: { n: 1 } },
        { id: 'good-2', vector: [2, 2, 2], metadata: { n: 2 } },
        { id: 'bad-3', vector: [3, NaN, 3] },
        { id: 'good-4', vector: [4, 4, 4] },
      ]),
      'INVALID_ARGUMENT',
      /point 2/,
      '"bad-3"',
      /NaN/,
    );
    expect(await client.count(C)).toBe(before);
    expect(await client.get(C, ['good-1', 'good-2', 'bad-3', 'good-4'])).toEqual([]);
    // bad input never entered the log
    expect(t.node.stateMachine.appliedIndex).toBe(logBefore);
  });

  it('a duplicate id within one batch rejects the batch', async () => {
    await expectStatus(
      client.upsert(C, [
        { id: 'dup', vector: [1, 1, 1] },
        { id: 'dup', vector: [2, 2, 2] },
      ]),
      'INVALID_ARGUMENT',
      /point 1/,
      '"dup"',
      /also at point 0/,
    );
    expect(await client.get(C, ['dup'])).toEqual([]);
  });

  it('empty batch → INVALID_ARGUMENT', async () => {
    await expectStatus(client.upsert(C, []), 'INVALID_ARGUMENT', /at least one point/);
  });

  it('metadata with NaN (a google.protobuf.Value can carry it) → INVALID_ARGUMENT naming the key', async () => {
    await expectStatus(
      client.upsert(C, [
        { id: 'meta-nan', vector: [1, 2, 3], metadata: { stats: { score: NaN } } },
      ]),
      'INVALID_ARGUMENT',
      '"meta-nan"',
      /stats\.score/,
      /NaN/,
    );
    expect(await client.get(C, ['meta-nan'])).toEqual([]);
  });

  it('a google.protobuf.Value with no kind → INVALID_ARGUMENT naming the key', async () => {
    const err = await rawCall('Upsert', {
      collection: C,
      points: [{ id: 'kindless', vector: [1, 2, 3], metadata: { fields: { empty: {} } } }],
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toMatch(/"kindless"/);
    expect((err as grpc.ServiceError).details).toMatch(/key "empty" has no value/);
  });
});

describe('search parameters', () => {
  it('k = 0 → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.search(C, [1, 2, 3], { k: 0 }),
      'INVALID_ARGUMENT',
      /\bk must be an integer from 1 to 10000, got 0/,
    );
  });

  it('k = 1e9 → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.search(C, [1, 2, 3], { k: 1e9 }),
      'INVALID_ARGUMENT',
      new RegExp(`\\bk must be an integer from 1 to ${limits.maxK}, got 1000000000`),
    );
  });

  it('no query vectors → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.search(C, [] as number[][]),
      'INVALID_ARGUMENT',
      /at least one query vector/,
    );
  });

  it('bad filters → INVALID_ARGUMENT naming the condition', async () => {
    await expectStatus(
      client.search(C, [1, 2, 3], { filter: { must: [{ key: '', equals: 'x' }] } }),
      'INVALID_ARGUMENT',
      /filter\.must\[0\]/,
      /key is empty/,
    );
    await expectStatus(
      client.count(C, { filter: { must: [{ key: 'year', range: {} }] } }),
      'INVALID_ARGUMENT',
      /"year"/,
      /range needs at least one of/,
    );
    const err = await rawCall('Count', {
      collection: C,
      filter: { must: [{ key: 'tags', equals: { listValue: { values: [] } } }] },
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toMatch(
      /"tags".*must be a string, number or boolean/,
    );
  });

  it('queries × k above maxResultsPerSearch → INVALID_ARGUMENT naming both', async () => {
    const queries = Array.from({ length: 1024 }, () => [1, 2, 3]);
    await client.search(C, queries, { k: 16 }); // 16384: the limit
    await expectStatus(
      client.search(C, queries, { k: 17 }),
      'INVALID_ARGUMENT',
      /1024 queries × k=17 = 17408 results/,
      new RegExp(`limit is ${limits.maxResultsPerSearch}`),
    );
  });

  it('scroll limit above the maximum → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.scroll(C, { limit: limits.maxScrollLimit + 1 }),
      'INVALID_ARGUMENT',
      new RegExp(
        `limit must be an integer from 1 to ${limits.maxScrollLimit}, got ${limits.maxScrollLimit + 1}`,
      ),
    );
  });
});

describe('collections', () => {
  const missing = 'no-such-collection';

  it('an unknown collection → NOT_FOUND on every call, naming it', async () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['describe', () => client.describeCollection(missing)],
      ['drop', () => client.dropCollection(missing)],
      ['upsert', () => client.upsert(missing, [{ id: 'a', vector: [1, 2, 3] }])],
      ['delete', () => client.delete(missing, ['a'])],
      ['get', () => client.get(missing, ['a'])],
      ['search', () => client.search(missing, [1, 2, 3])],
      ['count', () => client.count(missing)],
      ['scroll', () => client.scroll(missing)],
    ];
    for (const [what, call] of calls) {
      const err = await expectStatus(call(), 'NOT_FOUND', `"${missing}"`);
      expect(err.message, what).toMatch(/does not exist/);
    }
  });

  it('creating a collection twice → ALREADY_EXISTS', async () => {
    await client.createCollection('twice', { dimension: 4 });
    await expectStatus(
      client.createCollection('twice', { dimension: 4 }),
      'ALREADY_EXISTS',
      '"twice"',
      /already exists/,
    );
    // a different spec is still the same name
    await expectStatus(
      client.createCollection('twice', { dimension: 8, metric: 'ip' }),
      'ALREADY_EXISTS',
      '"twice"',
    );
    expect((await client.describeCollection('twice')).dimension).toBe(4);
  });

  it.each(['../x', '..', 'a/b', '.hidden', 'has space', 'x'.repeat(200), '-dash-first', 'é'])(
    'collection name %j → INVALID_ARGUMENT on create and on reads',
    async (name) => {
      const shown = name.length > 128 ? /200 characters/ : JSON.stringify(name);
      await expectStatus(
        client.createCollection(name, { dimension: 3 }),
        'INVALID_ARGUMENT',
        /collection name/,
        shown,
      );
      await expectStatus(client.describeCollection(name), 'INVALID_ARGUMENT', /collection name/);
      await expectStatus(
        client.upsert(name, [{ id: 'a', vector: [1, 2, 3] }]),
        'INVALID_ARGUMENT',
        /collection name/,
      );
    },
  );

  it('empty collection name → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.createCollection('', { dimension: 3 }),
      'INVALID_ARGUMENT',
      /collection name is empty/,
    );
  });

  it('bad dimension, index spec or metric → INVALID_ARGUMENT', async () => {
    await expectStatus(
      client.createCollection('dim0', { dimension: 0 }),
      'INVALID_ARGUMENT',
      /dimension/,
      /got 0/,
    );
    await expectStatus(
      client.createCollection('dimhuge', { dimension: limits.maxDimension + 1 }),
      'INVALID_ARGUMENT',
      /dimension must be an integer from 1 to/,
    );
    await expectStatus(
      client.createCollection('badspec', { dimension: 3, indexSpec: 'Flat; rm -rf /' }),
      'INVALID_ARGUMENT',
      /index spec/,
    );
    await expectStatus(
      client.createCollection('hnswhuge', { dimension: 4, indexSpec: 'HNSW65536' }),
      'INVALID_ARGUMENT',
      /"HNSW65536"/,
      /HNSW M \(links per node\) is 65536; the allowed range is 4 to 128/,
    );
    await expectStatus(
      client.createCollection('pqbad', { dimension: 8, indexSpec: 'IVF16,PQ3' }),
      'INVALID_ARGUMENT',
      /sub-quantizers m is 3, which does not divide the dimension 8/,
    );
    await expectStatus(client.describeCollection('hnswhuge'), 'NOT_FOUND');
    const err = await rawCall('CreateCollection', {
      name: 'badmetric',
      dimension: 3,
      metric: 7,
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toMatch(/unknown metric 7/);
    await expectStatus(client.describeCollection('badmetric'), 'NOT_FOUND');
  });

  it('a write session with client_id but sequence 0 → INVALID_ARGUMENT', async () => {
    const err = await rawCall('Upsert', {
      collection: C,
      points: [{ id: 'seq0', vector: [1, 2, 3] }],
      options: { clientId: 'someone', sequence: 0 },
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((err as grpc.ServiceError).details).toMatch(/sequence must be an integer from 1/);
  });
});

describe('malformed requests', () => {
  it('bytes that are not a protobuf message → INVALID_ARGUMENT, and the server keeps serving', async () => {
    const plain = new grpc.Client(t.address, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        plain.makeUnaryRequest(
          '/raftvec.v1.VectorService/Upsert',
          (b: Buffer) => b,
          (b: Buffer) => b,
          // field 15 with wire type 7, which does not exist
          Buffer.from([0x7f, 0x01]),
          { deadline: Date.now() + 10_000 },
          (e) => (e ? resolve(e) : reject(new Error('garbage was accepted'))),
        );
      });
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toMatch(/Upsert request is not a valid protobuf message/);
    } finally {
      plain.close();
    }
    expect(await client.count(C)).toBeGreaterThan(0);
  });

  it('metadata nested 40 levels deep → INVALID_ARGUMENT', async () => {
    let value: Record<string, unknown> = { stringValue: 'bottom' };
    for (let i = 0; i < 40; i++) value = { structValue: { fields: { d: value } } };
    const err = await rawCall('Upsert', {
      collection: C,
      points: [{ id: 'deep', vector: [1, 2, 3], metadata: { fields: { root: value } } }],
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code, (err as grpc.ServiceError).details).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect((err as grpc.ServiceError).details).toMatch(/"deep"/);
    expect((err as grpc.ServiceError).details).toMatch(/nested deeper than/);
    expect(await client.get(C, ['deep'])).toEqual([]);
  });

  it('a hand-made message nested 5000 levels deep → INVALID_ARGUMENT, no crash', async () => {
    // protobufjs refuses to encode this, so build the bytes by hand
    const varint = (n: number): number[] => {
      const out: number[] = [];
      while (n > 0x7f) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      return out;
    };
    const field = (tag: number, body: Buffer): Buffer =>
      Buffer.concat([Buffer.from([tag, ...varint(body.length)]), body]);
    let value = field(0x1a, Buffer.from('x')); // Value.string_value
    for (let i = 0; i < 5000; i++) {
      const entry = Buffer.concat([field(0x0a, Buffer.from('d')), field(0x12, value)]); // map entry key, value
      value = field(0x2a, field(0x0a, entry)); // Value.struct_value = Struct{fields: [entry]}
    }
    const point = Buffer.concat([
      field(0x0a, Buffer.from('deep2')),
      field(0x12, Buffer.from(new Float32Array([1, 2, 3]).buffer)),
      field(
        0x1a,
        field(0x0a, Buffer.concat([field(0x0a, Buffer.from('root')), field(0x12, value)])),
      ),
    ]);
    const request = Buffer.concat([field(0x0a, Buffer.from(C)), field(0x12, point)]);
    const plain = new grpc.Client(t.address, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        plain.makeUnaryRequest(
          '/raftvec.v1.VectorService/Upsert',
          (b: Buffer) => b,
          (b: Buffer) => b,
          request,
          { deadline: Date.now() + 10_000 },
          (e) => (e ? resolve(e) : reject(new Error('accepted'))),
        );
      });
      expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err.details).toMatch(/not a valid protobuf message: maximum nesting depth exceeded/);
    } finally {
      plain.close();
    }
    expect(await checkHealth(t.address)).toBe('SERVING');
  });
});

describe('message size', () => {
  it('a 100 MB message → RESOURCE_EXHAUSTED, and the server keeps serving', async () => {
    const countBefore = await client.count(C);
    const blob = 'x'.repeat(100 * 1024 * 1024);
    const err = await rawCall('Upsert', {
      collection: C,
      points: [
        { id: 'huge', vector: [1, 2, 3], metadata: { fields: { blob: { stringValue: blob } } } },
      ],
    }).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code, String((err as grpc.ServiceError).details)).toBe(
      grpc.status.RESOURCE_EXHAUSTED,
    );
    expect((err as grpc.ServiceError).details).toMatch(/larger than max/i);

    // still serving, nothing written
    expect(await checkHealth(t.address)).toBe('SERVING');
    expect(await client.count(C)).toBe(countBefore);
    expect(await client.get(C, ['huge'])).toEqual([]);
    await client.upsert(C, [{ id: 'after-huge', vector: [7, 8, 9] }]);
    expect((await client.get(C, ['after-huge'])).map((p) => p.id)).toEqual(['after-huge']);
  });

  it('the SDK refuses to send more than the limit (RESOURCE_EXHAUSTED) without reaching the server', async () => {
    await expectStatus(
      client.get(C, ['y'.repeat(limits.maxMessageBytes + 1)]),
      'RESOURCE_EXHAUSTED',
    );
  });
});
