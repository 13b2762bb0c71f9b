/**
 * Watches a core from the outside for the decisions a quorum makes, so that the
 * checker can verify each was made by a majority of the configuration it claims:
 *
 *  - an election won: the voters of the winner's configuration when it won, and the
 *    voters whose granted RequestVoteResponse reached it in that term (itself included);
 *  - a commit: the leader's configuration when its commit index moved, and the members
 *    whose match index (its own: its stable index) reached the new commit index;
 *  - a configuration change a leader appended (`proposeMembership`): the configuration
 *    before and after it, and whether the one before was committed, and an entry of
 *    the leader's term, when it was made (single-server rules, thesis §4.1 and the
 *    2015 fix).
 *
 * Wraps any core (also a broken one), in place, through the runtime's `createNode`
 * hook; it reads the core only through its public API after each input returns.
 */
import type { Message, NodeId, RaftNode } from '../../../src/raft/index.js';
import type { Membership } from '../../../src/raft/membership.js';

export interface QuorumDecision {
  readonly kind: 'election' | 'commit';
  readonly node: NodeId;
  readonly term: number;
  /** Commit: the new commit index. Election: the winner's last index. */
  readonly index: number;
  /** The configuration the decision was counted in (the node's, in force then). */
  readonly membership: Membership;
  readonly membershipIndex: number;
  /** Who supported it: the voters that granted the vote, or the members whose match reached `index`. */
  readonly support: readonly NodeId[];
}

export interface ConfigAppended {
  readonly node: NodeId;
  readonly term: number;
  /** Where the config entry sits. */
  readonly index: number;
  readonly before: Membership;
  /** The entry that set `before` (the log's base index when none did). */
  readonly beforeIndex: number;
  readonly after: Membership;
  /** The leader's commit index when it appended the entry. */
  readonly commitIndex: number;
  /** Whether an entry of the leader's term was committed then. */
  readonly committedInTerm: boolean;
}

export interface DecisionHooks {
  decision(d: QuorumDecision): void;
  configAppended(c: ConfigAppended): void;
  /** A violation the hooks threw: recorded by the simulator (never thrown into the runtime). */
  violation(error: unknown): void;
}

/** Every input and output call after which a decision may have been made. */
const OBSERVED = [
  'tick',
  'step',
  'propose',
  'readIndex',
  'transferLeadership',
  'cancelLeadershipTransfer',
  'advance',
  'installSnapshot',
  'reportSnapshot',
  'compact',
] as const;

export function observingDecisions(node: RaftNode, hooks: DecisionHooks): RaftNode {
  const first = node.basicStatus();
  let role = first.role;
  let term = first.term;
  let commit = first.commitIndex;
  /** Voters whose granted RequestVoteResponse reached this node as candidate of `grantsTerm`. */
  let grants = new Set<NodeId>();
  let grantsTerm = -1;

  const report = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      hooks.violation(error);
    }
  };

  const observe = (): void => {
    const bs = node.basicStatus();
    if (bs.role === 'leader' && (role !== 'leader' || bs.term !== term)) {
      const st = node.status();
      const support = new Set(grantsTerm === bs.term ? grants : []);
      support.add(node.id);
      report(() =>
        hooks.decision({
          kind: 'election',
          node: node.id,
          term: bs.term,
          index: st.lastIndex,
          membership: st.membership,
          membershipIndex: st.membershipIndex,
          support: [...support],
        }),
      );
    } else if (bs.role === 'leader' && bs.commitIndex > commit) {
      const st = node.status();
      const support = Object.entries(st.progress ?? {})
        .filter(([, pr]) => pr.match >= bs.commitIndex)
        .map(([id]) => id);
      report(() =>
        hooks.decision({
          kind: 'commit',
          node: node.id,
          term: bs.term,
          index: bs.commitIndex,
          membership: st.membership,
          membershipIndex: st.membershipIndex,
          support,
        }),
      );
    }
    role = bs.role;
    term = bs.term;
    commit = bs.commitIndex;
  };

  for (const name of OBSERVED) {
    const input = (node[name] as (...args: unknown[]) => unknown).bind(node);
    (node as unknown as Record<string, unknown>)[name] = (...args: unknown[]): unknown => {
      if (name === 'step') {
        const m = args[0] as Message;
        const bs = node.basicStatus();
        if (
          m.type === 'RequestVoteResponse' &&
          m.granted &&
          bs.role === 'candidate' &&
          m.term === bs.term
        ) {
          if (grantsTerm !== bs.term) {
            grants = new Set();
            grantsTerm = bs.term;
          }
          grants.add(m.from);
        }
      }
      try {
        return input(...args);
      } finally {
        observe();
      }
    };
  }

  const propose = node.proposeMembership.bind(node);
  node.proposeMembership = (change) => {
    const before = node.status();
    const committedInTerm = node.logTerm(before.commitIndex) === before.term;
    try {
      const position = propose(change);
      report(() =>
        hooks.configAppended({
          node: node.id,
          term: position.term,
          index: position.index,
          before: before.membership,
          beforeIndex: before.membershipIndex,
          after: node.membership(),
          commitIndex: before.commitIndex,
          committedInTerm,
        }),
      );
      return position;
    } finally {
      observe();
    }
  };
  return node;
}
