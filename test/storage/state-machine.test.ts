import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ApplyResult,
  Command,
  Filter,
  Metadata,
  Metric,
  Point,
  StoredPoint,
} from '../../src/domain.js';
import { RaftvecError } from '../../src/errors.js';
import { FILTER_EXACT_THRESHOLD } from '../../src/index/collection-index.js';
import { VectorStateMachine } from '../../src/storage/state-machine.js';
import { compileFilter } from '../../src/storage/filter.js';
import { mulberry32 as rng } from '../support/random.js';

// ------------------------------------------------------------------ helpers

const dirs: string[] = [];
const open: VectorStateMachine[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raftvec-sm-'));
  dirs.push(dir);
  return dir;
}

async function openSm(dir?: string, sync = false): Promise<VectorStateMachine> {
  const sm = await VectorStateMachine.open(dir ?? (await tempDir()), { sync });
  open.push(sm);
  return sm;
}

afterEach(async () => {
  for (const sm of open.splice(0)) await sm.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Applies commands at the next indexes; returns the results. */
async function applyAll(sm: VectorStateMachine, ...cmds: Command[]): Promise<ApplyResult[]> {
  const out: ApplyResult[] = [];
  for (const cmd of cmds) out.push(await sm.apply(sm.appliedIndex + 1, cmd));
  return out;
}

const create = (
  name: string,
  dimension: number,
  metric: Metric = 'l2',
  indexSpec = 'Flat',
): Command => ({
  kind: 'createCollection',
  spec: { name, dimension, metric, indexSpec },
});

const upsert = (
  collection: string,
  points: Point[],
  session?: { clientId: string; sequence: number },
): Command =>
  session
    ? { kind: 'upsert', collection, points, session }
    : { kind: 'upsert', collection, points };

const pt = (id: string, vector: number[] | Float32Array, metadata: Metadata = {}): Point => ({
  id,
  vector: vector instanceof Float32Array ? vector : new Float32Array(vector),
  metadata,
});

function randomVectors(n: number, d: number, seed: number): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, () => r() * 2 - 1));
}

const l2 = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
};

