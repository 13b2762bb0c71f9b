/**
 * Wing & Gong's linearizability search with Lowe's memoization, as in Porcupine's
 * checkSingle: a depth-first search over configurations (which operations are
 * linearized, and the model's state), none explored twice. The calls that may
 * be linearized next are those before the first return entry still in the
 * time-ordered list; linearizing one lifts its entries out of the list, and
 * backtracking puts them back. When no call can be, the configuration is dead.
 *
 * A busy key would still cost every interleaving of its concurrent operations,
 * so the moves are chosen with care (see `movesFrom`), and reads that nothing
 * left can satisfy end a branch early (see OrphanedReads).
 */
import { Bitset } from './bitset.js';
import { buildEntryList, lift, unlift, type Entry } from './entry-list.js';
import type { Operation } from './history.js';
import type { Model } from './models.js';
import { OrphanedReads } from './orphaned-reads.js';

/** Limits for one partition's search; when one is exceeded the answer is "unknown". */
export interface Budget {
  readonly maxMillis?: number;
  readonly maxSteps?: number;
}

export type SearchResult<S> =
  | { readonly verdict: 'linearizable'; readonly steps: number }
  | { readonly verdict: 'not-linearizable'; readonly steps: number; readonly deepest: DeadEnd<S> }
  | {
      readonly verdict: 'unknown';
      readonly steps: number;
      readonly exceeded: 'steps' | 'time';
      /** The deepest dead end met before the budget ran out, if any. */
      readonly deepest: DeadEnd<S> | undefined;
    };

/** Where the search got stuck, deepest first found; positions are in the `ops` given to the search. */
export interface DeadEnd<S> {
  /** The operations linearized so far, in linearization order. */
  readonly prefix: readonly number[];
  readonly stateAfterPrefix: S;
  /** The operations that could have come next, none of which leads to a linearization. */
  readonly stuck: readonly number[];
  /** Reads still to be linearized whose state nothing left could produce (see OrphanedReads). */
  readonly orphanedReads: readonly number[];
}

/** Reading the clock at every step would cost more than the step itself. */
const CLOCK_EVERY_STEPS = 256;

/** Linearizing `call` next, which takes the model to `next`. */
interface Move<S> {
  readonly call: Entry;
  readonly next: S;
}

/** A configuration on the current path of the search, with the moves left to try from it. */
interface ChoicePoint<S> {
  readonly state: S;
  /** Identifies the configuration: the operations linearized, and the state. */
  readonly key: string;
  readonly moves: ReadonlyArray<Move<S>>;
  tried: number;
  /** The move that led to the next configuration on the path. */
  taken: Move<S> | undefined;
}

/**
 * Searches for a linearization of `ops` (all on one object). Operations with
 * outcome `info` may be linearized at any time after their invocation or left
 * out; every other operation must be linearized between its invocation and its
 * completion. Failed operations must have been removed by the caller.
 */
export function searchLinearization<S>(
  ops: readonly Operation[],
  model: Model<S>,
  budget: Budget = {},
): SearchResult<S> {
  return new LinearizationSearch(ops, model).run(budget);
}

class LinearizationSearch<S> {
  private readonly head: Entry;
  private readonly linearized: Bitset;
  /** Lowe's memo: configurations from which no linearization exists. */
  private readonly dead = new Set<string>();
  private readonly orphanedReads: OrphanedReads<S> | undefined;
  private readonly path: Array<ChoicePoint<S>> = [];
  /** Completed operations not linearized yet: the search succeeds when none is left. */
  private mustLinearize: number;
  private deepestDeadEnd: DeadEnd<S> | undefined;

  constructor(
    private readonly ops: readonly Operation[],
    private readonly model: Model<S>,
  ) {
    this.head = buildEntryList(ops);
    this.linearized = new Bitset(ops.length);
    this.orphanedReads = OrphanedReads.track(ops, model);
    this.mustLinearize = ops.filter((op) => op.outcome !== 'info').length;
  }

  run(budget: Budget): SearchResult<S> {
    const startedAt = performance.now();
    let steps = 0;
    const initial = this.model.init();
    this.enter(initial, this.configurationKey(initial));

    while (this.mustLinearize > 0) {
      steps++;
      const exceeded = budgetExceeded(budget, steps, startedAt);
      if (exceeded !== undefined) {
        return { verdict: 'unknown', steps, exceeded, deepest: this.deepestDeadEnd };
      }

      const point = this.path[this.path.length - 1] as ChoicePoint<S>;
      const move = point.moves[point.tried++];
      if (move !== undefined) {
        this.take(point, move);
        continue;
      }
      this.dead.add(point.key);
      this.recordDeadEnd(point.state);
      this.path.pop();
      const parent = this.path[this.path.length - 1];
      if (parent === undefined) {
        return { verdict: 'not-linearizable', steps, deepest: this.deepestDeadEnd as DeadEnd<S> };
      }
      this.undo(parent);
    }
    return { verdict: 'linearizable', steps };
  }

