/**
 * Payload writes through the state machine: payload updates (set, overwrite, delete
 * keys; by ids and by filter), delete by filter, payload indexes, and what the log may
 * carry that validation never saw (a filter the leader would have refused). Each is a
 * log entry: all or nothing, the same on every replica, persisted with the entry.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type {
  ApplyResult,
  Command,
  Condition,
  Filter,
  JsonValue,
  Metadata,
  PayloadUpdate,
  StoredPoint,
} from '../../src/domain.js';
import { limits } from '../../src/limits.js';
import { protoDir } from '../../src/package-root.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import type { LoadProgress, VectorStateMachine } from '../../src/storage/state-machine.js';
import { mulberry32 } from '../support/random.js';
import {
  applyOk,
  applyOne,
  create,
  createIndex,
  del,
  deleteByFilter,
  deleteKeys,
  dropIndex,
  expectedIds,
  overwritePayload,
  scrollAll,
  setPayload,
  updatePayload,
  upsert,
  type RawPoint,
} from '../support/sm-commands.js';
import { stateMachineFixture } from '../support/state-machines.js';

const { tempDir, openSm, closeSm } = stateMachineFixture('payload-writes');

const DIM = 4;
const random = mulberry32(20_240_501);
const vec = (d = DIM): Float32Array => Float32Array.from({ length: d }, () => random() * 2 - 1);

const pad = (i: number): string => String(i).padStart(2, '0');

/** p00…p19: numbers, a keyword, a flag, and an array of objects under a nested object. */
const docMetadata = (i: number): Metadata => ({
  n: i,
  tag: i % 3 === 0 ? 'a' : 'b',
  keep: true,
  nested: { a: i, list: [{ name: `x${i}`, v: i }, { name: 'y', v: -i }, 7] },
});

const docs = (count = 20): RawPoint[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `p${pad(i)}`,
    vector: vec(),
    metadata: docMetadata(i),
  }));

async function docsCollection(points: RawPoint[] = docs()): Promise<VectorStateMachine> {
  const sm = await openSm(await tempDir());
  await applyOk(sm, create('docs', DIM), upsert('docs', points));
  return sm;
}

/** Every point with vector and metadata, keyed by id. */
async function snapshot(
  sm: VectorStateMachine,
  collection = 'docs',
): Promise<Map<string, StoredPoint>> {
  const all = await scrollAll(sm, collection, { withVector: true });
  return new Map(all.map((p) => [p.id, p]));
}

// An independent model of payload updates (the oracle for the by-filter writes).
type JsonObject = { [key: string]: JsonValue };
const isObject = (v: JsonValue): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function removePath(value: JsonValue, path: string[]): JsonValue {
  if (Array.isArray(value)) return value.map((e) => removePath(e, path));
  if (!isObject(value) || !(path[0]! in value)) return value;
  const [head, ...rest] = path;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k !== head) out[k] = v;
    else if (rest.length > 0) out[k] = removePath(v, rest);
  }
  return out;
}

function modelUpdate(metadata: Metadata, update: PayloadUpdate): Metadata {
  if (update.op === 'overwrite') return update.payload;
  if (update.op === 'set') return { ...metadata, ...update.payload };
  let out: JsonValue = metadata;
  for (const key of update.keys) out = removePath(out, key.split('.'));
  return out as Metadata;
}

/** Vectors as stored: each point is its own nearest neighbour, at distance 0. */
async function expectVectorsKept(
  sm: VectorStateMachine,
  before: Map<string, StoredPoint>,
  collection = 'docs',
): Promise<void> {
  const now = await snapshot(sm, collection);
  expect([...now.keys()]).toEqual([...before.keys()]);
  for (const [id, p] of before) expect(now.get(id)!.vector, id).toEqual(p.vector);
  const ids = [...before.keys()];
  const hits = await sm.search({
    collection,
    vectors: ids.map((id) => before.get(id)!.vector!),
    k: 1,
    withVector: false,
    withMetadata: true,
  });
  hits.forEach((row, i) => {
    expect(row[0]?.id, `nearest of ${ids[i]}`).toBe(ids[i]);
    expect(row[0]?.score).toBe(0);
    expect(row[0]?.metadata).toEqual(now.get(ids[i]!)!.metadata);
  });
}

// ------------------------------------------------------------------ payload updates

