/**
 * Deterministic cluster simulator (in the spirit of TigerBeetle's VOPR and
 * openraft's fuzzer): N real RaftNode cores in one process, all I/O simulated
 * and driven by one seeded PRNG.
 *
 *  - network: per-message delay, loss, duplication, reordering (long delays) and
 *    partitions (isolate one node, split in two, or cut one direction) that heal;
 *  - disk: each node's persisted hard state + log + durable state machine. A Ready
 *    takes simulated time to persist; a crash loses the write in progress and all
 *    memory, and the node restarts from its disk. A Ready's `messages` leave when
 *    it is taken, its `messagesAfterAppend` only once it is persisted (unless a
 *    fault says otherwise), and the checker verifies at send time that what a
 *    message promises is on the sender's disk;
 *  - clients: proposals to whoever they think is the leader, and ReadIndex reads.
 *
 * After every event the SafetyChecker runs. The run ends with a fault-free phase
 * that must converge (liveness). The same seed always replays the same run.
 */
import {
  NotLeaderError,
  RaftInvariantError,
  RaftNode,
  type Entry,
  type HardState,
  type Message,
  type RaftConfigInput,
  type ReadState,
  type Ready,
} from '../../../src/raft/index.js';
import {
  SafetyChecker,
  SimViolation,
  fingerprint,
  type CheckedNode,
  type Property,
} from './checker.js';
import { EventQueue } from './event-queue.js';
import { DEFAULT_STEPS, drawProfile, type SimOptions, type SimProfile } from './options.js';
import { Prng } from './prng.js';

type SimEvent =
  | { kind: 'tick'; node: number; inc: number }
  | { kind: 'deliver'; msg: Message }
  | { kind: 'disk'; node: number; inc: number }
  | { kind: 'chaos' }
  | { kind: 'heal'; epoch: number }
  | { kind: 'restart'; node: number }
  | { kind: 'propose' }
  | { kind: 'read' };

interface SimDisk {
  hardState: HardState;
  entries: Entry[];
  /** The durable state machine: every entry applied, in order (applied index = length). */
  applied: Entry[];
}

interface SimNode extends CheckedNode {
  readonly id: string;
  readonly index: number;
  readonly disk: SimDisk;
  raft: RaftNode | undefined;
  /** Incarnation: bumped on crash, so events of a dead incarnation are ignored. */
  inc: number;
  pendingWrite: Ready | undefined;
  readonly tickInterval: number;
  readonly rng: Prng;
}

interface Proposal {
  readonly id: string;
  readonly node: string;
  readonly inc: number;
  readonly index: number;
  readonly term: number;
  acked: boolean;
}

export interface SimStats {
  events: number;
  time: number;
  elections: number;
  maxTerm: number;
  committed: number;
  proposals: number;
  acked: number;
  reads: number;
  readsServed: number;
  messagesSent: number;
  messagesDelivered: number;
  crashes: number;
  partitions: number;
}

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation?: { readonly property: Property; readonly message: string };
  readonly stats: SimStats;
  readonly profile: SimProfile;
}

const encoder = new TextEncoder();

export class Simulation {
  private readonly rng: Prng;
  readonly profile: SimProfile;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimNode[] = [];
  private readonly byId = new Map<string, SimNode>();
  private readonly checker: SafetyChecker;
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
  private readonly appliedIndexOf = new Map<string, number>();
  private readonly pendingReads = new Map<
    string,
    { node: string; inc: number; minIndex: number }
  >();
  private maxAckedIndex = 0;
  private readonly stats: SimStats = {
    events: 0,
    time: 0,
    elections: 0,
    maxTerm: 0,
    committed: 0,
    proposals: 0,
    acked: 0,
    reads: 0,
    readsServed: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    crashes: 0,
    partitions: 0,
  };

