/**
 * Applying committed entries in groups (`applyEntries`: one write lock, one
 * LevelDB batch per group, the pending batch written first when an index wants
 * training) must be indistinguishable from applying them one call each: the same
 * results, the same stored state, the same running digest, after a restart too.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyResult, Command, Metadata, Metric } from '../../src/domain.js';
import { RaftvecError } from '../../src/errors.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import { VectorStateMachine } from '../../src/storage/state-machine.js';
import { mulberry32 } from '../support/random.js';
import { stateMachineFixture } from '../support/state-machines.js';

// ------------------------------------------------------------------ helpers

const { tempDir, openSm, closeSm } = stateMachineFixture('apply-groups');

const DOCS_DIM = 4;
const IVF_DIM = 8;
/** IVF4,Flat trains at max(256, 39·4) = 256 points. */
const IVF_SPEC = 'IVF4,Flat';

type Session = { clientId: string; sequence: number; leaderTimeMs?: number };

const stamp = (session?: Session) =>
  session
    ? {
        session: { clientId: session.clientId, sequence: session.sequence },
        ...(session.leaderTimeMs !== undefined && { leaderTimeMs: session.leaderTimeMs }),
      }
    : {};

const create = (name: string, dimension: number, metric: Metric, indexSpec: string): Command => ({
  kind: 'createCollection',
  spec: { name, dimension, metric, indexSpec },
});

type RawPoint = { id: string; vector: Float32Array | number[]; metadata?: Metadata };

const upsert = (collection: string, points: RawPoint[], session?: Session): Command => ({
  kind: 'upsert',
  collection,
  points: points.map((p) => ({
    id: p.id,
    vector: p.vector instanceof Float32Array ? p.vector : new Float32Array(p.vector),
    metadata: p.metadata ?? {},
  })),
  ...stamp(session),
});

const del = (collection: string, ids: string[], session?: Session): Command => ({
  kind: 'delete',
  collection,
  ids,
  ...stamp(session),
});

const random = mulberry32(424_242);
const vector = (d: number): Float32Array =>
  Float32Array.from({ length: d }, () => random() * 2 - 1);

const ivfPoints = (from: number, to: number): RawPoint[] =>
  Array.from({ length: to - from }, (_, i) => ({
    id: `q${String(from + i).padStart(3, '0')}`,
    vector: vector(IVF_DIM),
    metadata: { n: from + i, even: (from + i) % 2 === 0 },
  }));

const docsPoints = (from: number, to: number): RawPoint[] =>
  Array.from({ length: to - from }, (_, i) => ({
    id: `p${from + i}`,
    vector: vector(DOCS_DIM),
    metadata: { n: from + i, tag: (from + i) % 3 === 0 ? 'a' : 'b' },
  }));

interface Entry {
  name: string;
  payload: Uint8Array;
}

const entry = (name: string, command: Command | Uint8Array): Entry => ({
  name,
  payload: command instanceof Uint8Array ? command : encodeCommand(command),
});

/**
 * The log: ~40 entries, built once from a seeded generator. Names are for the
 * assertions; what matters to the state machine is the payload alone.
 */