  private enter(state: S, key: string): void {
    this.path.push({ state, key, moves: this.movesFrom(state), tried: 0, taken: undefined });
  }

  /** Linearizes the move's operation, unless that leads to a configuration known to be dead. */
  private take(point: ChoicePoint<S>, move: Move<S>): void {
    this.mark(move.call, 1);
    const key = this.configurationKey(move.next);
    if (this.dead.has(key)) {
      this.mark(move.call, -1);
      return;
    }
    lift(move.call);
    point.taken = move;
    this.enter(move.next, key);
  }

  /** Undoes the move taken from `point`, back to its configuration. */
  private undo(point: ChoicePoint<S>): void {
    const { call } = point.taken as Move<S>;
    this.mark(call, -1);
    unlift(call);
    point.taken = undefined;
  }

  /** Records that the call's operation was linearized (+1), or no longer is (-1). */
  private mark(call: Entry, change: 1 | -1): void {
    if (change === 1) this.linearized.add(call.op);
    else this.linearized.delete(call.op);
    if (call.match !== null) this.mustLinearize -= change;
    this.orphanedReads?.update(call.op, change);
  }

  private configurationKey(state: S): string {
    return `${this.linearized.key()}|${this.model.hash(state)}`;
  }

  /**
   * The moves from the current configuration, best first.
   *
   * A read-only operation legal now is the only move: if any linearization exists
   * from here, moving that read to the front keeps it valid (it changes no state,
   * and whatever must precede it already does). Otherwise the moves are the
   * state-changing operations legal now, unless an orphaned read forbids any
   * change, soonest deadline first (see `byDeadline`); with a model of implied
   * states, an indeterminate one only if a read waiting now observes its state.
   */
  private movesFrom(state: S): Array<Move<S>> {
    const allowance = this.orphanedReads?.allowance(state) ?? 'any';
    if (allowance === 'none') return [];
    const changes: Array<Move<S>> = [];
    const waitingReads: Operation[] = [];
    for (const call of candidateCalls(this.head)) {
      const op = this.op(call);
      const { ok, next } = this.model.step(state, op);
      if (this.model.isReadOnly(op)) {
        if (ok) return [{ call, next }];
        waitingReads.push(op);
      } else if (ok && allowance === 'any') {
        changes.push({ call, next });
      }
    }
    const observedNow = (move: Move<S>): boolean =>
      waitingReads.some((read) => this.model.step(move.next, read).ok);
    const worthTrying = (move: Move<S>): boolean =>
      this.model.impliedState === undefined || move.call.match !== null || observedNow(move);
    return this.byDeadline(changes.filter(worthTrying));
  }

  /**
   * Orders the moves by when their effect must have happened at the latest,
   * earliest first: by the operation's own completion, or by the completion of
   * the first read still to be linearized that observes the state it leaves. One
   * walk along the list suffices, as its return entries are in time order.
   */
  private byDeadline(moves: ReadonlyArray<Move<S>>): Array<Move<S>> {
    const deadlines = new Map<Move<S>, number>();
    let unresolved = moves.filter((move) => move.call.match !== null).length;
    for (let e = this.head.next; e !== null && unresolved > 0; e = e.next) {
      if (e.kind !== 'return') continue;
      const op = this.op(e);
      const readOnly = this.model.isReadOnly(op);
      for (const move of moves) {
        if (deadlines.has(move)) continue;
        if (move.call.match === e || (readOnly && this.model.step(move.next, op).ok)) {
          deadlines.set(move, op.completeTime);
          if (move.call.match !== null) unresolved--;
        }
      }
    }
    const deadline = (move: Move<S>): number => deadlines.get(move) ?? Infinity;
    return [...moves].sort((a, b) => deadline(a) - deadline(b));
  }

  private recordDeadEnd(state: S): void {
    const depth = this.path.length - 1;
    if (this.deepestDeadEnd !== undefined && depth <= this.deepestDeadEnd.prefix.length) return;
    this.deepestDeadEnd = {
      prefix: this.path.slice(0, depth).map((point) => (point.taken as Move<S>).call.op),
      stateAfterPrefix: state,
      stuck: candidateCalls(this.head).map((call) => call.op),
      orphanedReads: this.orphanedReads?.orphans((i) => this.linearized.has(i)) ?? [],
    };
  }

  private op(entry: Entry): Operation {
    return this.ops[entry.op] as Operation;
  }
}

/** The calls that may be linearized next: those before the first return entry. */
function candidateCalls(head: Entry): Entry[] {
  const calls: Entry[] = [];
  for (let e = head.next; e !== null && e.kind === 'call'; e = e.next) calls.push(e);
  return calls;
}

function budgetExceeded(
  budget: Budget,
  steps: number,
  startedAt: number,
): 'steps' | 'time' | undefined {
  if (budget.maxSteps !== undefined && steps > budget.maxSteps) return 'steps';
  if (
    budget.maxMillis !== undefined &&
    steps % CLOCK_EVERY_STEPS === 0 &&
    performance.now() - startedAt > budget.maxMillis
  ) {
    return 'time';
  }
  return undefined;
}
