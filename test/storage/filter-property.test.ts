/**
 * Property-based tests of metadata filters: the evaluator (src/storage/filter.ts) and the
 * index-backed planner (src/storage/filter-planner.ts, src/storage/payload-index.ts) are
 * checked against a reference evaluator written here from the spec (docs/filters.md and
 * the header of filter.ts), on random metadata, random filters and random payload indexes,
 * including indexes kept up to date through adds, removals and replacements.
 *
 * Seeds are fixed so that runs are reproducible; to explore, change a seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDatetime } from '../../src/datetime.js';
import type {
  Condition,
  DatetimeRange,
  Filter,
  JsonValue,
  Metadata,
  NumberRange,
  PayloadIndexSpec,
  PayloadIndexType,
  Scalar,
} from '../../src/domain.js';
import { limits } from '../../src/limits.js';
import { compileFilter } from '../../src/storage/filter.js';
import { countMatching, matchingLabels } from '../../src/storage/filter-planner.js';
import { PayloadIndex } from '../../src/storage/payload-index.js';
import { validateFilter } from '../../src/validation.js';

// ---------------------------------------------------------------------------------------
// Reference evaluator, written from the spec (not from filter.ts).
// ---------------------------------------------------------------------------------------

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** The raw values at a dotted path: arrays on the way are walked into, recursively. */
function refRawValues(metadata: Metadata, key: string): JsonValue[] {
  let current: JsonValue[] = [metadata];
  for (const segment of key.split('.')) {
    const next: JsonValue[] = [];
    const visit = (v: JsonValue): void => {
      if (Array.isArray(v)) {
        for (const e of v) visit(e);
      } else if (v !== null && typeof v === 'object' && hasOwn(v, segment)) {
        next.push((v as Record<string, JsonValue>)[segment]!);
      }
    };
    for (const v of current) visit(v);
    current = next;
  }
  return current;
}

/** The raw values with each array replaced by its elements (one level). */
const refFlatten = (raw: JsonValue[]): JsonValue[] => {
  const out: JsonValue[] = [];
  for (const v of raw) {
    if (Array.isArray(v)) for (const e of v) out.push(e);
    else out.push(v);
  }
  return out;
};

const refEq = (v: JsonValue, x: Scalar): boolean => typeof v === typeof x && v === x;

function refInNumberRange(v: number, r: NumberRange): boolean {
  if (r.gt !== undefined && !(v > r.gt)) return false;
  if (r.gte !== undefined && !(v >= r.gte)) return false;
  if (r.lt !== undefined && !(v < r.lt)) return false;
  if (r.lte !== undefined && !(v <= r.lte)) return false;
  return true;
}

function refInDatetimeRange(ms: number, r: DatetimeRange): boolean {
  const bound = (s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const b = parseDatetime(s);
    if (b === undefined) throw new Error(`generated datetime bound ${s} does not parse`);
    return b;
  };
  return refInNumberRange(ms, {
    gt: bound(r.gt),
    gte: bound(r.gte),
    lt: bound(r.lt),
    lte: bound(r.lte),
  });
}

function refCondition(c: Condition, metadata: Metadata, id: string): boolean {
  if ('hasId' in c) return c.hasId.includes(id);
  if ('filter' in c) return refMatches(c.filter, metadata, id);
  const raw = refRawValues(metadata, c.key);
  const flat = refFlatten(raw);
  if ('equals' in c) return flat.some((v) => refEq(v, c.equals));
  if ('in' in c) return flat.some((v) => c.in.some((x) => refEq(v, x)));
  if ('notIn' in c) return flat.length === 0 || flat.some((v) => !c.notIn.some((x) => refEq(v, x)));
  if ('range' in c) return flat.some((v) => typeof v === 'number' && refInNumberRange(v, c.range));
  if ('datetimeRange' in c) {
    return flat.some((v) => {
      if (typeof v !== 'string') return false;
      const ms = parseDatetime(v);
      return ms !== undefined && refInDatetimeRange(ms, c.datetimeRange);
    });
  }
  if ('exists' in c) return raw.length > 0;
  if ('isNull' in c) return raw.some((v) => v === null);
  if ('isEmpty' in c) return flat.every((v) => v === null);
  throw new Error(`unknown condition ${JSON.stringify(c)}`);
}

