/**
 * Evaluation of metadata filters (see `Filter` in domain.ts; the semantics, next to
 * Qdrant's, are in docs/filters.md).
 *
 * - A point matches when every `must` condition holds, at least `minShould` (default
 *   1) of the `should` conditions hold when there are any, and no `mustNot` condition
 *   holds. An empty filter matches every point; a nested filter is a condition.
 * - A key is a dotted path into nested objects (`author.name`). When the path walks
 *   through an array, every element is followed (`tags.name` over
 *   `{"tags":[{"name":"a"},{"name":"b"}]}` yields "a" and "b"), and an array at the
 *   end of the path contributes its elements: like Qdrant, a condition on an array
 *   field holds when any element satisfies it.
 * - `equals` matches a scalar equal in type and value (`1` never equals `"1"` or
 *   `true`); `in` matches when any listed scalar equals; `notIn` holds when the key
 *   has no value, or some value equals none of the listed scalars.
 * - `range` holds for a number within every given bound; `datetimeRange` for a
 *   string that is an RFC 3339 timestamp (datetime.ts) within every given bound.
 * - `exists` holds when the key is present (even as null or []); `isNull` when a
 *   value there is null; `isEmpty` when the key is missing or holds only null or [].
 * - `hasId` holds for the listed point ids.
 * - A missing key satisfies no condition but `notIn` and `isEmpty`.
 *
 * Evaluation is a pure function of the filter, the metadata and the id: replicas
 * agree on it, so apply may use it (delete and update by filter).
 */
import type {
  Condition,
  DatetimeRange,
  FieldCondition,
  Filter,
  JsonValue,
  Metadata,
  NumberRange,
  Scalar,
} from '../domain.js';
import { parseDatetime } from '../datetime.js';

/** Whether a point (its metadata, and its id for `hasId`) satisfies a filter. */
export type PointPredicate = (metadata: Metadata, id?: string) => boolean;

/**
 * The values at a dotted path with arrays followed; a final array is flattened into
 * its elements unless `keepArrays`.
 */
export function valuesAt(
  metadata: Metadata,
  path: readonly string[],
  keepArrays = false,
): JsonValue[] {
  let current: JsonValue[] = [metadata];
  for (const segment of path) {
    const next: JsonValue[] = [];
    for (const value of current) collectChild(value, segment, next);
    if (next.length === 0) return next;
    current = next;
  }
  if (keepArrays) return current;
  const out: JsonValue[] = [];
  for (const value of current) {
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

function collectChild(value: JsonValue, segment: string, out: JsonValue[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const element of value) collectChild(element, segment, out);
    return;
  }
  if (Object.prototype.hasOwnProperty.call(value, segment)) {
    const child = value[segment];
    if (child !== undefined) out.push(child);
  }
}

export const sameScalar = (a: JsonValue, b: Scalar): boolean => typeof a === typeof b && a === b;

/**
 * Whether a value equals one of `list` ({@link sameScalar}), in constant time: one set per
 * type, so a long `in` list costs no more per value than a short one.
 */
function scalarSet(list: readonly Scalar[]): (v: JsonValue) => boolean {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const booleans = new Set<boolean>();
  for (const t of list) {
    if (typeof t === 'string') strings.add(t);
    else if (typeof t === 'number') numbers.add(t);
    else booleans.add(t);
  }
  return (v) =>
    typeof v === 'string'
      ? strings.has(v)
      : typeof v === 'number'
        ? numbers.has(v)
        : typeof v === 'boolean' && booleans.has(v);
}

/**
 * The bounds of a range that are numbers: a filter carried in a log entry is JSON, where
 * an absent bound may be null (validation takes null for absent, and so must apply).
 */
export function numberBounds(r: NumberRange): NumberRange {
  const out: NumberRange = {};
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    const v: unknown = r[bound];
    if (typeof v === 'number') out[bound] = v;
  }
  return out;
}

