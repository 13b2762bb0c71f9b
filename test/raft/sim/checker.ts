/**
 * Safety properties checked by the simulator after every step (Raft paper
 * Figure 3, plus openraft-style monotonicity and durability checks).
 *
 * With snapshots (§7): a snapshot holds exactly the state at its point, and an
 * install leaves the state machine holding exactly the prefix every node applied
 * (State Machine Safety across installs), moving forward only (Applied Monotonic);
 * a stored log starts at or before a durable snapshot on its node (Log Compaction
 * Safety), at a committed entry, and what it keeps after its start continues it (Log
 * Matching); a node restarts consistent from whatever a crash left (Restart
 * Consistency). Entries below a node's snapshot point are checked through its state,
 * not its log.
 *
 * With membership changes (thesis §4): nodes join and leave, so every majority is
 * counted in the configuration it claims. Each election won and each commit is
 * recorded with the winner's (leader's) configuration and the voters that granted it
 * (whose match reached it): that set must be a majority of that configuration's voters
 * (Quorum), and a committed entry must be on the disks of such a majority. Successive
 * configurations differ by at most one voter, and a leader changes the configuration
 * only once the previous change and an entry of its own term are committed
 * (Single-Server Change): together they make any two such majorities intersect. The
 * configuration in force on a node is the newest config entry in its log, or the
 * configuration stored with its log start (Configuration in Force), which is the
 * committed one there; and every leader holds the committed configuration (Committed
 * Configuration Kept).
 *
 * The checks are incremental (each step only re-examines what the step changed)
 * so that they can run after every single event.
 */
import type { Entry, HardState, Message, NodeId } from '../../../src/raft/index.js';
import { majority } from '../../../src/raft/index.js';
import {
  decodeMembership,
  sameMembership,
  votersOf,
  type Membership,
} from '../../../src/raft/membership.js';
import type { ConfigAppended, QuorumDecision } from './decisions.js';

export type Property =
  | 'Election Safety'
  | 'Log Matching'
  | 'Leader Completeness'
  | 'State Machine Safety'
  | 'Committed Entries Durable on a Majority'
  | 'Commit Monotonic'
  | 'Applied Monotonic'
  | 'Term Monotonic'
  | 'Vote Durability'
  /**
   * A message that promises durable state — a granted RequestVoteResponse, a
   * successful AppendEntriesResponse — leaves its sender only when the sender's
   * disk already holds what it promises (Figure 2: persistent state is "updated on
   * stable storage before responding to RPCs"). Ready.messagesAfterAppend exists
   * for this; a runtime that sends them early is caught here, at the send.
   */
  | 'Promises Durable at Send'
  | 'Client Oracle'
  | 'Linearizable Read'
  /**
   * Leadership transfer (thesis §3.10): only the leader of a term sends TimeoutNow in
   * it, and only to a voter whose disk holds the leader's whole log; a transfer
   * resolves only with a node that leads a later term than the one it began in.
   */
  | 'Leadership Transfer'
  /**
   * A node's stored log starts at or before its newest durable snapshot: compaction
   * (or a reset to a received snapshot) never drops an entry that no durable
   * snapshot on that node holds.
   */
  | 'Log Compaction Safety'
  /**
   * A node restarts from whatever its disk holds after a crash at any point (also in
   * the middle of taking, receiving or installing a snapshot, or of compacting):
   * `RaftRuntime.open` succeeds, with a state machine that continues its log.
   */
  | 'Restart Consistency'
  /** The runtime broke a port's contract (overlapping writes, entries applied out of order). */
  | 'Port Contract'
  /**
   * An election was won, or an entry committed, without a majority of the voters of the
   * configuration it was counted in (the voters that granted the vote; those whose match
   * index reached the entry).
   */
  | 'Quorum'
  /**
   * A configuration differs from the one before it by more than one voter, or a leader
   * appended a change while another was uncommitted or before it had committed an entry
   * of its term (thesis §4.1 and its 2015 fix): two majorities could then be disjoint.
   */
  | 'Single-Server Change'
  /**
   * The configuration a node acts on is not the newest config entry in its log, nor
   * (when none is) the configuration at its log start, which is the committed one there
   * (stored with a compaction or a snapshot, or what the node started from).
   */
  | 'Configuration in Force'
  /** A leader does not hold the committed configuration (its log or its log start lost it). */
  | 'Committed Configuration Kept'
  | 'Liveness'
  | 'Core Invariant'
  /** A correct node rejected a message (Ready.rejectedMessages): every sender here is correct. */
  | 'Message Rejected'
  | 'Crash';

export class SimViolation extends Error {
  constructor(
    readonly property: Property,
    message: string,
  ) {
    super(`${property}: ${message}`);
    this.name = 'SimViolation';
  }
}

function fail(property: Property, message: string): never {
  throw new SimViolation(property, message);
}

/** A durable state-machine snapshot on a node's disk. */
export interface CheckedSnapshot {
  /** The last entry it covers, and that entry's term. */
  readonly index: number;
  readonly term: number;
  /** The state: every entry applied up to `index`, in order. Never mutated. */
  readonly state: readonly Entry[];
}

/** What the checker may look at on a simulated disk. */
export interface CheckedDisk {
  readonly hardState: HardState;
  /**
   * The stored log starts after this point ({0, 0}: not compacted), with the
   * configuration stored there, if any.
   */
  readonly logStart: {
    readonly index: number;
    readonly term: number;
    readonly membership?: Membership;
  };
  /** The stored entries after `logStart`. */
  readonly entries: readonly Entry[];
  /** The durable state machine: every entry applied, in order. */
  readonly applied: readonly Entry[];
  readonly snapshots: ReadonlyMap<number, CheckedSnapshot>;
}

