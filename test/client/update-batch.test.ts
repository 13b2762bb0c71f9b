/**
 * UpdateBatch through RaftvecClient.updateBatch (and the raw call where the SDK would
 * not send what a test needs), against one in-process node over real gRPC: operations
 * applied in order, each seeing the ones before it, all of them or none; the first
 * refusal names its operation; bad shapes refused before anything is applied; and a
 * batch resent with its client id and sequence is applied once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RaftvecClient,
  Transport,
  type BatchOperationInput,
  type UpsertPoint,
} from '../../src/client/index.js';
import { limits } from '../../src/limits.js';
import type { UpdateBatchRequest } from '../../src/generated/raftvec/v1/UpdateBatchRequest.js';
import { expectStatus } from '../support/expect-error.js';
import { startTestNode, type TestNode } from '../support/in-process.js';

let t: TestNode;
let client: RaftvecClient;
/** Sends requests as built (no SDK checks, no session of its own), one attempt each. */
let transport: Transport;

const ids = (points: ReadonlyArray<{ id: string }>): string[] => points.map((p) => p.id);
const noop = { upserted: 0, deleted: 0, updated: 0 };

/** The metadata of the points of `collection` that exist, by id. */
async function metadataById(
  collection: string,
  pointIds: string[],
): Promise<Record<string, unknown>> {
  const points = await client.get(collection, pointIds, { withVector: false });
  return Object.fromEntries(points.map((p) => [p.id, p.metadata]));
}

const sendRaw = (request: UpdateBatchRequest) =>
  transport.unary('UpdateBatch', request, new Date(Date.now() + 10_000));

beforeAll(async () => {
  t = await startTestNode();
  client = new RaftvecClient(t.address, { retry: { maxAttempts: 1 } });
  transport = new Transport(t.address, { retry: { maxAttempts: 1 } });
});

afterAll(async () => {
  client?.close();
  transport?.close();
  await t?.close();
});

describe('a batch applies its operations in order, each seeing the ones before', () => {
  const C = 'batch-order';
  beforeAll(async () => {
    await client.createCollection(C, { dimension: 2 });
    await client.upsert(C, [{ id: 'old', vector: [9, 9], metadata: { color: 'blue' } }]);
  });

  it('upserts, sets payload on a point upserted in the same batch, deletes by filter', async () => {
    const res = await client.updateBatch(C, [
      {
        upsert: [
          { id: 'a', vector: [0, 0], metadata: { color: 'red', n: 1 } },
          { id: 'b', vector: [1, 0], metadata: { color: 'green', n: 2 } },
          { id: 'c', vector: [2, 0], metadata: { color: 'blue', n: 3 } },
        ],
      },
      // 'a' exists only because operation 0 upserted it
      { setPayload: { points: ['a'], payload: { seen: true } } },
      // 'c' (from this batch) and 'old' (from before) are blue
      { delete: { filter: { must: [{ key: 'color', equals: 'blue' }] } } },
      // matches 'a' only because operation 1 set `seen`
      {
        overwritePayload: {
          points: { filter: { must: [{ key: 'seen', equals: true }] } },
          payload: { color: 'red', seen: true, draft: 'x' },
        },
      },
      { deletePayloadKeys: { points: ['a'], keys: ['draft'] } },
    ]);
    expect(res.results).toEqual([
      { ...noop, upserted: 3 },
      { ...noop, updated: 1 },
      { ...noop, deleted: 2 },
      { ...noop, updated: 1 },
      { ...noop, updated: 1 },
    ]);
    expect(res.logIndex).toBeGreaterThan(0);
    // One log entry: the client's session has seen it.
    expect(client.session.token).toBeGreaterThanOrEqual(res.logIndex);

    expect(await client.count(C)).toBe(2);
    expect(await metadataById(C, ['a', 'b', 'c', 'old'])).toEqual({
      a: { color: 'red', seen: true },
      b: { color: 'green', n: 2 },
    });
  });

  it('the index sees the net effect: a point upserted then deleted in one batch is never found', async () => {
    const res = await client.updateBatch(C, [
      { upsert: [{ id: 'tmp', vector: [0.1, 0] }] },
      { delete: ['tmp', 'b'] },
      { upsert: [{ id: 'b', vector: new Float32Array([5, 5]), metadata: { back: true } }] },
    ]);
    expect(res.results).toEqual([
      { ...noop, upserted: 1 },
      { ...noop, deleted: 2 },
      { ...noop, upserted: 1 },
    ]);
    const hits = await client.search(C, [0, 0], { k: 10 });
    expect(ids(hits).sort()).toEqual(['a', 'b']);
    expect(await client.get(C, ['b'])).toEqual([
      { id: 'b', vector: new Float32Array([5, 5]), metadata: { back: true } },
    ]);
  });
});