const LOG: Entry[] = (() => {
  const ivfSecond = encodeCommand(
    upsert('ivf', ivfPoints(100, 200), { clientId: 'writer', sequence: 2, leaderTimeMs: 2_000 }),
  );
  const otherWrite = encodeCommand(
    upsert('docs', [{ id: 'dup', vector: [3, 3, 3, 3], metadata: { v: 3 } }], {
      clientId: 'other',
      sequence: 5,
      leaderTimeMs: 5_000,
    }),
  );
  const garbage = Uint8Array.from({ length: 23 }, () => Math.floor(random() * 256));
  garbage[0] = 0x0a;
  garbage[1] = 0xff; // a length that runs past the end: never decodes
  garbage[2] = 0xff;
  garbage[3] = 0xff;
  garbage[4] = 0x0f;
  return [
    // Group 1 (1 entry).
    entry('create docs', create('docs', DOCS_DIM, 'l2', 'Flat')),
    // Group 2 (7 entries).
    entry(
      'docs p0-p9',
      upsert('docs', docsPoints(0, 10), { clientId: 'writer', sequence: 1, leaderTimeMs: 1_000 }),
    ),
    entry('create ivf', create('ivf', IVF_DIM, 'l2', IVF_SPEC)),
    entry('ivf q0-q99 (created in this group)', upsert('ivf', ivfPoints(0, 100))),
    entry('dup v1', upsert('docs', [{ id: 'dup', vector: [1, 1, 1, 1], metadata: { v: 1 } }])),
    entry('wrong dimension', upsert('docs', [{ id: 'bad', vector: [1, 2, 3] }])),
    entry('dup v2', upsert('docs', [{ id: 'dup', vector: [2, 2, 2, 2], metadata: { v: 2 } }])),
    entry('noop', new Uint8Array(0)),
    // Group 3 (13 entries): the IVF index is trained in the middle of it.
    entry('ivf q100-q199 (writer 2)', ivfSecond),
    entry('garbage', garbage),
    entry('retry of writer 2', ivfSecond),
    entry(
      'stale writer 1',
      upsert('docs', [{ id: 'late', vector: [9, 9, 9, 9] }], { clientId: 'writer', sequence: 1 }),
    ),
    entry(
      'ivf train (q200-q299 and q005 again)',
      upsert('ivf', [
        ...ivfPoints(200, 300),
        { id: 'q005', vector: vector(IVF_DIM), metadata: { n: 5, again: true } },
      ]),
    ),
    entry('ivf q300-q319 (trained)', upsert('ivf', ivfPoints(300, 320))),
    entry('ivf delete q000 q001 nope', del('ivf', ['q000', 'q001', 'nope'])),
    entry('ghost collection', upsert('ghost', [{ id: 'x', vector: [1] }])),
    entry('docs delete p3', del('docs', ['p3'])),
    entry('create tmp', create('tmp', 2, 'cosine', 'Flat')),
    entry(
      'tmp t0 t1',
      upsert('tmp', [
        { id: 't0', vector: [1, 0] },
        { id: 't1', vector: [0, 2] },
      ]),
    ),
    entry('drop tmp', { kind: 'dropCollection', name: 'tmp' }),
    entry('create tmp again', create('tmp', 3, 'ip', 'Flat')),
    // Group 4 (the rest).
    entry('tmp t0 (3-d)', upsert('tmp', [{ id: 't0', vector: [1, 2, 3] }])),
    entry('create docs again', create('docs', 2, 'l2', 'Flat')),
    entry('other 5', otherWrite),
    entry('retry of other 5', otherWrite),
    entry('noop 2', new Uint8Array(0)),
    entry(
      'same id twice in one upsert',
      upsert('docs', [
        { id: 'twice', vector: [1, 0, 0, 0] },
        { id: 'twice', vector: [0, 1, 0, 0] },
      ]),
    ),
    entry('docs delete p4 p5 dup', del('docs', ['p4', 'p5', 'dup'])),
    entry('dup v4 (after its delete)', upsert('docs', [{ id: 'dup', vector: [4, 4, 4, 4] }])),
    entry('ivf q320-q339', upsert('ivf', ivfPoints(320, 340))),
    entry('ivf wrong dimension', upsert('ivf', [{ id: 'bad', vector: vector(IVF_DIM - 1) }])),
    entry('poison vector', upsert('docs', [{ id: 'poison', vector: [1e16, 0, 0, 0] }])),
    entry('invalid collection name', create('no spaces', 2, 'l2', 'Flat')),
    entry('docs p10-p19', upsert('docs', docsPoints(10, 20), { clientId: 'writer', sequence: 3 })),
    entry('docs p12 again', upsert('docs', [{ id: 'p12', vector: [0, 0, 0, 1] }])),
    entry('delete from ghost', del('ghost', ['x'])),
    entry(
      'ivf delete q300-q309',
      del(
        'ivf',
        ivfPoints(300, 310).map((p) => p.id),
      ),
    ),
    entry('ivf q005 once more', upsert('ivf', [{ id: 'q005', vector: vector(IVF_DIM) }])),
    entry('drop tmp again', { kind: 'dropCollection', name: 'tmp' }),
    entry('noop 3', new Uint8Array(0)),
  ];
})();

