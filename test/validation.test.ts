import { describe, expect, it } from 'vitest';
import type { Filter, Point, SearchQuery } from '../src/domain.js';
import { RaftvecError } from '../src/errors.js';
import {
  validateCollectionName,
  validateCollectionSpec,
  validateFilter,
  validateIds,
  validatePoints,
  validateScroll,
  validateSearch,
} from '../src/validation.js';
import { ACCEPTED_INDEX_SPECS } from './support/index-specs.js';

/** Asserts fn throws INVALID_ARGUMENT whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RaftvecError);
  const err = caught as RaftvecError;
  expect(err.code).toBe('INVALID_ARGUMENT');
  for (const p of patterns) expect(err.message).toMatch(p);
  return err.message;
}

const pt = (id: string, vector: number[], metadata: unknown = {}): Point =>
  ({ id, vector: new Float32Array(vector), metadata }) as Point;

describe('collection names and specs', () => {
  it('accepts good names', () => {
    for (const n of ['a', 'docs', 'my_collection-2', 'A'.repeat(128), '0abc'])
      validateCollectionName(n);
  });
  it('rejects bad names with an actionable message', () => {
    rejects(() => validateCollectionName('../x'), /"\.\.\/x"/, /letters, digits/);
    rejects(() => validateCollectionName(''), /empty/);
    rejects(() => validateCollectionName('a'.repeat(129)), /129 characters/, /128/);
    rejects(() => validateCollectionName('_x'), /starting with a letter or digit/);
    rejects(() => validateCollectionName('has space'));
    rejects(() => validateCollectionName('a/b'));
    rejects(() => validateCollectionName('é'));
  });
  it('checks dimension, metric and index spec', () => {
    validateCollectionSpec({ name: 'c', dimension: 3, metric: 'l2', indexSpec: 'Flat' });
    validateCollectionSpec({
      name: 'c',
      dimension: 65536,
      metric: 'cosine',
      indexSpec: 'IVF100,PQ8x8',
    });
    validateCollectionSpec({
      name: 'c',
      dimension: 64,
      metric: 'ip',
      indexSpec: 'OPQ16_64,IVF256(HNSW32),PQ16',
    });
    rejects(
      () => validateCollectionSpec({ name: 'c', dimension: 0, metric: 'l2', indexSpec: 'Flat' }),
      /dimension/,
      /1 to 65536/,
      /got 0/,
    );
    rejects(
      () =>
        validateCollectionSpec({ name: 'c', dimension: 65537, metric: 'l2', indexSpec: 'Flat' }),
      /dimension/,
    );
    rejects(
      () => validateCollectionSpec({ name: 'c', dimension: 2.5, metric: 'l2', indexSpec: 'Flat' }),
      /dimension/,
    );
    rejects(
      () =>
        validateCollectionSpec({
          name: 'c',
          dimension: 3,
          metric: 'euclid' as never,
          indexSpec: 'Flat',
        }),
      /metric must be one of l2, ip, cosine/,
    );
    rejects(
      () => validateCollectionSpec({ name: 'c', dimension: 3, metric: 'l2', indexSpec: '' }),
      /index spec is empty/,
    );
    rejects(
      () =>
        validateCollectionSpec({
          name: 'c',
          dimension: 3,
          metric: 'l2',
          indexSpec: 'F'.repeat(257),
        }),
      /257/,
      /256/,
    );
    rejects(
      () =>
        validateCollectionSpec({ name: 'c', dimension: 3, metric: 'l2', indexSpec: 'IDMap2,Flat' }),
      /IDMap/,
    );
    rejects(
      () =>
        validateCollectionSpec({
          name: 'c',
          dimension: 3,
          metric: 'l2',
          indexSpec: 'Flat; rm -rf',
        }),
      /characters/,
    );
    rejects(
      () => validateCollectionSpec({ name: '../x', dimension: 3, metric: 'l2', indexSpec: 'Flat' }),
      /collection name/,
    );
  });
});

describe('index spec parameters', () => {
  const spec = (indexSpec: string, dimension = 64, metric: 'l2' | 'ip' | 'cosine' = 'l2'): void =>
    validateCollectionSpec({ name: 'c', dimension, metric, indexSpec });
  /** Rejected, with a message naming the spec, the component, the parameter, the value and the range. */
  const bad = (indexSpec: string, dimension: number, ...patterns: RegExp[]): string =>
    rejects(() => spec(indexSpec, dimension), /collection "c": index spec/, ...patterns);

  it('accepts the supported forms at their bounds', () => {
    for (const ok of ACCEPTED_INDEX_SPECS) spec(ok, 64);
    // the codebook of PQ8 (2^8 · 65536 floats, 64 MiB) fits at the largest dimension
    spec('IVF100,PQ8x8', 65_536, 'cosine');
  });

  it('HNSW M: 4 to 128 (HNSW65536 took 87 MB for 200 points)', () => {
    bad('HNSW65536', 4, /"HNSW65536"/, /HNSW M/, /is 65536/, /4 to 128/);
    bad('HNSW2', 4, /HNSW M/, /is 2/, /4 to 128/);
    bad('HNSW0', 4, /HNSW M/, /is 0/);
    bad('IVF16_HNSW256,Flat', 4, /"IVF16_HNSW256"/, /HNSW M/, /is 256/, /4 to 128/);
    bad('IVF16(HNSW1),Flat', 4, /HNSW M/, /is 1/);
  });

  it('IVF nlist: 1 to 65536', () => {
    bad('IVF0,Flat', 8, /"IVF0"/, /nlist/, /is 0/, /1 to 65536/);
    bad('IVF65537,Flat', 8, /nlist/, /is 65537/, /1 to 65536/);
    bad('IVF99999999,Flat', 8, /nlist/, /is 99999999/);
    bad('IVF1048576_HNSW32,PQ8x16', 8, /nlist/, /1048576/);
  });

  it('IMI bits: 1 to 8 (2^16 lists), and the l2 metric only', () => {
    bad('IMI2x9,Flat', 8, /"IMI2x9"/, /bits per sub-quantizer/, /is 9/, /1 to 8/);
    bad('IMI2x0,Flat', 8, /is 0/);
    rejects(() => spec('IMI2x4,Flat', 8, 'ip'), /"IMI2x4" works with the l2 metric only/, /not ip/);
  });

  it('types FAISS builds for l2 only are refused for ip and cosine', () => {
    // HNSW_PQ: FAISS 1.7.3 would silently build an L2 index for an ip collection
    rejects(
      () => spec('HNSW32_PQ8', 64, 'ip'),
      /"HNSW32_PQ8" works with the l2 metric only/,
      /HNSW32_SQ8/,
    );
    rejects(() => spec('HNSW32_PQ8', 64, 'cosine'), /not cosine/);
    rejects(() => spec('LSHrt', 64, 'ip'), /"LSHrt" works with the l2 metric only/);
    spec('HNSW32_PQ8', 64, 'l2');
    spec('HNSW32_SQ8', 64, 'ip');
  });

  it('an IVF needs a supported codec after it', () => {
    bad('IVF16', 8, /"IVF16" needs a codec/);
    bad('IVF16,HNSW32', 8, /"HNSW32" is not a codec for "IVF16"/, /supported: Flat;/);
  });

  it('PQ: m divides the dimension the quantizer sees; bits 1 to 16 (1 to 8 in an IVF)', () => {
    bad('PQ5', 8, /"PQ5"/, /sub-quantizers m is 5/, /does not divide the dimension 8/);
    bad('PQ0', 8, /sub-quantizers m is 0/, /1 to 8/);
    bad('PQ16', 8, /sub-quantizers m is 16/, /1 to 8/);
    bad('PQ8x32', 8, /bits per code is 32/, /1 to 16/);
    bad('PQ8x0', 8, /bits per code is 0/);
    bad('IVF2,PQ4x0', 8, /"PQ4x0"/, /bits per code is 0/, /1 to 8/);
    bad('IVF16,PQ8x12', 8, /bits per code is 12/, /1 to 8/);
    bad('HNSW32_PQ3', 8, /"HNSW32_PQ3"/, /does not divide the dimension 8/);
    bad('PQ6x4fs', 64, /"PQ6x4fs"/, /does not divide the dimension 64/);
    // after a transform, m must divide the transform's output dimension
    bad('PCA30,PQ8', 64, /"PQ8"/, /does not divide the dimension 30/);
    spec('PCA32,PQ8', 64);
  });

  it('PQ codebooks: 2^bits · dimension floats, at most 256 MiB', () => {
    // 2^16 · 1024 · 4 bytes = 256 MiB: the largest allowed
    spec('PQ8x16', 1024);
    bad(
      'PQ8x16',
      2048,
      /"PQ8x16"/,
      /codebook of 2\^16 × 2048 floats/,
      /512 MiB/,
      /limit is 256 MiB/,
    );
    bad('PQ8x11', 65_536, /codebook of 2\^11 × 65536 floats/);
  });

  it('SQ types: 4, 6, 8, fp16', () => {
    bad('SQ8_direct', 8, /scalar quantizer type is "8_direct"/, /SQ4, SQ6, SQ8 or SQfp16/);
    bad('SQ16', 8, /scalar quantizer type is "16"/);
    bad('IVF16,SQbf16', 8, /"bf16"/);
    bad('HNSW32_SQ7', 8, /"7"/);
    bad('IVF16,PQ8,Refine(SQ3)', 8, /"3"/);
  });

  it('transforms: output dimensions within the input, OPQ m divides its output, matrices bounded', () => {
    bad('PCA65,Flat', 64, /"PCA65"/, /output dimension is 65/, /1 to 64/);
    bad('PCA0,Flat', 64, /output dimension is 0/);
    bad('OPQ16_128,Flat', 64, /"OPQ16_128"/, /output dimension is 128/, /1 to 64/);
    bad(
      'OPQ7,Flat',
      64,
      /"OPQ7"/,
      /sub-quantizers m is 7/,
      /does not divide the output dimension 64/,
    );
    bad('RR65,Flat', 64, /"RR65"/, /output dimension is 65/);
    bad('Pad32,Flat', 64, /"Pad32"/, /padded dimension is 32/, /64 to 65536/);
    // PCA trains a d² covariance: 65536² floats is 16 GiB
    bad('PCA64,Flat', 65_536, /"PCA64"/, /covariance/, /limit is 256 MiB/);
    bad('OPQ16,Flat', 65_536, /"OPQ16"/, /65536 × 65536 rotation/);
  });

  it('refuses what is not in the supported grammar, saying what is', () => {
    bad('NotAFaissIndex42', 8, /"NotAFaissIndex42" is not a supported index/, /supported: Flat;/);
    bad('NSG32,Flat', 8, /"NSG32" is not a supported index/);
    bad('IVF16_NSG32,Flat', 8, /"IVF16_NSG32" is not a supported index/);
    bad('RQ4x8', 8, /"RQ4x8" is not a supported index/);
    bad('IVF1k,Flat', 8, /"IVF1k"/);
    bad('PCA32', 64, /an index \(the spec holds transforms only\)/);
    bad('Flat,Flat', 8, /"Flat" is not a refinement/);
    bad('HNSW32,RFlat,RFlat', 8, /"RFlat" is not expected after the refinement/);
    bad('Flat,', 8, /an empty component/);
    bad('hnsw32', 8, /"hnsw32" is not a supported index/);
  });
});

