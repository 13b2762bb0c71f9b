/**
 * Deterministic cluster simulator (in the spirit of TigerBeetle's VOPR and
 * openraft's fuzzer): N real RaftRuntime instances — the runtime production runs,
 * driving the real RaftNode core — in one process, with every port simulated
 * (sim-ports.ts) and everything driven by one seeded PRNG.
 *
 *  - network: per-message delay, loss, duplication, reordering (long delays) and
 *    partitions (isolate one node, split in two, or cut one direction) that heal;
 *  - disk: each node's persisted hard state + log + durable state machine + snapshot
 *    folders. A write takes simulated time and the runtime waits for it; a crash loses
 *    the writes in progress and all memory (the runtime object is abandoned), and the
 *    node restarts with `RaftRuntime.open` on its disk. The runtime's own order decides
 *    what leaves before and after a write; the checker verifies at send time that what
 *    a message promises is on the sender's disk;
 *  - snapshots (most profiles): the runtime's own snapshot coordinator takes snapshots
 *    of the simulated state machine and compacts the log behind them, a leader streams
 *    one to a follower behind its log start over the simulated network (delay, loss,
 *    partitions, the follower crashing), and the follower installs it; crash points
 *    before, at and after each snapshot, install, compaction and reset;
 *  - clock: virtual; the runtime's ticks and request deadlines are queued events;
 *  - leadership transfers (most profiles): a client asks whoever it thinks leads to
 *    hand leadership to a random voter (or the runtime's pick), with a deadline; some
 *    are hit by a crash or an isolation of the leader or the transferee while
 *    TimeoutNow and the election it starts are in flight. The answer must name a node
 *    that leads a later term, and a TimeoutNow must leave only while its leader hands
 *    over to an up-to-date voter (see SafetyChecker);
 *  - membership changes (profiles with a membership interval): an administrator asks
 *    whoever leads to add a fresh node (empty disk) as a learner, started with the
 *    configuration the add returned (or, before the add commits, the current one), to
 *    promote a learner once caught up, to remove a voter or a learner (the leader
 *    itself too), or to replace a voter by a fresh node with a new id; some requests
 *    are refused (one change at a time, no commit in the leader's term yet, a learner
 *    behind, an invalid change). The voters stay between 1 and 7. A node no
 *    configuration names any more keeps running for a while, then is stopped for good
 *    (and restarted if a late commit makes it a member again); liveness is judged on
 *    the members of the leader's configuration;
 *  - clients: `propose` and `readBarrier` (or `leaseRead`) on whoever they think
 *    leads, with deadlines; every answer is checked against what the cluster did
 *    (acknowledged writes are applied everywhere, refused or lost ones nowhere, reads
 *    see every write acknowledged before they began).
 *
 * The run loop is async: after each event it lets every promise the event set off
 * settle (the runtime's Ready cycle, proposals, reads) before the next one. No real
 * timer or I/O exists in a run, so that order is deterministic too. After every event
 * the SafetyChecker runs. The run ends with a fault-free phase that must converge
 * (liveness). The same seed always replays the same run.
 */
import {
  RaftInvariantError,
  RaftNode,
  type Entry,
  type InitialState,
  type Message,
  type RaftConfigInput,
} from '../../../src/raft/index.js';
import {
  ApplyWaitTimedOut,
  EntryTooLarge,
  LeadershipTransferring,
  MembershipChangeRefused,
  NodeStopped,
  NotLeader,
  ProposalLost,
  ProposalQueueFull,
  ProposalTimedOut,
  ReadTimedOut,
  TooManyReadsWaiting,
  TransferFailed,
} from '../../../src/raft/runtime/errors.js';
import {
  bootstrapMembership,
  learnersOf,
  memberOf,
  votersOf,
  type Membership,
  type MembershipChange,
} from '../../../src/raft/membership.js';
import type { SnapshotHeader } from '../../../src/raft/runtime/ports.js';
import {
  RaftRuntime,
  type ProposeOutcome,
  type RaftRuntimeConfig,
} from '../../../src/raft/runtime/raft-runtime.js';
import { sendingPromisesEarly, sendingTimeoutNowEarly } from './broken.js';
import {
  SafetyChecker,
  SimViolation,
  diskLastIndex,
  fingerprint,
  type CheckedNode,
  type Property,
} from './checker.js';
import { checkingSnapshotContract } from './core-contract.js';
import { observingDecisions } from './decisions.js';
import { EventQueue } from './event-queue.js';
import { DEFAULT_STEPS, drawProfile, type SimOptions, type SimProfile } from './options.js';
import { Prng } from './prng.js';
import {
  Incarnation,
  emptyDisk,
  type Applied,
  type PortEvent,
  type SimDisk,
  type SimHost,
  type SimSnapshot,
} from './sim-ports.js';

/** A follower's answer to a snapshot, as the leader's SnapshotSender resolves it. */
interface SnapshotAck {
  installed: boolean;
  reason: string;
}

type SimEvent =
  | PortEvent
  | { kind: 'deliver'; msg: Message }
  /** A snapshot stream reaches its follower whole. */
  | {
      kind: 'transfer';
      header: SnapshotHeader;
      snapshot: SimSnapshot;
      /** Sends the follower's answer back to the leader, after `delay`. */
      reply: (ack: SnapshotAck, delay: number) => void;
    }
  | { kind: 'chaos' }
  | { kind: 'heal'; epoch: number }
  | { kind: 'restart'; node: number }
  | { kind: 'propose' }
  | { kind: 'read' }
  /**
   * A client asks the node it believes leads to hand leadership over; or, redirected
   * by a NotLeader that named the leader, asks that one (once).
   */
  | { kind: 'handover'; redirect?: Redirect }
  /** A crash or an isolation aimed at a transfer in progress. */
  | { kind: 'handover-nemesis'; handover: Handover }
  /** The administrator changes the membership (see clientMembership). */
  | { kind: 'membership' }
  /** An administrator's wait is over. */
  | { kind: 'wake'; resume: () => void };

class SimNode implements CheckedNode {
  readonly disk: SimDisk = emptyDisk();
  /** The living process; undefined while down. */
  life: Incarnation | undefined;
  /** Role last seen (for the trace). */
  role = 'follower';
  /** The runtime's last log line about a rejected message. */
  lastRejection: string | undefined;
  /** The core of the living incarnation (for the checker), once built. */
  core: RaftNode | undefined;
  /**
   * A node that joined a running cluster: the configuration it started from
   * (`initialMembership`); undefined for a founding member (bootstrapped from `peers`).
   */
  startedWith: Membership | undefined;
  /** Created to join, and not started yet (its add is in progress). */
  waitingToJoin = false;
  /** Stopped for good: no configuration names it (restarted if one does again). */
  retired = false;
  /** Since when no configuration names it, and how long it may keep running then. */
  departedSince: number | undefined;
  departedGrace = 0;

  constructor(
    readonly id: string,
    readonly index: number,
    readonly tickInterval: number,
    readonly rng: Prng,
  ) {}

  get raft(): RaftRuntime<Applied> | undefined {
    return this.life?.runtime;
  }
}

/** What a client was told about its write. */
type Outcome = 'pending' | 'acked' | 'refused' | 'lost' | 'timed out' | 'stopped';

interface Proposal {
  readonly id: string;
  outcome: Outcome;
  /** Acknowledged: where the state machine applied it, and its term. */
  index?: number;
  term?: number;
  /** ProposalTimedOut said it is committed at this index (so it will be applied). */
  committedAt?: number;
}

/** A transfer asked again of the leader a NotLeader named. */
interface Redirect {
  readonly client: number;
  readonly at: string;
  readonly to: string | undefined;
}

/** A leadership transfer a client asked for, and what it was told. */
interface Handover {
  readonly from: SimNode;
  /** The incarnation asked: only it may answer. */
  readonly life: Incarnation;
  /** The voter asked for; undefined: the runtime's pick. */
  readonly to: string | undefined;
  /** The voter the core hands over to (its transferee right after the call), if it started. */
  readonly transferee: string | undefined;
  /** The term `from` led when asked. */
  readonly term: number;
  /** Asked after a redirect (not redirected again). */
  readonly redirected: boolean;
  outcome: 'pending' | 'completed' | 'self' | 'failed' | 'refused' | 'abandoned' | 'stopped';
  /** A crash or a partition hit its leader or its transferee while it was pending. */
  interrupted: boolean;
}