describe('payload updates by ids', () => {
  it('set merges top-level keys (replacing whole values, keeping the other keys)', async () => {
    const sm = await docsCollection();
    const before = await snapshot(sm);
    const payload = { tag: 'z', added: { deep: [1, 2] }, nested: { a: -1 } };
    expect(await applyOne(sm, setPayload('docs', { ids: ['p01', 'p02'] }, payload))).toEqual({
      ok: true,
      updated: 2,
    });
    const now = await snapshot(sm);
    for (const [id, p] of before) {
      const want = ['p01', 'p02'].includes(id) ? { ...p.metadata, ...payload } : p.metadata;
      expect(now.get(id)!.metadata, id).toEqual(want);
    }
    // The nested object was replaced as a whole: its list is gone.
    expect(now.get('p01')!.metadata).toEqual({
      n: 1,
      tag: 'z',
      keep: true,
      nested: { a: -1 },
      added: { deep: [1, 2] },
    });
    // A repeated id is one point.
    expect(await applyOne(sm, setPayload('docs', { ids: ['p03', 'p03'] }, { x: 1 }))).toEqual({
      ok: true,
      updated: 1,
    });
    await expectVectorsKept(sm, before);
  });

  it('overwrite replaces the whole metadata', async () => {
    const sm = await docsCollection();
    const before = await snapshot(sm);
    expect(await applyOne(sm, overwritePayload('docs', { ids: ['p03'] }, { only: 1 }))).toEqual({
      ok: true,
      updated: 1,
    });
    expect(await applyOne(sm, overwritePayload('docs', { ids: ['p04', 'p05'] }, {}))).toEqual({
      ok: true,
      updated: 2,
    });
    const now = await snapshot(sm);
    expect(now.get('p03')!.metadata).toEqual({ only: 1 });
    expect(now.get('p04')!.metadata).toEqual({});
    expect(now.get('p05')!.metadata).toEqual({});
    expect(now.get('p06')!.metadata).toEqual(docMetadata(6));
    expect(await sm.count('docs', { must: [{ key: 'only', equals: 1 }] })).toBe(1);
    expect(await sm.count('docs', { must: [{ key: 'keep', exists: true }] })).toBe(17);
    await expectVectorsKept(sm, before);
  });

  it('deleteKeys removes dotted paths, through arrays of objects; missing paths are no-ops', async () => {
    const sm = await docsCollection();
    const before = await snapshot(sm);
    const keys = ['tag', 'nested.list.name', 'nested.nope', 'missing.deeper', 'n.not-an-object'];
    expect(await applyOne(sm, deleteKeys('docs', { ids: ['p04'] }, keys))).toEqual({
      ok: true,
      updated: 1,
    });
    expect(await applyOne(sm, deleteKeys('docs', { ids: ['p05'] }, ['nested', 'keep']))).toEqual({
      ok: true,
      updated: 1,
    });
    const now = await snapshot(sm);
    expect(now.get('p04')!.metadata).toEqual({
      n: 4,
      keep: true,
      nested: { a: 4, list: [{ v: 4 }, { v: -4 }, 7] },
    });
    expect(now.get('p05')!.metadata).toEqual({ n: 5, tag: 'b' });
    expect(now.get('p06')!.metadata).toEqual(docMetadata(6));
    // Filters see the change: no point but p04 lost its names.
    expect(await sm.count('docs', { must: [{ key: 'nested.list.name', equals: 'y' }] })).toBe(18);
    await expectVectorsKept(sm, before);
  });
});

describe('payload updates by filter', () => {
  const filters: Filter[] = [
    { must: [{ key: 'n', range: { gte: 10 } }], mustNot: [{ key: 'tag', equals: 'a' }] },
    { should: [{ key: 'nested.list.name', in: ['x1', 'x2', 'x17'] }, { hasId: ['p19'] }] },
    { must: [{ key: 'tag', equals: 'a' }] },
    { must: [{ key: 'n', range: { gt: 100 } }] }, // nothing
  ];
  const updates: PayloadUpdate[] = [
    { op: 'set', payload: { flag: true, tag: 'c' } },
    { op: 'deleteKeys', keys: ['nested.list.v', 'keep'] },
    { op: 'overwrite', payload: { reset: true, n: -1 } },
    { op: 'set', payload: { never: 1 } },
  ];

  for (const indexed of [false, true]) {
    it(`change exactly the matches, as filter.ts defines them${indexed ? ' (with payload indexes)' : ''}`, async () => {
      const sm = await docsCollection();
      if (indexed)
        await applyOk(
          sm,
          createIndex('docs', 'n', 'integer'),
          createIndex('docs', 'tag', 'keyword'),
          createIndex('docs', 'nested.list.name', 'keyword'),
        );
      const vectors = await snapshot(sm);
      let model = new Map([...vectors].map(([id, p]) => [id, p.metadata!]));
      for (let i = 0; i < filters.length; i++) {
        const filter = filters[i]!;
        const update = updates[i]!;
        const points = [...model].map(([id, metadata]) => ({ id, metadata }));
        const matches = expectedIds(points, filter);
        expect(
          await applyOne(sm, updatePayload('docs', { filter }, update)),
          `update ${i}`,
        ).toEqual({ ok: true, updated: matches.length });
        model = new Map(
          [...model].map(([id, m]) => [id, matches.includes(id) ? modelUpdate(m, update) : m]),
        );
        const now = await snapshot(sm);
        for (const [id, m] of model) expect(now.get(id)!.metadata, `${id} after ${i}`).toEqual(m);
      }
      // The filters did select something (else the comparison proves little).
      expect(model.get('p11')).toMatchObject({ flag: true, tag: 'c' });
      expect(model.get('p01')!.keep).toBeUndefined();
      expect(model.get('p00')).toEqual({ reset: true, n: -1 });
      // Filters on the keys written answer from the new metadata.
      const all = [...model].map(([id, metadata]) => ({ id, metadata }));
      for (const f of [
        { must: [{ key: 'tag', equals: 'c' }] },
        { must: [{ key: 'n', equals: -1 }] },
        { must: [{ key: 'nested.list.name', equals: 'x17' }] },
        { must: [{ key: 'keep', exists: true }] },
      ] as Filter[]) {
        expect(await sm.count('docs', f), JSON.stringify(f)).toBe(expectedIds(all, f).length);
        expect((await scrollAll(sm, 'docs', { filter: f })).map((p) => p.id)).toEqual(
          expectedIds(all, f),
        );
      }
      await expectVectorsKept(sm, vectors);
    });
  }
});

// ------------------------------------------------------------------ atomicity