/** Exact k nearest ids by squared L2 among `points` passing `filter`. */
function bruteForce(points: Point[], q: Float32Array, k: number, filter?: Filter): string[] {
  const pred = compileFilter(filter);
  return points
    .filter((p) => pred(p.metadata))
    .map((p) => ({ id: p.id, d: l2(p.vector, q) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map((x) => x.id);
}

async function upsertInBatches(
  sm: VectorStateMachine,
  collection: string,
  points: Point[],
  batch = 5000,
): Promise<void> {
  for (let i = 0; i < points.length; i += batch) {
    const r = await sm.apply(sm.appliedIndex + 1, upsert(collection, points.slice(i, i + batch)));
    expect(r).toEqual({ ok: true, upserted: Math.min(batch, points.length - i) });
  }
}

async function scrollAll(
  sm: VectorStateMachine,
  collection: string,
  filter?: Filter,
  limit = 1000,
): Promise<StoredPoint[]> {
  const out: StoredPoint[] = [];
  let afterId: string | undefined;
  for (;;) {
    const page = await sm.scroll({
      collection,
      limit,
      withVector: true,
      withMetadata: true,
      ...(afterId !== undefined ? { afterId } : {}),
      ...(filter ? { filter } : {}),
    });
    out.push(...page.points);
    if (page.nextAfterId === undefined) return out;
    afterId = page.nextAfterId;
  }
}

/** Every key/value of a closed state machine's LevelDB, hex-encoded. */
async function dumpDb(dir: string): Promise<Array<[string, string]>> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const out: Array<[string, string]> = [];
  for await (const [k, v] of db.iterator())
    out.push([Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]);
  await db.close();
  return out;
}

async function expectRejects(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RaftvecError);
  expect((caught as RaftvecError).code).toBe(code);
  if (pattern) expect((caught as RaftvecError).message).toMatch(pattern);
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

// ------------------------------------------------------------------ tests

describe('VectorStateMachine: collections', () => {
  it('creates, lists (sorted), describes and drops collections', async () => {
    const sm = await openSm();
    expect(sm.appliedIndex).toBe(0);
    const results = await applyAll(sm, create('beta', 3), create('alpha', 4, 'cosine', 'HNSW32'), {
      kind: 'noop',
    });
    expect(results).toEqual([
      { ok: true, created: true },
      { ok: true, created: true },
      { ok: true },
    ]);
    expect(sm.appliedIndex).toBe(3);
    expect(sm.listCollections()).toEqual([
      {
        name: 'alpha',
        dimension: 4,
        metric: 'cosine',
        indexSpec: 'HNSW32',
        pointCount: 0,
        payloadIndexes: [],
      },
      {
        name: 'beta',
        dimension: 3,
        metric: 'l2',
        indexSpec: 'Flat',
        pointCount: 0,
        payloadIndexes: [],
      },
    ]);
    expect(sm.describeCollection('beta')).toEqual({
      name: 'beta',
      dimension: 3,
      metric: 'l2',
      indexSpec: 'Flat',
      pointCount: 0,
      payloadIndexes: [],
    });
    expect(() => sm.describeCollection('gamma')).toThrow(/collection "gamma" does not exist/);
    try {
      sm.describeCollection('gamma');
    } catch (err) {
      expect((err as RaftvecError).code).toBe('NOT_FOUND');
    }

    const [again, dropped, dropMissing] = await applyAll(
      sm,
      create('beta', 5),
      { kind: 'dropCollection', name: 'beta' },
      { kind: 'dropCollection', name: 'beta' },
    );
    expect(again).toMatchObject({ ok: false, code: 'ALREADY_EXISTS' });
    expect(dropped).toEqual({ ok: true, dropped: true });
    expect(dropMissing).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
      message: expect.stringMatching(/"beta" does not exist/),
    });
    expect(sm.listCollections().map((c) => c.name)).toEqual(['alpha']);
    await expectRejects(sm.count('beta'), 'NOT_FOUND');
    await expectRejects(
      sm.search({
        collection: 'beta',
        vectors: [new Float32Array(3)],
        k: 1,
        withVector: false,
        withMetadata: false,
      }),
      'NOT_FOUND',
    );
  });

  it('rejects bad specs deterministically (INVALID_ARGUMENT result, nothing created)', async () => {
    const sm = await openSm();
    const results = await applyAll(
      sm,
      create('../x', 3),
      create('ok', 0),
      create('ok', 3, 'l2', 'IDMap,Flat'),
      create('ok', 3, 'l2', 'NotAFaissIndex42'),
      create('ok', 8, 'l2', 'PQ5'), // FAISS: 8 is not a multiple of 5
      create('ok', 8, 'l2', 'IVF0,Flat'), // would abort the process inside FAISS
    );
    for (const r of results) expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(results[4]).toMatchObject({ message: expect.stringMatching(/index spec "PQ5"/) });
    expect(sm.listCollections()).toEqual([]);
    expect(sm.appliedIndex).toBe(6);
  });

  it('a re-created collection never sees the data of the dropped one, which is cleared from disk', async () => {
    const dir = await tempDir();
    const sm = await openSm(dir);
    await applyAll(sm, create('c', 2), upsert('c', [pt('a', [1, 1]), pt('b', [2, 2])]));
    await applyAll(sm, { kind: 'dropCollection', name: 'c' }, create('c', 2));
    expect(await sm.count('c')).toBe(0);
    expect(await sm.get('c', ['a', 'b'], { withVector: true, withMetadata: true })).toEqual([]);
    expect(await scrollAll(sm, 'c')).toEqual([]);
    await applyAll(sm, upsert('c', [pt('z', [0, 1])]));
    expect((await scrollAll(sm, 'c')).map((p) => p.id)).toEqual(['z']);
    await sm.close();
    // Only the new collection's point and label keys are left (P = 0x50, L = 0x4c).
    const keys = (await dumpDb(dir)).map(([k]) => k);
    expect(keys.filter((k) => k.startsWith('50')).length).toBe(1);
    expect(keys.filter((k) => k.startsWith('4c')).length).toBe(1);
    expect(keys.filter((k) => k.startsWith('44')).length).toBe(0); // no drop tombstone left
  });
});

