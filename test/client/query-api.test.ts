/**
 * The query and payload API of RaftvecClient through real gRPC against one in-process
 * node: boolean filters (search, count, scroll), delete by filter, payload updates by
 * ids and by filter, payload indexes, search by point id, per-query k and filter,
 * score thresholds and metadata key selection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RaftvecClient, type Filter, type UpsertPoint } from '../../src/client/index.js';
import { expectStatus } from '../support/expect-error.js';
import { startTestNode, type TestNode } from '../support/in-process.js';

let t: TestNode;
let client: RaftvecClient;

/** Five points on a line, 1 apart (squared l2 distances 0, 1, 4, 9, 16 from p1). */
const POINTS: UpsertPoint[] = [
  {
    id: 'p1',
    vector: [0, 0],
    metadata: {
      city: 'London',
      color: 'red',
      n: 1,
      tags: ['a', 'b'],
      at: '2024-05-01T10:00:00Z',
      author: { name: 'ann', age: 40 },
    },
  },
  {
    id: 'p2',
    vector: [1, 0],
    metadata: { city: 'London', color: 'green', n: 2, tags: ['b'], at: '2024-05-02', gone: null },
  },
  {
    id: 'p3',
    vector: [2, 0],
    // 2024-05-31T22:00Z: inside May in UTC
    metadata: { city: 'Berlin', color: 'red', n: 3, tags: [], at: '2024-06-01T00:00:00+02:00' },
  },
  { id: 'p4', vector: [3, 0], metadata: { city: 'Moscow', color: 'blue', n: 4.5 } },
  {
    id: 'p5',
    vector: [4, 0],
    metadata: { city: 'Moscow', color: 'green', n: 5, author: { name: 'bob' } },
  },
];

const ids = (points: ReadonlyArray<{ id: string }>): string[] => points.map((p) => p.id);

/** The ids of the points of `collection` matching `filter`, through scroll, in id order. */
async function scrollIds(collection: string, filter: Filter): Promise<string[]> {
  const page = await client.scroll(collection, { filter, withVector: false, limit: 100 });
  return ids(page.points);
}

beforeAll(async () => {
  t = await startTestNode();
  client = new RaftvecClient(t.address);
  await client.createCollection('docs', { dimension: 2 });
  await client.upsert('docs', POINTS);
});

afterAll(async () => {
  client?.close();
  await t?.close();
});