/** Whether `v` is a number within every bound of `r` (bounds as {@link numberBounds} gives them). */
export function inNumberRange(v: JsonValue, r: NumberRange): boolean {
  return (
    typeof v === 'number' &&
    (r.gt === undefined || v > r.gt) &&
    (r.gte === undefined || v >= r.gte) &&
    (r.lt === undefined || v < r.lt) &&
    (r.lte === undefined || v <= r.lte)
  );
}

/**
 * A datetime range with its bounds in epoch ms; bounds that are absent, null or (refused
 * by validation anyway) not timestamps are left out.
 */
export function datetimeBounds(r: DatetimeRange): NumberRange {
  const out: NumberRange = {};
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    const text: unknown = r[bound];
    const ms = typeof text === 'string' ? parseDatetime(text) : undefined;
    if (ms !== undefined) out[bound] = ms;
  }
  return out;
}

function compileField(c: FieldCondition): PointPredicate {
  const path = c.key.split('.');
  const values = (m: Metadata): JsonValue[] => valuesAt(m, path);
  if ('equals' in c) {
    const target = c.equals;
    return (m) => values(m).some((v) => sameScalar(v, target));
  }
  if ('in' in c) {
    const listed = scalarSet(c.in);
    return (m) => values(m).some(listed);
  }
  if ('notIn' in c) {
    const listed = scalarSet(c.notIn);
    return (m) => {
      const found = values(m);
      return found.length === 0 || found.some((v) => !listed(v));
    };
  }
  if ('range' in c) {
    const range = numberBounds(c.range);
    return (m) => values(m).some((v) => inNumberRange(v, range));
  }
  if ('datetimeRange' in c) {
    const bounds = datetimeBounds(c.datetimeRange);
    return (m) =>
      values(m).some((v) => {
        if (typeof v !== 'string') return false;
        const ms = parseDatetime(v);
        return ms !== undefined && inNumberRange(ms, bounds);
      });
  }
  if ('isNull' in c) return (m) => valuesAt(m, path, true).some((v) => v === null);
  if ('isEmpty' in c) return (m) => values(m).every((v) => v === null);
  return (m) => valuesAt(m, path, true).length > 0;
}

/** Which kind a condition is: the planner (filter-planner.ts) tells them apart alike. */
export function conditionKind(c: Condition): 'hasId' | 'filter' | 'field' {
  if ('hasId' in c && c.hasId !== undefined) return 'hasId';
  if ('filter' in c && c.filter !== undefined) return 'filter';
  return 'field';
}

function compileCondition(c: Condition): PointPredicate {
  switch (conditionKind(c)) {
    case 'hasId': {
      const ids = new Set((c as { hasId: string[] }).hasId);
      return (_m, id) => id !== undefined && ids.has(id);
    }
    case 'filter':
      return compileFilter((c as { filter: Filter }).filter);
    case 'field':
      return compileField(c as FieldCondition);
  }
}

/** Whether a filter has no condition at all (it matches every point). */
export const isEmptyFilter = (filter: Filter | undefined): boolean =>
  filter === undefined ||
  ((filter.must?.length ?? 0) === 0 &&
    (filter.should?.length ?? 0) === 0 &&
    (filter.mustNot?.length ?? 0) === 0);

/** Compiles a filter into a predicate on points. An absent or empty filter matches everything. */
export function compileFilter(filter: Filter | undefined): PointPredicate {
  if (filter === undefined || isEmptyFilter(filter)) return () => true;
  const must = (filter.must ?? []).map(compileCondition);
  const should = (filter.should ?? []).map(compileCondition);
  const mustNot = (filter.mustNot ?? []).map(compileCondition);
  const minShould = should.length === 0 ? 0 : (filter.minShould ?? 1);
  return (m, id) => {
    for (const p of must) if (!p(m, id)) return false;
    for (const p of mustNot) if (p(m, id)) return false;
    if (minShould === 0) return true;
    let held = 0;
    for (const p of should) if (p(m, id) && ++held >= minShould) return true;
    return false;
  };
}

/** Whether a point satisfies `filter`. For many points, compile once with {@link compileFilter}. */
export const matchesFilter = (
  filter: Filter | undefined,
  metadata: Metadata,
  id?: string,
): boolean => compileFilter(filter)(metadata, id);
