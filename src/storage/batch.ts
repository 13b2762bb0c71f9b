/**
 * Pieces of a batch's apply (state-machine.ts `planBatch`): its operations run one after
 * the other, each on the state the ones before it left, and either all of them stand or
 * none does. In-memory changes are undone on a refusal; FAISS changes are held back
 * until every operation has been planned, and then made as their net effect (a point
 * upserted and deleted inside the batch never reaches FAISS); LevelDB writes go out
 * with the entry, or not at all.
 */
import type { ApplyResult } from '../domain.js';
import { RaftvecError } from '../errors.js';
import type { CollectionIndex } from '../index/collection-index.js';

/** Where an operation sends its FAISS changes: the index itself, or a batch's holding. */
export interface IndexChanges {
  add(vectors: Float32Array, labels: BigInt64Array): Promise<void>;
  remove(labels: BigInt64Array): Promise<void>;
}

/** FAISS changes held back until a batch is planned, kept as their net effect. */
export class HeldIndexChanges implements IndexChanges {
  private readonly added = new Map<number, Float32Array>();
  private readonly removed = new Set<number>();

  constructor(private readonly dimension: number) {}

  async add(vectors: Float32Array, labels: BigInt64Array): Promise<void> {
    const d = this.dimension;
    labels.forEach((label, i) => {
      this.added.set(Number(label), vectors.slice(i * d, (i + 1) * d));
    });
  }

  async remove(labels: BigInt64Array): Promise<void> {
    for (const big of labels) {
      const label = Number(big);
      // Added in this batch: it never reaches the index.
      if (!this.added.delete(label)) this.removed.add(label);
    }
  }

  /**
   * Makes the changes in `index`: additions first (FAISS checks every vector before
   * adding any, so a refusal leaves the index as it was), then removals.
   */
  async applyTo(index: CollectionIndex): Promise<void> {
    const d = this.dimension;
    const labels = BigInt64Array.from(this.added.keys(), BigInt);
    const vectors = new Float32Array(labels.length * d);
    let at = 0;
    for (const vector of this.added.values()) vectors.set(vector, d * at++);
    await index.add(vectors, labels);
    await index.remove(BigInt64Array.from(this.removed, BigInt));
  }
}

/**
 * An entry refused while its effects were being carried out (a batch operation that
 * found the state unfit): the entry is recorded with this result, and nothing else of
 * it stays.
 */
export class EntryRefused extends RaftvecError {
  constructor(readonly result: ApplyResult & { ok: false }) {
    super(result.code, result.message);
    this.name = 'EntryRefused';
  }
}