describe('VectorStateMachine: points', () => {
  it('upserts, then gets, searches, counts and scrolls', async () => {
    const sm = await openSm();
    const r = await applyAll(
      sm,
      create('docs', 3),
      upsert('docs', [
        pt('vec1', [0.1, 0.2, 0.3], { source: 'docA' }),
        pt('vec2', [1, 1, 1], { source: 'docB', year: 2020 }),
        pt('vec3', [-1, 0, 0.5], { source: 'docA', year: 2024 }),
      ]),
    );
    expect(r[1]).toEqual({ ok: true, upserted: 3 });
    expect(sm.describeCollection('docs').pointCount).toBe(3);

    const got = await sm.get('docs', ['vec3', 'missing', 'vec1'], {
      withVector: true,
      withMetadata: true,
    });
    expect(got.map((p) => p.id)).toEqual(['vec3', 'vec1']);
    expect(Array.from(got[1]!.vector!)).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.3])));
    expect(got[1]!.metadata).toEqual({ source: 'docA' });
    const bare = await sm.get('docs', ['vec2'], { withVector: false, withMetadata: false });
    expect(bare).toEqual([{ id: 'vec2' }]);

    const [hits] = await sm.search({
      collection: 'docs',
      vectors: [new Float32Array([0.1, 0.2, 0.3])],
      k: 2,
      withVector: false,
      withMetadata: true,
    });
    expect(hits!.map((h) => h.id)).toEqual(['vec1', 'vec3']);
    expect(hits![0]!.score).toBeCloseTo(0, 6);
    expect(hits![1]!.score).toBeCloseTo(1.21 + 0.04 + 0.04, 5); // squared L2
    expect(hits![0]!.metadata).toEqual({ source: 'docA' });

    // k larger than the collection: every point, once.
    const [all] = await sm.search({
      collection: 'docs',
      vectors: [new Float32Array(3)],
      k: 100,
      withVector: false,
      withMetadata: false,
    });
    expect(all!.map((h) => h.id).sort()).toEqual(['vec1', 'vec2', 'vec3']);

    expect(await sm.count('docs')).toBe(3);
    expect(await sm.count('docs', { must: [{ key: 'source', equals: 'docA' }] })).toBe(2);
    expect(await sm.count('docs', { must: [{ key: 'year', range: { gte: 2021 } }] })).toBe(1);

    const page = await sm.scroll({
      collection: 'docs',
      limit: 2,
      withVector: false,
      withMetadata: false,
    });
    expect(page).toEqual({ points: [{ id: 'vec1' }, { id: 'vec2' }], nextAfterId: 'vec2' });
    const last = await sm.scroll({
      collection: 'docs',
      limit: 2,
      afterId: 'vec2',
      withVector: false,
      withMetadata: false,
    });
    expect(last).toEqual({ points: [{ id: 'vec3' }] });
  });

  it('replaces a point on upsert: new vector and metadata, old vector no longer found', async () => {
    const sm = await openSm();
    await applyAll(
      sm,
      create('c', 2),
      upsert('c', [pt('a', [0, 0], { v: 1 }), pt('b', [10, 10], { v: 1 })]),
      upsert('c', [pt('a', [20, 20], { v: 2, extra: 'yes' })]),
    );
    expect(await sm.count('c')).toBe(2);
    const [a] = await sm.get('c', ['a'], { withVector: true, withMetadata: true });
    expect(Array.from(a!.vector!)).toEqual([20, 20]);
    expect(a!.metadata).toEqual({ v: 2, extra: 'yes' });
    const [near0] = await sm.search({
      collection: 'c',
      vectors: [new Float32Array([0, 0])],
      k: 1,
      withVector: true,
      withMetadata: false,
    });
    expect(near0!.map((h) => h.id)).toEqual(['b']); // the old (0,0) of "a" is gone
    const [both] = await sm.search({
      collection: 'c',
      vectors: [new Float32Array([0, 0])],
      k: 10,
      withVector: true,
      withMetadata: false,
    });
    expect(both!.map((h) => h.id)).toEqual(['b', 'a']);
    expect(Array.from(both![1]!.vector!)).toEqual([20, 20]);
    expect(await sm.count('c', { must: [{ key: 'v', equals: 1 }] })).toBe(1);
  });

  it('deletes points; missing ids are ignored', async () => {
    const sm = await openSm();
    const r = await applyAll(
      sm,
      create('c', 2),
      upsert('c', [pt('a', [0, 0]), pt('b', [1, 1]), pt('c', [2, 2])]),
      { kind: 'delete', collection: 'c', ids: ['a', 'nope', 'c', 'a'] },
    );
    expect(r[2]).toEqual({ ok: true, deleted: 2 });
    expect(await sm.count('c')).toBe(1);
    expect(await sm.get('c', ['a', 'b', 'c'], { withVector: false, withMetadata: false })).toEqual([
      { id: 'b' },
    ]);
    const [hits] = await sm.search({
      collection: 'c',
      vectors: [new Float32Array([0, 0])],
      k: 5,
      withVector: false,
      withMetadata: false,
    });
    expect(hits!.map((h) => h.id)).toEqual(['b']);
    expect((await scrollAll(sm, 'c')).map((p) => p.id)).toEqual(['b']);
  });

  it('a failing command changes nothing but the applied index', async () => {
    const dir = await tempDir();
    const sm = await openSm(dir);
    await applyAll(sm, create('c', 3), upsert('c', [pt('a', [1, 2, 3], { k: 'v' })]));
    const before = { list: sm.listCollections(), points: await scrollAll(sm, 'c') };
    const results = await applyAll(
      sm,
      upsert('c', [pt('b', [1, 2, 3, 4])]), // wrong dimension
      upsert('c', [pt('b', [1, 2, 3]), pt('bad', [1, NaN, 3])]), // one bad point: whole batch rejected
      upsert('c', [pt('a', [9, 9, 9]), pt('a', [8, 8, 8])]), // duplicate id in the batch
      upsert('c', [pt('', [1, 2, 3])]),
      upsert('missing', [pt('b', [1, 2, 3])]),
      { kind: 'delete', collection: 'missing', ids: ['a'] },
      { kind: 'delete', collection: 'c', ids: [''] },
      { kind: 'dropCollection', name: 'missing' },
      create('c', 3),
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'ALREADY_EXISTS',
    ]);
    expect(results[0]).toMatchObject({
      message: expect.stringMatching(/point 0 \(id "b"\): vector has 4 values/),
    });
    expect(results[1]).toMatchObject({
      message: expect.stringMatching(/point 1 \(id "bad"\): vector\[1\] is NaN/),
    });
    expect(sm.appliedIndex).toBe(11);
    expect(sm.listCollections()).toEqual(before.list);
    expect(await scrollAll(sm, 'c')).toEqual(before.points);
    // On disk too: same data, only the applied index moved (labels not consumed).
    await sm.close();
    const reopened = await openSm(dir);
    expect(reopened.appliedIndex).toBe(11);
    expect(await scrollAll(reopened, 'c')).toEqual(before.points);
    await applyAll(reopened, upsert('c', [pt('b', [0, 0, 0])]));
    await reopened.close();
    const labelKeys = (await dumpDb(dir)).map(([k]) => k).filter((k) => k.startsWith('4c'));
    // Labels 0 (a) and 1 (b): the rejected batches consumed none.
    expect(labelKeys.map((k) => k.slice(-16))).toEqual(['0000000000000000', '0000000000000001']);
  });

  it('asserts the applied index: out-of-order apply throws INTERNAL', async () => {
    const sm = await openSm();
    await applyAll(sm, { kind: 'noop' });
    await expectRejects(sm.apply(1, { kind: 'noop' }), 'INTERNAL', /out of order/);
    await expectRejects(sm.apply(3, { kind: 'noop' }), 'INTERNAL', /next index is 2/);
    expect(sm.appliedIndex).toBe(1);
  });

  it('applies a retried write once (sessions)', async () => {
    const dir = await tempDir();
    const sm = await openSm(dir);
    await applyAll(sm, create('c', 2));
    const write = upsert('c', [pt('a', [1, 1], { n: 1 })], { clientId: 'client-1', sequence: 5 });
    const first = await sm.apply(2, write);
    const retry = await sm.apply(3, write);
    expect(first).toEqual({ ok: true, upserted: 1 });
    expect(retry).toEqual(first);
    // A retry of an older write: refused with a reason, not applied.
    const older = await sm.apply(
      4,
      upsert('c', [pt('a', [7, 7], { n: 0 })], { clientId: 'client-1', sequence: 3 }),
    );
    expect(older).toMatchObject({
      ok: false,
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/sequence 3.*last applied write was sequence 5/),
    });
    const [a] = await sm.get('c', ['a'], { withVector: true, withMetadata: true });
    expect(a).toEqual({ id: 'a', vector: new Float32Array([1, 1]), metadata: { n: 1 } });
    // Another client with the same sequence is independent.
    expect(
      await sm.apply(5, upsert('c', [pt('b', [2, 2])], { clientId: 'client-2', sequence: 5 })),
    ).toEqual({ ok: true, upserted: 1 });
    // A failed write is remembered too.
    const bad = upsert('c', [pt('x', [1])], { clientId: 'client-1', sequence: 6 });
    const failed = await sm.apply(6, bad);
    expect(failed).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(sm.appliedIndex).toBe(6);
    // The session table survives a restart.
    await sm.close();
    const again = await openSm(dir);
    expect(await again.apply(7, bad)).toEqual(failed);
    expect(await again.apply(8, write)).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(await again.count('c')).toBe(2);
    await again.close();
    // "a" got exactly one label (0) and "b" one (1): nothing was applied twice.
    const labelKeys = (await dumpDb(dir)).map(([k]) => k).filter((k) => k.startsWith('4c'));
    expect(labelKeys.map((k) => k.slice(-16))).toEqual(['0000000000000000', '0000000000000001']);
  });

  it('survives a restart: same data, same applied index, search works', async () => {
    const dir = await tempDir();
    const sm = await openSm(dir, true);
    const vectors = randomVectors(500, 16, 1);
    const points = vectors.map((v, i) => pt(`p${i}`, v, { i, even: i % 2 === 0 }));
    await applyAll(
      sm,
      create('flat', 16),
      create('hnsw', 16, 'l2', 'HNSW32'),
      create('cos', 16, 'cosine'),
    );
    for (const c of ['flat', 'hnsw', 'cos']) await upsertInBatches(sm, c, points, 200);
    await applyAll(
      sm,
      { kind: 'delete', collection: 'flat', ids: ['p0', 'p1'] },
      upsert('flat', [pt('p2', vectors[3]!, { moved: true })]),
    );
    const applied = sm.appliedIndex;
    const before = await Promise.all(['flat', 'hnsw', 'cos'].map((c) => scrollAll(sm, c)));
    const q = vectors[10]!;
    const hitsBefore = await sm.search({
      collection: 'flat',
      vectors: [q],
      k: 5,
      withVector: false,
      withMetadata: false,
    });
    await sm.close();

    const re = await openSm(dir, true);
    expect(re.appliedIndex).toBe(applied);
    expect(re.listCollections().map((c) => [c.name, c.pointCount])).toEqual([
      ['cos', 500],
      ['flat', 498],
      ['hnsw', 500],
    ]);
    const after = await Promise.all(['flat', 'hnsw', 'cos'].map((c) => scrollAll(re, c)));
    expect(after).toEqual(before);
    expect(
      await re.search({
        collection: 'flat',
        vectors: [q],
        k: 5,
        withVector: false,
        withMetadata: false,
      }),
    ).toEqual(hitsBefore);
    const [h] = await re.search({
      collection: 'hnsw',
      vectors: [vectors[42]!],
      k: 1,
      withVector: false,
      withMetadata: false,
    });
    expect(h![0]!.id).toBe('p42');
    // And it keeps applying from where it was.
    expect(await re.apply(applied + 1, upsert('flat', [pt('new', q)]))).toEqual({
      ok: true,
      upserted: 1,
    });
    await expectRejects(re.apply(applied + 1, { kind: 'noop' }), 'INTERNAL');
  });

  it('is deterministic: two replicas fed the same commands end byte-identical', async () => {
    const [dirA, dirB] = [await tempDir(), await tempDir()];
    const a = await openSm(dirA);
    const b = await openSm(dirB);
    const r = rng(7);
    const cmds: Command[] = [create('c', 8), create('h', 8, 'cosine', 'HNSW16'), { kind: 'noop' }];
    for (let round = 0; round < 20; round++) {
      const pts = randomVectors(50, 8, 100 + round).map((v) =>
        pt(`id-${Math.floor(r() * 120)}-ü`, v, { round, tag: r() < 0.5 ? 'x' : 'y' }),
      );
      const unique = [...new Map(pts.map((p) => [p.id, p])).values()];
      cmds.push(
        upsert(round % 2 ? 'c' : 'h', unique, { clientId: `client-${round % 3}`, sequence: round }),
      );
      cmds.push({
        kind: 'delete',
        collection: 'c',
        ids: [`id-${Math.floor(r() * 120)}-ü`, `id-${Math.floor(r() * 120)}-ü`],
      });
      if (round % 5 === 0) cmds.push(cmds[cmds.length - 2]!); // a retried write
      if (round === 10)
        cmds.push({ kind: 'dropCollection', name: 'h' }, create('h', 8, 'cosine', 'HNSW16'));
    }
    const ra = await applyAll(a, ...cmds);
    const rb = await applyAll(b, ...cmds);
    expect(ra).toEqual(rb);
    for (const c of ['c', 'h']) {
      expect(await scrollAll(a, c)).toEqual(await scrollAll(b, c));
      const ids = (await scrollAll(a, c)).map((p) => p.id);
      expect(await a.get(c, ids, { withVector: true, withMetadata: true })).toEqual(
        await b.get(c, ids, { withVector: true, withMetadata: true }),
      );
    }
    await a.close();
    await b.close();
    // Everything on disk — id→label and label→id maps, vectors, metadata, sessions, applied index.
    const [da, db] = [await dumpDb(dirA), await dumpDb(dirB)];
    expect(da.length).toBeGreaterThan(100);
    expect(da).toEqual(db);
  });

  it('normalizes cosine vectors on write and on query', async () => {
    const sm = await openSm();
    await applyAll(
      sm,
      create('cos', 2, 'cosine'),
      upsert('cos', [pt('east', [10, 0]), pt('north', [0, 0.001]), pt('diag', [3, 3])]),
    );
    const [east] = await sm.get('cos', ['east'], { withVector: true, withMetadata: false });
    expect(Array.from(east!.vector!)).toEqual([1, 0]);
    const [hits] = await sm.search({
      collection: 'cos',
      vectors: [new Float32Array([1000, 1])],
      k: 3,
      withVector: false,
      withMetadata: false,
    });
    expect(hits!.map((h) => h.id)).toEqual(['east', 'diag', 'north']);
    expect(hits![0]!.score).toBeCloseTo(1, 5); // cosine similarity of near-parallel vectors
    expect(hits![1]!.score).toBeCloseTo(1001 / Math.sqrt(1_000_001) / Math.SQRT2, 5);
    const [tiny] = await sm.search({
      collection: 'cos',
      vectors: [new Float32Array([0, 1e-20])],
      k: 1,
      withVector: false,
      withMetadata: false,
    });
    expect(tiny![0]!.id).toBe('north');
    await expectRejects(
      sm.search({
        collection: 'cos',
        vectors: [new Float32Array(2)],
        k: 1,
        withVector: false,
        withMetadata: false,
      }),
      'INVALID_ARGUMENT',
      /zero vector/,
    );
    expect(await sm.apply(sm.appliedIndex + 1, upsert('cos', [pt('zero', [0, 0])]))).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
    });
  });

  it('validates reads: wrong query dimension, k out of range, bad filter', async () => {
    const sm = await openSm();
    await applyAll(sm, create('c', 3), upsert('c', [pt('a', [1, 2, 3])]));
    const base = { collection: 'c', withVector: false, withMetadata: false };
    await expectRejects(
      sm.search({ ...base, vectors: [new Float32Array(4)], k: 1 }),
      'INVALID_ARGUMENT',
      /dimension is 3/,
    );
    await expectRejects(
      sm.search({ ...base, vectors: [new Float32Array(3)], k: 0 }),
      'INVALID_ARGUMENT',
      /k must be/,
    );
    await expectRejects(
      sm.search({ ...base, vectors: [new Float32Array(3)], k: 1e9 }),
      'INVALID_ARGUMENT',
      /k must be/,
    );
    await expectRejects(sm.count('c', { must: [{ key: '', equals: 1 }] }), 'INVALID_ARGUMENT');
    await expectRejects(sm.scroll({ ...base, limit: 0 }), 'INVALID_ARGUMENT', /limit/);
    await expectRejects(sm.count('../x'), 'INVALID_ARGUMENT', /collection name/);
  });

  it('pages through all points with a filter, in UTF-8 byte order', async () => {
    const sm = await openSm();
    await applyAll(sm, create('c', 2));
    const ids = [
      'b',
      'a',
      'Z',
      '10',
      '9',
      'é',
      '\uFFFD',
      'x',
      'x',
      '😀',
      'a\u0000b',
      'ab',
      ...Array.from({ length: 90 }, (_, i) => `p${i}`),
    ];
    const points = ids.map((id, i) => pt(id === 'x' ? `x${i}` : id, [i, i], { i, group: i % 3 }));
    await applyAll(sm, upsert('c', points));
    const filter: Filter = { must: [{ key: 'group', in: [0, 2] }] };
    const expected = points
      .filter((p) => p.metadata.group !== 1)
      .map((p) => p.id)
      .sort(byteOrder);
    expect(expected.indexOf('😀')).toBeGreaterThan(expected.indexOf('\uFFFD')); // byte order, not UTF-16 order
    for (const limit of [1, 7, 66, 1000]) {
      const got = await scrollAll(sm, 'c', filter, limit);
      expect(got.map((p) => p.id)).toEqual(expected);
      for (const p of got) expect(p.metadata!.group).not.toBe(1);
    }
    const page = await sm.scroll({
      collection: 'c',
      limit: 5,
      afterId: '9',
      filter,
      withVector: true,
      withMetadata: false,
    });
    expect(page.points.map((p) => p.id)).toEqual(
      expected.filter((id) => byteOrder(id, '9') > 0).slice(0, 5),
    );
    expect(page.points[0]!.vector).toBeInstanceOf(Float32Array);
    expect(page.points[0]!.metadata).toBeUndefined();
    // A full last page has no nextAfterId when nothing matching follows it.
    const exact = await sm.scroll({
      collection: 'c',
      limit: expected.length,
      filter,
      withVector: false,
      withMetadata: false,
    });
    expect(exact.points).toHaveLength(expected.length);
    expect(exact.nextAfterId).toBeUndefined();
  });

  it('serves reads concurrently with applies without crashing or seeing half an entry', async () => {
    const sm = await openSm();
    await applyAll(sm, create('c', 4, 'l2', 'HNSW16'));
    const reads: Array<Promise<unknown>> = [];
    for (let round = 0; round < 30; round++) {
      // Each entry rewrites every point of a 50-point batch with metadata { round }.
      const pts = randomVectors(50, 4, round).map((v, i) => pt(`p${i}`, v, { round }));
      const applying = sm.apply(sm.appliedIndex + 1, upsert('c', pts));
      for (let j = 0; j < 5; j++) {
        reads.push(
          sm
            .search({
              collection: 'c',
              vectors: [pts[j]!.vector],
              k: 50,
              withVector: false,
              withMetadata: true,
            })
            .then(([hits]) => {
              // All hits come from one entry: never a mix of two rounds.
              expect(new Set(hits!.map((h) => h.metadata!.round)).size).toBeLessThanOrEqual(1);
              expect(hits!.length === 0 || hits!.length === 50).toBe(true);
            }),
          sm.count('c').then((n) => expect([0, 50]).toContain(n)),
          scrollAll(sm, 'c').then((all) =>
            expect(new Set(all.map((p) => p.metadata!.round)).size).toBeLessThanOrEqual(1),
          ),
        );
      }
      await applying;
    }
    await Promise.all(reads);
  });
});

