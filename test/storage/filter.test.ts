import { describe, expect, it } from 'vitest';
import type { Filter, Metadata } from '../../src/domain.js';
import { compileFilter, matchesFilter, valuesAt } from '../../src/storage/filter.js';

const meta: Metadata = {
  source: 'docA',
  year: 2021,
  draft: false,
  score: 0.5,
  tags: ['a', 'b', 3],
  author: { name: 'Ann', age: 41, langs: ['en', 'fr'] },
  chapters: [
    { title: 'x', pages: 10 },
    { title: 'y', pages: 30 },
  ],
  nothing: null,
};

const m = (filter: Filter): boolean => matchesFilter(filter, meta);

describe('filter evaluation', () => {
  it('treats an empty filter as match-all', () => {
    expect(m({ must: [] })).toBe(true);
    expect(compileFilter(undefined)({})).toBe(true);
  });
  it('equals matches type and value', () => {
    expect(m({ must: [{ key: 'source', equals: 'docA' }] })).toBe(true);
    expect(m({ must: [{ key: 'source', equals: 'docB' }] })).toBe(false);
    expect(m({ must: [{ key: 'year', equals: 2021 }] })).toBe(true);
    expect(m({ must: [{ key: 'year', equals: '2021' }] })).toBe(false);
    expect(m({ must: [{ key: 'draft', equals: false }] })).toBe(true);
    expect(m({ must: [{ key: 'draft', equals: 0 }] })).toBe(false);
    expect(m({ must: [{ key: 'missing', equals: 'x' }] })).toBe(false);
    expect(m({ must: [{ key: 'nothing', equals: 'null' }] })).toBe(false);
  });
  it('equals on an array field matches any element', () => {
    expect(m({ must: [{ key: 'tags', equals: 'b' }] })).toBe(true);
    expect(m({ must: [{ key: 'tags', equals: 3 }] })).toBe(true);
    expect(m({ must: [{ key: 'tags', equals: 'c' }] })).toBe(false);
  });
  it('follows dotted paths, through arrays too', () => {
    expect(m({ must: [{ key: 'author.name', equals: 'Ann' }] })).toBe(true);
    expect(m({ must: [{ key: 'author.langs', equals: 'fr' }] })).toBe(true);
    expect(m({ must: [{ key: 'chapters.title', equals: 'y' }] })).toBe(true);
    expect(m({ must: [{ key: 'author.name.first', equals: 'Ann' }] })).toBe(false);
    expect(valuesAt(meta, ['chapters', 'pages'])).toEqual([10, 30]);
  });
  it('in matches any listed scalar', () => {
    expect(m({ must: [{ key: 'source', in: ['docB', 'docA'] }] })).toBe(true);
    expect(m({ must: [{ key: 'source', in: ['docB', 'docC'] }] })).toBe(false);
    expect(m({ must: [{ key: 'year', in: ['2021', true] }] })).toBe(false);
    expect(m({ must: [{ key: 'tags', in: ['z', 'a'] }] })).toBe(true);
  });
  it('range is numeric with inclusive and exclusive bounds', () => {
    expect(m({ must: [{ key: 'year', range: { gte: 2021, lte: 2021 } }] })).toBe(true);
    expect(m({ must: [{ key: 'year', range: { gt: 2021 } }] })).toBe(false);
    expect(m({ must: [{ key: 'year', range: { lt: 2021 } }] })).toBe(false);
    expect(m({ must: [{ key: 'score', range: { gt: 0, lt: 1 } }] })).toBe(true);
    expect(m({ must: [{ key: 'source', range: { gt: -1e300 } }] })).toBe(false); // not a number
    expect(m({ must: [{ key: 'draft', range: { lte: 1 } }] })).toBe(false);
    expect(m({ must: [{ key: 'chapters.pages', range: { gt: 20 } }] })).toBe(true);
    expect(m({ must: [{ key: 'chapters.pages', range: { gt: 30 } }] })).toBe(false);
  });
  it('requires every condition', () => {
    expect(
      m({
        must: [
          { key: 'source', equals: 'docA' },
          { key: 'year', range: { gte: 2000 } },
        ],
      }),
    ).toBe(true);
    expect(
      m({
        must: [
          { key: 'source', equals: 'docA' },
          { key: 'year', range: { gte: 2030 } },
        ],
      }),
    ).toBe(false);
  });
  it('does not see inherited properties', () => {
    expect(matchesFilter({ must: [{ key: 'constructor', equals: 'x' }] }, {})).toBe(false);
    expect(matchesFilter({ must: [{ key: 'toString', in: ['x'] }] }, {})).toBe(false);
    const parsed = JSON.parse('{"__proto__": "p"}') as Metadata;
    expect(matchesFilter({ must: [{ key: '__proto__', equals: 'p' }] }, parsed)).toBe(true);
  });
});