function refMatches(filter: Filter | undefined, metadata: Metadata, id: string): boolean {
  if (filter === undefined) return true;
  const holds = (c: Condition): boolean => refCondition(c, metadata, id);
  if (!(filter.must ?? []).every(holds)) return false;
  if ((filter.mustNot ?? []).some(holds)) return false;
  const should = filter.should ?? [];
  if (should.length > 0 && should.filter(holds).length < (filter.minShould ?? 1)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// Generators: a small vocabulary so that conditions often match.
// ---------------------------------------------------------------------------------------

const STRINGS = ['a', 'b', 'red', 'blue', '1', 'true', '', 'null'] as const;
const NUMBERS = [0, -0, 1, 2, 3, -1, 10, 0.5, 2.5, -1.5, 1e21, 1704067200000] as const;

const numberArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.integer({ min: -3, max: 12 }),
  fc.integer({ min: -6, max: 24 }).map((n) => n / 2),
);
const stringArb = fc.constantFrom(...STRINGS);

/** RFC 3339 timestamps in several forms over a few instants (forms of one instant collide). */
const datetimeArb: fc.Arbitrary<string> = fc
  .record({
    day: fc.constantFrom('2023-12-31', '2024-01-01', '2024-01-02', '2024-02-29'),
    hour: fc.constantFrom(0, 1, 2, 22, 23),
    minute: fc.constantFrom(0, 30),
    form: fc.constantFrom('date', 'Z', '+02:00', '-01:00', 'none', 'frac', 'space', 'lower'),
  })
  .map(({ day, hour, minute, form }) => {
    const hm = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
    switch (form) {
      case 'date':
        return day;
      case 'none':
        return `${day}T${hm}:00`;
      case 'frac':
        return `${day}T${hm}:00.500Z`;
      case 'space':
        return `${day} ${hm}`;
      case 'lower':
        return `${day}t${hm}:00z`;
      default:
        return `${day}T${hm}:00${form}`;
    }
  });

/** Strings that look like timestamps but are not (or name no real day/time). */
const badDatetimeArb = fc.constantFrom(
  '2024-13-01',
  '2023-02-29',
  '2024-01-01T24:00:00Z',
  '2024-01-01T00:00:00+24:00',
  '2024-1-1',
  '20240101',
  'soon',
);

const scalarArb: fc.Arbitrary<Scalar> = fc.oneof(
  { arbitrary: stringArb, weight: 3 },
  { arbitrary: numberArb, weight: 3 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: datetimeArb, weight: 2 },
  { arbitrary: badDatetimeArb, weight: 1 },
);

const scalarOrNullArb: fc.Arbitrary<JsonValue> = fc.oneof(
  { arbitrary: scalarArb, weight: 6 },
  { arbitrary: fc.constant(null), weight: 1 },
);

/** An object with own properties (even `__proto__`), built from entries. */
const makeObject = (entries: [string, JsonValue | undefined][]): { [key: string]: JsonValue } => {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
};

const OBJECT_SEGMENTS = ['a', 'b', 'name', 'n', 'x', 'constructor'] as const;

/** Any JSON value, nested at most `depth` deep. */
function jsonArb(depth: number): fc.Arbitrary<JsonValue> {
  if (depth === 0) return scalarOrNullArb;
  const inner = jsonArb(depth - 1);
  return fc.oneof(
    { arbitrary: scalarOrNullArb, weight: 5 },
    { arbitrary: fc.array(inner, { maxLength: 3 }), weight: 2 },
    {
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...OBJECT_SEGMENTS), inner), { maxLength: 3 })
        .map(makeObject),
      weight: 2,
    },
  );
}

const anyJsonArb = jsonArb(3);
const opt = <T>(arb: fc.Arbitrary<T>, freq = 2): fc.Arbitrary<T | undefined> =>
  fc.option(arb, { nil: undefined, freq });
/** Mostly `typical`, sometimes anything (type confusion). */
const mostly = (typical: fc.Arbitrary<JsonValue>): fc.Arbitrary<JsonValue> =>
  fc.oneof({ arbitrary: typical, weight: 4 }, { arbitrary: anyJsonArb, weight: 1 });

const itemArb: fc.Arbitrary<JsonValue> = fc
  .tuple(opt(mostly(stringArb), 4), opt(mostly(numberArb), 4))
  .map(([name, n]) =>
    makeObject([
      ['name', name],
      ['n', n],
    ]),
  );