/** The stored entry at `index`, if the disk holds it (not compacted, not beyond the end). */
export function diskEntry(disk: CheckedDisk, index: number): Entry | undefined {
  return index > disk.logStart.index ? disk.entries[index - disk.logStart.index - 1] : undefined;
}

/** The last index of the stored log (its start when it holds no entry). */
export function diskLastIndex(disk: CheckedDisk): number {
  return disk.logStart.index + disk.entries.length;
}

/**
 * The term the stored log has at `index`: the log start's at its start, undefined
 * beyond the end, and 'compacted' before the start.
 */
export function diskTerm(disk: CheckedDisk, index: number): number | 'compacted' | undefined {
  if (index < disk.logStart.index) return 'compacted';
  if (index === disk.logStart.index) return disk.logStart.term;
  return diskEntry(disk, index)?.term;
}

/** The durable snapshot with the highest index (what SnapshotStore.newest finds). */
export function newestSnapshot(disk: CheckedDisk): CheckedSnapshot | undefined {
  let newest: CheckedSnapshot | undefined;
  for (const s of disk.snapshots.values())
    if (newest === undefined || s.index > newest.index) newest = s;
  return newest;
}

/** What the checker may look at in a simulated node. */
export interface CheckedNode {
  readonly id: NodeId;
  readonly disk: CheckedDisk;
  /** Undefined while crashed. */
  readonly raft:
    | {
        status(): CheckedStatus;
        logTerm(index: number): number | undefined;
        logEntries(lo: number, hi: number): Entry[];
      }
    | undefined;
  /** The core of the living incarnation, once built (for the configuration at an index). */
  readonly core?: { membershipAt(index: number): Membership } | undefined;
  /** The configuration a node that joined a running cluster started from (none: the bootstrap). */
  readonly startedWith?: Membership | undefined;
}

/** What the checker reads of a node's status (RaftStatus has it all). */
export interface CheckedStatus {
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly leaderId: NodeId | undefined;
  /** The snapshot index its in-memory log starts after (entries up to it are compacted). */
  readonly snapshotIndex: number;
  /** Messages the node dropped as impossible from a correct peer (RejectedMessage). */
  readonly rejectedMessages: number;
  /** The last entry of its in-memory log (a leader's, persisted or not). */
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Leader: the voter it hands leadership to, while it does. */
  readonly transferee?: NodeId | undefined;
  /** The configuration in force, and the index of the entry that set it (the log start's for its base). */
  readonly membership: Membership;
  readonly membershipIndex: number;
}

const decoder = new TextDecoder();

/** Identity of an entry's content (index and term aside). */
export function fingerprint(e: Entry): string {
  return e.type === 'noop' ? 'noop' : decoder.decode(e.data);
}

interface NodeWatch {
  commit: number;
  term: number;
  applied: number;
  diskTerm: number;
  diskVote: NodeId | undefined;
  diskCommit: number;
  /** What 'Configuration in Force' last verified of this incarnation (undefined: nothing yet). */
  config: ConfigWatch | undefined;
}

interface ConfigWatch {
  readonly membership: Membership;
  readonly membershipIndex: number;
  readonly snapshotIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** The commit index then: entries up to it can no longer change (but by compaction). */
  readonly floor: number;
}

/** A configuration known committed, at the index of the entry that set it (0: the bootstrap). */
interface CommittedConfig {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

/** How many voters two configurations do not share (single-server changes: at most 1). */
export function voterDistance(a: Membership, b: Membership): number {
  const va = new Set(votersOf(a));
  const vb = new Set(votersOf(b));
  let d = 0;
  for (const v of va) if (!vb.has(v)) d++;
  for (const v of vb) if (!va.has(v)) d++;
  return d;
}

export function describeMembership(m: Membership): string {
  const learners = m.members.filter((x) => x.role === 'learner').map((x) => x.id);
  return `{voters ${votersOf(m).join(',')}${learners.length > 0 ? `; learners ${learners.join(',')}` : ''}}`;
}

export interface CheckerOptions {
  /** 'Vote Durability': a persisted vote never changes within a term. */
  readonly voteDurability: boolean;
  /** 'Promises Durable at Send' (see Property). */
  readonly promisesDurableAtSend: boolean;
  /** The configuration the cluster started from (the founding nodes' bootstrap). */
  readonly initialMembership: Membership;
  /**
   * 'Single-Server Change' at the leader that appends a change (its rules); the
   * configurations' own distance is always checked. Tests switch it off to show what
   * the consequences of a broken rule are caught by.
   */
  readonly singleServerRules?: boolean;
}

export class SafetyChecker {
  private readonly byId = new Map<NodeId, CheckedNode>();
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /**
   * `${term}/${index}` → the term of the entry at `index` in the log of term's
   * leader, for every index an AppendEntries of that term verified (its last one):
   * what an acknowledgement of that index in that term promises to hold.
   */
  private readonly leaderLogTerm = new Map<string, number>();
  /** committedTerm[i]: term of the entry known committed at index i. */
  private readonly committedTerm: number[] = [0];
  /** commitSeenAtTerm[i]: lowest node term at which index i was seen committed. */
  private readonly commitSeenAtTerm: number[] = [0];
  private maxCommitted = 0;
  /** Log Matching: (index/term) → content and previous entry's term, for every persisted entry. */
  private readonly persistedEntry = new Map<string, { fp: string; prevTerm: number }>();
  /** State Machine Safety: what was applied at each index (term + content). */
  private readonly appliedAt: string[] = [];
  private readonly watch = new Map<NodeId, NodeWatch>();
  /** `${index}/${term}` → the configuration of every config entry seen on a disk. */
  private readonly configEntries = new Map<string, Membership>();
  /** The configurations known committed, by index (the bootstrap at 0). */
  private readonly committedConfigs: CommittedConfig[];
  /** The highest commit decision: its entry and the voters of its configuration. */
  private commitQuorum: { index: number; term: number; voters: readonly NodeId[] } | undefined;
  leaderElections = 0;
  /** Decisions checked (elections won and commits, each counted in its configuration). */
  quorumDecisions = 0;

