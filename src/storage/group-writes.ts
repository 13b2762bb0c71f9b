/**
 * The LevelDB writes of one apply group (state-machine.ts `applyEntries`), gathered
 * until the group is written in one batch.
 *
 * Most entries write a few records again that the next entry overwrites: the client's
 * session, the session clock, the collection's record. Those are kept by *slot*, one
 * slot per key, and only the last write of each slot is encoded and written. LevelDB
 * applies a batch in order, so the stored result is the same as writing every entry's
 * operations one after the other: a slot's key is never one of the ordered operations'
 * (checked on every `add`), and the slots go out in the order of their last writes.
 * For a group of single-point upserts that skips two JSON encodings per entry. Its size
 * is the group's: the Raft runtime bounds a group's entries and bytes.
 */
import { RaftvecError } from '../errors.js';
import type { CheckedOp } from './checked-store.js';
import { rewrittenOften } from './keys.js';

export class GroupWrites {
  private ordered: CheckedOp[] = [];
  private latest = new Map<string, () => CheckedOp>();

  /** An operation on a record that entries do not write again (a point's, a label's). */
  add(op: CheckedOp): void {
    if (rewrittenOften(op.key))
      throw new RaftvecError(
        'INTERNAL',
        `a record that entries write again (key tag ${op.key[0]}) was added without its slot`,
      );
    this.ordered.push(op);
  }

  /**
   * The write of a record most entries write again, under `slot`, a name for its key
   * alone: it replaces any earlier write of the slot in this group. `write` is called
   * when the group is taken, only for the last write of each slot: what it encodes
   * must not change in between (records are replaced, never edited in place).
   */
  rewrite(slot: string, write: () => CheckedOp): void {
    // Deleted first, so the map's order is the order of last writes.
    this.latest.delete(slot);
    this.latest.set(slot, write);
  }

  get isEmpty(): boolean {
    return this.ordered.length === 0 && this.latest.size === 0;
  }

  /** The group's batch: the ordered operations, then each slot's last write. Leaves it empty. */
  take(): CheckedOp[] {
    const ops = this.ordered;
    for (const write of this.latest.values()) ops.push(write());
    this.ordered = [];
    this.latest = new Map();
    return ops;
  }
}
