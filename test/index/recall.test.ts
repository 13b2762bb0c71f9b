/**
 * Recall on data shaped like embeddings (a seeded Gaussian mixture, queries near
 * the data), at a size CI affords: HNSW at the defaults must find what exact
 * search finds, in the binding and through the state machine that serves
 * searches. A correctness floor, not a timing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { gaussianMixture, queriesNear } from '../../bench/gaussian-mixture.js';
import type { Point } from '../../src/domain.js';
import { FaissIndex, configureFaissThreads } from '../../src/index/faiss.js';
import { VectorStateMachine } from '../../src/storage/state-machine.js';

const N = 5000;
const DIM = 64;
const K = 10;
const QUERIES = 100;
// Wide, isotropic clusters: small clustered sets are otherwise so easy that even a
// search cut to efSearch 8 finds 0.97 of the exact top 10. Here the defaults find
// 0.998 and efSearch 16 0.987 (one build thread: the same graph every run), so the
// floor catches a search that ignores its breadth, not only a broken graph.
const RECALL_FLOOR = 0.99;

const data = gaussianMixture({ n: N, dim: DIM, clusters: 20, seed: 7, decay: 0, spread: 1 });
const queries = queriesNear(data, QUERIES, 8, 0.1);
const row = (a: Float32Array, i: number): Float32Array => a.subarray(i * DIM, (i + 1) * DIM);

async function exactTopK(): Promise<bigint[][]> {
  const flat = FaissIndex.create(DIM, 'Flat', 'l2');
  await flat.add(
    data.vectors,
    BigInt64Array.from({ length: N }, (_, i) => BigInt(i)),
  );
  const result = await flat.search(queries, K);
  return Array.from({ length: QUERIES }, (_, q) =>
    Array.from(result.labels.subarray(q * K, (q + 1) * K)),
  );
}

function recallOf(found: bigint[][], truth: bigint[][]): number {
  let hits = 0;
  found.forEach((labels, q) => {
    const want = new Set(truth[q]);
    hits += labels.filter((l) => want.has(l)).length;
  });
  return hits / (QUERIES * K);
}

describe('recall@10 on clustered data', () => {
  it('HNSW32 in the binding: at the default efSearch, and growing with efSearch', async () => {
    configureFaissThreads({ buildThreads: 1 });
    const truth = await exactTopK();
    const hnsw = FaissIndex.create(DIM, 'HNSW32', 'l2');
    await hnsw.add(
      data.vectors,
      BigInt64Array.from({ length: N }, (_, i) => BigInt(i)),
    );
    const recallAt = async (efSearch?: number): Promise<number> => {
      const found: bigint[][] = [];
      for (let q = 0; q < QUERIES; q++) {
        const r = await hnsw.search(row(queries, q), K, efSearch ? { efSearch } : {});
        found.push(Array.from(r.labels));
      }
      return recallOf(found, truth);
    };
    const atDefault = await recallAt();
    expect(atDefault).toBeGreaterThanOrEqual(RECALL_FLOOR);
    expect(await recallAt(256)).toBeGreaterThanOrEqual(atDefault);
    expect(await recallAt(8)).toBeLessThan(RECALL_FLOOR);
  });

  it('HNSW32 through the state machine (the path Search takes), with and without a collection efSearch', async () => {
    configureFaissThreads({ buildThreads: 1 });
    const truth = await exactTopK();
    const dir = await mkdtemp(join(tmpdir(), 'raftvec-recall-'));
    const sm = await VectorStateMachine.open(dir, { sync: false });
    try {
      const points: Point[] = Array.from({ length: N }, (_, i) => ({
        id: String(i),
        vector: row(data.vectors, i).slice(),
        metadata: {},
      }));
      for (const [name, efSearch] of [
        ['defaults', undefined],
        ['wide', 128],
      ] as const) {
        const created = await sm.apply(sm.appliedIndex + 1, {
          kind: 'createCollection',
          spec: {
            name,
            dimension: DIM,
            metric: 'l2',
            indexSpec: 'HNSW32',
            ...(efSearch !== undefined && { efSearch }),
          },
        });
        expect(created.ok).toBe(true);
        const upserted = await sm.apply(sm.appliedIndex + 1, {
          kind: 'upsert',
          collection: name,
          points,
        });
        expect(upserted.ok).toBe(true);
        const rows = await sm.search({
          collection: name,
          vectors: Array.from({ length: QUERIES }, (_, q) => row(queries, q)),
          k: K,
          withVector: false,
          withMetadata: false,
        });
        const found = rows.map((hits) => hits.map((h) => BigInt(h.id)));
        expect(recallOf(found, truth)).toBeGreaterThanOrEqual(RECALL_FLOOR);
      }
    } finally {
      await sm.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