  constructor(
    private readonly nodes: readonly CheckedNode[],
    private readonly options: CheckerOptions,
  ) {
    this.committedConfigs = [{ index: 0, term: 0, membership: options.initialMembership }];
    for (const n of nodes) this.addNode(n);
  }

  /** A node joins the simulation (a founding member, or a fresh one that joins later). */
  addNode(n: CheckedNode): void {
    if (this.byId.has(n.id)) return;
    this.byId.set(n.id, n);
    this.watch.set(n.id, {
      commit: 0,
      term: 0,
      applied: 0,
      diskTerm: 0,
      diskVote: undefined,
      diskCommit: 0,
      config: undefined,
    });
  }

  /** The newest configuration known committed. */
  committedMembership(): { index: number; membership: Membership } {
    return this.committedConfigs[this.committedConfigs.length - 1]!;
  }

  /** The committed configuration in force at committed index `index`. */
  committedMembershipAt(index: number): Membership {
    for (let k = this.committedConfigs.length - 1; k >= 0; k--) {
      const c = this.committedConfigs[k]!;
      if (c.index <= index) return c.membership;
    }
    return this.options.initialMembership;
  }

  /** The configuration a committed config entry at `index` holds, if it is one. */
  committedConfigEntry(index: number): Membership | undefined {
    const t = this.committedTerm[index];
    return t === undefined ? undefined : this.configEntries.get(`${index}/${t}`);
  }

  /** Index `index` with term `term` is known committed: a config entry joins the chain. */
  private onCommitted(index: number, term: number): void {
    const m = this.configEntries.get(`${index}/${term}`);
    if (m === undefined) return;
    let k = this.committedConfigs.length;
    while (k > 0 && this.committedConfigs[k - 1]!.index > index) k--;
    if (this.committedConfigs[k - 1]?.index === index) return;
    const prev = this.committedConfigs[k - 1]!;
    if (voterDistance(prev.membership, m) > 1)
      fail(
        'Single-Server Change',
        `committed configuration ${describeMembership(m)} at ${index} differs by more than one voter from the committed one before it, ${describeMembership(prev.membership)} at ${prev.index}`,
      );
    this.committedConfigs.splice(k, 0, { index, term, membership: m });
  }

  /**
   * An election was won or an entry committed (seen at the deciding core): its support
   * must be a majority of the voters of the configuration it was counted in, and a
   * commit's supporters hold the entry on their disks.
   */
  onDecision(d: QuorumDecision): void {
    this.quorumDecisions++;
    const voters = votersOf(d.membership);
    const need = majority(voters.length);
    const counted = d.support.filter((v) => voters.includes(v));
    const what =
      d.kind === 'election' ? `won term ${d.term}` : `committed index ${d.index} in term ${d.term}`;
    if (counted.length < need)
      fail(
        'Quorum',
        `${d.node} ${what} with ${counted.length === 0 ? 'no voter' : counted.join(',')} of the voters ${voters.join(',')} of its configuration (set at ${d.membershipIndex}): ${need} needed${d.support.length > counted.length ? ` (also ${d.support.filter((v) => !voters.includes(v)).join(',')}, not voters)` : ''}`,
      );
    if (d.kind !== 'commit') return;
    const leader = this.byId.get(d.node);
    const t = leader === undefined ? undefined : diskTerm(leader.disk, d.index);
    if (typeof t !== 'number') return;
    const holders = counted.filter((v) => {
      const disk = this.byId.get(v)?.disk;
      const held = disk === undefined ? undefined : diskTerm(disk, d.index);
      return held === t || held === 'compacted';
    });
    if (holders.length < need)
      fail(
        'Committed Entries Durable on a Majority',
        `${d.node} ${what} counting ${counted.join(',')}, but only ${holders.length === 0 ? 'no voter' : holders.join(',')} of the voters ${voters.join(',')} hold it (term ${t}) on disk`,
      );
    if (this.commitQuorum === undefined || d.index >= this.commitQuorum.index)
      this.commitQuorum = { index: d.index, term: t, voters };
  }

  /** A leader appended a configuration change (thesis §4.1: one voter, one change at a time). */
  onConfigAppended(c: ConfigAppended): void {
    if (voterDistance(c.before, c.after) > 1)
      fail(
        'Single-Server Change',
        `${c.node} (term ${c.term}) appended ${describeMembership(c.after)} at ${c.index}, more than one voter away from ${describeMembership(c.before)} in force before`,
      );
    if (this.options.singleServerRules === false) return;
    if (c.beforeIndex > c.commitIndex)
      fail(
        'Single-Server Change',
        `${c.node} (term ${c.term}) appended a configuration change at ${c.index} while the change at ${c.beforeIndex} was not committed (its commit index is ${c.commitIndex}): two uncommitted changes at once`,
      );
    if (!c.committedInTerm)
      fail(
        'Single-Server Change',
        `${c.node} appended a configuration change at ${c.index} before committing an entry of its term ${c.term}`,
      );
  }

