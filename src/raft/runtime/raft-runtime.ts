/**
 * RaftRuntime: drives the I/O-free Raft core through its ports (ports.ts). It ticks
 * the core on the clock, feeds it peer messages and proposals, and carries out each
 * Ready in the order the core requires: send what may leave at once, persist (one
 * atomic write for everything the Ready holds: group commit), send what had to wait
 * for the disk, then apply committed entries in log order. Every core call happens
 * synchronously, so no message is handled in the middle of another (pitfall 8).
 *
 * Only bytes cross it: proposals are payloads, the state machine's results are
 * handed back to the proposer unread (`Result`), and its errors (errors.ts) say
 * what is known of an operation's fate without any wire format.
 */
import { commitTrace, commitTraceOn, traceReplication } from '../../commit-trace.js';
import type { RaftConfigInput } from '../config.js';
import {
  MembershipChangeError,
  NotLeaderError,
  RaftInvariantError,
  TransferInProgressError,
} from '../errors.js';
import {
  bootstrapMembership,
  learnersOf,
  memberOf,
  votersOf,
  type Membership,
  type MembershipChange,
} from '../membership.js';
import { RaftNode, type ReadyLimits } from '../raft-node.js';
import type {
  Entry,
  InitialState,
  LeaderFreshness,
  Message,
  NodeId,
  RaftStatus,
  Ready,
  Role,
  SoftState,
} from '../types.js';
import {
  ApplyWaitTimedOut,
  EntryTooLarge,
  LeadershipTransferring,
  MembershipChangeRefused,
  TransferFailed,
  NodeStopped,
  NotLeader,
  ProposalLost,
  ProposalQueueFull,
  ProposalTimedOut,
  ReadTimedOut,
  TooManyReadsWaiting,
} from './errors.js';
import type {
  PersistedLog,
  RaftPorts,
  RuntimeObserver,
  SnapshotHeader,
  TimerHandle,
} from './ports.js';
import { FreshnessLog, LeaderLease } from './leader-lease.js';
import { DEFAULT_SNAPSHOT_POLICY, Snapshotting, type SnapshotPolicy } from './snapshotting.js';

export interface RaftTiming {
  /** Milliseconds per Raft tick. */
  tickMs: number;
  /** Election timeout in ticks (randomized in [electionTick, 2·electionTick)). */
  electionTick: number;
  heartbeatTick: number;
}

/**
 * The Raft tick when timing is given in milliseconds. Fine-grained on purpose: an
 * election timeout is randomized in whole ticks, and with 50 ms ticks a 500 ms
 * timeout had only ten values, so the two survivors of a dead leader often campaigned
 * in the same tick and split their votes, costing another whole timeout (failover
 * outliers of 1.5 s). With 10 ms ticks they rarely collide.
 */
const RAFT_TICK_MS = 10;

/** Timing from a heartbeat interval and an election timeout in milliseconds. */
export function raftTimingFromMs(heartbeatMs: number, electionTimeoutMs: number): RaftTiming {
  const tickMs = Math.min(RAFT_TICK_MS, heartbeatMs);
  const heartbeatTick = Math.max(1, Math.round(heartbeatMs / tickMs));
  const electionTick = Math.max(heartbeatTick + 1, Math.round(electionTimeoutMs / tickMs));
  return { tickMs, heartbeatTick, electionTick };
}

/**
 * Defaults chosen for fast failover without spurious elections on a loaded 2-core
 * machine: heartbeats every 50 ms, elections after 250–500 ms of silence (the Raft
 * paper, §9.3, suggests 150–300 ms). `npm run bench -- raft` measured no election in
 * 60 s of writes and searches with it, and failovers (kill -9 of the leader to the
 * first acknowledged write) of 374 ms median, 869 ms at most. An event-loop stall
 * longer than the timeout on the leader does cost an election: machines with longer
 * pauses should raise `--election-timeout-ms`.
 */
export const DEFAULT_RAFT_TIMING: RaftTiming = raftTimingFromMs(50, 250);

/**
 * Committed entries handed out to the state machine and not yet applied: a Ready
 * hands out no more than this leaves room for (see readyLimits).
 */
const MAX_UNAPPLIED_ENTRIES = 1024;

/**
 * Committed entries not yet applied beyond which the runtime takes no new Ready until
 * apply catches up: the log cannot be compacted past the applied index, so a state
 * machine slower than the writes for good must not let the log grow without bound,
 * nor a follower acknowledge far more than it can apply (it would be a slow leader
 * after a failover). Below it, Readies keep flowing while apply lags.
 */
const MAX_APPLY_BACKLOG = 16 * MAX_UNAPPLIED_ENTRIES;

/**
 * The most committed entries, and payload bytes, handed to the state machine in one
 * call: a group is applied under one lock and written in one batch, which is what
 * lets apply keep up with many concurrent writes; the bound keeps that batch's size
 * in check (an entry larger than it goes alone).
 */
const MAX_APPLY_GROUP_ENTRIES = 256;
const MAX_APPLY_GROUP_BYTES = 8 * 1024 * 1024;

/** How a change reads in the log. */
function describeChange(change: MembershipChange): string {
  switch (change.type) {
    case 'add':
      return `add ${change.role} ${change.id} at ${change.peerAddress}`;
    case 'promote':
      return `promote ${change.id} to voter`;
    case 'remove':
      return `remove ${change.id}`;
  }
}

/** A no-op entry's payload: empty. */
const NOOP_PAYLOAD = new Uint8Array(0);

/**
 * A configuration a joining node learned: the one in force at index `knownFrom` of the
 * leader's log (its log start). What was in force before is unknown to this node.
 */
export interface LearnedMembership {
  membership: Membership;
  knownFrom: number;
}

export interface RaftRuntimeConfig {
  id: NodeId;
  /**
   * The voters a new cluster starts with, id → peer address, this node included
   * (`--peers`). Used only while nothing is stored: a node with a stored configuration
   * uses that one (and logs it when this list disagrees). May be empty with
   * `initialMembership`.
   */
  peers: ReadonlyMap<NodeId, string>;
  /**
   * The configuration to start from when nothing is stored, instead of `peers`: what a
   * node joining a running cluster learns from it (`serve --join`). Asked only then.
   */
  initialMembership?: () => Promise<Membership | LearnedMembership>;
  /** Called with each new configuration in force (after the transport has it). */
  onMembership?: (membership: Membership) => void;
  timing?: Partial<RaftTiming>;
  /** Proposals accepted but not yet applied beyond which new ones get ProposalQueueFull. Default 4096. */
  maxPendingProposals?: number;
  /** The largest payload one entry may carry (EntryTooLarge above it). */
  maxEntryBytes: number;
  log?: (line: string) => void;
  /** Told of elections, synced log writes, applies and snapshots (metrics); absent: nobody. */
  observer?: RuntimeObserver;
  /** Called when the node must stop: its disk or its invariants can no longer be trusted. */
  onFatal?: (error: unknown) => void;
  /** When to snapshot and compact, and how long a transfer may take (with `ports.snapshots`). */
  snapshots?: Partial<SnapshotPolicy>;
  /**
   * Builds the core from the config and initial state the runtime derived (default:
   * `new RaftNode(config, initial)`). For the simulator and tests only: core options
   * the runtime leaves at their defaults (pre-vote, flow control) and deliberately
   * broken cores. Production leaves it unset. Lease reads count on the core's
   * check-quorum (leader stickiness) and voteQuietAfterStart: a node built without
   * them must not serve LEASE reads.
   */
  createNode?: (config: RaftConfigInput, initial: InitialState) => RaftNode;
  /** Leader lease and freshness stamps (see leader-lease.ts and DEFAULT_LEASE). */
  lease?: Partial<LeaseConfig>;
  /**
   * The address clients should use for a member (its advertised client address), for
   * leader hints; undefined: its peer address in `peers`.
   */
  clientAddress?: (id: NodeId) => string | undefined;
  /**
   * Member `id`'s vote-quiet window in ms (voteQuietWindowMs of its timing), as it
   * announced it; undefined while unknown. The lease lasts no longer than the shortest
   * window among the voters, and does not hold while one is unknown. Absent: every
   * member is taken to share this node's timing (tests, the simulator).
   */
  peerVoteQuietMs?: (id: NodeId) => number | undefined;
}