describe('validatePoints', () => {
  it('accepts a good batch', () => {
    validatePoints(3, [
      pt('a', [1, 2, 3], { source: 'docA', tags: ['x'], n: { m: null } }),
      pt('b', [0, 0, 0]),
    ]);
  });
  it('rejects a wrong dimension, naming the point', () => {
    rejects(
      () => validatePoints(3, [pt('a', [1, 2, 3]), pt('b', [1, 2, 3, 4])]),
      /point 1/,
      /"b"/,
      /4 values/,
      /dimension is 3/,
    );
  });
  it('rejects NaN and Infinity, naming the point and the position', () => {
    rejects(
      () => validatePoints(3, [pt('a', [1, NaN, 3])]),
      /point 0/,
      /vector\[1\] is NaN/,
      /finite/,
    );
    rejects(() => validatePoints(3, [pt('a', [1, 2, Infinity])]), /vector\[2\] is Infinity/);
    rejects(() => validatePoints(3, [pt('a', [-Infinity, 2, 3])]), /vector\[0\] is -Infinity/);
  });
  it('rejects empty, oversized and duplicate ids', () => {
    rejects(() => validatePoints(1, [pt('', [1])]), /point 0/, /id is empty/, /1-512 bytes/);
    rejects(
      () => validatePoints(1, [pt('x'.repeat(10 * 1024), [1])]),
      /10240 bytes/,
      /limit is 512/,
    );
    rejects(() => validatePoints(1, [pt('é'.repeat(257), [1])]), /514 bytes/); // 257 chars, 514 UTF-8 bytes
    validatePoints(1, [pt('é'.repeat(256), [1])]);
    rejects(
      () => validatePoints(1, [pt('a', [1]), pt('b', [1]), pt('a', [2])]),
      /point 2/,
      /"a"/,
      /also at point 0/,
    );
  });
  it('rejects the whole batch when one item is bad', () => {
    const batch = Array.from({ length: 100 }, (_, i) => pt(`p${i}`, [i, 1]));
    batch[57] = pt('p57', [1, NaN]);
    rejects(() => validatePoints(2, batch), /point 57/);
  });
  it('rejects empty and oversized batches', () => {
    rejects(() => validatePoints(1, []), /at least one point/);
    rejects(
      () =>
        validatePoints(
          1,
          Array.from({ length: 10_001 }, (_, i) => pt(`p${i}`, [1])),
        ),
      /at most 10000/,
      /10001/,
    );
  });
  it('rejects bad metadata', () => {
    rejects(
      () => validatePoints(1, [pt('a', [1], [1, 2])]),
      /point 0/,
      /metadata must be a JSON object/,
    );
    rejects(() => validatePoints(1, [pt('a', [1], null)]), /metadata must be a JSON object/);
    rejects(() => validatePoints(1, [pt('a', [1], 'str')]), /metadata must be a JSON object/);
    rejects(
      () => validatePoints(1, [pt('a', [1], { x: { y: NaN } })]),
      /metadata field x\.y is NaN/,
    );
    rejects(
      () => validatePoints(1, [pt('a', [1], { when: new Date(0) })]),
      /metadata field when/,
      /only JSON values/,
    );
    rejects(() => validatePoints(1, [pt('a', [1], { f: () => 1 })]), /metadata field f/);
    rejects(
      () => validatePoints(1, [pt('a', [1], { big: 'x'.repeat(70_000) })]),
      /bytes as JSON/,
      /65536/,
    );
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    rejects(() => validatePoints(1, [pt('a', [1], deep)]), /nested deeper/);
  });
  it('rejects components beyond ±1e15 (the FAISS binding refuses them), naming the point and position', () => {
    validatePoints(2, [pt('a', [1e15, -1e15])]); // the bound itself is allowed
    rejects(
      () => validatePoints(2, [pt('ok', [1, 1]), pt('poison', [1, 1e16])]),
      /point 1/,
      /"poison"/,
      /vector\[1\] is 10000000272564224/, // 1e16 as float32
      /from -1e15 to 1e15/,
    );
    rejects(() => validatePoints(1, [pt('a', [-3e38])]), /vector\[0\] is -3\.\d+e\+38/, /1e15/);
    // denormals and -0 are ordinary finite values
    validatePoints(2, [pt('a', [1e-45, -0])]);
  });
  it('rejects a zero vector for cosine only', () => {
    validatePoints(2, [pt('a', [0, 0])], 'l2');
    rejects(
      () => validatePoints(2, [pt('a', [1, 1]), pt('z', [0, 0])], 'cosine'),
      /point 1/,
      /"z"/,
      /zero vector/,
      /cosine/,
    );
  });
  it('rejects a vector that is not a Float32Array', () => {
    rejects(
      () => validatePoints(2, [{ id: 'a', vector: [1, 2] as never, metadata: {} }]),
      /vector is missing/,
    );
  });
});

