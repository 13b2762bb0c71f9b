/**
 * Which points match a filter, using the collection's payload indexes where they can
 * answer: a condition an index answers becomes a set of labels, `must` intersects
 * those sets, `should` unites them (when every one of its conditions is answered), a
 * nested filter is planned the same way. What the indexes narrow the points to is then
 * checked against the whole filter (filter.ts), unless every condition was answered
 * exactly; with nothing to narrow by, every point is checked. So an index changes how
 * fast a filter runs, never what it matches (test/storage/filter-property.test.ts).
 */
import type { Condition, FieldCondition, Filter, Metadata } from '../domain.js';
import {
  compileFilter,
  conditionKind,
  datetimeBounds,
  isEmptyFilter,
  numberBounds,
} from './filter.js';
import { sortedHas } from '../index/collection-index.js';
import { uniqueSorted, type PayloadIndex } from './payload-index.js';

/** What the planner reads of a collection. */
export interface PlannerView {
  /** Payload indexes by key. */
  readonly payloadIndexes: ReadonlyMap<string, PayloadIndex>;
  readonly idToLabel: ReadonlyMap<string, number>;
  /** label → point. */
  readonly points: ReadonlyMap<number, { id: string; metadata: Metadata }>;
}

/** Labels (sorted, each once) a plan narrowed a filter to; `exact`: they are exactly the matches. */
interface Narrowed {
  labels: Float64Array;
  exact: boolean;
}

function narrowCondition(condition: Condition, view: PlannerView): Narrowed | undefined {
  const kind = conditionKind(condition);
  if (kind === 'filter') return narrowFilter((condition as { filter: Filter }).filter, view);
  if (kind === 'hasId') {
    const labels: number[] = [];
    for (const id of (condition as { hasId: string[] }).hasId) {
      const label = view.idToLabel.get(id);
      if (label !== undefined) labels.push(label);
    }
    return { labels: uniqueSorted(Float64Array.from(labels).sort()), exact: true };
  }
  const c = condition as FieldCondition;
  const index = view.payloadIndexes.get(c.key);
  if (index === undefined) return undefined;
  if ('equals' in c || 'in' in c) {
    const targets = 'equals' in c ? [c.equals] : c.in;
    if (!targets.every((t) => index.canMatch(t))) return undefined;
    return { labels: index.labelsEqual(targets), exact: true };
  }
  if ('range' in c && index.answersRanges) return index.labelsInRange(numberBounds(c.range));
  if ('datetimeRange' in c && index.spec.type === 'datetime')
    return index.labelsInRange(datetimeBounds(c.datetimeRange));
  return undefined;
}

/** The labels in every one of `sets` (each sorted): the smallest, searched in the others. */
function intersect(sets: Float64Array[]): Float64Array {
  sets.sort((a, b) => a.length - b.length);
  const [smallest, ...rest] = sets;
  const out = new Float64Array(smallest!.length);
  let n = 0;
  for (const label of smallest!) if (rest.every((s) => sortedHas(s, label))) out[n++] = label;
  return out.subarray(0, n);
}

/** The labels in any of `sets` (each sorted). */
function unite(sets: Float64Array[]): Float64Array {
  const all = new Float64Array(sets.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of sets) {
    all.set(s, at);
    at += s.length;
  }
  return uniqueSorted(all.sort());
}

/** The labels a filter's indexed conditions narrow it to; undefined when none do. */
function narrowFilter(filter: Filter, view: PlannerView): Narrowed | undefined {
  const sets: Float64Array[] = [];
  let exact = true;
  for (const c of filter.must ?? []) {
    const n = narrowCondition(c, view);
    if (n === undefined) exact = false;
    else {
      sets.push(n.labels);
      exact &&= n.exact;
    }
  }
  const should = filter.should ?? [];
  if (should.length > 0) {
    const parts = should.map((c) => narrowCondition(c, view));
    if (parts.every((p) => p !== undefined)) {
      // A match holds at least one should condition: it is in their union.
      sets.push(unite(parts.map((p) => p!.labels)));
      exact &&= (filter.minShould ?? 1) === 1 && parts.every((p) => p!.exact);
    } else exact = false;
  }
  if ((filter.mustNot ?? []).length > 0) exact = false;
  if (sets.length === 0) return undefined;
  return { labels: sets.length === 1 ? sets[0]! : intersect(sets), exact };
}

/**
 * The labels of the points matching `filter`, in ascending order (the same on every
 * replica, whatever order their maps were built in). Undefined filter: every point.
 */
export function matchingLabels(view: PlannerView, filter: Filter | undefined): Float64Array {
  if (filter === undefined || isEmptyFilter(filter))
    return Float64Array.from(view.points.keys()).sort();
  const narrowed = narrowFilter(filter, view);
  if (narrowed?.exact) return narrowed.labels;
  const predicate = compileFilter(filter);
  const out: number[] = [];
  for (const label of narrowed === undefined ? view.points.keys() : narrowed.labels) {
    const point = view.points.get(label);
    if (point !== undefined && predicate(point.metadata, point.id)) out.push(label);
  }
  return Float64Array.from(out).sort();
}

/** How many points match `filter` (no sort needed). */
export function countMatching(view: PlannerView, filter: Filter | undefined): number {
  if (filter === undefined || isEmptyFilter(filter)) return view.points.size;
  const narrowed = narrowFilter(filter, view);
  if (narrowed?.exact) return narrowed.labels.length;
  const predicate = compileFilter(filter);
  let n = 0;
  const labels = narrowed === undefined ? view.points.keys() : narrowed.labels;
  for (const label of labels) {
    const point = view.points.get(label);
    if (point !== undefined && predicate(point.metadata, point.id)) n++;
  }
  return n;
}