/**
 * How long after hearing from its leader a member refuses to help elect another:
 * electionTick ticks of its own, less one for the timer's phase (see leader-lease.ts).
 */
export function voteQuietWindowMs(timing: RaftTiming): number {
  return (timing.electionTick - 1) * timing.tickMs;
}

export interface LeaseConfig {
  /**
   * How much shorter than the election timeout the leader's lease is: the bound on how
   * far two members' clocks may drift apart over one election timeout.
   */
  driftMs: number;
  /**
   * The bound on the difference between two members' wall clocks: a follower adds it
   * to the age of a leader's freshness stamp, and drops a stamp from further ahead.
   */
  maxClockSkewMs: number;
  /** Test-only weakening (unsafe-test-flags.ts): the lease never expires within its term. */
  neverExpires: boolean;
}

export const DEFAULT_LEASE: LeaseConfig = { driftMs: 50, maxClockSkewMs: 50, neverExpires: false };

/** What a replica knows of its own freshness, for reads that may skip the leader. */
export interface ReplicaFreshness {
  /** The last entry applied to the local state. */
  appliedIndex: number;
  /** The highest commit index heard from a leader (or this leader's own). */
  leaderCommitIndex: number;
  /** Whether this node leads with a lease that holds now. */
  leaseHolds: boolean;
  /**
   * The leader's wall-clock time before which every committed write is in the local
   * state; undefined when no leader stamp says so.
   */
  freshAsOfWallMs: number | undefined;
}

/**
 * Reads waiting at once, for the applied index (waitApplied) or for a ReadIndex round
 * (readBarrier), beyond which more are refused with TooManyReadsWaiting
 * (RESOURCE_EXHAUSTED with a retry hint).
 */
const MAX_APPLIED_WAITERS = 10_000;

export interface ProposeOutcome<Result> {
  result: Result;
  logIndex: number;
}

interface PendingProposal<Result> {
  index: number;
  term: number;
  resolve: (outcome: ProposeOutcome<Result>) => void;
  reject: (error: unknown) => void;
  timer: TimerHandle;
}

interface PendingRead {
  /** The term the read was registered in: a new term means the core dropped it. */
  term: number;
  /** When it was registered (monotonic ms): its confirmation renews the lease from then. */
  registeredAt: number;
  /** A lease renewal round (no caller waits for the state to be applied). */
  renewal?: true;
  resolve: () => void;
  reject: (error: unknown) => void;
  timer: TimerHandle;
  /** Set once the leader confirmed the read index; waiting for apply to reach it. */
  index?: number;
}

/** The entries from `entries[start]` on that go to the state machine in one call. */
function applyGroup(entries: readonly Entry[], start: number): Entry[] {
  let end = start + 1;
  let bytes = entries[start]!.data.byteLength;
  while (end < entries.length && end - start < MAX_APPLY_GROUP_ENTRIES) {
    bytes += entries[end]!.data.byteLength;
    if (bytes > MAX_APPLY_GROUP_BYTES) break;
    end++;
  }
  return entries.slice(start, end);
}

export class RaftRuntime<Result> {
  readonly id: NodeId;
  private readonly timing: RaftTiming;
  /**
   * Proposals waiting for their entry to be applied, by log index. Usually one per
   * index; more when a leader re-elected after losing entries hands an index out
   * again: whichever entry commits there settles them all.
   */
  private readonly proposals = new Map<number, PendingProposal<Result>[]>();
  private pendingProposals = 0;
  private readonly reads = new Map<string, PendingRead>();
  private readonly maxPendingProposals: number;
  private readonly log: (line: string) => void;
  private softState: SoftState = { role: 'follower', leaderId: undefined };
  private ticker: TimerHandle | undefined;
  private cycle: Promise<void> | undefined;
  private cycleRequested = false;
  private applyChain: Promise<void> = Promise.resolve();
  private unappliedEntries = 0;
  private readSeq = 0;
  private leaderKnownWaiters: (() => void)[] = [];
  /** transferLeadership calls waiting for another leader. */
  private readonly transferWaiters = new Set<{
    resolve: (leader: NodeId) => void;
    reject: (error: unknown) => void;
    timer: TimerHandle;
  }>();
  /** The last term in which this node began a leadership transfer: it holds no lease in it. */
  private transferTerm = 0;
  private stopped = false;
  private fatal: unknown;
  /** While a snapshot is installed: ticks and peer messages are dropped. */
  private inputsHeld = false;
  /** While above 0, no Ready is handled (pauseReadies). */
  private readiesPaused = 0;
  private readonly snapshotting: Snapshotting | undefined;
  private readonly observer: RuntimeObserver | undefined;
  /**
   * The core's term and role as of the last input, and the newest term this node knew
   * a leader in: what the observer was told (see observeCore).
   */
  private readonly observed: { term: number; role: Role; leaderTerm: number };
  private readonly leaseConfig: LeaseConfig;
  private readonly lease: LeaderLease;
  private readonly freshness = new FreshnessLog();
  /** A lease renewal round is registered and not yet confirmed or dropped. */
  private leaseRenewalPending = false;
  private readonly appliedWaiters = new Set<{
    index: number;
    resolve: () => void;
    reject: (error: unknown) => void;
    timer: TimerHandle;
  }>();
  private stampDropsLogged = 0;
  /**
   * The configuration the transport and the lease were last told of (Ready.membership);
   * the core's own (`node.membership()`) may be newer, and is what every check uses.
   */
  private membership: Membership;