  constructor(private readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    this.profile = { ...drawProfile(this.rng.fork()), ...opts.profile };
    for (let i = 0; i < opts.nodes; i++) {
      const node: SimNode = {
        id: `n${i + 1}`,
        index: i,
        disk: { hardState: { term: 0, vote: undefined, commit: 0 }, entries: [], applied: [] },
        raft: undefined,
        inc: 0,
        pendingWrite: undefined,
        tickInterval: this.profile.tickInterval + this.rng.int(-1, 1),
        rng: this.rng.fork(),
      };
      this.nodes.push(node);
      this.byId.set(node.id, node);
    }
    this.checker = new SafetyChecker(this.nodes, {
      voteDurability: opts.checkVoteDurability ?? true,
      promisesDurableAtSend: opts.checkPromisesDurableAtSend ?? true,
    });
  }

  run(): SimResult {
    try {
      for (const n of this.nodes) this.start(n);
      this.queue.push(this.profile.chaosInterval, { kind: 'chaos' });
      this.queue.push(this.rng.int(1, this.profile.proposalInterval), { kind: 'propose' });
      if (this.profile.readInterval > 0)
        this.queue.push(this.rng.int(1, this.profile.readInterval), { kind: 'read' });

      // Phase 1: chaos.
      while (this.stats.events < this.opts.steps) {
        if (!this.processNext()) break;
      }
      // Phase 2: no more faults; everything must converge.
      this.beginCalm();
      // Liveness: fail if nothing gets applied anywhere for a whole window (a slow
      // but progressing catch-up of a big backlog is fine), or past a hard cap.
      const window = this.opts.convergeTimeout ?? this.defaultConvergeTimeout();
      const hardCap = this.time + 40 * window;
      let stallDeadline = this.time + window;
      let progress = this.appliedTotal();
      let nextCheck = this.time;
      for (;;) {
        if (this.time >= nextCheck) {
          if (this.converged()) break;
          nextCheck = this.time + 20;
          const p = this.appliedTotal();
          if (p > progress) {
            progress = p;
            stallDeadline = this.time + window;
          }
        }
        if (this.time > stallDeadline || this.time > hardCap) {
          throw new SimViolation(
            'Liveness',
            `no convergence ${this.time > hardCap ? 'before the hard cap' : `and no progress for ${window} time units`} after faults stopped: ${this.describeCluster()}`,
          );
        }
        if (!this.processNext()) throw new SimViolation('Liveness', 'event queue ran dry');
      }
      this.finalChecks();
      return this.result(undefined);
    } catch (err) {
      return this.result(err);
    }
  }