  /**
   * The configuration stored with `node`'s log start (by compact, resetTo or
   * recordMembership) is the committed one there. None stored is no violation by itself
   * (a restart then starts from its command line, which is checked at the restart).
   */
  private checkStoredBase(node: CheckedNode): void {
    const { index, membership } = node.disk.logStart;
    if (membership === undefined || index === 0) return;
    const expected = this.committedMembershipAt(index);
    // A node that joined takes the configuration it learned for the one at index 0 (the
    // core cannot know the cluster's first one), and so for every index before its first
    // config entry: compacting there stores it. Known (see the report of this change);
    // what it leads to is checked where a node acts on it (checkConfigInForce).
    if (node.startedWith !== undefined && sameMembership(membership, node.startedWith)) return;
    if (!sameMembership(membership, expected))
      fail(
        'Configuration in Force',
        `${node.id} stores ${describeMembership(membership)} with its log start ${index}, but the configuration committed there is ${describeMembership(expected)}`,
      );
  }

  /** A recordMembership landed on `node`'s disk. */
  onMembershipRecorded(node: CheckedNode): void {
    this.checkStoredBase(node);
  }

  /**
   * Configuration in Force: the configuration `node` acts on is the newest config
   * entry in its log, or its base (at its log start) when none is, and that base is the
   * committed configuration there (or, at index 0, what the node started from).
   * Incremental: entries up to the commit index of the previous check cannot change.
   */
  private checkConfigInForce(
    node: CheckedNode,
    st: CheckedStatus,
    raft: NonNullable<CheckedNode['raft']>,
    w: NodeWatch,
  ): void {
    const prev = w.config;
    const mi = st.membershipIndex;
    const s = st.snapshotIndex;
    if (
      prev !== undefined &&
      prev.membership === st.membership &&
      prev.membershipIndex === mi &&
      prev.snapshotIndex === s &&
      prev.lastIndex === st.lastIndex &&
      prev.lastTerm === st.lastTerm
    )
      return;
    const where = `${node.id}'s configuration in force ${describeMembership(st.membership)} (set at ${mi})`;
    if (mi > st.lastIndex || mi < s)
      fail('Configuration in Force', `${where} lies outside its log (${s}, ${st.lastIndex}]`);
    const unchanged = prev !== undefined && prev.membershipIndex === mi && prev.snapshotIndex <= s;
    const from = Math.max(s, mi, unchanged ? prev.floor : 0);
    for (const e of raft.logEntries(from + 1, st.lastIndex))
      if (e.type === 'config')
        fail(
          'Configuration in Force',
          `${where}, but its log holds a newer config entry at ${e.index}`,
        );
    if (mi > s) {
      if (!unchanged || prev.membership !== st.membership || mi > prev.floor) {
        const e = raft.logEntries(mi, mi)[0];
        const decoded = e?.type === 'config' ? decodeMembership(e.data) : undefined;
        if (
          decoded === undefined ||
          !decoded.ok ||
          !sameMembership(decoded.membership, st.membership)
        )
          fail(
            'Configuration in Force',
            `${where}, but its log holds ${e === undefined ? 'no entry' : e.type !== 'config' ? `a ${e.type} entry` : decoded?.ok === true ? describeMembership(decoded.membership) : 'an invalid configuration'} there`,
          );
      }
    } else {
      // The base: the committed configuration at the log start (at 0, what it started
      // from). A node that joined takes what it learned for every index before its first
      // config entry (see checkStoredBase).
      const expected =
        s === 0
          ? (node.startedWith ?? this.options.initialMembership)
          : this.committedMembershipAt(s);
      const learned =
        node.startedWith !== undefined && sameMembership(node.startedWith, st.membership);
      if (!learned && !sameMembership(expected, st.membership))
        fail(
          'Configuration in Force',
          `${where}, its log start, but the configuration ${s === 0 ? 'it started from' : 'committed there'} is ${describeMembership(expected)}`,
        );
    }
    w.config = {
      membership: st.membership,
      membershipIndex: mi,
      snapshotIndex: s,
      lastIndex: st.lastIndex,
      lastTerm: st.lastTerm,
      floor: st.commitIndex,
    };
  }

  /** Committed Configuration Kept: `leader` of `term` holds the committed configuration. */
  private checkConfigCompleteness(leader: CheckedNode, st: CheckedStatus, term: number): void {
    const core = leader.core;
    if (core === undefined) return;
    // The newest configuration known committed before this term (as Leader Completeness).
    let c: CommittedConfig | undefined;
    for (let k = this.committedConfigs.length - 1; k >= 0; k--) {
      const x = this.committedConfigs[k]!;
      if (x.index === 0 || this.commitSeenAtTerm[x.index]! < term) {
        c = x;
        break;
      }
    }
    if (c === undefined) return;
    const at = Math.max(c.index, st.snapshotIndex);
    if (at > st.lastIndex) return; // Leader Completeness reports the missing entry
    const expected = at === c.index ? c.membership : this.committedMembershipAt(at);
    let held: Membership;
    try {
      held = core.membershipAt(at);
    } catch {
      return;
    }
    if (!sameMembership(held, expected))
      fail(
        'Committed Configuration Kept',
        `${leader.id}, leader of term ${term}, has ${describeMembership(held)} in force at ${at}${at === st.snapshotIndex ? ' (its log start)' : ''}, but ${describeMembership(expected)} is committed there`,
      );
  }