const at = (name: string): number => {
  const i = LOG.findIndex((e) => e.name === name);
  if (i < 0) throw new Error(`no entry ${name}`);
  return i;
};

/** Splits `LOG.length` entries into groups of these sizes, the last group taking the rest. */
function split(sizes: number[]): number[] {
  const out: number[] = [];
  let left = LOG.length;
  for (const size of sizes) {
    out.push(Math.min(size, left));
    left -= out[out.length - 1]!;
  }
  if (left > 0) out.push(left);
  return out.filter((n) => n > 0);
}

/** Applies the log one entry per call, from index 1. */
async function applyOneByOne(sm: VectorStateMachine): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const e of LOG) results.push(await sm.applyEntry(sm.appliedIndex + 1, e.payload));
  return results;
}

/**
 * Applies the log in groups of `sizes`, from index 1. A read issued while a group
 * is being applied must see all of it: it is answered after the group.
 */
async function applyInGroups(sm: VectorStateMachine, sizes: number[]): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  let next = 0;
  for (const size of sizes) {
    const first = sm.appliedIndex + 1;
    const group = LOG.slice(next, next + size).map((e) => e.payload);
    const applying = sm.applyEntries(first, group);
    const reads = Promise.all([
      sm.count('docs').catch(() => -1),
      sm.count('ivf').catch(() => -1),
      sm.scroll({ collection: 'docs', limit: 100, withVector: false, withMetadata: false }).then(
        (page) => page.points.map((p) => p.id),
        () => [],
      ),
    ]);
    const groupResults = await applying;
    const seenDuring = await reads;
    expect(groupResults).toHaveLength(size);
    expect(sm.appliedIndex).toBe(first + size - 1);
    const seenAfter = await Promise.all([
      sm.count('docs').catch(() => -1),
      sm.count('ivf').catch(() => -1),
      sm.scroll({ collection: 'docs', limit: 100, withVector: false, withMetadata: false }).then(
        (page) => page.points.map((p) => p.id),
        () => [],
      ),
    ]);
    expect(seenDuring, `reads issued during group at ${first}`).toEqual(seenAfter);
    results.push(...groupResults);
    next += size;
  }
  expect(next).toBe(LOG.length);
  return results;
}

/** Whether a collection's points are still in its untrained staging index (a private detail). */
function staged(sm: VectorStateMachine, collection: string): boolean {
  const internals = sm as unknown as {
    collections: Map<string, { index: { staged: boolean } }>;
  };
  const col = internals.collections.get(collection);
  if (!col) throw new Error(`no collection ${collection}`);
  return col.index.staged;
}

const QUERIES = {
  docs: [new Float32Array([0, 0, 0, 0]), new Float32Array([2, 2, 2, 2])],
  ivf: Array.from({ length: 4 }, (_, i) =>
    Float32Array.from({ length: IVF_DIM }, (_, d) => Math.sin(i * 7 + d)),
  ),
  tmp: [new Float32Array([1, 1, 1])],
};

/**
 * Everything a client can observe of the state machine, as plain data. With
 * `exactOnly`, approximate searches (an IVF probing fewer lists than it has) are
 * left out: a node that opens retrains its IVF indexes from every stored vector,
 * so their centroids, and the answers of such searches, may differ from those of
 * a node that trained once, at the threshold.
 */
