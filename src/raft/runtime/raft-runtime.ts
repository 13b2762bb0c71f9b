import type { ApplyResult, Command } from '../../domain.js';
import { RaftvecError } from '../../errors.js';
import { limits } from '../../limits.js';
import { encodeCommand } from '../../storage/command-codec.js';
import { RaftLogStore } from '../../storage/raft-log-store.js';
import { NotLeaderError, RaftInvariantError } from '../errors.js';
import { RaftNode } from '../raft-node.js';
import type { Entry, Message, NodeId, RaftStatus, Ready, SoftState } from '../types.js';
import { PeerTransport } from './peer-transport.js';

/** What the runtime needs from the state machine. */
export interface ReplicatedStateMachine {
  /** The index of the last entry applied; entries up to it are never handed over again. */
  readonly appliedIndex: number;
  /**
   * Applies the committed entry at `index` (always appliedIndex + 1), given as its
   * payload (empty for a no-op). Total: whatever the payload holds, it resolves
   * with the entry's result (a refusal included), the same on every replica.
   * Rejects only for a local fault (disk, broken invariant): the node then stops.
   */
  applyEntry(index: number, data: Uint8Array): Promise<ApplyResult>;
}

export interface RaftTiming {
  /** Milliseconds per Raft tick. */
  tickMs: number;
  /** Election timeout in ticks (randomized in [electionTick, 2·electionTick)). */
  electionTick: number;
  heartbeatTick: number;
}

/**
 * Defaults chosen for fast failover without spurious elections on a loaded 2-core
 * machine: heartbeats every 50 ms, elections after 500–1000 ms of silence. The
 * Raft paper (§9.3) suggests 150–300 ms on dedicated hardware; we leave room for
 * event-loop stalls of a few hundred milliseconds (FAISS work runs off-loop, but
 * garbage collection and protobuf decoding of large batches do not).
 */
export const DEFAULT_RAFT_TIMING: RaftTiming = { tickMs: 50, electionTick: 10, heartbeatTick: 1 };

/**
 * Committed entries waiting to be applied beyond which the runtime stops taking new
 * Readies until apply catches up: a follower must not acknowledge far more than it
 * can apply, or it would be a slow leader after a failover.
 */
const MAX_UNAPPLIED_ENTRIES = 1024;

export interface RaftRuntimeOptions {
  id: NodeId;
  /** Every voter's peer address, this node included. */
  peers: ReadonlyMap<NodeId, string>;
  /** Folder for the Raft log (a LevelDB of its own). */
  dataDir: string;
  clusterSecret: string;
  stateMachine: ReplicatedStateMachine;
  timing?: Partial<RaftTiming>;
  /** Accepted but not yet applied proposals beyond which writes get RESOURCE_EXHAUSTED. */
  maxPendingProposals?: number;
  log?: (line: string) => void;
  /** Called when the node must stop: its disk or its invariants can no longer be trusted. */
  onFatal?: (error: unknown) => void;
}

export interface ProposeOutcome {
  result: ApplyResult;
  logIndex: number;
}

interface PendingProposal {
  term: number;
  resolve: (outcome: ProposeOutcome) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  /** The term the read was registered in: a new term means the core dropped it. */
  term: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  /** Set once the leader confirmed the read index; waiting for apply to reach it. */
  index?: number;
}

/** A no-op entry's payload: the empty command. */
const NOOP_PAYLOAD = new Uint8Array(0);

/** Messages that promise nothing about this node's disk (only a leader sends the first two). */
const SENDABLE_BEFORE_PERSIST = new Set<Message['type']>([
  'AppendEntries',
  'Heartbeat',
  'HeartbeatResponse',
]);

/**
 * Drives the I/O-free Raft core: ticks it on a timer, feeds it peer messages and
 * proposals, and carries out each Ready in the order the core requires — persist
 * (one synced LevelDB batch for everything the Ready holds: group commit), then
 * send, then apply in log order. Every core call happens synchronously on the
 * event loop, so no message is handled in the middle of another (pitfall 8).
 */
export class RaftRuntime {
  readonly id: NodeId;
  private readonly node: RaftNode;
  private readonly transport: PeerTransport;
  private readonly timing: RaftTiming;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  private readonly maxPendingProposals: number;
  private readonly log: (line: string) => void;
  private softState: SoftState = { role: 'follower', leaderId: undefined };
  private ticker: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private cycleRequested = false;
  private applyChain: Promise<void> = Promise.resolve();
  private unappliedEntries = 0;
  private readSeq = 0;
  private leaderKnownWaiters: (() => void)[] = [];
  private stopped = false;
  private fatal: unknown;