describe('a payload update is all or nothing', () => {
  it('by ids, one missing id: NOT_FOUND, and no point changed', async () => {
    const sm = await docsCollection();
    const before = await snapshot(sm);
    const at = sm.appliedIndex;
    for (const update of [
      setPayload('docs', { ids: ['p01', 'ghost', 'p02'] }, { x: 1 }),
      overwritePayload('docs', { ids: ['p01', 'ghost'] }, {}),
      deleteKeys('docs', { ids: ['ghost', 'p02'] }, ['n']),
    ]) {
      const result = await applyOne(sm, update);
      expect(result).toMatchObject({ ok: false, code: 'NOT_FOUND' });
      expect(!result.ok && result.message).toContain('"ghost"');
    }
    expect(sm.appliedIndex).toBe(at + 3);
    expect(await snapshot(sm)).toEqual(before);
    // A missing collection too.
    expect(await applyOne(sm, setPayload('nope', { ids: ['p01'] }, { x: 1 }))).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
  });

  it('metadata over limits.maxMetadataBytes after the update: INVALID_ARGUMENT, nothing changed', async () => {
    const sm = await docsCollection();
    // p06 holds exactly the limit once padded: {"pad":"xxx…"} is 10 bytes plus the padding.
    const exact = limits.maxMetadataBytes - 10;
    expect(
      await applyOne(sm, overwritePayload('docs', { ids: ['p06'] }, { pad: 'x'.repeat(exact) })),
    ).toEqual({ ok: true, updated: 1 });
    const before = await snapshot(sm);
    const refused: Command[] = [
      // One more key on p06 alone overflows; p05 would fit.
      setPayload('docs', { ids: ['p05', 'p06'] }, { q: 1 }),
      setPayload(
        'docs',
        {
          filter: {
            should: [
              { key: 'n', equals: 5 },
              { key: 'pad', exists: true },
            ],
          },
        },
        { q: 1 },
      ),
      setPayload('docs', { ids: ['p05'] }, { big: 'y'.repeat(limits.maxMetadataBytes) }),
      overwritePayload('docs', { ids: ['p05'] }, { big: 'y'.repeat(limits.maxMetadataBytes) }),
    ];
    for (const cmd of refused) {
      const result = await applyOne(sm, cmd);
      expect(result).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
      expect(!result.ok && result.message).toMatch(/bytes/);
    }
    expect(await snapshot(sm)).toEqual(before);
    expect(await sm.count('docs', { must: [{ key: 'q', exists: true }] })).toBe(0);
    // Removing a key makes room again.
    expect(await applyOne(sm, setPayload('docs', { ids: ['p06'] }, { pad: 'short' }))).toEqual({
      ok: true,
      updated: 1,
    });
    expect(await applyOne(sm, setPayload('docs', { ids: ['p05', 'p06'] }, { q: 1 }))).toEqual({
      ok: true,
      updated: 2,
    });
  });

  it(`a write by filter over more than limits.maxPointsPerFilterWrite points is refused (FAILED_PRECONDITION)`, async () => {
    const max = limits.maxPointsPerFilterWrite;
    const sm = await openSm(await tempDir());
    await applyOk(sm, create('big', 2));
    const total = max + 1;
    for (let from = 0; from < total; from += limits.maxPointsPerWrite) {
      const n = Math.min(limits.maxPointsPerWrite, total - from);
      await applyOk(
        sm,
        upsert(
          'big',
          Array.from({ length: n }, (_, i) => ({
            id: `b${from + i}`,
            vector: [from + i, 1],
            metadata: { g: 1 },
          })),
        ),
      );
    }
    const all: Filter = { must: [{ key: 'g', equals: 1 }] };
    expect(await sm.count('big', all)).toBe(total);
    for (const cmd of [
      deleteByFilter('big', all),
      setPayload('big', { filter: all }, { h: 2 }),
      deleteKeys('big', { filter: all }, ['g']),
    ]) {
      const result = await applyOne(sm, cmd);
      expect(result, cmd.kind).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
      expect(!result.ok && result.message).toContain(`${total}`);
    }
    expect(await sm.count('big', all)).toBe(total);
    expect(await sm.count('big', { must: [{ key: 'h', exists: true }] })).toBe(0);
    // At the limit, it applies.
    await applyOk(sm, del('big', ['b0']));
    expect(await applyOne(sm, setPayload('big', { filter: all }, { h: 2 }))).toEqual({
      ok: true,
      updated: max,
    });
    expect(await applyOne(sm, deleteByFilter('big', { must: [{ key: 'h', equals: 2 }] }))).toEqual({
      ok: true,
      deleted: max,
    });
    expect(await sm.count('big')).toBe(0);
  });
});

// ------------------------------------------------------------------ delete by filter