async function observe(sm: VectorStateMachine, exactOnly = false) {
  const collections = sm.listCollections();
  const perCollection: Record<string, unknown> = {};
  for (const { name } of collections) {
    const page = await sm.scroll({
      collection: name,
      limit: 10_000,
      withVector: true,
      withMetadata: true,
    });
    const ids = page.points.map((p) => p.id);
    const queries = QUERIES[name as keyof typeof QUERIES] ?? [];
    const searches = [];
    for (const nprobe of exactOnly ? [4] : [undefined, 1, 4]) {
      searches.push(
        await sm.search({
          collection: name,
          vectors: queries,
          k: 7,
          withVector: true,
          withMetadata: true,
          ...(nprobe !== undefined && { nprobe }),
        }),
      );
    }
    const filter =
      name === 'docs'
        ? { must: [{ key: 'tag', equals: 'a' }] }
        : { must: [{ key: 'even', equals: true }] };
    perCollection[name] = {
      page,
      get: await sm.get(name, [...ids.slice(0, 5), 'missing', 'dup', 'q005'], {
        withVector: true,
        withMetadata: true,
      }),
      count: await sm.count(name),
      filteredCount: await sm.count(name, filter),
      searches,
      filteredSearch: await sm.search({
        collection: name,
        vectors: queries,
        k: 5,
        filter,
        withVector: false,
        withMetadata: true,
      }),
    };
  }
  return {
    appliedIndex: sm.appliedIndex,
    appliedDigest: sm.appliedDigest,
    sessionCount: sm.sessionCount,
    collections,
    perCollection,
  };
}

// ------------------------------------------------------------------ tests