  private constructor(
    private readonly config: RaftRuntimeConfig,
    private readonly ports: RaftPorts<Result>,
    private readonly node: RaftNode,
  ) {
    this.id = config.id;
    this.membership = node.membership();
    this.timing = { ...DEFAULT_RAFT_TIMING, ...config.timing };
    this.maxPendingProposals = config.maxPendingProposals ?? 4096;
    this.log = config.log ?? (() => {});
    this.observer = config.observer;
    const { term, role } = node.basicStatus();
    this.observed = { term, role, leaderTerm: 0 };
    this.leaseConfig = { ...DEFAULT_LEASE, ...config.lease };
    this.lease = new LeaderLease(
      voteQuietWindowMs(this.timing) - this.leaseConfig.driftMs,
      this.leaseConfig.neverExpires,
    );
    const snapshots = ports.snapshots;
    this.snapshotting =
      snapshots === undefined
        ? undefined
        : new Snapshotting({
            id: config.id,
            node,
            log: ports.log,
            store: snapshots.store,
            sender: snapshots.sender,
            policy: { ...DEFAULT_SNAPSHOT_POLICY, ...config.snapshots },
            exclusive: (work) => this.exclusive(work),
            guarded: (input) => this.guarded(input),
            holdInputs: (held) => {
              this.inputsHeld = held;
            },
            pauseReadies: () => this.pauseReadies(),
            appliedIndex: () => ports.stateMachine.appliedIndex,
            say: (line) => this.log(line),
            now: () => ports.clock.now(),
            observer: config.observer,
          });
  }

  /** Runs `work` in the apply queue: after the entries queued before it, before any after. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.applyChain.then(work);
    this.applyChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Follower: a snapshot the leader streamed arrived whole in `folder`; installs it if
   * the core wants it. Resolves with the answer for the leader.
   */
  receiveSnapshot(
    header: SnapshotHeader,
    folder: string,
  ): Promise<{ installed: boolean; reason: string }> {
    if (this.snapshotting === undefined || this.stopped)
      return Promise.resolve({ installed: false, reason: `node ${this.id} takes no snapshots` });
    return this.snapshotting.receive(header, folder).then((answer) => {
      // Reads waiting for an index the snapshot covers need not wait for the next entry.
      if (answer.installed) this.settleReads(this.ports.stateMachine.appliedIndex);
      return answer;
    });
  }

  /** Takes a snapshot now and compacts the log behind it (`raftvec snapshot`). */
  async snapshotNow(): Promise<{ index: number }> {
    this.assertRunning();
    if (this.snapshotting === undefined) throw new Error(`node ${this.id} takes no snapshots`);
    const ref = await this.snapshotting.takeAndCompact();
    return { index: ref.index };
  }

  /**
   * Loads the log from `ports.log`, checks it against the state machine, and starts
   * ticking. Everything the node depends on is in `ports`.
   */
  static async open<Result>(
    config: RaftRuntimeConfig,
    ports: RaftPorts<Result>,
  ): Promise<RaftRuntime<Result>> {
    const timing = { ...DEFAULT_RAFT_TIMING, ...config.timing };
    let state: PersistedLog;
    try {
      state = await ports.log.load();
    } catch (error) {
      await ports.log.close().catch(() => undefined);
      throw error;
    }
    // A crash after the log was made to start after a received snapshot, before the
    // state machine was replaced by it: finish the install from the snapshot on disk —
    // the one the log starts at. Not merely the newest: a later snapshot received
    // before and never installed may lie next to it, and the log does not reach it
    // (nor are the entries after the log start known to be the committed ones).
    if (state.snapshot !== undefined && ports.stateMachine.appliedIndex < state.snapshot.index) {
      const start = state.snapshot.index;
      const lastStored = state.entries.at(-1)?.index ?? start;
      const store = ports.snapshots?.store;
      const local =
        store === undefined ? undefined : ((await store.find?.(start)) ?? (await store.newest()));
      if (local === undefined || local.index < start || local.index > lastStored) {
        await ports.log.close().catch(() => undefined);
        throw new Error(
          `the Raft log starts after entry ${start} but the state machine has applied only ${ports.stateMachine.appliedIndex} and no local snapshot covers the gap${local === undefined ? '' : ` (the local snapshot found ends at ${local.index}, the log at ${lastStored})`}: the data directory is inconsistent`,
        );
      }
      await store!.install(local.folder);
    }
    const applied = ports.stateMachine.appliedIndex;
    const lastIndex = state.entries.at(-1)?.index ?? state.snapshot?.index ?? 0;
    if (applied > lastIndex) {
      await ports.log.close().catch(() => undefined);
      throw new Error(
        `the state machine has applied entry ${applied} but the Raft log ends at ${lastIndex}: the data directory is inconsistent`,
      );
    }
    // Only committed entries are ever applied, and a snapshot holds only committed
    // entries, so both are commit indexes this node knows of even if the (unsynced)
    // commit in the hard state was lost.
    const commit = Math.max(state.hardState.commit, applied, state.snapshot?.index ?? 0);
    // The configuration at the log start: the stored one, else (a new node) the one it
    // starts with, stored now — so that a later `--peers` cannot silently change it.
    let membership = state.membership;
    let membershipFrom = state.membershipFrom;
    if (membership === undefined) {
      try {
        const starting = await RaftRuntime.startingMembership(config);
        membership = 'knownFrom' in starting ? starting.membership : starting;
        if ('knownFrom' in starting && starting.knownFrom > 0) membershipFrom = starting.knownFrom;
        await ports.log.recordMembership?.(membership, membershipFrom);
      } catch (error) {
        await ports.log.close().catch(() => undefined);
        throw error;
      }
    }
    const createNode =
      config.createNode ??
      ((c: RaftConfigInput, initial: InitialState) => new RaftNode(c, initial));
    const node = createNode(
      {
        id: config.id,
        peers: [...config.peers.keys()],
        electionTick: timing.electionTick,
        heartbeatTick: timing.heartbeatTick,
        random: ports.random,
        // Lease reads count on it (leader-lease.ts).
        voteQuietAfterStart: true,
        commitNoticeOnTick: true,
      },
      {
        hardState: { ...state.hardState, commit },
        entries: state.entries,
        applied,
        membership,
        ...(membershipFrom !== undefined && { membershipFrom }),
        ...(state.snapshot && { snapshot: state.snapshot }),
      },
    );
    const runtime = new RaftRuntime(config, ports, node);
    runtime.noteStoredConfiguration(state.membership !== undefined);
    await runtime.snapshotting?.init();
    runtime.start();
    return runtime;
  }

  /** A new node's configuration: the one it joins with, else `peers` as voters. */
  private static async startingMembership(
    config: RaftRuntimeConfig,
  ): Promise<Membership | LearnedMembership> {
    if (config.initialMembership !== undefined) return config.initialMembership();
    if (!config.peers.has(config.id))
      throw new Error(`the peer list must include this node's own id ${config.id}`);
    return bootstrapMembership(
      [...config.peers.keys()],
      (id) => config.peers.get(id) ?? '',
      (id) => (id === config.id ? (config.clientAddress?.(id) ?? '') : ''),
    );
  }