  /** A node (re)started from its disk: its in-memory baselines restart from what was persisted. */
  onRestart(node: CheckedNode): void {
    const w = this.watch.get(node.id)!;
    w.config = undefined;
    const st = node.raft!.status();
    if (st.commitIndex < w.diskCommit)
      fail(
        'Commit Monotonic',
        `${node.id} restarted with commit ${st.commitIndex} < persisted ${w.diskCommit}`,
      );
    // The state machine continues the stored log: no entry between them is missing
    // (a crash in the middle of an install is finished by the restart), and none of
    // the state is beyond the log.
    const disk = node.disk;
    const applied = disk.applied.length;
    if (applied < disk.logStart.index || applied > diskLastIndex(disk))
      fail(
        'Restart Consistency',
        `${node.id} restarted with its state machine at ${applied}, its stored log after ${disk.logStart.index} up to ${diskLastIndex(disk)}`,
      );
    w.applied = applied;
    w.commit = st.commitIndex;
    w.term = st.term;
  }

  /** A Ready was persisted: `fromIndex` is the first index (re)written, if any. */
  onPersist(node: CheckedNode, fromIndex: number | undefined): void {
    const w = this.watch.get(node.id)!;
    const hs = node.disk.hardState;
    if (hs.term < w.diskTerm)
      fail('Term Monotonic', `${node.id} persisted term ${hs.term} after ${w.diskTerm}`);
    if (hs.commit < w.diskCommit)
      fail('Commit Monotonic', `${node.id} persisted commit ${hs.commit} after ${w.diskCommit}`);
    if (
      this.options.voteDurability &&
      hs.term === w.diskTerm &&
      w.diskVote !== undefined &&
      hs.vote !== w.diskVote
    ) {
      fail(
        'Vote Durability',
        `${node.id} voted for ${w.diskVote} and then ${hs.vote ?? 'nobody'} in term ${hs.term}`,
      );
    }
    if (hs.term > w.diskTerm || hs.vote !== undefined) w.diskVote = hs.vote;
    w.diskTerm = hs.term;
    w.diskCommit = hs.commit;
    const disk = node.disk;
    const last = diskLastIndex(disk);
    if (hs.commit > last)
      fail(
        'Commit Monotonic',
        `${node.id} persisted commit ${hs.commit} beyond its persisted log ${last}`,
      );
    if (fromIndex === undefined) return;
    this.checkStoredEntries(node, Math.max(fromIndex, disk.logStart.index + 1));
  }

  /**
   * Log Matching (§5.3) over the stored entries from `from` on: two entries with the
   * same index and term hold the same content and follow the same previous term — by
   * induction the logs agree on the whole prefix. The first stored entry follows the
   * log start.
   */
  private checkStoredEntries(node: CheckedNode, from: number): void {
    const disk = node.disk;
    const last = diskLastIndex(disk);
    for (let i = from; i <= last; i++) {
      const e = diskEntry(disk, i)!;
      if (e.index !== i) fail('Log Matching', `${node.id} stores entry ${e.index} at index ${i}`);
      const prevTerm = diskTerm(disk, i - 1) as number;
      if (e.term < prevTerm) fail('Log Matching', `${node.id} log terms decrease at index ${i}`);
      const key = `${i}/${e.term}`;
      const fp = fingerprint(e);
      const seen = this.persistedEntry.get(key);
      if (seen === undefined) {
        this.persistedEntry.set(key, { fp, prevTerm });
        if (e.type === 'config') this.onConfigEntry(node, e, key);
      } else if (seen.fp !== fp || seen.prevTerm !== prevTerm) {
        fail(
          'Log Matching',
          `${node.id} has entry ${key} = ${fp} after term ${prevTerm}${i - 1 === disk.logStart.index ? ' (its log start)' : ''}; another log has ${seen.fp} after term ${seen.prevTerm}`,
        );
      }
    }
  }

  /**
   * A config entry first seen (on `node`'s disk): recorded, and one voter at most away
   * from the configuration before it in that log (the previous config entry stored, else
   * the committed one at the log start; at index 0 the bootstrap).
   */
  private onConfigEntry(node: CheckedNode, e: Entry, key: string): void {
    const decoded = decodeMembership(e.data);
    if (!decoded.ok)
      fail(
        'Configuration in Force',
        `${node.id} stores an invalid config entry ${key}: ${decoded.reason}`,
      );
    this.configEntries.set(key, decoded.membership);
    const disk = node.disk;
    let before: Membership | undefined;
    let beforeAt = disk.logStart.index;
    for (let i = e.index - 1; i > disk.logStart.index; i--) {
      const p = diskEntry(disk, i)!;
      if (p.type === 'config') {
        before = this.configEntries.get(`${i}/${p.term}`);
        beforeAt = i;
        break;
      }
    }
    before ??= this.committedMembershipAt(beforeAt);
    if (voterDistance(before, decoded.membership) > 1)
      fail(
        'Single-Server Change',
        `${node.id} stores config entry ${key} ${describeMembership(decoded.membership)}, more than one voter away from ${describeMembership(before)} before it (at ${beforeAt})`,
      );
    // Committed already (known before it reached this disk): it joins the chain.
    if (this.committedTerm[e.index] === e.term) this.onCommitted(e.index, e.term);
  }