describe('applyEntries: groups of entries apply exactly as one entry per call', () => {
  it('gives the same results, digests and state as applyEntry, for several groupings', async () => {
    const single = await openSm(await tempDir());
    // Entry by entry, with the training of the IVF index located exactly.
    const expected: ApplyResult[] = [];
    const stagedAfter: boolean[] = [];
    for (const e of LOG) {
      expected.push(await single.applyEntry(single.appliedIndex + 1, e.payload));
      stagedAfter.push(
        single.listCollections().some((c) => c.name === 'ivf') && staged(single, 'ivf'),
      );
    }
    const train = at('ivf train (q200-q299 and q005 again)');
    expect(stagedAfter[train - 1]).toBe(true);
    expect(stagedAfter[train]).toBe(false);

    // The log does what its names say (else the comparison below proves little).
    const result = (name: string) => expected[at(name)];
    expect(result('create docs')).toEqual({ ok: true, created: true });
    expect(result('ivf q0-q99 (created in this group)')).toEqual({ ok: true, upserted: 100 });
    expect(result('wrong dimension')).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(result('noop')).toEqual({ ok: true });
    expect(result('garbage')).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(new RegExp(`log entry ${at('garbage') + 1} was rejected`)),
    });
    expect(result('retry of writer 2')).toEqual({ ok: true, upserted: 100 });
    expect(result('stale writer 1')).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(result('ivf train (q200-q299 and q005 again)')).toEqual({ ok: true, upserted: 101 });
    expect(result('ivf delete q000 q001 nope')).toEqual({ ok: true, deleted: 2 });
    expect(result('ghost collection')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(result('drop tmp')).toEqual({ ok: true, dropped: true });
    expect(result('create tmp again')).toEqual({ ok: true, created: true });
    expect(result('create docs again')).toMatchObject({ ok: false, code: 'ALREADY_EXISTS' });
    expect(result('retry of other 5')).toEqual(result('other 5'));
    expect(result('same id twice in one upsert')).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
    });
    expect(result('poison vector')).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(result('ivf wrong dimension')).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(result('delete from ghost')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const want = await observe(single);
    expect(want.appliedIndex).toBe(LOG.length);
    expect(await single.count('ivf')).toBe(340 - 2 - 10);
    expect(await single.count('docs')).toBe(20 - 3 + 1); // p0-p19 less p3 p4 p5, plus dup
    const [dup] = await single.get('docs', ['dup'], { withVector: true, withMetadata: true });
    expect(dup).toEqual({ id: 'dup', vector: new Float32Array([4, 4, 4, 4]), metadata: {} });
    expect(single.listCollections().map((c) => c.name)).toEqual(['docs', 'ivf']);

    const groupings = [
      split([1, 7, 13]),
      [LOG.length],
      split([3, 1, 2, 5, 4, 1, 9]),
      split([12, 1, 1]), // the training entry alone in a group
    ];
    // [1, 7, 13, rest] trains in the middle of a group, with entries pending before it.
    const [g1, g2] = groupings[0]!;
    expect(train).toBeGreaterThan(g1! + g2!);
    expect(train).toBeLessThan(g1! + g2! + 12);
    for (const sizes of groupings) {
      const grouped = await openSm(await tempDir());
      const results = await applyInGroups(grouped, sizes);
      expect(results, `grouping ${sizes.join(',')}`).toEqual(expected);
      expect(staged(grouped, 'ivf')).toBe(false);
      for (let index = 1; index <= LOG.length; index++) {
        // Every entry's digest, also those in the middle of a group.
        expect(grouped.digestAt(index), `digest at ${index}`).toBe(single.digestAt(index));
      }
      expect(await observe(grouped), `grouping ${sizes.join(',')}`).toEqual(want);
      await closeSm(grouped);
    }
  });

  it('writes what a group applied: reopened from disk, the state is the same', async () => {
    const singleDir = await tempDir();
    const groupedDir = await tempDir();
    let single = await openSm(singleDir);
    let grouped = await openSm(groupedDir);
    expect(await applyInGroups(grouped, split([1, 7, 13]))).toEqual(await applyOneByOne(single));
    const want = await observe(single, true);
    expect(await observe(grouped, true)).toEqual(want);

    // Both reopened: the grouped store holds what the single one holds, so both load
    // (and retrain their IVF index) alike, and answer every search alike.
    const reopen = async () => {
      await closeSm(grouped);
      await closeSm(single);
      grouped = await openSm(groupedDir);
      single = await openSm(singleDir);
    };
    await reopen();
    expect(grouped.appliedIndex).toBe(LOG.length);
    expect(grouped.appliedDigest).toEqual(single.appliedDigest);
    expect(staged(grouped, 'ivf')).toBe(false);
    expect(await observe(grouped, true)).toEqual(want);
    expect(await observe(grouped)).toEqual(await observe(single));

    // The session table was written too: a retry, a stale write and a new write
    // are answered alike, and the digests go on agreeing.
    const more = [
      LOG[at('retry of other 5')]!.payload,
      encodeCommand(
        upsert('docs', [{ id: 'late', vector: [5, 5, 5, 5] }], { clientId: 'writer', sequence: 2 }),
      ),
      encodeCommand(
        upsert('docs', [{ id: 'new', vector: [6, 6, 6, 6] }], { clientId: 'writer', sequence: 4 }),
      ),
      encodeCommand(del('ivf', ['q002', 'q003'])),
    ];
    const fromSingle: ApplyResult[] = [];
    for (const data of more)
      fromSingle.push(await single.applyEntry(single.appliedIndex + 1, data));
    expect(fromSingle).toEqual([
      { ok: true, upserted: 1 },
      expect.objectContaining({ ok: false, code: 'FAILED_PRECONDITION' }),
      { ok: true, upserted: 1 },
      { ok: true, deleted: 2 },
    ]);
    expect(await grouped.applyEntries(grouped.appliedIndex + 1, more)).toEqual(fromSingle);
    expect(grouped.appliedDigest).toEqual(single.appliedDigest);
    expect(await observe(grouped)).toEqual(await observe(single));

    // And once more from disk, after a group applied by the reopened state machine.
    const wantNow = await observe(single, true);
    await reopen();
    expect(grouped.appliedDigest).toEqual(single.appliedDigest);
    expect(grouped.appliedIndex).toBe(LOG.length + more.length);
    expect(await observe(grouped, true)).toEqual(wantNow);
    expect(await observe(grouped)).toEqual(await observe(single));
  });

  it('refuses a group that does not start at appliedIndex + 1, and changes nothing', async () => {
    const dir = await tempDir();
    const sm = await openSm(dir);
    const head = LOG.slice(0, 8).map((e) => e.payload);
    await sm.applyEntries(1, head);
    const before = await observe(sm);
    const digestBefore = sm.digestAt(8);
    const next = encodeCommand(upsert('docs', [{ id: 'z', vector: [7, 7, 7, 7] }]));

    for (const first of [0, 1, 8, 10, 8.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
      let error: unknown;
      try {
        await sm.applyEntries(first, [next, next]);
      } catch (err) {
        error = err;
      }
      expect(error, `first = ${first}`).toBeInstanceOf(RaftvecError);
      expect((error as RaftvecError).code).toBe('INTERNAL');
      expect((error as RaftvecError).message).toMatch(/out of order/);
      expect(await observe(sm)).toEqual(before);
      expect(sm.digestAt(9)).toBeUndefined();
    }
    // The same through applyEntry.
    await expect(sm.applyEntry(3, next)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await observe(sm)).toEqual(before);

    // Nothing reached the disk either, and the state machine still applies the right index.
    await closeSm(sm);
    const reopened = await openSm(dir);
    expect(await observe(reopened)).toEqual(before);
    expect(reopened.appliedDigest).toEqual({ index: 8, digest: digestBefore });
    expect(await reopened.applyEntries(9, [next])).toEqual([{ ok: true, upserted: 1 }]);
    expect(reopened.appliedIndex).toBe(9);
  });

  it('applies an empty group as nothing', async () => {
    const sm = await openSm(await tempDir());
    await sm.applyEntries(
      1,
      LOG.slice(0, 3).map((e) => e.payload),
    );
    const before = await observe(sm);
    expect(await sm.applyEntries(4, [])).toEqual([]);
    expect(await observe(sm)).toEqual(before);
    expect(await sm.applyEntries(4, [LOG[3]!.payload])).toEqual([{ ok: true, upserted: 100 }]);
  });

  it('tells the results before writing them out; a read started then sees the whole group', async () => {
    const sm = await openSm(await tempDir());
    await sm.applyEntries(1, [encodeCommand(create('docs', DOCS_DIM, 'l2', 'Flat'))]);
    const points = docsPoints(0, 3);
    // Counts the LevelDB batches written (a private detail).
    const db = (sm as unknown as { db: { batch: (...args: unknown[]) => Promise<void> } }).db;
    const batch = db.batch.bind(db);
    let batches = 0;
    db.batch = (...args) => {
      batches++;
      return batch(...args);
    };
    const decided: {
      results: readonly ApplyResult[];
      applyResolved: boolean;
      batches: number;
    }[] = [];
    let read: Promise<unknown> | undefined;
    let applyResolved = false;
    const applying = sm
      .applyEntries(
        2,
        [
          encodeCommand(upsert('docs', points.slice(0, 2))),
          encodeCommand(upsert('docs', points.slice(2))),
        ],
        (results) => {
          decided.push({ results: [...results], applyResolved, batches });
          // Vectors are read from LevelDB: only a read that waits for the write finds them.
          read = sm.get('docs', ['p0', 'p1', 'p2'], { withVector: true, withMetadata: true });
        },
      )
      .then((results) => {
        applyResolved = true;
        return results;
      });
    const results = await applying;
    // Told once, before the group's one batch was written.
    expect(decided).toEqual([{ results, applyResolved: false, batches: 0 }]);
    expect(batches).toBe(1);
    expect(results).toEqual([
      { ok: true, upserted: 2 },
      { ok: true, upserted: 1 },
    ]);
    const got = (await read) as { id: string; vector?: Float32Array }[];
    expect(got.map((p) => p.id)).toEqual(['p0', 'p1', 'p2']);
    expect(got.map((p) => Array.from(p.vector!))).toEqual(points.map((p) => Array.from(p.vector)));
  });
});
