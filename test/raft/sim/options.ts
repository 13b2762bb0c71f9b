/**
 * Simulation options. Each seed draws its own fault profile and Raft
 * configuration (see `drawProfile`), so a batch of seeds covers calm and hostile
 * networks, tiny and large batches, pre-vote and check-quorum on and off.
 */
import type {
  InitialState,
  MessageType,
  RaftConfigInput,
  RaftNode,
} from '../../../src/raft/index.js';
import type { Prng } from './prng.js';

export interface SimProfile {
  /** Sim time units between two ticks of a node (per-node skew of ±1 is added). */
  tickInterval: number;
  electionTick: number;
  heartbeatTick: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxInflightMessages: number;
  maxEntriesPerMessage: number;
  maxBytesPerMessage: number;
  /** One-way message delay, uniform in [minDelay, maxDelay]. */
  minDelay: number;
  maxDelay: number;
  /** Probability that a message gets an extra delay of up to longDelay (reordering). */
  reorderRate: number;
  longDelay: number;
  lossRate: number;
  dupRate: number;
  /** Per chaos round (every chaosInterval units): probability of starting a partition. */
  partitionRate: number;
  partitionMin: number;
  partitionMax: number;
  /** Per chaos round: probability of crashing one node. */
  crashRate: number;
  /**
   * Crash point: after a Ready is persisted, probability of crashing right there —
   * half the time before its messagesAfterAppend are sent, half the time just after.
   */
  crashAfterPersistRate: number;
  restartMin: number;
  restartMax: number;
  chaosInterval: number;
  /** Disk write latency (persisting one Ready), uniform in [1, diskLatencyMax]. */
  diskLatencyMax: number;
  /**
   * State machine latency per entry, uniform in [1, applyLatencyMax]; 0 = an entry is
   * applied (durably) within the runtime's `apply()` call.
   */
  applyLatencyMax: number;
  /** Deadline the clients give `propose` and `readBarrier` (sim time). */
  requestTimeout: number;
  /** Sim time between client proposals, uniform in [1, 2*proposalInterval]. */
  proposalInterval: number;
  /** Sim time between client ReadIndex requests; 0 = no reads. */
  readInterval: number;
  /**
   * Snapshots: every `snapshotThreshold` applied entries a node snapshots its state
   * and compacts its log, keeping `snapshotTrailing` entries before the snapshot
   * point; a follower behind a leader's log start gets a snapshot. 0 = no snapshot
   * ports at all (the log is never compacted).
   */
  snapshotThreshold: number;
  snapshotTrailing: number;
  /**
   * The byte bounds of the same policy (payloads here are a few bytes, e.g. 'p123'):
   * a snapshot every `snapshotThresholdBytes` of applied payload, and at most
   * `snapshotTrailingBytes` of payload kept before the snapshot point.
   */
  snapshotThresholdBytes: number;
  snapshotTrailingBytes: number;
  /** Taking or installing a snapshot, uniform in [1, snapshotLatencyMax]. */
  snapshotLatencyMax: number;
  /** Streaming a snapshot takes a network delay plus this much per entry of state. */
  snapshotTransferPerEntry: number;
  /** How long a leader waits for a snapshot to be installed (the runtime's sendTimeoutMs). */
  snapshotSendTimeout: number;
  /**
   * Crash point around snapshot work: when a snapshot is taken or installed, or the
   * log is compacted or reset, probability of crashing there — before it lands (it is
   * lost), after it lands but before the runtime learns it, or just after.
   */
  snapshotCrashRate: number;
  /**
   * Leadership transfers: sim time between two requests, uniform in
   * [1, 2*transferInterval]; 0 = none. A client asks the node it believes leads to
   * hand leadership over (`RaftRuntime.transferLeadership`), to a random voter or, with
   * probability `transferToAnyRate`, to whichever voter the runtime picks.
   */
  transferInterval: number;
  transferToAnyRate: number;
  /** The deadline the client gives `transferLeadership` (sim time). */
  transferTimeout: number;
  /**
   * Probability that a transfer is followed, within a few message delays and ticks, by
   * a crash or an isolation of its leader or its target (the window where TimeoutNow
   * and the transfer's election are in flight).
   */
  transferNemesisRate: number;
  /**
   * Share of the clients' reads made with `leaseRead` (served without a round trip while
   * the leader's lease holds) rather than `readBarrier`; the lease is `leaseDriftMs`
   * shorter than the vote-quiet window (which must cover the nodes' tick skew).
   */
  leaseReadRate: number;
  leaseDriftMs: number;
  /**
   * Membership changes: sim time between two administrator requests, uniform in
   * [1, 2*membershipInterval]; 0 = none (the founding voters stay). See
   * Simulation.clientMembership.
   */
  membershipInterval: number;
  /** The deadline the administrator gives changeMembership and promoteWhenCaughtUp. */
  membershipTimeout: number;
  /** A node no configuration names keeps running up to this long (at least 50), then stops. */
  retireAfterMax: number;
}