describe('all or none: the first refusal refuses the whole batch', () => {
  const C = 'batch-atomic';
  const SEED: UpsertPoint[] = [
    { id: 's1', vector: [0, 1], metadata: { tag: 'keep' } },
    { id: 's2', vector: [1, 1], metadata: { tag: 'keep' } },
  ];
  beforeAll(async () => {
    await client.createCollection(C, { dimension: 2 });
    await client.upsert(C, SEED);
  });

  /** The collection is exactly as seeded. */
  async function unchanged(): Promise<void> {
    expect(await client.count(C)).toBe(2);
    expect(await client.get(C, ['s1', 's2', 'n1', 'n2'])).toEqual(
      SEED.map((p) => ({ ...p, vector: Float32Array.from(p.vector) })),
    );
  }

  it('a third operation on a missing id → NOT_FOUND naming operation 2, and nothing changes', async () => {
    const err = await expectStatus(
      client.updateBatch(C, [
        {
          upsert: [
            { id: 'n1', vector: [2, 2] },
            { id: 'n2', vector: [3, 3] },
          ],
        },
        { delete: ['s1'] },
        { setPayload: { points: ['ghost'], payload: { x: 1 } } },
        { delete: ['s2'] },
      ]),
      'NOT_FOUND',
      '"ghost"',
    );
    expect(err.message).toMatch(/^operation 2: /);
    await unchanged();
    expect(await client.search(C, [2, 2], { k: 5 }).then(ids)).not.toContain('n1');
  });

  it('a refusal found while applying (payload made too large) → refused whole, naming its operation', async () => {
    const big = 'x'.repeat(limits.maxMetadataBytes / 2);
    const err = await expectStatus(
      client.updateBatch(C, [
        { upsert: [{ id: 'n1', vector: [2, 2] }] },
        { setPayload: { points: ['s1'], payload: { a: big } } },
        { setPayload: { points: ['s1'], payload: { b: big } } },
      ]),
      'INVALID_ARGUMENT',
      '"s1"',
      `limit is ${limits.maxMetadataBytes}`,
    );
    expect(err.message).toMatch(/^operation 2: /);
    await unchanged();
  });

  it('a missing collection → NOT_FOUND', async () => {
    await expectStatus(
      client.updateBatch('no-such-collection', [{ delete: ['a'] }]),
      'NOT_FOUND',
      '"no-such-collection"',
    );
  });

  describe('bad shapes → INVALID_ARGUMENT, before anything is applied', () => {
    const cases: Array<[string, readonly BatchOperationInput[], Array<string | RegExp>]> = [
      ['no operation', [], ['at least one operation']],
      [
        'too many operations',
        Array.from({ length: limits.maxOperationsPerBatch + 1 }, () => ({ delete: ['s1'] })),
        [`at most ${limits.maxOperationsPerBatch} operations`, 'split'],
      ],
      [
        'too many points in all',
        [0, 1].map((k) => ({
          upsert: Array.from({ length: limits.maxPointsPerWrite / 2 + 1 }, (_, i) => ({
            id: `p${k}-${i}`,
            vector: [i, k],
          })),
        })),
        [`${limits.maxPointsPerWrite + 2} points in all`],
      ],
      ['an empty operation', [{ delete: ['s1'] }, {} as BatchOperationInput], [/^operation 1: /]],
      [
        'two operations in one item',
        [{ delete: ['s1'], upsert: [] } as unknown as BatchOperationInput],
        [/^operation 0: one operation per item/],
      ],
      [
        'an unknown operation',
        [{ delete: ['s1'] }, { frobnicate: ['s1'] } as unknown as BatchOperationInput],
        [/^operation 1: unknown operation "frobnicate"/],
      ],
      [
        'a wrong dimension',
        [{ delete: ['s1'] }, { upsert: [{ id: 'n1', vector: [1, 2, 3] }] }],
        [/^operation 1: point 0 \(id "n1"\)/, '3 values', 'dimension is 2'],
      ],
      [
        'an upsert without points',
        [{ delete: ['s1'] }, { upsert: [] }],
        [/^operation 1: /, 'at least one point'],
      ],
      [
        'the same id twice in one upsert',
        [
          {
            upsert: [
              { id: 'n1', vector: [1, 2] },
              { id: 'n1', vector: [1, 3] },
            ],
          },
        ],
        [/^operation 0: point 1 \(id "n1"\)/],
      ],
      [
        'a vector that is not a list',
        [{ upsert: [{ id: 'n1', vector: 'nope' as unknown as number[] }] }],
        [/^operation 0: point 0: vector/],
      ],
      [
        'a delete by an empty filter',
        [{ delete: { filter: {} } }],
        [/^operation 0: /, 'at least one condition'],
      ],
      ['a delete with no ids', [{ delete: [] }], [/^operation 0: /, 'at least one point id']],
      [
        'a payload that is not an object',
        [{ setPayload: { points: ['s1'], payload: [1] as unknown as Record<string, never> } }],
        [/^operation 0: setPayload: payload must be a JSON object/],
      ],
      [
        'no keys to delete',
        [{ delete: ['s1'] }, { deletePayloadKeys: { points: ['s1'], keys: [] } }],
        [/^operation 1: keys: give at least one/],
      ],
    ];
    for (const [name, operations, patterns] of cases) {
      it(name, async () => {
        await expectStatus(client.updateBatch(C, operations), 'INVALID_ARGUMENT', ...patterns);
        await unchanged();
      });
    }

    it('on the wire: an operation with nothing set, ids with a filter, both vector forms', async () => {
      const delete0 = { delete: { ids: ['s1'] } };
      await expectStatus(
        sendRaw({ collection: C, operations: [delete0, {}] }),
        'INVALID_ARGUMENT',
        /^operation 1: no operation is set/,
      );
      await expectStatus(
        sendRaw({
          collection: C,
          operations: [
            delete0,
            {
              setPayload: {
                ids: ['s1'],
                filter: { must: [{ key: 'tag', equals: { stringValue: 'keep' } }] },
                payload: { fields: {} },
              },
            },
          ],
        }),
        'INVALID_ARGUMENT',
        /^operation 1: give ids or a filter, not both/,
      );
      await expectStatus(
        sendRaw({
          collection: C,
          operations: [
            {
              upsert: {
                points: [
                  { id: 'n1', vector: [1, 2] },
                  { id: 'n2', vector: [1, 2], vectorF32: new Uint8Array(8) },
                ],
              },
            },
          ],
        }),
        'INVALID_ARGUMENT',
        /^operation 0: point 1 \(id "n2"\): both vector and vector_f32/,
      );
      await unchanged();
    });
  });
});

