/**
 * The Raft runtime's errors (src/raft/runtime/errors.ts) as the errors a client
 * gets: each onto the status that tells it what to do next, with the leader's
 * address in the trailing metadata where that is known, and, for an overloaded node
 * (RESOURCE_EXHAUSTED: a full proposal queue, too many reads waiting), how long to
 * wait before sending it again (`retry-after-ms`).
 */
import {
  LEADER_ADDRESS_KEY,
  LEADER_ID_KEY,
  NOT_LEADER_KEY,
  NOT_PROPOSED_KEY,
  RETRY_AFTER_MS_KEY,
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

/**
 * The wait suggested to a client refused because the node is overloaded, when nothing
 * better is known: a full proposal queue, too many reads waiting for apply.
 */
export const DEFAULT_RETRY_AFTER_MS = 250;

/**
 * RESOURCE_EXHAUSTED for an operation refused before anything was done because the node
 * is overloaded, with the hint that sending it again after `retryAfterMs` may succeed
 * (trailing metadata `retry-after-ms`, said in the message too). `notProposed` adds
 * `not-proposed` (a write certainly not applied).
 */
export function overloaded(
  message: string,
  retryAfterMs: number,
  options: { notProposed: boolean },
): RaftvecError {
  const ms = Math.max(1, Math.round(retryAfterMs));
  return new RaftvecError('RESOURCE_EXHAUSTED', `${message} (the node suggests waiting ${ms} ms)`, {
    ...(options.notProposed && { [NOT_PROPOSED_KEY]: '1' }),
    [RETRY_AFTER_MS_KEY]: String(ms),
  });
}

/** What the caller knows that the runtime's errors do not say. */
export interface RaftErrorContext {
  /** For a full proposal queue: the wait to suggest (default DEFAULT_RETRY_AFTER_MS). */
  retryAfterMs?: number;
}

/** `err` as a RaftvecError if it is one of the runtime's; anything else unchanged. */
export function fromRaftError(err: unknown, context: RaftErrorContext = {}): unknown {
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
  // Overloaded: worth retrying after a wait, which the trailing metadata says.
  if (err instanceof ProposalQueueFull)
    return overloaded(err.message, context.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, {
      notProposed: true,
    });
  // Too large: the same write would be refused again, so no hint.
  if (err instanceof EntryTooLarge)
    return new RaftvecError('RESOURCE_EXHAUSTED', err.message, { [NOT_PROPOSED_KEY]: '1' });
  if (err instanceof ProposalLost || err instanceof NodeStopped)
    return new RaftvecError('UNAVAILABLE', err.message);
  if (err instanceof TooManyReadsWaiting)
    return overloaded(err.message, DEFAULT_RETRY_AFTER_MS, { notProposed: false });
  if (
    err instanceof ProposalTimedOut ||
    err instanceof ReadTimedOut ||
    err instanceof ApplyWaitTimedOut
  )
    return new RaftvecError('DEADLINE_EXCEEDED', err.message);
  return err;
}
