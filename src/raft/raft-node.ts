/**
 * RaftNode: one member's consensus state machine, pure and I/O-free (modelled on
 * etcd raft's RawNode). It owns no timers, sockets or disk: the runtime drives it
 * with `tick()`, `step(message)`, `propose(data)` and `readIndex(id)`, and
 * collects what must happen next with `ready()` / `advance()`.
 *
 * Section references: "§n" is the Raft paper (Ongaro & Ousterhout, 2014),
 * "thesis §n" is Ongaro's dissertation (2014).
 *
 * Single-threaded and synchronous by design: every input is handled to completion
 * before the next, so there are no interleavings inside the core.
 */
import { resolveConfig, type RaftConfigInput } from './config.js';
import {
  invariant,
  MembershipChangeError,
  NotLeaderError,
  RaftConfigError,
  TransferInProgressError,
} from './errors.js';
import { RaftLog } from './log.js';
import {
  applyMembershipChange,
  bootstrapMembership,
  canonicalMembership,
  decodeMembership,
  encodeMembership,
  membershipProblem,
  votersOf,
  type Membership,
  type MembershipChange,
} from './membership.js';
import { MembershipLog } from './membership-log.js';
import { Progress } from './progress.js';
import { majority, quorumMatchIndex, tallyVotes } from './quorum.js';
import { ReadOnlyQueue } from './read-only.js';
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Entry,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  InitialState,
  InstalledSnapshot,
  Message,
  MessageType,
  NodeId,
  PeerProgress,
  PreVoteMessage,
  RaftConfig,
  RaftStatus,
  ReadState,
  Ready,
  RejectedMessage,
  RequestVoteMessage,
  Role,
  SnapshotOffer,
  SnapshotPoint,
  SnapshotRequest,
  SoftState,
  TimeoutNowMessage,
} from './types.js';

const EMPTY = new Uint8Array(0);

/**
 * Rejections buffered for one Ready at most. Beyond it they are only counted (in
 * RaftStatus): the buffer must not grow with what a peer sends between two Readies.
 */
const MAX_REJECTIONS_PER_READY = 64;

const MESSAGE_TYPES: ReadonlySet<string> = new Set<Message['type']>([
  'PreVote',
  'PreVoteResponse',
  'RequestVote',
  'RequestVoteResponse',
  'AppendEntries',
  'AppendEntriesResponse',
  'Heartbeat',
  'HeartbeatResponse',
  'InstallSnapshot',
  'TimeoutNow',
]);

/**
 * The message types that go to Ready.messages: they may leave before the Ready's
 * entries and hard state are durable, because they promise nothing about this
 * node's disk (see Ready.messages for why each is safe). Every other type goes to
 * Ready.messagesAfterAppend. Deliberately an allow-list: a new message type waits
 * for the disk until someone shows it may not.
 *
 * Not here, although etcd sends them early: RequestVote and PreVote. Our candidate
 * counts its own (still volatile) vote the moment it campaigns, so its RequestVotes
 * must wait until that vote and the new term are durable — else it could win with
 * a vote it forgets in a crash and then vote again in that term (§5.2, Figure 2).
 */
const SENDABLE_BEFORE_PERSIST: ReadonlySet<MessageType> = new Set<MessageType>([
  'AppendEntries',
  'Heartbeat',
  'HeartbeatResponse',
]);

const isIndex = (n: unknown): n is number =>
  typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/**
 * Why `m` cannot have been sent by a correct Raft node, judged from the message
 * alone (types, ranges, and the shape Raft gives it); undefined when it could have.
 * Shared by the wire decoder (which refuses such messages before they reach the
 * core) and `step` (which must not trust its caller either: a RaftNode may be
 * driven by a transport other than ours). Checks needing the node's state are in
 * `RaftNode.rejection`.
 */
export function messageMalformation(m: Message): string | undefined {
  if (!MESSAGE_TYPES.has(m.type)) return `unknown message type ${JSON.stringify(m.type)}`;
  if (typeof m.from !== 'string' || m.from === '') return '`from` must be a non-empty string';
  if (typeof m.to !== 'string' || m.to === '') return '`to` must be a non-empty string';
  const numbers: [string, unknown][] = [['term', m.term]];
  const booleans: [string, unknown][] = [];
  switch (m.type) {
    case 'PreVote':
    case 'RequestVote':
      numbers.push(['lastLogIndex', m.lastLogIndex], ['lastLogTerm', m.lastLogTerm]);
      if (m.type === 'RequestVote' && m.transfer !== undefined)
        booleans.push(['transfer', m.transfer]);
      break;
    case 'PreVoteResponse':
    case 'RequestVoteResponse':
      booleans.push(['granted', m.granted]);
      break;
    case 'AppendEntries':
      numbers.push(
        ['prevLogIndex', m.prevLogIndex],
        ['prevLogTerm', m.prevLogTerm],
        ['leaderCommit', m.leaderCommit],
      );
      if (!Array.isArray(m.entries)) return 'entries must be an array';
      break;
    case 'AppendEntriesResponse':
      numbers.push(
        ['matchIndex', m.matchIndex],
        ['rejectedIndex', m.rejectedIndex],
        ['conflictTerm', m.conflictTerm],
        ['hintIndex', m.hintIndex],
      );
      booleans.push(['success', m.success]);
      break;
    case 'Heartbeat':
      numbers.push(['commit', m.commit], ['readContext', m.readContext]);
      break;
    case 'HeartbeatResponse':
      numbers.push(['readContext', m.readContext]);
      break;
    case 'InstallSnapshot':
      numbers.push(
        ['lastIncludedIndex', m.lastIncludedIndex],
        ['lastIncludedTerm', m.lastIncludedTerm],
        ['offset', m.offset],
      );
      booleans.push(['done', m.done]);
      if (!(m.data instanceof Uint8Array)) return 'snapshot data must be bytes';
      break;
    case 'TimeoutNow':
      break;
  }
  for (const [name, value] of numbers) {
    if (!isIndex(value)) return `${name} ${String(value)} is not an integer in [0, 2^53)`;
  }
  for (const [name, value] of booleans) {
    if (typeof value !== 'boolean') return `${name} must be a boolean`;
  }
  switch (m.type) {
    case 'PreVote':
    case 'RequestVote':
      return logPositionMalformation('last log', m.lastLogIndex, m.lastLogTerm, m.term);
    case 'AppendEntries':
      return (
        logPositionMalformation('prevLog', m.prevLogIndex, m.prevLogTerm, m.term) ??
        entriesMalformation(m)
      );
    case 'AppendEntriesResponse':
      // The follower's term at the rejected index: at most its current term.
      if (m.conflictTerm > m.term)
        return `conflictTerm ${m.conflictTerm} above the message term ${m.term}`;
      return undefined;
    default:
      return undefined;
  }
}

/**
 * A log position (index, term): index 0 has term 0 and only it (every entry has a
 * term >= 1), and no log holds an entry of a term above the sender's.
 */
function logPositionMalformation(
  what: string,
  index: number,
  term: number,
  messageTerm: number,
): string | undefined {
  if ((index === 0) !== (term === 0))
    return `${what} index ${index} with term ${term}: only index 0 has term 0`;
  if (term > messageTerm) return `${what} term ${term} above the message term ${messageTerm}`;
  return undefined;
}

/**
 * §5.3: the entries follow prevLogIndex without a gap, and (Log Matching) their
 * terms never decrease along the log and never exceed the leader's term.
 */
function entriesMalformation(m: AppendEntriesMessage): string | undefined {
  let prevTerm = m.prevLogTerm;
  for (let k = 0; k < m.entries.length; k++) {
    const e: unknown = m.entries[k];
    if (typeof e !== 'object' || e === null) return `entry ${k} is not an object`;
    const { index, term, type, data } = e as Partial<Entry>;
    const expected = m.prevLogIndex + 1 + k;
    if (index !== expected)
      return `entries are not contiguous from prevLogIndex ${m.prevLogIndex}: entry ${k} has index ${String(index)}, expected ${expected}`;
    if (!isIndex(term) || term < Math.max(prevTerm, 1) || term > m.term)
      return `entry ${index} has term ${String(term)}, outside [${Math.max(prevTerm, 1)}, ${m.term}] (previous entry's term, message term)`;
    if (type !== 'normal' && type !== 'noop' && type !== 'config')
      return `entry ${index} has unknown type ${JSON.stringify(type)}`;
    if (!(data instanceof Uint8Array)) return `entry ${index} data must be bytes`;
    if (type === 'config') {
      const decoded = decodeMembership(data);
      if (!decoded.ok) return `config entry ${index} is invalid: ${decoded.reason}`;
    }
    prevTerm = term;
  }
  return undefined;
}

/**
 * InitialState.snapshot against the rest of the initial state: the runtime's own
 * data, so a mismatch is its bug (RaftConfigError), not a peer's. A snapshot holds
 * only applied (hence committed) entries, and the stored log continues right after it.
 */