const metadataArb: fc.Arbitrary<Metadata> = fc
  .record({
    color: opt(mostly(stringArb)),
    n: opt(mostly(fc.oneof({ arbitrary: fc.integer({ min: -2, max: 6 }), weight: 3 }, numberArb))),
    price: opt(mostly(numberArb)),
    tags: opt(mostly(fc.array(fc.oneof(stringArb, fc.constant(null)), { maxLength: 4 }))),
    when: opt(
      mostly(
        fc.oneof(datetimeArb, fc.array(fc.oneof(datetimeArb, badDatetimeArb), { maxLength: 3 })),
      ),
    ),
    flag: opt(mostly(fc.boolean())),
    meta: opt(
      mostly(
        fc.tuple(opt(anyJsonArb, 4), opt(anyJsonArb, 4)).map(([a, b]) =>
          makeObject([
            ['a', a],
            ['b', b],
          ]),
        ),
      ),
    ),
    items: opt(
      mostly(fc.array(fc.oneof(itemArb, fc.array(itemArb, { maxLength: 2 })), { maxLength: 3 })),
    ),
    proto: opt(anyJsonArb, 8),
    ctor: opt(anyJsonArb, 8),
  })
  .map(({ proto, ctor, ...rest }) =>
    makeObject([
      ...(Object.entries(rest) as [string, JsonValue | undefined][]),
      ['__proto__', proto],
      ['constructor', ctor],
    ]),
  );

const CORE_KEYS = [
  'color',
  'n',
  'price',
  'tags',
  'when',
  'flag',
  'meta.a',
  'meta.b',
  'items',
  'items.name',
  'items.n',
] as const;
const ODD_KEYS = [
  'meta',
  'missing',
  'meta.a.x',
  'meta.a.n',
  'constructor',
  'toString',
  '__proto__',
  'meta.constructor',
] as const;
const keyArb = fc.oneof(
  { arbitrary: fc.constantFrom(...CORE_KEYS), weight: 4 },
  { arbitrary: fc.constantFrom(...ODD_KEYS), weight: 1 },
);

const ID_POOL = Array.from({ length: 16 }, (_, i) => `p${i}`);
const idArb = fc.constantFrom(...ID_POOL, 'q');

function dropUndefined<T extends object>(r: T): T {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as T;
}

/** What conditions compare with: scalars, numbers for ranges, parseable datetimes for bounds. */
interface Targets {
  scalar: fc.Arbitrary<Scalar>;
  number: fc.Arbitrary<number>;
  datetime: fc.Arbitrary<string>;
}

/** The targets for conditions on a key. */
type TargetsFor = (key: string) => Targets;

const VOCABULARY: Targets = { scalar: scalarArb, number: numberArb, datetime: datetimeArb };
const vocabularyOnly: TargetsFor = () => VOCABULARY;

/** Every scalar anywhere in some values (nested in arrays and objects too). */
function scalarsIn(values: readonly JsonValue[]): Scalar[] {
  const out: Scalar[] = [];
  const visit = (v: JsonValue): void => {
    if (v === null) return;
    if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object') Object.values(v).forEach(visit);
    else out.push(v);
  };
  values.forEach(visit);
  return out;
}

/**
 * Scalars that a careless comparison or index would take for `v`: of other types, or
 * (for a non-integral number) the integers either side.
 */
function lookAlikes(v: Scalar): Scalar[] {
  if (typeof v === 'string') {
    const out: Scalar[] = [];
    if (v.trim() !== '' && Number.isFinite(Number(v))) out.push(Number(v));
    if (v === 'true' || v === 'false') out.push(v === 'true');
    return out;
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return [String(v), Math.floor(v), Math.ceil(v)];
    return v === 0 || v === 1 ? [String(v), v === 1] : [String(v)];
  }
  return [String(v), v ? 1 : 0];
}

/**
 * The vocabulary, mixed with the scalars that occur at the key in `metadata` (and, less
 * often, anywhere in it): so that equals, in and range bounds hit values that are there,
 * e.g. 2.5 at a key under an integer index.
 */
function targetsFrom(metadata: readonly Metadata[]): TargetsFor {
  const anywhere = scalarsIn(metadata);
  const cache = new Map<string, Targets>();
  return (key) => {
    let targets = cache.get(key);
    if (targets === undefined) {
      // The values at the key, and their look-alikes of other types (1, "1", true).
      const atKey = scalarsIn(metadata.flatMap((m) => refRawValues(m, key)));
      atKey.push(...atKey.flatMap(lookAlikes));
      const mix = <T extends Scalar>(base: fc.Arbitrary<T>, keep: (v: Scalar) => v is T) => {
        const [here, elsewhere] = [atKey.filter(keep), anywhere.filter(keep)];
        const parts: fc.WeightedArbitrary<T>[] = [{ arbitrary: base, weight: 1 }];
        if (here.length > 0) parts.push({ arbitrary: fc.constantFrom(...here), weight: 3 });
        if (elsewhere.length > 0)
          parts.push({ arbitrary: fc.constantFrom(...elsewhere), weight: 1 });
        return fc.oneof(...parts);
      };
      targets = {
        scalar: mix(scalarArb, (_v): _v is Scalar => true),
        number: mix(numberArb, (v): v is number => typeof v === 'number'),
        datetime: mix(
          datetimeArb,
          (v): v is string => typeof v === 'string' && parseDatetime(v) !== undefined,
        ),
      };
      cache.set(key, targets);
    }
    return targets;
  };
}

