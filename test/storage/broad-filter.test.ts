import { describe, expect, it } from 'vitest';
import {
  BROAD_FILTER_SHARE,
  CollectionIndex,
  FILTER_EXACT_THRESHOLD,
  sortedAllowList,
} from '../../src/index/collection-index.js';
import { mulberry32 as rng } from '../support/random.js';

/**
 * A filter matching more than FILTER_EXACT_THRESHOLD points and at least
 * BROAD_FILTER_SHARE of them is searched without a selector first (more hits than k,
 * the allowed ones kept), then with the selector for queries that came back short.
 */
describe('CollectionIndex: broad filters', () => {
  const d = 8;
  const n = 40_000;
  // Points 0..20999 are allowed: 52% of them, above the exact-search threshold.
  const allowedCount = 21_000;
  expect(allowedCount).toBeGreaterThan(FILTER_EXACT_THRESHOLD);
  expect(allowedCount / n).toBeGreaterThanOrEqual(BROAD_FILTER_SHARE);
  const allowed = Float64Array.from({ length: allowedCount }, (_, i) => i);
  const labels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));

  async function indexOf(vectors: Float32Array): Promise<CollectionIndex> {
    const index = CollectionIndex.create(d, 'l2', 'HNSW16');
    await index.load(vectors, labels);
    return index;
  }

  /** The k nearest allowed points, by brute force. */
  function exactAllowed(vectors: Float32Array, q: Float32Array, k: number): number[] {
    const dist = (i: number): number => {
      let s = 0;
      for (let j = 0; j < d; j++) s += (vectors[i * d + j]! - q[j]!) ** 2;
      return s;
    };
    return Array.from(allowed, (l) => ({ l, s: dist(l) }))
      .sort((a, b) => a.s - b.s)
      .slice(0, k)
      .map((h) => h.l);
  }

  it('finds the allowed neighbours when they are among the nearest points', async () => {
    const r = rng(7);
    const vectors = Float32Array.from({ length: n * d }, () => r() * 2 - 1);
    const index = await indexOf(vectors);
    const queries = Float32Array.from({ length: 20 * d }, () => r() * 2 - 1);
    const rows = await index.search(queries, 20, 10, {
      allowLabels: sortedAllowList(allowed),
      allLabels: () => labels,
    });
    let found = 0;
    rows.forEach((row, qi) => {
      expect(row).toHaveLength(10);
      for (const hit of row) expect(hit.label).toBeLessThan(allowedCount);
      const truth = new Set(exactAllowed(vectors, queries.subarray(qi * d, (qi + 1) * d), 10));
      found += row.filter((h) => truth.has(h.label)).length;
    });
    expect(found / 200).toBeGreaterThan(0.9);
  });

  it('falls back to the selector when the nearest points are all filtered out', async () => {
    // Allowed points sit far from the origin; the query is at the origin, so an
    // unfiltered pass finds none of them.
    const r = rng(8);
    const vectors = Float32Array.from({ length: n * d }, (_, i) => {
      const far = Math.floor(i / d) < allowedCount ? 100 : 0;
      return far + r() * 2 - 1;
    });
    const index = await indexOf(vectors);
    const q = new Float32Array(d);
    const [row] = await index.search(q, 1, 10, {
      allowLabels: sortedAllowList(allowed),
      allLabels: () => labels,
    });
    expect(row).toHaveLength(10);
    for (const hit of row!) expect(hit.label).toBeLessThan(allowedCount);
    const truth = new Set(exactAllowed(vectors, q, 10));
    expect(row!.filter((h) => truth.has(h.label)).length).toBeGreaterThanOrEqual(9);
  });
});
