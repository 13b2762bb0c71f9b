/**
 * Workarounds for open bugs of the core under test (see SimOptions.workarounds), so that
 * the simulator can check everything else while they are open. Each emulates the fix
 * proposed for its bug, through the core's private state (test code only), and goes
 * once the bug is fixed.
 */
import type { NodeId, RaftNode } from '../../../src/raft/index.js';
import { isVoter, type Membership } from '../../../src/raft/membership.js';

/** The private state of RaftNode the workaround reads (and bends for one tick). */
interface CoreInternals {
  voters: readonly NodeId[];
  configs: { latestIndex(): number; at(index: number): Membership };
  log: { commitIndex(): number; snapshotIndex(): number };
}

/**
 * The bug: a leader that removes itself leads on without counting itself until the
 * change commits; if it steps down first (check-quorum, a crash), it never campaigns
 * again — it is no voter in its newest configuration — though it may hold the only log
 * that the remaining voters would vote for: the cluster stays without a leader for good
 * (e.g. voters {a, b}, a removes itself: b lacks the change and a's entries, needs a's
 * vote under the old configuration, and a refuses it as b's log is behind).
 *
 * The fix emulated: a node whose newest configuration, not yet committed, removed it
 * while it was a voter in the one before still stands for election (its vote for itself
 * counts in no tally of the new configuration: it needs a majority of the new voters, as
 * any node holding that configuration would). Done by letting it see itself among the
 * voters for the tick that may start its campaign.
 */
export function removedVoterStandsUntilCommitted(node: RaftNode): RaftNode {
  const core = node as unknown as CoreInternals;
  const tick = node.tick.bind(node);
  node.tick = (): void => {
    const latest = core.configs.latestIndex();
    const pending =
      !core.voters.includes(node.id) &&
      latest > core.log.commitIndex() &&
      latest - 1 >= core.log.snapshotIndex() &&
      isVoter(core.configs.at(latest - 1), node.id);
    if (!pending || node.basicStatus().role === 'leader') {
      tick();
      return;
    }
    const voters = core.voters;
    core.voters = [...voters, node.id];
    try {
      tick();
    } finally {
      core.voters = voters;
    }
  };
  return node;
}

/** The private state of RaftNode the second workaround reads and clears. */
interface TimerInternals {
  voters: readonly NodeId[];
  electionElapsed: number;
  leaderId: NodeId | undefined;
}

/**
 * The bug: a node that is no voter in its newest configuration (a learner, or a voter
 * whose promotion it has not received yet) never campaigns, so when its election timer
 * runs out nothing happens but the timer's restart: it keeps its leader, and, as
 * `electionElapsed` restarts below electionTick, it believes itself in that leader's
 * lease most of the time (all of it when its randomized timeout is electionTick) and
 * ignores PreVotes — also those it must answer as a voter of the newer configuration
 * the candidate holds (e.g. voters {a, b}: b lost its leader a before receiving its own
 * promotion, and a's pre-votes never get an answer from b).
 *
 * The fix emulated: when its election timer runs out, such a node forgets its leader
 * (as a voter does when it campaigns).
 */
export function nonVoterForgetsLeader(node: RaftNode): RaftNode {
  const core = node as unknown as TimerInternals;
  const tick = node.tick.bind(node);
  node.tick = (): void => {
    const before = core.electionElapsed;
    tick();
    if (
      node.basicStatus().role === 'follower' &&
      !core.voters.includes(node.id) &&
      core.electionElapsed === 0 &&
      before > 0
    )
      core.leaderId = undefined;
  };
  return node;
}