describe('boolean filters: the same answers from search, count and scroll', () => {
  const cases: Array<[string, Filter, string[]]> = [
    [
      'must and mustNot',
      {
        must: [{ key: 'city', equals: 'London' }],
        mustNot: [{ key: 'color', equals: 'red' }],
      },
      ['p2'],
    ],
    [
      'should with minShould 2',
      {
        should: [
          { key: 'city', equals: 'London' },
          { key: 'color', equals: 'red' },
          { key: 'n', range: { gte: 3 } },
        ],
        minShould: 2,
      },
      ['p1', 'p3'],
    ],
    [
      'should alone: any one',
      { should: [{ key: 'n', range: { gt: 4.5 } }, { hasId: ['p1'] }] },
      ['p1', 'p5'],
    ],
    ['in', { must: [{ key: 'color', in: ['blue', 'green'] }] }, ['p2', 'p4', 'p5']],
    ['notIn', { must: [{ key: 'color', notIn: ['red', 'green'] }] }, ['p4']],
    // an array holds when some element is not listed; a missing key and [] hold
    [
      'notIn on an array',
      { must: [{ key: 'tags', notIn: ['a'] }] },
      ['p1', 'p2', 'p3', 'p4', 'p5'],
    ],
    [
      'notIn on arrays and missing keys',
      { must: [{ key: 'tags', notIn: ['a', 'b'] }] },
      ['p3', 'p4', 'p5'],
    ],
    ['equals on an array element', { must: [{ key: 'tags', equals: 'a' }] }, ['p1']],
    ['equals is typed: 1 is not "1"', { must: [{ key: 'n', equals: '1' }] }, []],
    ['range', { must: [{ key: 'n', range: { gt: 2, lte: 4.5 } }] }, ['p3', 'p4']],
    [
      'datetimeRange (offsets and dates without a time)',
      { must: [{ key: 'at', datetimeRange: { gte: '2024-05-02', lt: '2024-06-01T00:00:00Z' } }] },
      ['p2', 'p3'],
    ],
    ['isNull', { must: [{ key: 'gone', isNull: true }] }, ['p2']],
    [
      'isEmpty: missing, null or []',
      { must: [{ key: 'tags', isEmpty: true }] },
      ['p3', 'p4', 'p5'],
    ],
    ['exists: present, even as null', { must: [{ key: 'gone', exists: true }] }, ['p2']],
    ['a dotted path', { must: [{ key: 'author.name', equals: 'bob' }] }, ['p5']],
    ['hasId', { must: [{ hasId: ['p4', 'p2', 'nope'] }] }, ['p2', 'p4']],
    [
      'a nested filter (OR of ANDs)',
      {
        should: [
          {
            filter: {
              must: [
                { key: 'city', equals: 'Moscow' },
                { key: 'color', equals: 'green' },
              ],
            },
          },
          { filter: { must: [{ key: 'city', equals: 'Berlin' }] } },
        ],
      },
      ['p3', 'p5'],
    ],
    [
      'mustNot of a nested filter',
      {
        mustNot: [
          {
            filter: {
              should: [
                { key: 'city', equals: 'London' },
                { key: 'n', range: { gte: 5 } },
              ],
            },
          },
        ],
      },
      ['p3', 'p4'],
    ],
  ];

  it.each(cases)('%s', async (_name, filter, expected) => {
    expect(await scrollIds('docs', filter)).toEqual(expected);
    expect(await client.count('docs', { filter })).toBe(expected.length);
    // Search: every match, nearest to p1 first (the points lie on a line in id order).
    const hits = await client.search('docs', [0, 0], { k: 10, filter });
    expect(ids(hits)).toEqual(expected);
  });

  it('a bad filter is refused with INVALID_ARGUMENT naming the condition', async () => {
    await expectStatus(
      client.count('docs', { filter: { should: [{ key: 'n', equals: 1 }], minShould: 2 } }),
      'INVALID_ARGUMENT',
      'minShould',
    );
    await expectStatus(
      client.count('docs', {
        filter: { must: [{ key: 'at', datetimeRange: { gt: 'yesterday' } }] },
      }),
      'INVALID_ARGUMENT',
      /RFC 3339/,
    );
  });
});

