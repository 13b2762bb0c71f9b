/**
 * Plain data types of the Raft core: log entries, persistent state, messages and
 * the Ready batch handed to the runtime.
 *
 * Everything here is a flat, serializable object (numbers are safe integers, ids
 * are strings, payloads are Uint8Array) so that the runtime can map each message
 * one-to-one onto protobuf for gRPC. "No value" is spelled `0` for indexes/terms
 * (Raft indexes and terms start at 1) and `undefined` for node ids.
 */
import type { Membership } from './membership.js';

/** A member's id, e.g. "n1". Never the empty string. */
export type NodeId = string;

/**
 * `normal` carries a client command. `noop` is the empty entry a new leader appends
 * to its log (Raft paper §8) so that it commits an entry of its own term promptly.
 * `config` holds a whole new cluster configuration (membership.ts): in force from the
 * moment it is in the log (thesis §4.1); the state machine sees it as a no-op.
 */
export type EntryType = 'normal' | 'noop' | 'config';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  /** Opaque to Raft. Empty for `noop`. Never mutated once handed to the core. */
  readonly data: Uint8Array;
}

/**
 * State that must be on stable storage before any message that depends on it is
 * sent (Raft paper Figure 2, "Persistent state on all servers"). `commit` is not
 * required by the paper but persisting it lets a restarted node apply without
 * waiting for a leader, and lets us assert that it never moves backwards.
 */
