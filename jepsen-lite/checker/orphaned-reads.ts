/**
 * Early pruning for models that know each operation's implied state (see
 * `Model.impliedState`; a register does). For every state that reads observe,
 * it counts the operations not yet linearized that could still produce it. A
 * read whose state nothing left can produce is orphaned: it can only be
 * linearized before the state changes again, so a search that changes the state
 * first learns at once, not when that read completes, that it took a wrong turn.
 */
import type { Operation } from './history.js';
import type { Model } from './models.js';

/** What the orphaned reads allow next: anything, only reads, or nothing at all. */
export type Allowance = 'any' | 'reads-only' | 'none';

export class OrphanedReads<S> {
  /** By state hash: operations not linearized yet that would leave that state. */
  private readonly producersLeft = new Map<string, number>();
  /** By state hash: reads not linearized yet that observe that state. */
  private readonly readersLeft = new Map<string, number>();
  /** States with readers left and no producers left. */
  private readonly orphaned = new Set<string>();
  /** By state hash: all the reads that observe that state. */
  private readonly readers = new Map<string, number[]>();
  /** Per operation, the hash of its implied state. */
  private readonly stateKeys: readonly string[];
  private readonly initialKey: string;
  private changesLinearized = 0;

  /** Undefined for a model without implied states: then nothing is pruned. */
  static track<S>(ops: readonly Operation[], model: Model<S>): OrphanedReads<S> | undefined {
    const { impliedState } = model;
    if (impliedState === undefined) return undefined;
    return new OrphanedReads(ops, model, (op) => model.hash(impliedState(op)));
  }

  private constructor(
    private readonly ops: readonly Operation[],
    private readonly model: Model<S>,
    stateKeyOf: (op: Operation) => string,
  ) {
    this.stateKeys = ops.map(stateKeyOf);
    this.initialKey = model.hash(model.init());
    // The initial state is produced until the first state change is linearized.
    this.count(this.producersLeft, this.initialKey, +1);
    ops.forEach((op, i) => {
      const key = this.stateKeys[i] as string;
      if (model.isReadOnly(op)) {
        this.count(this.readersLeft, key, +1);
        const readers = this.readers.get(key);
        if (readers === undefined) this.readers.set(key, [i]);
        else readers.push(i);
      } else {
        this.count(this.producersLeft, key, +1);
      }
    });
  }

  /** Records that operation `i` was linearized (`+1`) or that this was undone (`-1`). */
  update(i: number, change: 1 | -1): void {
    const key = this.stateKeys[i] as string;
    if (this.model.isReadOnly(this.ops[i] as Operation)) {
      this.count(this.readersLeft, key, -change);
      return;
    }
    this.count(this.producersLeft, key, -change);
    const firstChange = change === 1 ? this.changesLinearized === 0 : this.changesLinearized === 1;
    if (firstChange) this.count(this.producersLeft, this.initialKey, -change);
    this.changesLinearized += change;
  }

  allowance(state: S): Allowance {
    if (this.orphaned.size === 0) return 'any';
    if (this.orphaned.size > 1 || !this.orphaned.has(this.model.hash(state))) return 'none';
    return 'reads-only';
  }

  /** The orphaned reads, for reports: those not linearized that observe an orphaned state. */
  orphans(isLinearized: (i: number) => boolean): number[] {
    return [...this.orphaned].flatMap((key) =>
      (this.readers.get(key) ?? []).filter((i) => !isLinearized(i)),
    );
  }

  private count(counts: Map<string, number>, key: string, delta: number): void {
    counts.set(key, (counts.get(key) ?? 0) + delta);
    const isOrphaned =
      (this.readersLeft.get(key) ?? 0) > 0 && (this.producersLeft.get(key) ?? 0) === 0;
    if (isOrphaned) this.orphaned.add(key);
    else this.orphaned.delete(key);
  }
}
