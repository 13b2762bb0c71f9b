/**
 * Deliberately broken Raft variants, used only to prove that the simulator's
 * checkers are not vacuous: each must be caught within a bounded number of seeds.
 * They override the core's documented fault-injection hooks, or re-sort what the
 * core hands out; production code never does. The simulator installs them through
 * the runtime's `createNode` hook, so the real runtime drives them.
 */
import {
  RaftNode,
  type Message,
  type MessageType,
  type ProposeResult,
  type Ready,
} from '../../../src/raft/index.js';
import {
  applyMembershipChange,
  votersOf,
  type Membership,
  type MembershipChange,
} from '../../../src/raft/membership.js';
import type { NodeFactory } from './options.js';

/** Grants every RequestVote from a candidate with an up-to-date log: two votes in one term. */
export class DoubleVotingNode extends RaftNode {
  protected override voteAllowed(): boolean {
    return true;
  }
}

/**
 * Commits any entry replicated on a majority, whatever its term — the bug of the
 * Raft paper's Figure 8 (§5.4.2).
 */
export class Figure8Node extends RaftNode {
  protected override commitAllowedByCounting(): boolean {
    return true;
  }
}

export const doubleVotingFactory: NodeFactory = (config, initial) =>
  new DoubleVotingNode(config, initial);
export const figure8Factory: NodeFactory = (config, initial) => new Figure8Node(config, initial);

/**
 * The `sendBeforePersist` fault: a runtime that sends a Ready's messagesAfterAppend
 * (all, or those of `types`) before the Ready is durable. The real runtime sends
 * exactly `Ready.messages` before its write and `messagesAfterAppend` after it, so
 * moving the messages from one list to the other makes the runtime commit the fault,
 * in its own order; `advance` gets the core's own Ready back. Wraps any core (also a
 * broken one), in place.
 */
export function sendingPromisesEarly(
  node: RaftNode,
  types: true | readonly MessageType[],
): RaftNode {
  const early = (m: { type: MessageType }): boolean => types === true || types.includes(m.type);
  const ready = node.ready.bind(node);
  const advance = node.advance.bind(node);
  const originals = new WeakMap<Ready, Ready>();
  node.ready = (): Ready => {
    const rd = ready();
    if (!rd.messagesAfterAppend.some(early)) return rd;
    const resorted: Ready = {
      ...rd,
      messages: [...rd.messages, ...rd.messagesAfterAppend.filter(early)],
      messagesAfterAppend: rd.messagesAfterAppend.filter((m) => !early(m)),
    };
    originals.set(resorted, rd);
    return resorted;
  };
  node.advance = (rd: Ready): void => advance(originals.get(rd) ?? rd);
  return node;
}

/**
 * The `timeoutNowEarly` fault: a leader that sends TimeoutNow as soon as it is asked to
 * hand leadership over, before the transferee holds its whole log (thesis §3.10: only
 * once it does). Added to the next Ready's messages, as a runtime would send it; the
 * core's own TimeoutNow still follows once the transferee has caught up. Wraps any core,
 * in place.
 */
export function sendingTimeoutNowEarly(node: RaftNode): RaftNode {
  const transfer = node.transferLeadership.bind(node);
  const ready = node.ready.bind(node);
  const advance = node.advance.bind(node);
  const originals = new WeakMap<Ready, Ready>();
  let early: Message[] = [];
  node.transferLeadership = (to): void => {
    transfer(to);
    const st = node.basicStatus();
    if (st.role === 'leader' && st.transferee === to)
      early.push({ type: 'TimeoutNow', from: node.id, to, term: st.term });
  };
  node.ready = (): Ready => {
    const rd = ready();
    if (early.length === 0) return rd;
    const resorted: Ready = { ...rd, messages: [...rd.messages, ...early] };
    early = [];
    originals.set(resorted, rd);
    return resorted;
  };
  node.advance = (rd: Ready): void => advance(originals.get(rd) ?? rd);
  // Its rule for a TimeoutNow is broken too: every one still stands.
  node.timeoutNowStillDue = (): boolean => true;
  return node;
}

/** The private state of RaftNode the membership variants below bend (test code only). */
interface ConfigsOfNode {
  configs: { latestIndex(): number; latest(): Membership };
}

/**
 * Breaks the one-change-at-a-time rule (thesis §4.1): a leader appends a configuration
 * change while the previous one is not committed yet. Two uncommitted single-server
 * changes add up to two voters: a majority of the newest configuration and one of the
 * committed one need not intersect.
 */
export class TwoChangesNode extends RaftNode {
  override proposeMembership(change: MembershipChange): ProposeResult {
    const configs = (this as unknown as ConfigsOfNode).configs;
    // The core asks configs.latestIndex() whether the change in force is committed.
    configs.latestIndex = () => 0;
    try {
      return super.proposeMembership(change);
    } finally {
      delete (configs as Partial<ConfigsOfNode['configs']>).latestIndex;
    }
  }
}

/**
 * Breaks the single-server rule itself: removing a voter removes another one too (two
 * voters in one change), as if joint consensus were skipped.
 */
export class TwoVotersNode extends RaftNode {
  override proposeMembership(change: MembershipChange): ProposeResult {
    const configs = (this as unknown as ConfigsOfNode).configs;
    const current = configs.latest();
    const other = votersOf(current).find((v) => v !== change.id && v !== this.id);
    const reduced =
      change.type === 'remove' && other !== undefined
        ? applyMembershipChange(current, { type: 'remove', id: other })
        : undefined;
    if (reduced === undefined || !reduced.ok) return super.proposeMembership(change);
    // The core reads the configuration in force once to apply the change to it.
    let first = true;
    const latest = configs.latest.bind(configs);
    configs.latest = () => {
      if (!first) return latest();
      first = false;
      return reduced.membership;
    };
    try {
      return super.proposeMembership(change);
    } finally {
      delete (configs as Partial<ConfigsOfNode['configs']>).latest;
    }
  }
}

export const twoChangesFactory: NodeFactory = (config, initial) =>
  new TwoChangesNode(config, initial);
export const twoVotersFactory: NodeFactory = (config, initial) =>
  new TwoVotersNode(config, initial);
