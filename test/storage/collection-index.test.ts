import { describe, expect, it } from 'vitest';
import { RaftvecError } from '../../src/errors.js';
import {
  CollectionIndex,
  REBUILD_MIN_TOMBSTONES,
  bigLabels,
  inLabelOrder,
  normalized,
  sortedAllowList,
  trainingThreshold,
} from '../../src/index/collection-index.js';
import { mulberry32 as rng } from '../support/random.js';

const randomFlat = (n: number, d: number, seed: number): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n * d }, () => r() * 2 - 1);
};
const labelsFrom = (start: number, n: number): BigInt64Array =>
  BigInt64Array.from({ length: n }, (_, i) => BigInt(start + i));
const allOf = (idx: { size: number }, labels: BigInt64Array) => () => labels;

describe('CollectionIndex', () => {
  it('computes training thresholds', () => {
    expect(trainingThreshold('Flat')).toBe(256);
    expect(trainingThreshold('PQ16')).toBe(256);
    expect(trainingThreshold('IVF16,Flat')).toBe(624);
    expect(trainingThreshold('IVF1024,PQ16')).toBe(39 * 1024);
    expect(trainingThreshold('IVF4,PQ8x10')).toBe(1024);
    expect(trainingThreshold('OPQ16_64,IVF256_HNSW32,PQ16')).toBe(39 * 256);
  });

  it('normalizes to unit length, leaving the zero vector alone', () => {
    const v = normalized(new Float32Array([3, 4]));
    expect(Array.from(v)).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(Array.from(normalized(new Float32Array(2)))).toEqual([0, 0]);
  });

  it('rejects a factory string FAISS cannot build, as INVALID_ARGUMENT', () => {
    for (const spec of ['NotAnIndex', 'PQ5']) {
      let caught: unknown;
      try {
        CollectionIndex.create(8, 'l2', spec); // PQ5 does not divide dimension 8
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RaftvecError);
      expect((caught as RaftvecError).code).toBe('INVALID_ARGUMENT');
      expect((caught as RaftvecError).message).toMatch(new RegExp(`index spec "${spec}"`));
    }
  });

  it('stages points in an exact index until the training threshold, then trains', async () => {
    const d = 8;
    const idx = CollectionIndex.create(d, 'l2', 'IVF16,Flat');
    expect(idx.staged).toBe(true);
    const data = randomFlat(700, d, 1);
    const labels = labelsFrom(0, 700);
    await idx.add(data.subarray(0, 600 * d), labels.subarray(0, 600));
    expect(idx.staged).toBe(true);
    expect(idx.wantsTraining).toBe(false);
    const q = randomFlat(1, d, 2);
    const before = await idx.search(q, 1, 5, { allLabels: allOf(idx, labels.subarray(0, 600)) });
    await idx.add(data.subarray(600 * d), labels.subarray(600));
    expect(idx.wantsTraining).toBe(true);
    await idx.load(data, labels);
    expect(idx.staged).toBe(false);
    expect(idx.size).toBe(700);
    const after = await idx.search(q, 1, 5, { nprobe: 16, allLabels: allOf(idx, labels) });
    expect(after[0]).toHaveLength(5);
    // Exact results agree (700 ⊇ 600 points; nprobe = nlist is exhaustive for IVF,Flat).
    const exactAfter = await idx.search(q, 1, 5, {
      allowLabels: labels,
      allLabels: allOf(idx, labels),
    });
    expect(after[0]!.map((h) => h.label)).toEqual(exactAfter[0]!.map((h) => h.label));
    expect(before[0]).toHaveLength(5);
  });

  it('asks for a rebuild once tombstones dominate, and a rebuild drops them', async () => {
    const d = 4;
    const n = REBUILD_MIN_TOMBSTONES + 2000;
    const idx = CollectionIndex.create(d, 'l2', 'HNSW8');
    const data = randomFlat(n, d, 3);
    const labels = labelsFrom(0, n);
    await idx.add(data, labels);
    await idx.remove(labels.subarray(0, n - 1000));
    expect(idx.size).toBe(1000);
    expect(idx.wantsRebuild).toBe(true);
    const live = labels.subarray(n - 1000);
    await idx.load(data.subarray((n - 1000) * d), live);
    expect(idx.wantsRebuild).toBe(false);
    const res = await idx.search(randomFlat(3, d, 4), 3, 50, { allLabels: allOf(idx, live) });
    for (const row of res) {
      expect(row).toHaveLength(50);
      for (const h of row) expect(h.label).toBeGreaterThanOrEqual(n - 1000);
    }
  });

  it('an exact search keeps, and lists first, the smallest labels among tied scores (l2 and ip)', async () => {
    for (const metric of ['l2', 'ip'] as const) {
      // Eight identical vectors, added in an order unlike their labels' (as after a rebuild).
      const labels = BigInt64Array.from([5n, 2n, 7n, 0n, 6n, 1n, 3n, 4n]);
      const idx = CollectionIndex.create(2, metric, 'Flat');
      await idx.load(new Float32Array(16).fill(1), labels);
      const [row] = await idx.search(new Float32Array([1, 1]), 1, 3, {
        allowLabels: sortedAllowList(Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7])),
        allLabels: () => labels,
      });
      expect(
        row!.map((h) => h.label),
        metric,
      ).toEqual([0, 1, 2]);
    }
  });

  it('puts vectors in label order in place, each with its label', () => {
    const d = 3;
    const r = rng(21);
    const n = 500;
    const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 7));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
    // Each vector names its label, so the pairing can be checked after the move.
    const vectors = Float32Array.from(
      { length: n * d },
      (_, k) => Number(labels[Math.floor(k / d)]!) + (k % d) / 10,
    );
    inLabelOrder(vectors, labels, d);
    for (let i = 0; i < n; i++) {
      expect(labels[i]).toBe(BigInt(i * 7));
      expect(Array.from(vectors.subarray(i * d, (i + 1) * d))).toEqual(
        [0, 1, 2].map((c) => Math.fround(i * 7 + c / 10)),
      );
    }
  });

  it('a Flat index loaded in another order chooses among tied points as one built write by write', async () => {
    for (const metric of ['l2', 'ip'] as const) {
      const byWrites = CollectionIndex.create(2, metric, 'Flat');
      for (let label = 0; label < 8; label++)
        await byWrites.add(new Float32Array([1, 1]), BigInt64Array.from([BigInt(label)]));
      const loaded = CollectionIndex.create(2, metric, 'Flat');
      await loaded.load(
        new Float32Array(16).fill(1),
        BigInt64Array.from([5n, 2n, 7n, 0n, 6n, 1n, 3n, 4n]),
      );
      const all = () => BigInt64Array.from({ length: 8 }, (_, i) => BigInt(i));
      for (const n of [1, 25]) {
        // One query and a batch (FAISS takes another path for 20 queries or more).
        const queries = new Float32Array(2 * n).fill(1);
        const a = await byWrites.search(queries, n, 3, { allLabels: all });
        const b = await loaded.search(queries, n, 3, { allLabels: all });
        expect(
          b.map((row) => row.map((h) => h.label)),
          `${metric}, ${n} queries`,
        ).toEqual(a.map((row) => row.map((h) => h.label)));
        expect(a[0]!.map((h) => h.label)).toEqual([0, 1, 2]);
      }
    }
  });

  it('writes labels as int64 without a BigInt each, up to 2^53 - 1', () => {
    const labels = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 52 + 3, 2 ** 53 - 1];
    expect(Array.from(bigLabels(Float64Array.from(labels)))).toEqual(labels.map((l) => BigInt(l)));
  });
});