  /**
   * Hands the configuration in force to the transport, and says when the stored one is
   * not what `--peers` says: the stored one wins, as it may have changed since the
   * cluster was started (a `--peers` list is only where a new cluster begins).
   */
  private noteStoredConfiguration(stored: boolean): void {
    this.applyMembership(this.node.membership());
    if (!stored || this.config.peers.size === 0) return;
    const m = this.node.membership();
    const given = [...this.config.peers].map(([id, address]) => `${id}=${address}`).sort();
    const inForce = votersOf(m)
      .map((id) => `${id}=${memberOf(m, id)!.peerAddress}`)
      .sort();
    if (given.join(',') !== inForce.join(','))
      this.log(
        `${this.id}: --peers (${given.join(',')}) disagrees with the stored configuration (voters ${inForce.join(',')}${learnersOf(m).length > 0 ? `, learners ${learnersOf(m).join(',')}` : ''}, set by entry ${this.node.status().membershipIndex}); using the stored one`,
      );
  }

  private applyMembership(membership: Membership): void {
    // A lease stands on a majority of the voters it was confirmed by: new voters, new lease.
    if (votersOf(membership).join() !== votersOf(this.membership).join())
      this.lease.revoke(this.ports.clock.now());
    this.membership = membership;
    this.ports.transport.setMembers?.(membership.members);
    this.config.onMembership?.(membership);
  }

  /** The voters of the configuration in force. */
  voters(): NodeId[] {
    return votersOf(this.node.membership());
  }

  /**
   * The configuration at the start of this node's log (its snapshot index, or 0 for the
   * one the cluster started with): where a joining node's history begins.
   */
  logStartMembership(): { index: number; membership: Membership } {
    const index = this.node.status().snapshotIndex;
    return { index, membership: this.node.membershipAt(index) };
  }

  /** The configuration in force (the newest in the log, committed or not). */
  currentMembership(): Membership {
    return this.node.membership();
  }

  private isLoneVoter(): boolean {
    const voters = votersOf(this.node.membership());
    return voters.length === 1 && voters[0] === this.id;
  }

  private start(): void {
    if (this.isLoneVoter()) {
      // A lone voter has nobody to wait for: run out its election timeout at once
      // (randomized below 2·electionTick) instead of idling for it after a restart.
      for (let i = 0; i < 2 * this.timing.electionTick; i++) this.node.tick();
      this.observeCore();
    }
    this.ticker = this.ports.clock.setInterval(() => {
      if (!this.inputsHeld)
        this.guarded(() => {
          this.maybeRenewLease();
          this.node.tick();
        });
    }, this.timing.tickMs);
    this.kick();
  }