export interface SimStats {
  events: number;
  time: number;
  elections: number;
  maxTerm: number;
  committed: number;
  proposals: number;
  acked: number;
  /** Proposals the runtime reported lost (ProposalLost). */
  lost: number;
  /** Proposals and reads past their deadline. */
  timedOut: number;
  reads: number;
  readsServed: number;
  messagesSent: number;
  messagesDelivered: number;
  crashes: number;
  partitions: number;
  snapshotsTaken: number;
  /** Log compactions and resets that landed. */
  compactions: number;
  snapshotsSent: number;
  snapshotsInstalled: number;
  /** Crashes at a crash point of snapshot work (taking, installing, compacting, resetting). */
  snapshotCrashes: number;
  /** Restarts whose state machine was behind the log start (an install cut by a crash). */
  unfinishedInstalls: number;
  /** Leadership transfers asked for (of a node that may not lead). */
  transfers: number;
  /** Transfers that resolved with another leader (of a later term). */
  transfersCompleted: number;
  /** … with the very voter the core handed over to. */
  transfersToTarget: number;
  /** Transfers that failed with TransferFailed (no new leader before the deadline). */
  transfersFailed: number;
  /** Transfers refused with NotLeader (the client's guess was wrong). */
  transfersRefused: number;
  /** Transfers whose leader or transferee crashed or was cut off while they were pending. */
  transfersInterrupted: number;
  /** Proposals refused with LeadershipTransferring. */
  proposalsRefusedTransferring: number;
  /** Reads made with leaseRead; of them, those asked while the lease held. */
  leaseReads: number;
  leaseReadsOnLease: number;
  /** Membership changes asked for (changeMembership or promoteWhenCaughtUp calls). */
  membershipProposed: number;
  /** … that resolved: committed and applied at the leader asked. */
  membershipCommitted: number;
  /** … refused (MembershipChangeRefused), by reason. */
  membershipRefusedNoCommitInTerm: number;
  membershipRefusedChangeInProgress: number;
  membershipRefusedLearnerBehind: number;
  membershipRefusedInvalid: number;
  /** promoteWhenCaughtUp gave up: the learner did not catch up in time. */
  membershipRefusedTimedOut: number;
  /** … refused because the node asked did not lead (NotLeader, LeadershipTransferring, queue full). */
  membershipRefusedNotLeader: number;
  /** … past their deadline (ProposalTimedOut), or lost (ProposalLost). */
  membershipTimedOut: number;
  membershipLost: number;
  /** Committed changes: learners added, learners promoted, members removed (of them, leaders removing themselves). */
  nodesAdded: number;
  learnersPromoted: number;
  nodesRemoved: number;
  leaderSelfRemovals: number;
  /** Fresh nodes started (with an empty disk); nodes stopped for good after leaving. */
  nodesStarted: number;
  nodesRetired: number;
  /** Elections won and commits checked against the majority of their configuration. */
  quorumDecisions: number;
  /** The most voters a committed configuration had. */
  maxVoters: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: { readonly property: Property; readonly message: string };
  readonly stats: SimStats;
  readonly profile: SimProfile;
}

const encoder = new TextEncoder();

/**
 * Lets every promise settle: resolves once the microtask queue is empty. Node runs
 * `process.nextTick` callbacks only when the microtask queue has drained, so called
 * from a promise continuation (the run loop always is, after its first `await`) this
 * waits for every promise the current event set off, and for the promises those set
 * off, without an event-loop turn. No real timer or I/O exists in a run, so the order
 * is deterministic.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** The payload limit the simulated nodes accept (client payloads are a few bytes). */
const MAX_ENTRY_BYTES = 1 << 20;

export class Simulation {
  private readonly rng: Prng;
  readonly profile: SimProfile;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimNode[] = [];
  private readonly byId = new Map<string, SimNode>();
  private readonly peers: ReadonlyMap<string, string>;
  private readonly checker: SafetyChecker;
  private readonly host: SimHost;
  private time = 0;
  private calm = false;
  private blocked = new Set<string>();
  /** Per directed link: delivery time of the last FIFO message. */
  private readonly linkClock = new Map<string, number>();
  private partitionEpoch = 0;
  /** Several clients, each with its own (possibly stale) idea of who leads. */
  private readonly leaderGuess: (string | undefined)[] = [undefined, undefined, undefined];
  private proposalSeq = 0;
  private readSeq = 0;
  private readonly proposals = new Map<string, Proposal>();
  /** Leadership transfers whose answer has not come yet. */
  private readonly handovers = new Set<Handover>();
  private readonly appliedIndexOf = new Map<string, number>();
  private maxAckedIndex = 0;
  /** The first violation found where it cannot be thrown (a port, a promise callback). */
  private failure: unknown;
  /** Crash this node once the current event has settled (a crash point after a write). */
  private crashAfterSettling: SimNode | undefined;
  private readonly stats: SimStats = {
    events: 0,
    time: 0,
    elections: 0,
    maxTerm: 0,
    committed: 0,
    proposals: 0,
    acked: 0,
    lost: 0,
    timedOut: 0,
    reads: 0,
    readsServed: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    crashes: 0,
    partitions: 0,
    snapshotsTaken: 0,
    compactions: 0,
    snapshotsSent: 0,
    snapshotsInstalled: 0,
    snapshotCrashes: 0,
    unfinishedInstalls: 0,
    transfers: 0,
    transfersCompleted: 0,
    transfersToTarget: 0,
    transfersFailed: 0,
    transfersRefused: 0,
    transfersInterrupted: 0,
    proposalsRefusedTransferring: 0,
    leaseReads: 0,
    leaseReadsOnLease: 0,
    membershipProposed: 0,
    membershipCommitted: 0,
    membershipRefusedNoCommitInTerm: 0,
    membershipRefusedChangeInProgress: 0,
    membershipRefusedLearnerBehind: 0,
    membershipRefusedInvalid: 0,
    membershipRefusedTimedOut: 0,
    membershipRefusedNotLeader: 0,
    membershipTimedOut: 0,
    membershipLost: 0,
    nodesAdded: 0,
    learnersPromoted: 0,
    nodesRemoved: 0,
    leaderSelfRemovals: 0,
    nodesStarted: 0,
    nodesRetired: 0,
    quorumDecisions: 0,
    maxVoters: 0,
  };
  /** Administrator operations in progress (each makes one or a few changes in turn). */
  private adminOps = 0;
  /** The number in the id of the newest node. */
  private lastNodeNumber = 0;
  /** Checks to make once the current event has settled and been checked. */
  private readonly afterEvent: (() => void)[] = [];

  constructor(private readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    this.profile = { ...drawProfile(this.rng.fork()), ...opts.profile };
    for (let i = 0; i < opts.nodes; i++) {
      const node = new SimNode(
        `n${i + 1}`,
        i,
        this.profile.tickInterval + this.rng.int(-1, 1),
        this.rng.fork(),
      );
      this.nodes.push(node);
      this.byId.set(node.id, node);
    }
    this.lastNodeNumber = opts.nodes;
    this.peers = new Map(this.nodes.map((n) => [n.id, `sim://${n.id}`]));
    this.checker = new SafetyChecker(this.nodes, {
      voteDurability: opts.checkVoteDurability ?? true,
      promisesDurableAtSend: opts.checkPromisesDurableAtSend ?? true,
      // What each founding node bootstraps from `peers` (RaftRuntime.startingMembership).
      initialMembership: bootstrapMembership([...this.peers.keys()], (id) => this.peers.get(id)!),
      singleServerRules: opts.checkSingleServerRules ?? true,
    });
    this.host = {
      now: () => this.time,
      schedule: (delay, event) => this.queue.push(this.time + delay, event),
      diskLatency: () => this.rng.int(1, this.profile.diskLatencyMax),
      applyLatency: () =>
        this.profile.applyLatencyMax > 0 ? this.rng.int(1, this.profile.applyLatencyMax) : 0,
      snapshotLatency: () => this.rng.int(1, this.profile.snapshotLatencyMax),
      send: (m) => this.send(m),
      persisted: (life, from) => this.checker.onPersist(this.nodeOf(life), from),
      applied: (life, entry, before) => this.onApplied(this.nodeOf(life), entry, before),
      logStartMoved: (life) => {
        this.stats.compactions++;
        const n = this.nodeOf(life);
        this.trace(`${n.id} log starts after ${n.disk.logStart.index}/${n.disk.logStart.term}`);
        this.checker.onLogStart(n);
      },
      membershipRecorded: (life) => {
        const n = this.nodeOf(life);
        this.trace(`${n.id} stored its configuration at its log start ${n.disk.logStart.index}`);
        this.checker.onMembershipRecorded(n);
      },
      snapshotTaken: (life, snapshot) => {
        this.stats.snapshotsTaken++;
        this.checker.onSnapshotTaken(this.nodeOf(life), snapshot);
      },
      snapshotInstalled: (life, snapshot, before) => {
        this.stats.snapshotsInstalled++;
        const n = this.nodeOf(life);
        this.trace(`${n.id} state machine installed snapshot ${snapshot.index} (was at ${before})`);
        this.checker.onInstall(n, snapshot, before);
      },
      sendSnapshot: (life, header, folder, timeoutMs) =>
        this.sendSnapshot(life, header, folder, timeoutMs),
      fault: (error) => this.fault(error),
    };
  }

