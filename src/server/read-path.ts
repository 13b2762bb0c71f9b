/**
 * The read path's port: before a read is served from the local state, it waits (or
 * refuses) until that state is fresh enough for the read's consistency level, and
 * says what the client should know about the state it got (see docs/consistency.md).
 */
import type { ReadInfo, ReadRequirement } from '../api/conversions.js';

export interface ReadPath {
  /**
   * Resolves once the local state may serve a read with `requirement`, with the
   * ReadInfo to send back; rejects with a RaftvecError that says where to go instead
   * (UNAVAILABLE with a leader hint) or that the deadline passed.
   */
  prepare(requirement: ReadRequirement, deadline: Date): Promise<ReadInfo>;
  /** The local state's applied index now. */
  appliedIndex(): number;
}

/** A state with no replicas (in-process use and tests): every level is served at once. */
export function localReadPath(replicaId: string, appliedIndex: () => number): ReadPath {
  return {
    appliedIndex,
    prepare: () =>
      Promise.resolve({
        replicaId,
        appliedIndex: appliedIndex(),
        leaderCommitIndex: appliedIndex(),
        stalenessBoundMs: 0,
      }),
  };
}