function validateSnapshotStart(
  snapshot: SnapshotPoint,
  hs: HardState,
  applied: number,
  entries: readonly Entry[],
): void {
  const { index, term } = snapshot;
  if (!isIndex(index) || !isIndex(term))
    throw new RaftConfigError('snapshot index and term must be non-negative integers');
  if ((index === 0) !== (term === 0))
    throw new RaftConfigError(`snapshot (${index}, ${term}): only index 0 has term 0`);
  if (term > hs.term)
    throw new RaftConfigError(`snapshot term ${term} above hardState.term ${hs.term}`);
  if (hs.commit < index)
    throw new RaftConfigError(
      `hardState.commit ${hs.commit} below the snapshot index ${index} (a snapshot holds only committed entries)`,
    );
  if (!isIndex(applied) || applied < index)
    throw new RaftConfigError(`applied ${String(applied)} below the snapshot index ${index}`);
  const first = entries[0];
  if (first !== undefined && (first.index !== index + 1 || first.term < term))
    throw new RaftConfigError(
      `the stored log must continue the snapshot (${index}, ${term}): its first entry is (${first.index}, ${first.term})`,
    );
}

/** The configuration at the initial log start: the stored one, else `peers` as voters. */
function initialMembership(config: RaftConfig, initial: InitialState): Membership {
  if (initial.membership !== undefined) {
    const problem = membershipProblem(initial.membership);
    if (problem !== undefined)
      throw new RaftConfigError(`the initial configuration is invalid: ${problem}`);
    return canonicalMembership(initial.membership.members);
  }
  if (!config.peers.includes(config.id))
    throw new RaftConfigError(`peers must include this node's id ${config.id}`);
  return bootstrapMembership(config.peers);
}

// Distributive Omit, so that each member of the Message union keeps its own fields.
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Outgoing = DistributiveOmit<Message, 'from'>;

export interface ProposeResult {
  /** Where the entry sits in the leader's log. */
  readonly index: number;
  readonly term: number;
}

/** Bounds on one Ready (see RaftNode.hasReady). */
export interface ReadyLimits {
  /** At most this many committed entries (none: no bound). */
  maxCommittedEntries?: number;
}

export class RaftNode {
  readonly id: NodeId;
  private readonly config: RaftConfig;
  private readonly log: RaftLog;
  /** The configuration at every point of the log; the newest is in force (membership.ts). */
  private readonly configs: MembershipLog;
  /** Voters and all members (voters and learners) of the configuration in force. */
  private voters: readonly NodeId[] = [];
  private members: readonly NodeId[] = [];
  /** The configuration handed to the runtime in the previous Ready. */
  private prevMembership: Membership;
  /**
   * Leader only: a committed configuration has removed this node; it hands leadership
   * to a voter and steps down (thesis §4.2.2).
   */
  private leaving = false;

  // Persistent state (Figure 2), mirrored to disk through Ready.hardState.
  private term: number;
  private vote: NodeId | undefined;

  // Volatile state.
  private role: Role = 'follower';
  private leaderId: NodeId | undefined;
  /**
   * Ticks since the last reset. Followers/candidates: since we last heard from a
   * valid leader or granted a vote. Leader: since the last check-quorum round.
   */
  private electionElapsed = 0;
  /** Ticks since this node started, counted up to electionTick (see inLease). */
  private ticksSinceStart = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  /** Votes received in the current (pre-)election. */
  private votes = new Map<NodeId, boolean>();
  /** Leader only: replication progress of every voter, self included. */
  private readonly progress = new Map<NodeId, Progress>();
  /** Leader only: ReadIndex requests awaiting a heartbeat quorum. */
  private readonly readOnly = new ReadOnlyQueue();
  /** Leader only: ReadIndex requests waiting for the first commit of our term. */
  private readsAwaitingCommit: string[] = [];
  private readContextSeq = 0;
  private pendingReadHeartbeat = false;
  /** Leader only: the voter it hands leadership to (thesis §3.10), while it does. */
  private leadTransferee: NodeId | undefined;
  /** Leader only: ticks since the transfer began; it is abandoned after an election timeout. */
  private transferElapsed = 0;

