/**
 * The in-memory Raft log of one node, split (as in etcd's raftLog) into
 *  - a snapshot point (snapshotIndex, snapshotTerm): the last entry covered by the
 *    state machine's snapshot; the entries up to it are gone (§7, log compaction).
 *    (0, 0) when there is none, and then the log starts at index 1;
 *  - a stable part (snapshotIndex, stableIndex]: known to be on this node's disk, and
 *  - an unstable suffix (stableIndex, lastIndex]: handed to the runtime in the
 *    next Ready to be written.
 * It also owns the commit and applied indexes, with their invariants:
 *   snapshotIndex <= applied <= commit <= lastIndex, commit never decreases, and
 *   nothing at or below commit is ever truncated.
 *
 * Entries are immutable objects; they are shared with outgoing messages and
 * Readies without copying.
 */
import { invariant } from './errors.js';
import type { Entry, SnapshotPoint } from './types.js';

export class RaftLog {
  /** entries[k] has index snapIndex + 1 + k. */
  private readonly entries: Entry[] = [];
  /**
   * The log starts after (snapIndex, snapTerm): term(snapIndex) is still known, so
   * that an AppendEntries can follow it (its prevLogTerm) and elections can compare
   * an empty log (§5.4.1); nothing below it is.
   */
  private snapIndex: number;
  private snapTerm: number;
  private stable: number;
  private committed: number;
  private applied: number;
  /**
   * Lowest index truncated since the last Ready was handed out. A Ready that is
   * persisted after such a truncation only made its entries below this point
   * durable *as they are now*; see `stableTo`.
   */
  private truncatedSinceHandOut = Number.POSITIVE_INFINITY;

  /** The caller (RaftNode) has validated `snapshot` against commit and applied. */
  constructor(
    persisted: readonly Entry[],
    snapshot: SnapshotPoint,
    commit: number,
    applied: number,
  ) {
    this.snapIndex = snapshot.index;
    this.snapTerm = snapshot.term;
    let expected = snapshot.index + 1;
    let prevTerm = snapshot.term;
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
    invariant(
      applied >= this.snapIndex,
      () => `applied ${applied} below the snapshot index ${this.snapIndex}`,
    );
    this.stable = this.lastIndex();
    this.committed = commit;
    this.applied = applied;
  }

  /** First index held in memory. */
  firstIndex(): number {
    return this.snapIndex + 1;
  }

  snapshotIndex(): number {
    return this.snapIndex;
  }