  private constructor(
    private readonly options: RaftRuntimeOptions,
    private readonly store: RaftLogStore,
    node: RaftNode,
  ) {
    this.id = options.id;
    this.node = node;
    this.timing = { ...DEFAULT_RAFT_TIMING, ...options.timing };
    this.transport = new PeerTransport(options.peers, options.clusterSecret, (line) =>
      this.log(line),
    );
    this.maxPendingProposals = options.maxPendingProposals ?? 4096;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  static async open(options: RaftRuntimeOptions): Promise<RaftRuntime> {
    if (!options.peers.has(options.id)) {
      throw new RaftvecError(
        'INVALID_ARGUMENT',
        `--peers must include this node's own id ${options.id}`,
      );
    }
    const timing = { ...DEFAULT_RAFT_TIMING, ...options.timing };
    const { store, state } = await RaftLogStore.open(options.dataDir);
    const applied = options.stateMachine.appliedIndex;
    const lastIndex = state.entries.at(-1)?.index ?? 0;
    if (applied > lastIndex) {
      await store.close();
      throw new RaftvecError(
        'INTERNAL',
        `the state machine has applied entry ${applied} but the Raft log ends at ${lastIndex}: the data directory is inconsistent`,
      );
    }
    // Only committed entries are ever applied, so the applied index is a commit index
    // this node knows of even if the (unsynced) commit in the hard state was lost.
    const commit = Math.max(state.hardState.commit, applied);
    const node = new RaftNode(
      {
        id: options.id,
        peers: [...options.peers.keys()],
        electionTick: timing.electionTick,
        heartbeatTick: timing.heartbeatTick,
        random: Math.random,
      },
      {
        hardState: { term: state.hardState.term, vote: state.hardState.vote ?? undefined, commit },
        entries: state.entries,
        applied,
      },
    );
    const runtime = new RaftRuntime(options, store, node);
    runtime.start();
    return runtime;
  }

  private start(): void {
    if (this.options.peers.size === 1) {
      // A lone voter has nobody to wait for: run out its election timeout at once
      // (randomized below 2·electionTick) instead of idling for it after a restart.
      for (let i = 0; i < 2 * this.timing.electionTick; i++) this.node.tick();
    }
    this.ticker = setInterval(() => this.guarded(() => this.node.tick()), this.timing.tickMs);
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
    this.kick();
  }

  /** A message from a peer (already authenticated by the transport). */
  deliver(message: Message): void {
    this.guarded(() => this.node.step(message));
  }

  /** The node's role and leader as the core sees them right now. */
  get role(): SoftState['role'] {
    return this.node.basicStatus().role;
  }

  get leaderId(): NodeId | undefined {
    return this.node.basicStatus().leaderId;
  }

  leaderAddress(): string | undefined {
    const leader = this.leaderId;
    return leader === undefined ? undefined : this.options.peers.get(leader);
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** The index of the last entry the local state machine applied. */
  get appliedIndex(): number {
    return this.options.stateMachine.appliedIndex;
  }

  /** Every voter's id and peer address, this node included. */
  get members(): ReadonlyMap<NodeId, string> {
    return this.options.peers;
  }

  /** Throws UNAVAILABLE (with the leader's address when known) unless this node leads. */
  ensureLeader(): void {
    this.assertRunning();
    if (this.role !== 'leader') throw this.notLeader();
  }

  /**
   * Appends `command` to the log (leader only) and resolves once it is committed and
   * applied here. Rejects with UNAVAILABLE carrying the leader's address on a follower,
   * and with DEADLINE_EXCEEDED (saying what is known of its fate) at `deadline`.
   */
  propose(command: Command, deadline: Date): Promise<ProposeOutcome> {
    try {
      this.ensureLeader();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.proposals.size >= this.maxPendingProposals) {
      return Promise.reject(
        new RaftvecError(
          'RESOURCE_EXHAUSTED',
          `${this.proposals.size} writes are waiting to commit; the write was not accepted, retry with backoff`,
        ),
      );
    }
    const data = encodeCommand(command);
    if (data.byteLength > limits.maxLogEntryBytes) {
      return Promise.reject(
        new RaftvecError(
          'RESOURCE_EXHAUSTED',
          `the write encodes to ${data.byteLength} bytes, above the ${limits.maxLogEntryBytes}-byte limit of one log entry; split it into smaller batches`,
        ),
      );
    }
    let position: { index: number; term: number };
    try {
      position = this.node.propose(data);
    } catch (error) {
      return Promise.reject(this.translate(error));
    }
    const outcome = new Promise<ProposeOutcome>((resolve, reject) => {
      // A leader re-elected after losing this index may hand it out again: the older
      // proposal's entry was overwritten, so its outcome is settled now.
      this.settleProposalAt(position.index, undefined);
      const timer = setTimeout(
        () => this.expireProposal(position.index),
        Math.max(0, deadline.getTime() - Date.now()),
      );
      this.proposals.set(position.index, { term: position.term, resolve, reject, timer });
    });
    this.kick();
    return outcome;
  }

  private expireProposal(index: number): void {
    const pending = this.proposals.get(index);
    if (pending === undefined) return;
    this.proposals.delete(index);
    const committed = this.node.status().commitIndex >= index;
    pending.reject(
      new RaftvecError(
        'DEADLINE_EXCEEDED',
        committed
          ? `the write at log index ${index} is committed on a majority and will be applied, but was not applied here before the deadline`
          : `the write was appended at log index ${index} but not committed before the deadline; it may still commit (retry with the same client id and sequence to apply it at most once)`,
      ),
    );
  }

  /**
   * Resolves when a read served from the local state machine is linearizable: the
   * leader confirmed its leadership with a majority after the read arrived, and has
   * applied everything committed before it (ReadIndex, Raft thesis §6.4).
   */
  readBarrier(deadline: Date): Promise<void> {
    try {
      this.ensureLeader();
    } catch (error) {
      return Promise.reject(error);
    }
    const requestId = `${this.id}-${++this.readSeq}`;
    try {
      this.node.readIndex(requestId);
    } catch (error) {
      return Promise.reject(this.translate(error));
    }
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          if (!this.reads.delete(requestId)) return;
          reject(
            new RaftvecError(
              'DEADLINE_EXCEEDED',
              `node ${this.id} could not confirm its leadership with a majority before the deadline; the read was not served`,
            ),
          );
        },
        Math.max(0, deadline.getTime() - Date.now()),
      );
      this.reads.set(requestId, { term: this.node.basicStatus().term, resolve, reject, timer });
    });
    this.kick();
    return done;
  }

  /** Resolves once this node knows a leader (itself or another): it has joined the cluster. */
  leaderKnown(): Promise<void> {
    if (this.leaderId !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.leaderKnownWaiters.push(resolve));
  }

  /** Asks the core for a Ready and handles it, unless a cycle is already running. */
  private kick(): void {
    if (this.stopped) return;
    if (this.cycle !== undefined) {
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
      while (!this.stopped && this.node.hasReady()) {
        if (this.unappliedEntries > MAX_UNAPPLIED_ENTRIES) await this.applyChain;
        await this.handleReady(this.node.ready());
      }
    } while (this.cycleRequested && !this.stopped);
  }

  private async handleReady(ready: Ready): Promise<void> {
    // The core cannot log: it reports the peer messages it dropped as invalid (thinned out).
    for (const r of ready.rejectedMessages) {
      this.log(
        `${this.id} rejected ${r.type} from ${r.from} (term ${r.term}): ${r.reason} [${r.count} rejected from ${r.from} so far]`,
      );
    }
    // A leader's appends and heartbeats, and heartbeat replies, promise nothing about
    // this node's disk: send them at once, so a slow fsync does not delay heartbeats
    // (thesis §10.2.1: the leader writes its log in parallel with replication; it only
    // counts itself once advance() says the write is durable).
    const early = ready.messages.filter((m) => SENDABLE_BEFORE_PERSIST.has(m.type));
    const late = ready.messages.filter((m) => !SENDABLE_BEFORE_PERSIST.has(m.type));
    this.transport.send(early);
    // Persist before send: a vote or an acknowledgement promises what is on disk.
    if (ready.entries.length > 0 || ready.hardState !== undefined) {
      const hardState = ready.hardState && {
        term: ready.hardState.term,
        vote: ready.hardState.vote ?? null,
        commit: ready.hardState.commit,
      };
      await this.store.persist(ready.entries, hardState, ready.mustSync);
    }
    this.transport.send(late);
    for (const readState of ready.readStates) {
      this.onReadState(readState.requestId, readState.index);
    }
    if (ready.softState) this.onSoftState(ready.softState);
    if (ready.hardState) this.failReadsOfEarlierTerms(ready.hardState.term);
    if (ready.committedEntries.length > 0) {
      const entries = ready.committedEntries;
      this.unappliedEntries += entries.length;
      // Applying runs behind the next persist: the log keeps growing while FAISS works.
      this.applyChain = this.applyChain.then(() => this.applyEntries(entries));
      this.applyChain.catch((error: unknown) => this.fail(error));
    }
    this.node.advance(ready);
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    const stateMachine = this.options.stateMachine;
    for (const entry of entries) {
      this.unappliedEntries--;
      if (entry.index <= stateMachine.appliedIndex) continue; // applied before a restart
      const data = entry.type === 'noop' ? NOOP_PAYLOAD : entry.data;
      const result = await stateMachine.applyEntry(entry.index, data);
      this.settleProposalAt(entry.index, { entry, result });
      this.settleAppliedWaiters(entry.index);
    }
  }

  /** Settles the proposal waiting at `index`: by the entry applied there, or as overwritten. */
  private settleProposalAt(
    index: number,
    applied: { entry: Entry; result: ApplyResult } | undefined,
  ): void {
    const pending = this.proposals.get(index);
    if (pending === undefined) return;
    this.proposals.delete(index);
    clearTimeout(pending.timer);
    if (applied !== undefined && pending.term === applied.entry.term) {
      pending.resolve({ result: applied.result, logIndex: index });
    } else {
      // Another leader's entry took this index: ours was truncated and can never commit.
      pending.reject(
        new RaftvecError(
          'UNAVAILABLE',
          'leadership changed before the write committed; it was not committed, retrying is safe',
        ),
      );
    }
  }

  private settleAppliedWaiters(applied: number): void {
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const waiter = this.appliedWaiters[i]!;
      if (waiter.index <= applied) {
        this.appliedWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
    for (const [id, read] of this.reads) {
      if (read.index !== undefined && read.index <= applied) {
        this.reads.delete(id);
        clearTimeout(read.timer);
        read.resolve();
      }
    }
  }

  private onReadState(requestId: string, index: number): void {
    const read = this.reads.get(requestId);
    if (read === undefined) return;
    if (this.options.stateMachine.appliedIndex >= index) {
      this.reads.delete(requestId);
      clearTimeout(read.timer);
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
        clearTimeout(read.timer);
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
          clearTimeout(read.timer);
          read.reject(this.notLeader());
        }
      }
    }
  }

  private notLeader(): RaftvecError {
    const status = this.node.basicStatus();
    const leader = status.leaderId === this.id ? undefined : status.leaderId;
    const address = leader === undefined ? undefined : this.options.peers.get(leader);
    return new RaftvecError(
      'UNAVAILABLE',
      address === undefined
        ? `node ${this.id} is not the leader and knows no leader yet (an election is under way); retry shortly`
        : `node ${this.id} is not the leader; send writes and reads to the leader ${leader} at ${address}`,
      address === undefined ? {} : { 'leader-address': address, 'leader-id': leader ?? '' },
    );
  }

  private translate(error: unknown): unknown {
    if (error instanceof NotLeaderError) return this.notLeader();
    if (error instanceof RaftInvariantError) {
      this.fail(error);
      return new RaftvecError(
        'UNAVAILABLE',
        `node ${this.id} stopped: a Raft invariant was violated`,
      );
    }
    return error;
  }

  private assertRunning(): void {
    if (this.fatal !== undefined) {
      throw new RaftvecError(
        'UNAVAILABLE',
        `node ${this.id} stopped after a fatal error: ${String(this.fatal)}`,
      );
    }
    if (this.stopped) throw new RaftvecError('UNAVAILABLE', `node ${this.id} is shutting down`);
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
    this.transport.close();
    this.rejectAllPending(
      new RaftvecError(
        'UNAVAILABLE',
        `node ${this.id} stopped: ${kind}; the write may still commit`,
      ),
    );
    this.options.onFatal?.(error);
  }

  private rejectAllPending(error: RaftvecError): void {
    for (const pending of this.proposals.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    for (const read of this.reads.values()) {
      clearTimeout(read.timer);
      read.reject(error);
    }
    this.proposals.clear();
    this.reads.clear();
  }

  private stopTimers(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Stops ticking and talking; waits for the in-progress persist and apply to finish. */
  async close(): Promise<void> {
    this.stopTimers();
    await this.cycle?.catch(() => undefined);
    await this.applyChain.catch(() => undefined);
    this.transport.close();
    this.rejectAllPending(
      new RaftvecError(
        'UNAVAILABLE',
        `node ${this.id} is shutting down; the write may still commit`,
      ),
    );
    await this.store.close().catch(() => undefined);
  }
}