  async run(): Promise<SimResult> {
    try {
      // From here on the loop runs in promise continuations (see settle()).
      await new Promise((resolve) => setImmediate(resolve));
      // Nodes start at random points within their first tick.
      for (const n of this.nodes)
        this.queue.push(this.rng.int(0, n.tickInterval), { kind: 'restart', node: n.index });
      this.queue.push(this.profile.chaosInterval, { kind: 'chaos' });
      this.queue.push(this.rng.int(1, this.profile.proposalInterval), { kind: 'propose' });
      if (this.profile.readInterval > 0)
        this.queue.push(this.rng.int(1, this.profile.readInterval), { kind: 'read' });
      // Drawn only for profiles with transfers: the others replay as they did before.
      if (this.profile.transferInterval > 0)
        this.queue.push(this.rng.int(1, 2 * this.profile.transferInterval), { kind: 'handover' });
      if (this.profile.membershipInterval > 0)
        this.queue.push(this.rng.int(1, 2 * this.profile.membershipInterval), {
          kind: 'membership',
        });

      // Phase 1: chaos.
      while (this.stats.events < this.opts.steps) {
        if (!(await this.processNext())) break;
      }
      // Phase 2: no more faults; everything must converge.
      await this.beginCalm();
      // Liveness: fail if nothing gets applied anywhere for a whole window (a slow
      // but progressing catch-up of a big backlog is fine), or past a hard cap.
      const window = this.opts.convergeTimeout ?? this.defaultConvergeTimeout();
      const hardCap = this.time + 40 * window;
      let stallDeadline = this.time + window;
      let progress = this.progress();
      let nextCheck = this.time;
      for (;;) {
        if (this.time >= nextCheck) {
          this.tendMembers(true);
          if (this.converged()) break;
          nextCheck = this.time + 20;
          const p = this.progress();
          // Entries applied (durable, so never fewer in this phase), or a leader's
          // replication progress since the last check (a new leader starts lower).
          if (p.applied > progress.applied || p.replicated > progress.replicated)
            stallDeadline = this.time + window;
          progress = p;
        }
        if (this.time > stallDeadline || this.time > hardCap) {
          throw new SimViolation(
            'Liveness',
            `no convergence ${this.time > hardCap ? 'before the hard cap' : `and no progress for ${window} time units`} after faults stopped: ${this.describeCluster()}`,
          );
        }
        if (!(await this.processNext())) throw new SimViolation('Liveness', 'event queue ran dry');
      }
      this.finalChecks();
      return this.result(undefined);
    } catch (err) {
      return this.result(err);
    }
  }

  /** Progress: entries applied on all nodes, and the leaders' replication progress. */
  private progress(): { applied: number; replicated: number } {
    let applied = 0;
    let replicated = 0;
    for (const n of this.nodes) {
      applied += n.disk.applied.length;
      const progress = n.raft?.status().progress;
      if (progress !== undefined) for (const pr of Object.values(progress)) replicated += pr.match;
    }
    return { applied, replicated };
  }

  private defaultConvergeTimeout(): number {
    // Many election timeouts: enough for repeated split votes and back-off.
    return (
      30 * 2 * this.profile.electionTick * this.profile.tickInterval + 2 * this.profile.longDelay
    );
  }

  private result(err: unknown): SimResult {
    this.stats.time = this.time;
    this.stats.elections = this.checker.leaderElections;
    this.stats.quorumDecisions = this.checker.quorumDecisions;
    this.stats.committed = this.checker.committedIndex();
    for (const n of this.nodes)
      this.stats.maxTerm = Math.max(this.stats.maxTerm, n.disk.hardState.term);
    if (err === undefined)
      return { seed: this.opts.seed, ok: true, stats: this.stats, profile: this.profile };
    let property: Property;
    let message: string;
    if (err instanceof SimViolation) {
      property = err.property;
      message = err.message;
    } else if (err instanceof RaftInvariantError) {
      property = 'Core Invariant';
      message = err.message;
    } else {
      property = 'Crash';
      message = err instanceof Error ? `${err.stack ?? err.message}` : String(err);
    }
    this.trace(`VIOLATION ${message}`);
    return {
      seed: this.opts.seed,
      ok: false,
      violation: {
        property,
        message: `${message} (at t=${this.time}, event ${this.stats.events})`,
      },
      stats: this.stats,
      profile: this.profile,
    };
  }

  private fault(error: unknown): void {
    if (this.failure === undefined) this.failure = error;
  }

  private nodeOf(life: Incarnation): SimNode {
    return this.byId.get(life.nodeId)!;
  }

  // -------------------------------------------------------------------------
  // Event loop
  // -------------------------------------------------------------------------

  /**
   * Runs the next event, lets everything it set off settle, then checks. Events of
   * dead incarnations and cancelled timers are dropped without counting.
   */
  private async processNext(): Promise<boolean> {
    const item = this.queue.pop();
    if (item === undefined) return false;
    this.time = item.time;
    const touched = this.handle(item.event);
    if (touched === null) return true;
    this.stats.events++;
    await settle();
    if (this.failure !== undefined) throw this.failure;
    if (touched !== undefined) this.afterStep(touched);
    for (const check of this.afterEvent.splice(0)) check();
    const dying = this.crashAfterSettling;
    if (dying !== undefined) {
      this.crashAfterSettling = undefined;
      this.crashAndScheduleRestart(dying); // persisted and told the runtime, then died
    }
    if (this.stats.events % 1000 === 0) this.checker.fullLogMatching();
    return true;
  }

  /** Starts the event; returns the node it touched, or null if the event was dropped. */
  private handle(ev: SimEvent): SimNode | undefined | null {
    switch (ev.kind) {
      case 'timer':
        return ev.life.clock.fire(ev.timer) ? this.nodeOf(ev.life) : null;
      case 'disk': {
        if (!ev.life.alive) return null;
        const n = this.nodeOf(ev.life);
        const next = ev.life.log.next;
        const point = this.crashPoint(next === 'record' ? 'record' : next === 'persist');
        if (point === 'before') {
          this.crashAndScheduleRestart(n); // the write is lost
          return undefined;
        }
        const { resume } = ev.life.log.land();
        return this.landed(n, resume, point);
      }
      case 'store': {
        if (!ev.life.alive) return null;
        const n = this.nodeOf(ev.life);
        const point = this.crashPoint(false);
        if (point === 'before') {
          this.crashAndScheduleRestart(n); // the snapshot (or the install) is lost
          return undefined;
        }
        const { resume } = ev.life.snapshots.land();
        return this.landed(n, resume, point);
      }
      case 'apply':
        if (!ev.life.alive) return null;
        ev.life.stateMachine.land()();
        return this.nodeOf(ev.life);
      case 'deliver':
        return this.deliver(ev.msg);
      case 'transfer':
        return this.snapshotArrives(ev.header, ev.snapshot, ev.reply);
      case 'chaos':
        this.chaos();
        return undefined;
      case 'heal':
        if (ev.epoch === this.partitionEpoch && this.blocked.size > 0) {
          this.blocked = new Set();
          this.trace('heal partition');
        }
        return undefined;
      case 'restart':
        return this.restart(this.nodes[ev.node]!);
      case 'propose':
        return this.clientPropose();
      case 'read':
        return this.clientRead();
      case 'handover':
        return this.clientTransfer(ev.redirect);
      case 'handover-nemesis':
        this.handoverNemesis(ev.handover);
        return undefined;
      case 'membership':
        return this.clientMembership();
      case 'wake':
        ev.resume();
        return undefined;
    }
  }

  /**
   * Whether to crash at a write's landing, and where: 'before' it lands (lost), 'after'
   * it lands but before the runtime learns it, or once the runtime 'settled' on it. A
   * Ready's persist crashes only after landing (crashAfterPersistRate; a crash before
   * it is any chaos crash); snapshot work at all three (snapshotCrashRate).
   */
  private crashPoint(persist: boolean | 'record'): 'before' | 'after' | 'settled' | undefined {
    if (this.calm) return undefined;
    if (persist === 'record') {
      // Storing the configuration a node starts from: lost, or landed and then a crash.
      if (!this.rng.chance(this.profile.crashAfterPersistRate)) return undefined;
      return this.rng.pick(['before', 'after', 'settled'] as const);
    }
    if (persist) {
      if (!this.rng.chance(this.profile.crashAfterPersistRate)) return undefined;
      return this.rng.chance(0.5) ? 'after' : 'settled';
    }
    if (!this.rng.chance(this.profile.snapshotCrashRate)) return undefined;
    this.stats.snapshotCrashes++;
    return this.rng.pick(['before', 'after', 'settled'] as const);
  }

  /** A write landed on `n`'s disk: tells the runtime (`resume`), unless it crashes first. */
  private landed(
    n: SimNode,
    resume: () => void,
    point: 'after' | 'settled' | undefined,
  ): SimNode | undefined {
    if (point === 'after') {
      this.afterStep(n);
      this.crashAndScheduleRestart(n); // landed, but the runtime never learns it
      return undefined;
    }
    resume();
    if (point === 'settled') this.crashAfterSettling = n;
    return n;
  }

  private afterStep(n: SimNode): void {
    const status = this.checker.afterStep(n);
    if (status === undefined) return;
    // Every node here runs the correct core and the network only delays, loses,
    // duplicates and reorders: a rejected message means over-strict validation or a
    // core bug (e.g. two leaders in one term, a heartbeat commit beyond the log).
    if (status.rejectedMessages > 0)
      throw new SimViolation(
        'Message Rejected',
        n.lastRejection ?? `${n.id} rejected ${status.rejectedMessages} messages`,
      );
    if (status.role !== n.role) {
      n.role = status.role;
      this.trace(
        `${n.id} → ${status.role} (term ${status.term}, leader ${status.leaderId ?? '-'})`,
      );
    }
  }

