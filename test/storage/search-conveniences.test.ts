/**
 * The conveniences of reads around the nearest-neighbour search: searching by a stored
 * point's id, per-query k and filter in one batch, score thresholds, returning only
 * some metadata keys, and scrolling a filtered collection page by page.
 */
import { describe, expect, it } from 'vitest';
import type {
  Filter,
  Metadata,
  Metric,
  SearchHit,
  SearchQuery,
  SearchTarget,
} from '../../src/domain.js';
import { RaftvecError } from '../../src/errors.js';
import type { VectorStateMachine } from '../../src/storage/state-machine.js';
import { mulberry32 } from '../support/random.js';
import {
  applyOk,
  byteOrder,
  create,
  createIndex,
  expectedIds,
  scrollAll,
  upsert,
  type RawPoint,
} from '../support/sm-commands.js';
import { stateMachineFixture } from '../support/state-machines.js';

const { tempDir, openSm } = stateMachineFixture('search-conveniences');

const DIM = 8;
const COUNT = 200;
/** Random vectors from a generator of its own, so that each test sees the same ones alone. */
const vectors = (seed: number) => {
  const random = mulberry32(seed);
  return (d = DIM): Float32Array => Float32Array.from({ length: d }, () => random() * 2 - 1);
};
const pointVector = vectors(77_001);
const EMPTY = new Float32Array(0);

const meta = (i: number): Metadata => ({
  n: i,
  tag: ['a', 'b', 'c', 'd'][i % 4]!,
  g: i % 10,
  half: i < COUNT / 2 ? 'lo' : 'hi',
});

const POINTS: RawPoint[] = Array.from({ length: COUNT }, (_, i) => ({
  id: `p${String(i).padStart(3, '0')}`,
  vector: pointVector(),
  metadata: meta(i),
}));
/** A point with exactly p000's vector. */
const TWIN: RawPoint = { id: 'twin', vector: POINTS[0]!.vector, metadata: { twin: true } };

/** A state machine with one collection per metric over the same points (and p000's twin). */
async function collections(): Promise<VectorStateMachine> {
  const sm = await openSm(await tempDir());
  for (const metric of ['l2', 'ip', 'cosine'] as const)
    await applyOk(sm, create(metric, DIM, metric), upsert(metric, [...POINTS, TWIN]));
  return sm;
}

const query = (collection: string, q: Partial<SearchQuery>): SearchQuery => ({
  collection,
  vectors: [],
  k: 5,
  withVector: false,
  withMetadata: false,
  ...q,
});

const stored = async (sm: VectorStateMachine, collection: string, id: string) =>
  (await sm.get(collection, [id], { withVector: true, withMetadata: false }))[0]!.vector!;

const idsOf = (row: readonly SearchHit[]): string[] => row.map((h) => h.id);

async function expectNotFound(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RaftvecError);
  expect((err as RaftvecError).code).toBe('NOT_FOUND');
  for (const pattern of patterns) expect((err as RaftvecError).message).toMatch(pattern);
}

// ------------------------------------------------------------------ search by point id