describe('deleteByFilter', () => {
  const meta = (i: number): Metadata => ({
    n: i,
    f: i / 4,
    tag: ['a', 'b', 'c'][i % 3]!,
    tags: i % 4 === 0 ? ['x', 'y'] : i % 4 === 1 ? [] : ['y'],
    flag: i % 2 === 0,
    ...(i % 5 === 0 && { maybe: null }),
    author: { name: `au${i % 7}`, books: [{ year: 2000 + (i % 10) }, { year: 1990 }] },
    at: `2024-0${1 + (i % 9)}-15T12:00:00${i % 2 === 0 ? 'Z' : '+02:00'}`,
  });
  const filters: Filter[] = [
    { must: [{ key: 'n', range: { lt: 5 } }] },
    {
      must: [
        { key: 'tag', in: ['a'] },
        { key: 'flag', equals: true },
      ],
    },
    {
      should: [
        { key: 'tags', equals: 'x' },
        { key: 'author.name', equals: 'au3' },
        { key: 'f', range: { gte: 14 } },
      ],
      minShould: 2,
    },
    { must: [{ key: 'maybe', isNull: true }] },
    { must: [{ key: 'tags', isEmpty: true }] },
    { must: [{ key: 'author.books.year', equals: 2007 }] },
    { must: [{ key: 'at', datetimeRange: { gte: '2024-05-01', lt: '2024-07-01T00:00:00Z' } }] },
    { mustNot: [{ key: 'tag', notIn: ['c'] }] },
    { must: [{ filter: { should: [{ hasId: ['d50', 'd51'] }, { key: 'n', equals: 59 }] } }] },
    { must: [{ key: 'n', range: { gt: 1000 } }] }, // nothing
  ];

  for (const indexed of [false, true]) {
    it(`deletes exactly the points that match${indexed ? ' (with payload indexes)' : ''}`, async () => {
      const sm = await openSm(await tempDir());
      await applyOk(
        sm,
        create('d', DIM),
        upsert(
          'd',
          Array.from({ length: 60 }, (_, i) => ({ id: `d${i}`, vector: vec(), metadata: meta(i) })),
        ),
      );
      if (indexed)
        await applyOk(
          sm,
          createIndex('d', 'n', 'integer'),
          createIndex('d', 'f', 'float'),
          createIndex('d', 'tag', 'keyword'),
          createIndex('d', 'tags', 'keyword'),
          createIndex('d', 'flag', 'bool'),
          createIndex('d', 'at', 'datetime'),
          createIndex('d', 'author.books.year', 'integer'),
        );
      let deletedAny = 0;
      for (const filter of filters) {
        const before = await scrollAll(sm, 'd', { withVector: true });
        const matches = expectedIds(before, filter);
        const countBefore = await sm.count('d');
        expect(await sm.count('d', filter)).toBe(matches.length);
        expect(await applyOne(sm, deleteByFilter('d', filter)), JSON.stringify(filter)).toEqual({
          ok: true,
          deleted: matches.length,
        });
        deletedAny += matches.length > 0 ? 1 : 0;
        expect(await sm.count('d')).toBe(countBefore - matches.length);
        expect(await sm.count('d', filter)).toBe(0);
        const after = await scrollAll(sm, 'd', { withVector: true });
        expect(after).toEqual(before.filter((p) => !matches.includes(p.id)));
        expect(
          await sm.get('d', matches.slice(0, 100), { withVector: false, withMetadata: true }),
        ).toEqual([]);
      }
      expect(deletedAny).toBeGreaterThanOrEqual(filters.length - 2);
      expect(await sm.count('d')).toBeGreaterThan(0);
      // An empty filter matches every point.
      const left = await sm.count('d');
      expect(await applyOne(sm, deleteByFilter('d', {}))).toEqual({ ok: true, deleted: left });
      expect(await sm.count('d')).toBe(0);
    });
  }
});

// ------------------------------------------------------------------ apply groups