const boundsOf = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<{ gt?: T; gte?: T; lt?: T; lte?: T }> =>
  fc
    .record({ gt: opt(value), gte: opt(value), lt: opt(value), lte: opt(value) })
    .filter((r) => Object.values(r).some((v) => v !== undefined))
    .map((r) => dropUndefined(r));

/** A field condition on `key`. */
function fieldConditionAt(key: string, targets: Targets): fc.Arbitrary<Condition> {
  const list = fc.array(targets.scalar, { minLength: 1, maxLength: 4 });
  const k = fc.constant(key);
  return fc.oneof(
    { arbitrary: fc.record({ key: k, equals: targets.scalar }), weight: 4 },
    { arbitrary: fc.record({ key: k, in: list }), weight: 3 },
    { arbitrary: fc.record({ key: k, notIn: list }), weight: 2 },
    {
      arbitrary: fc.record({
        key: k,
        range: boundsOf(targets.number) as fc.Arbitrary<NumberRange>,
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        key: k,
        datetimeRange: boundsOf(targets.datetime) as fc.Arbitrary<DatetimeRange>,
      }),
      weight: 3,
    },
    { arbitrary: fc.record({ key: k, isNull: fc.constant(true as const) }), weight: 1 },
    { arbitrary: fc.record({ key: k, isEmpty: fc.constant(true as const) }), weight: 1 },
    { arbitrary: fc.record({ key: k, exists: fc.constant(true as const) }), weight: 1 },
  );
}

/** Field conditions on keys drawn from `keys`, and hasId conditions. */
const fieldConditionOn = (
  keys: fc.Arbitrary<string>,
  targets: TargetsFor,
): fc.Arbitrary<Condition> =>
  fc.oneof(
    { arbitrary: keys.chain((key) => fieldConditionAt(key, targets(key))), weight: 18 },
    {
      arbitrary: fc.record({ hasId: fc.array(idArb, { minLength: 1, maxLength: 3 }) }),
      weight: 1,
    },
  );

const MAX_DEPTH = 3;

/** A filter nested at most MAX_DEPTH deep (a filter without nested ones has depth 1). */
function filterAt(
  depth: number,
  keys: fc.Arbitrary<string>,
  targets: TargetsFor,
): fc.Arbitrary<Filter> {
  const field = fieldConditionOn(keys, targets);
  const condition: fc.Arbitrary<Condition> =
    depth >= MAX_DEPTH
      ? field
      : fc.oneof(
          { arbitrary: field, weight: 5 },
          {
            arbitrary: filterAt(depth + 1, keys, targets).map((filter) => ({ filter })),
            weight: 1,
          },
        );
  const list = opt(fc.array(condition, { maxLength: depth === 1 ? 3 : 2 }), 3);
  return fc.tuple(list, list, list, fc.nat({ max: 30 })).map(([must, should, mustNot, k]) => {
    const f: Filter = {};
    if (must !== undefined) f.must = must;
    if (should !== undefined) f.should = should;
    if (mustNot !== undefined) f.mustNot = mustNot;
    if (should !== undefined && should.length > 0 && k % 2 === 0)
      f.minShould = 1 + (Math.floor(k / 2) % should.length);
    return f;
  });
}

const countConditions = (f: Filter): number =>
  [...(f.must ?? []), ...(f.should ?? []), ...(f.mustNot ?? [])].reduce(
    (n, c) => n + 1 + ('filter' in c ? countConditions(c.filter) : 0),
    0,
  );

/** Random filters within the limits (nesting, condition count) that validation enforces. */
const filterOn = (keys: fc.Arbitrary<string>, targets: TargetsFor): fc.Arbitrary<Filter> =>
  filterAt(1, keys, targets).filter((f) => countConditions(f) <= limits.maxFilterConditions);

const filterArb: fc.Arbitrary<Filter> = filterOn(keyArb, vocabularyOnly);

/**
 * Filters mostly on these keys (the indexed ones, so that the planner uses the indexes),
 * comparing with values of `metadata` as well as the vocabulary.
 */
