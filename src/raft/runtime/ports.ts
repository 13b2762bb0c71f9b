/**
 * The ports of the Raft runtime: everything it needs from the world, each a small
 * interface whose methods say what they promise (in the manner of etcd-io/raft's
 * `Storage` and hashicorp/raft's `LogStore`, `FSM` and `Transport`). The node's
 * whole dependency list fits in one constructor call:
 *
 *   new RaftRuntime(config, { log, stateMachine, transport, clock, random })
 *
 * Production passes LevelDB, the vector state machine, gRPC streams and the
 * system clock; the simulator passes simulated ones and drives the very same
 * runtime. Only bytes cross these ports: the runtime knows nothing of vectors.
 */
import type { Member, Membership } from '../membership.js';
import type { Entry, HardState, Message, NodeId } from '../types.js';

/** The last entry a snapshot covers: the log holds only what comes after it. */
export interface SnapshotPoint {
  index: number;
  term: number;
  /**
   * The configuration in force at `index`, stored with it (the log no longer holds the
   * entry that set it). Index 0 with a membership records the configuration a new
   * cluster started from.
   */
  membership?: Membership;
}

/** What a node finds on its disk when it starts. */
export interface PersistedLog {
  hardState: HardState;
  /** Where the log starts, if it was compacted or reset to a snapshot (index >= 1). */
  snapshot?: SnapshotPoint;
  /**
   * The configuration in force where the log starts, as last stored with `compact` or
   * `resetTo`; config entries among `entries` supersede it. Absent: none stored yet.
   */
  membership?: Membership;
  /** The index from which `membership` is known (see `recordMembership`); absent: the log start. */
  membershipFrom?: number;
  /** Every stored entry, in index order, contiguous, starting after `snapshot` (or at 1). */
  entries: Entry[];
}

/**
 * The durable Raft log and hard state of one node.
 *
 * Failure contract: a rejected promise means the disk can no longer be trusted;
 * the runtime stops the node (it never retries a failed write: what reached the
 * disk is unknown).
 */
export interface LogStorage {
  /**
   * Reads the hard state and every stored entry. Called once, before any other
   * method. Entries are checked (checksums, contiguity) as they are read; a damaged
   * log rejects.
   */
  load(): Promise<PersistedLog>;
  /**
   * Stores `entries` and `hardState` in one atomic write: after a crash either all
   * of it is on disk or none. Stored entries at or after `entries[0].index` are
   * replaced (the core asks for that only at a real conflict, §5.3). With `sync`
   * the write is durable when the promise resolves; without it (a commit-index-only
   * change, which a node can learn again from its leader) it may be lost on a crash.
   * Calls never overlap: the runtime awaits each before the next.
   */
  persist(
    entries: readonly Entry[],
    hardState: HardState | undefined,
    sync: boolean,
  ): Promise<void>;
  /**
   * Drops every entry up to `point.index` (their state is in a durable snapshot) and
   * records `point` (with its membership) as where the log starts, in one atomic write.
   * Entries after it stay. Need not be synced: entries that come back after a crash are
   * still valid.
   */
  compact(point: SnapshotPoint): Promise<void>;
  /**
   * Drops every entry and records `point` as where the log starts: the node has
   * installed a snapshot that replaces its log. Durable when the promise resolves.
   */
  resetTo(point: SnapshotPoint): Promise<void>;
  /**
   * Records `membership` as the configuration at the current log start (where `load`
   * found it to start), keeping that start: what a new node starts from, so that a
   * restart uses it rather than its command line. Durable when the promise resolves.
   * `knownFrom`: a node joining a running cluster learns the configuration at some index
   * of the leader's log; it is the one in force from there on, not before.
   * Optional: without it the configuration is not kept across restarts (tests).
   */
  recordMembership?(membership: Membership, knownFrom?: number): Promise<void>;
  /** Releases the store; no call follows. */
  close(): Promise<void>;
}

/**
 * The replicated state machine, as the runtime sees it: opaque payloads in, opaque
 * results out (`Result` is passed back to whoever proposed the entry, unread).
 */
