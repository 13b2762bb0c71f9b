/**
 * The Raft runtime's errors (src/raft/runtime/errors.ts) as the errors a client
 * gets: each onto the status that tells it what to do next, with the leader's
 * address in the trailing metadata where that is known.
 */
import {
  LEADER_ADDRESS_KEY,
  LEADER_ID_KEY,
  NOT_LEADER_KEY,
  NOT_PROPOSED_KEY,
} from '../api/metadata-keys.js';
import { RaftvecError } from '../errors.js';
import {
  ApplyWaitTimedOut,
  EntryTooLarge,
  LeadershipTransferring,
  TransferFailed,
  MembershipChangeRefused,
  NodeStopped,
  NotLeader,
  ProposalLost,
  ProposalQueueFull,
  ProposalTimedOut,
  ReadTimedOut,
  TooManyReadsWaiting,
} from '../raft/runtime/errors.js';

/** `err` as a RaftvecError if it is one of the runtime's; anything else unchanged. */
export function fromRaftError(err: unknown): unknown {
  if (err instanceof NotLeader) {
    return new RaftvecError('UNAVAILABLE', err.message, {
      [NOT_LEADER_KEY]: err.nodeId,
      ...(err.leaderAddress !== undefined && {
        [LEADER_ADDRESS_KEY]: err.leaderAddress,
        [LEADER_ID_KEY]: err.leaderId ?? '',
      }),
    });
  }
  if (err instanceof LeadershipTransferring)
    return new RaftvecError('UNAVAILABLE', err.message, {
      [NOT_PROPOSED_KEY]: '1',
      ...(err.nextLeaderAddress !== undefined && {
        [LEADER_ADDRESS_KEY]: err.nextLeaderAddress,
        [LEADER_ID_KEY]: err.nextLeaderId,
      }),
    });
  if (err instanceof TransferFailed) return new RaftvecError('FAILED_PRECONDITION', err.message);
  if (err instanceof MembershipChangeRefused)
    return new RaftvecError(
      err.reason === 'no-commit-in-term' || err.reason === 'change-in-progress'
        ? 'UNAVAILABLE'
        : err.reason === 'timed-out'
          ? 'DEADLINE_EXCEEDED'
          : 'FAILED_PRECONDITION',
      err.message,
      { [NOT_PROPOSED_KEY]: '1' },
    );
  if (err instanceof ProposalQueueFull || err instanceof EntryTooLarge)
    return new RaftvecError('RESOURCE_EXHAUSTED', err.message, { [NOT_PROPOSED_KEY]: '1' });
  if (err instanceof ProposalLost || err instanceof NodeStopped)
    return new RaftvecError('UNAVAILABLE', err.message);
  if (err instanceof TooManyReadsWaiting)
    return new RaftvecError('RESOURCE_EXHAUSTED', err.message);
  if (
    err instanceof ProposalTimedOut ||
    err instanceof ReadTimedOut ||
    err instanceof ApplyWaitTimedOut
  )
    return new RaftvecError('DEADLINE_EXCEEDED', err.message);
  return err;
}