describe('payload updates and upserts of the same point in one apply group', () => {
  const v1 = [1, 0, 0, 0];
  const v2 = [0, 1, 0, 0];
  const v3 = [0, 0, 1, 0];
  /** The entries after `create`: each case on its own point. */
  const entries = (): Command[] => [
    // New point: upsert then update.
    upsert('docs', [{ id: 'new', vector: v1, metadata: { a: 1 } }]),
    setPayload('docs', { ids: ['new'] }, { b: 2 }),
    // Existing point: re-upserted with a new vector, then updated by filter on the new metadata.
    upsert('docs', [{ id: 'p01', vector: v2, metadata: { fresh: true } }]),
    setPayload('docs', { filter: { must: [{ key: 'fresh', equals: true }] } }, { seen: 'yes' }),
    // Update then upsert: the upsert wins whole.
    setPayload('docs', { ids: ['p02'] }, { lost: true }),
    upsert('docs', [{ id: 'p02', vector: v3, metadata: { c: 3 } }]),
    // Upsert, update, upsert, update.
    upsert('docs', [{ id: 'p03', vector: v1, metadata: { a: 1 } }]),
    deleteKeys('docs', { ids: ['p03'] }, ['a']),
    upsert('docs', [{ id: 'p03', vector: v2, metadata: { a: 2 } }]),
    setPayload('docs', { ids: ['p03'] }, { d: 4 }),
    // Update of a point deleted earlier in the group: NOT_FOUND.
    del('docs', ['p04']),
    setPayload('docs', { ids: ['p04'] }, { x: 1 }),
    // Upsert after a delete, then overwrite.
    upsert('docs', [{ id: 'p04', vector: v3, metadata: { back: true } }]),
    overwritePayload('docs', { ids: ['p04'] }, { over: 1 }),
  ];
  const expectedResults: ApplyResult[] = [
    { ok: true, upserted: 1 },
    { ok: true, updated: 1 },
    { ok: true, upserted: 1 },
    { ok: true, updated: 1 },
    { ok: true, updated: 1 },
    { ok: true, upserted: 1 },
    { ok: true, upserted: 1 },
    { ok: true, updated: 1 },
    { ok: true, upserted: 1 },
    { ok: true, updated: 1 },
    { ok: true, deleted: 1 },
    expect.objectContaining({ ok: false, code: 'NOT_FOUND' }) as ApplyResult,
    { ok: true, upserted: 1 },
    { ok: true, updated: 1 },
  ];
  const expected: Record<string, { vector: number[]; metadata: Metadata }> = {
    new: { vector: v1, metadata: { a: 1, b: 2 } },
    p01: { vector: v2, metadata: { fresh: true, seen: 'yes' } },
    p02: { vector: v3, metadata: { c: 3 } },
    p03: { vector: v2, metadata: { a: 2, d: 4 } },
    p04: { vector: v3, metadata: { over: 1 } },
  };

  async function expectState(sm: VectorStateMachine): Promise<void> {
    const ids = Object.keys(expected);
    const got = await sm.get('docs', ids, { withVector: true, withMetadata: true });
    expect(got).toEqual(
      ids.map((id) => ({
        id,
        vector: Float32Array.from(expected[id]!.vector),
        metadata: expected[id]!.metadata,
      })),
    );
    expect(await sm.get('docs', ['p05'], { withVector: false, withMetadata: true })).toEqual([
      { id: 'p05', metadata: docMetadata(5) },
    ]);
    expect(await sm.count('docs')).toBe(21);
    // The index holds the new vectors: searching each finds its point (or its twin).
    const [hit] = await sm.search({
      collection: 'docs',
      vectors: [Float32Array.from(v3)],
      k: 2,
      withVector: false,
      withMetadata: false,
    });
    expect(hit!.map((h) => h.id).sort()).toEqual(['p02', 'p04']);
    expect(await sm.count('docs', { must: [{ key: 'seen', equals: 'yes' }] })).toBe(1);
    expect(await sm.count('docs', { must: [{ key: 'lost', exists: true }] })).toBe(0);
  }

  it('each update sees the writes before it in the group, as one entry per call would', async () => {
    const singleDir = await tempDir();
    const groupedDir = await tempDir();
    let single = await openSm(singleDir);
    let grouped = await openSm(groupedDir);
    const head = [create('docs', DIM), upsert('docs', docs())];
    const payloads = [...head, ...entries()].map(encodeCommand);
    const one: ApplyResult[] = [];
    for (const p of payloads) one.push(await single.applyEntry(single.appliedIndex + 1, p));
    expect(one.slice(2)).toEqual(expectedResults);
    // The whole log in one group.
    const all = await grouped.applyEntries(1, payloads);
    expect(all).toEqual(one);
    expect(grouped.appliedDigest).toEqual(single.appliedDigest);
    await expectState(single);
    await expectState(grouped);

    // Reopened from disk: the same metadata and vectors.
    await closeSm(grouped);
    await closeSm(single);
    grouped = await openSm(groupedDir);
    single = await openSm(singleDir);
    expect(grouped.appliedDigest).toEqual(single.appliedDigest);
    await expectState(grouped);
    await expectState(single);
  });

  it('in groups of every size, with a restart between groups', async () => {
    const payloads = [create('docs', DIM), upsert('docs', docs()), ...entries()].map(encodeCommand);
    const reference = await openSm(await tempDir());
    const want: ApplyResult[] = [];
    for (const p of payloads) want.push(await reference.applyEntry(reference.appliedIndex + 1, p));
    for (const size of [2, 3, 5]) {
      const dir = await tempDir();
      let sm = await openSm(dir);
      const got: ApplyResult[] = [];
      for (let at = 0; at < payloads.length; at += size) {
        got.push(...(await sm.applyEntries(at + 1, payloads.slice(at, at + size))));
        await closeSm(sm);
        sm = await openSm(dir);
      }
      expect(got, `groups of ${size}`).toEqual(want);
      expect(sm.appliedDigest).toEqual(reference.appliedDigest);
      await expectState(sm);
    }
  });
});

// ------------------------------------------------------------------ payload indexes

