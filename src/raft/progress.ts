/**
 * The leader's view of one follower's log (Raft paper Figure 2 nextIndex /
 * matchIndex), with etcd's two flow-control states:
 *
 *  - probe: the leader does not know where the follower's log matches ours. It
 *    sends one AppendEntries at a time and waits for the answer (or a heartbeat
 *    response) before sending another, backing `next` off on each rejection.
 *  - replicate: the follower is known to match up to `match`; the leader streams
 *    entries optimistically (`next` moves ahead as soon as a message is sent),
 *    bounded by the inflight window (pipelining).
 *  - snapshot: the follower needs entries the leader has compacted (§7); the runtime
 *    sends it a state-machine snapshot out of band. No AppendEntries meanwhile (they
 *    could only be rejected), heartbeats still go. It ends with the follower's
 *    acknowledgement of the install or the runtime's report (`RaftNode.reportSnapshot`).
 */
import { Inflights } from './inflights.js';
import type { PeerProgress, ProgressState } from './types.js';

export class Progress {
  /** Highest index known to be replicated (and durable) on the follower. */
  match = 0;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** probe: an AppendEntries is outstanding; send nothing more until an answer. */
  probeSent = false;
  /** Heard from since the last check-quorum round (§6.2 / etcd RecentActive). */
  recentActive = false;
  /** In the snapshot state: the snapshot index requested for the follower (etcd's PendingSnapshot); 0 otherwise. */
  pendingSnapshot = 0;
  /** The follower must receive an AppendEntries even if it carries no entries (e.g. a new commit index). */
  pendingEmptyAppend = false;
  /** The highest commit index sent to the follower, in an AppendEntries or a heartbeat. */
  commitSent = 0;
  readonly inflights: Inflights;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  /** Whether the leader must hold off sending more entries. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /**
   * Probe from match+1 — or, leaving the snapshot state, from just after the
   * snapshot if that is further (etcd's BecomeProbe): a finished snapshot means the
   * follower holds everything up to it. A failed one is reported with
   * `pendingSnapshot` cleared first, so that probing restarts from match+1.
   */
  becomeProbe(): void {
    const after = this.state === 'snapshot' ? this.pendingSnapshot + 1 : 0;
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.next = Math.max(this.match + 1, after);
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.next = this.match + 1;
    this.inflights.reset();
  }

  /** The follower needs a snapshot covering at least `index`. */
  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.pendingSnapshot = index;
    this.inflights.reset();
  }

  /** Record that an AppendEntries whose last entry is `lastIndex` was sent. */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else {
      this.probeSent = true;
    }
  }

  /**
   * A success for `index` arrived. Returns false for a stale acknowledgement
   * (responses may be duplicated or reordered).
   */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      this.probeSent = false;
      updated = true;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of an AppendEntries with prevLogIndex `rejected` arrived, and the
   * leader computed `hintNext` from the follower's hint. Returns false when the
   * rejection is stale and was ignored.
   */
  maybeDecrTo(rejected: number, hintNext: number): boolean {
    // Sending a snapshot: a rejection can only answer an AppendEntries sent before,
    // and the snapshot's outcome decides where to go on from.
    if (this.state === 'snapshot') return false;
    if (this.state === 'replicate') {
      // Everything up to match is known to be there, so a rejection at or below
      // match is an old message. Otherwise something between match and next went
      // missing (a lost message) or diverges: fall back to probing from match+1.
      if (rejected <= this.match) return false;
      this.becomeProbe();
      return true;
    }
    // In probe only the latest probe (prevLogIndex == next-1) is meaningful.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hintNext), this.match + 1);
    this.probeSent = false;
    return true;
  }

  snapshot(): PeerProgress {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      inflight: this.inflights.count(),
      recentActive: this.recentActive,
      pendingSnapshot: this.pendingSnapshot,
    };
  }
}