describe('VectorStateMachine: filtered search', () => {
  const d = 8;
  const n = 30_000;
  const vectors = randomVectors(n, d, 42);
  // "rare": 1% of points (selective: exact path); "common": 90% (> threshold: ANN with an id selector).
  const points = vectors.map((v, i) =>
    pt(`p${i}`, v, { rare: i % 100 === 0, common: i % 10 !== 0, bucket: i % 7 }),
  );
  const queries = randomVectors(5, d, 4242);

  for (const indexSpec of ['Flat', 'HNSW32']) {
    it(
      `returns k results when ≥ k points match (${indexSpec}, selective and non-selective filters)`,
      { timeout: 120_000 },
      async () => {
        expect(points.filter((p) => p.metadata.common).length).toBeGreaterThan(
          FILTER_EXACT_THRESHOLD,
        );
        const sm = await openSm();
        await applyAll(sm, create('c', d, 'l2', indexSpec));
        await upsertInBatches(sm, 'c', points, 10_000);
        const filters: Filter[] = [
          { must: [{ key: 'rare', equals: true }] },
          { must: [{ key: 'common', equals: true }] },
          {
            must: [
              { key: 'rare', equals: true },
              { key: 'bucket', in: [1, 2, 3] },
            ],
          },
          { must: [{ key: 'bucket', range: { gte: 6 } }] },
        ];
        for (const filter of filters) {
          const matches = points.filter((p) => compileFilter(filter)(p.metadata)).length;
          for (const k of [10, 100]) {
            const result = await sm.search({
              collection: 'c',
              vectors: queries,
              k,
              filter,
              withVector: false,
              withMetadata: true,
              efSearch: 16,
            });
            expect(result).toHaveLength(queries.length);
            result.forEach((hits, qi) => {
              expect(hits).toHaveLength(Math.min(k, matches));
              expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
              for (const h of hits) expect(compileFilter(filter)(h.metadata!)).toBe(true);
              const scores = hits.map((h) => h.score);
              expect([...scores].sort((x, y) => x - y)).toEqual(scores);
              const truth = bruteForce(points, queries[qi]!, k, filter);
              const recall = hits.filter((h) => truth.includes(h.id)).length / truth.length;
              if (indexSpec === 'Flat' || matches <= FILTER_EXACT_THRESHOLD) {
                expect(hits.map((h) => h.id)).toEqual(truth);
              } else {
                expect(recall).toBeGreaterThanOrEqual(0.8);
              }
            });
          }
        }
        // A filter that matches fewer than k points returns all of them.
        const few: Filter = {
          must: [
            { key: 'rare', equals: true },
            { key: 'bucket', equals: 0 },
          ],
        };
        const fewCount = await sm.count('c', few);
        expect(fewCount).toBeGreaterThan(0);
        const [hits] = await sm.search({
          collection: 'c',
          vectors: [queries[0]!],
          k: 1000,
          filter: few,
          withVector: false,
          withMetadata: false,
        });
        expect(hits).toHaveLength(fewCount);
        // No match: empty lists.
        const none = await sm.search({
          collection: 'c',
          vectors: queries,
          k: 5,
          filter: { must: [{ key: 'bucket', equals: 99 }] },
          withVector: false,
          withMetadata: false,
        });
        expect(none).toEqual(queries.map(() => []));
        // Unfiltered: min(k, count) results.
        const unfiltered = await sm.search({
          collection: 'c',
          vectors: queries,
          k: 500,
          withVector: false,
          withMetadata: false,
          efSearch: 16,
        });
        for (const h of unfiltered) expect(h).toHaveLength(500);
      },
    );
  }

  it('unfiltered HNSW search returns min(k, count) even after many deletes and replacements', async () => {
    const sm = await openSm();
    await applyAll(sm, create('h', d, 'l2', 'HNSW16'));
    const pts = points.slice(0, 3000);
    await upsertInBatches(sm, 'h', pts, 3000);
    const doomed = pts.filter((_, i) => i % 10 !== 0).map((p) => p.id); // delete 90%
    await applyAll(sm, { kind: 'delete', collection: 'h', ids: doomed });
    await upsertInBatches(
      sm,
      'h',
      pts.slice(0, 100).map((p) => pt(p.id, p.vector, { again: true })),
      100,
    );
    const live = await sm.count('h');
    expect(live).toBe(300 + 90);
    for (const k of [1, 10, 200, 1000]) {
      const res = await sm.search({
        collection: 'h',
        vectors: queries,
        k,
        withVector: false,
        withMetadata: false,
      });
      for (const hits of res) {
        expect(hits).toHaveLength(Math.min(k, live));
        expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
      }
    }
  });
});

