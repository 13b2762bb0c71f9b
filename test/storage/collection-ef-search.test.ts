/**
 * A collection's own default HNSW efSearch (CreateCollection `efSearch`): validated,
 * carried by the log entry, stored with the collection, used by searches that name
 * none, overridden by those that do, and kept across a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CollectionSpec, Command, Point } from '../../src/domain.js';
import { DEFAULT_EF_SEARCH } from '../../src/index/faiss.js';
import { limits } from '../../src/limits.js';
import { VectorStateMachine } from '../../src/storage/state-machine.js';
import { validateCollectionSpec } from '../../src/validation.js';
import { mulberry32 } from '../support/random.js';

const dirs: string[] = [];
const open: VectorStateMachine[] = [];

afterEach(async () => {
  for (const sm of open.splice(0)) await sm.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function openSm(dir: string): Promise<VectorStateMachine> {
  const sm = await VectorStateMachine.open(dir, { sync: false });
  open.push(sm);
  return sm;
}

const DIM = 16;
const K = 10;

function points(n: number, seed: number): Point[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    vector: Float32Array.from({ length: DIM }, () => r() * 2 - 1),
    metadata: {},
  }));
}

async function apply(sm: VectorStateMachine, cmd: Command): Promise<void> {
  const result = await sm.apply(sm.appliedIndex + 1, cmd);
  expect(result.ok, JSON.stringify(result)).toBe(true);
}

/** The ids each query finds, with the query's own efSearch (or the collection's). */
async function idsFound(
  sm: VectorStateMachine,
  queries: Float32Array[],
  efSearch?: number,
): Promise<string[][]> {
  const rows = await sm.search({
    collection: 'docs',
    vectors: queries,
    k: K,
    withVector: false,
    withMetadata: false,
    ...(efSearch !== undefined && { efSearch }),
  });
  return rows.map((row) => row.map((hit) => hit.id));
}

describe('a collection default efSearch', () => {
  it('is validated: HNSW only, an integer in range', () => {
    const spec = (indexSpec: string, efSearch: number): CollectionSpec => ({
      name: 'c',
      dimension: 8,
      metric: 'l2',
      indexSpec,
      efSearch,
    });
    expect(() => validateCollectionSpec(spec('HNSW32', 128))).not.toThrow();
    expect(() => validateCollectionSpec(spec('IVF64_HNSW32,Flat', 128))).not.toThrow();
    expect(() => validateCollectionSpec(spec('Flat', 128))).toThrow(/has none/);
    expect(() => validateCollectionSpec(spec('HNSW32', 0))).toThrow(/efSearch must be/);
    expect(() => validateCollectionSpec(spec('HNSW32', 1.5))).toThrow(/efSearch must be/);
    expect(() => validateCollectionSpec(spec('HNSW32', limits.maxEfSearch + 1))).toThrow(
      /efSearch must be/,
    );
  });

  it('applies to searches that name none, a search overrides it, and it survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raftvec-ef-'));
    dirs.push(dir);
    let sm = await openSm(dir);
    // HNSW4 on uniform data: a narrow search (efSearch 1) misses neighbours a wide one finds.
    await apply(sm, {
      kind: 'createCollection',
      spec: { name: 'docs', dimension: DIM, metric: 'l2', indexSpec: 'HNSW4', efSearch: 1 },
    });
    await apply(sm, { kind: 'upsert', collection: 'docs', points: points(3000, 1) });
    expect(sm.describeCollection('docs')).toMatchObject({ indexSpec: 'HNSW4', efSearch: 1 });
    const queries = points(40, 2).map((p) => p.vector);

    const byDefault = await idsFound(sm, queries);
    const narrow = await idsFound(sm, queries, 1);
    const wide = await idsFound(sm, queries, 512);
    expect(byDefault).toEqual(narrow);
    expect(wide).not.toEqual(narrow);

    await sm.close();
    open.splice(open.indexOf(sm), 1);
    sm = await openSm(dir);
    expect(sm.describeCollection('docs')).toMatchObject({ efSearch: 1 });
    // The restarted node rebuilt its graph, so only the default's use is compared.
    expect(await idsFound(sm, queries)).toEqual(await idsFound(sm, queries, 1));
  });

  it('is absent when not given: searches use DEFAULT_EF_SEARCH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raftvec-ef-'));
    dirs.push(dir);
    const sm = await openSm(dir);
    await apply(sm, {
      kind: 'createCollection',
      spec: { name: 'docs', dimension: DIM, metric: 'l2', indexSpec: 'HNSW4' },
    });
    await apply(sm, { kind: 'upsert', collection: 'docs', points: points(3000, 1) });
    expect(sm.describeCollection('docs')).not.toHaveProperty('efSearch');
    const queries = points(40, 2).map((p) => p.vector);
    expect(await idsFound(sm, queries)).toEqual(await idsFound(sm, queries, DEFAULT_EF_SEARCH));
    expect(await idsFound(sm, queries)).not.toEqual(await idsFound(sm, queries, 1));
  });
});