/** Deliberate breakage, to prove that the checkers catch real bugs. */
export interface SimFaults {
  /** The disk loses the vote of the current term on crash (as if hard state were not synced). */
  forgetVoteOnCrash?: boolean;
  /**
   * The runtime sends a Ready's messagesAfterAppend (votes, acknowledgements, …)
   * before the Ready is persisted, as it may its `messages`: all of them, or only
   * those of the listed types. Injected through the runtime's `createNode` hook: the
   * core hands them out in `Ready.messages`, which the real runtime sends before its
   * write (see `sendingPromisesEarly` in broken.ts).
   */
  sendBeforePersist?: true | readonly MessageType[];
  /** The snapshot store's install leaves out the snapshot's last entry. */
  installDropsLastEntry?: boolean;
  /**
   * The runtime compacts its log this many entries beyond the snapshot it just took
   * (its snapshot policy's trailing entries made negative).
   */
  compactBeyondSnapshot?: number;
  /**
   * A leader sends TimeoutNow as soon as it is asked to transfer, before the transferee
   * has caught up (see `sendingTimeoutNowEarly` in broken.ts).
   */
  timeoutNowEarly?: boolean;
}

export type NodeFactory = (config: RaftConfigInput, initial: InitialState) => RaftNode;

export interface SimOptions {
  seed: number;
  nodes: 3 | 5;
  /** Events processed in the chaotic phase (before the fault-free convergence phase). */
  steps: number;
  verbose?: boolean;
  log?: (line: string) => void;
  faults?: SimFaults;
  /**
   * Builds each node's core (through the runtime's `createNode` hook); tests pass
   * subclasses with deliberately broken rules.
   */
  nodeFactory?: NodeFactory;
  /** Overrides of the per-seed random profile. */
  profile?: Partial<SimProfile>;
  /** Check that a persisted vote never changes within a term (default true). */
  checkVoteDurability?: boolean;
  /**
   * Check, as each message leaves, that a granted vote or a successful
   * AppendEntriesResponse is covered by the sender's disk (default true).
   */
  checkPromisesDurableAtSend?: boolean;
  /** Sim time allowed for the fault-free phase to converge. */
  convergeTimeout?: number;
  /**
   * Check the single-server rules where a leader appends a change (one uncommitted
   * change at a time, a commit in its term first; default true). The configurations'
   * distance (one voter) is always checked.
   */
  checkSingleServerRules?: boolean;
}

export const DEFAULT_STEPS = 10_000;

export function drawProfile(rng: Prng): SimProfile {
  const electionTick = rng.pick([5, 10]);
  return {
    tickInterval: 10,
    electionTick,
    heartbeatTick: rng.pick([1, 2]),
    preVote: rng.chance(0.6),
    checkQuorum: rng.chance(0.6),
    maxInflightMessages: rng.pick([1, 2, 4, 64]),
    maxEntriesPerMessage: rng.pick([1, 3, 64]),
    maxBytesPerMessage: rng.pick([16, 64, 1 << 20]),
    minDelay: 1,
    maxDelay: rng.pick([3, 10, 25]),
    reorderRate: rng.pick([0, 0.05, 0.2]),
    longDelay: rng.pick([50, 150]),
    lossRate: rng.pick([0, 0.01, 0.05, 0.15]),
    dupRate: rng.pick([0, 0.02, 0.1]),
    partitionRate: rng.pick([0, 0.005, 0.02]),
    partitionMin: 30,
    partitionMax: rng.pick([300, 1500]),
    crashRate: rng.pick([0, 0.003, 0.01]),
    crashAfterPersistRate: rng.pick([0, 0, 0.002, 0.01]),
    restartMin: 5,
    restartMax: rng.pick([100, 600]),
    chaosInterval: 10,
    diskLatencyMax: rng.pick([1, 4, 15]),
    proposalInterval: rng.pick([3, 15, 60]),
    readInterval: rng.pick([0, 10, 40]),
    // Drawn last, so that the fields above keep their values for a given seed.
    applyLatencyMax: rng.pick([0, 0, 3, 10]),
    requestTimeout: rng.pick([60, 250, 1500]),
    // Snapshots, drawn after everything else for the same reason. One profile in four
    // runs without them; the others snapshot often (every 5–30 applied entries).
    snapshotThreshold: rng.chance(0.25) ? 0 : rng.int(5, 30),
    snapshotTrailing: rng.int(0, 5),
    snapshotLatencyMax: rng.pick([1, 5, 20]),
    snapshotTransferPerEntry: rng.pick([0.01, 0.1]),
    snapshotSendTimeout: rng.pick([500, 3000]),
    snapshotCrashRate: rng.pick([0, 0.01, 0.05]),
    snapshotThresholdBytes: rng.pick([1 << 30, 1 << 30, 100]),
    snapshotTrailingBytes: rng.pick([1 << 30, 1 << 30, 10]),
    // Leadership transfers and lease reads, drawn after everything else for the same
    // reason. Three profiles in four ask for a transfer every few hundred time units
    // (a run lasts some 2,000–12,000); most timeouts are longer than the core's own
    // (one election timeout), some shorter.
    transferInterval: rng.pick([0, 150, 300, 600]),
    transferToAnyRate: rng.pick([0, 0.3]),
    transferTimeout: rng.pick([50, 300, 1000]),
    transferNemesisRate: rng.pick([0, 0.2, 0.5]),
    leaseReadRate: rng.pick([0, 0.5, 1]),
    // The nodes' tick intervals differ by up to 2 (±1 skew each): over the vote-quiet
    // window of (electionTick - 1) ticks, at most 18 time units.
    leaseDriftMs: rng.pick([20, 40]),
    // Membership changes, drawn after everything else for the same reason. Three
    // profiles in four change the membership, every few hundred time units.
    membershipInterval: rng.pick([0, 100, 250, 600]),
    membershipTimeout: rng.pick([200, 1000, 3000]),
    retireAfterMax: rng.pick([200, 1500]),
  };
}