function filterFor(
  indexed: readonly string[],
  metadata: readonly Metadata[],
): fc.Arbitrary<Filter> {
  const keys =
    indexed.length === 0
      ? keyArb
      : fc.oneof(
          { arbitrary: fc.constantFrom(...indexed), weight: 3 },
          { arbitrary: keyArb, weight: 1 },
        );
  const targets = targetsFrom(metadata);
  // Two thirds of them flat conjunctions, often of one condition: the shapes the
  // planner can answer exactly from the indexes.
  const flat = (maxLength: number): fc.Arbitrary<Filter> =>
    fc
      .array(fieldConditionOn(keys, targets), { minLength: 1, maxLength })
      .map((must): Filter => ({ must }));
  return fc.oneof(filterOn(keys, targets), flat(1), flat(3));
}

const INDEX_TYPES: PayloadIndexType[] = ['keyword', 'integer', 'float', 'bool', 'datetime'];
const indexSpecArb: fc.Arbitrary<PayloadIndexSpec> = fc.record({
  key: keyArb,
  type: fc.constantFrom(...INDEX_TYPES),
});
/** A few indexes (at most one per key), of random types. */
const indexSpecsArb: fc.Arbitrary<PayloadIndexSpec[]> = fc.uniqueArray(indexSpecArb, {
  selector: (s) => s.key,
  minLength: 1,
  maxLength: 5,
});

// ---------------------------------------------------------------------------------------
// A collection as the planner sees it.
// ---------------------------------------------------------------------------------------

interface LivePoint {
  id: string;
  metadata: Metadata;
}

class Collection {
  readonly payloadIndexes = new Map<string, PayloadIndex>();
  readonly idToLabel = new Map<string, number>();
  readonly points = new Map<number, LivePoint>();
  private nextLabel = 0;

  /** Adds a point under a fresh label (its id `p<label>` unless given). */
  add(metadata: Metadata, id?: string): number {
    const label = this.nextLabel++;
    const point = { id: id ?? `p${label}`, metadata };
    this.points.set(label, point);
    this.idToLabel.set(point.id, label);
    for (const index of this.payloadIndexes.values()) index.add(label, metadata);
    return label;
  }

  remove(label: number): void {
    const point = this.points.get(label)!;
    for (const index of this.payloadIndexes.values()) index.remove(label, point.metadata);
    this.points.delete(label);
    this.idToLabel.delete(point.id);
  }

  /** New metadata under the same label (a payload update). */
  replace(label: number, metadata: Metadata): void {
    const point = this.points.get(label)!;
    for (const index of this.payloadIndexes.values()) {
      index.remove(label, point.metadata);
      index.add(label, metadata);
    }
    this.points.set(label, { id: point.id, metadata });
  }

  /** The same id with new metadata under a new label (an upsert of an existing id). */
  upsert(label: number, metadata: Metadata): number {
    const id = this.points.get(label)!.id;
    this.remove(label);
    return this.add(metadata, id);
  }

  createIndex(spec: PayloadIndexSpec): void {
    const index = new PayloadIndex(spec);
    for (const [label, point] of this.points) index.add(label, point.metadata);
    this.payloadIndexes.set(spec.key, index);
  }

  liveLabels(): number[] {
    return [...this.points.keys()].sort((a, b) => a - b);
  }

  expected(filter: Filter): number[] {
    return this.liveLabels().filter((label) => {
      const p = this.points.get(label)!;
      return refMatches(filter, p.metadata, p.id);
    });
  }

  /** Checks the planner (with whatever indexes are defined) against the reference. */
  check(filter: Filter): void {
    const expected = this.expected(filter);
    expect(Array.from(matchingLabels(this, filter))).toEqual(expected);
    expect(countMatching(this, filter)).toBe(expected.length);
  }
}

const collectionOf = (points: Metadata[], specs: PayloadIndexSpec[]): Collection => {
  const col = new Collection();
  for (const spec of specs) col.createIndex(spec);
  for (const m of points) col.add(m);
  return col;
};

const assertValid = (filter: Filter): void => {
  expect(() => validateFilter(filter)).not.toThrow();
};

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