describe('search conveniences', () => {
  it('searchByPoint: neighbours of a stored point, the point itself left out', async () => {
    const hits = await client.searchByPoint('docs', 'p1', { k: 2 });
    expect(ids(hits)).toEqual(['p2', 'p3']);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    // with a filter; fewer matches than k
    const red = await client.searchByPoint('docs', 'p1', {
      k: 3,
      filter: { must: [{ key: 'color', equals: 'red' }] },
    });
    expect(ids(red)).toEqual(['p3']);
    await expectStatus(client.searchByPoint('docs', 'nope'), 'NOT_FOUND', '"nope"');
  });

  it('one batch: queries by vector and by point, each with its own k and filter', async () => {
    const results = await client.search(
      'docs',
      [
        { pointId: 'p1' },
        { vector: [4, 0], k: 1 },
        {
          vector: Float32Array.from([0, 0]),
          filter: { must: [{ key: 'city', equals: 'Moscow' }] },
        },
        [0, 0],
        { pointId: 'p5', k: 1, filter: { must: [{ key: 'color', equals: 'red' }] } },
      ],
      { k: 3, filter: { mustNot: [{ key: 'city', equals: 'Berlin' }] } },
    );
    expect(results.map(ids)).toEqual([
      ['p2', 'p4', 'p5'], // the search's filter and k; p1 left out
      ['p5'], // its own k
      ['p4', 'p5'], // its own filter instead of the search's
      ['p1', 'p2', 'p4'],
      ['p3'], // its own filter and k
    ]);
  });

  it('the existing forms still work: one vector, a Float32Array, a list of vectors', async () => {
    expect(ids(await client.search('docs', [4, 0], { k: 1 }))).toEqual(['p5']);
    expect(ids(await client.search('docs', Float32Array.from([3, 0]), { k: 1 }))).toEqual(['p4']);
    const two = await client.search('docs', [[0, 0], Float32Array.from([4, 0])], { k: 1 });
    expect(two.map(ids)).toEqual([['p1'], ['p5']]);
  });

  it('a query with neither a vector nor a point id is refused before sending', async () => {
    await expectStatus(
      client.search('docs', [[0, 0], { k: 2 }]),
      'INVALID_ARGUMENT',
      'query 1: give a vector or a pointId',
    );
  });

  it('scoreThreshold on l2 leaves out hits farther than it (scores are squared distances)', async () => {
    const near = await client.search('docs', [0, 0], { k: 10, scoreThreshold: 4 });
    expect(ids(near)).toEqual(['p1', 'p2', 'p3']);
    expect(near.map((h) => h.score)).toEqual([0, 1, 4]);
    // 0 is a threshold too (not "none")
    expect(ids(await client.search('docs', [0, 0], { k: 10, scoreThreshold: 0 }))).toEqual(['p1']);
    // with a search by point (p2 and p4 tie at 1)
    expect(ids(await client.searchByPoint('docs', 'p3', { scoreThreshold: 1 })).sort()).toEqual([
      'p2',
      'p4',
    ]);
  });

  it('scoreThreshold on cosine leaves out hits less similar than it', async () => {
    await client.createCollection('cos', { dimension: 2, metric: 'cosine' });
    await client.upsert('cos', [
      { id: 'same', vector: [2, 0] },
      { id: 'diagonal', vector: [1, 1] },
      { id: 'orthogonal', vector: [0, 3] },
      { id: 'opposite', vector: [-1, 0] },
    ]);
    const all = await client.search('cos', [1, 0], { k: 10 });
    expect(ids(all)).toEqual(['same', 'diagonal', 'orthogonal', 'opposite']);
    expect(ids(await client.search('cos', [1, 0], { k: 10, scoreThreshold: 0.5 }))).toEqual([
      'same',
      'diagonal',
    ]);
    expect(ids(await client.search('cos', [1, 0], { k: 10, scoreThreshold: -0.5 }))).toEqual([
      'same',
      'diagonal',
      'orthogonal',
    ]);
  });
});

describe('metadataKeys', () => {
  it('get returns only the keys asked for (dotted paths), implying metadata', async () => {
    const points = await client.get('docs', ['p1', 'p4'], {
      withVector: false,
      metadataKeys: ['city', 'author.name', 'missing'],
    });
    expect(points).toEqual([
      { id: 'p1', metadata: { city: 'London', author: { name: 'ann' } } },
      { id: 'p4', metadata: { city: 'Moscow' } },
    ]);
  });

  it('search and scroll too', async () => {
    const hits = await client.search('docs', [0, 0], {
      k: 2,
      withMetadata: true,
      metadataKeys: ['color'],
    });
    expect(hits.map((h) => h.metadata)).toEqual([{ color: 'red' }, { color: 'green' }]);
    const page = await client.scroll('docs', { limit: 2, withVector: false, metadataKeys: ['n'] });
    expect(page.points).toEqual([
      { id: 'p1', metadata: { n: 1 } },
      { id: 'p2', metadata: { n: 2 } },
    ]);
  });

  it('metadataKeys with withMetadata: false is refused', async () => {
    await expectStatus(
      client.get('docs', ['p1'], { withMetadata: false, metadataKeys: ['city'] }),
      'INVALID_ARGUMENT',
      'metadataKeys',
    );
  });
});

