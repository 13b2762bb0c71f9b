/**
 * Validation (src/validation.ts, src/limits.ts) and the FAISS binding agree on
 * what a vector and an index spec may be. A value validation accepts but the
 * binding refuses would be committed to the Raft log and then fail to apply on
 * every replica (the "poison value" of the hardening issue: 1e16 in an L2
 * collection).
 */
import { describe, expect, it } from 'vitest';
import type { Metric } from '../../src/domain.js';
import { RaftvecError } from '../../src/errors.js';
import { CollectionIndex, normalized } from '../../src/index/collection-index.js';
import {
  FaissError,
  FaissIndex,
  nativeLimitMismatches,
  nativeLimits,
} from '../../src/index/faiss.js';
import { limits } from '../../src/limits.js';
import {
  validateCollectionSpec,
  validatePoints,
  validateSearch,
  validateVector,
} from '../../src/validation.js';
import { mulberry32 } from '../support/random.js';
import { ACCEPTED_INDEX_SPECS } from '../support/index-specs.js';

/** The float32 right after `x` (towards +Infinity for x > 0, towards -Infinity for x < 0). */
function nextFloat32Away(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer);
  bits[0]! += 1;
  return f[0]!;
}

const MAX = Math.fround(limits.maxAbsVectorValue);
const BOUNDARY_VALUES: ReadonlyArray<[string, number]> = [
  ['exactly the max', MAX],
  ['minus the max', -MAX],
  ['just above the max', nextFloat32Away(MAX)],
  ['just below minus the max', nextFloat32Away(-MAX)],
  ['1e16 (the poison value)', 1e16],
  ['float32 max', 3.4028234663852886e38],
  ['the smallest denormal', 1e-45],
  ['minus the smallest denormal', -1e-45],
  ['-0', -0],
  ['NaN', NaN],
  ['Infinity', Infinity],
];

async function accepts(fn: () => unknown): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    // Only a refusal counts; anything else is a bug in the test or the binding.
    if (err instanceof RaftvecError && err.code === 'INVALID_ARGUMENT') return false;
    if (err instanceof FaissError && err.code === 'INVALID_ARGUMENT') return false;
    throw err;
  }
}

describe('limits shared by validation and the native binding', () => {
  it('the addon exports its limits, and src/limits.ts agrees with them', () => {
    const n = nativeLimits();
    expect(n).toEqual({
      maxAbsValue: 999999986991104, // the float 1e15f
      maxDimension: 65536,
      maxK: 100000,
      maxResultEntries: 2 ** 27,
      maxSearchKnob: 2 ** 20,
    });
    expect(nativeLimitMismatches(n)).toEqual([]);
    expect(Math.fround(limits.maxAbsVectorValue)).toBe(n.maxAbsValue);
    expect(limits.maxDimension).toBe(n.maxDimension);
  });

  it('the load-time check names every disagreement (so a stale addon is refused)', () => {
    const n = nativeLimits();
    expect(nativeLimitMismatches({ ...n, maxAbsValue: 1e16 })).toEqual([
      'maxAbsVectorValue (as float32): TypeScript 999999986991104, native 10000000000000000',
    ]);
    expect(nativeLimitMismatches({ ...n, maxDimension: 4096 })).toEqual([
      'maxDimension: TypeScript 65536, native 4096',
    ]);
    expect(nativeLimitMismatches({ ...n, maxK: 100, maxSearchKnob: 1000 })).toEqual([
      'maxK: TypeScript 10000 exceeds native 100',
      'maxEfSearch: TypeScript 32768 exceeds native 1000',
      'maxNprobe: TypeScript 65536 exceeds native 1000',
    ]);
    expect(nativeLimitMismatches({ ...n, maxResultEntries: 1000 })).toEqual([
      'maxResultsPerSearch: TypeScript 16384 exceeds native 1000',
    ]);
  });

  it('dimension: validation and FAISS accept 1..65536 and refuse 65537', async () => {
    const spec = (dimension: number) => () =>
      validateCollectionSpec({ name: 'c', dimension, metric: 'l2', indexSpec: 'Flat' });
    const native = (dimension: number) => () => FaissIndex.create(dimension, 'Flat', 'l2');
    for (const d of [1, limits.maxDimension, limits.maxDimension + 1]) {
      expect(await accepts(spec(d)), `validation, dimension ${d}`).toBe(await accepts(native(d)));
    }
  });
});

