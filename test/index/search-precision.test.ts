/**
 * The binding's own search paths (native/src/hnsw_search.cc and the exact
 * recomputation of Flat batches in index_core.cc): HNSW takes efSearch per call
 * with no shared state, and a batch answers exactly what single queries answer.
 */
import { describe, expect, it } from 'vitest';

import {
  FaissIndex,
  type FaissMetric,
  type SearchResult,
  configureFaissThreads,
} from '../../src/index/faiss.js';
import { mulberry32 } from '../support/random.js';

function uniform(n: number, d: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n * d }, () => (r() * 2 - 1) * scale);
}

const labels = (n: number): BigInt64Array => BigInt64Array.from({ length: n }, (_, i) => BigInt(i));

async function singly(
  index: FaissIndex,
  queries: Float32Array,
  d: number,
  k: number,
  efSearch?: number,
): Promise<SearchResult[]> {
  const out: SearchResult[] = [];
  for (let q = 0; q < queries.length / d; q++) {
    out.push(
      await index.search(queries.subarray(q * d, (q + 1) * d), k, {
        ...(efSearch !== undefined && { efSearch }),
      }),
    );
  }
  return out;
}

function rowsOf(result: SearchResult, k: number): SearchResult[] {
  const rows: SearchResult[] = [];
  for (let q = 0; q < result.labels.length / k; q++) {
    rows.push({
      labels: result.labels.slice(q * k, (q + 1) * k),
      distances: result.distances.slice(q * k, (q + 1) * k),
    });
  }
  return rows;
}

/** Fraction of the exact top-k (Flat) each HNSW row found. */
function recall(found: SearchResult[], truth: SearchResult[]): number {
  let hits = 0;
  let total = 0;
  found.forEach((row, q) => {
    const want = new Set(truth[q]!.labels);
    for (const l of row.labels) if (want.has(l)) hits++;
    total += want.size;
  });
  return hits / total;
}

describe('HNSW search with a per-call efSearch', () => {
  const d = 16;
  const n = 4000;
  const k = 10;
  const base = uniform(n, d, 1);
  const queries = uniform(60, d, 2);

  async function build(metric: FaissMetric): Promise<{ hnsw: FaissIndex; flat: FaissIndex }> {
    // HNSW4 on uniform data: a narrow search visibly misses neighbours. Built on one
    // thread, the graph (and so every recall figure) is the same in every run.
    configureFaissThreads({ buildThreads: 1 });
    const hnsw = FaissIndex.create(d, 'HNSW4', metric);
    const flat = FaissIndex.create(d, 'Flat', metric);
    await hnsw.add(base, labels(n));
    await flat.add(base, labels(n));
    return { hnsw, flat };
  }

  for (const metric of ['l2', 'ip'] as const) {
    it(`searches wider as efSearch grows, up to exact at efSearch = n (${metric})`, async () => {
      const { hnsw, flat } = await build(metric);
      const truth = await singly(flat, queries, d, k);
      const narrow = recall(await singly(hnsw, queries, d, k, 1), truth);
      const byDefault = recall(await singly(hnsw, queries, d, k), truth);
      const wide = recall(await singly(hnsw, queries, d, k, 1024), truth);
      const full = recall(await singly(hnsw, queries, d, k, n), truth);
      expect(narrow).toBeLessThan(byDefault);
      expect(byDefault).toBeLessThan(wide);
      expect(full).toBeGreaterThanOrEqual(0.99);
      // An efSearch above the index's own (256) is honoured in full, not capped at it.
      expect(wide).toBeGreaterThan(byDefault);
    });
  }

  for (const [metric, spec] of [
    ['l2', 'HNSW4'],
    ['ip', 'HNSW8'],
    ['l2', 'HNSW8_SQ8'],
  ] as const) {
    it(`finds exactly what FAISS's own HNSW::search finds, at every efSearch (${spec}, ${metric})`, async () => {
      configureFaissThreads({ buildThreads: 1 });
      const index = FaissIndex.create(d, spec, metric);
      if (!index.isTrained) await index.train(base);
      await index.add(base, labels(n));
      for (const efSearch of [undefined, 10, 64, 200, 1000]) {
        const opts = efSearch === undefined ? {} : { efSearch };
        const ours = await index.search(queries, k, opts);
        const faiss = await index.search(queries, k, { ...opts, faissOwnSearch: true });
        expect(ours).toEqual(faiss);
        // And one query at a time (no OpenMP team).
        const single = queries.subarray(0, d);
        expect(await index.search(single, k, opts)).toEqual(
          await index.search(single, k, { ...opts, faissOwnSearch: true }),
        );
      }
      // Below k, ours searches k wide: what FAISS finds at efSearch = k.
      expect(await index.search(queries, k, { efSearch: 1 })).toEqual(
        await index.search(queries, k, { efSearch: k, faissOwnSearch: true }),
      );
    });
  }

  it('answers concurrent searches with different efSearch as it answers them one by one', async () => {
    const { hnsw } = await build('l2');
    const efs = [1, 8, 64, 300, 1000];
    const expected = new Map<number, SearchResult[]>();
    for (const ef of efs) expected.set(ef, await singly(hnsw, queries, d, k, ef));
    // Every query at every efSearch, all in flight at once, batches and single queries mixed.
    const work: Array<Promise<void>> = [];
    for (const ef of efs) {
      work.push(
        hnsw.search(queries, k, { efSearch: ef }).then((batch) => {
          expect(rowsOf(batch, k)).toEqual(expected.get(ef));
        }),
      );
      for (let q = 0; q < queries.length / d; q++) {
        work.push(
          hnsw.search(queries.subarray(q * d, (q + 1) * d), k, { efSearch: ef }).then((r) => {
            expect(r).toEqual(expected.get(ef)![q]);
          }),
        );
      }
    }
    await Promise.all(work);
  });
});

describe('Flat batch search precision', () => {
  for (const metric of ['l2', 'ip'] as const) {
    it(`a batch returns exactly what single queries return (${metric})`, async () => {
      const d = 64;
      const n = 3000;
      const k = 8;
      const index = FaissIndex.create(d, 'Flat', metric);
      await index.add(uniform(n, d, 3), labels(n));
      const queries = uniform(40, d, 4);
      const batch = await index.search(queries, k);
      expect(rowsOf(batch, k)).toEqual(await singly(index, queries, d, k));
    });
  }

  it('an exact match of a large-magnitude vector scores 0 in a batch of 32', async () => {
    // Components near 4,000: BLAS's |x|^2 + |y|^2 - 2x.y loses the difference (4 to 8).
    const d = 128;
    const n = 2000;
    const index = FaissIndex.create(d, 'Flat', 'l2');
    const stored = uniform(n, d, 5, 4000);
    await index.add(stored, labels(n));
    const picks = Array.from({ length: 32 }, (_, i) => i * 61);
    const queries = new Float32Array(32 * d);
    picks.forEach((p, i) => queries.set(stored.subarray(p * d, (p + 1) * d), i * d));
    const result = await index.search(queries, 3);
    picks.forEach((p, i) => {
      expect(result.labels[i * 3]).toBe(BigInt(p));
      expect(result.distances[i * 3]).toBe(0);
    });
  });
});