  /**
   * A compaction or reset landed: the stored log starts after `disk.logStart`. The
   * point is a committed entry, a durable snapshot on this node covers it, and the
   * entries kept after it continue it (Log Matching).
   */
  onLogStart(node: CheckedNode): void {
    const disk = node.disk;
    const start = disk.logStart;
    const newest = newestSnapshot(disk);
    if (start.index > (newest?.index ?? 0))
      fail(
        'Log Compaction Safety',
        `${node.id} compacted its stored log up to ${start.index}, but its newest durable snapshot covers ${newest === undefined ? 'nothing' : `up to ${newest.index}`}`,
      );
    const committed = this.committedTerm[start.index];
    if (committed !== undefined && committed !== start.term)
      fail(
        'State Machine Safety',
        `${node.id}'s stored log starts after (${start.index}, ${start.term}), but index ${start.index} committed with term ${committed}`,
      );
    this.checkStoredEntries(node, start.index + 1);
    this.checkStoredBase(node);
  }

  /** A snapshot `node` took landed on its disk: it holds exactly the state at its index. */
  onSnapshotTaken(node: CheckedNode, snapshot: CheckedSnapshot): void {
    this.checkSnapshot(node, snapshot, `took snapshot ${snapshot.index}`);
  }

  /**
   * `node` installed `snapshot` (from its disk): its state machine now holds exactly the
   * snapshot's state, which is the prefix every node applied (State Machine Safety
   * across installs), and it moved forward (nothing below the point is applied twice).
   */
  onInstall(node: CheckedNode, snapshot: CheckedSnapshot, appliedBefore: number): void {
    const w = this.watch.get(node.id)!;
    if (snapshot.index <= appliedBefore)
      fail(
        'Applied Monotonic',
        `${node.id} installed snapshot ${snapshot.index} over a state machine at ${appliedBefore}: entries up to ${appliedBefore} would be applied twice`,
      );
    this.checkSnapshot(node, snapshot, `installed snapshot ${snapshot.index}`);
    const state = node.disk.applied;
    if (state.length !== snapshot.index)
      fail(
        'State Machine Safety',
        `${node.id} installed snapshot ${snapshot.index}, but its state machine holds ${state.length} entries`,
      );
    this.checkAppliedPrefix(node, state, `after installing snapshot ${snapshot.index}`);
    w.applied = state.length;
  }

  /**
   * A leader streams `snapshot` with `header`: the header names the snapshot's own
   * point. What it says is what the follower's acknowledgement (matchIndex = index in
   * term header.term) promises to hold.
   */
  onSnapshotSend(
    header: { from: NodeId; to: NodeId; term: number; index: number; snapshotTerm: number },
    snapshot: CheckedSnapshot,
  ): void {
    if (header.index !== snapshot.index || header.snapshotTerm !== snapshot.term)
      fail(
        'State Machine Safety',
        `${header.from} sends ${header.to} a snapshot as (${header.index}, ${header.snapshotTerm}), but it holds the state at (${snapshot.index}, ${snapshot.term})`,
      );
    const key = `${header.term}/${header.index}`;
    if (!this.leaderLogTerm.has(key)) this.leaderLogTerm.set(key, header.snapshotTerm);
  }

  /** The snapshot is the state at its point: `index` entries, the last of term `term`. */
  private checkSnapshot(node: CheckedNode, snapshot: CheckedSnapshot, what: string): void {
    const last = snapshot.state[snapshot.state.length - 1];
    if (snapshot.state.length !== snapshot.index || (last?.term ?? 0) !== snapshot.term)
      fail(
        'State Machine Safety',
        `${node.id} ${what} of term ${snapshot.term}, which holds ${snapshot.state.length} entries ending with term ${last?.term ?? 0}`,
      );
  }

  /** `state` (a node's state machine) is what was applied at each of its indexes, everywhere. */
  private checkAppliedPrefix(node: CheckedNode, state: readonly Entry[], when: string): void {
    for (let i = 1; i <= state.length; i++) {
      const e = state[i - 1]!;
      const key = `${e.term}:${fingerprint(e)}`;
      const applied = this.appliedAt[i];
      if (e.index !== i || applied === undefined || applied !== key)
        fail(
          'State Machine Safety',
          `${node.id} ${when} holds ${key} at index ${i}${e.index !== i ? ` (as entry ${e.index})` : ''}, ${applied === undefined ? 'which no node applied there' : `where ${applied} was applied`}`,
        );
    }
  }

