import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  FaissError,
  FaissIndex,
  type FaissMetric,
  type SearchResult,
  configureFaissThreads,
  faissVersion,
  getFaissThreadConfig,
} from '../../src/index/faiss.js';
import { mulberry32 as prng } from '../support/random.js';

// ---- helpers -------------------------------------------------------------------

function randomVectors(n: number, d: number, rand: () => number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = rand() * 2 - 1;
  return out;
}

function labelRange(n: number, start = 1000): BigInt64Array {
  return BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i));
}

function row<T extends Float32Array | BigInt64Array>(a: T, k: number, i: number): T {
  return a.subarray(i * k, (i + 1) * k) as T;
}

function distance(
  metric: FaissMetric,
  a: Float32Array,
  ai: number,
  b: Float32Array,
  bi: number,
  d: number,
): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const x = a[ai * d + j]!;
    const y = b[bi * d + j]!;
    s += metric === 'l2' ? (x - y) * (x - y) : x * y;
  }
  return s;
}

interface Truth {
  labels: bigint[][];
  distances: number[][];
}

/** Exact k-NN in float64 over (base, labels), optionally restricted to `allowed`. */
function bruteForce(
  metric: FaissMetric,
  base: Float32Array,
  labels: BigInt64Array,
  queries: Float32Array,
  d: number,
  k: number,
  allowed?: ReadonlySet<bigint>,
): Truth {
  const nq = queries.length / d;
  const out: Truth = { labels: [], distances: [] };
  for (let q = 0; q < nq; q++) {
    const scored: { label: bigint; dist: number }[] = [];
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (allowed && !allowed.has(label)) continue;
      scored.push({ label, dist: distance(metric, queries, q, base, i, d) });
    }
    scored.sort((a, b) => (metric === 'l2' ? a.dist - b.dist : b.dist - a.dist));
    const top = scored.slice(0, k);
    out.labels.push(top.map((s) => s.label));
    out.distances.push(top.map((s) => s.dist));
  }
  return out;
}

/**
 * The result is a correct k-NN: same length, no duplicates, and the true
 * distance of the label at each rank equals the brute-force distance at that
 * rank (so only exact ties may swap).
 */
function expectExactNeighbors(
  metric: FaissMetric,
  res: SearchResult,
  truth: Truth,
  k: number,
  base: Float32Array,
  labels: BigInt64Array,
  queries: Float32Array,
  d: number,
): void {
  const pos = new Map<bigint, number>();
  labels.forEach((l, i) => pos.set(l, i));
  truth.labels.forEach((expected, q) => {
    const got = [...row(res.labels, k, q)].filter((l) => l >= 0n);
    expect(got.length).toBe(expected.length);
    expect(new Set(got).size).toBe(got.length);
    got.forEach((label, j) => {
      const i = pos.get(label);
      expect(i).toBeDefined();
      const trueDist = distance(metric, queries, q, base, i!, d);
      expect(Math.abs(trueDist - truth.distances[q]![j]!)).toBeLessThan(1e-3);
      expect(Math.abs(res.distances[q * k + j]! - trueDist)).toBeLessThan(1e-3);
    });
  });
}

function recall(res: SearchResult, truth: Truth, k: number): number {
  let hit = 0;
  let total = 0;
  truth.labels.forEach((expected, q) => {
    const got = new Set(row(res.labels, k, q));
    for (const l of expected) if (got.has(l)) hit++;
    total += expected.length;
  });
  return hit / total;
}

async function expectFaissError(
  p: Promise<unknown> | (() => unknown),
  code: string,
): Promise<FaissError> {
  let caught: unknown;
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FaissError);
  expect((caught as FaissError).code).toBe(code);
  expect((caught as FaissError).message.length).toBeGreaterThan(0);
  return caught as FaissError;
}

// ---- tests -----------------------------------------------------------------------