describe('payload indexes', () => {
  it('create, describe, replace, drop; filters give the same answers with them', async () => {
    const before = {
      london: await client.count('docs', { filter: { must: [{ key: 'city', equals: 'London' }] } }),
      range: await scrollIds('docs', { must: [{ key: 'n', range: { gte: 3 } }] }),
    };
    expect(before).toEqual({ london: 2, range: ['p3', 'p4', 'p5'] });

    const created = await client.createPayloadIndex('docs', 'city', 'keyword');
    expect(created.logIndex).toBeGreaterThan(0);
    await client.createPayloadIndex('docs', 'n', 'float');
    await client.createPayloadIndex('docs', 'author.name', 'keyword');
    expect((await client.describeCollection('docs')).payloadIndexes).toEqual([
      { key: 'author.name', type: 'keyword' },
      { key: 'city', type: 'keyword' },
      { key: 'n', type: 'float' },
    ]);
    const listed = (await client.listCollections()).find((c) => c.name === 'docs');
    expect(listed?.payloadIndexes).toHaveLength(3);

    expect(
      await client.count('docs', { filter: { must: [{ key: 'city', equals: 'London' }] } }),
    ).toBe(before.london);
    expect(await scrollIds('docs', { must: [{ key: 'n', range: { gte: 3 } }] })).toEqual(
      before.range,
    );
    expect(
      ids(
        await client.search('docs', [0, 0], {
          filter: { must: [{ key: 'author.name', in: ['bob', 'carl'] }] },
        }),
      ),
    ).toEqual(['p5']);

    // the same again: no change; another type replaces it (4.5 still found by a range)
    await client.createPayloadIndex('docs', 'city', 'keyword');
    await client.createPayloadIndex('docs', 'n', 'integer');
    expect((await client.describeCollection('docs')).payloadIndexes).toContainEqual({
      key: 'n',
      type: 'integer',
    });
    expect(await scrollIds('docs', { must: [{ key: 'n', range: { gt: 4 } }] })).toEqual([
      'p4',
      'p5',
    ]);

    await client.dropPayloadIndex('docs', 'city');
    expect((await client.describeCollection('docs')).payloadIndexes.map((p) => p.key)).toEqual([
      'author.name',
      'n',
    ]);
    await expectStatus(client.dropPayloadIndex('docs', 'city'), 'NOT_FOUND', '"city"');
  });

  it('a bad type or key is refused', async () => {
    await expectStatus(
      client.createPayloadIndex('docs', 'city', 'text' as never),
      'INVALID_ARGUMENT',
      'keyword, integer, float, bool',
    );
    await expectStatus(
      client.createPayloadIndex('docs', 'a..b', 'keyword'),
      'INVALID_ARGUMENT',
      'empty path segment',
    );
    await expectStatus(
      client.createPayloadIndex('nope', 'city', 'keyword'),
      'NOT_FOUND',
      'collection "nope"',
    );
  });
});

