/**
 * A quick refutation for models with implied states (a register), made before
 * any search. A read is impossible when every operation that could have produced
 * the state it observed began after the read completed, or was overwritten
 * before the read began: a completed state change began after it completed, and
 * completed before the read began. These are the stale read and the read from
 * the future; the search would find them too, but only after trying every
 * configuration that precedes them, which on a busy key can take very long.
 */
import type { Operation } from './history.js';
import type { Model } from './models.js';

/** Positions are in the `ops` given to `findImpossibleReads`. */
export interface ImpossibleRead {
  readonly read: number;
  /** Whether the state read is the initial state, which counts as produced before everything. */
  readonly initialState: boolean;
  /** The operations that would leave the state observed and began before the read completed. */
  readonly producers: readonly number[];
  /** The completed state change, begun last before the read began, that overwrote every producer above (if any). */
  readonly overwrittenBy: number | undefined;
}

interface Positioned {
  readonly op: Operation;
  readonly at: number;
}

/** `ops` are those of one key, as the search gets them: no failed operations, no indeterminate reads. */
export function findImpossibleReads<S>(
  ops: readonly Operation[],
  model: Model<S>,
): ImpossibleRead[] {
  const { impliedState } = model;
  if (impliedState === undefined) return [];
  const stateKey = (op: Operation): string => model.hash(impliedState(op));
  const initialKey = model.hash(model.init());
  const positioned = ops.map((op, at) => ({ op, at }));
  const reads = positioned.filter(({ op }) => model.isReadOnly(op));
  const changes = positioned.filter(({ op }) => !model.isReadOnly(op));

  const producersByState = new Map<string, Positioned[]>();
  for (const change of changes) {
    const producers = producersByState.get(stateKey(change.op));
    if (producers === undefined) producersByState.set(stateKey(change.op), [change]);
    else producers.push(change);
  }
  const lastOverwriteBefore = overwrites(changes.filter(({ op }) => op.outcome === 'ok'));

  const impossible: ImpossibleRead[] = [];
  for (const { op: read, at } of reads) {
    const key = stateKey(read);
    const overwrite = lastOverwriteBefore(read.invokeTime);
    // Equal times count as concurrent, as in the search's list of entries.
    const producers = (producersByState.get(key) ?? []).filter(
      ({ op }) => op.invokeTime <= read.completeTime,
    );
    const overwritten = (p: Positioned): boolean =>
      overwrite !== undefined && p.op.completeTime < overwrite.op.invokeTime;
    const initialState = key === initialKey;
    const fresh =
      (initialState && overwrite === undefined) || producers.some((p) => !overwritten(p));
    if (!fresh) {
      impossible.push({
        read: at,
        initialState,
        producers: producers.map((p) => p.at),
        overwrittenBy: overwrite?.at,
      });
    }
  }
  return impossible;
}

/**
 * Given the completed state changes, a function of time t: among those that
 * completed before t, the one that began last. Whatever completed before that
 * one began was overwritten by t.
 */
function overwrites(completed: readonly Positioned[]): (t: number) => Positioned | undefined {
  const byCompletion = [...completed].sort((a, b) => a.op.completeTime - b.op.completeTime);
  // latestBegun[k]: the change that began last among byCompletion[0..k].
  const latestBegun: Positioned[] = [];
  for (const change of byCompletion) {
    const previous = latestBegun[latestBegun.length - 1];
    latestBegun.push(
      previous !== undefined && previous.op.invokeTime >= change.op.invokeTime ? previous : change,
    );
  }
  return (t) => {
    let low = 0;
    let high = byCompletion.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((byCompletion[mid]?.op.completeTime ?? Infinity) < t) low = mid + 1;
      else high = mid;
    }
    return latestBegun[low - 1];
  };
}