  /** Progress score: entries applied everywhere, plus the leaders' replication progress. */
  private appliedTotal(): number {
    let sum = 0;
    for (const n of this.nodes) {
      sum += n.disk.applied.length;
      const progress = n.raft?.status().progress;
      if (progress !== undefined) for (const pr of Object.values(progress)) sum += pr.match;
    }
    return sum;
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

  // -------------------------------------------------------------------------
  // Event loop
  // -------------------------------------------------------------------------

  private processNext(): boolean {
    const item = this.queue.pop();
    if (item === undefined) return false;
    this.time = item.time;
    this.stats.events++;
    const ev = item.event;
    let touched: SimNode | undefined;
    switch (ev.kind) {
      case 'tick': {
        const n = this.nodes[ev.node]!;
        if (n.inc !== ev.inc || n.raft === undefined) break;
        n.raft.tick();
        this.pump(n);
        this.queue.push(this.time + n.tickInterval, { kind: 'tick', node: n.index, inc: n.inc });
        touched = n;
        break;
      }
      case 'deliver':
        touched = this.deliver(ev.msg);
        break;
      case 'disk': {
        const n = this.nodes[ev.node]!;
        if (n.inc !== ev.inc || n.pendingWrite === undefined) break;
        const rd = n.pendingWrite;
        this.persist(n, rd);
        n.pendingWrite = undefined;
        const crashPoint = !this.calm && this.rng.chance(this.profile.crashAfterPersistRate);
        if (crashPoint && this.rng.chance(0.5)) {
          this.checker.afterStep(n);
          this.crashAndScheduleRestart(n); // persisted, nothing sent
          break;
        }
        this.complete(n, rd);
        if (crashPoint) {
          this.checker.afterStep(n);
          this.crashAndScheduleRestart(n); // persisted and sent, then died
          break;
        }
        this.pump(n);
        touched = n;
        break;
      }
      case 'chaos':
        this.chaos();
        break;
      case 'heal':
        if (ev.epoch === this.partitionEpoch && this.blocked.size > 0) {
          this.blocked = new Set();
          this.trace('heal partition');
        }
        break;
      case 'restart':
        touched = this.restart(this.nodes[ev.node]!);
        break;
      case 'propose':
        touched = this.clientPropose();
        break;
      case 'read':
        touched = this.clientRead();
        break;
    }
    if (touched !== undefined) this.checker.afterStep(touched);
    if (this.stats.events % 1000 === 0) this.checker.fullLogMatching();
    return true;
  }

  private start(n: SimNode): void {
    const config: RaftConfigInput = {
      id: n.id,
      peers: this.nodes.map((x) => x.id),
      electionTick: this.profile.electionTick,
      heartbeatTick: this.profile.heartbeatTick,
      maxInflightMessages: this.profile.maxInflightMessages,
      maxEntriesPerMessage: this.profile.maxEntriesPerMessage,
      maxBytesPerMessage: this.profile.maxBytesPerMessage,
      preVote: this.profile.preVote,
      checkQuorum: this.profile.checkQuorum,
      random: () => n.rng.next(),
    };
    const initial = {
      hardState: n.disk.hardState,
      entries: n.disk.entries.slice(),
      applied: n.disk.applied.length,
    };
    n.raft = this.opts.nodeFactory
      ? this.opts.nodeFactory(config, initial)
      : new RaftNode(config, initial);
    this.checker.onRestart(n);
    this.queue.push(this.time + this.rng.int(1, n.tickInterval), {
      kind: 'tick',
      node: n.index,
      inc: n.inc,
    });
  }

  /** Drain Readies until one needs the disk (which takes time) or none is left. */
  private pump(n: SimNode): void {
    for (;;) {
      const raft = n.raft;
      if (raft === undefined || n.pendingWrite !== undefined || !raft.hasReady()) return;
      const rd = raft.ready();
      // Every node here runs the correct core and the network only delays, loses,
      // duplicates and reorders: a rejected message means over-strict validation or a
      // core bug (e.g. two leaders in one term, a heartbeat commit beyond the log).
      const rejected = rd.rejectedMessages[0];
      if (rejected !== undefined)
        throw new SimViolation(
          'Message Rejected',
          `${n.id} rejected ${rejected.type} from ${rejected.from} (term ${rejected.term}): ${rejected.reason}`,
        );
      if (rd.softState !== undefined)
        this.trace(
          `${n.id} → ${rd.softState.role} (term ${raft.status().term}, leader ${rd.softState.leaderId ?? '-'})`,
        );
      // The runtime contract: these promise nothing about the disk, so they go now,
      // while the write below is in progress (thesis §10.2.1).
      this.sendAll(rd.messages);
      // Broken on purpose: the promises (votes, acknowledgements) go before the write.
      this.sendAll(rd.messagesAfterAppend.filter((m) => this.sentBeforePersist(m)));
      if (rd.entries.length > 0 || rd.hardState !== undefined) {
        n.pendingWrite = rd;
        this.queue.push(this.time + this.rng.int(1, this.profile.diskLatencyMax), {
          kind: 'disk',
          node: n.index,
          inc: n.inc,
        });
        return;
      }
      this.complete(n, rd);
    }
  }

  private persist(n: SimNode, rd: Ready): void {
    let from: number | undefined;
    const first = rd.entries[0];
    if (first !== undefined) {
      from = first.index;
      if (from > n.disk.entries.length + 1)
        throw new Error(
          `${n.id}: Ready entries start at ${from}, disk ends at ${n.disk.entries.length}`,
        );
      n.disk.entries.length = from - 1; // the contract: truncate from entries[0].index, then append
      for (const e of rd.entries) n.disk.entries.push(e);
    }
    if (rd.hardState !== undefined) n.disk.hardState = rd.hardState;
    this.checker.onPersist(n, from);
  }

  /** After persisting: send what may depend on the write, apply, hand out reads, advance. */
  private complete(n: SimNode, rd: Ready): void {
    this.sendAll(rd.messagesAfterAppend.filter((m) => !this.sentBeforePersist(m)));
    for (const e of rd.committedEntries) this.apply(n, e);
    for (const rs of rd.readStates) this.readServed(n, rs);
    n.raft!.advance(rd);
  }

  private apply(n: SimNode, e: Entry): void {
    const before = n.disk.applied.length;
    n.disk.applied.push(e);
    this.checker.onApply(n, e, before);
    if (e.type !== 'normal') return;
    const id = fingerprint(e);
    const p = this.proposals.get(id);
    if (p === undefined)
      throw new SimViolation(
        'Client Oracle',
        `${n.id} applied ${id} at ${e.index}, which no client proposed`,
      );
    const at = this.appliedIndexOf.get(id);
    if (at === undefined) this.appliedIndexOf.set(id, e.index);
    else if (at !== e.index)
      throw new SimViolation(
        'Client Oracle',
        `${id} applied at index ${at} and at index ${e.index}`,
      );
    // The runtime acknowledges a write when the proposing leader applies it.
    if (
      !p.acked &&
      p.node === n.id &&
      p.inc === n.inc &&
      p.index === e.index &&
      p.term === e.term
    ) {
      p.acked = true;
      this.stats.acked++;
      this.maxAckedIndex = Math.max(this.maxAckedIndex, e.index);
    }
  }

  private readServed(n: SimNode, rs: ReadState): void {
    const r = this.pendingReads.get(rs.requestId);
    if (r === undefined || r.node !== n.id || r.inc !== n.inc) {
      throw new SimViolation(
        'Linearizable Read',
        `${n.id} answered read ${rs.requestId} it was not asked (in this incarnation)`,
      );
    }
    this.pendingReads.delete(rs.requestId);
    // Every write acknowledged before the read started must be visible to it.
    if (rs.index < r.minIndex) {
      throw new SimViolation(
        'Linearizable Read',
        `${n.id} served read ${rs.requestId} at index ${rs.index}, but a write at ${r.minIndex} was acknowledged before the read began`,
      );
    }
    this.stats.readsServed++;
  }

  // -------------------------------------------------------------------------
  // Network
  // -------------------------------------------------------------------------

  /** Whether the `sendBeforePersist` fault sends this message of messagesAfterAppend early. */
  private sentBeforePersist(m: Message): boolean {
    const fault = this.opts.faults?.sendBeforePersist;
    return fault === true || (fault !== undefined && fault.includes(m.type));
  }

  private sendAll(msgs: readonly Message[]): void {
    for (const m of msgs) this.send(m);
  }

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

  private deliver(m: Message): SimNode | undefined {
    const to = this.byId.get(m.to);
    if (to?.raft === undefined) return undefined;
    if (this.blocked.has(`${m.from}>${m.to}`)) return undefined;
    this.stats.messagesDelivered++;
    if (this.opts.verbose) this.trace(`deliver ${describeMessage(m)}`);
    to.raft.step(m);
    this.pump(to);
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
      const live = this.nodes.filter((n) => n.raft !== undefined);
      if (live.length > 0) this.crashAndScheduleRestart(this.rng.pick(live));
    }
  }