describe('delete by filter', () => {
  it('deletes every match atomically; ids still work; an empty filter is refused', async () => {
    await client.createCollection('del', { dimension: 2 });
    await client.upsert('del', POINTS);
    const res = await client.delete('del', {
      filter: {
        should: [
          { key: 'city', equals: 'Moscow' },
          { key: 'tags', equals: 'a' },
        ],
      },
    });
    expect(res.deleted).toBe(3);
    expect(res.logIndex).toBeGreaterThan(0);
    expect(await scrollIds('del', {})).toEqual(['p2', 'p3']);
    // matching nothing deletes nothing
    expect(
      (await client.delete('del', { filter: { must: [{ key: 'city', equals: 'Paris' }] } }))
        .deleted,
    ).toBe(0);
    // the search index no longer holds them
    expect(ids(await client.search('del', [4, 0], { k: 5 }))).toEqual(['p3', 'p2']);
    // the existing form
    expect((await client.delete('del', ['p2', 'nope'])).deleted).toBe(1);
    expect((await client.delete('del', { ids: ['p3'] })).deleted).toBe(1);
    expect(await client.count('del')).toBe(0);

    await client.upsert('del', POINTS);
    await expectStatus(
      client.delete('del', { filter: {} }),
      'INVALID_ARGUMENT',
      'at least one condition',
    );
    await expectStatus(
      client.delete('del', { ids: ['p1'], filter: { must: [{ key: 'n', equals: 1 }] } }),
      'INVALID_ARGUMENT',
      'not both',
    );
    expect(await client.count('del')).toBe(5);
  });

  it('also as a unary call (writeStream: false)', async () => {
    const unary = new RaftvecClient(t.address, { writeStream: false });
    try {
      const res = await unary.delete('del', { filter: { must: [{ key: 'n', range: { lt: 3 } }] } });
      expect(res.deleted).toBe(2);
      expect(await scrollIds('del', {})).toEqual(['p3', 'p4', 'p5']);
    } finally {
      unary.close();
    }
  });
});

