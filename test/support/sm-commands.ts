/**
 * Commands and reads for state-machine tests: builders for every write a log entry can
 * carry, applying them at the next indexes, and reading a whole collection back (with
 * the expected matches of a filter evaluated by filter.ts over every point, the oracle
 * the state machine's planner and payload indexes must agree with).
 */
import { expect } from 'vitest';
import type {
  ApplyResult,
  Command,
  Filter,
  Metadata,
  Metric,
  PayloadIndexType,
  PayloadUpdate,
  PointSelector,
  StoredPoint,
} from '../../src/domain.js';
import { compileFilter } from '../../src/storage/filter.js';
import type { VectorStateMachine } from '../../src/storage/state-machine.js';

export const create = (
  name: string,
  dimension: number,
  metric: Metric = 'l2',
  indexSpec = 'Flat',
): Command => ({ kind: 'createCollection', spec: { name, dimension, metric, indexSpec } });

export interface RawPoint {
  id: string;
  vector: Float32Array | readonly number[];
  metadata?: Metadata;
}

export const upsert = (collection: string, points: readonly RawPoint[]): Command => ({
  kind: 'upsert',
  collection,
  points: points.map((p) => ({
    id: p.id,
    vector: p.vector instanceof Float32Array ? p.vector : Float32Array.from(p.vector),
    metadata: p.metadata ?? {},
  })),
});

export const del = (collection: string, ids: string[]): Command => ({
  kind: 'delete',
  collection,
  ids,
});

export const deleteByFilter = (collection: string, filter: Filter): Command => ({
  kind: 'deleteByFilter',
  collection,
  filter,
});

export const updatePayload = (
  collection: string,
  points: PointSelector,
  update: PayloadUpdate,
): Command => ({ kind: 'updatePayload', collection, points, update });

export const setPayload = (collection: string, points: PointSelector, payload: Metadata) =>
  updatePayload(collection, points, { op: 'set', payload });

export const overwritePayload = (collection: string, points: PointSelector, payload: Metadata) =>
  updatePayload(collection, points, { op: 'overwrite', payload });

export const deleteKeys = (collection: string, points: PointSelector, keys: string[]) =>
  updatePayload(collection, points, { op: 'deleteKeys', keys });

export const createIndex = (collection: string, key: string, type: PayloadIndexType): Command => ({
  kind: 'createPayloadIndex',
  collection,
  index: { key, type },
});

export const dropIndex = (collection: string, key: string): Command => ({
  kind: 'dropPayloadIndex',
  collection,
  key,
});

/** Applies commands at the next indexes, one entry each; returns their results. */
export async function applyAll(sm: VectorStateMachine, ...cmds: Command[]): Promise<ApplyResult[]> {
  const out: ApplyResult[] = [];
  for (const cmd of cmds) out.push(await sm.apply(sm.appliedIndex + 1, cmd));
  return out;
}

/** Applies one command at the next index and returns its result. */
export async function applyOne(sm: VectorStateMachine, cmd: Command): Promise<ApplyResult> {
  return sm.apply(sm.appliedIndex + 1, cmd);
}

/** Applies commands that must succeed. */
export async function applyOk(sm: VectorStateMachine, ...cmds: Command[]): Promise<void> {
  for (const cmd of cmds) {
    const result = await applyOne(sm, cmd);
    expect(result.ok, `${cmd.kind}: ${JSON.stringify(result)}`).toBe(true);
  }
}

/** Byte order of UTF-8 ids: the order of scroll pages. */
export const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Every point of a collection (scrolled page by page), in id byte order. */
export async function scrollAll(
  sm: VectorStateMachine,
  collection: string,
  opts: { filter?: Filter; limit?: number; withVector?: boolean; withMetadata?: boolean } = {},
): Promise<StoredPoint[]> {
  const out: StoredPoint[] = [];
  let afterId: string | undefined;
  for (let pages = 0; ; pages++) {
    expect(pages, 'scroll does not end').toBeLessThan(1_000_000);
    const page = await sm.scroll({
      collection,
      limit: opts.limit ?? 1_000,
      withVector: opts.withVector ?? false,
      withMetadata: opts.withMetadata ?? true,
      ...(afterId !== undefined && { afterId }),
      ...(opts.filter !== undefined && { filter: opts.filter }),
    });
    out.push(...page.points);
    if (page.nextAfterId === undefined) return out;
    expect(page.points.length, 'a page with a next one is full').toBe(opts.limit ?? 1_000);
    expect(page.nextAfterId).toBe(page.points[page.points.length - 1]!.id);
    afterId = page.nextAfterId;
  }
}

/** The ids (byte order) among `points` that match `filter`, by filter.ts alone. */
export function expectedIds(points: readonly StoredPoint[], filter: Filter | undefined): string[] {
  const predicate = compileFilter(filter);
  return points
    .filter((p) => predicate(p.metadata ?? {}, p.id))
    .map((p) => p.id)
    .sort(byteOrder);
}

/** The ids a filter matches in a collection now, by filter.ts over every stored point. */
export async function oracleIds(
  sm: VectorStateMachine,
  collection: string,
  filter: Filter | undefined,
): Promise<string[]> {
  return expectedIds(await scrollAll(sm, collection), filter);
}