  /**
   * `m` leaves its sender now (the network may still lose it). Records what a
   * leader's AppendEntries verifies, and checks 'Promises Durable at Send'.
   */
  onSend(m: Message): void {
    if (m.type === 'TimeoutNow') {
      this.checkTimeoutNow(m);
      return;
    }
    if (m.type === 'AppendEntries') {
      // A leader never rewrites its own log within its term, so one AppendEntries
      // per (term, last index) is enough to know the entry there.
      const last = m.entries[m.entries.length - 1];
      const key = `${m.term}/${m.prevLogIndex + m.entries.length}`;
      if (!this.leaderLogTerm.has(key)) this.leaderLogTerm.set(key, last?.term ?? m.prevLogTerm);
      return;
    }
    if (!this.options.promisesDurableAtSend) return;
    const sender = this.byId.get(m.from);
    if (sender === undefined) return;
    const hs = sender.disk.hardState;
    if (m.type === 'RequestVoteResponse' && m.granted) {
      // §5.2: one vote per term, across crashes. A disk already in a later term
      // can never vote in m.term again, so that also keeps the promise.
      if (hs.term > m.term || (hs.term === m.term && hs.vote === m.to)) return;
      fail(
        'Promises Durable at Send',
        `${m.from} grants its term-${m.term} vote to ${m.to}, but its disk holds term ${hs.term}, vote ${hs.vote ?? 'none'}`,
      );
    }
    if (m.type === 'AppendEntriesResponse' && m.success && m.matchIndex > 0) {
      // §5.3: the leader counts this towards a commit, so entries 1..matchIndex must
      // be on the follower's disk, as the leader of m.term has them (by Log Matching
      // the entry at matchIndex stands for the prefix), in a durable term m.term.
      // Once the disk is in a later term, a later leader may have rightly
      // overwritten them since: nothing left to check.
      if (hs.term > m.term) return;
      const expected = this.leaderLogTerm.get(`${m.term}/${m.matchIndex}`);
      const onDisk = diskTerm(sender.disk, m.matchIndex);
      if (hs.term === m.term && expected !== undefined && onDisk === expected) return;
      // At or before the log start: a durable snapshot on the sender holds the entry
      // (Log Compaction Safety), and a snapshot holds only committed entries (checked
      // at install), which every leader of a later term holds too.
      if (
        hs.term === m.term &&
        m.matchIndex <= sender.disk.logStart.index &&
        (expected === undefined ||
          expected === (this.committedTerm[m.matchIndex] ?? sender.disk.logStart.term))
      )
        return;
      fail(
        'Promises Durable at Send',
        `${m.from} acknowledges index ${m.matchIndex} to ${m.to} in term ${m.term} (leader's entry: ${expected === undefined ? 'never sent' : `term ${expected}`}), but its disk holds term ${hs.term} and ${onDisk === undefined ? 'no entry' : onDisk === 'compacted' ? 'a compacted entry' : `an entry of term ${onDisk}`} there`,
      );
    }
  }

  /**
   * A leader hands leadership over (thesis §3.10): TimeoutNow leaves the leader of its
   * term (the one Election Safety knows), while that leader still hands over to that
   * voter, and the voter's disk holds the leader's whole log (the leader appends
   * nothing while it transfers). A TimeoutNow that leaves after the leader gave the
   * transfer up — it accepts writes again, and its lease may hold again — lets a voter
   * campaign past the others' leader stickiness, which the lease counts on, and
   * unseat a leader that believes it leads on.
   */
  private checkTimeoutNow(m: Message): void {
    const leader = this.leaderOfTerm.get(m.term);
    if (leader !== m.from)
      fail(
        'Leadership Transfer',
        `${m.from} sends TimeoutNow to ${m.to} in term ${m.term}, whose leader is ${leader ?? 'unknown'}`,
      );
    const sender = this.byId.get(m.from)?.raft?.status();
    const target = this.byId.get(m.to);
    if (sender === undefined || target === undefined) return;
    // Stepped down since (or deposed): it holds no lease, and its log may have changed.
    if (sender.role !== 'leader' || sender.term !== m.term) return;
    if (sender.transferee !== m.to)
      fail(
        'Leadership Transfer',
        `${m.from}, leader of term ${m.term}, sends TimeoutNow to ${m.to} while it ${sender.transferee === undefined ? 'no longer transfers (it gave the transfer up and accepts writes again)' : `transfers to ${sender.transferee}`}; its log ends at ${sender.lastIndex}/${sender.lastTerm}, ${m.to}'s disk at ${diskLastIndex(target.disk)}/${diskTerm(target.disk, diskLastIndex(target.disk))}`,
      );
    // A later term on the target's disk: a later leader may have rewritten its log since.
    if (target.disk.hardState.term > m.term) return;
    const held = diskTerm(target.disk, sender.lastIndex);
    if (held === sender.lastTerm || held === 'compacted') return;
    fail(
      'Leadership Transfer',
      `${m.from}, leader of term ${m.term}, sends TimeoutNow to ${m.to}, whose disk holds ${held === undefined ? 'no entry' : `an entry of term ${held}`} at the leader's last index ${sender.lastIndex} (term ${sender.lastTerm})`,
    );
  }

  /** Whether `id` led a term after `term` (Election Safety's record of leaders). */
  ledTermAfter(id: NodeId, term: number): boolean {
    for (const [t, leader] of this.leaderOfTerm) if (t > term && leader === id) return true;
    return false;
  }

  /** The node's (durable) state machine applied `e`; `appliedBefore` is its applied index before. */
  onApply(node: CheckedNode, e: Entry, appliedBefore: number): void {
    const w = this.watch.get(node.id)!;
    if (e.index !== appliedBefore + 1)
      fail('Applied Monotonic', `${node.id} applied ${e.index} after ${appliedBefore}`);
    w.applied = e.index;
    const key = `${e.term}:${fingerprint(e)}`;
    const prev = this.appliedAt[e.index];
    if (prev === undefined) this.appliedAt[e.index] = key;
    else if (prev !== key)
      fail(
        'State Machine Safety',
        `${node.id} applied ${key} at index ${e.index}, another node applied ${prev}`,
      );
  }

