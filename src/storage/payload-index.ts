/**
 * A payload index: the labels of a collection's points by the values at one metadata
 * key, so that a filter on that key finds its points without reading every point's
 * metadata. Node-local and derived: built from the metadata held in memory when the
 * index is created or the collection loaded, and kept up to date as points change;
 * only its definition (key and type) is replicated and stored.
 *
 * Each type holds the values it is for (filter.ts gives the semantics it must agree
 * with; the planner in filter-planner.ts re-checks whatever an index cannot decide):
 *
 * | type     | holds                        | answers                     |
 * |----------|------------------------------|-----------------------------|
 * | keyword  | strings                      | equals, in                  |
 * | integer  | integral numbers             | equals, in, range           |
 * | float    | numbers                      | equals, in, range           |
 * | bool     | booleans                     | equals, in                  |
 * | datetime | RFC 3339 strings, as epoch ms | datetimeRange               |
 *
 * An integer index also remembers the points holding a non-integral number at its key:
 * a range can match those, so the planner checks them by their metadata.
 */
import type { Metadata, NumberRange, PayloadIndexSpec, Scalar } from '../domain.js';
import { parseDatetime } from '../datetime.js';
import { valuesAt } from './filter.js';

/** One label (the common case: a float key where every point differs) or several. */
type Labels = number | Set<number>;

export class PayloadIndex {
  readonly spec: PayloadIndexSpec;
  private readonly path: string[];
  private readonly byValue = new Map<Scalar, Labels>();
  /** Distinct numeric keys in order, for ranges; may hold keys since emptied. */
  private sorted = new Float64Array(0);
  /** Numeric keys added since `sorted` was merged. */
  private pending: number[] = [];
  /** Integer index only: points with a non-integral number at the key. */
  private readonly uncovered = new Set<number>();

  constructor(spec: PayloadIndexSpec) {
    this.spec = spec;
    this.path = spec.key.split('.');
  }

  /** The index's keys for a point's metadata, each once. */
  private keysOf(metadata: Metadata): Scalar[] {
    const keys = new Set<Scalar>();
    for (const v of valuesAt(metadata, this.path)) {
      switch (this.spec.type) {
        case 'keyword':
          if (typeof v === 'string') keys.add(v);
          break;
        case 'integer':
        case 'float':
          if (typeof v === 'number' && (this.spec.type === 'float' || Number.isInteger(v)))
            keys.add(v);
          break;
        case 'bool':
          if (typeof v === 'boolean') keys.add(v);
          break;
        case 'datetime': {
          const ms = typeof v === 'string' ? parseDatetime(v) : undefined;
          if (ms !== undefined) keys.add(ms);
        }
      }
    }
    return [...keys];
  }

  private hasNonIntegral(metadata: Metadata): boolean {
    return valuesAt(metadata, this.path).some((v) => typeof v === 'number' && !Number.isInteger(v));
  }

  /** Indexes a point (not indexed yet). */
  add(label: number, metadata: Metadata): void {
    for (const key of this.keysOf(metadata)) {
      const held = this.byValue.get(key);
      if (held === undefined) {
        this.byValue.set(key, label);
        if (typeof key === 'number') this.pending.push(key);
      } else if (typeof held === 'number') {
        if (held !== label) this.byValue.set(key, new Set([held, label]));
      } else held.add(label);
    }
    if (this.spec.type === 'integer' && this.hasNonIntegral(metadata)) this.uncovered.add(label);
  }

  /** Removes a point indexed with this metadata. */
  remove(label: number, metadata: Metadata): void {
    for (const key of this.keysOf(metadata)) {
      const held = this.byValue.get(key);
      if (held === label) this.byValue.delete(key);
      else if (typeof held === 'object') {
        held.delete(label);
        if (held.size === 1) this.byValue.set(key, held.values().next().value!);
      }
    }
    this.uncovered.delete(label);
  }