  snapshotTerm(): number {
    return this.snapTerm;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries[this.entries.length - 1]?.term ?? this.snapTerm;
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

  /**
   * Term of the entry at `index`: the snapshot term at the snapshot index (0 for
   * index 0 without a snapshot); undefined below the snapshot index (compacted) and
   * beyond the log.
   */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex) return undefined;
    return this.entries[index - this.snapIndex - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    return index > this.snapIndex ? this.entries[index - this.snapIndex - 1] : undefined;
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

  /** Entries [lo, hi] (inclusive), clipped to the entries held in memory. */
  slice(lo: number, hi: number): Entry[] {
    const from = Math.max(lo, this.firstIndex());
    const to = Math.min(hi, this.lastIndex());
    return from > to ? [] : this.entries.slice(from - this.snapIndex - 1, to - this.snapIndex);
  }

  /**
   * Entries from `lo` for one AppendEntries: at most `maxEntries`, and at most
   * `maxBytes` of payload — but always at least one entry if any exists, so a
   * single oversized entry cannot stall replication.
   */
  batchFrom(lo: number, maxEntries: number, maxBytes: number): Entry[] {
    invariant(lo > this.snapIndex, () => `batchFrom(${lo}): compacted up to ${this.snapIndex}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= this.lastIndex() && out.length < maxEntries; i++) {
      const e = this.entries[i - this.snapIndex - 1]!;
      if (out.length > 0 && bytes + e.data.byteLength > maxBytes) break;
      bytes += e.data.byteLength;
      out.push(e);
    }
    return out;
  }

  /**
   * Last index in [from, …] scanning downwards whose term is `term`, or 0 (also
   * when it could only lie below the snapshot index, where terms are unknown).
   */
  lastIndexOfTerm(term: number, from: number): number {
    for (let i = Math.min(from, this.lastIndex()); i >= Math.max(this.snapIndex, 1); i--) {
      const t = this.term(i)!;
      if (t === term) return i;
      if (t < term) return 0; // terms only decrease going down
    }
    return 0;
  }

  /** First index of the run of entries with the same term as `index`. */
  firstIndexOfTermAt(index: number): number {
    const term = this.term(index);
    invariant(term !== undefined, () => `firstIndexOfTermAt(${index}) outside the log`);
    let i = index;
    // Entries at or below commit match the leader, so the conflict cannot lie there;
    // stopping at commit+1 also bounds the scan (and keeps it above the snapshot index).
    while (i > this.committed + 1 && this.term(i - 1) === term) i--;
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
    // The caller skips entries the snapshot covers (their terms are no longer known).
    invariant(
      entries.length === 0 || entries[0]!.index > this.snapIndex,
      () =>
        `entries from ${String(entries[0]?.index)} at or below the snapshot index ${this.snapIndex}`,
    );
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
    this.entries.length = index - this.snapIndex - 1;
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
    return this.entries.slice(this.stable - this.snapIndex);
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
    // A snapshot installed since the hand-out covers these entries (`restore`).
    if (index <= this.snapIndex) return;
    invariant(
      this.term(index) === term,
      () => `stableTo(${index}, ${term}) but log has term ${this.term(index)}`,
    );
    this.stable = Math.max(this.stable, index);
  }

  /**
   * Committed entries not yet handed to the state machine, at most `max` of them.
   * Only stable ones: an entry is applied only once it is on this node's disk, so a
   * crash cannot leave the state machine ahead of the log (and the runtime may apply
   * them while it writes the Ready they come in).
   */
  nextCommittedEntries(max = Number.POSITIVE_INFINITY): Entry[] {
    const hi = Math.min(this.committed, this.stable, this.applied + max);
    return hi > this.applied
      ? this.entries.slice(this.applied - this.snapIndex, hi - this.snapIndex)
      : [];
  }

  hasNextCommittedEntries(max = Number.POSITIVE_INFINITY): boolean {
    return max > 0 && Math.min(this.committed, this.stable) > this.applied;
  }

  appliedTo(index: number): void {
    // A Ready handed out before `restore` may still be advanced: the snapshot
    // already covers (and the restored state machine already holds) its entries.
    if (index <= this.snapIndex) return;
    invariant(
      index >= this.applied,
      () => `applied index moving backwards: ${this.applied} → ${index}`,
    );
    invariant(index <= this.committed, () => `applied ${index} beyond commit ${this.committed}`);
    this.applied = index;
  }

  /**
   * Log compaction (§7): drop the entries up to `index`, which a durable
   * state-machine snapshot now covers; term(index) stays known as the snapshot term.
   * The caller has checked snapshotIndex < index <= applied (<= stable).
   */
  compact(index: number): void {
    invariant(
      index > this.snapIndex && index <= this.applied && index <= this.stable,
      () =>
        `compact(${index}) outside (snapshot ${this.snapIndex}, min(applied ${this.applied}, stable ${this.stable})]`,
    );
    this.snapTerm = this.term(index)!;
    this.entries.splice(0, index - this.snapIndex);
    this.snapIndex = index;
  }

  /**
   * A follower installed a leader's snapshot ending at (index, term), which the
   * runtime has restored into the state machine (§7, InstallSnapshot receiver steps
   * 6-7): "If existing log entry has same index and term as snapshot's last included
   * entry, retain log entries following it"; otherwise discard the entire log. The
   * caller has checked index > commit, so nothing committed is lost: entries up to
   * commit are a prefix of the snapshot, and a log that differs from it at `index`
   * differs at every later index too (Log Matching), so no discarded entry was
   * committed. Returns whether entries were retained: the runtime then keeps its
   * stored entries after `index` (as after `compact`), else it drops them all
   * (Ready.snapshotInstalled).
   */
  restore(index: number, term: number): boolean {
    invariant(
      index > this.committed,
      () => `restore(${index}) at or below commit ${this.committed}`,
    );
    const retain = this.term(index) === term;
    if (retain) {
      this.entries.splice(0, index - this.snapIndex);
      // The entries up to `index` are in the snapshot; those after it stay stable or
      // unstable as they were (the stored ones stay on disk).
      this.stable = Math.max(this.stable, index);
    } else {
      this.entries.length = 0;
      this.stable = index;
      // The runtime drops every stored entry, also those a Ready outstanding now
      // writes: `stableTo` must not count them.
      this.truncatedSinceHandOut = Math.min(this.truncatedSinceHandOut, index + 1);
    }
    this.snapIndex = index;
    this.snapTerm = term;
    this.committed = index; // the snapshot holds only committed entries
    this.applied = index; // the state machine now holds the snapshot
    return retain;
  }
}
