import { describe, expect, it } from 'vitest';
import type { Point, SearchQuery } from '../src/domain.js';
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
    // Degenerate parameters that make FAISS 1.7.3 abort the process.
    for (const bad of ['IVF0,Flat', 'HNSW0', 'PQ0', 'IVF2,PQ4x0', 'IVF99999999,Flat']) {
      rejects(
        () => validateCollectionSpec({ name: 'c', dimension: 8, metric: 'l2', indexSpec: bad }),
        /parameter/,
        /from 1 to/,
      );
    }
    rejects(
      () => validateCollectionSpec({ name: 'c', dimension: 8, metric: 'l2', indexSpec: 'PQ8x32' }),
      /32 bits per code/,
    );
    validateCollectionSpec({
      name: 'c',
      dimension: 8,
      metric: 'l2',
      indexSpec: 'IVF1048576_HNSW32,PQ8x16',
    });
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
      /condition 0/,
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
    rejects(() => validateFilter({} as never), /must/);
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
    rejects(() => validateSearch(3, q({ efSearch: 0 })), /efSearch/);
    rejects(() => validateSearch(3, q({ nprobe: 1e9 })), /nprobe/);
    rejects(() => validateSearch(3, q({ collection: '../x' })), /collection name/);
    rejects(
      () => validateSearch(3, q({ filter: { must: [{ key: '', equals: 1 }] } })),
      /filter condition 0/,
    );
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