describe('payload updates', () => {
  beforeAll(async () => {
    await client.createCollection('pay', { dimension: 2 });
    await client.upsert('pay', POINTS);
  });

  const metadataOf = async (id: string): Promise<unknown> =>
    (await client.get('pay', [id], { withVector: false }))[0]?.metadata;

  it('setPayload by ids: sets top-level keys, keeps the others and the vector', async () => {
    const res = await client.setPayload('pay', ['p1', 'p2'], {
      color: 'yellow',
      author: { name: 'zed' },
    });
    expect(res.updated).toBe(2);
    expect(res.logIndex).toBeGreaterThan(0);
    expect(await metadataOf('p1')).toEqual({
      ...POINTS[0]!.metadata,
      color: 'yellow',
      author: { name: 'zed' }, // a top-level key is replaced whole
    });
    expect(await metadataOf('p2')).toMatchObject({ city: 'London', color: 'yellow', n: 2 });
    const [p1] = await client.get('pay', ['p1']);
    expect(Array.from(p1!.vector!)).toEqual([0, 0]);
    // filters see the new values
    expect(await scrollIds('pay', { must: [{ key: 'color', equals: 'yellow' }] })).toEqual([
      'p1',
      'p2',
    ]);
  });

  it('overwritePayload replaces the whole metadata', async () => {
    const res = await client.overwritePayload('pay', { ids: ['p3'] }, { only: true });
    expect(res.updated).toBe(1);
    expect(await metadataOf('p3')).toEqual({ only: true });
  });

  it('deletePayloadKeys removes dotted paths; keys a point lacks are ignored', async () => {
    await client.setPayload('pay', ['p5'], { author: { name: 'bob', age: 30 } });
    const res = await client.deletePayloadKeys('pay', ['p5', 'p4'], ['author.name', 'color', 'x']);
    expect(res.updated).toBe(2);
    expect(await metadataOf('p5')).toEqual({ city: 'Moscow', n: 5, author: { age: 30 } });
    expect(await metadataOf('p4')).toEqual({ city: 'Moscow', n: 4.5 });
  });

  it('by filter: every matching point', async () => {
    const set = await client.setPayload(
      'pay',
      { filter: { must: [{ key: 'city', equals: 'Moscow' }] } },
      { region: 'east' },
    );
    expect(set.updated).toBe(2);
    expect(await scrollIds('pay', { must: [{ key: 'region', equals: 'east' }] })).toEqual([
      'p4',
      'p5',
    ]);
    const removed = await client.deletePayloadKeys(
      'pay',
      { filter: { must: [{ key: 'region', exists: true }] } },
      ['region'],
    );
    expect(removed.updated).toBe(2);
    expect(await client.count('pay', { filter: { must: [{ key: 'region', exists: true }] } })).toBe(
      0,
    );
    const over = await client.overwritePayload(
      'pay',
      { filter: { must: [{ hasId: ['p4'] }] } },
      { replaced: 1 },
    );
    expect(over.updated).toBe(1);
    expect(await metadataOf('p4')).toEqual({ replaced: 1 });
    // a filter matching nothing updates nothing
    expect(
      (
        await client.setPayload(
          'pay',
          { filter: { must: [{ key: 'city', equals: 'Paris' }] } },
          { x: 1 },
        )
      ).updated,
    ).toBe(0);
  });

  it('an id that does not exist: NOT_FOUND, and nothing changes', async () => {
    const before = await client.get('pay', ['p1', 'p2']);
    await expectStatus(
      client.setPayload('pay', ['p1', 'nope', 'p2'], { touched: true }),
      'NOT_FOUND',
      '"nope"',
      'nothing was changed',
    );
    await expectStatus(client.overwritePayload('pay', ['nope'], {}), 'NOT_FOUND', '"nope"');
    await expectStatus(
      client.deletePayloadKeys('pay', ['p1', 'nope'], ['city']),
      'NOT_FOUND',
      '"nope"',
    );
    expect(await client.get('pay', ['p1', 'p2'])).toEqual(before);
  });

  it("an update that would make one point's metadata too large: INVALID_ARGUMENT, nothing changes", async () => {
    // p2's metadata becomes 40 KB; 30 KB more is within the limit alone, not on top of it.
    await client.setPayload('pay', ['p2'], { pad: 'x'.repeat(40_000) });
    const before = await client.get('pay', ['p1', 'p2'], { withVector: false });
    await expectStatus(
      client.setPayload('pay', ['p1', 'p2'], { more: 'y'.repeat(30_000) }),
      'INVALID_ARGUMENT',
      '"p2"',
      'nothing was changed',
    );
    expect(await client.get('pay', ['p1', 'p2'], { withVector: false })).toEqual(before);
  });

  it('bad requests are refused before anything is applied', async () => {
    await expectStatus(client.deletePayloadKeys('pay', ['p1'], []), 'INVALID_ARGUMENT', 'keys');
    await expectStatus(
      client.setPayload('pay', { filter: { mustNot: [] } }, { x: 1 }),
      'INVALID_ARGUMENT',
      'at least one condition',
    );
    await expectStatus(client.setPayload('pay', [], { x: 1 }), 'INVALID_ARGUMENT', 'ids');
    await expectStatus(client.setPayload('nope', ['p1'], { x: 1 }), 'NOT_FOUND', '"nope"');
  });

  it('payload writes carry the client session: a resent sequence is applied once', async () => {
    // Two clients with one id and the same starting sequence: the second one's write
    // has the sequence the first one's had, so the server takes it for a retry of it
    // and answers with the first one's result, without applying it.
    const opts = { clientId: 'payload-session', initialSequence: 1_000 };
    const first = new RaftvecClient(t.address, opts);
    const second = new RaftvecClient(t.address, opts);
    try {
      expect((await first.setPayload('pay', ['p1'], { version: 1 })).updated).toBe(1);
      // The original result (1 point updated), and nothing applied.
      expect((await second.setPayload('pay', ['p1', 'p2'], { version: 2 })).updated).toBe(1);
      expect(await metadataOf('p1')).toMatchObject({ version: 1 });
      expect(await metadataOf('p2')).not.toHaveProperty('version');

      await first.deletePayloadKeys('pay', ['p1'], ['version']);
      await second.overwritePayload('pay', ['p1'], {});
      expect(await metadataOf('p1')).toMatchObject({ city: 'London' });
      expect(await metadataOf('p1')).not.toHaveProperty('version');

      await first.createPayloadIndex('pay', 'city', 'keyword');
      await second.dropPayloadIndex('pay', 'city');
      expect((await client.describeCollection('pay')).payloadIndexes).toEqual([
        { key: 'city', type: 'keyword' },
      ]);
      expect(first.lastSequence).toBe(1_003);
    } finally {
      first.close();
      second.close();
    }
  });
});