describe('search by point id', () => {
  for (const metric of ['l2', 'ip', 'cosine'] as const) {
    it(`${metric}: finds what a search by the stored vector finds, less the point itself`, async () => {
      const sm = await collections();
      for (const id of ['p001', 'p050', 'p123', 'p199']) {
        const [byId] = await sm.search(
          query(metric, { vectors: [EMPTY], targets: [{ pointId: id }], k: 5, withMetadata: true }),
        );
        const [byVector] = await sm.search(
          query(metric, { vectors: [await stored(sm, metric, id)], k: 6, withMetadata: true }),
        );
        expect(byId, `${metric} ${id}`).toHaveLength(5);
        expect(idsOf(byId!)).not.toContain(id);
        expect(byId).toEqual(byVector!.filter((h) => h.id !== id).slice(0, 5));
      }
      // The twin of p000 is not p000: it stays, first for l2 and cosine.
      const [byP0] = await sm.search(
        query(metric, { vectors: [EMPTY], targets: [{ pointId: 'p000' }] }),
      );
      expect(idsOf(byP0!)).toContain('twin');
      if (metric !== 'ip') expect(byP0![0]!.id).toBe('twin');
      if (metric === 'l2') expect(byP0![0]!.score).toBe(0);
      // k beyond the collection: every other point.
      const [every] = await sm.search(
        query(metric, { vectors: [EMPTY], targets: [{ pointId: 'p010' }], k: 1_000 }),
      );
      expect(every).toHaveLength(COUNT);
      expect(idsOf(every!)).not.toContain('p010');
    });

    it(`${metric}: NOT_FOUND for a missing id, alone or among other queries`, async () => {
      const sm = await collections();
      const vec = vectors(1);
      await expectNotFound(
        sm.search(query(metric, { vectors: [EMPTY], targets: [{ pointId: 'ghost' }] })),
        /"ghost"/,
        /query 0/,
      );
      await expectNotFound(
        sm.search(
          query(metric, {
            vectors: [vec(), EMPTY],
            targets: [{}, { pointId: 'ghost' }],
          }),
        ),
        /query 1/,
      );
    });
  }

  it('with a filter, and mixed with queries by vector in one batch', async () => {
    const sm = await collections();
    const q = vectors(2)();
    const filter: Filter = { must: [{ key: 'tag', equals: 'b' }] };
    const [byId, byVector, byOther] = await sm.search(
      query('l2', {
        vectors: [EMPTY, q, EMPTY],
        targets: [{ pointId: 'p001' }, {}, { pointId: 'p002' }],
        filter,
        k: 4,
      }),
    );
    // p001 matches the filter (tag b) and is left out; p002 does not match anyway.
    const [alone1] = await sm.search(
      query('l2', { vectors: [await stored(sm, 'l2', 'p001')], k: 5, filter }),
    );
    expect(byId).toEqual(alone1!.filter((h) => h.id !== 'p001').slice(0, 4));
    const [alone2] = await sm.search(
      query('l2', { vectors: [await stored(sm, 'l2', 'p002')], k: 4, filter }),
    );
    expect(byOther).toEqual(alone2);
    const [aloneQ] = await sm.search(query('l2', { vectors: [q], k: 4, filter }));
    expect(byVector).toEqual(aloneQ);
    for (const row of [byId!, byVector!, byOther!])
      for (const h of row) expect(Number(h.id.slice(1)) % 4, h.id).toBe(1);
  });
});

// ------------------------------------------------------------------ per-query k and filter