describe('payload indexes', () => {
  it('create, same again (no-op), another type (replaces), drop, and the refusals', async () => {
    const sm = await docsCollection();
    const indexes = () => sm.describeCollection('docs').payloadIndexes;
    expect(indexes()).toEqual([]);
    expect(await applyOne(sm, createIndex('docs', 'tag', 'keyword'))).toEqual({
      ok: true,
      created: true,
    });
    expect(indexes()).toEqual([{ key: 'tag', type: 'keyword' }]);
    expect(await applyOne(sm, createIndex('docs', 'tag', 'keyword'))).toEqual({
      ok: true,
      created: false,
    });
    expect(await applyOne(sm, createIndex('docs', 'n', 'integer'))).toEqual({
      ok: true,
      created: true,
    });
    expect(await applyOne(sm, createIndex('docs', 'nested.a', 'float'))).toEqual({
      ok: true,
      created: true,
    });
    expect(indexes()).toEqual([
      { key: 'n', type: 'integer' },
      { key: 'nested.a', type: 'float' },
      { key: 'tag', type: 'keyword' },
    ]);
    // Another type on the same key replaces the index there.
    expect(await applyOne(sm, createIndex('docs', 'n', 'float'))).toEqual({
      ok: true,
      created: true,
    });
    expect(indexes()).toEqual([
      { key: 'n', type: 'float' },
      { key: 'nested.a', type: 'float' },
      { key: 'tag', type: 'keyword' },
    ]);
    expect(await sm.count('docs', { must: [{ key: 'n', range: { gte: 2.5, lt: 6 } }] })).toBe(3);
    expect(await applyOne(sm, dropIndex('docs', 'nested.a'))).toEqual({ ok: true, dropped: true });
    expect(indexes()).toEqual([
      { key: 'n', type: 'float' },
      { key: 'tag', type: 'keyword' },
    ]);
    for (const [cmd, code] of [
      [dropIndex('docs', 'nested.a'), 'NOT_FOUND'],
      [dropIndex('docs', 'never'), 'NOT_FOUND'],
      [dropIndex('nope', 'n'), 'NOT_FOUND'],
      [createIndex('nope', 'n', 'integer'), 'NOT_FOUND'],
      [createIndex('docs', 'n', 'text' as never), 'INVALID_ARGUMENT'],
      [createIndex('docs', '', 'keyword'), 'INVALID_ARGUMENT'],
      [createIndex('docs', 'a..b', 'keyword'), 'INVALID_ARGUMENT'],
    ] as const) {
      expect(await applyOne(sm, cmd), JSON.stringify(cmd)).toMatchObject({ ok: false, code });
    }
    expect(indexes()).toEqual([
      { key: 'n', type: 'float' },
      { key: 'tag', type: 'keyword' },
    ]);
    expect(await applyOne(sm, dropIndex('docs', 'n'))).toEqual({ ok: true, dropped: true });
    expect(await applyOne(sm, dropIndex('docs', 'tag'))).toEqual({ ok: true, dropped: true });
    expect(indexes()).toEqual([]);
    expect(sm.listCollections()[0]!.payloadIndexes).toEqual([]);
  });

  /** Points whose values at the indexed keys vary in type, nesting and presence. */
  const richMetadata = (i: number): Metadata => {
    const m: Metadata = {};
    if (i % 7 !== 0) m.n = i % 5 === 0 ? i + 0.5 : i % 23;
    if (i % 4 !== 0) m.f = (i % 17) / 3;
    m.tag = i % 6 === 0 ? ['red', 'blue'] : i % 6 === 1 ? 'red' : i % 6 === 2 ? 7 : 'green';
    if (i % 3 !== 0) m.flag = i % 2 === 0;
    m.at =
      i % 5 === 0 ? 'not a date' : `2024-${String(1 + (i % 12)).padStart(2, '0')}-0${1 + (i % 9)}`;
    m.author = { name: `au${i % 5}`, books: [{ year: 2000 + (i % 11) }, { year: 1999 }] };
    return m;
  };

  const checkFilters: Filter[] = [
    { must: [{ key: 'n', equals: 3 }] },
    { must: [{ key: 'n', range: { gte: 4, lt: 12 } }] },
    { must: [{ key: 'n', range: { gt: 10 } }] },
    {
      must: [
        { key: 'f', range: { lte: 2 } },
        { key: 'flag', equals: true },
      ],
    },
    { must: [{ key: 'tag', in: ['red', 'blue'] }] },
    { must: [{ key: 'tag', equals: 7 }] },
    {
      should: [
        { key: 'tag', equals: 'green' },
        { key: 'n', in: [1, 2, 3] },
      ],
    },
    { must: [{ key: 'flag', equals: false }], mustNot: [{ key: 'tag', equals: 'red' }] },
    { must: [{ key: 'at', datetimeRange: { gte: '2024-03-01', lt: '2024-09-01T00:00:00Z' } }] },
    { must: [{ key: 'author.books.year', range: { gte: 2005 } }] },
    {
      must: [
        { key: 'author.name', equals: 'au2' },
        { key: 'n', range: { lt: 20 } },
      ],
    },
    {
      must: [
        {
          filter: {
            should: [
              { key: 'n', equals: 5.5 },
              { key: 'f', equals: 2 },
            ],
          },
        },
      ],
    },
  ];
  const indexSpecs: Command[] = [
    createIndex('r', 'n', 'integer'),
    createIndex('r', 'f', 'float'),
    createIndex('r', 'tag', 'keyword'),
    createIndex('r', 'flag', 'bool'),
    createIndex('r', 'at', 'datetime'),
    createIndex('r', 'author.books.year', 'integer'),
    createIndex('r', 'author.name', 'keyword'),
  ];

  /** Every check filter answered by count and scroll as filter.ts answers it over every point. */
  async function expectIndexedAnswers(sm: VectorStateMachine, what: string): Promise<void> {
    const all = await scrollAll(sm, 'r');
    for (const filter of checkFilters) {
      const want = expectedIds(all, filter);
      const label = `${what}: ${JSON.stringify(filter)}`;
      expect(await sm.count('r', filter), label).toBe(want.length);
      expect(
        (await scrollAll(sm, 'r', { filter, limit: 7 })).map((p) => p.id),
        label,
      ).toEqual(want);
    }
  }

  it('are kept in step with writes, survive close/reopen and a checkpoint, and answer like filter.ts', async () => {
    const dir = await tempDir();
    const checkpoints = { dir: join(dir, 'checkpoints'), minChangedPoints: 1e9 };
    const state = join(dir, 'state');
    let progress: LoadProgress | undefined;
    const onProgress = (p: LoadProgress) => {
      progress = p;
    };
    let sm = await openSm(state, { checkpoints, onProgress });
    await applyOk(
      sm,
      create('r', DIM),
      upsert(
        'r',
        Array.from({ length: 120 }, (_, i) => ({
          id: `r${i}`,
          vector: vec(),
          metadata: richMetadata(i),
        })),
      ),
      ...indexSpecs,
    );
    const specs = sm.describeCollection('r').payloadIndexes;
    expect(specs).toHaveLength(indexSpecs.length);
    await expectIndexedAnswers(sm, 'created');
    // Writes of every kind after the indexes exist.
    await applyOk(
      sm,
      setPayload('r', { filter: { must: [{ key: 'n', range: { lt: 4 } }] } }, { tag: 'set', n: 3 }),
      overwritePayload('r', { ids: ['r10', 'r11'] }, { n: 11, tag: ['red'], flag: true }),
      deleteKeys('r', { filter: { must: [{ key: 'tag', equals: 'green' }] } }, [
        'n',
        'author.books.year',
      ]),
      deleteByFilter('r', {
        must: [
          { key: 'flag', equals: false },
          { key: 'f', range: { gt: 3 } },
        ],
      }),
      del('r', ['r20', 'r21']),
      upsert('r', [
        { id: 'r22', vector: vec(), metadata: { n: 5.5, tag: 'red', at: '2024-04-04T04:04:04Z' } },
        { id: 'r999', vector: vec(), metadata: richMetadata(999) },
      ]),
    );
    await expectIndexedAnswers(sm, 'after writes');

    // Closed and reopened without checkpoints: indexes rebuilt from the stored points.
    await closeSm(sm);
    sm = await openSm(state);
    expect(sm.describeCollection('r').payloadIndexes).toEqual(specs);
    await expectIndexedAnswers(sm, 'reopened');
    await applyOk(sm, setPayload('r', { ids: ['r30'] }, { n: 12, tag: 'blue' }));

    // With checkpoints: the close writes one, the next open loads from its point table.
    await closeSm(sm);
    sm = await openSm(state, { checkpoints, onProgress });
    // The checkpoint is older than the store: its index is reconciled, the points scanned.
    expect(progress).toMatchObject({ indexesRestored: 1, pointTablesRead: 0 });
    await expectIndexedAnswers(sm, 'from a stale checkpoint');
    await closeSm(sm); // writes a checkpoint at the current index
    sm = await openSm(state, { checkpoints, onProgress });
    expect(progress?.pointTablesRead).toBe(1);
    expect(sm.describeCollection('r').payloadIndexes).toEqual(specs);
    await expectIndexedAnswers(sm, 'from a checkpoint');
    // A payload update after the checkpoint, then closed (new checkpoint) and reopened.
    await applyOk(
      sm,
      setPayload('r', { filter: { must: [{ key: 'tag', equals: 'blue' }] } }, { flag: false }),
      dropIndex('r', 'flag'),
    );
    await closeSm(sm);
    sm = await openSm(state, { checkpoints, onProgress });
    expect(progress?.pointTablesRead).toBe(1);
    expect(sm.describeCollection('r').payloadIndexes).toEqual(
      specs.filter((s) => s.key !== 'flag'),
    );
    expect(await sm.get('r', ['r30'], { withVector: false, withMetadata: true })).toEqual([
      { id: 'r30', metadata: { ...richMetadata(30), n: 12, tag: 'blue', flag: false } },
    ]);
    await expectIndexedAnswers(sm, 'from the second checkpoint');
    await sm.scrubbed();
  });
});