describe('filter properties', () => {
  it('generated filters are valid, and compileFilter agrees with the reference', () => {
    fc.assert(
      fc.property(metadataArb, idArb, filterArb, (metadata, id, filter) => {
        assertValid(filter);
        expect(compileFilter(filter)(metadata, id)).toBe(refMatches(filter, metadata, id));
      }),
      { seed: 20240101, numRuns: 3000 },
    );
  });

  it('compileFilter agrees with the reference over many points per filter', () => {
    fc.assert(
      fc.property(fc.array(metadataArb, { maxLength: 12 }), filterArb, (points, filter) => {
        assertValid(filter);
        const predicate = compileFilter(filter);
        points.forEach((m, i) => {
          expect(predicate(m, `p${i}`)).toBe(refMatches(filter, m, `p${i}`));
        });
      }),
      { seed: 7, numRuns: 800 },
    );
  });

  it('matchingLabels and countMatching agree with the reference, without and with indexes', () => {
    const scenario = fc
      .tuple(fc.array(metadataArb, { maxLength: 24 }), indexSpecsArb)
      .chain(([points, specs]) =>
        fc.tuple(
          fc.constant(points),
          fc.constant(specs),
          fc.array(
            filterFor(
              specs.map((s) => s.key),
              points,
            ),
            { minLength: 1, maxLength: 10 },
          ),
        ),
      );
    fc.assert(
      fc.property(scenario, ([points, specs, filters]) => {
        const plain = collectionOf(points, []);
        const indexed = collectionOf(points, specs);
        for (const filter of filters) {
          assertValid(filter);
          plain.check(filter);
          indexed.check(filter);
        }
      }),
      { seed: 424242, numRuns: 2500 },
    );
  });

  type Op =
    | { kind: 'add'; metadata: Metadata }
    | { kind: 'remove'; pick: number }
    | { kind: 'replace'; pick: number; metadata: Metadata }
    | { kind: 'upsert'; pick: number; metadata: Metadata }
    | { kind: 'index'; spec: PayloadIndexSpec }
    | { kind: 'dropIndex'; pick: number };

  /** Index specs, often on the numeric and datetime keys where the sorted-key merge matters. */
  const rangeIndexSpecArb: fc.Arbitrary<PayloadIndexSpec> = fc.oneof(
    indexSpecArb,
    fc.record({
      key: fc.constantFrom('n', 'price', 'items.n', 'when', 'meta.a'),
      type: fc.constantFrom<PayloadIndexType>('integer', 'float', 'datetime'),
    }),
  );

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      arbitrary: fc.record({ kind: fc.constant('add' as const), metadata: metadataArb }),
      weight: 4,
    },
    { arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }), weight: 4 },
    {
      arbitrary: fc.record({
        kind: fc.constant('replace' as const),
        pick: fc.nat(),
        metadata: metadataArb,
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('upsert' as const),
        pick: fc.nat(),
        metadata: metadataArb,
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('index' as const), spec: rangeIndexSpecArb }),
      weight: 1,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('dropIndex' as const), pick: fc.nat() }),
      weight: 1,
    },
  );

  it('indexes kept up to date through adds, removals and replacements agree with the reference', () => {
    // A query before the first operation and after each one, with filters mostly on the
    // keys that are ever indexed and on values that ever occur.
    const scenario = fc
      .tuple(
        fc.array(metadataArb, { maxLength: 10 }),
        fc.uniqueArray(rangeIndexSpecArb, { selector: (s) => s.key, minLength: 1, maxLength: 6 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
      )
      .chain(([initial, specs, ops]) => {
        const keys = new Set(specs.map((s) => s.key));
        const metadata = [...initial];
        for (const op of ops) {
          if (op.kind === 'index') keys.add(op.spec.key);
          if ('metadata' in op) metadata.push(op.metadata);
        }
        return fc.tuple(
          fc.constant(initial),
          fc.constant(specs),
          fc.constant(ops),
          fc.array(filterFor([...keys], metadata), {
            minLength: ops.length + 1,
            maxLength: ops.length + 1,
          }),
        );
      });
    fc.assert(
      fc.property(scenario, ([initial, specs, ops, queries]) => {
        const col = collectionOf(initial, specs);
        const pick = (n: number): number | undefined => {
          const live = col.liveLabels();
          return live.length === 0 ? undefined : live[n % live.length];
        };
        const query = (filter: Filter): void => {
          assertValid(filter);
          col.check(filter);
        };
        /**
         * After a point's metadata changed from `before` to `after`: for each index, an
         * exact-value query on every value either had at its key (stale or missing labels
         * show there first).
         */
        const probe = (before: Metadata | undefined, after: Metadata | undefined): void => {
          for (const key of col.payloadIndexes.keys()) {
            const values = new Set<JsonValue>();
            for (const m of [before, after])
              if (m !== undefined) for (const v of refFlatten(refRawValues(m, key))) values.add(v);
            for (const v of values) {
              if (v === null || typeof v === 'object') continue;
              col.check({ must: [{ key, equals: v }] });
              if (typeof v === 'number') col.check({ must: [{ key, range: { gte: v, lte: v } }] });
              if (typeof v === 'string' && parseDatetime(v) !== undefined)
                col.check({ must: [{ key, datetimeRange: { gte: v, lte: v } }] });
            }
          }
        };
        query(queries[0]!);
        ops.forEach((op, i) => {
          switch (op.kind) {
            case 'add':
              col.add(op.metadata);
              probe(undefined, op.metadata);
              break;
            case 'remove': {
              const label = pick(op.pick);
              if (label === undefined) break;
              const before = col.points.get(label)!.metadata;
              col.remove(label);
              probe(before, undefined);
              break;
            }
            case 'replace': {
              const label = pick(op.pick);
              if (label === undefined) break;
              const before = col.points.get(label)!.metadata;
              col.replace(label, op.metadata);
              probe(before, op.metadata);
              break;
            }
            case 'upsert': {
              const label = pick(op.pick);
              if (label === undefined) break;
              const before = col.points.get(label)!.metadata;
              col.upsert(label, op.metadata);
              probe(before, op.metadata);
              break;
            }
            case 'index':
              col.createIndex(op.spec);
              break;
            case 'dropIndex': {
              const keys = [...col.payloadIndexes.keys()];
              if (keys.length > 0) col.payloadIndexes.delete(keys[op.pick % keys.length]!);
              break;
            }
          }
          query(queries[i + 1]!);
        });
      }),
      { seed: 1337, numRuns: 600 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Examples for edge cases the properties reach rarely.
// ---------------------------------------------------------------------------------------

/**
 * The reference, the evaluator, and the planner (with no index, then with an index of each
 * type on every one of `keys`) all match exactly the points at `expected`.
 */
function expectMatches(
  points: Metadata[],
  filter: Filter,
  expected: number[],
  keys: string[],
): void {
  assertValid(filter);
  const ids = points.map((_, i) => `p${i}`);
  expect(
    points.map((m, i) => refMatches(filter, m, ids[i]!)).flatMap((b, i) => (b ? [i] : [])),
  ).toEqual(expected);
  const predicate = compileFilter(filter);
  expect(points.map((m, i) => predicate(m, ids[i]!)).flatMap((b, i) => (b ? [i] : []))).toEqual(
    expected,
  );
  collectionOf(points, []).check(filter);
  for (const type of INDEX_TYPES)
    collectionOf(
      points,
      keys.map((key) => ({ key, type })),
    ).check(filter);
}

describe('filter edge cases', () => {
  it('an integer index with a range over a key holding a non-integral number', () => {
    const points: Metadata[] = [{ n: 2.5 }, { n: 2 }, { n: 3 }, { n: 'x' }, { n: [1, 2.5] }];
    expectMatches(points, { must: [{ key: 'n', range: { gt: 2, lt: 3 } }] }, [0, 4], ['n']);
    expectMatches(points, { must: [{ key: 'n', range: { gte: 2, lte: 3 } }] }, [0, 1, 2, 4], ['n']);
  });

  it('an integer index with equals/in on a non-integral number held at the key', () => {
    const points: Metadata[] = [{ n: 2.5 }, { n: 2 }, { n: [1, 2.5] }];
    expectMatches(points, { must: [{ key: 'n', equals: 2.5 }] }, [0, 2], ['n']);
    expectMatches(points, { must: [{ key: 'n', in: [2.5, 7] }] }, [0, 2], ['n']);
  });

  it('-0 and 0 are the same number', () => {
    const points: Metadata[] = [{ n: -0 }, { n: 0 }, { n: [-0, 1] }, { n: '0' }, { n: false }];
    expectMatches(points, { must: [{ key: 'n', equals: 0 }] }, [0, 1, 2], ['n']);
    expectMatches(points, { must: [{ key: 'n', equals: -0 }] }, [0, 1, 2], ['n']);
    expectMatches(points, { must: [{ key: 'n', range: { gte: 0, lte: -0 } }] }, [0, 1, 2], ['n']);
    expectMatches(points, { must: [{ key: 'n', range: { gt: -0 } }] }, [2], ['n']);
    expectMatches(points, { must: [{ key: 'n', notIn: [0] }] }, [2, 3, 4], ['n']);
  });

  it('datetimes with different offsets are equal instants; no offset is UTC', () => {
    const points: Metadata[] = [
      { when: '2024-01-01T02:00:00+02:00' },
      { when: '2024-01-01T00:00:00Z' },
      { when: '2024-01-01' },
      { when: '2024-01-01T00:00:00' },
      { when: '2023-12-31T23:00:00-01:00' },
      { when: '2024-01-01T00:00:00.001Z' },
      { when: '2024-01-01T00:00:00+00:01' },
      { when: 'not a date' },
    ];
    const at = '2024-01-01T00:00:00Z';
    expectMatches(
      points,
      { must: [{ key: 'when', datetimeRange: { gte: at, lte: at } }] },
      [0, 1, 2, 3, 4],
      ['when'],
    );
    expectMatches(
      points,
      { must: [{ key: 'when', datetimeRange: { gt: '2024-01-01T02:00:00+02:00' } }] },
      [5],
      ['when'],
    );
    expectMatches(
      points,
      { must: [{ key: 'when', datetimeRange: { lt: '2024-01-01' } }] },
      [6],
      ['when'],
    );
  });

  it('notIn on a missing key or an empty array holds', () => {
    const points: Metadata[] = [
      {},
      { color: [] },
      { color: 'a' },
      { color: ['a', 'b'] },
      { color: null },
    ];
    expectMatches(points, { must: [{ key: 'color', notIn: ['a'] }] }, [0, 1, 3, 4], ['color']);
    expectMatches(
      points,
      { must: [{ key: 'missing', notIn: ['a'] }] },
      [0, 1, 2, 3, 4],
      ['missing'],
    );
  });

  it('isEmpty, isNull and exists on null, [], [null] and missing keys', () => {
    const points: Metadata[] = [
      {},
      { t: null },
      { t: [] },
      { t: [null] },
      { t: [[]] },
      { t: 0 },
      { t: [null, 1] },
    ];
    expectMatches(points, { must: [{ key: 't', isEmpty: true }] }, [0, 1, 2, 3], ['t']);
    expectMatches(points, { must: [{ key: 't', isNull: true }] }, [1], ['t']);
    expectMatches(points, { must: [{ key: 't', exists: true }] }, [1, 2, 3, 4, 5, 6], ['t']);
    const nested: Metadata[] = [
      { i: [{ t: null }] },
      { i: [{ t: [null] }, {}] },
      { i: [] },
      { i: [{ t: 1 }] },
    ];
    expectMatches(nested, { must: [{ key: 'i.t', isNull: true }] }, [0], ['i.t']);
    expectMatches(nested, { must: [{ key: 'i.t', isEmpty: true }] }, [0, 1, 2], ['i.t']);
  });

  it('hasId inside should', () => {
    const points: Metadata[] = [{ color: 'red' }, { color: 'blue' }, { color: 'red' }, {}];
    const filter: Filter = {
      should: [{ hasId: ['p1', 'nope'] }, { key: 'color', equals: 'red' }],
    };
    expectMatches(points, filter, [0, 1, 2], ['color']);
    expectMatches(points, { ...filter, minShould: 2 }, [], ['color']);
    expectMatches(points, { should: [{ hasId: ['p3'] }, { hasId: ['p0'] }] }, [0, 3], ['color']);
  });

  it('a nested filter in mustNot', () => {
    const points: Metadata[] = [
      { color: 'red', n: 3 },
      { color: 'red', n: 1 },
      { color: 'blue', n: 3 },
      {},
    ];
    const filter: Filter = {
      must: [{ key: 'n', range: { gte: 0 } }],
      mustNot: [
        {
          filter: {
            must: [
              { key: 'color', equals: 'red' },
              { key: 'n', range: { gte: 2 } },
            ],
          },
        },
      ],
    };
    expectMatches(points, filter, [1, 2], ['color', 'n']);
  });

  it('inherited properties are not keys, own __proto__ is', () => {
    const points: Metadata[] = [
      {},
      JSON.parse('{"__proto__": "p", "constructor": 1}') as Metadata,
      { o: { toString: 'x' } },
    ];
    expectMatches(points, { must: [{ key: 'constructor', exists: true }] }, [1], ['constructor']);
    expectMatches(points, { must: [{ key: '__proto__', equals: 'p' }] }, [1], ['__proto__']);
    expectMatches(points, { must: [{ key: 'toString', isEmpty: true }] }, [0, 1, 2], ['toString']);
    expectMatches(points, { must: [{ key: 'o.toString', in: ['x'] }] }, [2], ['o.toString']);
  });

  it('a range index keeps answering after many keys are emptied and re-added', () => {
    for (const type of ['integer', 'float'] as const) {
      const col = new Collection();
      col.createIndex({ key: 'n', type });
      const labels = Array.from({ length: 60 }, (_, i) => col.add({ n: i }));
      const filter: Filter = { must: [{ key: 'n', range: { gte: 10, lt: 50 } }] };
      col.check(filter);
      for (const label of labels.slice(0, 55)) col.remove(label);
      col.check(filter);
      col.check({ must: [{ key: 'n', range: { gte: 55 } }] });
      for (let i = 0; i < 60; i += 3) col.add({ n: i });
      col.check(filter);
      col.check({ must: [{ key: 'n', range: { lte: 5 } }] });
      for (const label of col.liveLabels().slice(0, 5)) col.replace(label, { n: [-1, 100] });
      col.check(filter);
      col.check({ must: [{ key: 'n', range: { gt: 99 } }] });
    }
  });
});