describe('per-query k and filter', () => {
  it('answer each query of a batch as a search of its own would', async () => {
    const sm = await collections();
    const shared: Filter = { must: [{ key: 'half', equals: 'lo' }] };
    const targets: SearchTarget[] = [
      {},
      { k: 3 },
      { filter: { must: [{ key: 'tag', equals: 'c' }] } },
      { filter: { must: [{ key: 'g', range: { gte: 8 } }] }, k: 9 },
      { k: 3 },
      { filter: { must: [{ key: 'n', range: { gt: 1_000 } }] } }, // nothing matches
      { pointId: 'p042', k: 2 },
      { pointId: 'p043', filter: { must: [{ key: 'tag', equals: 'd' }] }, k: 6 },
      { filter: { must: [{ key: 'half', equals: 'hi' }] } }, // instead of the shared one
    ];
    const vec = vectors(3);
    for (const metric of ['l2', 'cosine'] as const) {
      const batchVectors = targets.map((t) => (t.pointId ? EMPTY : vec()));
      const batch = await sm.search(
        query(metric, { vectors: batchVectors, targets, k: 5, filter: shared, withMetadata: true }),
      );
      expect(batch).toHaveLength(targets.length);
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!;
        const [alone] = await sm.search(
          query(metric, {
            vectors: [batchVectors[i]!],
            targets: [t.pointId ? { pointId: t.pointId } : {}],
            k: t.k ?? 5,
            filter: t.filter ?? shared,
            withMetadata: true,
          }),
        );
        expect(batch[i], `${metric} query ${i}`).toEqual(alone);
      }
      expect(batch.map((row) => row.length)).toEqual([5, 3, 5, 9, 3, 0, 2, 6, 5]);
      expect(batch[8]!.every((h) => h.metadata!.half === 'hi')).toBe(true);
      expect(batch[0]!.every((h) => h.metadata!.half === 'lo')).toBe(true);
    }
  });
  it('order tied hits the same alone and in a batch', async () => {
    // p0 and its twin score the same for every query. Tied hits come in label order on
    // either path; but which of two points tied at the k-th score a Flat search keeps may
    // differ: FAISS's kernel for several queries can round the same distance one ulp
    // apart for two identical vectors, so the answers may differ only in that place.
    const sm = await openSm(await tempDir());
    const vec = vectors(5);
    const points: RawPoint[] = Array.from({ length: 50 }, (_, i) => ({
      id: `p${i}`,
      vector: vec(),
    }));
    points.push({ id: 'twin', vector: points[0]!.vector });
    await applyOk(sm, create('t', DIM), upsert('t', points));
    let tied = 0;
    for (let t = 0; t < 300; t++) {
      const q = vec();
      const k = 1 + (t % 20);
      const [alone] = await sm.search(query('t', { vectors: [q], k }));
      const [inBatch] = await sm.search(query('t', { vectors: [q, vec(), vec()], k }));
      if (idsOf(alone!).includes('twin') && idsOf(alone!).includes('p0')) tied++;
      expect(inBatch!.length).toBe(alone!.length);
      const last = alone![alone!.length - 1]!.score;
      alone!.forEach((hit, i) => {
        const other = inBatch![i]!;
        if (hit.id !== other.id) {
          // Only a point tied at the k-th score may be swapped for its twin.
          expect([hit.score, other.score], `query ${t}, k ${k}, hit ${i}`).toEqual([last, last]);
          expect(i, `query ${t}, k ${k}`).toBe(alone!.length - 1);
        }
      });
    }
    expect(tied).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------ score threshold

describe('scoreThreshold', () => {
  const cases: Array<{ metric: Metric; keep: (score: number, t: number) => boolean }> = [
    { metric: 'l2', keep: (s, t) => s <= t },
    { metric: 'ip', keep: (s, t) => s >= t },
    { metric: 'cosine', keep: (s, t) => s >= t },
  ];
  for (const { metric, keep } of cases) {
    it(`${metric}: keeps the hits whose score is ${metric === 'l2' ? 'at most' : 'at least'} the threshold`, async () => {
      const sm = await collections();
      const vec = vectors(4);
      const queries = [vec(), vec(), vec()];
      for (let qi = 0; qi < queries.length; qi++) {
        // Searched alone, as with a threshold below (a batch may order tied hits otherwise).
        const [row] = (await sm.search(query(metric, { vectors: [queries[qi]!], k: 20 }))) as [
          SearchHit[],
        ];
        // Thresholds at hit scores (kept: inclusive), between them, and beyond all of them.
        const thresholds = [row[0]!.score, row[3]!.score, row[19]!.score];
        thresholds.push((row[5]!.score + row[6]!.score) / 2);
        thresholds.push(metric === 'l2' ? -1 : 1e9, metric === 'l2' ? 1e9 : -1e9);
        for (const t of thresholds) {
          const [got] = await sm.search(
            query(metric, { vectors: [queries[qi]!], k: 20, scoreThreshold: t }),
          );
          expect(got, `${metric} q${qi} t=${t}`).toEqual(row.filter((h) => keep(h.score, t)));
        }
      }
      // With a query by id and a filter too.
      const [byId] = await sm.search(
        query(metric, {
          vectors: [EMPTY],
          targets: [{ pointId: 'p007' }],
          k: 10,
          filter: { must: [{ key: 'g', range: { lt: 5 } }] },
        }),
      );
      const t = byId![4]!.score;
      const [cut] = await sm.search(
        query(metric, {
          vectors: [EMPTY],
          targets: [{ pointId: 'p007' }],
          k: 10,
          filter: { must: [{ key: 'g', range: { lt: 5 } }] },
          scoreThreshold: t,
        }),
      );
      expect(cut).toEqual(byId!.filter((h) => keep(h.score, t)));
      expect(cut!.length).toBeGreaterThanOrEqual(5);
    });
  }
});

// ------------------------------------------------------------------ metadataKeys

describe('metadataKeys', () => {
  const rich: Metadata = {
    a: 1,
    b: 'x',
    nested: { b: 2, c: 3, deeper: { d: 4, e: 5 } },
    list: [{ name: 'u', v: 1 }, { v: 2 }, { name: 'w' }, 5],
    nil: null,
  };
  const cases: Array<{ keys: string[]; want: Metadata }> = [
    { keys: ['a'], want: { a: 1 } },
    { keys: ['a', 'missing'], want: { a: 1 } },
    { keys: ['missing'], want: {} },
    { keys: ['nested.b'], want: { nested: { b: 2 } } },
    { keys: ['nested.deeper.e', 'nested.c'], want: { nested: { deeper: { e: 5 }, c: 3 } } },
    { keys: ['nested', 'nested.b'], want: { nested: rich.nested! } },
    { keys: ['list.name'], want: { list: [{ name: 'u' }, { name: 'w' }] } },
    { keys: ['nil', 'b'], want: { nil: null, b: 'x' } },
    { keys: ['a.b', 'nested.b.c'], want: {} },
  ];

  async function sample(): Promise<VectorStateMachine> {
    const sm = await openSm(await tempDir());
    await applyOk(
      sm,
      create('m', 2),
      upsert('m', [
        { id: 'r', vector: [0, 0], metadata: rich },
        { id: 's', vector: [1, 0], metadata: { a: 2, nested: { c: 9 } } },
      ]),
    );
    return sm;
  }

  it('get, search and scroll return only those keys; dotted paths give nested objects', async () => {
    const sm = await sample();
    for (const { keys, want } of cases) {
      const label = keys.join(',');
      for (const withMetadata of [false, true]) {
        const [got] = await sm.get('m', ['r'], {
          withVector: false,
          withMetadata,
          metadataKeys: keys,
        });
        expect(got, `get ${label}`).toEqual({ id: 'r', metadata: want });
        const [[hit]] = (await sm.search(
          query('m', {
            vectors: [new Float32Array([0, 0])],
            k: 1,
            withMetadata,
            metadataKeys: keys,
          }),
        )) as [[SearchHit]];
        expect(hit, `search ${label}`).toEqual({ id: 'r', score: 0, metadata: want });
        const page = await sm.scroll({
          collection: 'm',
          limit: 1,
          withVector: true,
          withMetadata,
          metadataKeys: keys,
        });
        expect(page.points, `scroll ${label}`).toEqual([
          { id: 'r', vector: new Float32Array([0, 0]), metadata: want },
        ]);
      }
    }
    // No keys (or none given): all of it, or none of it.
    const [all] = await sm.get('m', ['r'], {
      withVector: false,
      withMetadata: true,
      metadataKeys: [],
    });
    expect(all).toEqual({ id: 'r', metadata: rich });
    const [none] = await sm.get('m', ['r'], { withVector: false, withMetadata: false });
    expect(none).toEqual({ id: 'r' });
    // The stored metadata is untouched by the selections.
    const [again] = await sm.get('m', ['r', 's'], { withVector: false, withMetadata: true });
    expect(again!.metadata).toEqual(rich);
    // Bad keys are refused.
    for (const keys of [[''], ['a..b'], ['.a']]) {
      await expect(
        sm.get('m', ['r'], { withVector: false, withMetadata: true, metadataKeys: keys }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });

  it('two keys under one array of objects keep each element whole (nothing lost, nothing made up)', async () => {
    const sm = await openSm(await tempDir());
    await applyOk(
      sm,
      create('m', 2),
      upsert('m', [
        { id: 'same', vector: [0, 0], metadata: { list: [{ name: 'u', v: 1 }, { name: 'w' }] } },
        {
          id: 'gaps',
          vector: [1, 0],
          metadata: { list: [{ name: 'u', v: 1 }, { v: 2 }, { name: 'w' }, 5] },
        },
      ]),
    );
    const got = await sm.get('m', ['same', 'gaps'], {
      withVector: false,
      withMetadata: true,
      metadataKeys: ['list.name', 'list.v'],
    });
    expect(got).toEqual([
      { id: 'same', metadata: { list: [{ name: 'u', v: 1 }, { name: 'w' }] } },
      { id: 'gaps', metadata: { list: [{ name: 'u', v: 1 }, { v: 2 }, { name: 'w' }] } },
    ]);
  });
});

// ------------------------------------------------------------------ filtered scroll

describe('scroll with a filter', () => {
  /** Ids whose UTF-8 byte order differs from JavaScript's UTF-16 order. */
  const idOf = (i: number): string =>
    [`id-${String(i).padStart(4, '0')}`, `Z${i}`, `é${i}`, `\uff61${i}`, `\u{1f600}${i}`][i % 5]!;
  const N = 3_000;

  async function scrollable(indexed: boolean): Promise<VectorStateMachine> {
    const sm = await openSm(await tempDir());
    await applyOk(
      sm,
      create('s', 2),
      upsert(
        's',
        Array.from({ length: N }, (_, i) => ({
          id: idOf(i),
          vector: [i, -i],
          metadata: { g: i % 10, rare: i % 97 === 0, bucket: Math.floor(i / 300) },
        })),
      ),
    );
    if (indexed)
      await applyOk(sm, createIndex('s', 'g', 'integer'), createIndex('s', 'rare', 'bool'));
    return sm;
  }

  const filters: Filter[] = [
    { must: [{ key: 'rare', equals: true }] }, // 31 points
    { must: [{ key: 'g', equals: 3 }] }, // 300
    { must: [{ key: 'g', range: { gte: 2 } }] }, // 2,400: the store is walked for small pages
    { must: [{ key: 'g', in: [1, 2] }], mustNot: [{ key: 'bucket', range: { lt: 5 } }] },
    { must: [{ key: 'g', equals: 42 }] }, // none
  ];

  for (const indexed of [false, true]) {
    it(`pages in byte order, chained by nextAfterId, agreeing with a scroll filtered in JS${indexed ? ' (with payload indexes)' : ''}`, async () => {
      const sm = await scrollable(indexed);
      const everything = await scrollAll(sm, 's', { limit: 10_000 });
      expect(everything).toHaveLength(N);
      const ids = everything.map((p) => p.id);
      expect(ids).toEqual([...ids].sort(byteOrder));
      expect(ids).not.toEqual([...ids].sort()); // UTF-16 order is another order here
      for (const filter of filters) {
        const want = expectedIds(everything, filter);
        for (const limit of [1, 7, 31, 300, 10_000]) {
          if (limit === 1 && want.length > 400) continue;
          const label = `${JSON.stringify(filter)} limit ${limit}`;
          const pages: string[][] = [];
          let afterId: string | undefined;
          for (;;) {
            const page = await sm.scroll({
              collection: 's',
              limit,
              filter,
              withVector: false,
              withMetadata: true,
              ...(afterId !== undefined && { afterId }),
            });
            pages.push(page.points.map((p) => p.id));
            if (page.nextAfterId === undefined) break;
            expect(page.points, label).toHaveLength(limit);
            expect(page.nextAfterId).toBe(page.points[limit - 1]!.id);
            afterId = page.nextAfterId;
          }
          expect(pages.flat(), label).toEqual(want);
          expect(pages.length, label).toBe(Math.max(1, Math.ceil(want.length / limit)));
        }
        // From an id that is not stored, and from one that does not match.
        for (const from of ['id-1500x', idOf(1501), 'é', '\u{1f600}']) {
          const page = await sm.scroll({
            collection: 's',
            limit: 50,
            filter,
            afterId: from,
            withVector: false,
            withMetadata: false,
          });
          const rest = want.filter((id) => byteOrder(id, from) > 0);
          expect(
            page.points.map((p) => p.id),
            `${JSON.stringify(filter)} after ${from}`,
          ).toEqual(rest.slice(0, 50));
          expect(page.nextAfterId).toBe(rest.length > 50 ? rest[49] : undefined);
        }
      }
    });
  }
});