// ------------------------------------------------------------------ bad filters in the log

const LogCommand = protobuf
  .loadSync(join(protoDir(), 'raftvec/v1/command.proto'))
  .lookupType('raftvec.v1.LogCommand');

/** A LogCommand built by hand, as a buggy or hostile leader might write it. */
const rawEntry = (message: Record<string, unknown>): Uint8Array =>
  LogCommand.encode(LogCommand.fromObject(message)).finish();

describe('filters in log entries that validation never saw', () => {
  const bad: Array<{ name: string; payload: Uint8Array }> = [
    {
      name: 'empty key',
      payload: encodeCommand(deleteByFilter('docs', { must: [{ key: '', equals: 1 }] })),
    },
    {
      name: 'not JSON',
      payload: rawEntry({ deleteByFilter: { collection: 'docs', filterJson: '{"must": [' } }),
    },
    {
      name: 'JSON null',
      payload: rawEntry({ deleteByFilter: { collection: 'docs', filterJson: 'null' } }),
    },
    {
      name: 'a string',
      payload: rawEntry({ deleteByFilter: { collection: 'docs', filterJson: '"n"' } }),
    },
    {
      name: 'unknown condition',
      payload: rawEntry({
        deleteByFilter: { collection: 'docs', filterJson: '{"must":[{"key":"n","regex":"."}]}' },
      }),
    },
    {
      name: 'unknown clause',
      payload: rawEntry({
        deleteByFilter: { collection: 'docs', filterJson: '{"__proto__":{"must":[]}}' },
      }),
    },
    {
      name: 'two kinds in one condition',
      payload: rawEntry({
        deleteByFilter: {
          collection: 'docs',
          filterJson: '{"must":[{"key":"n","equals":1,"in":[2]}]}',
        },
      }),
    },
    {
      name: 'range without bounds',
      payload: encodeCommand(deleteByFilter('docs', { must: [{ key: 'n', range: {} }] })),
    },
    {
      name: 'bad datetime bound',
      payload: encodeCommand(
        deleteByFilter('docs', { must: [{ key: 'n', datetimeRange: { gt: 'yesterday' } }] }),
      ),
    },
    {
      name: 'minShould above the should conditions',
      payload: encodeCommand(
        deleteByFilter('docs', { should: [{ key: 'n', equals: 1 }], minShould: 2 }),
      ),
    },
    {
      name: 'update by a filter that is not JSON',
      payload: rawEntry({
        updatePayload: { collection: 'docs', filterJson: '[', op: 'set', payloadJson: '{}' },
      }),
    },
    {
      name: 'update by an invalid filter',
      payload: encodeCommand(
        setPayload('docs', { filter: { must: [{ key: 'n', in: [] }] } }, { x: 1 }),
      ),
    },
    {
      name: 'update with a payload that is not an object',
      payload: rawEntry({
        updatePayload: { collection: 'docs', ids: ['p01'], op: 'set', payloadJson: '[1]' },
      }),
    },
    {
      name: 'update with an unknown op',
      payload: rawEntry({
        updatePayload: { collection: 'docs', ids: ['p01'], op: 'merge', payloadJson: '{}' },
      }),
    },
    {
      name: 'update with neither ids nor a filter',
      payload: rawEntry({ updatePayload: { collection: 'docs', op: 'set', payloadJson: '{}' } }),
    },
    {
      name: 'deleteKeys with an empty key',
      payload: encodeCommand(deleteKeys('docs', { ids: ['p01'] }, ['n', ''])),
    },
  ];

  it('rejects each deterministically (INVALID_ARGUMENT), changes nothing, and applies the next entry', async () => {
    const points = docs();
    const a = await docsCollection(points);
    const b = await docsCollection(points);
    const before = await snapshot(a);
    for (const { name, payload } of bad) {
      const index = a.appliedIndex + 1;
      const result = await a.applyEntry(index, payload);
      expect(result, name).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
      // The same on another replica, applied in one group with the entry after it.
      const next = encodeCommand(setPayload('docs', { ids: ['p07'] }, { seen: index }));
      const [again, after] = await b.applyEntries(index, [payload, next]);
      expect(again, name).toEqual(result);
      expect(after).toEqual({ ok: true, updated: 1 });
      expect(await a.applyEntry(index + 1, next)).toEqual(after);
      expect(a.appliedDigest, name).toEqual(b.appliedDigest);
    }
    const now = await snapshot(a);
    expect(now.get('p07')!.metadata).toMatchObject({ seen: a.appliedIndex - 1 });
    now.set('p07', before.get('p07')!);
    expect(now).toEqual(before);
    expect(await snapshot(b)).toEqual(await snapshot(a));
  });
});

