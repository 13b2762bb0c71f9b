/**
 * The leader's lease and what followers learn from it: the two halves of reads that
 * skip the ReadIndex round trip (thesis §6.4.1).
 *
 * Lease. A ReadIndex round registered at monotonic time `t` and confirmed by a
 * majority proves that a majority heard from this leader after `t`. Each of them
 * reset its election timer then, and none votes for another candidate (leader
 * stickiness, thesis §4.2.3) until a whole election timeout has passed on its own
 * clock. So no other leader can be elected, let alone commit, before
 * `t + (electionTick - 1)·tickMs` (one tick is lost to the timer's phase), with each
 * member's own timing: the lease honours the shortest window any voter announced.
 * The lease ends `driftMs` earlier than that, to allow for clocks that run at
 * different rates and for timers that fire late or early. Assumption: over one
 * election timeout, no two clocks in the cluster drift apart by more than `driftMs`.
 *
 * Freshness. While its lease holds, the leader stamps its heartbeats with its
 * commit index and its wall-clock time: nothing committed before that time lies
 * beyond that index, as no other leader can commit meanwhile. A follower that has
 * applied up to the stamped index is therefore no staler than the stamp's age
 * (plus the bound on the skew between wall clocks): it can serve a BOUNDED read.
 */
import type { LeaderFreshness } from '../types.js';

export class LeaderLease {
  /** The term of the confirmed round, and when it was registered (monotonic ms). */
  #term = 0;
  #since = Number.NEGATIVE_INFINITY;

  /**
   * @param durationMs how long after a confirmed round's registration the lease
   *   holds; 0 or less: never (every LEASE read takes the ReadIndex path).
   * @param neverExpires a test-only weakening (see unsafe-test-flags.ts): once
   *   confirmed in a term, the lease holds for the rest of it.
   */
  constructor(
    readonly durationMs: number,
    private readonly neverExpires = false,
  ) {}

  /** Rounds registered at or before this time no longer count (see `revoke`). */
  #revokedAt = Number.NEGATIVE_INFINITY;

  /** A round registered at `registeredAt` in `term` was confirmed by a majority. */
  confirm(term: number, registeredAt: number): void {
    if (registeredAt <= this.#revokedAt) return;
    if (term > this.#term) {
      this.#term = term;
      this.#since = registeredAt;
    } else if (term === this.#term && registeredAt > this.#since) this.#since = registeredAt;
  }

  /**
   * The voters changed at monotonic time `now`: the majority that confirmed the lease
   * may not be one of the new voters (two single-server changes apart, it need not even
   * overlap one). The lease ends, and only rounds registered after `now` renew it.
   */
  revoke(now: number): void {
    this.#revokedAt = now;
    this.#since = Number.NEGATIVE_INFINITY;
  }

  /**
   * Whether the lease of `term` holds at monotonic time `now`, for a lease of
   * `durationMs` (default: the one given at construction; shorter when a member's
   * vote-quiet window is shorter than this node's).
   */
  holds(term: number, now: number, durationMs = this.durationMs): boolean {
    if (term !== this.#term || durationMs <= 0 || this.#since === Number.NEGATIVE_INFINITY)
      return false;
    return this.neverExpires || now < this.#since + durationMs;
  }

  /** How long the lease of `term` still holds at `now` (0 if it does not). */
  remainingMs(term: number, now: number): number {
    if (!this.holds(term, now)) return 0;
    return this.neverExpires ? Number.POSITIVE_INFINITY : this.#since + this.durationMs - now;
  }
}

/** Stamps kept; older ones are dropped first (a few seconds of heartbeats). */
const MAX_STAMPS = 128;

/**
 * A follower's (and the leader's own) record of leader stamps: for any applied index,
 * the newest wall-clock time before which every committed write is at or below it.
 */
export class FreshnessLog {
  /** Sorted by commit, and then strictly increasing in time too (dominated stamps dropped). */
  #stamps: LeaderFreshness[] = [];
  /** The highest commit index any stamp named (kept apart: a dominated stamp is dropped). */
  #highestCommit = 0;

  record(stamp: LeaderFreshness): void {
    if (stamp.commit > this.#highestCommit) this.#highestCommit = stamp.commit;
    const s = this.#stamps;
    // A stamp at or below this commit that is at least as recent makes this one useless.
    if (s.some((o) => o.commit <= stamp.commit && o.wallTimeMs >= stamp.wallTimeMs)) return;
    // This one makes useless every stamp at or above its commit that is no more recent.
    this.#stamps = s.filter((o) => !(o.commit >= stamp.commit && o.wallTimeMs <= stamp.wallTimeMs));
    this.#stamps.push(stamp);
    this.#stamps.sort((a, b) => a.commit - b.commit);
    if (this.#stamps.length > MAX_STAMPS) {
      // Drop the oldest in time (the lowest commit, as time grows with commit here).
      this.#stamps.splice(0, this.#stamps.length - MAX_STAMPS);
    }
  }

  /**
   * The wall-clock time (leader's, ms since the epoch) before which every committed
   * write is at or below `applied`; undefined when no stamp says so.
   */
  freshAsOf(applied: number): number | undefined {
    let best: number | undefined;
    for (const stamp of this.#stamps) {
      if (stamp.commit > applied) break;
      best = stamp.wallTimeMs;
    }
    return best;
  }

  /** The lowest stamped commit index that is at least as recent as `wallTimeMs`. */
  commitNeededFor(wallTimeMs: number): number | undefined {
    return this.#stamps.find((s) => s.wallTimeMs >= wallTimeMs)?.commit;
  }

  /** The highest commit index a stamp named: the leader's commit as last heard. */
  highestCommit(): number {
    return this.#highestCommit;
  }

  clear(): void {
    this.#stamps = [];
    this.#highestCommit = 0;
  }
}
