/**
 * Safety properties checked by the simulator after every step (Raft paper
 * Figure 3, plus openraft-style monotonicity and durability checks).
 *
 * The checks are incremental (each step only re-examines what the step changed)
 * so that they can run after every single event.
 */
import type { Entry, HardState, Message, NodeId } from '../../../src/raft/index.js';
import { majority } from '../../../src/raft/index.js';

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
  /** The runtime broke a port's contract (overlapping writes, entries applied out of order). */
  | 'Port Contract'
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

/** What the checker may look at in a simulated node. */
export interface CheckedNode {
  readonly id: NodeId;
  readonly disk: {
    readonly hardState: HardState;
    readonly entries: readonly Entry[];
    readonly applied: readonly Entry[];
  };
  /** Undefined while crashed. */
  readonly raft:
    | {
        status(): CheckedStatus;
        logTerm(index: number): number | undefined;
        logEntries(lo: number, hi: number): Entry[];
      }
    | undefined;
}

/** What the checker reads of a node's status (RaftStatus has it all). */
export interface CheckedStatus {
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly leaderId: NodeId | undefined;
  /** Messages the node dropped as impossible from a correct peer (RejectedMessage). */
  readonly rejectedMessages: number;
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
}

export interface CheckerOptions {
  /** 'Vote Durability': a persisted vote never changes within a term. */
  readonly voteDurability: boolean;
  /** 'Promises Durable at Send' (see Property). */
  readonly promisesDurableAtSend: boolean;
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
  private readonly quorum: number;
  leaderElections = 0;

  constructor(
    private readonly nodes: readonly CheckedNode[],
    private readonly options: CheckerOptions,
  ) {
    this.quorum = majority(nodes.length);
    for (const n of nodes) {
      this.byId.set(n.id, n);
      this.watch.set(n.id, {
        commit: 0,
        term: 0,
        applied: 0,
        diskTerm: 0,
        diskVote: undefined,
        diskCommit: 0,
      });
    }
  }

  /** A node (re)started from its disk: its in-memory baselines restart from what was persisted. */
  onRestart(node: CheckedNode): void {
    const w = this.watch.get(node.id)!;
    const st = node.raft!.status();
    if (st.commitIndex < w.diskCommit)
      fail(
        'Commit Monotonic',
        `${node.id} restarted with commit ${st.commitIndex} < persisted ${w.diskCommit}`,
      );
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
    const entries = node.disk.entries;
    if (hs.commit > entries.length)
      fail(
        'Commit Monotonic',
        `${node.id} persisted commit ${hs.commit} beyond its persisted log ${entries.length}`,
      );
    if (fromIndex === undefined) return;
    // Log Matching (§5.3): two entries with the same index and term hold the same
    // content and follow the same previous term — by induction the logs agree on
    // the whole prefix.
    for (let i = fromIndex; i <= entries.length; i++) {
      const e = entries[i - 1]!;
      const prevTerm = i === 1 ? 0 : entries[i - 2]!.term;
      if (e.term < prevTerm) fail('Log Matching', `${node.id} log terms decrease at index ${i}`);
      const key = `${i}/${e.term}`;
      const fp = fingerprint(e);
      const seen = this.persistedEntry.get(key);
      if (seen === undefined) this.persistedEntry.set(key, { fp, prevTerm });
      else if (seen.fp !== fp || seen.prevTerm !== prevTerm) {
        fail(
          'Log Matching',
          `${node.id} has entry ${key} = ${fp} after term ${prevTerm}; another log has ${seen.fp} after term ${seen.prevTerm}`,
        );
      }
    }
  }

  /**
   * `m` leaves its sender now (the network may still lose it). Records what a
   * leader's AppendEntries verifies, and checks 'Promises Durable at Send'.
   */
  onSend(m: Message): void {
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
      const onDisk = sender.disk.entries[m.matchIndex - 1]?.term;
      if (hs.term === m.term && expected !== undefined && onDisk === expected) return;
      fail(
        'Promises Durable at Send',
        `${m.from} acknowledges index ${m.matchIndex} to ${m.to} in term ${m.term} (leader's entry: ${expected === undefined ? 'never sent' : `term ${expected}`}), but its disk holds term ${hs.term} and ${onDisk === undefined ? 'no entry' : `an entry of term ${onDisk}`} there`,
      );
    }
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
      } else if (known !== node.id) {
        fail('Election Safety', `both ${known} and ${node.id} are leaders of term ${st.term}`);
      }
    }

    if (st.commitIndex > w.commit) {
      const from = w.commit + 1;
      for (let i = from; i <= st.commitIndex; i++) {
        const t = raft.logTerm(i);
        if (t === undefined)
          fail('Commit Monotonic', `${node.id} commit ${st.commitIndex} beyond its log`);
        const known = this.committedTerm[i];
        if (known === undefined) {
          this.committedTerm[i] = t;
          this.commitSeenAtTerm[i] = st.term;
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

    // Committed entries are durable on a majority (persist-before-acknowledge).
    // By Log Matching it suffices to check the highest committed index.
    const c = this.maxCommitted;
    if (c > 0) {
      const t = this.committedTerm[c]!;
      let holders = 0;
      for (const n of this.nodes) if (n.disk.entries[c - 1]?.term === t) holders++;
      if (holders < this.quorum)
        fail(
          'Committed Entries Durable on a Majority',
          `index ${c} (term ${t}) is committed but on ${holders} disks only`,
        );
    }
    return st;
  }

  /** Leader Completeness (§5.4): `leader` of `term` holds every entry committed in an earlier term. */
  private checkLeaderCompleteness(leader: CheckedNode, term: number, from: number): void {
    const raft = leader.raft!;
    for (let i = from; i <= this.maxCommitted; i++) {
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

  /** Full pairwise Log Matching over the in-memory logs of all live nodes (expensive; run sparingly). */
  fullLogMatching(): void {
    const live = this.nodes.filter((n) => n.raft !== undefined);
    for (let a = 0; a < live.length; a++) {
      for (let b = a + 1; b < live.length; b++) {
        const la = live[a]!.raft!.logEntries(1, Number.MAX_SAFE_INTEGER);
        const lb = live[b]!.raft!.logEntries(1, Number.MAX_SAFE_INTEGER);
        let hi = Math.min(la.length, lb.length);
        while (hi > 0 && la[hi - 1]!.term !== lb[hi - 1]!.term) hi--;
        for (let i = 0; i < hi; i++) {
          const x = la[i]!;
          const y = lb[i]!;
          if (x.term !== y.term || fingerprint(x) !== fingerprint(y)) {
            fail(
              'Log Matching',
              `${live[a]!.id} and ${live[b]!.id} agree at index ${hi} but differ at index ${i + 1}`,
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