// Filters that validation accepts but that mean something else to the evaluator. A
// leader's gRPC conversion never produces them (it drops null bounds and stray keys), but
// a log entry written by another client or version can carry them, and apply must stay
// total and deterministic, and a payload index must not change what they match.
describe('filters validation accepts in odd shapes', () => {
  /** p0…p9 with n = -3…6 and at = 2024-01-01…2024-01-10. */
  async function small(): Promise<VectorStateMachine> {
    const sm = await openSm(await tempDir());
    await applyOk(
      sm,
      create('c', 2),
      upsert(
        'c',
        Array.from({ length: 10 }, (_, i) => ({
          id: `p${i}`,
          vector: [i, 1],
          metadata: { n: i - 3, at: `2024-01-${pad(i + 1)}` },
        })),
      ),
    );
    return sm;
  }

  it('a datetimeRange bound of null in a log entry does not crash apply', async () => {
    const sm = await small();
    const entry = rawEntry({
      deleteByFilter: {
        collection: 'c',
        filterJson: '{"must":[{"key":"at","datetimeRange":{"gt":null,"lt":"2024-01-05"}}]}',
      },
    });
    // Validation reads a null bound as absent: the entry is refused, or deletes at < 01-05.
    let result: ApplyResult | undefined;
    let thrown: unknown;
    try {
      result = await sm.applyEntry(sm.appliedIndex + 1, entry);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeUndefined();
    const outcome = result!.ok ? result : { ok: false, code: result!.code };
    expect([
      { ok: false, code: 'INVALID_ARGUMENT' },
      { ok: true, deleted: 4 },
    ]).toContainEqual(outcome);
    // The node goes on applying.
    expect(await applyOne(sm, del('c', ['p9']))).toEqual({ ok: true, deleted: 1 });
  });

  it('a number range bound of null means what validation took it for (absent), or is refused', async () => {
    const sm = await small();
    const entry = rawEntry({
      deleteByFilter: {
        collection: 'c',
        filterJson: '{"must":[{"key":"n","range":{"gt":null,"lt":2}}]}',
      },
    });
    const result = await sm.applyEntry(sm.appliedIndex + 1, entry);
    // n < 2: p0…p4 (n = -3…1). Read as gt 0, it deletes p4 alone.
    const outcome = result.ok ? result : { ok: false, code: result.code };
    expect([
      { ok: false, code: 'INVALID_ARGUMENT' },
      { ok: true, deleted: 5 },
    ]).toContainEqual(outcome);
  });

  it('a hasId or nested filter condition with a stray key is refused, in a read and in a log entry', async () => {
    const sm = await small();
    const strays = [
      { hasId: ['p1'], key: '' },
      { key: 'zzz', filter: { must: [{ hasId: ['p1'] }] } },
    ] as unknown as Condition[];
    for (const stray of strays) {
      for (const filter of [
        { must: [stray] },
        { must: [stray, { key: 'n', range: { gte: -10 } }] },
      ] as Filter[]) {
        await expect(sm.count('c', filter)).rejects.toThrow(/has no key; leave key out/);
        const result = await applyOne(sm, deleteByFilter('c', filter));
        expect(result).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
      }
    }
    expect(await sm.count('c')).toBe(10);
  });
});