export interface HardState {
  readonly term: number;
  /** Candidate that received this node's vote in `term`, if any. */
  readonly vote: NodeId | undefined;
  readonly commit: number;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state the runtime may want to observe (for routing and for failing reads). */
export interface SoftState {
  readonly role: Role;
  readonly leaderId: NodeId | undefined;
}

/**
 * The answer to `readIndex(requestId)`: once the local applied index reaches
 * `index`, a read served from the local state machine is linearizable (§6.4).
 */
export interface ReadState {
  readonly requestId: string;
  readonly index: number;
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

export type MessageType = Message['type'];

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  /**
   * The sender's term, except for PreVote (the term the sender *would* campaign in,
   * i.e. its term + 1) and a granted PreVoteResponse (echoes the request's term).
   */
  readonly term: number;
}

/** Thesis §9.6: "would you vote for me?" — asked without bumping the term. */
export interface PreVoteMessage extends MessageBase {
  readonly type: 'PreVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
}

export interface PreVoteResponseMessage extends MessageBase {
  readonly type: 'PreVoteResponse';
  readonly granted: boolean;
}

export interface RequestVoteMessage extends MessageBase {
  readonly type: 'RequestVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /**
   * The candidate campaigns because the leader told it to (TimeoutNow, thesis §3.10):
   * voters set leader stickiness aside for it, as the leader has stepped aside.
   */
  readonly transfer?: boolean;
}

export interface RequestVoteResponseMessage extends MessageBase {
  readonly type: 'RequestVoteResponse';
  readonly granted: boolean;
}

/**
 * Log replication (§5.3). Carries zero or more entries following
 * (prevLogIndex, prevLogTerm). Not used as a heartbeat: see HeartbeatMessage.
 */
export interface AppendEntriesMessage extends MessageBase {
  readonly type: 'AppendEntries';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly leaderCommit: number;
}

/**
 * Success: `matchIndex` is the index of the last entry verified by the request
 * (prevLogIndex + entries.length); it is durable on the follower when this
 * response is sent.
 *
 * Rejection: `rejectedIndex` is the request's prevLogIndex (lets the leader drop
 * stale rejections), and the back-off hint is either
 *   - `conflictTerm > 0`: the follower's term at prevLogIndex and `hintIndex` the
 *     first index the follower holds with that term, or
 *   - `conflictTerm == 0`: the follower's log is too short; `hintIndex` is its last index.
 * Also sent with `success: false` and no hint to a leader of a stale term, so that
 * it learns the newer term and steps down.
 */
export interface AppendEntriesResponseMessage extends MessageBase {
  readonly type: 'AppendEntriesResponse';
  readonly success: boolean;
  readonly matchIndex: number;
  readonly rejectedIndex: number;
  readonly conflictTerm: number;
  readonly hintIndex: number;
}

/**
 * Leader liveness + commit propagation + ReadIndex confirmation. A separate
 * message type (as etcd does) rather than an empty AppendEntries because:
 *  - it must not be subject to the consistency check: in the pipelined replicate
 *    state the leader's `next` is optimistic and an empty AppendEntries at next-1
 *    would be rejected spuriously and knock the follower back into probe;
 *  - it carries a ReadIndex context that the follower echoes (§6.4).
 * `commit` is min(leader commit, follower's matchIndex), so a follower never
 * learns a commit index beyond entries the leader has verified it holds.
 */
export interface HeartbeatMessage extends MessageBase {
  readonly type: 'Heartbeat';
  readonly commit: number;
  /** ReadIndex round being confirmed; 0 when none. */
  readonly readContext: number;
  /**
   * Added by the leader's runtime, never by the core (which ignores it): while its
   * lease held, at `wallTimeMs` on its wall clock, every committed entry was at or
   * below `commit`. Followers bound their staleness with it (BOUNDED reads).
   */
  readonly freshness?: LeaderFreshness;
}

/** A leader's claim that nothing committed before `wallTimeMs` lies beyond `commit`. */
export interface LeaderFreshness {
  readonly commit: number;
  /** Milliseconds since the epoch on the leader's wall clock. */
  readonly wallTimeMs: number;
}

export interface HeartbeatResponseMessage extends MessageBase {
  readonly type: 'HeartbeatResponse';
  readonly readContext: number;
}

/**
 * Not used by the core: a snapshot travels out of band (the runtime streams the
 * state machine's files itself; see Ready.snapshotsToSend and
 * RaftNode.installSnapshot), because it is far larger than any Raft message and must
 * not hold up heartbeats. The type stays in the union, and on the wire, so that
 * peers of this version can decode it; `step` validates it and then ignores it.
 * Fields follow the paper (§7, chunked by `offset`/`done`).
 */
export interface InstallSnapshotMessage extends MessageBase {
  readonly type: 'InstallSnapshot';
  readonly lastIncludedIndex: number;
  readonly lastIncludedTerm: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/**
 * Leader → transferee: campaign now, past pre-vote, without waiting for an election
 * timeout (thesis §3.10).
 */
export interface TimeoutNowMessage extends MessageBase {
  readonly type: 'TimeoutNow';
}

export type Message =
  | PreVoteMessage
  | PreVoteResponseMessage
  | RequestVoteMessage
  | RequestVoteResponseMessage
  | AppendEntriesMessage
  | AppendEntriesResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | InstallSnapshotMessage
  | TimeoutNowMessage;

// ---------------------------------------------------------------------------
// Ready
// ---------------------------------------------------------------------------

/**
 * A message the core dropped without acting on it because no correct member could
 * have sent it (a malformed message, a second leader in one term, a commit index
 * beyond our log, …): a bug or a Byzantine or misconfigured peer. Peer input must
 * never trip an invariant — those guard this node's own state — so it is dropped
 * here and reported as data for the runtime to log.
 */
export interface RejectedMessage {
  /** The sender as the message names itself (the transport has checked it when it authenticates peers). */
  readonly from: NodeId;
  readonly type: MessageType;
  /** The message's term; -1 when that is not even a valid term (a malformed message). */
  readonly term: number;
  /** Why, for a person reading the log. */
  readonly reason: string;
  /**
   * Messages rejected from this sender so far, this one included. Only the 1st, 2nd,
   * 4th, 8th, … rejection per sender is reported, so that a peer repeating a bad
   * message (e.g. a heartbeat every tick) cannot flood the log; RaftStatus counts all.
   */
  readonly count: number;
}

/**
 * Everything the runtime must do next, in this order:
 *  1. send `messages` — at once, even while step 2 is still writing; start sending
 *     the snapshots of `snapshotsToSend` (out of band);
 *  2. if `snapshotInstalled` is present, first make the stored log start after it
 *     (see there); then, if `entries` is non-empty: if `entries[0].index` <= the
 *     last index on disk, truncate the stored log from `entries[0].index`; then
 *     append `entries`; store `hardState` if present — in one batch, synced when
 *     `mustSync`;
 *  3. once step 2 is durable: send `messagesAfterAppend` (they may promise it);
 *  4. apply `committedEntries` in order. They are already durable locally (only
 *     entries written by earlier Readies are handed out), so applying may start
 *     once step 2's log changes for an installed snapshot are made, alongside the
 *     rest of step 2;
 *  5. hand `readStates` to the waiting readers (serve once applied >= index);
 *  6. call `advance(ready)`.
 * No new Ready is offered until `advance` is called; `tick`, `step`, `propose`
 * and `readIndex` may be called in between.
 *
 * The core decides which list a message goes to when it creates it (as etcd raft
 * does with msgs / msgsAfterAppend), so "persist before you promise" (Figure 2:
 * persistent state is "updated on stable storage before responding to RPCs") is
 * the core's data, not a runtime convention, and the simulator checks it.
 */
export interface Ready {
  /** Present only when role or leader changed since the previous Ready. */
  readonly softState?: SoftState;
  /** Present only when term, vote or commit changed since the previous Ready. */
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  /**
   * May be sent right away, before this Ready's `entries` and `hardState` are
   * durable: they promise nothing about this node's disk. Only these types:
   *  - a leader's AppendEntries and Heartbeats: the leader writes its log in
   *    parallel with replicating it (thesis §10.2.1) and counts its own copy
   *    towards a commit only once durable (in `advance`); its term and self-vote
   *    became durable before it could win (its RequestVotes are in
   *    `messagesAfterAppend`);
   *  - HeartbeatResponses: they confirm the sender's term for a ReadIndex round
   *    and say nothing about its log.
   */
  readonly messages: readonly Message[];
  /**
   * Must be sent only after this Ready's `entries` and `hardState` are durable
   * (synced when `mustSync`): everything not in `messages`. Among them the
   * messages that promise durable state — a granted RequestVoteResponse (the vote
   * is recorded: one vote per term across crashes, §5.2), a successful
   * AppendEntriesResponse (its matchIndex is on disk, so "committed" means
   * "durable on a majority", §5.3) — and the RequestVotes of a candidate, which
   * counts its own vote at once. If the process dies before the write completes,
   * these are dropped, never sent.
   */
  readonly messagesAfterAppend: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /**
   * Messages from the network that this node refused to act on since the previous
   * Ready (see RejectedMessage): the runtime logs them; the core cannot.
   */
  readonly rejectedMessages: readonly RejectedMessage[];
  /**
   * etcd's MustSync: true when term, vote or entries changed, i.e. the write must be
   * fsynced before `messagesAfterAppend` go out. A commit-only change need not be synced
   * (a lost commit index is re-learned from the leader), though it must never be
   * written "backwards". Also true with `snapshotInstalled`.
   */
  readonly mustSync: boolean;
  /**
   * Leader only: followers that need entries this node has compacted away (their
   * next index is at or below `RaftStatus.snapshotIndex`). For each, the runtime
   * sends a state-machine snapshot covering at least `index` out of band (any newer
   * durable snapshot will do) and then calls `reportSnapshot(to, …)`. Emitted once
   * per follower each time it enters the `snapshot` progress state; until the report
   * (or the follower's acknowledgement of the install) no AppendEntries go to it, only
   * heartbeats. `term` is this leader's term, to be sent with the snapshot: the
   * follower checks it (`RaftNode.wantsSnapshot`). May be acted on at once: it
   * promises nothing about this Ready's writes (a compacted snapshot is durable).
   */
  readonly snapshotsToSend: readonly SnapshotRequest[];
  /**
   * Follower only: `installSnapshot` made this node's log start after a snapshot's
   * last included entry (index, term) since the previous Ready. Before the rest of
   * step 2 the runtime records (index, term) as where its stored log starts and
   * drops stored entries:
   *  - `logRetained`: those up to `index` only (like a compaction); the ones after
   *    it match the leader's log and stay (§7 receiver step 6);
   *  - otherwise: all of them (§7 step 7); none of them was or can be committed.
   * `hardState` then holds a commit index >= `index`. Only once all of it is durable
   * (`mustSync` is true) may `messagesAfterAppend` go out: they hold the
   * acknowledgement of the snapshot (an AppendEntriesResponse with matchIndex =
   * index), which the leader counts as durable. If the new start is written apart
   * from (before) the hard state, a crash in between leaves the stored commit below
   * the snapshot index: at restart pass max(commit, snapshot index) — a snapshot
   * holds only committed entries — or `new RaftNode` refuses the initial state.
   */
  readonly snapshotInstalled?: InstalledSnapshot;
  /**
   * Present when the configuration in force changed since the previous Ready (a config
   * entry appended, truncated away, or a snapshot installed): the runtime updates the
   * addresses it sends to. Nothing to persist: it is in the log (or the snapshot).
   */
  readonly membership?: Membership;
}

/** See Ready.snapshotInstalled. */
export interface InstalledSnapshot extends SnapshotPoint {
  /** Whether the stored entries after `index` stay (true) or are dropped too (false). */
  readonly logRetained: boolean;
  /** The configuration at `index`: stored with the new log start, as the log no longer holds it. */
  readonly membership: Membership;
}

/** A snapshot's last included entry: the log starts after it (§7). */
export interface SnapshotPoint {
  readonly index: number;
  readonly term: number;
}

/** See Ready.snapshotsToSend. */
export interface SnapshotRequest {
  readonly to: NodeId;
  /** The leader's term when it asked. */
  readonly term: number;
  /** The lowest snapshot index the follower can catch up from (the leader's snapshotIndex). */
  readonly index: number;
}

/**
 * A snapshot the runtime received out of band, as offered to `wantsSnapshot` and
 * `installSnapshot`. All of it comes from the network and is checked like a message.
 */
export interface SnapshotOffer {
  /** The leader that sent it … */
  readonly from: NodeId;
  /** … and its term when it sent it (SnapshotRequest.term). */
  readonly term: number;
  /** The snapshot's last included entry: its index … */
  readonly index: number;
  /** … and term. */
  readonly snapshotTerm: number;
  /**
   * The configuration in force at `index` (the leader's `membershipAt(index)`); a
   * runtime always sends it. Absent (a cluster whose membership never changes, core
   * tests): the configuration in force here stays.
   */
  readonly membership?: Membership;
}

// ---------------------------------------------------------------------------
// Configuration and status
// ---------------------------------------------------------------------------

export interface RaftConfig {
  /** This node's id. */
  readonly id: NodeId;
  /**
   * The voters of a cluster that starts from nothing (this node included), used only
   * when neither InitialState.membership nor a stored config entry says otherwise.
   */
  readonly peers: readonly NodeId[];
  /**
   * A learner is promoted to voter only when its match index is at most this many
   * entries behind the leader's last index, so that counting it cannot stall commits.
   */
  readonly maxPromotionLag: number;
  /** Election timeout is drawn uniformly from [electionTick, 2*electionTick) ticks (§5.2). */
  readonly electionTick: number;
  /** A leader sends heartbeats every heartbeatTick ticks. Must be < electionTick. */
  readonly heartbeatTick: number;
  /** Pipelining bound: AppendEntries in flight per follower in the replicate state. */
  readonly maxInflightMessages: number;
  /** Batching bound: entries per AppendEntries. */
  readonly maxEntriesPerMessage: number;
  /**
   * Batching bound: sum of entry payload bytes per AppendEntries. A single entry
   * larger than this is still sent, alone.
   */
  readonly maxBytesPerMessage: number;
  /** Thesis §9.6. */
  readonly preVote: boolean;
  /** Thesis §6.2: leader steps down without a majority's responses; leader stickiness. */
  readonly checkQuorum: boolean;
  /**
   * A node that starts ignores PreVote, and (with checkQuorum) RequestVote, for its
   * first electionTick ticks: before it went down it may have acknowledged a leader
   * whose lease counts on it (thesis §6.4.1). Needed for lease reads; the runtime turns
   * it on.
   */
  readonly voteQuietAfterStart: boolean;
  /**
   * Leader: followers learn a new commit index from the next AppendEntries or heartbeat,
   * or on the next tick at the latest, instead of from an empty AppendEntries sent at
   * once. A lone write then costs each follower one message and one answer instead of
   * two of each; followers learn of it up to a tick later. Off by default (etcd's
   * behaviour, which the interaction tests describe); the runtime turns it on.
   */
  readonly commitNoticeOnTick: boolean;
  /** Uniform in [0, 1). Injected so the core stays deterministic under a seeded simulator. */
  readonly random: () => number;
}

export interface InitialState {
  readonly hardState: HardState;
  /**
   * The persisted log, in index order, starting at `snapshot.index + 1` (at 1 without
   * a snapshot).
   */
  readonly entries: readonly Entry[];
  /**
   * Where the persisted log starts: the last entry covered by the state machine's
   * durable snapshot (compacted with `compact`, or received with `installSnapshot`).
   * Requires applied >= index and hardState.commit >= index. Default: none (0, 0).
   */
  readonly snapshot?: SnapshotPoint;
  /**
   * The configuration in force at `snapshot` (at index 0 without one): stored with the
   * log start, as the log no longer holds the entry that set it. Config entries among
   * `entries` supersede it. Absent: a cluster of `RaftConfig.peers`, all voters.
   */
  readonly membership?: Membership;
  /**
   * The index from which `membership` is known to be the configuration in force, when
   * later than the log start: a node that joined a running cluster learned the one at
   * the leader's log start, and does not know those before it. Default: the log start.
   */
  readonly membershipFrom?: number;
  /**
   * Index of the last entry the state machine has durably applied (etcd's
   * Config.Applied). Committed entries after it are handed out again. Default
   * `snapshot.index`, or 0.
   */
  readonly applied?: number;
}

/**
 * `snapshot`: the follower needs entries the leader has compacted; it gets a
 * snapshot out of band (Ready.snapshotsToSend) and no AppendEntries meanwhile.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface PeerProgress {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly inflight: number;
  readonly recentActive: boolean;
  /** In the `snapshot` state: the snapshot index requested for it; 0 otherwise. */
  readonly pendingSnapshot: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId | undefined;
  readonly leaderId: NodeId | undefined;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** First index held in memory: snapshotIndex + 1. */
  readonly firstIndex: number;
  /** Last index covered by the snapshot the log starts after (0 without one). */
  readonly snapshotIndex: number;
  /** Last index known durable on this node's disk. */
  readonly stableIndex: number;
  /** Leader only: the voter it is handing leadership to, while it does. */
  readonly transferee?: NodeId;
  /** The configuration in force (the newest in the log, committed or not). */
  readonly membership: Membership;
  /** Index of the entry that set it (the snapshot index, or 0, for the initial one). */
  readonly membershipIndex: number;
  /** Messages from the network dropped as invalid since start (see RejectedMessage). */
  readonly rejectedMessages: number;
  /** Only on the leader: every member's replication progress, itself included. */
  readonly progress?: Readonly<Record<NodeId, PeerProgress>>;
}
