/**
 * Evaluation of metadata filters (see `Filter` in domain.ts).
 *
 * - Every condition must hold (AND); an empty `must` matches everything.
 * - A key is a dotted path into nested objects (`author.name`). When the path
 *   walks through an array, every element is followed (`tags.name` over
 *   `{"tags":[{"name":"a"},{"name":"b"}]}` yields "a" and "b"), and an array at
 *   the end of the path contributes its elements — like Qdrant, a condition on
 *   an array field holds when any element satisfies it.
 * - `equals` matches a scalar equal in type and value (`1` never equals `"1"`
 *   or `true`); `in` matches when any listed scalar equals; `range` holds for a
 *   number within every given bound (`gt`, `gte`, `lt`, `lte`); values that are
 *   not numbers never satisfy a range.
 * - A missing key satisfies no condition.
 */
import type { Condition, Filter, JsonValue, Metadata, Scalar } from '../domain.js';

export type MetadataPredicate = (metadata: Metadata) => boolean;

/** The values found at a dotted path, with arrays flattened. */
export function valuesAt(metadata: Metadata, path: readonly string[]): JsonValue[] {
  let current: JsonValue[] = [metadata];
  for (const segment of path) {
    const next: JsonValue[] = [];
    for (const value of current) collectChild(value, segment, next);
    if (next.length === 0) return next;
    current = next;
  }
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

const sameScalar = (a: JsonValue, b: Scalar): boolean => typeof a === typeof b && a === b;

function compileCondition(c: Condition): MetadataPredicate {
  const path = c.key.split('.');
  if ('equals' in c) {
    const target = c.equals;
    return (m) => valuesAt(m, path).some((v) => sameScalar(v, target));
  }
  if ('in' in c) {
    const targets = c.in;
    return (m) => valuesAt(m, path).some((v) => targets.some((t) => sameScalar(v, t)));
  }
  const { gt, gte, lt, lte } = c.range;
  const inRange = (v: JsonValue): boolean =>
    typeof v === 'number' &&
    (gt === undefined || gt === null || v > gt) &&
    (gte === undefined || gte === null || v >= gte) &&
    (lt === undefined || lt === null || v < lt) &&
    (lte === undefined || lte === null || v <= lte);
  return (m) => valuesAt(m, path).some(inRange);
}

/** Compiles a filter into a predicate on metadata. An absent filter matches everything. */
export function compileFilter(filter: Filter | undefined): MetadataPredicate {
  if (!filter || filter.must.length === 0) return () => true;
  const predicates = filter.must.map(compileCondition);
  return (m) => predicates.every((p) => p(m));
}

/** Whether `metadata` satisfies `filter`. For many points, compile once with {@link compileFilter}. */
export const matchesFilter = (filter: Filter | undefined, metadata: Metadata): boolean =>
  compileFilter(filter)(metadata);
