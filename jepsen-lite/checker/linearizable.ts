/**
 * The linearizability checker: splits the operations per key (each key is an
 * independent object, so a history is linearizable iff every key's sub-history
 * is — Porcupine's partitioning), then checks each key within a budget: first
 * for impossible reads, then by searching for a linearization.
 */
import type { Operation } from './history.js';
import { findImpossibleReads } from './impossible-reads.js';
import type { Model } from './models.js';
import { searchLinearization, type Budget, type DeadEnd } from './search.js';

export type { Budget } from './search.js';

/** `'unknown'` when the budget ran out before the search could decide. */
export type Verdict = true | false | 'unknown';

export interface KeyResult {
  readonly key: string;
  readonly valid: Verdict;
  /** Operations checked: completed ones, and indeterminate ones that may change the state. */
  readonly ops: number;
  /** Of which indeterminate (outcome `info`). */
  readonly infoOps: number;
  /** Operations left out: failed ones, and indeterminate read-only ones. */
  readonly dropped: number;
  /** Iterations of the search: moves tried, and backtracks. */
  readonly steps: number;
  readonly millis: number;
  /** Which limit of the budget ran out, when `valid` is `'unknown'`. */
  readonly exceeded?: 'steps' | 'time';
}

/** A key whose operations have no linearization, and why. */
export interface LinearizabilityAnomaly {
  readonly key: string;
  readonly message: string;
  /** The longest linearizable prefix the search found, in linearization order. */
  readonly prefix: readonly Operation[];
  /** The model's state after that prefix, described by the model. */
  readonly stateAfterPrefix: string;
  /** The operations that could come after that prefix, none of which leads anywhere. */
  readonly stuck: readonly Operation[];
  /** Reads still to be linearized after that prefix whose state nothing left could produce. */
  readonly orphanedReads: readonly Operation[];
  /** Reads shown impossible before any search: stale, or from the future. */
  readonly impossibleReads: readonly ImpossibleReadWitness[];
  /** History indexes (invoke and completion) of the operations above, to link a report to the history. */
  readonly eventIndexes: readonly number[];
}

export interface ImpossibleReadWitness {
  readonly read: Operation;
  /** Whether the state read is the initial state, which counts as produced before everything. */
  readonly initialState: boolean;
  /** The operations that would leave the state read and began before the read completed. */
  readonly producers: readonly Operation[];
  /** The completed operation that overwrote all of them before the read began, if there were any. */
  readonly overwrittenBy: Operation | undefined;
}

export interface LinearizabilityResult {
  readonly valid: Verdict;
  readonly perKey: ReadonlyMap<string, KeyResult>;
  readonly anomalies: readonly LinearizabilityAnomaly[];
}

/** The key of operations that carry none: they form one object of their own. */
export const NO_KEY = '';

const VERDICTS = { linearizable: true, 'not-linearizable': false, unknown: 'unknown' } as const;

/**
 * Once impossible reads settle a key, the search only looks for a witness
 * prefix, and stops looking after this many steps.
 */
const WITNESS_STEPS = 20_000;

/**
 * Checks that `operations` (from pairOperations) are linearizable with respect to
 * `model`, key by key. The budget applies to each key separately.
 */
export function checkLinearizable<S>(
  operations: readonly Operation[],
  model: Model<S>,
  budget: Budget = {},
): LinearizabilityResult {
  const perKey = new Map<string, KeyResult>();
  const anomalies: LinearizabilityAnomaly[] = [];

  for (const [key, ops] of partitionByKey(operations)) {
    const startedAt = performance.now();
    const checked = ops.filter((op) => mayTakeEffect(op, model));
    const at = (i: number): Operation => checked[i] as Operation;
    const impossible = findImpossibleReads(checked, model).map((found) => ({
      read: at(found.read),
      initialState: found.initialState,
      producers: found.producers.map(at),
      overwrittenBy: found.overwrittenBy === undefined ? undefined : at(found.overwrittenBy),
    }));
    const result = searchLinearization(
      checked,
      model,
      impossible.length > 0 ? witnessBudget(budget) : budget,
    );
    const valid = impossible.length > 0 ? false : VERDICTS[result.verdict];

    perKey.set(key, {
      key,
      valid,
      ops: checked.length,
      infoOps: checked.filter((op) => op.outcome === 'info').length,
      dropped: ops.length - checked.length,
      steps: result.steps,
      millis: performance.now() - startedAt,
      exceeded: valid === 'unknown' && result.verdict === 'unknown' ? result.exceeded : undefined,
    });
    if (valid === false) {
      const deepest = result.verdict === 'linearizable' ? undefined : result.deepest;
      anomalies.push(describeAnomaly(key, checked, deepest, impossible, model));
    }
  }

  return { valid: overallVerdict([...perKey.values()]), perKey, anomalies };
}

function partitionByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const partitions = new Map<string, Operation[]>();
  for (const op of operations) {
    const key = op.key ?? NO_KEY;
    const partition = partitions.get(key);
    if (partition === undefined) partitions.set(key, [op]);
    else partition.push(op);
  }
  return partitions;
}

/**
 * A failed operation provably did not take effect, and an indeterminate read
 * observed nothing we know of: neither constrains the search.
 */
function mayTakeEffect<S>(op: Operation, model: Model<S>): boolean {
  if (op.outcome === 'fail') return false;
  return !(op.outcome === 'info' && model.isReadOnly(op));
}

function witnessBudget(budget: Budget): Budget {
  return { ...budget, maxSteps: Math.min(budget.maxSteps ?? Infinity, WITNESS_STEPS) };
}

function overallVerdict(results: readonly KeyResult[]): Verdict {
  if (results.some((r) => r.valid === false)) return false;
  if (results.some((r) => r.valid === 'unknown')) return 'unknown';
  return true;
}

function describeAnomaly<S>(
  key: string,
  ops: readonly Operation[],
  deepest: DeadEnd<S> | undefined,
  impossibleReads: readonly ImpossibleReadWitness[],
  model: Model<S>,
): LinearizabilityAnomaly {
  const at = (i: number): Operation => ops[i] as Operation;
  const prefix = deepest?.prefix.map(at) ?? [];
  const stuck = deepest?.stuck.map(at) ?? [];
  const orphanedReads = deepest?.orphanedReads.map(at) ?? [];
  const stateAfterPrefix = model.describeState(deepest?.stateAfterPrefix ?? model.init());

  const reasons = impossibleReads.map((witness) => explainImpossible(witness, model));
  if (deepest !== undefined) {
    reasons.push(
      `after ${prefix.length} operation(s) the state is ${stateAfterPrefix}, and none of these ` +
        `can come next: ${list(stuck, model)}`,
    );
  }
  if (orphanedReads.length > 0) {
    reasons.push(
      `these reads observe a state that nothing left can produce: ${list(orphanedReads, model)}`,
    );
  }
  const involved = [
    ...impossibleReads.flatMap((w) => [
      w.read,
      ...w.producers,
      ...(w.overwrittenBy ? [w.overwrittenBy] : []),
    ]),
    ...stuck,
    ...orphanedReads,
  ];
  return {
    key,
    message: `key ${JSON.stringify(key)} is not linearizable: ${reasons.join('; ')}`,
    prefix,
    stateAfterPrefix,
    stuck,
    orphanedReads,
    impossibleReads,
    eventIndexes: eventIndexes(involved),
  };
}

function explainImpossible<S>(witness: ImpossibleReadWitness, model: Model<S>): string {
  const { read, initialState, producers, overwrittenBy } = witness;
  const subject = `${describe(read, model)} is impossible`;
  const sources = [
    ...(initialState ? ['the initial state'] : []),
    ...producers.map((op) => describe(op, model)),
  ];
  if (overwrittenBy === undefined || sources.length === 0) {
    return `${subject}: nothing that could produce its state began before it completed`;
  }
  return (
    `${subject}: only ${sources.join(', ')} could produce its state, and ` +
    `${describe(overwrittenBy, model)} overwrote it before the read began`
  );
}

/** Completed operations first, as indeterminate ones are seldom the culprits; at most a few. */
function list<S>(ops: readonly Operation[], model: Model<S>): string {
  const ordered = [
    ...ops.filter((op) => op.outcome !== 'info'),
    ...ops.filter((op) => op.outcome === 'info'),
  ];
  const shown = ordered.slice(0, LISTED).map((op) => describe(op, model));
  const more = ordered.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** How many operations a message lists; the anomaly's fields list them all. */
const LISTED = 8;

function describe<S>(op: Operation, model: Model<S>): string {
  return `${model.describe(op)} (${eventsOf(op)})`;
}

/** e.g. "process 3, events 12–15" or "process 3, event 12, never completed". */
function eventsOf(op: Operation): string {
  const events =
    op.completeIndex === undefined
      ? `event ${op.invokeIndex}, never completed`
      : `events ${op.invokeIndex}–${op.completeIndex}`;
  return `process ${op.process}, ${events}${op.outcome === 'info' ? ', indeterminate' : ''}`;
}

function eventIndexes(ops: readonly Operation[]): number[] {
  const indexes = ops.flatMap((op) =>
    op.completeIndex === undefined ? [op.invokeIndex] : [op.invokeIndex, op.completeIndex],
  );
  return [...new Set(indexes)].sort((a, b) => a - b);
}