  /** After every step that touched `node`; returns the status it checked (undefined while down). */
  afterStep(node: CheckedNode): CheckedStatus | undefined {
    const raft = node.raft;
    if (raft === undefined) return undefined;
    const st = raft.status();
    const w = this.watch.get(node.id)!;
    if (st.term < w.term) fail('Term Monotonic', `${node.id} term ${w.term} → ${st.term}`);
    w.term = st.term;
    if (st.commitIndex < w.commit)
      fail('Commit Monotonic', `${node.id} commit ${w.commit} → ${st.commitIndex}`);
    if (st.appliedIndex > st.commitIndex)
      fail(
        'Applied Monotonic',
        `${node.id} applied ${st.appliedIndex} beyond commit ${st.commitIndex}`,
      );

    // Election Safety (§5.2): at most one leader per term, over the whole history.
    if (st.role === 'leader') {
      const known = this.leaderOfTerm.get(st.term);
      if (known === undefined) {
        this.leaderOfTerm.set(st.term, node.id);
        this.leaderElections++;
        this.checkLeaderCompleteness(node, st.term, 1);
        this.checkConfigCompleteness(node, st, st.term);
      } else if (known !== node.id) {
        fail('Election Safety', `both ${known} and ${node.id} are leaders of term ${st.term}`);
      }
    }

    if (st.commitIndex > w.commit) {
      const from = w.commit + 1;
      for (let i = from; i <= st.commitIndex; i++) {
        // Below its snapshot point the node holds no entries: an installed snapshot
        // (checked against what was applied) moved its commit there.
        if (i < st.snapshotIndex) continue;
        const t = raft.logTerm(i);
        if (t === undefined)
          fail('Commit Monotonic', `${node.id} commit ${st.commitIndex} beyond its log`);
        const known = this.committedTerm[i];
        if (known === undefined) {
          this.committedTerm[i] = t;
          this.commitSeenAtTerm[i] = st.term;
          this.onCommitted(i, t);
        } else {
          if (known !== t)
            fail(
              'State Machine Safety',
              `index ${i} committed with term ${known} elsewhere, ${node.id} committed term ${t}`,
            );
          if (st.term < this.commitSeenAtTerm[i]!) this.commitSeenAtTerm[i] = st.term;
        }
      }
      w.commit = st.commitIndex;
      if (st.commitIndex > this.maxCommitted) {
        const oldMax = this.maxCommitted;
        this.maxCommitted = st.commitIndex;
        // Newly known commits must be in the logs of leaders of later terms that are
        // still leading (an entry may be committed before anyone learns it).
        for (const other of this.nodes) {
          const os = other.raft?.status();
          if (os !== undefined && os.role === 'leader' && other !== node)
            this.checkLeaderCompleteness(other, os.term, oldMax + 1);
        }
      }
    }

    // Committed entries are durable on a majority (persist-before-acknowledge) of the
    // configuration they were committed in. By Log Matching it suffices to check the
    // highest commit decision.
    const q = this.commitQuorum;
    if (q !== undefined) {
      let holders = 0;
      for (const v of q.voters) {
        const disk = this.byId.get(v)?.disk;
        // Compacted: in a durable snapshot (Log Compaction Safety).
        const held = disk === undefined ? undefined : diskTerm(disk, q.index);
        if (held === q.term || held === 'compacted') holders++;
      }
      if (holders < majority(q.voters.length))
        fail(
          'Committed Entries Durable on a Majority',
          `index ${q.index} (term ${q.term}) is committed but on ${holders} disks only of the voters ${q.voters.join(',')} it was committed by`,
        );
    }
    this.checkConfigInForce(node, st, raft, w);
    return st;
  }

  /** Leader Completeness (§5.4): `leader` of `term` holds every entry committed in an earlier term. */
  private checkLeaderCompleteness(leader: CheckedNode, term: number, from: number): void {
    const raft = leader.raft!;
    // Below its snapshot point a leader holds the committed state, not entries.
    const compacted = raft.status().snapshotIndex;
    for (let i = Math.max(from, compacted); i <= this.maxCommitted; i++) {
      if (this.commitSeenAtTerm[i]! >= term) continue;
      const t = raft.logTerm(i);
      if (t !== this.committedTerm[i]) {
        fail(
          'Leader Completeness',
          `${leader.id}, leader of term ${term}, has ${t === undefined ? 'no entry' : `term ${t}`} at index ${i}, committed with term ${this.committedTerm[i]} in term ${this.commitSeenAtTerm[i]}`,
        );
      }
    }
  }

  /**
   * Full pairwise Log Matching over the in-memory logs of all live nodes (expensive;
   * run sparingly): over the indexes both hold, from the last one where they agree on
   * the term down to the first, they agree on every entry.
   */
  fullLogMatching(): void {
    const live = this.nodes.filter((n) => n.raft !== undefined);
    const logs = live.map((n) => n.raft!.logEntries(0, Number.MAX_SAFE_INTEGER));
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const la = logs[a]!;
        const lb = logs[b]!;
        if (la.length === 0 || lb.length === 0) continue;
        const fa = la[0]!.index;
        const fb = lb[0]!.index;
        const lo = Math.max(fa, fb);
        let hi = Math.min(fa + la.length, fb + lb.length) - 1;
        while (hi >= lo && la[hi - fa]!.term !== lb[hi - fb]!.term) hi--;
        for (let i = lo; i <= hi; i++) {
          const x = la[i - fa]!;
          const y = lb[i - fb]!;
          if (x.term !== y.term || fingerprint(x) !== fingerprint(y)) {
            fail(
              'Log Matching',
              `${live[a]!.id} and ${live[b]!.id} agree at index ${hi} but differ at index ${i}`,
            );
          }
        }
      }
    }
  }

  committedIndex(): number {
    return this.maxCommitted;
  }
}