describe('boundary components: validation accepts exactly what FAISS accepts', () => {
  const d = 8;
  const SPECS = ['Flat', 'HNSW16', 'IVF4,Flat', 'SQ8', 'PQ4np'];
  const METRICS: Metric[] = ['l2', 'ip', 'cosine'];

  for (const spec of SPECS) {
    for (const metric of METRICS) {
      it(`${spec}, ${metric}: upserts and queries`, async () => {
        const index = CollectionIndex.create(d, metric, spec);
        // Train (IVF, SQ, PQ) on ordinary data first, as the state machine would.
        const rand = mulberry32(7);
        const n = 300;
        const base = Float32Array.from({ length: n * d }, () => rand() * 2 - 1);
        const baseLabels = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
        await index.load(metric === 'cosine' ? normalizeRows(base, d) : base, baseLabels);
        expect(index.staged).toBe(false);

        let label = n;
        const disagreements: string[] = [];
        for (const [name, value] of BOUNDARY_VALUES) {
          const v = new Float32Array(d).fill(0.5);
          v[3] = value;
          const valid = await accepts(() =>
            validatePoints(d, [{ id: 'p', vector: v, metadata: {} }], metric),
          );
          const validQuery = await accepts(() =>
            validateSearch(
              d,
              { collection: 'c', vectors: [v], k: 5, withVector: false, withMetadata: false },
              metric,
            ),
          );
          expect(validQuery, `${name}: upsert and search validation agree`).toBe(valid);
          // The state machine stores cosine vectors normalized; queries are normalized here.
          const stored = metric === 'cosine' ? normalized(v) : v;
          const added = await accepts(() => index.add(stored, BigInt64Array.of(BigInt(label++))));
          const searched = await accepts(() =>
            index.search(index.prepareQueries([v]), 1, 5, {
              allLabels: () => BigInt64Array.from({ length: label }, (_, i) => BigInt(i)),
            }),
          );
          // Anything validation accepts, FAISS must take (else: a committed entry
          // no replica can apply). For l2 and ip the two sets are equal; cosine
          // normalizes first, so FAISS also takes what validation refuses.
          if (valid && !(added && searched))
            disagreements.push(`${name}: validation accepts, FAISS refuses`);
          if (metric !== 'cosine' && !valid && (added || searched))
            disagreements.push(`${name}: validation refuses, FAISS accepts`);
        }
        expect(disagreements).toEqual([]);
      });
    }
  }

  it('validation refuses each out-of-range value, and accepts denormals and -0', () => {
    const verdicts = BOUNDARY_VALUES.map(([name, value]) => {
      const v = new Float32Array([value, 1]);
      let ok = true;
      try {
        validateVector(2, v, 'v', 'l2');
      } catch {
        ok = false;
      }
      return [name, ok];
    });
    expect(Object.fromEntries(verdicts)).toEqual({
      'exactly the max': true,
      'minus the max': true,
      'just above the max': false,
      'just below minus the max': false,
      '1e16 (the poison value)': false,
      'float32 max': false,
      'the smallest denormal': true,
      'minus the smallest denormal': true,
      '-0': true,
      NaN: false,
      Infinity: false,
    });
  });

  it('at the largest dimension, components at ±max still give finite distances', async () => {
    const D = limits.maxDimension;
    const plus = new Float32Array(D).fill(MAX);
    const minus = new Float32Array(D).fill(-MAX);
    validateVector(D, plus, 'plus', 'l2');
    validateVector(D, minus, 'minus', 'l2');
    for (const metric of ['l2', 'ip'] as const) {
      const ix = FaissIndex.create(D, 'Flat', metric);
      const both = new Float32Array(2 * D);
      both.set(plus, 0);
      both.set(minus, D);
      await ix.add(both, BigInt64Array.of(1n, 2n));
      const { distances, labels } = await ix.search(plus, 2);
      expect(Array.from(labels).sort()).toEqual([1n, 2n]);
      for (const x of distances) expect(Number.isFinite(x), `${metric}: ${x}`).toBe(true);
    }
  });
});

describe('index specs validation accepts, FAISS builds', () => {
  it('FAISS 1.7.3 builds every supported form, with the collection metric', async () => {
    const problems: string[] = [];
    let accepted = 0;
    for (const spec of ACCEPTED_INDEX_SPECS) {
      for (const metric of ['l2', 'ip'] as const) {
        // some forms are l2-only: validation refuses them for ip, which is fine
        const valid = await accepts(() =>
          validateCollectionSpec({ name: 'c', dimension: 64, metric, indexSpec: spec }),
        );
        if (metric === 'l2') expect(valid, spec).toBe(true);
        if (!valid) continue;
        accepted++;
        try {
          const ix = FaissIndex.create(64, spec, metric);
          if (ix.metric !== metric) problems.push(`${spec}: asked for ${metric}, got ${ix.metric}`);
        } catch (err) {
          problems.push(`${spec} (${metric}): ${(err as Error).message.slice(0, 120)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(accepted).toBeGreaterThan(ACCEPTED_INDEX_SPECS.length + 30); // most forms work for ip too
  });
});

function normalizeRows(flat: Float32Array, d: number): Float32Array {
  const out = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i += d) out.set(normalized(flat.subarray(i, i + d)), i);
  return out;
}