  /** Whether this index holds every value that can equal `target`. */
  canMatch(target: Scalar): boolean {
    switch (this.spec.type) {
      case 'keyword':
        return typeof target === 'string';
      case 'integer':
        // It holds no non-integral number, and those never equal an integral target.
        return typeof target === 'number' && Number.isInteger(target);
      case 'float':
        return typeof target === 'number';
      case 'bool':
        return typeof target === 'boolean';
      case 'datetime':
        return false;
    }
  }

  /** The labels of points with a value equal to one of `targets` (each one `canMatch`), sorted. */
  labelsEqual(targets: readonly Scalar[]): Float64Array {
    const found = new LabelCollector();
    for (const target of new Set(targets)) found.add(this.byValue.get(target));
    return found.sorted();
  }

  /** Whether ranges on numbers (or, for datetime, on timestamps) can use this index. */
  get answersRanges(): boolean {
    return this.spec.type === 'integer' || this.spec.type === 'float';
  }

  /**
   * The labels of points with a key within `range` (numbers, or epoch ms for a datetime
   * index). Exact, except that an integer index adds the points it does not cover
   * (`exact` false: the caller checks those).
   */
  labelsInRange(range: NumberRange): { labels: Float64Array; exact: boolean } {
    const keys = this.sortedKeys();
    let lo = 0;
    let hi = keys.length;
    if (range.gte !== undefined)
      lo = Math.max(
        lo,
        firstIndex(keys, (k) => k >= range.gte!),
      );
    if (range.gt !== undefined)
      lo = Math.max(
        lo,
        firstIndex(keys, (k) => k > range.gt!),
      );
    if (range.lte !== undefined)
      hi = Math.min(
        hi,
        firstIndex(keys, (k) => k > range.lte!),
      );
    if (range.lt !== undefined)
      hi = Math.min(
        hi,
        firstIndex(keys, (k) => k >= range.lt!),
      );
    const found = new LabelCollector();
    for (let i = lo; i < hi; i++) found.add(this.byValue.get(keys[i]!));
    if (this.uncovered.size === 0) return { labels: found.sorted(), exact: true };
    for (const label of this.uncovered) found.add(label);
    return { labels: found.sorted(), exact: false };
  }

  /** The distinct numeric keys in order, merging those added since the last call. */
  private sortedKeys(): Float64Array {
    if (this.pending.length === 0 && this.sorted.length <= 2 * this.byValue.size + 16)
      return this.sorted;
    const fresh = Float64Array.from(this.pending).sort();
    const merged = new Float64Array(this.sorted.length + fresh.length);
    let [i, j, n] = [0, 0, 0];
    const push = (k: number): void => {
      // Keep only live keys, each once (a key emptied and added again is in both arrays).
      if (this.byValue.has(k) && (n === 0 || merged[n - 1] !== k)) merged[n++] = k;
    };
    while (i < this.sorted.length || j < fresh.length) {
      if (j === fresh.length || (i < this.sorted.length && this.sorted[i]! <= fresh[j]!))
        push(this.sorted[i++]!);
      else push(fresh[j++]!);
    }
    this.sorted = merged.slice(0, n);
    this.pending = [];
    return this.sorted;
  }
}

/** Labels gathered from postings, then sorted with duplicates removed (typed arrays sort fast). */
class LabelCollector {
  private labels = new Float64Array(64);
  private size = 0;

  add(held: Labels | undefined): void {
    if (held === undefined) return;
    const count = typeof held === 'number' ? 1 : held.size;
    if (this.size + count > this.labels.length) {
      const grown = new Float64Array(Math.max(2 * this.labels.length, this.size + count));
      grown.set(this.labels.subarray(0, this.size));
      this.labels = grown;
    }
    if (typeof held === 'number') this.labels[this.size++] = held;
    else for (const label of held) this.labels[this.size++] = label;
  }

  sorted(): Float64Array {
    return uniqueSorted(this.labels.subarray(0, this.size).sort());
  }
}

/** `sorted` without repeated values (a point with several values can be found twice). */
export function uniqueSorted(sorted: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

/** The first index whose key satisfies `at` (a predicate false then true along the keys). */
function firstIndex(keys: Float64Array, at: (key: number) => boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(keys[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