describe('a resent batch (same client id and sequence) is applied once', () => {
  const C = 'batch-session';
  beforeAll(async () => {
    await client.createCollection(C, { dimension: 2 });
    await client.upsert(C, [{ id: 'r0', vector: [0, 0] }]);
  });

  it('on the wire: the duplicate gets the original results, and changes nothing', async () => {
    const request: UpdateBatchRequest = {
      collection: C,
      operations: [
        { delete: { ids: ['r0'] } },
        { upsert: { points: [{ id: 'r1', vector: [1, 1] }] } },
      ],
      options: { clientId: 'batch-retry', sequence: 7 },
    };
    const first = await sendRaw(request);
    expect(first.results.map((r) => [r.deleted, r.upserted])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    // Someone else puts r0 back: applying the batch again would delete it.
    await client.upsert(C, [{ id: 'r0', vector: [0, 0] }]);

    const again = await sendRaw(request);
    expect(again.results.map((r) => [r.deleted, r.upserted])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(ids(await client.get(C, ['r0', 'r1'])).sort()).toEqual(['r0', 'r1']);

    // A later sequence is applied as usual.
    const next = await sendRaw({ ...request, options: { clientId: 'batch-retry', sequence: 8 } });
    expect(next.results.map((r) => r.deleted)).toEqual([1, 0]);
    expect(ids(await client.get(C, ['r0', 'r1']))).toEqual(['r1']);
  });

  it('the client sends its session: a second client resending the sequence gets the first one’s answer', async () => {
    const opts = { clientId: 'batch-session-client', initialSequence: 500 };
    const first = new RaftvecClient(t.address, opts);
    const second = new RaftvecClient(t.address, opts);
    try {
      const a = await first.updateBatch(C, [
        { upsert: [{ id: 'q1', vector: [2, 2], metadata: { v: 1 } }] },
        { setPayload: { points: ['q1'], payload: { by: 'first' } } },
      ]);
      expect(a.results).toEqual([
        { ...noop, upserted: 1 },
        { ...noop, updated: 1 },
      ]);
      // The same (client id, sequence 501): taken for a retry of the first batch.
      const b = await second.updateBatch(C, [
        { upsert: [{ id: 'q2', vector: [3, 3] }] },
        { delete: ['q1'] },
        { upsert: [{ id: 'q3', vector: [4, 4] }] },
      ]);
      expect(b.results).toEqual(a.results);
      expect(await metadataById(C, ['q1', 'q2', 'q3'])).toEqual({ q1: { v: 1, by: 'first' } });
      expect(first.lastSequence).toBe(501);
    } finally {
      first.close();
      second.close();
    }
  });
});