describe('VectorStateMachine: indexes that need training', () => {
  it(
    'answers exactly before training, trains past the threshold, and stays correct (also after restart)',
    { timeout: 120_000 },
    async () => {
      const dir = await tempDir();
      const sm = await openSm(dir);
      const d = 16;
      // IVF16,Flat trains at max(256, 39·16) = 624 points.
      await applyAll(sm, create('ivf', d, 'l2', 'IVF16,Flat'));
      const vectors = randomVectors(2000, d, 9);
      const points = vectors.map((v, i) =>
        pt(`p${String(i).padStart(4, '0')}`, v, { i, odd: i % 2 === 1 }),
      );
      const queries = randomVectors(8, d, 99);
      const check = async (
        target: VectorStateMachine,
        upto: number,
        nprobe?: number,
      ): Promise<void> => {
        const live = points.slice(0, upto);
        for (const filter of [undefined, { must: [{ key: 'odd', equals: true }] } as Filter]) {
          const res = await target.search({
            collection: 'ivf',
            vectors: queries,
            k: 10,
            withVector: false,
            withMetadata: false,
            ...(filter ? { filter } : {}),
            ...(nprobe ? { nprobe } : {}),
          });
          res.forEach((hits, qi) => {
            const truth = bruteForce(live, queries[qi]!, 10, filter);
            if (nprobe === undefined) {
              // Default nprobe may miss some neighbours, but must still return k hits.
              expect(hits).toHaveLength(10);
            } else {
              expect(hits.map((h) => h.id)).toEqual(truth);
            }
          });
        }
      };
      await upsertInBatches(sm, 'ivf', points.slice(0, 300), 100); // below the threshold: exact
      await check(sm, 300, 1);
      await check(sm, 300);
      await upsertInBatches(sm, 'ivf', points.slice(300, 700), 100); // crosses 624: trained
      await check(sm, 700, 16); // nprobe = nlist: every list probed, exact for IVF,Flat
      await check(sm, 700);
      await upsertInBatches(sm, 'ivf', points.slice(700), 500);
      await check(sm, 2000, 16);
      await check(sm, 2000);
      // Nearest neighbour of a stored vector is itself.
      const [self] = await sm.search({
        collection: 'ivf',
        vectors: [vectors[1234]!],
        k: 1,
        withVector: false,
        withMetadata: false,
        nprobe: 16,
      });
      expect(self![0]!.id).toBe('p1234');
      await sm.close();
      const re = await openSm(dir);
      await check(re, 2000, 16);
      await check(re, 2000);
    },
  );

  it('a collection whose training would need more points than it has keeps searching exactly', async () => {
    const sm = await openSm();
    await applyAll(sm, create('pq', 8, 'l2', 'IVF64,PQ4'));
    const pts = randomVectors(200, 8, 5).map((v, i) => pt(`p${i}`, v));
    await applyAll(sm, upsert('pq', pts));
    const q = randomVectors(1, 8, 6)[0]!;
    const [hits] = await sm.search({
      collection: 'pq',
      vectors: [q],
      k: 5,
      withVector: false,
      withMetadata: false,
    });
    expect(hits!.map((h) => h.id)).toEqual(bruteForce(pts, q, 5));
  });
});

describe('VectorStateMachine: lifecycle', () => {
  it('refuses to work after close', async () => {
    const sm = await VectorStateMachine.open(await tempDir());
    await sm.close();
    await sm.close(); // idempotent
    await expectRejects(sm.apply(1, { kind: 'noop' }), 'UNAVAILABLE');
    await expectRejects(sm.count('c'), 'UNAVAILABLE');
    expect(() => sm.listCollections()).toThrow(/closed/);
  });
});