  private runtimeConfig(n: SimNode): RaftRuntimeConfig {
    const joining = n.startedWith;
    return {
      id: n.id,
      // A node that joins a running cluster starts from the configuration it learned.
      peers: joining === undefined ? this.peers : new Map(),
      ...(joining !== undefined ? { initialMembership: () => Promise.resolve(joining) } : {}),
      timing: {
        tickMs: n.tickInterval,
        electionTick: this.profile.electionTick,
        heartbeatTick: this.profile.heartbeatTick,
      },
      maxEntryBytes: MAX_ENTRY_BYTES,
      log: (line) => {
        if (line.startsWith(`${n.id} rejected `)) n.lastRejection = line;
        this.trace(line);
      },
      onFatal: (error) => this.fault(error),
      lease: { driftMs: this.profile.leaseDriftMs },
      createNode: (config, initial) => this.createNode(config, initial),
      ...(this.profile.snapshotThreshold > 0
        ? {
            snapshots: {
              thresholdEntries: this.profile.snapshotThreshold,
              // A negative count: the broken runtime compacts beyond its snapshot.
              trailingEntries:
                this.profile.snapshotTrailing - (this.opts.faults?.compactBeyondSnapshot ?? 0),
              thresholdBytes: this.profile.snapshotThresholdBytes,
              trailingBytes: this.profile.snapshotTrailingBytes,
              sendTimeoutMs: this.profile.snapshotSendTimeout,
            },
          }
        : {}),
    };
  }

  /** The runtime's core, with this seed's options (and the deliberate breakage, if any). */
  private createNode(config: RaftConfigInput, initial: InitialState): RaftNode {
    const p = this.profile;
    const full: RaftConfigInput = {
      ...config,
      maxInflightMessages: p.maxInflightMessages,
      maxEntriesPerMessage: p.maxEntriesPerMessage,
      maxBytesPerMessage: p.maxBytesPerMessage,
      preVote: p.preVote,
      checkQuorum: p.checkQuorum,
    };
    const built = this.opts.nodeFactory?.(full, initial) ?? new RaftNode(full, initial);
    const core = observingDecisions(built, {
      decision: (d) => this.checker.onDecision(d),
      configAppended: (c) => this.checker.onConfigAppended(c),
      violation: (error) => this.fault(error),
    });
    const owner = this.byId.get(config.id);
    if (owner !== undefined) owner.core = core;
    const node = checkingSnapshotContract(core, (what) =>
      this.fault(new SimViolation('Port Contract', `${config.id}: ${what}`)),
    );
    const early = this.opts.faults?.sendBeforePersist;
    const resorted = early === undefined ? node : sendingPromisesEarly(node, early);
    return this.opts.faults?.timeoutNowEarly ? sendingTimeoutNowEarly(resorted) : resorted;
  }

  /** Opens a runtime on the node's disk (the open settles with the event). */
  private restart(n: SimNode): SimNode | undefined {
    if (n.life !== undefined || n.retired || n.waitingToJoin) return undefined;
    this.trace(
      `start ${n.id} (term ${n.disk.hardState.term}, vote ${n.disk.hardState.vote ?? '-'}, commit ${n.disk.hardState.commit}, log ${n.disk.logStart.index}..${diskLastIndex(n.disk)}, applied ${n.disk.applied.length}, snapshots [${[...n.disk.snapshots.keys()].join(',')}])`,
    );
    if (n.disk.applied.length < n.disk.logStart.index) this.stats.unfinishedInstalls++;
    const life = new Incarnation(
      n.id,
      n.disk,
      this.host,
      () => n.rng.next(),
      this.profile.snapshotThreshold > 0,
      { installDropsLastEntry: this.opts.faults?.installDropsLastEntry ?? false },
    );
    n.life = life;
    RaftRuntime.open(this.runtimeConfig(n), life.ports)
      .then((runtime) => {
        if (!life.alive) return;
        life.runtime = runtime;
        this.checker.onRestart(n);
      })
      .catch((error: unknown) =>
        // Whatever a crash left on the disk, the runtime wrote it: it must restart from it.
        this.fault(
          error instanceof SimViolation
            ? error
            : new SimViolation(
                'Restart Consistency',
                `RaftRuntime.open on ${n.id} failed: ${error instanceof Error ? error.message : String(error)}`,
              ),
        ),
      );
    return n;
  }

  /** The durable state machine applied `e` (a port callback). */
  private onApplied(n: SimNode, e: Entry, before: number): void {
    this.checker.onApply(n, e, before);
    if (e.type !== 'normal') return;
    const id = fingerprint(e);
    const p = this.proposals.get(id);
    if (p === undefined)
      throw new SimViolation(
        'Client Oracle',
        `${n.id} applied ${id} at ${e.index}, which no client proposed`,
      );
    if (p.outcome === 'refused' || p.outcome === 'lost')
      throw new SimViolation(
        'Client Oracle',
        `${n.id} applied ${id} at ${e.index}, which the runtime ${p.outcome === 'lost' ? 'reported lost (ProposalLost: never committed)' : 'refused (not appended)'}`,
      );
    const at = this.appliedIndexOf.get(id);
    if (at === undefined) this.appliedIndexOf.set(id, e.index);
    else if (at !== e.index)
      throw new SimViolation(
        'Client Oracle',
        `${id} applied at index ${at} and at index ${e.index}`,
      );
  }

  // -------------------------------------------------------------------------
  // Network
  // -------------------------------------------------------------------------

  /**
   * Links are FIFO (like one HTTP/2 connection per peer) except for the messages
   * picked for reordering or duplication, which take an independent, possibly long,
   * delay and may overtake or be overtaken by anything.
   */
  private send(m: Message): void {
    // Checked as the message leaves its sender, whether or not the network delivers it.
    this.checker.onSend(m);
    this.stats.messagesSent++;
    const p = this.profile;
    const link = `${m.from}>${m.to}`;
    if (!this.calm) {
      if (this.blocked.has(link)) return;
      if (this.rng.chance(p.lossRate)) return;
      if (this.rng.chance(p.dupRate)) {
        this.queue.push(this.time + this.rng.int(p.minDelay, p.maxDelay + p.longDelay), {
          kind: 'deliver',
          msg: m,
        });
      }
      if (this.rng.chance(p.reorderRate)) {
        this.queue.push(
          this.time + this.rng.int(p.minDelay, p.maxDelay) + this.rng.int(0, p.longDelay),
          { kind: 'deliver', msg: m },
        );
        return;
      }
    }
    const at = Math.max(
      this.time + this.rng.int(p.minDelay, p.maxDelay),
      this.linkClock.get(link) ?? 0,
    );
    this.linkClock.set(link, at);
    this.queue.push(at, { kind: 'deliver', msg: m });
  }

  /** Delivers to whatever incarnation of the target is alive now. */
  private deliver(m: Message): SimNode | undefined {
    const to = this.byId.get(m.to);
    const raft = to?.raft;
    if (raft === undefined) return undefined;
    if (this.blocked.has(`${m.from}>${m.to}`)) return undefined;
    this.stats.messagesDelivered++;
    if (this.opts.verbose) this.trace(`deliver ${describeMessage(m)}`);
    raft.deliver(m);
    return to;
  }

  // -------------------------------------------------------------------------
  // Snapshot transfers
  // -------------------------------------------------------------------------

  /**
   * A leader's SnapshotSender: streams its snapshot `folder` to `header.to`. The stream
   * takes a network delay plus time per entry of state; it breaks (a failure, after a
   * while) when the link is cut or, like a message, is lost; on arrival the follower's
   * current incarnation gets it (see snapshotArrives). The answer travels back like a
   * message. The leader's own deadline fails it after `timeoutMs`. Every answer reaches
   * the leader through its clock, so a leader that crashed meanwhile hears nothing.
   */
  private sendSnapshot(
    life: Incarnation,
    header: SnapshotHeader,
    folder: string,
    timeoutMs: number,
  ): Promise<SnapshotAck> {
    return new Promise<SnapshotAck>((resolve) => {
      let settled = false;
      const answer = (ack: SnapshotAck): void => {
        if (settled) return;
        settled = true;
        resolve(ack);
      };
      const reply = (ack: SnapshotAck, delay: number): void => {
        life.clock.setTimeout(() => answer(ack), delay);
      };
      reply({ installed: false, reason: `no answer within ${timeoutMs}` }, timeoutMs);
      const from = this.nodeOf(life);
      const snapshot = [...from.disk.snapshots.values()].find((s) => s.folder === folder);
      if (snapshot === undefined) {
        // Pruned since the runtime found it: the stream cannot even start.
        reply({ installed: false, reason: `${folder} is not on ${from.id}'s disk` }, 0);
        return;
      }
      try {
        this.checker.onSnapshotSend(header, snapshot);
      } catch (error) {
        this.fault(error);
        return;
      }
      this.stats.snapshotsSent++;
      this.trace(
        `${from.id} streams snapshot ${snapshot.index} to ${header.to} (term ${header.term})`,
      );
      const p = this.profile;
      const transfer =
        this.rng.int(p.minDelay, p.maxDelay) +
        Math.ceil(snapshot.index * p.snapshotTransferPerEntry);
      const cut =
        !this.calm &&
        (this.blocked.has(`${header.from}>${header.to}`) ||
          this.rng.chance(Math.min(0.5, 3 * p.lossRate)));
      if (cut) {
        reply({ installed: false, reason: 'the stream broke' }, this.rng.int(p.minDelay, transfer));
        return;
      }
      this.queue.push(this.time + transfer, { kind: 'transfer', header, snapshot, reply });
    });
  }

