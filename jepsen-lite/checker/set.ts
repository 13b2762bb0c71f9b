/**
 * The set workload's checker: clients insert unique ids, then one or more final
 * reads list the ids present. Every acknowledged insert must be present exactly
 * once, nothing never attempted may appear, and a failed insert must be absent
 * (fail means "not applied"). Indeterminate inserts may go either way.
 */
import type { Operation, Outcome } from './history.js';

export interface InsertAttempt {
  readonly id: string;
  readonly outcome: Outcome;
}

export interface SetReadReport {
  readonly name: string;
  /** True iff lost, unexpected, duplicated and failedButPresent are all empty. */
  readonly valid: boolean;
  /** Acknowledged but absent. */
  readonly lost: readonly string[];
  /** Present but never attempted. */
  readonly unexpected: readonly string[];
  /** Present more than once. */
  readonly duplicated: readonly string[];
  /** Failed, yet present: the failure was a lie. */
  readonly failedButPresent: readonly string[];
  /** Indeterminate and present: allowed, counted for information. */
  readonly recovered: readonly string[];
  readonly counts: SetReadCounts;
}

export interface SetReadCounts {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Distinct ids in the read. */
  readonly present: number;
  readonly lost: number;
  readonly unexpected: number;
  readonly duplicated: number;
  readonly failedButPresent: number;
  readonly recovered: number;
}

/** Two final reads that saw different sets of ids. */
export interface ReadDisagreement {
  /** The first read, which the others are compared with. */
  readonly reference: string;
  readonly other: string;
  /** In the reference read but not in the other. */
  readonly missing: readonly string[];
  /** In the other read but not in the reference. */
  readonly extra: readonly string[];
}

export interface SetCheckResult {
  /** Every read is valid and all reads saw the same set: final reads come after the cluster healed. */
  readonly valid: boolean;
  readonly reads: readonly SetReadReport[];
  readonly disagreements: readonly ReadDisagreement[];
}

export type SetInputReason = 'duplicate-attempt' | 'no-final-read' | 'insert-without-id';

/** The checker's input is unusable: a bug in the runner, not in the system under test. */
export class SetInputError extends Error {
  readonly code = 'SET_INPUT' as const;
  readonly reason: SetInputReason;

  constructor(reason: SetInputReason, detail: string) {
    super(detail);
    this.name = 'SetInputError';
    this.reason = reason;
  }
}

/** The insert attempts of a paired history: its `insert` operations, whose value is the id. */
export function insertAttempts(operations: readonly Operation[]): InsertAttempt[] {
  return operations
    .filter((op) => op.f === 'insert')
    .map((op) => {
      if (typeof op.value !== 'string') {
        throw new SetInputError(
          'insert-without-id',
          `insert invoked at event ${op.invokeIndex} carries no id`,
        );
      }
      return { id: op.value, outcome: op.outcome };
    });
}

/** Checks each final read (name → ids seen, in any order) against the attempts. */
export function checkSet(
  attempts: readonly InsertAttempt[],
  finalReads: Readonly<Record<string, readonly string[]>>,
): SetCheckResult {
  const outcomes = outcomeById(attempts);
  const names = Object.keys(finalReads);
  if (names.length === 0) throw new SetInputError('no-final-read', 'no final read to check');

  const reads = names.map((name) => checkRead(name, finalReads[name] ?? [], attempts, outcomes));
  const disagreements = compareReads(names, finalReads);
  return {
    valid: reads.every((r) => r.valid) && disagreements.length === 0,
    reads,
    disagreements,
  };
}

function outcomeById(attempts: readonly InsertAttempt[]): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  for (const { id, outcome } of attempts) {
    if (outcomes.has(id)) {
      throw new SetInputError('duplicate-attempt', `id ${JSON.stringify(id)} was attempted twice`);
    }
    outcomes.set(id, outcome);
  }
  return outcomes;
}

function checkRead(
  name: string,
  ids: readonly string[],
  attempts: readonly InsertAttempt[],
  outcomes: ReadonlyMap<string, Outcome>,
): SetReadReport {
  const timesSeen = new Map<string, number>();
  for (const id of ids) timesSeen.set(id, (timesSeen.get(id) ?? 0) + 1);
  const present = (id: string): boolean => timesSeen.has(id);
  const withOutcome = (outcome: Outcome): string[] =>
    attempts.filter((a) => a.outcome === outcome).map((a) => a.id);

  const lost = withOutcome('ok').filter((id) => !present(id));
  const failedButPresent = withOutcome('fail').filter(present);
  const recovered = withOutcome('info').filter(present);
  const unexpected = [...timesSeen.keys()].filter((id) => !outcomes.has(id));
  const duplicated = [...timesSeen].filter(([, n]) => n > 1).map(([id]) => id);

  return {
    name,
    valid:
      lost.length === 0 &&
      unexpected.length === 0 &&
      duplicated.length === 0 &&
      failedButPresent.length === 0,
    lost,
    unexpected,
    duplicated,
    failedButPresent,
    recovered,
    counts: {
      attempted: attempts.length,
      acknowledged: withOutcome('ok').length,
      failed: withOutcome('fail').length,
      indeterminate: withOutcome('info').length,
      present: timesSeen.size,
      lost: lost.length,
      unexpected: unexpected.length,
      duplicated: duplicated.length,
      failedButPresent: failedButPresent.length,
      recovered: recovered.length,
    },
  };
}

function compareReads(
  names: readonly string[],
  finalReads: Readonly<Record<string, readonly string[]>>,
): ReadDisagreement[] {
  const [reference, ...others] = names;
  if (reference === undefined) return [];
  const referenceIds = new Set(finalReads[reference]);
  const disagreements: ReadDisagreement[] = [];
  for (const other of others) {
    const otherIds = new Set(finalReads[other]);
    const missing = [...referenceIds].filter((id) => !otherIds.has(id));
    const extra = [...otherIds].filter((id) => !referenceIds.has(id));
    if (missing.length > 0 || extra.length > 0) {
      disagreements.push({ reference, other, missing, extra });
    }
  }
  return disagreements;
}
