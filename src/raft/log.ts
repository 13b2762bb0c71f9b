/**
 * The in-memory Raft log of one node, split (as in etcd's raftLog) into
 *  - a stable prefix [1, stableIndex]: known to be on this node's disk, and
 *  - an unstable suffix (stableIndex, lastIndex]: handed to the runtime in the
 *    next Ready to be written.
 * It also owns the commit and applied indexes, with their invariants:
 *   applied <= commit <= lastIndex, commit never decreases, and nothing at or
 *   below commit is ever truncated.
 *
 * Entries are immutable objects; they are shared with outgoing messages and
 * Readies without copying.
 */
import { invariant } from './errors.js';
import type { Entry } from './types.js';

export class RaftLog {
  /** entries[k] has index k + 1. (Snapshots will add an offset here.) */
  private readonly entries: Entry[] = [];
  private stable: number;
  private committed: number;
  private applied: number;
  /**
   * Lowest index truncated since the last Ready was handed out. A Ready that is
   * persisted after such a truncation only made its entries below this point
   * durable *as they are now*; see `stableTo`.
   */
  private truncatedSinceHandOut = Number.POSITIVE_INFINITY;

  constructor(persisted: readonly Entry[], commit: number, applied: number) {
    let expected = 1;
    let prevTerm = 0;
    for (const e of persisted) {
      invariant(
        e.index === expected,
        () => `persisted log not contiguous at index ${expected} (got ${e.index})`,
      );
      invariant(e.term >= prevTerm, () => `persisted log terms decrease at index ${e.index}`);
      this.entries.push(e);
      expected++;
      prevTerm = e.term;
    }
    invariant(
      commit <= this.lastIndex(),
      () => `persisted commit ${commit} beyond persisted last index ${this.lastIndex()}`,
    );
    invariant(applied <= commit, () => `applied ${applied} beyond persisted commit ${commit}`);
    invariant(commit >= 0 && applied >= 0, 'negative commit/applied');
    this.stable = this.lastIndex();
    this.committed = commit;
    this.applied = applied;
  }

  lastIndex(): number {
    return this.entries.length;
  }

  lastTerm(): number {
    return this.entries[this.entries.length - 1]?.term ?? 0;
  }

  stableIndex(): number {
    return this.stable;
  }

  commitIndex(): number {
    return this.committed;
  }

  appliedIndex(): number {
    return this.applied;
  }

