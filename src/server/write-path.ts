/**
 * The write path: how a validated command becomes durable and applied. The
 * VectorService only ever calls `ensureWritable` and `propose`; RaftWritePath
 * (append, replicate, commit, apply) implements them.
 */
import type { ApplyResult, Command } from '../domain.js';

export type WriteConcern = 'majority' | 'all';

export interface ProposeOptions {
  /**
   * `majority`: resolve once committed by a majority and applied locally (the
   * leader). `all`: once every voting member has applied it; otherwise reject with
   * DEADLINE_EXCEEDED saying the write may still commit.
   */
  writeConcern: WriteConcern;
  /** Give up (DEADLINE_EXCEEDED) if the write concern is not met by then. */
  deadline: Date;
}

export interface ProposeOutcome {
  /** What applying the command produced (deterministic on every replica). */
  result: ApplyResult;
  /** The log index the command was applied at: a read-your-writes token. */
  logIndex: number;
}

export interface WritePath {
  /**
   * Makes `command` durable and applies it. Rejects with a RaftvecError:
   * RESOURCE_EXHAUSTED (overloaded: not applied, `retry-after-ms` says when to try
   * again; or the entry is too large), DEADLINE_EXCEEDED,
   * UNAVAILABLE / FAILED_PRECONDITION with `leader-address` (not the leader; later),
   * UNAVAILABLE (shutting down; not applied).
   */
  propose(command: Command, options: ProposeOptions): Promise<ProposeOutcome>;
  /**
   * Throws (UNAVAILABLE with `leader-address`) unless this node can accept writes, so
   * that a follower redirects the client before judging the write by its local state;
   * RESOURCE_EXHAUSTED (with `retry-after-ms`) when it is too busy to take one now, and,
   * given the write's `deadline`, when the write could not be done by then. Cheap: called
   * before a request is converted and validated, so that refusing costs little.
   */
  ensureWritable(deadline?: Date): void;
  /** Stops accepting writes and waits for those already accepted to finish. */
  close(): Promise<void>;
}
