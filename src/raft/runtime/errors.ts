/**
 * Why the runtime refused or gave up on a proposal or a read. Each says what is
 * known of the operation's fate; the server maps them onto gRPC statuses (see
 * src/server/raft-errors.ts), so the runtime stays free of the wire.
 */
import type { NodeId } from '../types.js';

/** This node does not lead; `leaderId`/`leaderAddress` name the leader when known. */
export class NotLeader extends Error {
  constructor(
    readonly nodeId: NodeId,
    readonly leaderId: NodeId | undefined,
    readonly leaderAddress: string | undefined,
  ) {
    super(
      leaderAddress === undefined
        ? `node ${nodeId} is not the leader and knows no leader yet (an election is under way); retry shortly`
        : `node ${nodeId} is not the leader; send writes and reads to the leader ${leaderId} at ${leaderAddress}`,
    );
    this.name = 'NotLeader';
  }
}

/** Too many proposals are waiting to commit; this one was not appended. */
export class ProposalQueueFull extends Error {
  constructor(readonly waiting: number) {
    super(
      `${waiting} writes are waiting to commit; the write was not accepted, retry with backoff`,
    );
    this.name = 'ProposalQueueFull';
  }
}

/** The payload is larger than one log entry may be; it was not appended. */
export class EntryTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `the write encodes to ${bytes} bytes, above the ${maxBytes}-byte limit of one log entry; split it into smaller batches`,
    );
    this.name = 'EntryTooLarge';
  }
}

/** Another leader's entry took the proposal's index: it was not committed and never will be. */
export class ProposalLost extends Error {
  constructor(readonly index: number) {
    super('leadership changed before the write committed; it was not committed, retrying is safe');
    this.name = 'ProposalLost';
  }
}

/** The deadline passed before the proposal was applied here; `committed` says how far it got. */
export class ProposalTimedOut extends Error {
  constructor(
    readonly index: number,
    readonly committed: boolean,
  ) {
    super(
      committed
        ? `the write at log index ${index} is committed on a majority and will be applied, but was not applied here before the deadline`
        : `the write was appended at log index ${index} but not committed before the deadline; it may still commit (retry with the same client id and sequence to apply it at most once)`,
    );
    this.name = 'ProposalTimedOut';
  }
}

/** The leader could not confirm its leadership with a majority before the deadline. */
export class ReadTimedOut extends Error {
  constructor(readonly nodeId: NodeId) {
    super(
      `node ${nodeId} could not confirm its leadership with a majority before the deadline; the read was not served`,
    );
    this.name = 'ReadTimedOut';
  }
}

/**
 * The leader is handing leadership over: the write was refused before anything was
 * appended (send it again shortly; `nextLeaderAddress` is where the new leader will be).
 */
export class LeadershipTransferring extends Error {
  constructor(
    readonly nodeId: NodeId,
    readonly nextLeaderId: NodeId,
    readonly nextLeaderAddress: string | undefined,
  ) {
    super(
      `node ${nodeId} is handing leadership over to ${nextLeaderId}; the write was not accepted: retry shortly${nextLeaderAddress === undefined ? '' : ` at ${nextLeaderAddress}`}`,
    );
    this.name = 'LeadershipTransferring';
  }
}

/** A leadership transfer did not end with another leader before its deadline. */
export class TransferFailed extends Error {
  constructor(
    readonly nodeId: NodeId,
    reason: string,
  ) {
    super(`node ${nodeId} could not hand leadership over: ${reason}`);
    this.name = 'TransferFailed';
  }
}

/**
 * A membership change was not made: `reason` says why (the core's
 * MembershipChangeError reasons, or 'timed-out' when a learner did not catch up in
 * time to be promoted). Nothing was appended unless the message says so.
 */
export class MembershipChangeRefused extends Error {
  constructor(
    readonly reason:
      | 'no-commit-in-term'
      | 'change-in-progress'
      | 'learner-behind'
      | 'invalid-change'
      | 'timed-out',
    message: string,
  ) {
    super(message);
    this.name = 'MembershipChangeRefused';
  }
}

/** The local state machine had not applied an index a read waits for before the deadline. */
export class ApplyWaitTimedOut extends Error {
  constructor(
    readonly nodeId: NodeId,
    readonly index: number,
    readonly appliedIndex: number,
  ) {
    super(
      `node ${nodeId} had applied up to log index ${appliedIndex}, not yet ${index}, before the deadline; the read was not served`,
    );
    this.name = 'ApplyWaitTimedOut';
  }
}

/** Too many reads already wait for the local state machine to catch up. */
export class TooManyReadsWaiting extends Error {
  constructor(
    readonly nodeId: NodeId,
    readonly waiting: number,
  ) {
    super(
      `node ${nodeId} already has ${waiting} reads waiting for its state to catch up; the read was not served: retry with backoff or ask another replica`,
    );
    this.name = 'TooManyReadsWaiting';
  }
}

/** The node is stopping or stopped (after a fatal error, `cause` says which). */
export class NodeStopped extends Error {
  constructor(
    readonly nodeId: NodeId,
    reason: string,
  ) {
    super(`node ${nodeId} ${reason}`);
    this.name = 'NodeStopped';
  }
}