export interface StateMachine<Result> {
  /** The index of the last applied entry; entries up to it are never handed over again. */
  readonly appliedIndex: number;
  /**
   * Applies the committed entries `first`, `first` + 1, … (`first` is always
   * appliedIndex + 1), given as their payloads (empty for a no-op), in order, and
   * resolves with one result per entry. Deterministic and total: whatever a payload
   * holds, it resolves with the entry's result, the same on every replica, and the
   * same as if the entries had come one call each (the grouping is the runtime's,
   * and differs between replicas). Rejects only for a local fault (disk, broken
   * invariant): the runtime then stops the node.
   *
   * `decided`, if given, may be called once before the call resolves, with the same
   * results, when the entries are applied as far as any read can tell (a read that
   * starts then waits for the rest) and only writing the state out remains: the runtime
   * answers the proposers then, so that a write's reply does not wait on that disk
   * write. The entries are committed, so a crash before the write-out loses nothing
   * (they are applied again from the log).
   */
  apply(
    first: number,
    payloads: readonly Uint8Array[],
    decided?: (results: readonly Result[]) => void,
  ): Promise<Result[]>;
}

/**
 * Outgoing peer messages. Incoming ones reach the runtime through
 * `RaftRuntime.deliver`, from whatever receives them (and authenticates the sender).
 */
export interface Transport {
  /**
   * Sends messages, in order per destination. Never blocks and never throws: a
   * message that cannot go out (peer down, link congested) is dropped, which Raft's
   * retries absorb.
   */
  send(messages: readonly Message[]): void;
  /**
   * The configuration in force changed: from now on send to these members at these
   * peer addresses (an empty address: unknown). A former member must stay reachable for
   * a while: the core sends it nothing of its own accord, but may answer it (a leader
   * that removed itself leads until the change commits). Optional: a transport whose
   * peers are fixed ignores it.
   */
  setMembers?(members: readonly Member[]): void;
  /** Stops sending; later sends are dropped. */
  close(): void;
}

/** A snapshot of the state machine on disk: a folder the runtime never looks into. */
export interface SnapshotRef {
  /** The last entry it covers. */
  index: number;
  folder: string;
  /** Its description (the folder's meta.json): what is sent first, and checked on arrival. */
  meta: Uint8Array;
  /**
   * Its size on disk, if the store knows it: the next snapshot waits for a log of
   * about that size (SnapshotPolicy.thresholdGrowth).
   */
  bytes?: number;
}

/**
 * The state machine's snapshots. The runtime calls `take`, `capture` and `install` with
 * no apply running (it queues them), so the state does not move underneath.
 */
export interface SnapshotStore {
  /** Writes a durable snapshot at the state machine's applied index. */
  take(): Promise<SnapshotRef>;
  /**
   * `take` in two steps: captures the state at the applied index, and resolves with the
   * function that writes that capture out as a durable snapshot, unchanged by what is
   * applied after. The runtime runs the write while entries are applied again, so a
   * snapshot holds applies (and writes) only for the capture. Optional: without it,
   * applies wait for the whole of `take`.
   */
  capture?(): Promise<() => Promise<SnapshotRef>>;
  /** The newest durable snapshot, if any. */
  newest(): Promise<SnapshotRef | undefined>;
  /**
   * The durable snapshot whose last entry is `index`, if there is one. A restart after a
   * crash in the middle of an install needs the very snapshot the log was reset to,
   * which need not be the newest (a snapshot received earlier and never installed, of a
   * later index, may lie next to it). Optional for compatibility: without it the
   * restart falls back to `newest()`.
   */
  find?(index: number): Promise<SnapshotRef | undefined>;
  /**
   * Replaces the state machine's whole state with the snapshot in `folder` (checked
   * first). Durable when it resolves; a crash in the middle leaves the old state or
   * the new one, never a mix.
   */
  install(folder: string): Promise<void>;
}