  // Output buffers, drained by ready(). `send` sorts messages into the first two.
  private msgs: Message[] = [];
  private msgsAfterAppend: Message[] = [];
  private readStates: ReadState[] = [];
  private rejected: RejectedMessage[] = [];
  /** Leader only: snapshots to ask the runtime for (Ready.snapshotsToSend). */
  private snapshotsToSend: SnapshotRequest[] = [];
  /** Follower: the snapshot installed since the last Ready (Ready.snapshotInstalled). */
  private snapshotInstalled: InstalledSnapshot | undefined;
  /**
   * Rejections per sender, and the count at which the next one is reported. One
   * shared entry (key '') for non-members, whose claimed ids are unbounded.
   */
  private readonly rejectedBySender = new Map<NodeId, { count: number; reportAt: number }>();
  private rejectedTotal = 0;
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfigInput, initialState: InitialState) {
    this.config = resolveConfig(config);
    this.id = this.config.id;
    const hs = initialState.hardState;
    if (!Number.isSafeInteger(hs.term) || hs.term < 0)
      throw new RaftConfigError('hardState.term must be a non-negative integer');
    if (!Number.isSafeInteger(hs.commit) || hs.commit < 0)
      throw new RaftConfigError('hardState.commit must be a non-negative integer');
    const snapshot = initialState.snapshot ?? { index: 0, term: 0 };
    const applied = initialState.applied ?? snapshot.index;
    validateSnapshotStart(snapshot, hs, applied, initialState.entries);
    this.log = new RaftLog(initialState.entries, snapshot, hs.commit, applied);
    this.configs = new MembershipLog(
      snapshot.index,
      initialMembership(this.config, initialState),
      initialState.membershipFrom ?? snapshot.index,
    );
    for (const e of initialState.entries) {
      if (e.type !== 'config') continue;
      const decoded = decodeMembership(e.data);
      if (!decoded.ok)
        throw new RaftConfigError(`stored config entry ${e.index} is invalid: ${decoded.reason}`);
      this.configs.appended(e.index, e.term, decoded.membership);
    }
    this.prevMembership = this.configs.latest();
    this.refreshMembership();
    // A node only ever stores entries from leaders of terms it has seen.
    invariant(
      this.log.lastTerm() <= hs.term,
      () => `persisted last log term ${this.log.lastTerm()} above persisted term ${hs.term}`,
    );
    this.term = hs.term;
    this.vote = hs.vote;
    this.prevHardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    this.prevSoftState = { role: 'follower', leaderId: undefined };
    this.becomeFollower(this.term, undefined);
  }

  // -------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------

  /**
   * Leader: whether the next `tick` broadcasts a heartbeat. A ReadIndex registered just
   * before that tick rides on the heartbeat instead of a round of its own.
   */
  heartbeatDueAtNextTick(): boolean {
    return this.role === 'leader' && this.heartbeatElapsed + 1 >= this.config.heartbeatTick;
  }

  /** Advance logical time by one tick. */
  tick(): void {
    if (this.ticksSinceStart < this.config.electionTick) this.ticksSinceStart++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /**
   * Handle one message from a peer. Never throws because of what the message says:
   * one that no correct member could have sent (see `rejection`) is dropped without
   * any effect on this node's state and reported in Ready.rejectedMessages.
   */
  step(m: Message): void {
    const reason = this.rejection(m);
    if (reason !== undefined) {
      this.reject(m, m.type, reason);
      return;
    }
    // InstallSnapshot: snapshots travel out of band (installSnapshot below), so no
    // member of this version sends one; a valid-looking one is ignored, as before.
    if (m.type === 'InstallSnapshot') return;
    if (m.type === 'TimeoutNow') {
      // Only from the leader we follow, in its term: anyone else has no leadership to
      // hand over, and a stale one must not make us disrupt the current leader.
      if (
        m.term === this.term &&
        this.role === 'follower' &&
        this.leaderId === m.from &&
        this.promotable()
      )
        this.campaignForTransfer();
      return;
    }

    if (m.term > this.term) {
      if (m.type === 'PreVote' || m.type === 'RequestVote') {
        // Leader stickiness (thesis §4.2.3 / §9.6): a node that heard from a live
        // leader within the minimum election timeout ignores requests to replace it,
        // so a partitioned node that comes back cannot disrupt a healthy cluster.
        // For PreVote this is the pre-vote rule itself; for RequestVote, as in etcd,
        // only with check-quorum (otherwise a leader that lost its quorum could
        // block elections forever).
        // A candidate the leader itself asked to campaign (TimeoutNow) is let through:
        // the leader has stepped aside, and gave up its lease first.
        const transfer = m.type === 'RequestVote' && m.transfer === true;
        if (!transfer && this.inLease(m.type === 'PreVote')) return;
      }
      if (m.type === 'PreVote') {
        // Pre-vote never changes our term (thesis §9.6).
      } else if (m.type === 'PreVoteResponse' && m.granted) {
        // A granted pre-vote echoes the term we would campaign in; not a newer term.
      } else {
        const fromLeader = m.type === 'AppendEntries' || m.type === 'Heartbeat';
        this.becomeFollower(m.term, fromLeader ? m.from : undefined);
      }
    } else if (m.term < this.term) {
      if (
        (this.config.checkQuorum || this.config.preVote) &&
        (m.type === 'AppendEntries' || m.type === 'Heartbeat')
      ) {
        // A stale leader (e.g. back from a partition) learns our newer term and steps
        // down. Needed with check-quorum/pre-vote: those stop us from disrupting it
        // with elections, so this is the only way it hears of the newer term.
        this.send({
          type: 'AppendEntriesResponse',
          to: m.from,
          term: this.term,
          success: false,
          matchIndex: 0,
          rejectedIndex: 0,
          conflictTerm: 0,
          hintIndex: 0,
        });
      } else if (m.type === 'PreVote') {
        // Tell the pre-candidate about our newer term so that it can catch up.
        this.send({ type: 'PreVoteResponse', to: m.from, term: this.term, granted: false });
      } else if (m.type === 'RequestVote') {
        // Figure 2: refuse with our term, so that the candidate adopts it. Silence is
        // a livelock when our own campaigns cannot reach it (e.g. we still hold an
        // older configuration without it): its term would never catch up with ours,
        // and it needs our vote.
        this.send({ type: 'RequestVoteResponse', to: m.from, term: this.term, granted: false });
      }
      return;
    }

    switch (m.type) {
      case 'PreVote':
      case 'RequestVote':
        this.handleVoteRequest(m);
        return;
      case 'PreVoteResponse':
        // A granted answer must be for the term we are pre-campaigning for.
        if (this.role === 'pre-candidate' && (!m.granted || m.term === this.term + 1)) {
          this.poll(m.from, m.granted);
        }
        return;
      case 'RequestVoteResponse':
        if (this.role === 'candidate') this.poll(m.from, m.granted);
        return;
      case 'AppendEntries':
      case 'Heartbeat':
        // `rejection` has dropped these if we lead this term or follow another leader in it.
        // §5.2: a candidate that hears from a leader of its term returns to follower.
        if (this.role !== 'follower') this.becomeFollower(this.term, m.from);
        this.electionElapsed = 0;
        this.leaderId = m.from;
        if (m.type === 'AppendEntries') this.handleAppendEntries(m);
        else this.handleHeartbeat(m);
        return;
      case 'AppendEntriesResponse':
        if (this.role === 'leader') this.handleAppendEntriesResponse(m);
        return;
      case 'HeartbeatResponse':
        if (this.role === 'leader') this.handleHeartbeatResponse(m);
        return;
    }
  }

  /**
   * Append a client command to the leader's log. It is committed once a majority
   * has it durably and an entry of this term is committed; the runtime learns that
   * when an entry at `index` with this `term` comes out in committedEntries (an
   * entry at `index` with another term means the proposal was lost: retry).
   * The core keeps a reference to `data`; the caller must not modify it afterwards.
   */
  propose(data: Uint8Array): ProposeResult {
    if (this.role !== 'leader') throw new NotLeaderError(this.id, this.leaderId);
    if (this.leadTransferee !== undefined)
      throw new TransferInProgressError(this.id, this.leadTransferee);
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, type: 'normal', data };
    this.log.append(entry);
    // Not sent here: ready() flushes once for everything proposed since (batching).
    return { index: entry.index, term: entry.term };
  }

  /**
   * Leader: appends a configuration entry making one single-server change (thesis §4.1),
   * in force at once. Refused (MembershipChangeError, nothing appended) until an entry
   * of this leader's term is committed — the fix to the single-server algorithm found in
   * 2015: a new leader must not change the configuration before it knows the previous
   * change, which it may hold uncommitted, is the one in force — and while another
   * change is not committed; a promotion also needs the learner's match index within
   * `maxPromotionLag` of our last index, so that counting it cannot stall commits.
   * Removing this node itself is allowed: once the change commits, it hands leadership
   * over and steps down.
   */
  proposeMembership(change: MembershipChange): ProposeResult {
    if (this.role !== 'leader') throw new NotLeaderError(this.id, this.leaderId);
    if (this.leadTransferee !== undefined)
      throw new TransferInProgressError(this.id, this.leadTransferee);
    if (!this.committedInCurrentTerm())
      throw new MembershipChangeError(
        'no-commit-in-term',
        `leader ${this.id} has not yet committed an entry of its term ${this.term}: retry shortly`,
      );
    if (this.configs.latestIndex() > this.log.commitIndex())
      throw new MembershipChangeError(
        'change-in-progress',
        `the membership change at entry ${this.configs.latestIndex()} is not committed yet: one change at a time`,
      );
    const next = applyMembershipChange(this.configs.latest(), change);
    if (!next.ok) throw new MembershipChangeError('invalid-change', next.reason);
    if (change.type === 'promote') {
      // Caught up means: it acknowledged our log recently and is streaming it (the
      // replicate state: past any snapshot it needed), within the lag bound. A learner
      // that still waits for a snapshot may be few entries behind a compacted log yet
      // hold none of the data.
      const pr = this.progress.get(change.id);
      const lag = this.log.lastIndex() - (pr?.match ?? 0);
      if (pr === undefined || pr.state !== 'replicate' || !pr.recentActive)
        throw new MembershipChangeError(
          'learner-behind',
          `learner ${change.id} has not caught up yet (${pr === undefined ? 'no progress' : pr.state === 'snapshot' ? 'it is receiving a snapshot' : pr.state === 'probe' ? 'the leader is still finding where its log matches' : 'not heard from recently'}): wait for it`,
        );
      if (lag > this.config.maxPromotionLag)
        throw new MembershipChangeError(
          'learner-behind',
          `learner ${change.id} is ${lag} entries behind the leader (at most ${this.config.maxPromotionLag} to be promoted): wait for it to catch up`,
        );
    }
    const entry: Entry = {
      index: this.log.lastIndex() + 1,
      term: this.term,
      type: 'config',
      data: encodeMembership(next.membership),
    };
    this.log.append(entry);
    this.configs.appended(entry.index, entry.term, next.membership);
    this.refreshMembership();
    return { index: entry.index, term: entry.term };
  }

  /**
   * Leader: hands leadership to voter `to` (thesis §3.10). Proposals are refused
   * (TransferInProgressError) from now on; once `to` holds our whole log it gets
   * TimeoutNow and campaigns at once, its RequestVotes passing the voters' leader
   * stickiness. Abandoned after an election timeout without a new leader (proposals
   * are accepted again). A transfer to ourselves does nothing.
   */
  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.id, this.leaderId);
    if (to === this.id) return;
    const pr = this.progress.get(to);
    if (pr === undefined || !this.voters.includes(to))
      throw new RaftConfigError(`cannot hand leadership to ${to}: it is not a voter`);
    if (this.leadTransferee !== to) {
      this.endTransfer();
      this.leadTransferee = to;
      this.transferElapsed = 0;
    }
    // Asked again for the same voter: a TimeoutNow may have been lost, so send it again.
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to, pr, true);
  }

  /** Leader: gives up a transfer in progress (proposals are accepted again). */
  cancelLeadershipTransfer(): void {
    this.endTransfer();
  }

  /**
   * Ends the transfer in progress, if any, and withdraws a TimeoutNow not yet handed
   * out: it must not make a voter campaign for a transfer that is over.
   */
  private endTransfer(): void {
    if (this.leadTransferee === undefined) return;
    const stale = (m: Message): boolean => m.type === 'TimeoutNow';
    this.msgs = this.msgs.filter((m) => !stale(m));
    this.msgsAfterAppend = this.msgsAfterAppend.filter((m) => !stale(m));
    this.leadTransferee = undefined;
    this.transferElapsed = 0;
  }

  /** The voter this leader is handing leadership to, if it is. */
  get transferee(): NodeId | undefined {
    return this.leadTransferee;
  }

  /**
   * Whether a TimeoutNow handed out in an earlier Ready may still leave now. A Ready's
   * messages may go out later than they were made (after its disk write): by then the
   * transfer may be over, or we may have appended entries the voter lacks, and a late
   * TimeoutNow would make it campaign past the others' stickiness and lose them. So it
   * leaves only while we lead its term, hand over to that voter, and it holds our whole
   * log (thesis §3.10).
   */
  timeoutNowStillDue(m: TimeoutNowMessage): boolean {
    return (
      this.role === 'leader' &&
      this.term === m.term &&
      this.leadTransferee === m.to &&
      this.progress.get(m.to)?.match === this.log.lastIndex()
    );
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'TimeoutNow', to, term: this.term });
  }

  /**
   * Linearizable read (§6.4 / thesis §6.4). Emits ReadState{requestId, index} in a
   * later Ready once a majority confirmed that we are still the leader; the runtime
   * serves the read when its applied index reaches `index`. Requests pending when
   * the node loses leadership are dropped: the runtime should fail them when
   * Ready.softState shows the role change.
   */
  /**
   * The read index of a ReadIndex read that needs no round of heartbeats, or undefined
   * (then use readIndex): on a leader that is the only voter of the configuration in
   * force and has committed an entry of its term, its commit index. No other node can
   * lead while it is the only voter (thesis §6.4; etcd serves a one-voter ReadIndex at
   * once too), so the round would only confirm what it knows.
   */
  immediateReadIndex(): number | undefined {
    if (this.role !== 'leader' || !this.committedInCurrentTerm()) return undefined;
    if (this.voters.length !== 1 || this.voters[0] !== this.id) return undefined;
    return this.log.commitIndex();
  }

  readIndex(requestId: string): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.id, this.leaderId);
    // A new leader's commit index may be stale until it commits an entry of its own
    // term (thesis §6.4 step 1; the no-op of §8 makes that happen promptly).
    if (!this.committedInCurrentTerm()) {
      this.readsAwaitingCommit.push(requestId);
      return;
    }
    this.startRead(requestId);
  }

  // -------------------------------------------------------------------------
  // Snapshots and log compaction (§7, thesis §5)
  // -------------------------------------------------------------------------

  /**
   * Log compaction (§7, thesis §5.1): the runtime has a durable state-machine
   * snapshot covering `index` and lets the core drop its in-memory entries up to it;
   * term(index) is kept as the snapshot term. Call it only after `advance` of the
   * Ready that handed out entry `index` to apply. The runtime deletes its stored
   * entries up to `index` itself and records (index, term) as where the stored log
   * starts (InitialState.snapshot after a restart).
   *
   * Returns false, changing nothing, when `index` is at or below the current snapshot
   * index (a stale or repeated call). Throws RaftConfigError, changing nothing, when
   * `index` is not an integer or beyond the applied index (a runtime bug: the state
   * machine cannot have a snapshot of entries the core has not handed it). A leader
   * may compact entries a follower still needs; that follower then gets a snapshot
   * (Ready.snapshotsToSend).
   */
  compact(index: number): boolean {
    if (!isIndex(index))
      throw new RaftConfigError(`compact(${String(index)}): not a non-negative integer`);
    if (index <= this.log.snapshotIndex()) return false;
    // applied <= stable holds (only durable entries are handed out to be applied, and
    // truncation never reaches below commit); both are checked, as dropping an entry
    // that is not on disk yet would lose it.
    const bound = Math.min(this.log.appliedIndex(), this.log.stableIndex());
    if (index > bound)
      throw new RaftConfigError(
        `compact(${index}) beyond the applied index ${this.log.appliedIndex()} (stable ${this.log.stableIndex()}): only applied entries can be in a snapshot`,
      );
    this.log.compact(index);
    this.configs.compacted(index);
    return true;
  }

  /**
   * The configuration in force right after entry `index`, which must lie between the
   * snapshot index and the last index: what the runtime stores with a compacted log's
   * start, and sends with a snapshot ending at `index`.
   */
  membershipAt(index: number): Membership {
    if (!isIndex(index) || index < this.log.snapshotIndex() || index > this.log.lastIndex())
      throw new RaftConfigError(
        `membershipAt(${String(index)}): outside the log [${this.log.snapshotIndex()}, ${this.log.lastIndex()}]`,
      );
    const membership = this.configs.at(index);
    if (membership === undefined)
      throw new RaftConfigError(
        `membershipAt(${index}): unknown here (this node joined a running cluster and learned the configuration of a later point)`,
      );
    return membership;
  }

  /**
   * Whether `membershipAt(index)` is known: not on a node that joined a running cluster,
   * before the point whose configuration it learned (InitialState.membershipFrom) and
   * before any config entry it holds. The runtime compacts only where it is.
   */
  knowsMembershipAt(index: number): boolean {
    return (
      isIndex(index) &&
      index >= this.log.snapshotIndex() &&
      index <= this.log.lastIndex() &&
      this.configs.at(index) !== undefined
    );
  }

  /** The configuration in force (the newest in the log, committed or not). */
  membership(): Membership {
    return this.configs.latest();
  }

  /**
   * Leader: the runtime's outcome of sending a snapshot to `to` (Ready.snapshotsToSend).
   * `finished` means the follower has installed it (its `installSnapshot` accepted
   * it), not merely that the bytes left; `failed`, anything else. Either way the
   * follower goes back to probing — from just after the requested snapshot index when
   * finished (etcd's BecomeProbe), from its match index when failed, which asks for a
   * snapshot again if it still needs one. The probe waits to hear from the follower
   * (its acknowledgement of the install, or a heartbeat response), as etcd does: so
   * a failed transfer is retried at most once per heartbeat round, not in a loop.
   *
   * Returns false, changing nothing, when this node is not the leader or `to` is not
   * in the snapshot state (a report from an earlier term, or the follower's
   * acknowledgement came first).
   */
  reportSnapshot(to: NodeId, outcome: 'finished' | 'failed'): boolean {
    if (outcome !== 'finished' && outcome !== 'failed')
      throw new RaftConfigError(`reportSnapshot: unknown outcome ${JSON.stringify(outcome)}`);
    if (this.role !== 'leader' || to === this.id) return false;
    const pr = this.progress.get(to);
    if (pr === undefined || pr.state !== 'snapshot') return false;
    if (outcome === 'failed') pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true;
    return true;
  }

  /**
   * Follower: whether to restore a snapshot that leader `from` of term `term` offers,
   * ending at `index`. The runtime asks BEFORE it overwrites the state machine, and
   * must then call `installSnapshot` with no `tick`, `step`, `propose` or `readIndex`
   * in between (queue them), so that the answer still holds: restoring a snapshot the
   * core then refuses would leave the state machine where the log is not.
   *
   * False for a snapshot of an older term, one at or below this node's commit index
   * (it has those entries: a stale snapshot must never move the state machine
   * backwards, §7 receiver step 5), and one no correct leader could send (reported in
   * Ready.rejectedMessages as type 'InstallSnapshot'; see `snapshotRejection`).
   */
  wantsSnapshot(from: NodeId, term: number, index: number): boolean {
    const offer = { from, term, index };
    const reason = this.snapshotRejection(offer, false);
    if (reason !== undefined) {
      this.reject(offer, 'InstallSnapshot', reason);
      return false;
    }
    return !this.snapshotStale(offer);
  }

  /**
   * Follower: the runtime has restored the snapshot `offer` into the state machine
   * (after `wantsSnapshot` said yes; all of `offer` comes from the network and is
   * checked again here). Like an AppendEntries from the leader, it adopts its term and
   * leader and resets the election timer. The log then starts after (index,
   * snapshotTerm): entries after it are kept when the log holds that entry (§7,
   * receiver steps 6-7), else the whole log is discarded; commit and applied become
   * `index`, so no Ready hands out committed entries up to it again.
   *
   * The next Ready carries `snapshotInstalled` (the runtime drops its stored entries
   * up to `index`, or all of them, before that Ready's write) and, in
   * `messagesAfterAppend`, an AppendEntriesResponse with matchIndex = index: it
   * promises the snapshot is durable, which holds once the state machine is restored
   * and the stored log's new start written. Returns false, changing nothing (but
   * Ready.rejectedMessages), when the offer is refused: see `wantsSnapshot`.
   */
  installSnapshot(offer: SnapshotOffer): boolean {
    const reason = this.snapshotRejection(offer, true);
    if (reason !== undefined) {
      this.reject(offer, 'InstallSnapshot', reason);
      return false;
    }
    if (this.snapshotStale(offer)) return false;
    // As `step` does for an AppendEntries: a newer term makes us its follower; a
    // (pre-)candidate of this term returns to follower (§5.2).
    if (offer.term > this.term || this.role !== 'follower')
      this.becomeFollower(offer.term, offer.from);
    this.electionElapsed = 0;
    this.leaderId = offer.from;
    const logRetained = this.log.restore(offer.index, offer.snapshotTerm);
    // Checked by snapshotRejection; copied in canonical form, as the network's object may change.
    const membership = canonicalMembership((offer.membership ?? this.configs.latest()).members);
    this.configs.restored(offer.index, membership, logRetained);
    this.refreshMembership();
    // A second install before the next Ready: its reset must also drop what the
    // first one kept, if the first kept entries and this one does not.
    this.snapshotInstalled = {
      index: offer.index,
      term: offer.snapshotTerm,
      logRetained: logRetained && (this.snapshotInstalled?.logRetained ?? true),
      membership,
    };
    this.send({
      type: 'AppendEntriesResponse',
      to: offer.from,
      term: this.term,
      success: true,
      matchIndex: offer.index,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    return true;
  }

  // -------------------------------------------------------------------------
  // Outputs
  // -------------------------------------------------------------------------

  /**
   * Whether a Ready is waiting. `limits.maxCommittedEntries` caps the committed entries
   * a Ready hands out (the runtime's room for entries not yet applied); with no room,
   * committed entries alone make no Ready, and messages, appends and the hard state
   * keep flowing (a follower whose state machine lags still answers its leader).
   */
  hasReady(limits: ReadyLimits = {}): boolean {
    if (this.outstanding !== undefined) return false;
    this.flush();
    return (
      this.softStateChanged() ||
      this.hardStateChanged() ||
      this.log.hasUnstable() ||
      this.msgs.length > 0 ||
      this.msgsAfterAppend.length > 0 ||
      this.log.hasNextCommittedEntries(limits.maxCommittedEntries) ||
      this.readStates.length > 0 ||
      this.rejected.length > 0 ||
      this.snapshotsToSend.length > 0 ||
      this.snapshotInstalled !== undefined ||
      this.configs.latest() !== this.prevMembership
    );
  }

  ready(limits: ReadyLimits = {}): Ready {
    invariant(this.outstanding === undefined, 'ready() called again before advance()');
    this.flush();
    const hs = this.hardState();
    const ss = this.softState();
    const hardChanged = this.hardStateChanged();
    if (hardChanged) {
      invariant(hs.term >= this.prevHardState.term, 'term moved backwards');
      invariant(
        hs.commit >= this.prevHardState.commit,
        () => `commit moved backwards: ${this.prevHardState.commit} → ${hs.commit}`,
      );
    }
    const entries = this.log.unstableEntries();
    const rd: Ready = {
      ...(this.softStateChanged() ? { softState: ss } : {}),
      ...(hardChanged ? { hardState: hs } : {}),
      entries,
      messages: this.msgs,
      messagesAfterAppend: this.msgsAfterAppend,
      committedEntries: this.log.nextCommittedEntries(limits.maxCommittedEntries),
      readStates: this.readStates,
      rejectedMessages: this.rejected,
      mustSync:
        entries.length > 0 ||
        hs.term !== this.prevHardState.term ||
        hs.vote !== this.prevHardState.vote ||
        this.snapshotInstalled !== undefined,
      snapshotsToSend: this.snapshotsToSend,
      ...(this.snapshotInstalled !== undefined
        ? { snapshotInstalled: this.snapshotInstalled }
        : {}),
      ...(this.configs.latest() !== this.prevMembership && { membership: this.configs.latest() }),
    };
    this.prevMembership = this.configs.latest();
    this.msgs = [];
    this.msgsAfterAppend = [];
    this.readStates = [];
    this.rejected = [];
    this.snapshotsToSend = [];
    this.snapshotInstalled = undefined;
    this.prevHardState = hs;
    this.prevSoftState = ss;
    this.log.markHandedOut();
    this.outstanding = rd;
    return rd;
  }

  /** The runtime has persisted, sent and applied `rd` (see Ready for the order). */
  advance(rd: Ready): void {
    invariant(
      rd === this.outstanding,
      'advance() called with a Ready that is not the outstanding one',
    );
    this.outstanding = undefined;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) this.log.appliedTo(lastApplied.index);
    if (this.role === 'leader') {
      // Our own copy counts towards a majority only once it is on our disk, so
      // that "committed" implies "durable on a majority" (thesis §10.2.1 allows
      // the leader to write in parallel, but it must not count itself before).
      const self = this.progress.get(this.id)!;
      if (self.maybeUpdate(this.log.stableIndex())) this.maybeCommit();
    }
  }

  /** Role, leader, term, commit and last index without copying replication progress: cheap enough for every request and every Ready. */
  basicStatus(): {
    role: Role;
    leaderId: NodeId | undefined;
    term: number;
    commitIndex: number;
    lastIndex: number;
    transferee: NodeId | undefined;
  } {
    return {
      role: this.role,
      leaderId: this.leaderId,
      term: this.term,
      commitIndex: this.log.commitIndex(),
      lastIndex: this.log.lastIndex(),
      transferee: this.leadTransferee,
    };
  }

  status(): RaftStatus {
    let progress: Record<NodeId, PeerProgress> | undefined;
    if (this.role === 'leader') {
      progress = {};
      for (const [id, pr] of this.progress) progress[id] = pr.snapshot();
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leaderId: this.leaderId,
      commitIndex: this.log.commitIndex(),
      appliedIndex: this.log.appliedIndex(),
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      firstIndex: this.log.firstIndex(),
      snapshotIndex: this.log.snapshotIndex(),
      stableIndex: this.log.stableIndex(),
      rejectedMessages: this.rejectedTotal,
      membership: this.configs.latest(),
      membershipIndex: this.configs.latestIndex(),
      ...(this.leadTransferee !== undefined && { transferee: this.leadTransferee }),
      ...(progress !== undefined ? { progress } : {}),
    };
  }

  /**
   * Term of the log entry at `index`: the snapshot term at the snapshot index (0 for
   * index 0 without a snapshot); undefined below it (compacted) and beyond the log.
   * For diagnostics and tests.
   */
  logTerm(index: number): number | undefined {
    return this.log.term(index);
  }

  /** In-memory log entries [lo, hi] (inclusive, clipped). For diagnostics and tests. */
  logEntries(lo: number, hi: number): Entry[] {
    return this.log.slice(lo, hi);
  }

  // -------------------------------------------------------------------------
  // Hooks that fault-injection tests override to prove the checkers are not
  // vacuous. Production code never overrides them.
  // -------------------------------------------------------------------------

  /**
   * §5.4.2 (Figure 8): a leader commits an entry by counting replicas only if the
   * entry is from its current term; earlier entries are committed indirectly.
   */
  protected commitAllowedByCounting(entryTerm: number, currentTerm: number): boolean {
    return entryTerm === currentTerm;
  }

  /**
   * §5.2: at most one vote per term, first come first served. `votedFor` is our
   * vote in `currentTerm` (after any term update caused by the request).
   */
  protected voteAllowed(
    candidate: NodeId,
    votedFor: NodeId | undefined,
    leaderKnown: boolean,
    isPreVote: boolean,
    requestTerm: number,
    currentTerm: number,
  ): boolean {
    return (
      votedFor === candidate ||
      (votedFor === undefined && !leaderKnown) ||
      // A pre-vote for a future term does not bind us (we do not record it).
      (isPreVote && requestTerm > currentTerm)
    );
  }

  // -------------------------------------------------------------------------
  // Role transitions
  // -------------------------------------------------------------------------

  private becomeFollower(term: number, leaderId: NodeId | undefined): void {
    this.reset(term);
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'leader cannot become pre-candidate');
    // Thesis §9.6: no term change and no vote: a rejected pre-election leaves no trace.
    this.role = 'pre-candidate';
    this.leaderId = undefined;
    this.votes = new Map();
    this.resetElectionTimer();
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', 'leader cannot become candidate');
    this.reset(this.term + 1); // §5.2: increment currentTerm …
    this.vote = this.id; // … and vote for self.
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    const last = this.log.lastIndex();
    const self = new Progress(last + 1, this.config.maxInflightMessages);
    self.match = this.log.stableIndex();
    self.recentActive = true;
    this.progress.set(this.id, self);
    this.syncProgress();
    // §8: append a no-op so that an entry of this term gets committed soon; until
    // then earlier entries cannot be known committed (§5.4.2) and ReadIndex waits.
    this.log.append({ index: last + 1, term: this.term, type: 'noop', data: EMPTY });
  }

  /** Clears per-role state; a new term also clears the vote (§5.1 / Figure 2). */
  private reset(term: number): void {
    invariant(term >= this.term, () => `term moving backwards: ${this.term} → ${term}`);
    if (term !== this.term) {
      this.term = term;
      this.vote = undefined;
    }
    this.leaderId = undefined;
    this.resetElectionTimer();
    this.heartbeatElapsed = 0;
    this.votes = new Map();
    this.progress.clear();
    this.readOnly.reset();
    this.readsAwaitingCommit = [];
    this.pendingReadHeartbeat = false;
    this.leadTransferee = undefined;
    this.transferElapsed = 0;
    this.leaving = false;
    // Requests of a leadership that is over: the runtime must not act on them.
    this.snapshotsToSend = [];
  }

  /** §5.2: a fresh random timeout in [electionTick, 2*electionTick) avoids repeated split votes. */
  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    const r = this.config.random();
    invariant(r >= 0 && r < 1, () => `random() returned ${r}, outside [0, 1)`);
    this.randomizedElectionTimeout =
      this.config.electionTick + Math.floor(r * this.config.electionTick);
  }

  // -------------------------------------------------------------------------
  // Timers
  // -------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      if (this.promotable()) this.campaign();
      // A learner, or a removed node, does not stand; but a leader silent for a whole
      // election timeout is gone: forgotten, so that this node no longer believes itself
      // in its lease and answers the PreVotes it must answer as a voter of a newer
      // configuration it has not received yet (found by the simulator).
      else {
        this.leaderId = undefined;
        this.resetElectionTimer();
      }
    }
  }

  /** Whether this node votes in the configuration in force. */
  private isVoter(): boolean {
    return this.voters.includes(this.id);
  }

  /**
   * Whether this node may stand for election: it votes in the configuration in force,
   * or that configuration removed it and is not committed yet. Thesis §4.2.2: "a server
   * that is not part of its own latest configuration should still start new elections,
   * as it might still be needed until the Cnew entry is committed"; it may hold the only
   * log the remaining voters would vote for (found by the simulator: voters {a, b}, a
   * removes itself and loses leadership before b has the change: b needs a's vote under
   * the old configuration and a refuses it, as b's log is behind). Its own vote counts
   * in no tally: it needs a majority of the new voters.
   */
  private promotable(): boolean {
    if (this.isVoter()) return true;
    const latest = this.configs.latestIndex();
    const before = latest > this.log.commitIndex() ? this.configs.at(latest - 1) : undefined;
    return before !== undefined && votersOf(before).includes(this.id);
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.leadTransferee !== undefined && ++this.transferElapsed >= this.config.electionTick) {
      // The transferee did not take over within an election timeout: lead on.
      this.endTransfer();
    }
    if (this.leaving && this.leadTransferee === undefined) {
      // Removed, and no voter took over: step down; the voters elect one themselves.
      this.becomeFollower(this.term, undefined);
      return;
    }
    if (this.electionElapsed >= this.config.electionTick) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) {
        // Thesis §6.2: a leader that has not heard from a majority within an
        // election timeout steps down, so clients stop waiting on a leader that a
        // partition has made useless (and lease-style reasoning stays sound).
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, undefined);
          return;
        }
        for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
      }
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
    if (this.config.commitNoticeOnTick) {
      // A commit index that no message has carried yet goes out on its own now.
      const commit = this.log.commitIndex();
      for (const [id, pr] of this.progress)
        if (id !== this.id && pr.commitSent < commit) pr.pendingEmptyAppend = true;
    }
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const v of this.voters) if (this.progress.get(v)?.recentActive === true) active++;
    return active >= majority(this.voters.length);
  }

  /**
   * Whether we heard from a leader within the (minimum) election timeout. Leaders
   * count themselves. For RequestVote only with check-quorum (see `step`).
   */
  private inLease(isPreVote: boolean): boolean {
    if (!isPreVote && !this.config.checkQuorum) return false;
    // A node that just started may have acknowledged a leader's heartbeat before it
    // went down, and that leader may still count on it for its lease (thesis §6.4.1):
    // it waits one election timeout before it helps elect anyone else.
    if (this.config.voteQuietAfterStart && this.ticksSinceStart < this.config.electionTick)
      return true;
    return this.leaderId !== undefined && this.electionElapsed < this.config.electionTick;
  }

  // -------------------------------------------------------------------------
  // Elections (§5.2, thesis §9.6)
  // -------------------------------------------------------------------------

  /** TimeoutNow from our leader: campaign at once, past pre-vote and leader stickiness. */
  private campaignForTransfer(): void {
    this.becomeCandidate();
    this.requestVotes(false, true);
  }

  private campaign(): void {
    if (this.config.preVote) {
      this.becomePreCandidate();
      this.requestVotes(true);
    } else {
      this.becomeCandidate();
      this.requestVotes(false);
    }
  }

  private requestVotes(preVote: boolean, transfer = false): void {
    // Our own vote first: in a single-node cluster this wins at once.
    if (this.poll(this.id, true)) return;
    const type = preVote ? 'PreVote' : 'RequestVote';
    const term = preVote ? this.term + 1 : this.term;
    for (const v of this.voters) {
      if (v === this.id) continue;
      this.send({
        type,
        to: v,
        term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        ...(transfer && { transfer: true }),
      });
    }
  }

  /** Records a vote; returns true if the (pre-)election was decided by it. */
  private poll(from: NodeId, granted: boolean): boolean {
    this.votes.set(from, granted);
    const result = tallyVotes(this.voters, this.votes);
    if (result === 'won') {
      if (this.role === 'pre-candidate') {
        this.becomeCandidate();
        this.requestVotes(false);
      } else {
        this.becomeLeader();
      }
      return true;
    }
    if (result === 'lost') {
      this.becomeFollower(this.term, undefined);
      return true;
    }
    return false;
  }

  private handleVoteRequest(m: PreVoteMessage | RequestVoteMessage): void {
    const isPreVote = m.type === 'PreVote';
    const responseType = isPreVote ? 'PreVoteResponse' : 'RequestVoteResponse';
    const canVote = this.voteAllowed(
      m.from,
      this.vote,
      this.leaderId !== undefined,
      isPreVote,
      m.term,
      this.term,
    );
    // §5.4.1: grant only to a candidate whose log is at least as up to date as ours.
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      // Answer with the request's term: for a pre-vote our own term may be lower
      // and the pre-candidate would drop the answer as stale.
      this.send({ type: responseType, to: m.from, term: m.term, granted: true });
      if (!isPreVote) {
        // The grant goes to Ready.messagesAfterAppend: it reaches the candidate only
        // after Ready.hardState (holding the vote) was persisted, so one vote per
        // term survives crashes (§5.2, Figure 2).
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, to: m.from, term: this.term, granted: false });
    }
  }

  // -------------------------------------------------------------------------
  // Log replication: follower side (§5.3)
  // -------------------------------------------------------------------------

  private handleAppendEntries(msg: AppendEntriesMessage): void {
    let m = msg;
    const snapshotIndex = this.log.snapshotIndex();
    if (m.prevLogIndex < snapshotIndex) {
      // It starts inside our snapshot (a leader probing from an old guess, or a
      // message sent before we installed it). Entries up to the snapshot index are
      // committed, so the leader holds the same ones (Leader Completeness, §5.4;
      // `rejection` has checked the one at the snapshot index): skip them and check
      // the rest from the snapshot point, whose term we still know. (etcd answers such
      // a message with its commit index.)
      m = {
        ...m,
        prevLogIndex: snapshotIndex,
        prevLogTerm: this.log.snapshotTerm(),
        entries: m.entries.filter((e) => e.index > snapshotIndex),
      };
    }
    // `rejection` has checked the entries' shape and that they overwrite nothing committed.
    // Consistency check (§5.3): we must hold prevLogIndex with prevLogTerm.
    const ourPrevTerm = this.log.term(m.prevLogIndex);
    if (ourPrevTerm !== m.prevLogTerm) {
      // Fast back-off (§5.3, "the follower can include the term of the conflicting
      // entry and the first index it stores for that term"): the leader can then
      // skip a whole term per round trip instead of one entry.
      const tooShort = ourPrevTerm === undefined;
      this.send({
        type: 'AppendEntriesResponse',
        to: m.from,
        term: this.term,
        success: false,
        matchIndex: 0,
        rejectedIndex: m.prevLogIndex,
        conflictTerm: tooShort ? 0 : ourPrevTerm,
        hintIndex: tooShort ? this.log.lastIndex() : this.log.firstIndexOfTermAt(m.prevLogIndex),
      });
      return;
    }
    // Truncates only at a real conflict (see RaftLog.appendFromLeader): a stale or
    // reordered message whose entries we already hold changes nothing.
    this.log.appendFromLeader(m.entries);
    this.trackConfigEntries(m.entries);
    // The entries verified by THIS message end at lastVerified; beyond it our log may
    // still hold entries the leader will overwrite, so we must not commit past it
    // even if leaderCommit is larger (Figure 2, receiver step 5). commitTo never lowers.
    const lastVerified = m.prevLogIndex + m.entries.length;
    this.log.commitTo(Math.min(m.leaderCommit, lastVerified));
    // Goes to Ready.messagesAfterAppend, sent once the Ready holding these entries
    // is persisted: a success means durable (§5.3; the leader counts it to commit).
    this.send({
      type: 'AppendEntriesResponse',
      to: m.from,
      term: this.term,
      success: true,
      matchIndex: lastVerified,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
  }

  /**
   * After entries from a leader were appended: the configurations of entries truncated
   * away are forgotten (the one before is in force again), those of new config entries
   * come into force (thesis §4.1).
   */
  private trackConfigEntries(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const before = this.configs.latest();
    this.configs.truncated(first.index, (i) => this.log.term(i));
    for (const e of entries) {
      if (e.type !== 'config' || e.index <= this.configs.latestIndex()) continue;
      const decoded = decodeMembership(e.data);
      invariant(decoded.ok, () => `config entry ${e.index} passed the checks but fails to decode`);
      this.configs.appended(e.index, e.term, decoded.membership);
    }
    if (this.configs.latest() !== before) this.refreshMembership();
  }

  /** The voters and members of the configuration in force, and the leader's progress for them. */
  private refreshMembership(): void {
    const m = this.configs.latest();
    this.voters = votersOf(m);
    this.members = m.members.map((x) => x.id);
    if (this.role === 'leader') this.syncProgress();
  }

  /**
   * Leader: progress for every member (new ones start probing after our log), none for
   * those removed (no more messages go to them); then commit what the new quorum allows.
   */
  private syncProgress(): void {
    const last = this.log.lastIndex();
    for (const id of this.members) {
      if (!this.progress.has(id))
        this.progress.set(id, new Progress(last + 1, this.config.maxInflightMessages));
    }
    for (const id of [...this.progress.keys()]) {
      if (id !== this.id && !this.members.includes(id)) this.progress.delete(id);
    }
    if (this.leadTransferee !== undefined && !this.voters.includes(this.leadTransferee))
      this.endTransfer();
    if (this.voters.every((v) => this.progress.has(v))) this.maybeCommit();
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    // The leader sends min(its commit, our matchIndex): entries up to our matchIndex
    // were verified by an earlier AppendEntries of this term, are durable here, and
    // can only be truncated by a leader of a later term — whose messages would then
    // have raised our term above this heartbeat's. So this commit is verified too
    // (`rejection` has dropped a heartbeat whose commit lies beyond our log).
    this.log.commitTo(m.commit);
    // Goes to Ready.messages, ahead of the disk write: it only confirms our term for
    // a ReadIndex round (thesis §6.4) and says nothing about our log.
    this.send({
      type: 'HeartbeatResponse',
      to: m.from,
      term: this.term,
      readContext: m.readContext,
    });
  }

  // -------------------------------------------------------------------------
  // Log replication: leader side
  // -------------------------------------------------------------------------

  private handleAppendEntriesResponse(m: AppendEntriesResponseMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (!m.success) {
      if (pr.maybeDecrTo(m.rejectedIndex, this.nextFromHint(m))) {
        // Send the next probe right away rather than waiting for the flush of
        // another input: it is the only way forward for this follower.
        this.sendAppend(m.from, pr, true);
      }
      return;
    }
    if (pr.maybeUpdate(m.matchIndex)) {
      // In the snapshot state, the follower acknowledging the snapshot (or anything
      // beyond it) ends it: `match` is now a known match point, as after a probe.
      if (pr.state === 'probe' || (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot))
        pr.becomeReplicate();
      this.maybeCommit();
    }
    // The transferee holds our whole log (no proposal is appended meanwhile): its turn.
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex())
      this.sendTimeoutNow(m.from);
    if (pr.state === 'replicate') pr.inflights.freeLE(m.matchIndex);
  }

  /**
   * Where to probe next after a rejection. If we hold entries of the follower's
   * conflicting term, our last one of that term is the best guess of where our logs
   * agree; otherwise skip the follower's whole conflicting term.
   */
  private nextFromHint(m: AppendEntriesResponseMessage): number {
    if (m.conflictTerm === 0) return m.hintIndex + 1;
    const ourLast = this.log.lastIndexOfTerm(m.conflictTerm, m.rejectedIndex);
    return ourLast > 0 ? ourLast + 1 : m.hintIndex;
  }

  private handleHeartbeatResponse(m: HeartbeatResponseMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    // The follower is reachable: let a stalled probe go again, and free one slot of a
    // full pipeline. If AppendEntries were lost, the next one exposes the gap (it is
    // rejected) and the follower drops back to probe — otherwise replication to it
    // could stall forever.
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, pr, true);
    if (m.readContext !== 0) {
      for (const rs of this.readOnly.recvAck(m.from, m.readContext, (acks) => this.hasQuorum(acks)))
        this.readStates.push(rs);
    }
  }

  /**
   * Commit rule (§5.3, §5.4.2): the highest index stored on a majority, if it is an
   * entry of the current term. Entries of earlier terms are committed indirectly
   * with it (Log Matching), never by counting (Figure 8).
   */
  private maybeCommit(): void {
    const matches = this.voters.map((v) => this.progress.get(v)!.match);
    const index = quorumMatchIndex(matches);
    if (index <= this.log.commitIndex()) return;
    if (!this.commitAllowedByCounting(this.log.term(index)!, this.term)) return;
    const wasCommittedInTerm = this.committedInCurrentTerm();
    this.log.commitTo(index);
    // Tell followers promptly (the next flush sends it with an empty AppendEntries
    // where that cannot be mistaken for a gap), or on the next tick (commitNoticeOnTick).
    if (!this.config.commitNoticeOnTick)
      for (const [id, pr] of this.progress) if (id !== this.id) pr.pendingEmptyAppend = true;
    if (!wasCommittedInTerm && this.committedInCurrentTerm()) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const requestId of waiting) this.startRead(requestId);
    }
    if (!this.isVoter() && this.configs.latestIndex() <= this.log.commitIndex()) this.leave();
  }

  /**
   * The configuration that removed this leader is committed (thesis §4.2.2: until then it
   * led without counting itself): hand leadership to the most up-to-date voter, which
   * campaigns on TimeoutNow as soon as it holds our whole log, instead of leaving the
   * cluster an election timeout without a leader. Proposals are refused meanwhile;
   * `tickHeartbeat` steps down if nobody took over within an election timeout.
   */
  private leave(): void {
    if (this.leaving) return;
    this.leaving = true;
    let best: NodeId | undefined;
    for (const v of this.voters) {
      const match = this.progress.get(v)?.match ?? -1;
      if (best === undefined || match > this.progress.get(best)!.match) best = v;
    }
    if (best === undefined) {
      this.becomeFollower(this.term, undefined);
      return;
    }
    this.endTransfer();
    this.leadTransferee = best;
    this.transferElapsed = 0;
    const pr = this.progress.get(best)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(best);
    else this.sendAppend(best, pr, true);
  }

  /** Whether `ids` hold a majority of the voters in force. */
  private hasQuorum(ids: ReadonlySet<NodeId>): boolean {
    let count = 0;
    for (const v of this.voters) if (ids.has(v)) count++;
    return count >= majority(this.voters.length);
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.commitIndex()) === this.term;
  }

  /**
   * Sends one AppendEntries from `pr.next` if the flow control allows. Returns
   * whether a message was sent.
   */
  private sendAppend(to: NodeId, pr: Progress, allowEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const prevLogIndex = pr.next - 1;
    if (prevLogIndex < this.log.snapshotIndex()) {
      // The follower needs entries we compacted (their terms too, so not even the
      // consistency check could be made): it must get a snapshot (§7).
      this.requestSnapshot(to, pr);
      return false;
    }
    const prevLogTerm = this.log.term(prevLogIndex);
    invariant(
      prevLogTerm !== undefined,
      () => `next index ${pr.next} for ${to} is beyond our log ${this.log.lastIndex()}`,
    );
    const entries = this.log.batchFrom(
      pr.next,
      this.config.maxEntriesPerMessage,
      this.config.maxBytesPerMessage,
    );
    if (entries.length === 0 && !allowEmpty) return false;
    this.send({
      type: 'AppendEntries',
      to,
      term: this.term,
      prevLogIndex,
      prevLogTerm,
      entries,
      leaderCommit: this.log.commitIndex(),
    });
    pr.sentEntries(prevLogIndex + entries.length, entries.length);
    pr.pendingEmptyAppend = false;
    pr.commitSent = Math.max(pr.commitSent, this.log.commitIndex());
    return true;
  }

  /**
   * Sends whatever replication the flow control allows: in probe one message, in
   * replicate as many batches as the inflight window holds (pipelining). Called when
   * a Ready is assembled, so proposals made since the last Ready travel together
   * (batching).
   */
  private flush(): void {
    if (this.role !== 'leader') return;
    const last = this.log.lastIndex();
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // An empty AppendEntries at an optimistic next-1 could overtake the messages
      // in flight and be rejected spuriously; only send it when nothing is in flight.
      if (pr.pendingEmptyAppend && (pr.state === 'probe' || pr.next - 1 === pr.match))
        this.sendAppend(id, pr, true);
      while (pr.next <= last && this.sendAppend(id, pr, false)) {
        if (pr.state === 'probe') break;
      }
    }
    if (this.pendingReadHeartbeat) {
      this.pendingReadHeartbeat = false;
      this.bcastHeartbeat();
    }
  }

  /**
   * Puts `to` in the snapshot state (no AppendEntries until it ends) and asks the
   * runtime, once per transition, for a snapshot covering our snapshot index — the
   * lowest from which our log can go on.
   */
  private requestSnapshot(to: NodeId, pr: Progress): void {
    const index = this.log.snapshotIndex();
    pr.becomeSnapshot(index);
    this.snapshotsToSend.push({ to, term: this.term, index });
  }

  private bcastHeartbeat(): void {
    const readContext = this.readOnly.lastContext();
    // This round carries the newest ReadIndex context: no extra round is needed for it.
    this.pendingReadHeartbeat = false;
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      const hb: Omit<HeartbeatMessage, 'from'> = {
        type: 'Heartbeat',
        to: id,
        term: this.term,
        commit: Math.min(pr.match, this.log.commitIndex()),
        readContext,
      };
      this.send(hb);
      pr.commitSent = Math.max(pr.commitSent, hb.commit);
    }
  }

  private startRead(requestId: string): void {
    const index = this.log.commitIndex();
    if (this.voters.length === 1 && this.voters[0] === this.id) {
      this.readStates.push({ requestId, index });
      return;
    }
    this.readOnly.add(++this.readContextSeq, requestId, index, this.id);
    // One heartbeat round for all reads registered before the next Ready.
    this.pendingReadHeartbeat = true;
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /**
   * Why this node must not act on `m`, or undefined. Everything here is something
   * no correct member sends (see the simulator, which fails a run on any
   * rejection), so dropping costs a correct cluster nothing; acting on it could
   * break safety or trip an invariant on our own state. Checked before `step`
   * changes anything, a higher term included: a rejected message has no effect.
   */
  private rejection(m: Message): string | undefined {
    const malformed = messageMalformation(m);
    if (malformed !== undefined) return `malformed: ${malformed}`;
    if (m.to !== this.id) return `addressed to ${m.to}, not to this node`;
    if (m.from === this.id) return 'claims to come from this node itself';
    // Any sender is heard, member or not: a leader may hold a configuration this node's
    // log does not have yet (it adds us, or the voter it came from), and a vote
    // counts only among the voters of the candidate's configuration.
    // Messages of an older term are only answered with our term (see step).
    if (m.term < this.term) return undefined;
    switch (m.type) {
      case 'AppendEntries':
      case 'Heartbeat':
        if (m.term === this.term) {
          // Election Safety (§5.2): one leader per term. A second one is a Byzantine or
          // misconfigured peer (or a broken vote); keep serving the leader we know.
          if (this.role === 'leader')
            return `this node is the leader of term ${m.term}: a second leader in one term`;
          if (this.leaderId !== undefined && this.leaderId !== m.from)
            return `this node follows ${this.leaderId} in term ${m.term}: a second leader in one term`;
        }
        if (m.type === 'Heartbeat') {
          // A correct leader sends at most our matchIndex (see handleHeartbeat), which
          // our log holds; a larger commit would make us apply entries we do not have.
          if (m.commit > this.log.lastIndex())
            return `heartbeat commit ${m.commit} beyond this node's last index ${this.log.lastIndex()}`;
          return undefined;
        }
        return this.committedConflict(m);
      case 'AppendEntriesResponse':
        // Our log only grows while we lead, so a follower cannot have verified more
        // than we hold; such a match would make us send from beyond our own log.
        if (
          this.role === 'leader' &&
          m.term === this.term &&
          m.success &&
          m.matchIndex > this.log.lastIndex()
        )
          return `matchIndex ${m.matchIndex} beyond the leader's last index ${this.log.lastIndex()}`;
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Leader Completeness (§5.4): a leader's log holds every committed entry, so a
   * consistent AppendEntries never conflicts with one of ours at or below our
   * commit index. One that does would make us truncate a committed entry.
   */
  private committedConflict(m: AppendEntriesMessage): string | undefined {
    const snapshotIndex = this.log.snapshotIndex();
    // Below the snapshot index our terms are gone, but those entries are committed:
    // the message is checked from the snapshot point on (see handleAppendEntries).
    if (m.prevLogIndex >= snapshotIndex && this.log.term(m.prevLogIndex) !== m.prevLogTerm)
      return undefined; // rejected normally
    for (const e of m.entries) {
      if (e.index < snapshotIndex) continue;
      const ours = this.log.term(e.index);
      if (ours === undefined) return undefined;
      if (ours !== e.term) {
        return e.index <= this.log.commitIndex()
          ? `entry ${e.index} of term ${e.term} conflicts with this node's committed entry of term ${ours}`
          : undefined;
      }
    }
    return undefined;
  }

  /**
   * Why this node must not install a snapshot that `offer.from` offers, or
   * undefined: the checks `rejection` makes for an AppendEntries, as the snapshot
   * stands for one (§7). Every field comes from the network; `snapshotTerm` is
   * checked only with `withTerm` (wantsSnapshot is not given it).
   */
  private snapshotRejection(
    offer: Omit<SnapshotOffer, 'snapshotTerm' | 'membership'> & {
      readonly snapshotTerm?: number;
      readonly membership?: Membership;
    },
    withTerm: boolean,
  ): string | undefined {
    const { from, term, index, snapshotTerm } = offer;
    if (typeof from !== 'string' || from === '') return '`from` must be a non-empty string';
    if (from === this.id) return 'claims to come from this node itself';
    if (!isIndex(term) || !isIndex(index) || index === 0)
      return `malformed: term ${String(term)} and index ${String(index)} must be integers (index >= 1)`;
    if (withTerm && (!isIndex(snapshotTerm) || snapshotTerm === 0 || snapshotTerm > term))
      return `malformed: snapshotTerm ${String(snapshotTerm)} outside [1, ${term}] (the message term)`;
    if (withTerm && offer.membership !== undefined) {
      const problem = membershipProblem(offer.membership);
      if (problem !== undefined) return `malformed: the snapshot's configuration: ${problem}`;
    }
    if (term < this.term) return undefined; // stale, see snapshotStale
    if (term === this.term) {
      // Election Safety (§5.2), as for AppendEntries.
      if (this.role === 'leader')
        return `this node is the leader of term ${term}: a second leader in one term`;
      if (this.leaderId !== undefined && this.leaderId !== from)
        return `this node follows ${this.leaderId} in term ${term}: a second leader in one term`;
    }
    if (!withTerm || snapshotTerm === undefined) return undefined;
    // A snapshot holds only committed entries, ours included (Leader Completeness).
    const commit = this.log.commitIndex();
    const ours = this.log.term(index);
    if (index <= commit && ours !== undefined && ours !== snapshotTerm)
      return `snapshot ends at (${index}, ${snapshotTerm}) but this node's committed entry ${index} has term ${ours}`;
    const committedTerm = this.log.term(commit)!;
    if (index > commit && snapshotTerm < committedTerm)
      return `snapshot ends at (${index}, ${snapshotTerm}), before this node's committed entry ${commit} of term ${committedTerm}`;
    return undefined;
  }

  /**
   * A snapshot from a correct leader that is of no use any more: of an older term
   * (§7 receiver step 1), or at or below our commit index — we hold those entries,
   * and restoring it could move the state machine backwards.
   */
  private snapshotStale(offer: { term: number; index: number }): boolean {
    return offer.term < this.term || offer.index <= this.log.commitIndex();
  }

  private reject(m: { from: NodeId; term: unknown }, type: MessageType, reason: string): void {
    this.rejectedTotal++;
    const sender = this.members.includes(m.from) ? m.from : '';
    const seen = this.rejectedBySender.get(sender) ?? { count: 0, reportAt: 1 };
    seen.count++;
    this.rejectedBySender.set(sender, seen);
    // Report the 1st, 2nd, 4th, 8th, … of each sender: see RejectedMessage.count.
    if (seen.count < seen.reportAt || this.rejected.length >= MAX_REJECTIONS_PER_READY) return;
    seen.reportAt *= 2;
    this.rejected.push({
      from: String(m.from),
      type,
      // A malformed message's term may not even be a number; the log line must still print.
      term: isIndex(m.term) ? m.term : -1,
      reason,
      count: seen.count,
    });
  }

  /**
   * Queues `m` for the next Ready, in the list that says when it may leave (see
   * SENDABLE_BEFORE_PERSIST): the send-before-persist rule is decided here, once,
   * rather than by each runtime.
   */
  private send(m: Outgoing): void {
    const msg = { ...m, from: this.id } as Message;
    if (SENDABLE_BEFORE_PERSIST.has(msg.type)) this.msgs.push(msg);
    else this.msgsAfterAppend.push(msg);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.commitIndex() };
  }

  private softState(): SoftState {
    return { role: this.role, leaderId: this.leaderId };
  }

  private hardStateChanged(): boolean {
    const p = this.prevHardState;
    return p.term !== this.term || p.vote !== this.vote || p.commit !== this.log.commitIndex();
  }

  private softStateChanged(): boolean {
    return this.prevSoftState.role !== this.role || this.prevSoftState.leaderId !== this.leaderId;
  }
}