describe('validateIds, validateFilter, validateSearch, validateScroll', () => {
  it('validates id lists', () => {
    validateIds(['a', 'b']);
    rejects(() => validateIds([]), /at least one/);
    rejects(() => validateIds(['a', '']), /ids\[1\]/, /empty/);
    rejects(() => validateIds(['x'.repeat(600)]), /600 bytes/);
    rejects(() => validateIds(Array.from({ length: 10_001 }, (_, i) => `${i}`)), /at most 10000/);
  });
  it('validates filters', () => {
    validateFilter(undefined);
    validateFilter({ must: [] });
    validateFilter({
      must: [
        { key: 'a.b', equals: 1 },
        { key: 'c', in: ['x', true, 2] },
        { key: 'n', range: { gte: 0, lt: 5 } },
      ],
    });
    rejects(
      () => validateFilter({ must: [{ key: '', equals: 1 }] }),
      /filter\.must\[0\]/,
      /key is empty/,
    );
    rejects(() => validateFilter({ must: [{ key: 'a..b', equals: 1 }] }), /empty path segment/);
    rejects(
      () => validateFilter({ must: [{ key: 'a', equals: { x: 1 } as never }] }),
      /equals must be/,
    );
    rejects(() => validateFilter({ must: [{ key: 'a', equals: NaN }] }), /equals must be/);
    rejects(() => validateFilter({ must: [{ key: 'a', in: [] }] }), /non-empty list/);
    rejects(() => validateFilter({ must: [{ key: 'a', in: [1, null as never] }] }), /in\[1\]/);
    rejects(() => validateFilter({ must: [{ key: 'a', range: {} }] }), /at least one of gt/);
    rejects(
      () => validateFilter({ must: [{ key: 'a', range: { gt: Infinity } }] }),
      /range\.gt must be a finite number/,
    );
    rejects(
      () => validateFilter({ must: [{ key: 'a', equals: 1, in: [1] } as never] }),
      /exactly one of/,
    );
    rejects(() => validateFilter({ must: [{ key: 'a' } as never] }), /exactly one of/);
    rejects(() => validateFilter({ bogus: [] } as never), /unknown field "bogus"/);
    rejects(() => validateFilter({ must: {} } as never), /filter\.must must be a list/);
  });
  it('validates boolean filters: should, minShould, mustNot, nesting and the other conditions', () => {
    validateFilter({});
    validateFilter({
      must: [{ filter: { should: [{ key: 'a', isNull: true }, { hasId: ['p1'] }] } }],
      should: [
        { key: 'b', notIn: ['x'] },
        { key: 'c', datetimeRange: { gte: '2024-01-01', lt: '2024-02-01T00:00:00+02:00' } },
      ],
      minShould: 2,
      mustNot: [
        { key: 'd', isEmpty: true },
        { key: 'e', exists: true },
      ],
    });
    rejects(
      () => validateFilter({ should: [{ key: 'a', equals: 1 }], minShould: 2 }),
      /filter\.minShould is 2; with 1 should condition\(s\) it must be from 1 to 1/,
    );
    rejects(() => validateFilter({ minShould: 1 }), /give should conditions/);
    rejects(
      () => validateFilter({ mustNot: [{ key: 'a', isNull: false as never }] }),
      /filter\.mustNot\[0\] \(key "a"\): isNull must be true/,
    );
    rejects(
      () => validateFilter({ must: [{ key: 'w', datetimeRange: { gt: '2024-13-01' } }] }),
      /datetimeRange\.gt must be an RFC 3339 timestamp/,
    );
    rejects(() => validateFilter({ must: [{ hasId: [] }] }), /hasId needs a non-empty list/);
    rejects(() => validateFilter({ must: [{ hasId: [''] }] }), /hasId\[0\]/);
    let deep: Filter = { must: [{ key: 'a', equals: 1 }] };
    for (let i = 0; i < 8; i++) deep = { must: [{ filter: deep }] };
    rejects(() => validateFilter(deep), /nested more than 8 deep/);
    const wide: Filter = {
      should: Array.from({ length: 129 }, (_, i) => ({ key: `k${i}`, equals: i })),
    };
    rejects(() => validateFilter(wide), /more than 128 conditions/);
    const manyValues: Filter = {
      should: Array.from({ length: 17 }, (_, i) => ({
        key: `k${i}`,
        in: Array.from({ length: 1_000 }, (_, j) => j),
      })),
    };
    rejects(() => validateFilter(manyValues), /hold more than 16384 values in all/);
  });
  it('bounds the different per-query filters of one search', () => {
    const own = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ filter: { must: [{ key: 'a', equals: i }] } }));
    const search = (n: number): SearchQuery =>
      q({ vectors: Array.from({ length: n }, () => new Float32Array(3)), targets: own(n) });
    validateSearch(3, search(64));
    rejects(() => validateSearch(3, search(65)), /65 different per-query filters; the limit is 64/);
  });
  const q = (over: Partial<SearchQuery>): SearchQuery => ({
    collection: 'c',
    vectors: [new Float32Array([1, 2, 3])],
    k: 10,
    withVector: false,
    withMetadata: false,
    ...over,
  });
  it('validates searches', () => {
    validateSearch(3, q({}));
    validateSearch(3, q({ k: 10_000, efSearch: 128, nprobe: 16 }));
    rejects(() => validateSearch(3, q({ k: 0 })), /k must be an integer from 1 to 10000, got 0/);
    rejects(() => validateSearch(3, q({ k: 1e9 })), /k must be/, /1000000000/);
    rejects(() => validateSearch(3, q({ k: 2.5 })), /k must be/);
    rejects(() => validateSearch(3, q({ vectors: [] })), /at least one query vector/);
    rejects(
      () =>
        validateSearch(3, q({ vectors: Array.from({ length: 1025 }, () => new Float32Array(3)) })),
      /1025/,
      /1024/,
    );
    rejects(
      () => validateSearch(3, q({ vectors: [new Float32Array(3), new Float32Array(4)] })),
      /query vector 1/,
      /4 values/,
    );
    rejects(
      () => validateSearch(3, q({ vectors: [new Float32Array([1, NaN, 1])] })),
      /query vector 0/,
      /vector\[1\] is NaN/,
    );
    rejects(
      () => validateSearch(3, q({ vectors: [new Float32Array(3)] }), 'cosine'),
      /zero vector/,
    );
    rejects(
      () => validateSearch(3, q({ vectors: [new Float32Array([1, 3.4e38, 1])] })),
      /query vector 0/,
      /vector\[1\] is 3\.\d+e\+38/,
      /from -1e15 to 1e15/,
    );
    rejects(() => validateSearch(3, q({ efSearch: 0 })), /efSearch/);
    rejects(() => validateSearch(3, q({ nprobe: 1e9 })), /nprobe/);
    rejects(() => validateSearch(3, q({ collection: '../x' })), /collection name/);
    rejects(
      () => validateSearch(3, q({ filter: { must: [{ key: '', equals: 1 }] } })),
      /filter\.must\[0\]/,
    );
  });
  it('bounds queries × k, and the vectors a search may return, before looking at any vector', () => {
    const many = (n: number, v = new Float32Array(3)): Float32Array[] =>
      Array.from({ length: n }, () => v);
    validateSearch(3, q({ vectors: many(1024), k: 16 })); // 16384 results: the limit
    validateSearch(3, q({ vectors: many(1), k: 10_000 }));
    rejects(
      () => validateSearch(3, q({ vectors: many(1024), k: 17 })),
      /1024 queries × k=17 = 17408 results/,
      /limit is 16384/,
      /split the queries/,
    );
    // checked before the vectors: a poisoned query in an oversized request is not even read
    rejects(
      () => validateSearch(3, q({ vectors: many(1024, new Float32Array([NaN, 0, 0])), k: 100 })),
      /results; the limit is 16384/,
    );
    // with vectors: results × (dimension × 4 + 16) bytes at most maxResponseBytes (2 MiB)
    validateSearch(128, q({ vectors: many(1, new Float32Array(128)), k: 3971, withVector: true }));
    rejects(
      () =>
        validateSearch(
          128,
          q({ vectors: many(1, new Float32Array(128)), k: 3972, withVector: true }),
        ),
      /up to 3972 vectors of dimension 128 \(2097216 bytes\)/,
      /at most 2097152 bytes/,
      /leave vectors out/,
    );
    validateSearch(128, q({ vectors: many(1, new Float32Array(128)), k: 10_000 })); // without vectors
  });
  it('validates scrolls', () => {
    validateScroll({ collection: 'c', limit: 10, withVector: false, withMetadata: true });
    validateScroll({
      collection: 'c',
      limit: 10,
      afterId: '',
      withVector: false,
      withMetadata: true,
    });
    rejects(
      () => validateScroll({ collection: 'c', limit: 0, withVector: false, withMetadata: false }),
      /limit/,
    );
    rejects(
      () =>
        validateScroll({ collection: 'c', limit: 10_001, withVector: false, withMetadata: false }),
      /limit/,
    );
    rejects(
      () =>
        validateScroll({
          collection: 'c',
          limit: 1,
          afterId: 'x'.repeat(513),
          withVector: false,
          withMetadata: false,
        }),
      /afterId/,
    );
  });
});