  /**
   * A snapshot stream arrived whole at `header.to`: as the production receiver does, it
   * lands in the follower's snapshot folder (durable), and the follower's runtime is
   * asked to install it. Its answer goes back to the leader; a follower that is down,
   * cut off, or crashes before answering makes the stream fail.
   */
  private snapshotArrives(
    header: SnapshotHeader,
    snapshot: SimSnapshot,
    reply: (ack: SnapshotAck, delay: number) => void,
  ): SimNode | undefined {
    const p = this.profile;
    const back = (): number => this.rng.int(p.minDelay, p.maxDelay);
    const to = this.byId.get(header.to)!;
    const life = to.life;
    const raft = life?.runtime;
    if (
      life === undefined ||
      raft === undefined ||
      (!this.calm && this.blocked.has(`${header.from}>${header.to}`))
    ) {
      reply({ installed: false, reason: `${header.to} is down or cut off` }, back());
      return undefined;
    }
    const received: SimSnapshot = { ...snapshot, folder: `${to.id}/${snapshot.index}` };
    to.disk.snapshots.set(received.index, received);
    this.trace(`${to.id} received snapshot ${snapshot.index} from ${header.from}`);
    let answered = false;
    life.whenKilled(() => {
      if (answered) return;
      answered = true;
      reply({ installed: false, reason: `${to.id} crashed` }, back());
    });
    raft.receiveSnapshot(header, received.folder).then(
      (ack) => {
        if (answered || !life.alive) return;
        answered = true;
        const lost =
          !this.calm &&
          (this.blocked.has(`${header.to}>${header.from}`) || this.rng.chance(p.lossRate));
        reply(lost ? { installed: false, reason: 'the answer was lost' } : ack, back());
      },
      (error: unknown) =>
        this.fault(
          error instanceof SimViolation
            ? error
            : new SimViolation(
                'Crash',
                `${to.id}: receiveSnapshot(${header.index}) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
              ),
        ),
    );
    return to;
  }

  // -------------------------------------------------------------------------
  // Faults
  // -------------------------------------------------------------------------

  private chaos(): void {
    if (this.calm) return;
    const p = this.profile;
    this.queue.push(this.time + p.chaosInterval, { kind: 'chaos' });
    if (this.blocked.size === 0 && this.rng.chance(p.partitionRate)) this.partition();
    if (this.rng.chance(p.crashRate)) {
      const live = this.nodes.filter((n) => n.life !== undefined);
      if (live.length > 0) this.crashAndScheduleRestart(this.rng.pick(live));
    }
    if (p.membershipInterval > 0) this.tendMembers(false);
  }

  /** The nodes not stopped for good, nor waiting to join (they run, or are down for a while). */
  private active(): SimNode[] {
    return this.nodes.filter((n) => !n.retired && !n.waitingToJoin);
  }

  /** Starts a partition: a random one, or the isolation of `victim`. */
  private partition(victim?: SimNode): void {
    const ids = this.active().map((n) => n.id);
    if (ids.length < 2) return; // one node left: nothing to cut
    const kind =
      victim !== undefined ? 'isolate' : this.rng.pick(['isolate', 'split', 'oneway'] as const);
    const blocked = new Set<string>();
    if (kind === 'isolate') {
      // Half the time the victim is a leader (Jepsen's favourite nemesis).
      const leaders = this.nodes.filter((n) => n.raft?.role === 'leader').map((n) => n.id);
      const x =
        victim?.id ??
        (leaders.length > 0 && this.rng.chance(0.5) ? this.rng.pick(leaders) : this.rng.pick(ids));
      for (const y of ids) if (y !== x) blocked.add(`${x}>${y}`).add(`${y}>${x}`);
    } else if (kind === 'split') {
      const shuffled = this.rng.shuffle([...ids]);
      const cut = this.rng.int(1, ids.length - 1);
      const a = shuffled.slice(0, cut);
      const b = shuffled.slice(cut);
      for (const x of a) for (const y of b) blocked.add(`${x}>${y}`).add(`${y}>${x}`);
    } else {
      const x = this.rng.pick(ids);
      const y = this.rng.pick(ids.filter((i) => i !== x));
      blocked.add(`${x}>${y}`);
    }
    this.blocked = blocked;
    this.stats.partitions++;
    // A transfer is interrupted when a link of its leader or its transferee is cut.
    for (const h of this.handovers)
      if (
        [...blocked].some((link) =>
          link.split('>').some((id) => id === h.from.id || id === h.transferee),
        )
      )
        this.interrupt(h);
    const epoch = ++this.partitionEpoch;
    this.trace(`partition (${kind}): ${[...blocked].join(' ')}`);
    this.queue.push(
      this.time + this.rng.int(this.profile.partitionMin, this.profile.partitionMax),
      { kind: 'heal', epoch },
    );
  }

  private crashAndScheduleRestart(n: SimNode): void {
    this.crash(n);
    this.queue.push(this.time + this.rng.int(this.profile.restartMin, this.profile.restartMax), {
      kind: 'restart',
      node: n.index,
    });
  }

  /** The process dies: its runtime is abandoned as it stands (timers, pending write and apply). */
  private crash(n: SimNode): void {
    this.stats.crashes++;
    this.stop(n);
    if (this.opts.faults?.forgetVoteOnCrash) {
      n.disk.hardState = { ...n.disk.hardState, vote: undefined };
    }
    this.trace(`crash ${n.id}`);
  }

  /** The process ends (crash or shutdown). */
  private stop(n: SimNode): void {
    for (const h of this.handovers) {
      if (h.from === n) {
        // Its runtime is abandoned: the transfer's promise never settles.
        this.interrupt(h);
        h.outcome = 'abandoned';
        this.handovers.delete(h);
      } else if (h.transferee === n.id) this.interrupt(h);
    }
    n.life?.kill();
    n.life = undefined;
    n.core = undefined;
    n.role = 'down';
  }

  private async beginCalm(): Promise<void> {
    this.calm = true;
    this.blocked = new Set();
    this.trace('--- faults stop; the cluster must converge ---');
    this.tendMembers(true);
    const restarted = this.nodes.filter((n) => this.restart(n) !== undefined);
    await settle();
    if (this.failure !== undefined) throw this.failure;
    for (const n of restarted) this.afterStep(n);
  }

  // -------------------------------------------------------------------------
  // Clients
  // -------------------------------------------------------------------------

  private target(client: number): SimNode | undefined {
    // Clients stick to the node they believe leads, but sometimes try another one
    // (a timed-out request, a load balancer): a deposed leader keeps accepting
    // proposals that never commit, and this is how clients get away from it.
    const g = this.rng.chance(0.1) ? undefined : this.leaderGuess[client];
    const guess = g === undefined ? undefined : this.byId.get(g);
    if (guess?.raft !== undefined) return guess;
    const live = this.nodes.filter((n) => n.raft !== undefined);
    return live.length === 0 ? undefined : this.rng.pick(live);
  }

  private clientPropose(): SimNode | undefined {
    if (this.calm) return undefined;
    this.queue.push(this.time + this.rng.int(1, 2 * this.profile.proposalInterval), {
      kind: 'propose',
    });
    const client = this.rng.int(0, this.leaderGuess.length - 1);
    const n = this.target(client);
    const raft = n?.raft;
    if (n === undefined || raft === undefined) return undefined;
    const id = `p${++this.proposalSeq}`;
    const p: Proposal = { id, outcome: 'pending' };
    this.proposals.set(id, p);
    this.stats.proposals++;
    this.leaderGuess[client] = n.id; // until it says otherwise
    if (this.opts.verbose) this.trace(`propose ${id} at ${n.id}`);
    raft
      .propose(encoder.encode(id), this.profile.requestTimeout)
      .then(
        (outcome) => this.proposalAcknowledged(p, n, outcome),
        (error: unknown) => this.proposalFailed(p, client, error),
      )
      .catch((error: unknown) => this.fault(error));
    return n;
  }

  private proposalAcknowledged(p: Proposal, n: SimNode, o: ProposeOutcome<Applied>): void {
    if (o.result.fp !== p.id || o.result.index !== o.logIndex)
      throw new SimViolation(
        'Client Oracle',
        `${n.id} acknowledged ${p.id} at index ${o.logIndex} with the result of ${o.result.fp} at ${o.result.index}`,
      );
    if (p.outcome !== 'pending')
      throw new SimViolation('Client Oracle', `${p.id} acknowledged after ${p.outcome}`);
    p.outcome = 'acked';
    p.index = o.logIndex;
    p.term = o.result.term;
    this.stats.acked++;
    this.maxAckedIndex = Math.max(this.maxAckedIndex, o.logIndex);
    if (this.opts.verbose) this.trace(`ack ${p.id} at ${o.logIndex} (term ${o.result.term})`);
  }

  private proposalFailed(p: Proposal, client: number, error: unknown): void {
    if (p.outcome !== 'pending')
      throw new SimViolation('Client Oracle', `${p.id} failed after ${p.outcome}`);
    if (
      error instanceof NotLeader ||
      error instanceof LeadershipTransferring ||
      error instanceof ProposalQueueFull ||
      error instanceof EntryTooLarge
    ) {
      // LeadershipTransferring, like NotLeader, refuses the write before anything is
      // appended; the client tries the next leader.
      if (error instanceof NotLeader) this.leaderGuess[client] = error.leaderId;
      if (error instanceof LeadershipTransferring) {
        this.leaderGuess[client] = error.nextLeaderId;
        this.stats.proposalsRefusedTransferring++;
      }
      p.outcome = 'refused';
    } else if (error instanceof ProposalLost) {
      p.outcome = 'lost';
      this.stats.lost++;
    } else if (error instanceof ProposalTimedOut) {
      p.outcome = 'timed out';
      if (error.committed) p.committedAt = error.index;
      this.stats.timedOut++;
    } else if (error instanceof NodeStopped) {
      p.outcome = 'stopped'; // only after a fatal error, which fails the run
      return;
    } else throw error;
    if (this.opts.verbose)
      this.trace(`${p.outcome} ${p.id}${p.committedAt !== undefined ? ' (committed)' : ''}`);
    // Refused (never appended) and lost (never committed) writes are never applied.
    const at = this.appliedIndexOf.get(p.id);
    if ((p.outcome === 'refused' || p.outcome === 'lost') && at !== undefined)
      throw new SimViolation(
        'Client Oracle',
        `${p.id} was reported ${p.outcome} (${error instanceof Error ? error.name : ''}) but is applied at index ${at}`,
      );
  }

  private clientRead(): SimNode | undefined {
    if (this.calm) return undefined;
    this.queue.push(this.time + this.rng.int(1, 2 * this.profile.readInterval), { kind: 'read' });
    const client = this.rng.int(0, this.leaderGuess.length - 1);
    const n = this.target(client);
    const life = n?.life;
    const raft = life?.runtime;
    if (n === undefined || life === undefined || raft === undefined) return undefined;
    const id = `r${++this.readSeq}`;
    // Every write acknowledged before the read begins must be visible to it.
    const minIndex = this.maxAckedIndex;
    this.stats.reads++;
    const p = this.profile;
    const lease = p.leaseReadRate > 0 && this.rng.chance(p.leaseReadRate);
    if (lease) {
      this.stats.leaseReads++;
      if (raft.leaseHolds()) this.stats.leaseReadsOnLease++;
    }
    (lease ? raft.leaseRead(p.requestTimeout) : raft.readBarrier(p.requestTimeout))
      .then(
        () => this.readServed(n, life, id, minIndex),
        (error: unknown) => this.readFailed(client, error),
      )
      .catch((error: unknown) => this.fault(error));
    return n;
  }

  private readServed(n: SimNode, life: Incarnation, id: string, minIndex: number): void {
    if (n.life !== life)
      throw new SimViolation(
        'Linearizable Read',
        `a dead incarnation of ${n.id} answered read ${id}`,
      );
    // The read is served from the local state machine, as it stands now.
    const applied = n.disk.applied.length;
    if (applied < minIndex)
      throw new SimViolation(
        'Linearizable Read',
        `${n.id} served read ${id} with its state machine at index ${applied}, but a write at ${minIndex} was acknowledged before the read began`,
      );
    this.stats.readsServed++;
  }

  private readFailed(client: number, error: unknown): void {
    if (error instanceof NotLeader) this.leaderGuess[client] = error.leaderId;
    else if (error instanceof ReadTimedOut || error instanceof ApplyWaitTimedOut)
      this.stats.timedOut++;
    else if (!(error instanceof NodeStopped || error instanceof TooManyReadsWaiting)) throw error;
  }

  /**
   * A client asks the node it believes leads to hand leadership over, to a random voter
   * (itself included, or one that is down or cut off) or to the runtime's pick, with a
   * deadline. A transfer may be aimed at by a crash or an isolation of its leader or
   * transferee while TimeoutNow and the election it starts are in flight.
   */
  private clientTransfer(redirect?: Redirect): SimNode | undefined {
    if (this.calm) return undefined;
    const p = this.profile;
    let client: number;
    let n: SimNode | undefined;
    if (redirect === undefined) {
      this.queue.push(this.time + this.rng.int(1, 2 * p.transferInterval), { kind: 'handover' });
      client = this.rng.int(0, this.leaderGuess.length - 1);
      n = this.target(client);
    } else {
      client = redirect.client;
      n = this.byId.get(redirect.at);
    }
    const life = n?.life;
    const raft = life?.runtime;
    if (n === undefined || life === undefined || raft === undefined) return undefined;
    const to =
      redirect !== undefined
        ? redirect.to
        : this.rng.chance(p.transferToAnyRate)
          ? undefined
          : this.rng.pick(this.active()).id;
    const term = raft.status().term;
    const answer = raft.transferLeadership(to, p.transferTimeout);
    // The core takes the transfer on within the call (if this node leads).
    const h: Handover = {
      from: n,
      life,
      to,
      transferee: raft.status().transferee,
      term,
      redirected: redirect !== undefined,
      outcome: 'pending',
      interrupted: false,
    };
    this.handovers.add(h);
    this.stats.transfers++;
    this.trace(
      `client asks ${n.id} to hand leadership to ${to ?? 'any voter'}${h.transferee !== undefined ? ` (transferee ${h.transferee})` : ''}`,
    );
    answer
      .then(
        (leader) => this.transferCompleted(h, client, leader),
        (error: unknown) => this.transferFailed(h, client, error),
      )
      .catch((error: unknown) => this.fault(error));
    if (h.transferee !== undefined && this.rng.chance(p.transferNemesisRate))
      this.queue.push(this.time + this.rng.int(0, 3 * p.maxDelay + n.tickInterval), {
        kind: 'handover-nemesis',
        handover: h,
      });
    return n;
  }

  private transferCompleted(h: Handover, client: number, leader: string): void {
    const from = h.from.id;
    if (h.outcome !== 'pending')
      throw new SimViolation(
        'Leadership Transfer',
        `${from}'s transfer resolved with ${leader} after ${h.outcome}`,
      );
    this.handovers.delete(h);
    if (!h.life.alive)
      throw new SimViolation(
        'Leadership Transfer',
        `a dead incarnation of ${from} resolved a transfer with ${leader}`,
      );
    if (leader === from) {
      // Asked to hand leadership to itself: nothing to do.
      if (h.to !== from)
        throw new SimViolation(
          'Leadership Transfer',
          `${from}'s transfer to ${h.to ?? 'any voter'} resolved with ${from} itself`,
        );
      h.outcome = 'self';
      return;
    }
    // The runtime resolves once it follows another leader: that node was elected in a
    // later term than the one this transfer began in.
    if (!this.checker.ledTermAfter(leader, h.term))
      throw new SimViolation(
        'Leadership Transfer',
        `${from}'s transfer (begun as leader of term ${h.term}) resolved with ${leader}, which led no later term`,
      );
    h.outcome = 'completed';
    this.stats.transfersCompleted++;
    if (leader === h.transferee) this.stats.transfersToTarget++;
    this.leaderGuess[client] = leader;
    this.trace(
      `${from} handed leadership to ${leader}${h.interrupted ? ' (interrupted)' : ''}${leader === h.transferee ? '' : ` (transferee was ${h.transferee ?? '-'})`}`,
    );
  }

  private transferFailed(h: Handover, client: number, error: unknown): void {
    if (h.outcome !== 'pending')
      throw new SimViolation(
        'Leadership Transfer',
        `${h.from.id}'s transfer failed (${error instanceof Error ? error.name : String(error)}) after ${h.outcome}`,
      );
    this.handovers.delete(h);
    if (error instanceof NotLeader) {
      h.outcome = 'refused';
      this.stats.transfersRefused++;
      this.leaderGuess[client] = error.leaderId;
      // The client follows the redirect once, a round trip later.
      if (error.leaderId !== undefined && !h.redirected && !this.calm)
        this.queue.push(this.time + this.rng.int(this.profile.minDelay, this.profile.maxDelay), {
          kind: 'handover',
          redirect: { client, at: error.leaderId, to: h.to },
        });
    } else if (error instanceof TransferFailed) {
      h.outcome = 'failed';
      this.stats.transfersFailed++;
    } else if (error instanceof NodeStopped) {
      h.outcome = 'stopped'; // only after a fatal error, which fails the run
      return;
    } else throw error;
    this.trace(`${h.from.id}'s transfer ${h.outcome}: ${(error as Error).message}`);
  }

  /** A crash or partition hit `h`'s leader or transferee while it was pending. */
  private interrupt(h: Handover): void {
    if (h.interrupted) return;
    h.interrupted = true;
    this.stats.transfersInterrupted++;
  }

  /** Crashes or isolates the leader or the transferee of a transfer still in progress. */
  private handoverNemesis(h: Handover): void {
    if (this.calm || h.outcome !== 'pending') return;
    const victims = [h.from, this.nodes.find((n) => n.id === h.transferee)].filter(
      (n): n is SimNode => n?.life !== undefined,
    );
    if (victims.length === 0) return;
    const victim = this.rng.pick(victims);
    this.trace(`nemesis aims at ${h.from.id}'s transfer to ${h.transferee ?? '-'}: ${victim.id}`);
    if (this.blocked.size === 0 && this.rng.chance(0.5)) this.partition(victim);
    else this.crashAndScheduleRestart(victim);
  }

  // -------------------------------------------------------------------------
  // Membership changes
  // -------------------------------------------------------------------------

  /**
   * The node an administrator asks: one that leads, in the highest term (an admin tool
   * finds it), or now and then any running node (which refuses, not leading).
   */
  private adminTarget(): SimNode | undefined {
    const live = this.active().filter((n) => n.raft !== undefined);
    if (live.length === 0) return undefined;
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of live) {
      const s = n.raft!.status();
      if (s.role === 'leader' && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    return best !== undefined && !this.rng.chance(0.1) ? best : this.rng.pick(live);
  }

  /**
   * The administrator changes the membership through the node it believes leads: adds a
   * fresh node as a learner (and maybe promotes it), promotes a learner, removes a voter
   * (now and then the leader itself) or a learner, replaces a voter by a fresh node, or
   * asks for an invalid change. The voters stay between 1 and 7.
   */
  private clientMembership(): SimNode | undefined {
    if (this.calm) return undefined;
    const p = this.profile;
    this.queue.push(this.time + this.rng.int(1, 2 * p.membershipInterval), { kind: 'membership' });
    if (this.adminOps >= 2) return undefined;
    const n = this.adminTarget();
    const raft = n?.raft;
    if (n === undefined || raft === undefined) return undefined;
    const m = raft.currentMembership();
    const voters = votersOf(m);
    const learners = learnersOf(m);
    const running = this.nodes.filter((x) => !x.retired).length;
    const canAdd = m.members.length < 8 && running < 10;
    const choices: [number, () => Promise<unknown>][] = [
      [canAdd ? (voters.length <= 2 ? 4 : 2) : 0, () => this.addNode(this.rng.chance(0.6))],
      [
        learners.length > 0 && voters.length < 7 ? 3 : 0,
        () => this.promote(this.rng.pick(learners), this.rng.chance(0.8)),
      ],
      [
        voters.length > 1 ? (voters.length >= 5 ? 3 : voters.length >= 3 ? 1.5 : 0.5) : 0,
        () =>
          this.removeMember(
            voters.includes(n.id) && this.rng.chance(0.3) ? n.id : this.rng.pick(voters),
          ),
      ],
      [learners.length > 0 ? 1 : 0, () => this.removeMember(this.rng.pick(learners))],
      [
        voters.length > 1 && canAdd ? 1 : 0,
        () => this.replace(this.rng.pick(voters.filter((v) => v !== n.id))),
      ],
      [0.3, () => this.invalidChange(voters)],
    ];
    let r = this.rng.next() * choices.reduce((sum, [w]) => sum + w, 0);
    const chosen = choices.find(([w]) => (r -= w) < 0) ?? choices[choices.length - 1]!;
    this.adminOps++;
    chosen[1]()
      .catch((error: unknown) => this.fault(error))
      .finally(() => this.adminOps--);
    return undefined;
  }

  /** Waits `ms` of sim time. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resume) => this.queue.push(this.time + ms, { kind: 'wake', resume }));
  }

  /** A fresh node with an empty disk and a new id, not started yet. */
  private newNode(): SimNode {
    const n = new SimNode(
      `n${++this.lastNodeNumber}`,
      this.nodes.length,
      this.profile.tickInterval + this.rng.int(-1, 1),
      this.rng.fork(),
    );
    n.waitingToJoin = true;
    this.nodes.push(n);
    this.byId.set(n.id, n);
    this.checker.addNode(n);
    return n;
  }

  /** Starts a fresh node with the configuration it learned (`initialMembership`). */
  private startJoiner(n: SimNode, membership: Membership): void {
    if (!n.waitingToJoin) return;
    n.waitingToJoin = false;
    n.startedWith = membership;
    this.stats.nodesStarted++;
    this.trace(
      `fresh node ${n.id} starts with voters [${votersOf(membership).join(',')}] learners [${learnersOf(membership).join(',')}]`,
    );
    this.queue.push(this.time + this.rng.int(1, n.tickInterval), {
      kind: 'restart',
      node: n.index,
    });
  }

  /** Adds a fresh node as a learner, started before the add commits or with what it returned. */
  private async addNode(thenPromote: boolean): Promise<SimNode | undefined> {
    const n = this.newNode();
    const early = this.rng.chance(0.3);
    const r = await this.change(
      { type: 'add', id: n.id, role: 'learner', peerAddress: `sim://${n.id}` },
      (leader) => {
        if (early) this.startJoiner(n, leader.raft!.currentMembership());
      },
    );
    if (r === 'refused') {
      // Nothing appended: the node is no member (and, if started, is stopped in time).
      if (n.waitingToJoin) {
        n.waitingToJoin = false;
        n.retired = true;
      }
      return undefined;
    }
    if (r === undefined) return undefined; // its fate is unknown: tendMembers sees to it
    this.startJoiner(n, r.membership);
    if (thenPromote && !this.calm) {
      await this.sleep(this.rng.int(1, 4 * this.profile.electionTick * this.profile.tickInterval));
      await this.promote(n.id, true);
    }
    return n;
  }

  private async promote(id: string, whenCaughtUp: boolean): Promise<void> {
    await this.change({ type: 'promote', id }, undefined, whenCaughtUp);
  }

  private async removeMember(id: string): Promise<boolean> {
    const r = await this.change({ type: 'remove', id });
    return r !== undefined && r !== 'refused';
  }

  /** Removes a voter, then adds a fresh node (with a new id) in its place and promotes it. */
  private async replace(id: string | undefined): Promise<void> {
    if (id === undefined || !(await this.removeMember(id)) || this.calm) return;
    await this.addNode(true);
  }

  /** A change the leader must refuse as invalid (unless it refuses it for another reason). */
  private async invalidChange(voters: readonly string[]): Promise<void> {
    const change: MembershipChange =
      voters.length > 0 && this.rng.chance(0.5)
        ? { type: 'promote', id: this.rng.pick(voters) }
        : { type: 'remove', id: `n${this.lastNodeNumber + 100}` };
    const r = await this.change(change);
    if (r !== undefined && r !== 'refused')
      throw new SimViolation(
        'Client Oracle',
        `an invalid membership change (${change.type} ${change.id}) was made at ${r.index}`,
      );
  }

  /**
   * Asks the node the administrator believes leads for one change (promotions perhaps
   * waiting for the learner to catch up); `asked` runs right after the call. Resolves
   * with what a committed change returned, 'refused' (nothing appended), or undefined
   * (not asked, or its fate unknown: timed out or lost).
   */
  private async change(
    change: MembershipChange,
    asked?: (leader: SimNode) => void,
    whenCaughtUp = false,
  ): Promise<{ index: number; membership: Membership } | 'refused' | undefined> {
    if (this.calm) return undefined;
    const n = this.adminTarget();
    const raft = n?.raft;
    if (n === undefined || raft === undefined) return undefined;
    this.stats.membershipProposed++;
    const what = `${change.type}${change.type === 'add' ? ` ${change.role}` : ''} ${change.id}`;
    this.trace(`admin asks ${n.id} to ${what}${whenCaughtUp ? ' once caught up' : ''}`);
    const timeout = this.profile.membershipTimeout;
    const answer =
      whenCaughtUp && change.type === 'promote'
        ? raft.promoteWhenCaughtUp(change.id, timeout)
        : raft.changeMembership(change, timeout);
    asked?.(n);
    try {
      const r = await answer;
      this.stats.membershipCommitted++;
      this.trace(`${n.id}: ${what} committed at ${r.index}`);
      this.afterEvent.push(() => this.checkMembershipAnswer(n, change, r));
      return r;
    } catch (error) {
      const s = this.stats;
      let outcome: 'refused' | undefined = 'refused';
      if (error instanceof MembershipChangeRefused) {
        if (error.reason === 'no-commit-in-term') s.membershipRefusedNoCommitInTerm++;
        else if (error.reason === 'change-in-progress') s.membershipRefusedChangeInProgress++;
        else if (error.reason === 'learner-behind') s.membershipRefusedLearnerBehind++;
        else if (error.reason === 'invalid-change') s.membershipRefusedInvalid++;
        else s.membershipRefusedTimedOut++;
      } else if (
        error instanceof NotLeader ||
        error instanceof LeadershipTransferring ||
        error instanceof ProposalQueueFull
      )
        s.membershipRefusedNotLeader++;
      else if (error instanceof ProposalTimedOut) {
        s.membershipTimedOut++;
        outcome = undefined;
      } else if (error instanceof ProposalLost) {
        s.membershipLost++;
        outcome = undefined;
      } else if (error instanceof NodeStopped) return undefined;
      else throw error;
      this.trace(
        `${n.id}: ${what} ${outcome ?? 'unknown'}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return outcome;
    }
  }

  /**
   * A committed change's answer: its index holds a committed config entry that makes the
   * change asked for. (The configuration returned is the one in force when the answer
   * came, which may already hold a later change.)
   */
  private checkMembershipAnswer(
    n: SimNode,
    change: MembershipChange,
    r: { index: number; membership: Membership },
  ): void {
    const committed = this.checker.committedConfigEntry(r.index);
    const m = committed ?? r.membership;
    const member = memberOf(m, change.id);
    const made =
      change.type === 'add'
        ? member?.role === change.role
        : change.type === 'promote'
          ? member?.role === 'voter'
          : member === undefined;
    if (committed === undefined || !made)
      throw new SimViolation(
        'Client Oracle',
        `${n.id} answered ${change.type} ${change.id} committed at ${r.index}, but ${committed === undefined ? 'no configuration is known committed there' : `the configuration committed there, voters [${votersOf(m).join(',')}] learners [${learnersOf(m).join(',')}], does not make that change`}`,
      );
    const s = this.stats;
    if (change.type === 'add') s.nodesAdded++;
    else if (change.type === 'promote') s.learnersPromoted++;
    else {
      s.nodesRemoved++;
      if (change.id === n.id) s.leaderSelfRemovals++;
    }
    s.maxVoters = Math.max(s.maxVoters, votersOf(m).length);
  }

  /**
   * Starts the nodes a configuration names and stops those none does. Named: by the
   * newest configuration known committed, or by the one in force on a running member
   * of it (an uncommitted change). A node named by none keeps running for a while (it
   * must not disrupt the cluster meanwhile), then is stopped for good; in the calm
   * phase at once, and a stopped one named again is restarted.
   */
  private tendMembers(calm: boolean): void {
    const committed = this.checker.committedMembership().membership;
    const ids = new Set(committed.members.map((m) => m.id));
    const views: [string, Membership][] = [];
    for (const n of this.nodes)
      if (!n.retired && n.raft !== undefined && ids.has(n.id))
        views.push([n.id, n.raft.currentMembership()]);
    const naming = (id: string): Membership | undefined =>
      ids.has(id)
        ? committed
        : views.find(([by, m]) => by !== id && memberOf(m, id) !== undefined)?.[1];
    for (const n of this.nodes) {
      const named = naming(n.id);
      if (n.waitingToJoin) {
        // An add whose fate was unknown: start the node once it is named; in the calm
        // phase, give it up if it is not.
        if (named !== undefined) this.startJoiner(n, named);
        else if (calm) {
          n.waitingToJoin = false;
          n.retired = true;
        }
        continue;
      }
      if (n.retired) {
        if (named !== undefined && calm) {
          n.retired = false;
          // Never started (its add was given up): it starts from what names it.
          n.startedWith ??= n.index < this.opts.nodes ? undefined : named;
          this.trace(`${n.id} is named again: restarting it`);
          this.queue.push(this.time + 1, { kind: 'restart', node: n.index });
        }
        continue;
      }
      if (named !== undefined) {
        n.departedSince = undefined;
        continue;
      }
      if (n.departedSince === undefined) {
        n.departedSince = this.time;
        n.departedGrace = calm ? 0 : this.rng.int(50, this.profile.retireAfterMax);
      }
      if (calm || this.time - n.departedSince >= n.departedGrace) {
        this.stats.nodesRetired++;
        this.trace(`stop ${n.id} for good: no configuration names it`);
        this.stop(n);
        n.retired = true;
        n.departedSince = undefined;
      }
    }
  }

  // -------------------------------------------------------------------------
  // End of run
  // -------------------------------------------------------------------------

  /**
   * Converged: one leader, whose configuration is committed, and every member of it
   * (and no other node) running, idle, and holding, committing and applying the very
   * same log in the leader's term.
   */
  private converged(): boolean {
    const statuses = [];
    for (const n of this.active()) {
      const raft = n.raft;
      if (raft === undefined || !n.life!.idle) return false;
      const s = raft.status();
      if (n.disk.applied.length !== s.commitIndex) return false;
      statuses.push(s);
    }
    const leaders = statuses.filter((s) => s.role === 'leader');
    if (leaders.length !== 1) return false;
    const l = leaders[0]!;
    if (l.membershipIndex > l.commitIndex) return false;
    const members = l.membership.members.map((m) => m.id);
    if (members.length !== statuses.length || statuses.some((s) => !members.includes(s.id)))
      return false;
    for (const s of statuses) {
      if (s.term !== l.term || s.leaderId !== l.id) return false;
      if (
        s.lastIndex !== l.lastIndex ||
        s.commitIndex !== s.lastIndex ||
        s.appliedIndex !== s.commitIndex
      )
        return false;
      if (s.lastTerm !== l.lastTerm) return false;
    }
    return true;
  }

  private finalChecks(): void {
    this.checker.fullLogMatching();
    // The members of the final configuration (converged: exactly the active nodes).
    const members = this.active();
    const logs = members.map((n) => n.disk.applied);
    // Liveness + Log Matching: every state machine applied the very same log.
    const ref = logs[0]!;
    for (let k = 1; k < logs.length; k++) {
      const other = logs[k]!;
      if (other.length !== ref.length)
        throw new SimViolation(
          'Liveness',
          `${members[k]!.id} applied ${other.length} entries, ${members[0]!.id} ${ref.length}`,
        );
    }
    for (const p of this.proposals.values()) {
      // Client oracle: every acknowledged write is applied everywhere, where it was
      // acknowledged; a write whose deadline passed "committed" is applied everywhere too.
      const index = p.outcome === 'acked' ? p.index! : p.committedAt;
      if (index === undefined) continue;
      for (const n of members) {
        const e = n.disk.applied[index - 1];
        if (
          e === undefined ||
          fingerprint(e) !== p.id ||
          (p.outcome === 'acked' && e.term !== p.term)
        ) {
          throw new SimViolation(
            'Client Oracle',
            p.outcome === 'acked'
              ? `acknowledged write ${p.id} (index ${index}, term ${p.term}) is not applied on ${n.id}`
              : `write ${p.id} timed out as committed at index ${index}, but ${n.id} applied ${e === undefined ? 'nothing' : fingerprint(e)} there`,
          );
        }
      }
    }
  }

  private describeCluster(): string {
    return this.nodes
      .map((n) => {
        const raft = n.raft;
        if (n.retired) return `${n.id}: stopped for good`;
        if (raft === undefined) return `${n.id}: down`;
        const s = raft.status();
        return `${n.id}: ${s.role} t${s.term} leader=${s.leaderId ?? '-'} config=${votersOf(s.membership).join(',')}${learnersOf(s.membership).length > 0 ? `+${learnersOf(s.membership).join(',')}` : ''}@${s.membershipIndex} first=${s.firstIndex} last=${s.lastIndex}/${s.lastTerm} commit=${s.commitIndex} applied=${n.disk.applied.length}${n.life!.log.busy ? ' (writing)' : ''}${n.life!.stateMachine.busy ? ' (applying)' : ''}${n.life!.snapshots.busy !== undefined ? ` (snapshot ${n.life!.snapshots.busy})` : ''}`;
      })
      .join('; ');
  }

  private trace(line: string): void {
    if (!this.opts.verbose) return;
    (this.opts.log ?? console.log)(`[t=${this.time} e=${this.stats.events}] ${line}`);
  }
}

export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}→${m.to} t${m.term}`;
  switch (m.type) {
    case 'AppendEntries':
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} n=${m.entries.length}${m.entries.length ? ` [${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}]` : ''} commit=${m.leaderCommit}`;
    case 'AppendEntriesResponse':
      return m.success
        ? `${head} ok match=${m.matchIndex}`
        : `${head} reject at=${m.rejectedIndex} conflictTerm=${m.conflictTerm} hint=${m.hintIndex}`;
    case 'PreVote':
    case 'RequestVote':
      return `${head} last=${m.lastLogIndex}/${m.lastLogTerm}`;
    case 'PreVoteResponse':
    case 'RequestVoteResponse':
      return `${head} ${m.granted ? 'granted' : 'rejected'}`;
    case 'Heartbeat':
      return `${head} commit=${m.commit} ctx=${m.readContext}`;
    case 'HeartbeatResponse':
      return `${head} ctx=${m.readContext}`;
    default:
      return head;
  }
}

export function runSimulation(opts: Partial<SimOptions> & { seed: number }): Promise<SimResult> {
  return new Simulation({ nodes: 3, steps: DEFAULT_STEPS, ...opts }).run();
}