describe('FaissIndex (native FAISS binding)', () => {
  it('loads the addon built against FAISS 1.7.3', () => {
    expect(faissVersion()).toBe('1.7.3');
  });

  it('Flat/l2: search equals brute force; getters report the index', async () => {
    const d = 16;
    const rand = prng(1);
    const base = randomVectors(1000, d, rand);
    const labels = labelRange(1000);
    const queries = randomVectors(25, d, rand);
    const ix = FaissIndex.create(d, 'Flat', 'l2');
    expect(ix.dimension).toBe(d);
    expect(ix.metric).toBe('l2');
    expect(ix.isTrained).toBe(true);
    expect(ix.ntotal).toBe(0);
    expect(ix.removeStrategy).toBe('compact');
    await ix.add(base, labels);
    expect(ix.ntotal).toBe(1000);

    const k = 10;
    const res = await ix.search(queries, k);
    expect(res.labels).toBeInstanceOf(BigInt64Array);
    expect(res.distances).toBeInstanceOf(Float32Array);
    expect(res.labels.length).toBe(25 * k);
    expectExactNeighbors(
      'l2',
      res,
      bruteForce('l2', base, labels, queries, d, k),
      k,
      base,
      labels,
      queries,
      d,
    );

    // single query path (FAISS uses a different kernel below 20 queries)
    const one = await ix.search(queries.subarray(0, d), k);
    expect([...one.labels]).toEqual([...row(res.labels, k, 0)]);
  });

  it('Flat/ip: inner-product metric equals brute force', async () => {
    const d = 12;
    const rand = prng(2);
    const base = randomVectors(800, d, rand);
    const labels = labelRange(800, 5);
    const queries = randomVectors(30, d, rand);
    const ix = FaissIndex.create(d, 'Flat', 'ip');
    expect(ix.metric).toBe('ip');
    await ix.add(base, labels);
    const k = 7;
    const res = await ix.search(queries, k);
    expectExactNeighbors(
      'ip',
      res,
      bruteForce('ip', base, labels, queries, d, k),
      k,
      base,
      labels,
      queries,
      d,
    );
    // larger inner product first
    for (let q = 0; q < 30; q++) {
      const r = row(res.distances, k, q);
      for (let j = 1; j < k; j++) expect(r[j]!).toBeLessThanOrEqual(r[j - 1]!);
    }
  });

  it('k larger than the index pads with -1n and +Infinity (l2) / -Infinity (ip)', async () => {
    for (const metric of ['l2', 'ip'] as const) {
      const ix = FaissIndex.create(4, 'Flat', metric);
      await ix.add(new Float32Array([1, 0, 0, 0, 0, 1, 0, 0]), new BigInt64Array([1n, 2n]));
      const res = await ix.search(new Float32Array([1, 0, 0, 0]), 4);
      expect([...res.labels]).toEqual([1n, 2n, -1n, -1n]);
      expect(res.distances[2]).toBe(metric === 'l2' ? Infinity : -Infinity);
      expect(res.distances[3]).toBe(metric === 'l2' ? Infinity : -Infinity);
    }
  });

  it('HNSW32: search, remove through tombstones, serialize/deserialize keeps them removed', async () => {
    const d = 16;
    const n = 1500;
    const rand = prng(3);
    const base = randomVectors(n, d, rand);
    const labels = labelRange(n);
    const queries = randomVectors(40, d, rand);
    const ix = FaissIndex.create(d, 'HNSW32', 'l2');
    expect(ix.removeStrategy).toBe('tombstone');
    await ix.add(base, labels);
    const k = 10;
    const truth = bruteForce('l2', base, labels, queries, d, k);
    const res = await ix.search(queries, k, { efSearch: 128 });
    expect(recall(res, truth, k)).toBeGreaterThanOrEqual(0.95);

    // remove 100 labels: HNSW cannot remove in FAISS 1.7.3 -> tombstones
    const removed = BigInt64Array.from({ length: 100 }, (_, i) => labels[i * 15]!);
    expect(await ix.remove(removed)).toBe(100);
    expect(await ix.remove(removed)).toBe(0); // already gone
    expect(ix.ntotal).toBe(n - 100);
    expect(ix.tombstoneCount).toBe(100);
    const removedSet = new Set(removed);

    // query with the removed vectors themselves: they must never come back
    const removedVectors = new Float32Array(100 * d);
    removed.forEach((_, i) =>
      removedVectors.set(base.subarray(i * 15 * d, (i * 15 + 1) * d), i * d),
    );
    const after = await ix.search(removedVectors, k, { efSearch: 64 });
    for (const l of after.labels) expect(removedSet.has(l)).toBe(false);
    expect(after.labels.filter((l) => l === -1n).length).toBe(0);
    expect(() => ix.reconstruct(removed[0]!)).toThrow(FaissError);

    // live-only brute force agrees again
    const liveIdx = [...labels.keys()].filter((i) => !removedSet.has(labels[i]!));
    const liveBase = new Float32Array(liveIdx.length * d);
    liveIdx.forEach((i, j) => liveBase.set(base.subarray(i * d, (i + 1) * d), j * d));
    const liveLabels = BigInt64Array.from(liveIdx.map((i) => labels[i]!));
    const liveTruth = bruteForce('l2', liveBase, liveLabels, queries, d, k);
    const before = await ix.search(queries, k, { efSearch: 128 });
    expect(recall(before, liveTruth, k)).toBeGreaterThanOrEqual(0.95);

    // snapshot round trip keeps the tombstones
    const buf = ix.serialize();
    expect(buf.subarray(0, 4).toString('latin1')).toBe('RVFX');
    const back = FaissIndex.deserialize(buf);
    expect(back.ntotal).toBe(n - 100);
    expect(back.tombstoneCount).toBe(100);
    expect(back.dimension).toBe(d);
    expect(back.removeStrategy).toBe('tombstone');
    const again = await back.search(queries, k, { efSearch: 128 });
    expect([...again.labels]).toEqual([...before.labels]);
    const afterBack = await back.search(removedVectors, k, { efSearch: 64 });
    for (const l of afterBack.labels) expect(removedSet.has(l)).toBe(false);
    await expectFaissError(() => back.reconstruct(removed[0]!), 'NOT_FOUND');

    // documented policy: a removed label may be added again as a new entry
    const fresh = randomVectors(1, d, rand);
    await back.add(fresh, new BigInt64Array([removed[0]!]));
    expect(back.ntotal).toBe(n - 99);
    expect(back.tombstoneCount).toBe(100);
    const hit = await back.search(fresh, 1, { efSearch: 64 });
    expect(hit.labels[0]).toBe(removed[0]);
    expect([...back.reconstruct(removed[0]!)]).toEqual([...fresh]);
    // ... while the old vector of that label stays excluded
    const old = await back.search(base.subarray(0, d), 3, { efSearch: 64 });
    expect(old.distances[0]).toBeGreaterThan(0);
  });

  it('IVF16,Flat: needs training, nprobe takes effect per call, removes via tombstones', async () => {
    const d = 16;
    const rand = prng(4);
    const base = randomVectors(1200, d, rand);
    const labels = labelRange(1200);
    const queries = randomVectors(30, d, rand);
    const ix = FaissIndex.create(d, 'IVF16,Flat', 'l2');
    expect(ix.isTrained).toBe(false);
    await expectFaissError(ix.add(base, labels), 'FAILED_PRECONDITION');
    await ix.train(base);
    expect(ix.isTrained).toBe(true);
    await ix.add(base, labels);
    expect(ix.removeStrategy).toBe('tombstone');

    const k = 10;
    const truth = bruteForce('l2', base, labels, queries, d, k);
    const full = await ix.search(queries, k, { nprobe: 16 });
    expectExactNeighbors('l2', full, truth, k, base, labels, queries, d);
    const narrow = await ix.search(queries, k, { nprobe: 1 });
    expect(recall(narrow, truth, k)).toBeLessThan(0.95);
    // the per-call nprobe did not change the index default (1)
    const dflt = await ix.search(queries, k);
    expect([...dflt.labels]).toEqual([...narrow.labels]);

    const victims = BigInt64Array.from(truth.labels.map((l) => l[0]!));
    const nVictims = new Set(victims).size;
    expect(await ix.remove(victims)).toBe(nVictims);
    expect(ix.ntotal).toBe(1200 - nVictims);
    const after = await ix.search(queries, k, { nprobe: 16 });
    const victimSet = new Set(victims);
    for (const l of after.labels) expect(victimSet.has(l)).toBe(false);
    // the label -> vector mapping survived (IDMap2's own IVF remove breaks it)
    expect([...ix.reconstruct(labels[7]!)]).toEqual([...base.subarray(7 * d, 8 * d)]);

    const back = FaissIndex.deserialize(ix.serialize());
    expect(back.ntotal).toBe(1200 - nVictims);
    const backRes = await back.search(queries, k, { nprobe: 16 });
    expect([...backRes.labels]).toEqual([...after.labels]);
  });

  it('PQ8x4np: trains, compacts on remove, round-trips', async () => {
    const d = 16;
    const rand = prng(5);
    const base = randomVectors(3000, d, rand);
    const labels = labelRange(3000);
    const ix = FaissIndex.create(d, 'PQ8x4np', 'l2');
    expect(ix.isTrained).toBe(false);
    await ix.train(base);
    await ix.add(base, labels);
    expect(ix.removeStrategy).toBe('compact');

    // each stored vector finds itself near the top despite the lossy codes
    const probe = base.subarray(0, 200 * d);
    const k = 10;
    const res = await ix.search(probe, k);
    let self = 0;
    for (let q = 0; q < 200; q++) if ([...row(res.labels, k, q)].includes(labels[q]!)) self++;
    expect(self).toBeGreaterThanOrEqual(160);

    expect(await ix.remove(labels.subarray(0, 50))).toBe(50);
    expect(ix.ntotal).toBe(2950);
    expect(ix.tombstoneCount).toBe(0);
    const after = await ix.search(probe, k);
    const gone = new Set(labels.subarray(0, 50));
    for (const l of after.labels) expect(gone.has(l)).toBe(false);
    // labels behind the removed block still map to their own vectors
    const self2 = await ix.search(base.subarray(2500 * d, 2501 * d), 1);
    const r2500 = ix.reconstruct(labels[2500]!);
    let err = 0;
    for (let j = 0; j < d; j++) err += (r2500[j]! - base[2500 * d + j]!) ** 2;
    expect(err).toBeLessThan(0.5);
    expect(self2.labels[0]).not.toBe(-1n);

    const back = FaissIndex.deserialize(ix.serialize());
    expect(back.ntotal).toBe(2950);
    expect(back.isTrained).toBe(true);
    const backRes = await back.search(probe, k);
    expect([...backRes.labels]).toEqual([...after.labels]);
    expect([...backRes.distances]).toEqual([...after.distances]);
  });

  describe('filtered search (allowIds)', () => {
    const d = 16;
    const n = 1500;
    const rand = prng(6);
    const base = randomVectors(n, d, rand);
    const labels = labelRange(n);
    const queries = randomVectors(20, d, rand);
    const k = 10;
    // 60 allowed labels, plus unknown labels that must be ignored
    const allowedList = Array.from({ length: 60 }, (_, i) => labels[i * 23 + 3]!);
    const allowIds = BigInt64Array.from([...allowedList, 999_999n, -5n]);

    const specs: [string, boolean][] = [
      ['Flat', false],
      ['HNSW32', false],
      ['IVF16,Flat', true],
      ['SQ8', true],
      ['PQ8x4np', true], // selector unsupported in 1.7.3: post-filtered
      ['Flat,RFlat', false], // IndexRefineFlat: selector unsupported, tombstones
      ['IVF16,PQ4x4fs', true], // fast-scan: no params at all
    ];
    for (const [spec, needsTraining] of specs) {
      it(`${spec}: exactly k results, all among the allowed live ids`, async () => {
        const ix = FaissIndex.create(d, spec, 'l2');
        if (needsTraining) await ix.train(base);
        await ix.add(base, labels);
        // removed labels inside the allow list must not come back either
        const removedAllowed = allowedList.slice(0, 5);
        expect(await ix.remove(BigInt64Array.from(removedAllowed))).toBe(5);
        const res = await ix.search(queries, k, { allowIds });
        const liveAllowed = new Set(allowedList.slice(5));
        for (let q = 0; q < 20; q++) {
          const r = [...row(res.labels, k, q)];
          expect(r.length).toBe(k);
          expect(new Set(r).size).toBe(k);
          for (const l of r) expect(liveAllowed.has(l)).toBe(true);
        }
        if (spec === 'Flat') {
          const liveIdx = [...labels.keys()].filter((i) => liveAllowed.has(labels[i]!));
          const sub = new Float32Array(liveIdx.length * d);
          liveIdx.forEach((i, j) => sub.set(base.subarray(i * d, (i + 1) * d), j * d));
          const subLabels = BigInt64Array.from(liveIdx.map((i) => labels[i]!));
          const truth = bruteForce('l2', base, labels, queries, d, k, liveAllowed);
          expectExactNeighbors('l2', res, truth, k, sub, subLabels, queries, d);
        }
        // very selective: fewer allowed than k -> all of them, then padding
        const few = BigInt64Array.from(allowedList.slice(10, 13));
        const sel = await ix.search(queries, k, { allowIds: few });
        for (let q = 0; q < 20; q++) {
          const r = [...row(sel.labels, k, q)];
          expect(new Set(r.slice(0, 3))).toEqual(new Set(few));
          expect(r.slice(3)).toEqual(Array(k - 3).fill(-1n));
          expect(sel.distances[q * k + 3]).toBe(Infinity);
        }
        // empty allow list -> nothing
        const none = await ix.search(queries.subarray(0, d), k, { allowIds: new BigInt64Array(0) });
        expect([...none.labels]).toEqual(Array(k).fill(-1n));
      }, 60_000);
    }
  });

  it('searchExact matches brute force over the listed ids, skipping unknown and removed ones', async () => {
    const d = 16;
    const rand = prng(7);
    const base = randomVectors(1000, d, rand);
    const labels = labelRange(1000);
    const queries = randomVectors(15, d, rand);
    for (const metric of ['l2', 'ip'] as const) {
      const ix = FaissIndex.create(d, 'HNSW32', metric);
      await ix.add(base, labels);
      const listed = Array.from({ length: 200 }, (_, i) => labels[(i * 7) % 1000]!);
      await ix.remove(BigInt64Array.from(listed.slice(0, 10)));
      const live = new Set(listed.slice(10));
      const ids = BigInt64Array.from([...listed, 424242n, listed[20]!]); // unknown + duplicate
      const k = 12;
      const res = await ix.searchExact(queries, k, ids);
      const truth = bruteForce(metric, base, labels, queries, d, k, live);
      truth.labels.forEach((expected, q) => {
        expect([...row(res.labels, k, q)]).toEqual(expected);
        const dist = row(res.distances, k, q);
        expected.forEach((_, j) =>
          expect(Math.abs(dist[j]! - truth.distances[q]![j]!)).toBeLessThan(1e-4),
        );
      });
      // fewer candidates than k -> padded
      const small = await ix.searchExact(
        queries.subarray(0, d),
        5,
        BigInt64Array.from(listed.slice(10, 12)),
      );
      expect([...small.labels.subarray(2)]).toEqual([-1n, -1n, -1n]);
      expect(small.distances[4]).toBe(metric === 'l2' ? Infinity : -Infinity);
    }
  });

  it('reconstruct returns the stored vector', async () => {
    const d = 8;
    const rand = prng(8);
    const base = randomVectors(50, d, rand);
    const labels = labelRange(50, 77);
    const ix = FaissIndex.create(d, 'Flat', 'l2');
    await ix.add(base, labels);
    expect([...ix.reconstruct(90n)]).toEqual([...base.subarray(13 * d, 14 * d)]);
    await expectFaissError(() => ix.reconstruct(12345n), 'NOT_FOUND');
    await ix.remove(new BigInt64Array([90n]));
    await expectFaissError(() => ix.reconstruct(90n), 'NOT_FOUND');
    // the block after the removed vector still maps correctly (compaction)
    expect([...ix.reconstruct(91n)]).toEqual([...base.subarray(14 * d, 15 * d)]);
    await expectFaissError(() => ix.reconstruct(5 as unknown as bigint), 'INVALID_ARGUMENT');
  });

  it('keeps every vector as a Flat index grows past the size where its codes move to huge-page buffers', async () => {
    // 128-d Flat codes are 512 bytes: the array reaches 4 MiB at 8192 vectors and is
    // grown by raftvec (not std::vector) from there on. Single adds, then one large one.
    const d = 128;
    const rand = prng(21);
    const singles = 12_000;
    const base = randomVectors(singles + 20_000, d, rand);
    const ix = FaissIndex.create(d, 'Flat', 'l2');
    for (let i = 0; i < singles; i++)
      await ix.add(base.subarray(i * d, (i + 1) * d), new BigInt64Array([BigInt(i)]));
    await ix.add(base.subarray(singles * d), labelRange(20_000, singles));
    expect(ix.ntotal).toBe(singles + 20_000);
    for (const i of [0, 4095, 8191, 8192, 8193, 11_999, 12_000, 16_383, 31_999]) {
      expect([...ix.reconstruct(BigInt(i))]).toEqual([...base.subarray(i * d, (i + 1) * d)]);
      const hit = await ix.search(base.subarray(i * d, (i + 1) * d), 1);
      expect(hit.labels[0]).toBe(BigInt(i));
    }
  });

  it('remove counts each live label once and ignores unknown labels', async () => {
    const ix = FaissIndex.create(2, 'Flat', 'l2');
    await ix.add(new Float32Array([0, 0, 1, 1, 2, 2]), new BigInt64Array([10n, 11n, 12n]));
    expect(await ix.remove(new BigInt64Array([11n, 11n, 99n]))).toBe(1);
    expect(ix.ntotal).toBe(2);
    const res = await ix.search(new Float32Array([1, 1]), 3);
    expect([...res.labels]).toEqual([10n, 12n, -1n]);
  });

  it('serializeAsync / deserializeAsync round trip', async () => {
    const d = 8;
    const rand = prng(9);
    const base = randomVectors(300, d, rand);
    const ix = FaissIndex.create(d, 'HNSW16', 'ip');
    await ix.add(base, labelRange(300));
    await ix.remove(labelRange(3));
    const buf = await ix.serializeAsync();
    expect(buf.equals(ix.serialize())).toBe(true);
    const back = await FaissIndex.deserializeAsync(buf);
    expect(back.metric).toBe('ip');
    expect(back.ntotal).toBe(297);
    const q = base.subarray(0, 10 * d);
    expect([...(await back.search(q, 5)).labels]).toEqual([...(await ix.search(q, 5)).labels]);
  });

  it('serializeToFile / deserializeFile: the same envelope, written and read without a whole-index buffer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftvec-faiss-file-'));
    try {
      const d = 8;
      const rand = prng(11);
      const base = randomVectors(300, d, rand);
      for (const spec of ['HNSW16', 'Flat']) {
        const ix = FaissIndex.create(d, spec, 'l2');
        await ix.add(base, labelRange(300));
        await ix.remove(labelRange(5)); // tombstones (HNSW) or compaction (Flat) travel too
        const file = join(dir, `${spec}.faiss`);
        const written = await ix.serializeToFile(file);
        const bytes = readFileSync(file);
        expect(written).toBe(bytes.length);
        expect(bytes.equals(ix.serialize())).toBe(true);
        const back = await FaissIndex.deserializeFile(file);
        expect(back.ntotal).toBe(295);
        expect(back.tombstoneCount).toBe(ix.tombstoneCount);
        const q = base.subarray(0, 10 * d);
        expect([...(await back.search(q, 5)).labels]).toEqual([...(await ix.search(q, 5)).labels]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deserializeFile refuses a damaged, truncated or missing file with CORRUPT or INTERNAL, never crashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftvec-faiss-file-'));
    try {
      const ix = FaissIndex.create(4, 'Flat', 'l2');
      await ix.add(randomVectors(95, 4, prng(5)), labelRange(95));
      const good = join(dir, 'good.faiss');
      await ix.serializeToFile(good);
      const bytes = readFileSync(good);
      const bad = join(dir, 'bad.faiss');
      for (const at of [
        2,
        6,
        13,
        30,
        Math.floor(bytes.length / 2),
        bytes.length - 12,
        bytes.length - 2,
      ]) {
        const flipped = Buffer.from(bytes);
        flipped[at] = flipped[at]! ^ 0x5a;
        writeFileSync(bad, flipped);
        await expectFaissError(FaissIndex.deserializeFile(bad), 'CORRUPT');
      }
      for (const length of [0, 10, 31, bytes.length - 1]) {
        writeFileSync(bad, bytes.subarray(0, length));
        await expectFaissError(FaissIndex.deserializeFile(bad), 'CORRUPT');
      }
      const missing = await expectFaissError(
        FaissIndex.deserializeFile(join(dir, 'none')),
        'INTERNAL',
      );
      expect(missing.message).toMatch(/cannot open .*none/);
      await expectFaissError(ix.serializeToFile(join(dir, 'no-such-dir', 'x.faiss')), 'INTERNAL');
      expect((await FaissIndex.deserializeFile(good)).ntotal).toBe(95);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('errors become FaissError, never crashes', () => {
    it('rejects bad arguments with INVALID_ARGUMENT (TypeError/RangeError cause)', async () => {
      const ix = FaissIndex.create(4, 'Flat', 'l2');
      const e1 = await expectFaissError(
        ix.add(new Float32Array(6), new BigInt64Array(1)),
        'INVALID_ARGUMENT',
      );
      expect(e1.message).toMatch(/multiple of the dimension/);
      expect(e1.cause).toBeInstanceOf(RangeError);
      const e2 = await expectFaissError(
        ix.add(new Float32Array(8), new BigInt64Array(1)),
        'INVALID_ARGUMENT',
      );
      expect(e2.message).toMatch(/ids\.length/);
      const e3 = await expectFaissError(
        ix.add(new Float64Array(4) as unknown as Float32Array, new BigInt64Array(1)),
        'INVALID_ARGUMENT',
      );
      expect(e3.cause).toBeInstanceOf(TypeError);
      await expectFaissError(
        ix.add(new Float32Array(4), [1n] as unknown as BigInt64Array),
        'INVALID_ARGUMENT',
      );
      await expectFaissError(
        ix.add(new Float32Array(4), new BigInt64Array([-3n])),
        'INVALID_ARGUMENT',
      );
      await expectFaissError(
        ix.add(new Float32Array(8), new BigInt64Array([1n, 1n])),
        'INVALID_ARGUMENT',
      );
      expect(ix.ntotal).toBe(0); // nothing half-written

      await ix.add(new Float32Array(4), new BigInt64Array([1n]));
      await expectFaissError(
        ix.add(new Float32Array(4), new BigInt64Array([1n])),
        'ALREADY_EXISTS',
      );
      expect(ix.ntotal).toBe(1);

      const q = new Float32Array(4);
      await expectFaissError(ix.search(q, 0), 'INVALID_ARGUMENT');
      await expectFaissError(ix.search(q, 1.5), 'INVALID_ARGUMENT');
      await expectFaissError(ix.search(q, -1), 'INVALID_ARGUMENT');
      await expectFaissError(ix.search(new Float32Array(3), 1), 'INVALID_ARGUMENT');
      await expectFaissError(ix.search(q, 1, { efSearch: 0 }), 'INVALID_ARGUMENT');
      await expectFaissError(ix.search(q, 1, { nprobe: -2 }), 'INVALID_ARGUMENT');
      await expectFaissError(
        ix.search(q, 1, { allowIds: [1n] as unknown as BigInt64Array }),
        'INVALID_ARGUMENT',
      );
      await expectFaissError(ix.searchExact(q, 0, new BigInt64Array([1n])), 'INVALID_ARGUMENT');
      await expectFaissError(ix.train(new Float32Array(5)), 'INVALID_ARGUMENT');
    });

    it('rejects NaN, Infinity and overflowing values before they reach FAISS', async () => {
      // (IVF would otherwise throw inside an OpenMP region, which aborts the process)
      const d = 8;
      const base = randomVectors(400, d, prng(16));
      const ix = FaissIndex.create(d, 'IVF8,Flat', 'l2');
      await ix.train(base);
      await ix.add(base, labelRange(400));
      for (const bad of [NaN, Infinity, -Infinity, 3e38]) {
        const q = new Float32Array(2 * d);
        q[d + 3] = bad;
        const e = await expectFaissError(ix.search(q, 3), 'INVALID_ARGUMENT');
        expect(e.message).toMatch(/row 1 component 3/);
        await expectFaissError(ix.searchExact(q, 3, labelRange(5)), 'INVALID_ARGUMENT');
        await expectFaissError(ix.add(q, labelRange(2, 9000)), 'INVALID_ARGUMENT');
      }
      expect(ix.ntotal).toBe(400);
      const fresh = FaissIndex.create(d, 'IVF8,Flat', 'l2');
      const badTrain = new Float32Array(base);
      badTrain[17] = NaN;
      await expectFaissError(fresh.train(badTrain), 'INVALID_ARGUMENT');
      expect(fresh.isTrained).toBe(false);
    });

    it('rejects bad factory strings, metrics and dimensions', async () => {
      const bad = await expectFaissError(() => FaissIndex.create(8, 'NotAnIndex', 'l2'), 'FAISS');
      expect(bad.message).toMatch(/NotAnIndex/);
      await expectFaissError(() => FaissIndex.create(8, 'PQ3', 'l2'), 'FAISS'); // 8 % 3 != 0
      await expectFaissError(() => FaissIndex.create(8, 'IDMap,Flat', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(() => FaissIndex.create(8, 'IDMap2,HNSW32', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(() => FaissIndex.create(8, '', 'l2'), 'INVALID_ARGUMENT');
      // strings FAISS 1.7.3 accepts but then hangs or crashes on
      await expectFaissError(() => FaissIndex.create(8, 'HNSW1', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(() => FaissIndex.create(8, 'HNSW0', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(() => FaissIndex.create(8, 'PQ0', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(() => FaissIndex.create(8, 'NSG32,Flat', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(
        () => FaissIndex.create(8, 'Flat', 'cosine' as FaissMetric),
        'INVALID_ARGUMENT',
      );
      await expectFaissError(() => FaissIndex.create(0, 'Flat', 'l2'), 'INVALID_ARGUMENT');
      await expectFaissError(() => FaissIndex.create(2.5, 'Flat', 'l2'), 'INVALID_ARGUMENT');
    });

    it('surfaces FAISS exceptions from training and state errors', async () => {
      const ivf = FaissIndex.create(4, 'IVF64,Flat', 'l2');
      const e = await expectFaissError(ivf.train(randomVectors(10, 4, prng(10))), 'FAISS');
      expect(e.message).toMatch(/training points|clusters/i);
      const flat = FaissIndex.create(4, 'Flat', 'l2');
      await flat.add(new Float32Array(4), new BigInt64Array([1n]));
      await expectFaissError(flat.train(new Float32Array(4)), 'FAILED_PRECONDITION');
    });

    it('rejects corrupt snapshots with CORRUPT', async () => {
      const ix = FaissIndex.create(4, 'HNSW8', 'l2');
      await ix.add(randomVectors(100, 4, prng(11)), labelRange(100));
      await ix.remove(labelRange(5));
      const good = ix.serialize();

      const rand = prng(12);
      const garbage = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rand() * 256)));
      await expectFaissError(() => FaissIndex.deserialize(garbage), 'CORRUPT');
      await expectFaissError(() => FaissIndex.deserialize(Buffer.alloc(0)), 'CORRUPT');
      await expectFaissError(
        () => FaissIndex.deserialize(good.subarray(0, good.length - 100)),
        'CORRUPT',
      );
      for (const at of [2, 6, 30, Math.floor(good.length / 2), good.length - 12]) {
        const flipped = Buffer.from(good);
        flipped[at] = flipped[at]! ^ 0x5a;
        await expectFaissError(() => FaissIndex.deserialize(flipped), 'CORRUPT');
      }
      await expectFaissError(FaissIndex.deserializeAsync(garbage), 'CORRUPT');
      await expectFaissError(
        () => FaissIndex.deserialize('RVFX' as unknown as Buffer),
        'INVALID_ARGUMENT',
      );
      // the good one still loads
      expect(FaissIndex.deserialize(good).ntotal).toBe(95);
    });
  });

  describe('concurrency', () => {
    it('concurrent adds, removes and searches on one index stay consistent', async () => {
      const d = 16;
      const rand = prng(13);
      const ix = FaissIndex.create(d, 'HNSW16', 'l2');
      const batches = Array.from({ length: 20 }, (_, b) => ({
        x: randomVectors(100, d, rand),
        ids: labelRange(100, b * 100),
      }));
      const queries = randomVectors(10, d, rand);
      const ops: Promise<unknown>[] = [];
      for (const b of batches) {
        ops.push(ix.add(b.x, b.ids));
        ops.push(ix.search(queries, 5));
      }
      await Promise.all(ops);
      expect(ix.ntotal).toBe(2000);
      const removals = Promise.all(batches.slice(0, 5).map((b) => ix.remove(b.ids)));
      const searches = Promise.all(Array.from({ length: 10 }, () => ix.search(queries, 5)));
      expect((await removals).reduce((a, c) => a + c, 0)).toBe(500);
      await searches;
      expect(ix.ntotal).toBe(1500);
      const res = await ix.search(queries, 5, { efSearch: 64 });
      for (const l of res.labels) expect(l).toBeGreaterThanOrEqual(500n);
    });

    it('per-call efSearch takes effect (FAISS 1.7.3 ignores it in SearchParametersHNSW)', async () => {
      const d = 64;
      const rand = prng(16);
      const base = randomVectors(5000, d, rand);
      const labels = labelRange(5000);
      const queries = randomVectors(50, d, rand);
      const ix = FaissIndex.create(d, 'HNSW16', 'l2');
      await ix.add(base, labels);
      const truth = bruteForce('l2', base, labels, queries, d, 10);
      const narrow = recall(await ix.search(queries, 10, { efSearch: 10 }), truth, 10);
      const wide = recall(await ix.search(queries, 10, { efSearch: 512 }), truth, 10);
      const byDefault = recall(await ix.search(queries, 10), truth, 10);
      expect(wide).toBeGreaterThanOrEqual(0.95);
      expect(wide).toBeGreaterThan(narrow);
      // the index default (DEFAULT_EF_SEARCH, 256) sits between the two
      expect(byDefault).toBeGreaterThanOrEqual(narrow);
      expect(byDefault).toBeLessThanOrEqual(wide);
    });

    it('per-call efSearch does not leak between concurrent searches', async () => {
      const d = 16;
      const rand = prng(14);
      const ix = FaissIndex.create(d, 'HNSW8', 'l2');
      await ix.add(randomVectors(2000, d, rand), labelRange(2000));
      const queries = randomVectors(50, d, rand);
      const lo = await ix.search(queries, 10, { efSearch: 10 });
      const hi = await ix.search(queries, 10, { efSearch: 400 });
      expect([...lo.labels]).not.toEqual([...hi.labels]); // the knob really matters here
      const runs = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          ix.search(queries, 10, { efSearch: i % 2 ? 400 : 10 }),
        ),
      );
      runs.forEach((r, i) => expect([...r.labels]).toEqual([...(i % 2 ? hi : lo).labels]));
    });

    it('a long search does not block the event loop', async () => {
      const d = 128;
      const n = 200_000;
      const rand = prng(15);
      const ix = FaissIndex.create(d, 'Flat', 'l2');
      await ix.add(randomVectors(n, d, rand), labelRange(n, 0));
      const queries = randomVectors(500, d, rand);

      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      let settled = false;
      const pending = ix.search(queries, 10).then((r) => {
        settled = true;
        return r;
      });
      // the call returned before the work finished
      expect(settled).toBe(false);
      const res = await pending;
      clearInterval(timer);
      expect(res.labels.length).toBe(500 * 10);
      expect(res.labels.every((l) => l >= 0n)).toBe(true);
      expect(ticks).toBeGreaterThanOrEqual(3);
    }, 120_000);

    it('a small add to a Flat index runs inline when the index is free, and stays correct against concurrent searches', async () => {
      const d = 64;
      const rand = prng(16);
      const ix = FaissIndex.create(d, 'Flat', 'l2');
      await ix.add(randomVectors(100_000, d, rand), labelRange(100_000, 0));

      // Microtasks only: a job on a worker thread can only settle in a later turn of the
      // event loop, so a promise settled after them was settled by the call itself.
      const microtasks = async () => {
        for (let i = 0; i < 20; i++) await Promise.resolve();
      };
      // Free: done by the time the call returns.
      let inline = false;
      const quick = ix.add(randomVectors(1, d, rand), new BigInt64Array([500_000n])).then(() => {
        inline = true;
      });
      await microtasks();
      expect(inline).toBe(true);
      await quick;

      // Against searches holding the index on worker threads, each add runs inline or
      // waits its turn in the pool (whichever the lock allows when it is called).
      const searches = Array.from({ length: 4 }, () => ix.search(randomVectors(50, d, rand), 5));
      const adds = Array.from({ length: 50 }, (_, i) =>
        ix.add(randomVectors(1, d, rand), new BigInt64Array([600_000n + BigInt(i)])),
      );
      const results = await Promise.all(searches);
      await Promise.all(adds);
      expect(results.every((r) => r.labels.every((l) => l >= 0n))).toBe(true);
      expect(ix.ntotal).toBe(100_051);
      // An inline add reports its errors like a queued one.
      await expectFaissError(
        ix.add(randomVectors(1, d, rand), new BigInt64Array([500_000n])),
        'ALREADY_EXISTS',
      );
    }, 120_000);
  });

  it('thread configuration can be read and changed', () => {
    const before = getFaissThreadConfig();
    expect(before.searchThreads).toBeGreaterThanOrEqual(1);
    expect(before.buildThreads).toBeGreaterThanOrEqual(1);
    const changed = configureFaissThreads({ searchThreads: 2 });
    expect(changed.searchThreads).toBe(2);
    expect(changed.blasThreads).toBe(before.blasThreads);
    configureFaissThreads(before);
    expect(getFaissThreadConfig()).toEqual(before);
    expect(() => configureFaissThreads({ searchThreads: 0 })).toThrow(FaissError);
  });
});