/** What a leader sends with a snapshot, and the follower checks. */
export interface SnapshotHeader {
  from: NodeId;
  to: NodeId;
  /** The leader's term. */
  term: number;
  /** The snapshot's last included entry and its term. */
  index: number;
  snapshotTerm: number;
  /** The configuration in force at `index`. Absent only from a sender of an older version. */
  membership?: Membership;
}

/** Sends snapshots to followers (out of band of the Raft messages). */
export interface SnapshotSender {
  /** Streams `ref` to `header.to`; resolves with whether the follower installed it. Never rejects. */
  sendSnapshot(
    header: SnapshotHeader,
    folder: string,
    meta: Uint8Array,
    timeoutMs: number,
  ): Promise<{ installed: boolean; reason: string }>;
}

/** A timer the clock can cancel. */
export interface TimerHandle {
  cancel(): void;
}

/** Time, as the runtime reads it: for ticks and for deadlines. */
export interface Clock {
  /** Milliseconds on a monotonic clock (never goes backwards). */
  now(): number;
  /**
   * Milliseconds since the epoch on the wall clock (may jump). Only for leader
   * freshness stamps, compared across members under a skew bound; absent: no stamps
   * (followers then cannot serve BOUNDED reads).
   */
  wallNow?(): number;
  /** Calls `fn` once after `ms` (0 or more). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Calls `fn` every `ms` until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

/**
 * What the runtime reports of its own work, for metrics (src/server/metrics.ts). Every
 * method is called synchronously on the runtime's path, so it must be cheap, must not
 * throw, and must not call back into the runtime. Observations are not safety: the
 * runtime does the same whatever the observer does, and timings come from its Clock
 * (so a simulated clock reports simulated, often zero, durations).
 */
export interface RuntimeObserver {
  /**
   * This node became a candidate in the new term `term` (it voted for itself there):
   * once per election it stands in, including one that a leadership transfer asked for.
   * Pre-vote rounds, which change no term, are not elections.
   */
  electionStarted(term: number): void;
  /** This node won the election of `term` and leads: at most once per term. */
  electionWon(term: number): void;
  /**
   * This node learned of the leader of a term newer than any it had known a leader in
   * (itself included): at most once per term. The first leader it learns of after a
   * start counts.
   */
  leaderChanged(leader: NodeId, term: number): void;
  /**
   * A synced write of the log (entries and hard state in one batch, `LogStorage.persist`
   * with `sync`) is durable: `entries` entries, `seconds` from the call to its promise
   * resolving. Unsynced writes (a commit-index-only change) are not reported.
   */
  logSynced(entries: number, seconds: number): void;
  /**
   * The state machine applied `entries` committed entries in one `StateMachine.apply`
   * call (a group, up to a few hundred entries), in `seconds`. Entries found applied
   * before a restart, and so skipped, are not reported.
   */
  applied(entries: number, seconds: number): void;
  /**
   * This node took `snapshot` (`SnapshotStore.take`, `seconds` long, not counting the
   * wait for the entries queued before it to be applied), on its own or on demand. The
   * runtime never looks into `snapshot.meta`; the observer may.
   */
  snapshotTaken(snapshot: SnapshotRef, seconds: number): void;
  /**
   * This node installed a snapshot received from its leader: the log reset to it and
   * `SnapshotStore.install`, `seconds` from the first to the end of the second.
   */
  snapshotInstalled(index: number, seconds: number): void;
}

/** Uniform random numbers in [0, 1): the only randomness the core uses (election timeouts). */
export type RandomSource = () => number;

/** Every port of one node. */
export interface RaftPorts<Result> {
  log: LogStorage;
  stateMachine: StateMachine<Result>;
  transport: Transport;
  clock: Clock;
  random: RandomSource;
  /** Snapshots and their transfer; absent: the log is never compacted. */
  snapshots?: { store: SnapshotStore; sender: SnapshotSender };
}

/** The clock of the process: `performance.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
  setInterval(fn, ms) {
    const timer = setInterval(fn, ms);
    return { cancel: () => clearInterval(timer) };
  },
};
