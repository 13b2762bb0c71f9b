/**
 * Reads on a Raft node, per consistency level (docs/consistency.md):
 *
 * - LINEARIZABLE: ReadIndex on the leader (thesis §6.4); followers redirect.
 * - LEASE: the leader answers without a round trip while its lease holds, else as
 *   LINEARIZABLE (leader-lease.ts); followers redirect.
 * - BOUNDED: the leader with its lease as LEASE; any other replica once a leader's
 *   freshness stamp proves its state misses nothing committed more than the bound
 *   ago, else it refuses with a hint to the leader.
 * - SESSION: any replica once it has applied the client's index, waiting up to the
 *   deadline, else it refuses with its applied index and a hint.
 * - EVENTUAL: any replica, at once.
 */
import { APPLIED_INDEX_KEY, LEADER_ADDRESS_KEY, LEADER_ID_KEY } from '../api/metadata-keys.js';
import type { ReadInfo, ReadRequirement } from '../api/conversions.js';
import type { ApplyResult } from '../domain.js';
import { RaftvecError } from '../errors.js';
import type { RaftRuntime, ReplicaFreshness } from '../raft/runtime/raft-runtime.js';
import { ApplyWaitTimedOut } from '../raft/runtime/errors.js';
import { fromRaftError } from './raft-errors.js';
import type { ReadPath } from './read-path.js';
import { SAFE, type UnsafeTestFlags } from './unsafe-test-flags.js';

export interface RaftReadPathOptions {
  /** Bound on the difference between members' wall clocks (see LeaseConfig.maxClockSkewMs). */
  maxClockSkewMs: number;
  /** Wall clock, ms since the epoch (tests may pass their own). */
  wallNow?: () => number;
  unsafe?: Pick<
    UnsafeTestFlags,
    'readsWithoutReadIndex' | 'boundedReadsIgnoreStaleness' | 'sessionReadsIgnoreIndex'
  >;
}

export class RaftReadPath implements ReadPath {
  readonly #runtime: RaftRuntime<ApplyResult>;
  readonly #skewMs: number;
  readonly #wallNow: () => number;
  readonly #unsafe: NonNullable<RaftReadPathOptions['unsafe']>;

  constructor(runtime: RaftRuntime<ApplyResult>, options: RaftReadPathOptions) {
    this.#runtime = runtime;
    this.#skewMs = options.maxClockSkewMs;
    this.#wallNow = options.wallNow ?? Date.now;
    this.#unsafe = options.unsafe ?? SAFE;
  }

  appliedIndex(): number {
    return this.#runtime.appliedIndex;
  }

  async prepare(requirement: ReadRequirement, deadline: Date): Promise<ReadInfo> {
    const timeoutMs = (): number => Math.max(0, deadline.getTime() - Date.now());
    try {
      switch (requirement.consistency) {
        case 'linearizable':
          if (!this.#unsafe.readsWithoutReadIndex) await this.#runtime.readBarrier(timeoutMs());
          return this.#info(0);
        case 'lease':
          await this.#runtime.leaseRead(timeoutMs());
          return this.#info(0);
        case 'bounded':
          return await this.#bounded(requirement.maxStalenessMs, timeoutMs);
        case 'session':
          return await this.#session(requirement.minAppliedIndex, timeoutMs);
        case 'eventual':
          return this.#info(this.#stalenessBound(this.#runtime.replicaFreshness()));
      }
    } catch (err) {
      throw fromRaftError(err);
    }
  }

  async #bounded(boundMs: number, timeoutMs: () => number): Promise<ReadInfo> {
    // Twice at most: once as things are, once more after waiting for apply to reach a
    // recent enough stamp.
    for (let attempt = 0; ; attempt++) {
      const freshness = this.#runtime.replicaFreshness();
      if (freshness.leaseHolds) {
        await this.#runtime.leaseRead(timeoutMs());
        return this.#info(0);
      }
      const staleness = this.#stalenessBound(freshness);
      if (this.#unsafe.boundedReadsIgnoreStaleness) return this.#info(staleness);
      if (staleness !== undefined && staleness <= boundMs) return this.#info(staleness);
      // A stamp recent enough may be ahead of what this replica has applied yet.
      const needed = this.#runtime.commitNeededFor(this.#wallNow() - boundMs + this.#skewMs);
      const stale = (): RaftvecError =>
        this.#refusal(
          `replica ${this.#runtime.id} cannot show that its state misses nothing committed more than ${boundMs} ms ago (${
            staleness === undefined
              ? 'it has no recent word from a leader with a lease'
              : `what it can show is ${staleness} ms, clock skew bound included`
          }): ask the leader, or allow more staleness`,
          this.#runtime.replicaFreshness(),
        );
      if (attempt > 0 || needed === undefined || needed <= freshness.appliedIndex) throw stale();
      // Waiting longer than the bound makes the stamp too old anyway.
      try {
        await this.#runtime.waitApplied(needed, Math.min(timeoutMs(), boundMs));
      } catch (err) {
        if (err instanceof ApplyWaitTimedOut) throw stale();
        throw err;
      }
    }
  }

  async #session(minAppliedIndex: number, timeoutMs: () => number): Promise<ReadInfo> {
    if (!this.#unsafe.sessionReadsIgnoreIndex) {
      try {
        await this.#runtime.waitApplied(minAppliedIndex, timeoutMs());
      } catch (err) {
        if (!(err instanceof ApplyWaitTimedOut)) throw err;
        const freshness = this.#runtime.replicaFreshness();
        throw this.#refusal(
          `replica ${this.#runtime.id} has applied up to log index ${freshness.appliedIndex}, not yet ${minAppliedIndex} (the session's index), before the deadline: read from another replica or the leader`,
          freshness,
        );
      }
    }
    return this.#info(this.#stalenessBound(this.#runtime.replicaFreshness()));
  }

  /**
   * How stale the local state may be, in ms: 0 on a leader whose lease holds and that
   * has applied its commit index; else the age of the newest leader stamp the applied
   * state covers, plus the clock-skew bound; undefined without such a stamp.
   */
  #stalenessBound(f: ReplicaFreshness): number | undefined {
    if (f.leaseHolds && f.appliedIndex >= f.leaderCommitIndex) return 0;
    if (f.freshAsOfWallMs === undefined) return undefined;
    return Math.max(0, this.#wallNow() - f.freshAsOfWallMs) + this.#skewMs;
  }

  #info(stalenessBoundMs: number | undefined): ReadInfo {
    const f = this.#runtime.replicaFreshness();
    return {
      replicaId: this.#runtime.id,
      appliedIndex: f.appliedIndex,
      leaderCommitIndex: f.leaderCommitIndex,
      ...(stalenessBoundMs !== undefined && { stalenessBoundMs }),
    };
  }

  /** UNAVAILABLE with this replica's applied index and, when known, the leader's address. */
  #refusal(message: string, f: ReplicaFreshness): RaftvecError {
    const leaderId = this.#runtime.leaderId;
    const leaderAddress = this.#runtime.leaderAddress();
    return new RaftvecError('UNAVAILABLE', message, {
      [APPLIED_INDEX_KEY]: String(f.appliedIndex),
      ...(leaderId !== undefined &&
        leaderId !== this.#runtime.id &&
        leaderAddress !== undefined && {
          [LEADER_ADDRESS_KEY]: leaderAddress,
          [LEADER_ID_KEY]: leaderId,
        }),
    });
  }
}