  /** Term of the entry at `index`; 0 for index 0; undefined beyond the log. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    return this.entries[index - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * §5.4.1: a candidate's log is at least as up to date as ours if its last term is
   * higher, or the last terms are equal and its log is at least as long.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi] (inclusive), clipped to the log. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(Math.max(lo, 1) - 1, Math.min(hi, this.lastIndex()));
  }

  /**
   * Entries from `lo` for one AppendEntries: at most `maxEntries`, and at most
   * `maxBytes` of payload — but always at least one entry if any exists, so a
   * single oversized entry cannot stall replication.
   */
  batchFrom(lo: number, maxEntries: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= this.lastIndex() && out.length < maxEntries; i++) {
      const e = this.entries[i - 1]!;
      if (out.length > 0 && bytes + e.data.byteLength > maxBytes) break;
      bytes += e.data.byteLength;
      out.push(e);
    }
    return out;
  }

  /** Last index in [from, …] scanning downwards whose term is `term`, or 0. */
  lastIndexOfTerm(term: number, from: number): number {
    for (let i = Math.min(from, this.lastIndex()); i >= 1; i--) {
      const t = this.entries[i - 1]!.term;
      if (t === term) return i;
      if (t < term) return 0; // terms only decrease going down
    }
    return 0;
  }

  /** First index of the run of entries with the same term as `index`. */
  firstIndexOfTermAt(index: number): number {
    const term = this.term(index);
    invariant(term !== undefined, () => `firstIndexOfTermAt(${index}) beyond last index`);
    let i = index;
    // Entries at or below commit match the leader, so the conflict cannot lie there;
    // stopping at commit+1 also bounds the scan.
    while (i > this.committed + 1 && this.entries[i - 2]!.term === term) i--;
    return i;
  }

  /** The leader appends its own new entry (§5.3). */
  append(entry: Entry): void {
    invariant(
      entry.index === this.lastIndex() + 1,
      () => `append at ${entry.index} but last index is ${this.lastIndex()}`,
    );
    invariant(
      entry.term >= this.lastTerm(),
      () => `append of term ${entry.term} after term ${this.lastTerm()}`,
    );
    this.entries.push(entry);
  }

  /**
   * A follower stores the entries of a consistent AppendEntries (the caller has
   * checked prevLogIndex/prevLogTerm). Rule (§5.3, Figure 2, receiver step 3):
   * "If an existing entry conflicts with a new one (same index but different
   * terms), delete the existing entry and all that follow it" — and ONLY then.
   * Entries we already hold with the same term are identical (Log Matching), so a
   * stale or reordered AppendEntries that is a prefix of our log changes nothing.
   */
  appendFromLeader(entries: readonly Entry[]): void {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      const ours = this.term(e.index);
      if (ours === e.term) continue;
      if (ours !== undefined) this.truncateFrom(e.index);
      for (let j = k; j < entries.length; j++) this.append(entries[j]!);
      return;
    }
  }

  private truncateFrom(index: number): void {
    invariant(
      index > this.committed,
      () =>
        `refusing to truncate the log at ${index}: entries up to commit ${this.committed} are committed`,
    );
    this.entries.length = index - 1;
    if (this.stable >= index) this.stable = index - 1;
    this.truncatedSinceHandOut = Math.min(this.truncatedSinceHandOut, index);
  }

  /** Raise the commit index; never lowers it (lower values are simply stale). */
  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    invariant(
      index <= this.lastIndex(),
      () => `commit ${index} beyond last index ${this.lastIndex()}`,
    );
    this.committed = index;
    return true;
  }

  /** Entries the next Ready must write: (stableIndex, lastIndex]. */
  unstableEntries(): Entry[] {
    return this.entries.slice(this.stable);
  }

  hasUnstable(): boolean {
    return this.stable < this.lastIndex();
  }

  /** Called when a Ready is handed out. */
  markHandedOut(): void {
    this.truncatedSinceHandOut = Number.POSITIVE_INFINITY;
  }

  /**
   * The runtime persisted a Ready whose last entry was (index, term). If the log
   * was truncated meanwhile (a Ready may be outstanding while messages are
   * stepped), only the part below the truncation point is durable as it stands.
   */
  stableTo(index: number, term: number): void {
    if (this.truncatedSinceHandOut <= index) {
      this.stable = Math.max(this.stable, this.truncatedSinceHandOut - 1);
      return;
    }
    invariant(
      this.term(index) === term,
      () => `stableTo(${index}, ${term}) but log has term ${this.term(index)}`,
    );
    this.stable = Math.max(this.stable, index);
  }

  /**
   * Committed entries not yet handed to the state machine. Only stable ones: an
   * entry is applied only once it is on this node's disk, so a crash cannot leave
   * the state machine ahead of the log.
   */
  nextCommittedEntries(): Entry[] {
    const hi = Math.min(this.committed, this.stable);
    return hi > this.applied ? this.entries.slice(this.applied, hi) : [];
  }

  hasNextCommittedEntries(): boolean {
    return Math.min(this.committed, this.stable) > this.applied;
  }

  appliedTo(index: number): void {
    invariant(
      index >= this.applied,
      () => `applied index moving backwards: ${this.applied} → ${index}`,
    );
    invariant(index <= this.committed, () => `applied ${index} beyond commit ${this.committed}`);
    this.applied = index;
  }
}