  private partition(): void {
    const ids = this.nodes.map((n) => n.id);
    const kind = this.rng.pick(['isolate', 'split', 'oneway'] as const);
    const blocked = new Set<string>();
    if (kind === 'isolate') {
      // Half the time the victim is a leader (Jepsen's favourite nemesis).
      const leaders = this.nodes.filter((n) => n.raft?.status().role === 'leader').map((n) => n.id);
      const x =
        leaders.length > 0 && this.rng.chance(0.5) ? this.rng.pick(leaders) : this.rng.pick(ids);
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

  private crash(n: SimNode): void {
    this.stats.crashes++;
    n.raft = undefined;
    n.pendingWrite = undefined; // the write in progress never reached the disk
    n.inc++;
    if (this.opts.faults?.forgetVoteOnCrash) {
      n.disk.hardState = { ...n.disk.hardState, vote: undefined };
    }
    this.trace(`crash ${n.id}`);
  }

  private restart(n: SimNode): SimNode | undefined {
    if (n.raft !== undefined) return undefined;
    this.trace(
      `restart ${n.id} (term ${n.disk.hardState.term}, vote ${n.disk.hardState.vote ?? '-'}, commit ${n.disk.hardState.commit}, last ${n.disk.entries.length})`,
    );
    this.start(n);
    this.pump(n);
    return n;
  }

  private beginCalm(): void {
    this.calm = true;
    this.blocked = new Set();
    this.trace('--- faults stop; the cluster must converge ---');
    for (const n of this.nodes) if (n.raft === undefined) this.restart(n);
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
    if (n === undefined) return undefined;
    const id = `p${++this.proposalSeq}`;
    try {
      const { index, term } = n.raft!.propose(encoder.encode(id));
      this.proposals.set(id, { id, node: n.id, inc: n.inc, index, term, acked: false });
      this.stats.proposals++;
      this.leaderGuess[client] = n.id;
      if (this.opts.verbose) this.trace(`propose ${id} at ${n.id} → index ${index} term ${term}`);
    } catch (err) {
      if (!(err instanceof NotLeaderError)) throw err;
      this.leaderGuess[client] = err.leaderId;
      return undefined;
    }
    this.pump(n);
    return n;
  }

  private clientRead(): SimNode | undefined {
    if (this.calm) return undefined;
    this.queue.push(this.time + this.rng.int(1, 2 * this.profile.readInterval), { kind: 'read' });
    const client = this.rng.int(0, this.leaderGuess.length - 1);
    const n = this.target(client);
    if (n === undefined) return undefined;
    const id = `r${++this.readSeq}`;
    try {
      n.raft!.readIndex(id);
      this.pendingReads.set(id, { node: n.id, inc: n.inc, minIndex: this.maxAckedIndex });
      this.stats.reads++;
    } catch (err) {
      if (!(err instanceof NotLeaderError)) throw err;
      this.leaderGuess[client] = err.leaderId;
      return undefined;
    }
    this.pump(n);
    return n;
  }

  // -------------------------------------------------------------------------
  // End of run
  // -------------------------------------------------------------------------

  private converged(): boolean {
    const statuses = [];
    for (const n of this.nodes) {
      if (n.raft === undefined || n.pendingWrite !== undefined) return false;
      statuses.push(n.raft.status());
    }
    const leaders = statuses.filter((s) => s.role === 'leader');
    if (leaders.length !== 1) return false;
    const l = leaders[0]!;
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
    const logs = this.nodes.map((n) => n.disk.applied);
    // Liveness + Log Matching: every state machine applied the very same log.
    const ref = logs[0]!;
    for (let k = 1; k < logs.length; k++) {
      const other = logs[k]!;
      if (other.length !== ref.length)
        throw new SimViolation(
          'Liveness',
          `${this.nodes[k]!.id} applied ${other.length} entries, ${this.nodes[0]!.id} ${ref.length}`,
        );
    }
    // Client oracle: every acknowledged write is applied everywhere, where it was acknowledged.
    for (const p of this.proposals.values()) {
      if (!p.acked) continue;
      for (const n of this.nodes) {
        const e = n.disk.applied[p.index - 1];
        if (e === undefined || e.term !== p.term || fingerprint(e) !== p.id) {
          throw new SimViolation(
            'Client Oracle',
            `acknowledged write ${p.id} (index ${p.index}, term ${p.term}) is not applied on ${n.id}`,
          );
        }
      }
    }
  }

  private describeCluster(): string {
    return this.nodes
      .map((n) => {
        if (n.raft === undefined) return `${n.id}: down`;
        const s = n.raft.status();
        return `${n.id}: ${s.role} t${s.term} leader=${s.leaderId ?? '-'} last=${s.lastIndex}/${s.lastTerm} commit=${s.commitIndex} applied=${s.appliedIndex}${n.pendingWrite ? ' (writing)' : ''}`;
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

export function runSimulation(opts: Partial<SimOptions> & { seed: number }): SimResult {
  return new Simulation({ nodes: 3, steps: DEFAULT_STEPS, ...opts }).run();
}