  /** Runs a core input; an exception from the core means this node can't be trusted. */
  private guarded(input: () => void): void {
    if (this.stopped) return;
    try {
      input();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.observeCore();
    this.kick();
  }

  /**
   * Tells the observer what the last core input did to the election state. Called after
   * every input (one input starts at most one election), so an election that ends
   * before the next Ready (a lone voter wins at once) is not missed.
   */
  private observeCore(): void {
    const observer = this.observer;
    if (observer === undefined) return;
    const { term, role, leaderId } = this.node.basicStatus();
    const seen = this.observed;
    // A candidate's term is one it campaigns in; a follower's new term was someone else's.
    const newTerm = term > seen.term;
    if (newTerm && (role === 'candidate' || role === 'leader')) observer.electionStarted(term);
    if (role === 'leader' && (newTerm || seen.role !== 'leader')) observer.electionWon(term);
    if (leaderId !== undefined && term > seen.leaderTerm) {
      seen.leaderTerm = term;
      observer.leaderChanged(leaderId, term);
    }
    seen.term = term;
    seen.role = role;
  }

  /** A message from a peer (its sender authenticated by whoever received it). */
  deliver(message: Message): void {
    // Dropped while a snapshot is installed: the core's yes to it must still hold when
    // it is told (Raft re-sends whatever is lost).
    if (this.inputsHeld) return;
    this.guarded(() => this.node.step(message));
    if (message.type === 'Heartbeat' && message.freshness !== undefined)
      this.recordFreshness(message.from, message.term, message.freshness);
  }

  /**
   * A stamp counts only from the leader this node now follows, in its term (the core
   * has just accepted the heartbeat), and only if it is not from the future by more
   * than the clock-skew bound: a peer's claim is checked like any other input.
   */
  private recordFreshness(from: NodeId, term: number, stamp: LeaderFreshness): void {
    const status = this.node.basicStatus();
    if (status.leaderId !== from || status.term !== term || status.role !== 'follower') return;
    const wallNow = this.ports.clock.wallNow?.();
    if (wallNow === undefined) return;
    if (stamp.wallTimeMs > wallNow + this.leaseConfig.maxClockSkewMs) {
      if (this.stampDropsLogged++ < 10)
        this.log(
          `${this.id} dropped a freshness stamp from ${from}: its time is ${stamp.wallTimeMs - wallNow} ms ahead of this node's clock (the bound is ${this.leaseConfig.maxClockSkewMs} ms); check the clocks' synchronization`,
        );
      return;
    }
    this.freshness.record(stamp);
  }

  /**
   * Leader: registers a ReadIndex round whose confirmation renews the lease, once per
   * heartbeat interval and one at a time (a leader cut off from its majority does not
   * pile them up). Called from the tick, before the core's own heartbeat, and only in
   * the tick that sends it: the round rides on that heartbeat, so followers get one
   * message per heartbeat interval, not two (one of each, out of phase).
   */
  private maybeRenewLease(): void {
    if (this.role !== 'leader' || this.lease.durationMs <= 0) return;
    if (this.leaseRenewalPending || !this.node.heartbeatDueAtNextTick()) return;
    const now = this.ports.clock.now();
    const requestId = `${this.id}-lease-${++this.readSeq}`;
    this.node.readIndex(requestId);
    this.leaseRenewalPending = true;
    const done = (): void => {
      this.leaseRenewalPending = false;
    };
    this.reads.set(requestId, {
      term: this.node.basicStatus().term,
      registeredAt: now,
      renewal: true,
      resolve: done,
      reject: done,
      // Dropped by the core with the term; this only guards against a lost confirmation.
      timer: this.ports.clock.setTimeout(
        () => {
          if (this.reads.delete(requestId)) done();
        },
        this.timing.electionTick * this.timing.tickMs * 2,
      ),
    });
  }

  /** Whether this node leads now with a lease that holds. */
  leaseHolds(): boolean {
    const status = this.node.basicStatus();
    // A transferee campaigns past the voters' stickiness, perhaps after the transfer was
    // given up here (a late TimeoutNow): no lease for the rest of a term that began one.
    // The core may hand over on its own (a leader that removed itself): no lease from then on.
    if (status.transferee !== undefined) this.transferTerm = status.term;
    if (status.role !== 'leader' || status.term === this.transferTerm) return false;
    // A lone voter: nobody else can be elected while it runs; but its commit index is
    // current only once an entry of its own term has committed (after a crash the one it
    // restarted with may lag what it had acknowledged).
    if (this.isLoneVoter()) return this.node.logTerm(status.commitIndex) === status.term;
    const duration = this.leaseDurationMs();
    return (
      duration !== undefined && this.lease.holds(status.term, this.ports.clock.now(), duration)
    );
  }

  /**
   * The lease's length: the shortest vote-quiet window among the voters, less the drift
   * bound; undefined while a member's window is unknown (it may be shorter than ours).
   */
  private leaseDurationMs(): number | undefined {
    let window = voteQuietWindowMs(this.timing);
    const announced = this.config.peerVoteQuietMs;
    if (announced !== undefined) {
      for (const id of votersOf(this.node.membership())) {
        if (id === this.id) continue;
        const theirs = announced(id);
        if (theirs === undefined) return undefined;
        window = Math.min(window, theirs);
      }
    }
    return window - this.leaseConfig.driftMs;
  }

  /** What this replica can say of its own freshness now (see ReplicaFreshness). */
  replicaFreshness(): ReplicaFreshness {
    const applied = this.ports.stateMachine.appliedIndex;
    const commit = this.node.basicStatus().commitIndex;
    return {
      appliedIndex: applied,
      leaderCommitIndex: Math.max(commit, this.freshness.highestCommit()),
      leaseHolds: this.leaseHolds(),
      freshAsOfWallMs: this.freshness.freshAsOf(applied),
    };
  }

  /** The lowest commit index a leader stamped at or after `wallTimeMs`, if any. */
  commitNeededFor(wallTimeMs: number): number | undefined {
    return this.freshness.commitNeededFor(wallTimeMs);
  }

  /**
   * A linearizable read without the round trip while the lease holds: resolves once
   * everything committed when it was asked is applied here. Without a lease, a
   * ReadIndex round (readBarrier), whose confirmation renews the lease. Rejects like
   * readBarrier.
   */
  leaseRead(timeoutMs: number): Promise<void> {
    try {
      this.ensureLeader();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.leaseHolds()) return this.readBarrier(timeoutMs);
    return this.waitApplied(this.node.basicStatus().commitIndex, timeoutMs);
  }

  /**
   * Resolves once the local state machine has applied `index`; rejects with
   * ApplyWaitTimedOut after `timeoutMs`, NodeStopped when the node stops, and
   * TooManyReadsWaiting when too many calls already wait.
   */
  waitApplied(index: number, timeoutMs: number): Promise<void> {
    try {
      this.assertRunning();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.ports.stateMachine.appliedIndex >= index) return Promise.resolve();
    if (this.appliedWaiters.size >= MAX_APPLIED_WAITERS)
      return Promise.reject(new TooManyReadsWaiting(this.id, this.appliedWaiters.size));
    return new Promise((resolve, reject) => {
      const waiter = {
        index,
        resolve,
        reject,
        timer: this.ports.clock.setTimeout(
          () => {
            if (this.appliedWaiters.delete(waiter))
              reject(new ApplyWaitTimedOut(this.id, index, this.ports.stateMachine.appliedIndex));
          },
          Math.max(0, timeoutMs),
        ),
      };
      this.appliedWaiters.add(waiter);
    });
  }

  /** The node's role as the core sees it right now. */
  get role(): SoftState['role'] {
    return this.node.basicStatus().role;
  }

  get leaderId(): NodeId | undefined {
    return this.node.basicStatus().leaderId;
  }

  /** The leader's client address (advertised, else its peer address), if a leader is known. */
  leaderAddress(): string | undefined {
    const leader = this.leaderId;
    return leader === undefined ? undefined : this.clientAddressOf(leader);
  }

  /** Where clients reach member `id`: its advertised address if known, else its peer address. */
  clientAddressOf(id: NodeId): string | undefined {
    const member = memberOf(this.node.membership(), id);
    const known = (address: string | undefined): string | undefined =>
      address === undefined || address === '' ? undefined : address;
    return (
      known(this.config.clientAddress?.(id)) ??
      known(member?.clientAddress) ??
      known(member?.peerAddress) ??
      this.config.peers.get(id)
    );
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** Term of the core's in-memory log entry at `index` (read-only; for tests and diagnostics). */
  logTerm(index: number): number | undefined {
    return this.node.logTerm(index);
  }

  /** The core's in-memory log entries [lo, hi], clipped (a new array; for tests and diagnostics). */
  logEntries(lo: number, hi: number): Entry[] {
    return this.node.logEntries(lo, hi);
  }

  /** The index of the last entry the local state machine applied. */
  get appliedIndex(): number {
    return this.ports.stateMachine.appliedIndex;
  }

  /** The index of the last entry in this node's log (cheap: no status copy). */
  get lastIndex(): number {
    return this.node.basicStatus().lastIndex;
  }

  /** Every member's id (voters and learners) and peer address, this node included if a member. */
  get members(): ReadonlyMap<NodeId, string> {
    return new Map(this.node.membership().members.map((m) => [m.id, m.peerAddress]));
  }

  /** Throws NotLeader (naming the leader when known) unless this node leads; NodeStopped when stopped. */
  ensureLeader(): void {
    this.assertRunning();
    if (this.role !== 'leader') throw this.notLeader();
  }

  /**
   * Appends `data` to the log (leader only) and resolves with the state machine's
   * result once the entry is committed and applied here. Rejects with NotLeader,
   * ProposalQueueFull or EntryTooLarge (not appended), ProposalLost (another leader's
   * entry committed at its index: it never will), ProposalTimedOut after `timeoutMs`
   * (saying whether it committed), NodeStopped.
   */
  propose(data: Uint8Array, timeoutMs: number): Promise<ProposeOutcome<Result>> {
    try {
      this.ensureLeader();
      if (this.pendingProposals >= this.maxPendingProposals)
        throw new ProposalQueueFull(this.pendingProposals);
      if (data.byteLength > this.config.maxEntryBytes)
        throw new EntryTooLarge(data.byteLength, this.config.maxEntryBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    let position: { index: number; term: number };
    try {
      position = this.node.propose(data);
      commitTrace('proposed', position.index);
    } catch (error) {
      return Promise.reject(this.translate(error));
    }
    return this.track(position, timeoutMs);
  }

  /** Waits for the entry proposed at `position` to be applied here (see `propose`). */
  private track(
    position: { index: number; term: number },
    timeoutMs: number,
  ): Promise<ProposeOutcome<Result>> {
    const outcome = new Promise<ProposeOutcome<Result>>((resolve, reject) => {
      const pending: PendingProposal<Result> = {
        ...position,
        resolve,
        reject,
        timer: this.ports.clock.setTimeout(
          () => this.expireProposal(pending),
          Math.max(0, timeoutMs),
        ),
      };
      // A leader re-elected after losing this index may hand it out again. The older
      // proposal keeps waiting: its entry is gone from this log, but another node may
      // still hold it and win an election with it, so it may yet commit (Figure 8).
      const atIndex = this.proposals.get(position.index);
      if (atIndex === undefined) this.proposals.set(position.index, [pending]);
      else atIndex.push(pending);
      this.pendingProposals++;
    });
    this.kick();
    return outcome;
  }

  private expireProposal(pending: PendingProposal<Result>): void {
    const index = pending.index;
    const atIndex = this.proposals.get(index);
    const k = atIndex?.indexOf(pending) ?? -1;
    if (atIndex === undefined || k < 0) return;
    atIndex.splice(k, 1);
    if (atIndex.length === 0) this.proposals.delete(index);
    this.pendingProposals--;
    // A committed index holds our entry only if it still has our term there: a deposed
    // leader's entry may have been replaced by the next leader's, which then committed.
    // Below the snapshot point the term is gone (a snapshot installed here covers the
    // index, and nothing says whose entry it holds): then the fate is unknown, and the
    // write is not reported committed.
    const term = this.node.logTerm(index);
    const committed = this.node.status().commitIndex >= index && term !== undefined;
    if (committed && term !== pending.term) {
      pending.reject(new ProposalLost(index));
      return;
    }
    pending.reject(new ProposalTimedOut(index, committed));
  }

  /**
   * Leader: makes one single-server membership change (core `proposeMembership`) and
   * resolves with the entry's index once it is committed and applied here. Rejects with
   * NotLeader, LeadershipTransferring, MembershipChangeRefused (nothing appended),
   * ProposalQueueFull, and as `propose` does once appended.
   */
  async changeMembership(
    change: MembershipChange,
    timeoutMs: number,
  ): Promise<{ index: number; membership: Membership }> {
    this.ensureLeader();
    if (this.pendingProposals >= this.maxPendingProposals)
      throw new ProposalQueueFull(this.pendingProposals);
    let position: { index: number; term: number };
    try {
      position = this.node.proposeMembership(change);
    } catch (error) {
      throw this.translate(error);
    }
    this.log(
      `${this.id}: proposed membership change ${describeChange(change)} at entry ${position.index}`,
    );
    const { logIndex } = await this.track(position, timeoutMs);
    // The configuration in force now: this one, or a later change already appended.
    return { index: logIndex, membership: this.node.membership() };
  }

  /**
   * Leader: promotes learner `id` to voter once its log is within the core's promotion
   * bound of ours, waiting for it to catch up (checked every tick) until `timeoutMs`.
   * Rejects with MembershipChangeRefused 'timed-out' if it does not, and as
   * `changeMembership` does.
   */
  async promoteWhenCaughtUp(
    id: NodeId,
    timeoutMs: number,
  ): Promise<{ index: number; membership: Membership }> {
    const deadline = this.ports.clock.now() + timeoutMs;
    for (;;) {
      try {
        return await this.changeMembership(
          { type: 'promote', id },
          Math.max(1, deadline - this.ports.clock.now()),
        );
      } catch (error) {
        const retry =
          error instanceof MembershipChangeRefused &&
          (error.reason === 'learner-behind' ||
            error.reason === 'change-in-progress' ||
            error.reason === 'no-commit-in-term');
        if (!retry) throw error;
        if (this.ports.clock.now() >= deadline) {
          const match = this.node.status().progress?.[id]?.match ?? 0;
          throw new MembershipChangeRefused(
            'timed-out',
            `learner ${id} did not catch up within ${timeoutMs} ms (it holds entries up to ${match} of ${this.node.status().lastIndex}); it stays a learner: is it running and reachable? Promote it later (raftvec member promote ${id})`,
          );
        }
        await new Promise<void>((resolve) =>
          this.ports.clock.setTimeout(resolve, this.timing.tickMs),
        );
      }
    }
  }

  /**
   * Resolves when a read served from the local state machine is linearizable: the
   * leader confirmed its leadership with a majority after the read arrived, and has
   * applied everything committed before it (ReadIndex, Raft thesis §6.4). Rejects
   * with NotLeader, ReadTimedOut after `timeoutMs`, NodeStopped, and
   * TooManyReadsWaiting when MAX_APPLIED_WAITERS rounds already wait.
   */
  readBarrier(timeoutMs: number): Promise<void> {
    try {
      this.ensureLeader();
    } catch (error) {
      return Promise.reject(error);
    }
    // A lone voter needs no round: its commit index is the read index at once.
    const immediate = this.node.immediateReadIndex();
    if (immediate !== undefined) {
      this.lease.confirm(this.node.basicStatus().term, this.ports.clock.now());
      return this.waitApplied(immediate, timeoutMs).catch((error: unknown) => {
        throw error instanceof ApplyWaitTimedOut ? new ReadTimedOut(this.id) : error;
      });
    }
    // Each waits for its deadline at most; this bounds how many wait at once.
    if (this.reads.size >= MAX_APPLIED_WAITERS)
      return Promise.reject(new TooManyReadsWaiting(this.id, this.reads.size));
    const requestId = `${this.id}-${++this.readSeq}`;
    try {
      this.node.readIndex(requestId);
    } catch (error) {
      return Promise.reject(this.translate(error));
    }
    const registeredAt = this.ports.clock.now();
    const done = new Promise<void>((resolve, reject) => {
      const timer = this.ports.clock.setTimeout(
        () => {
          if (this.reads.delete(requestId)) reject(new ReadTimedOut(this.id));
        },
        Math.max(0, timeoutMs),
      );
      this.reads.set(requestId, {
        term: this.node.basicStatus().term,
        registeredAt,
        resolve,
        reject,
        timer,
      });
    });
    this.kick();
    return done;
  }

  /**
   * Leader: hands leadership to voter `to` (default: the most up-to-date other voter)
   * and resolves with the new leader's id once this node follows another leader.
   * Writes are refused meanwhile (LeadershipTransferring); ReadIndex reads go on, lease
   * reads stop. Rejects with NotLeader, TransferFailed (no such voter, no other voter,
   * or no new leader before `timeoutMs`; this node then leads on), NodeStopped.
   */
  transferLeadership(to: NodeId | undefined, timeoutMs: number): Promise<NodeId> {
    try {
      this.ensureLeader();
    } catch (error) {
      return Promise.reject(error);
    }
    const target = to ?? this.mostUpToDateVoter();
    if (target === undefined)
      return Promise.reject(new TransferFailed(this.id, 'it is the only voter'));
    if (target === this.id) return Promise.resolve(this.id);
    if (!votersOf(this.node.membership()).includes(target))
      return Promise.reject(new TransferFailed(this.id, `${target} is not a voter`));
    return new Promise<NodeId>((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        timer: this.ports.clock.setTimeout(
          () => {
            if (!this.transferWaiters.delete(waiter)) return;
            // Writes are accepted again at once, not an election timeout later.
            if (this.transferWaiters.size === 0 && this.role === 'leader')
              this.guarded(() => this.node.cancelLeadershipTransfer());
            reject(
              new TransferFailed(
                this.id,
                `${target} did not take over within ${timeoutMs} ms (it may be down or behind); this node still leads`,
              ),
            );
          },
          Math.max(0, timeoutMs),
        ),
      };
      this.transferWaiters.add(waiter);
      this.transferTerm = this.node.basicStatus().term;
      this.guarded(() => this.node.transferLeadership(target));
    });
  }

  /**
   * The other voter with the highest match index (the leader's progress), those heard
   * from recently first: one cut off from us could not take over.
   */
  private mostUpToDateVoter(): NodeId | undefined {
    const progress = this.node.status().progress ?? {};
    let best: NodeId | undefined;
    let bestRank = [-1, -1];
    for (const id of votersOf(this.node.membership())) {
      if (id === this.id) continue;
      const rank = [progress[id]?.recentActive === true ? 1 : 0, progress[id]?.match ?? 0];
      if (rank[0]! > bestRank[0]! || (rank[0] === bestRank[0] && rank[1]! > bestRank[1]!)) {
        best = id;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Resolves once this node knows a leader (itself or another): it has joined the cluster. */
  leaderKnown(): Promise<void> {
    if (this.leaderId !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.leaderKnownWaiters.push(resolve));
  }

  /**
   * Stops handling Readies: resolves once the Ready in progress (if any) is handled,
   * with the function that resumes.
   */
  private async pauseReadies(): Promise<() => void> {
    this.readiesPaused++;
    while (this.cycle !== undefined) await this.cycle;
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      this.readiesPaused--;
      this.kick();
    };
  }

  /** Asks the core for a Ready and handles it, unless a cycle is already running (or paused). */
  private kick(): void {
    if (this.stopped) return;
    if (this.cycle !== undefined || this.readiesPaused > 0) {
      this.cycleRequested = true;
      return;
    }
    this.cycle = this.runCycles()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.cycle = undefined;
        // A kick that came while this cycle was finishing must not be lost.
        if (this.cycleRequested) this.kick();
      });
  }

  private async runCycles(): Promise<void> {
    do {
      this.cycleRequested = false;
      while (!this.stopped && this.readiesPaused === 0 && this.node.hasReady(this.readyLimits())) {
        const backlog = this.node.basicStatus().commitIndex - this.ports.stateMachine.appliedIndex;
        if (backlog > MAX_APPLY_BACKLOG) await this.applyChain;
        if (this.readiesPaused > 0) break;
        await this.handleReady(this.node.ready(this.readyLimits()));
      }
    } while (this.cycleRequested && !this.stopped && this.readiesPaused === 0);
  }

  /**
   * A Ready hands out no more committed entries than there is room for behind the
   * apply queue: memory stays bounded while the state machine lags, and Readies
   * (appends, answers to the leader, heartbeats) keep flowing meanwhile.
   */
  private readyLimits(): ReadyLimits {
    return { maxCommittedEntries: Math.max(0, MAX_UNAPPLIED_ENTRIES - this.unappliedEntries) };
  }

  private async handleReady(ready: Ready): Promise<void> {
    // First, so that this Ready's messages to a new member find its address.
    if (ready.membership !== undefined) {
      this.applyMembership(ready.membership);
      const m = ready.membership;
      this.log(
        `${this.id}: configuration now voters [${votersOf(m).join(', ')}]${learnersOf(m).length > 0 ? ` learners [${learnersOf(m).join(', ')}]` : ''}${memberOf(m, this.id) === undefined ? ' (this node is not a member)' : ''}`,
      );
    }
    // The core cannot log: it reports the peer messages it dropped as invalid (thinned out).
    for (const r of ready.rejectedMessages) {
      this.log(
        `${this.id} rejected ${r.type} from ${r.from} (term ${r.term}): ${r.reason} [${r.count} rejected from ${r.from} so far]`,
      );
    }
    // The core says which messages may leave before this Ready is durable (a leader's
    // appends and heartbeats: thesis §10.2.1) and which promise what is being written.
    if (commitTraceOn) traceReplication(ready.messages, true);
    this.ports.transport.send(this.stamped(ready.messages));
    if (ready.snapshotsToSend.length > 0) this.snapshotting?.send(ready.snapshotsToSend);
    if (ready.snapshotInstalled !== undefined) {
      // The stored log starts after the installed snapshot (before this Ready's own
      // writes): only up to it if the entries after it stay, else none stays.
      // With the configuration at the snapshot point: the log no longer holds it.
      const { index, term, logRetained, membership } = ready.snapshotInstalled;
      if (logRetained) await this.ports.log.compact({ index, term, membership });
      else await this.ports.log.resetTo({ index, term, membership });
    }
    if (ready.committedEntries.length > 0) {
      const entries = ready.committedEntries;
      commitTrace('committed', entries.at(-1)!.index);
      this.unappliedEntries += entries.length;
      // The core hands out only committed entries already on this node's disk (written
      // by earlier Readies), so applying them need not wait for this Ready's writes: it
      // runs alongside them and behind the next ones, the log growing while FAISS works.
      this.applyChain = this.applyChain.then(async () => {
        await this.applyEntries(entries);
        this.snapshotting?.maybeTake(entries.reduce((sum, e) => sum + e.data.byteLength, 0));
        // Room behind the apply queue again: committed entries held back may go out.
        this.kick();
      });
      this.applyChain.catch((error: unknown) => this.fail(error));
    }
    if (ready.entries.length > 0 || ready.hardState !== undefined) {
      const started = this.ports.clock.now();
      const last = ready.entries.at(-1)?.index ?? 0;
      commitTrace('persistStart', last);
      await this.ports.log.persist(ready.entries, ready.hardState, ready.mustSync);
      commitTrace('persistEnd', last);
      if (ready.mustSync)
        this.observer?.logSynced(ready.entries.length, (this.ports.clock.now() - started) / 1000);
    }
    this.ports.transport.send(this.stamped(ready.messagesAfterAppend));
    if (commitTraceOn) traceReplication(ready.messagesAfterAppend, true);
    for (const readState of ready.readStates) {
      this.onReadState(readState.requestId, readState.index);
    }
    if (ready.softState) this.onSoftState(ready.softState);
    if (ready.hardState) this.failReadsOfEarlierTerms(ready.hardState.term);
    this.node.advance(ready);
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const stateMachine = this.ports.stateMachine;
    let next = 0;
    while (next < entries.length) {
      if (entries[next]!.index <= stateMachine.appliedIndex) {
        // Applied before a restart.
        next++;
        this.unappliedEntries--;
        continue;
      }
      const group = applyGroup(entries, next);
      next += group.length;
      const started = this.ports.clock.now();
      // Proposers are answered as soon as the state machine has decided (reads wait for
      // it to finish); again once it resolves, which is a no-op for those answered.
      const answer = (results: readonly Result[]): void => {
        // A count that does not match is thrown on below, once the apply resolves.
        if (results.length !== group.length) return;
        group.forEach((entry, k) =>
          this.settleProposalAt(entry.index, { entry, result: results[k]! }),
        );
      };
      const results = await stateMachine.apply(
        group[0]!.index,
        // A configuration is the core's business: the state machine sees a no-op.
        group.map((e) => (e.type === 'normal' ? e.data : NOOP_PAYLOAD)),
        answer,
      );
      commitTrace('applied', group.at(-1)!.index);
      this.observer?.applied(group.length, (this.ports.clock.now() - started) / 1000);
      if (results.length !== group.length)
        throw new RaftInvariantError(
          `the state machine answered ${results.length} results for ${group.length} entries`,
        );
      this.unappliedEntries -= group.length;
      answer(results);
      this.settleReads(group.at(-1)!.index);
    }
  }

  /** Settles the proposals waiting at `index` by the (committed) entry applied there. */
  private settleProposalAt(index: number, applied: { entry: Entry; result: Result }): void {
    const atIndex = this.proposals.get(index);
    if (atIndex === undefined) return;
    this.proposals.delete(index);
    this.pendingProposals -= atIndex.length;
    for (const pending of atIndex) {
      pending.timer.cancel();
      if (pending.term === applied.entry.term) {
        pending.resolve({ result: applied.result, logIndex: index });
      } else {
        // Another leader's entry committed at this index: ours never will.
        pending.reject(new ProposalLost(index));
      }
    }
  }

  /**
   * The leader's heartbeats with a freshness stamp while its lease holds (see
   * leader-lease.ts); other messages, and every message without a lease, unchanged.
   */
  private stamped(messages: readonly Message[]): readonly Message[] {
    messages = this.withoutStaleTimeoutNow(messages);
    const wallNow = this.ports.clock.wallNow?.();
    if (wallNow === undefined || !messages.some((m) => m.type === 'Heartbeat')) return messages;
    if (!this.leaseHolds()) return messages;
    const freshness: LeaderFreshness = {
      commit: this.node.basicStatus().commitIndex,
      wallTimeMs: wallNow,
    };
    // The leader's own state is as fresh as what it tells its followers.
    this.freshness.record(freshness);
    return messages.map((m) => (m.type === 'Heartbeat' ? { ...m, freshness } : m));
  }

  /** A Ready's TimeoutNow messages that no longer stand are dropped as it goes out. */
  private withoutStaleTimeoutNow(messages: readonly Message[]): readonly Message[] {
    if (!messages.some((m) => m.type === 'TimeoutNow')) return messages;
    // The core says whether it still stands (timeoutNowStillDue holds the rule).
    const due = messages.filter((m) => m.type !== 'TimeoutNow' || this.node.timeoutNowStillDue(m));
    // A TimeoutNow that leaves lets its target campaign past the voters' stickiness, even
    // late: this node holds no lease for the rest of the term, whoever started the transfer.
    const sent = due.find((m) => m.type === 'TimeoutNow');
    if (sent !== undefined) this.transferTerm = Math.max(this.transferTerm, sent.term);
    return due;
  }

  private settleAppliedWaiters(applied: number): void {
    for (const waiter of this.appliedWaiters) {
      if (waiter.index <= applied) {
        this.appliedWaiters.delete(waiter);
        waiter.timer.cancel();
        waiter.resolve();
      }
    }
  }

  private settleReads(applied: number): void {
    this.settleAppliedWaiters(applied);
    for (const [id, read] of this.reads) {
      if (read.index !== undefined && read.index <= applied) {
        this.reads.delete(id);
        read.timer.cancel();
        read.resolve();
      }
    }
  }

  private onReadState(requestId: string, index: number): void {
    const read = this.reads.get(requestId);
    if (read === undefined) return;
    // A majority heard from this leader after the read was registered (thesis §6.4.1).
    this.lease.confirm(read.term, read.registeredAt);
    if (read.renewal) {
      this.reads.delete(requestId);
      read.timer.cancel();
      read.resolve();
      return;
    }
    if (this.ports.stateMachine.appliedIndex >= index) {
      this.reads.delete(requestId);
      read.timer.cancel();
      read.resolve();
    } else read.index = index;
  }

  /**
   * The core drops unconfirmed ReadIndex requests when its term changes (also when
   * it loses and regains leadership between two Readies): fail them now.
   */
  private failReadsOfEarlierTerms(term: number): void {
    for (const [id, read] of this.reads) {
      if (read.index === undefined && read.term < term) {
        this.reads.delete(id);
        read.timer.cancel();
        read.reject(this.notLeader());
      }
    }
  }

  private onSoftState(next: SoftState): void {
    const previous = this.softState;
    this.softState = next;
    if (next.leaderId !== undefined) {
      for (const resolve of this.leaderKnownWaiters.splice(0)) resolve();
    }
    if (next.leaderId !== undefined && next.leaderId !== this.id) {
      for (const waiter of this.transferWaiters) {
        waiter.timer.cancel();
        waiter.resolve(next.leaderId);
      }
      this.transferWaiters.clear();
    }
    if (next.role === 'leader' && previous.role !== 'leader') {
      this.log(`${this.id} became leader in term ${this.node.basicStatus().term}`);
    }
    if (previous.role === 'leader' && next.role !== 'leader') {
      // The core drops ReadIndex requests when it loses leadership; fail them now.
      // Proposals stay: their entries may still commit under the next leader, and
      // apply settles them either way (or their deadline does).
      for (const [id, read] of this.reads) {
        if (read.index === undefined) {
          this.reads.delete(id);
          read.timer.cancel();
          read.reject(this.notLeader());
        }
      }
    }
  }

  private notLeader(): NotLeader {
    const status = this.node.basicStatus();
    const leader = status.leaderId === this.id ? undefined : status.leaderId;
    const address = leader === undefined ? undefined : this.clientAddressOf(leader);
    return new NotLeader(this.id, address === undefined ? undefined : leader, address);
  }

  private translate(error: unknown): unknown {
    if (error instanceof NotLeaderError) return this.notLeader();
    if (error instanceof MembershipChangeError)
      return new MembershipChangeRefused(error.reason, error.message);
    if (error instanceof TransferInProgressError)
      return new LeadershipTransferring(
        this.id,
        error.transferee,
        this.clientAddressOf(error.transferee),
      );
    if (error instanceof RaftInvariantError) {
      this.fail(error);
      return new NodeStopped(this.id, 'stopped: a Raft invariant was violated');
    }
    return error;
  }

  private assertRunning(): void {
    if (this.fatal !== undefined)
      throw new NodeStopped(this.id, `stopped after a fatal error: ${String(this.fatal)}`);
    if (this.stopped) throw new NodeStopped(this.id, 'is shutting down');
  }

  private fail(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = error;
    const kind =
      error instanceof RaftInvariantError
        ? 'a Raft invariant was violated'
        : 'a storage step failed';
    this.log(
      `FATAL on ${this.id}: ${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    this.stopTimers();
    this.ports.transport.close();
    this.rejectAllPending(new NodeStopped(this.id, `stopped: ${kind}; the write may still commit`));
    this.config.onFatal?.(error);
  }

  private rejectAllPending(error: Error): void {
    for (const pending of [...this.proposals.values()].flat()) {
      pending.timer.cancel();
      pending.reject(error);
    }
    for (const read of this.reads.values()) {
      read.timer.cancel();
      read.reject(error);
    }
    for (const waiter of this.appliedWaiters) {
      waiter.timer.cancel();
      waiter.reject(error);
    }
    this.appliedWaiters.clear();
    for (const waiter of this.transferWaiters) {
      waiter.timer.cancel();
      waiter.reject(error);
    }
    this.transferWaiters.clear();
    this.proposals.clear();
    this.pendingProposals = 0;
    this.reads.clear();
  }

  private stopTimers(): void {
    this.stopped = true;
    this.ticker?.cancel();
    this.ticker = undefined;
  }

  /** Stops ticking and talking; waits for the in-progress persist, apply and snapshot to finish. */
  async close(): Promise<void> {
    this.stopTimers();
    await this.cycle?.catch(() => undefined);
    await this.applyChain.catch(() => undefined);
    await this.snapshotting?.settled();
    this.ports.transport.close();
    this.rejectAllPending(new NodeStopped(this.id, 'is shutting down; the write may still commit'));
    await this.ports.log.close().catch(() => undefined);
  }
}
