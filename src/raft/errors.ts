/**
 * Typed errors of the Raft core. The core does not import the server's error
 * module so that it stays self-contained; the server maps these onto gRPC
 * statuses (NotLeaderError → FAILED_PRECONDITION/UNAVAILABLE with the leader's
 * address in metadata).
 */
import type { NodeId } from './types.js';

/** A proposal or read was sent to a node that is not the leader. */
export class NotLeaderError extends Error {
  readonly code = 'NOT_LEADER' as const;
  /** The leader this node last heard from in its current term, if any. */
  readonly leaderId: NodeId | undefined;

  constructor(nodeId: NodeId, leaderId: NodeId | undefined) {
    super(
      leaderId === undefined
        ? `node ${nodeId} is not the leader and knows no leader`
        : `node ${nodeId} is not the leader; the leader is ${leaderId}`,
    );
    this.name = 'NotLeaderError';
    this.leaderId = leaderId;
  }
}

/**
 * A proposal reached the leader while it hands leadership over (thesis §3.10): it is
 * refused rather than appended, since the transferee must hold the leader's whole log
 * before it campaigns. Nothing was appended: the client may resend it anywhere.
 */
export class TransferInProgressError extends Error {
  readonly code = 'TRANSFER_IN_PROGRESS' as const;

  constructor(
    readonly nodeId: NodeId,
    readonly transferee: NodeId,
  ) {
    super(
      `node ${nodeId} is handing leadership over to ${transferee}; the write was not accepted: retry shortly (at the new leader)`,
    );
    this.name = 'TransferInProgressError';
  }
}

/**
 * A membership change the leader cannot make now (thesis §4.1): it has not committed an
 * entry of its term yet, another change is not committed yet, the learner to promote
 * lags, or the change itself makes no sense for the configuration in force (`reason`
 * says which). Nothing was appended.
 */
export class MembershipChangeError extends Error {
  readonly code = 'MEMBERSHIP_CHANGE' as const;

  constructor(
    readonly reason:
      'no-commit-in-term' | 'change-in-progress' | 'learner-behind' | 'invalid-change',
    message: string,
  ) {
    super(message);
    this.name = 'MembershipChangeError';
  }
}

/**
 * A safety invariant of the core was violated. This means a bug (in the core, or
 * in a runtime that broke the Ready contract, e.g. lost synced data). The node's
 * state is no longer trustworthy: the runtime should stop the process rather than
 * carry on (TigerBeetle's "assertions stay on in production").
 */
export class RaftInvariantError extends Error {
  readonly code = 'RAFT_INVARIANT' as const;

  constructor(message: string) {
    super(message);
    this.name = 'RaftInvariantError';
  }
}

/**
 * Bad configuration or initial state passed to `new RaftNode`, or a bad argument
 * from the runtime to a method that states it throws this (`compact` beyond the
 * applied index): the runtime's bug. Thrown before anything changes, so the node
 * stays consistent. Never raised by what a peer sends.
 */
export class RaftConfigError extends Error {
  readonly code = 'RAFT_CONFIG' as const;

  constructor(message: string) {
    super(message);
    this.name = 'RaftConfigError';
  }
}

/** Assertion as documentation: throws RaftInvariantError when `condition` is false. */
export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new RaftInvariantError(typeof message === 'string' ? message : message());
  }
}
