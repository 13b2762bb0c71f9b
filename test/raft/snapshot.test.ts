/**
 * Log compaction and snapshots, the core's part (Raft paper §7, thesis §5): a log
 * that starts after a snapshot point, `compact`, the leader's snapshot requests
 * (Ready.snapshotsToSend, progress state 'snapshot', `reportSnapshot`) and the
 * follower's `wantsSnapshot` / `installSnapshot` (Ready.snapshotInstalled). The
 * snapshot's bytes travel out of band; here a node's state machine is its list of
 * applied entries (TestCluster.applied), so "restoring" a snapshot at index i means
 * taking the first i entries of the leader's list.
 */
import { describe, expect, it } from 'vitest';
import {
  RaftConfigError,
  type AppendEntriesResponseMessage,
  type HeartbeatMessage,
  type Message,
  type RaftNode,
  type Ready,
} from '../../src/raft/index.js';
import { appendEntries, bytes, ent, logOf, newNode, TestCluster } from './helpers.js';

const peers = ['a', 'b', 'c'];

/** Runs every Ready of a standalone node (nothing delivered); returns them. */
function drain(n: RaftNode): Ready[] {
  const out: Ready[] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    out.push(rd);
    n.advance(rd);
  }
  return out;
}

const all = (readies: Ready[], pick: (rd: Ready) => readonly Message[]): Message[] =>
  readies.flatMap((rd) => [...pick(rd)]);

const isAck = (m: Message): m is AppendEntriesResponseMessage => m.type === 'AppendEntriesResponse';

function heartbeat(from: string, to: string, term: number, commit = 0): HeartbeatMessage {
  return { type: 'Heartbeat', from, to, term, commit, readContext: 0 };
}

/**
 * `a` leads term 1; `c` is cut off after the election (it holds only the no-op);
 * `a` and `b` commit and apply entries 1..6, then `a` compacts up to 6.
 */
function lagging(): TestCluster {
  const c = new TestCluster(peers);
  c.elect('a');
  c.isolate('c');
  for (let i = 2; i <= 6; i++) c.node('a').propose(bytes(`x${i}`));
  c.deliverAll();
  expect(c.node('a').status()).toMatchObject({ commitIndex: 6, appliedIndex: 6 });
  expect(c.node('c').status().lastIndex).toBe(1);
  expect(c.compact('a', 6)).toBe(true);
  c.heal();
  return c;
}

/** `lagging`, then one heartbeat round: `a` finds that `c` needs a snapshot. */
function needingSnapshot(): TestCluster {
  const c = lagging();
  c.tick('a');
  c.deliverAll();
  expect(c.node('a').status().progress!.c!.state).toBe('snapshot');
  return c;
}

describe('a log that starts after a snapshot (InitialState.snapshot)', () => {
  const start = {
    snapshot: { index: 5, term: 2 },
    entries: [ent(6, 2), ent(7, 3)],
    hardState: { term: 3, commit: 6 },
  };

  it('knows the snapshot term, nothing below it, and hands out only entries after it', () => {
    const n = newNode('b', peers, start);
    expect(n.status()).toMatchObject({
      firstIndex: 6,
      snapshotIndex: 5,
      lastIndex: 7,
      lastTerm: 3,
      commitIndex: 6,
      appliedIndex: 5, // defaults to the snapshot index
      stableIndex: 7,
    });
    expect(n.logTerm(5)).toBe(2);
    expect(n.logTerm(4)).toBeUndefined();
    expect(n.logTerm(0)).toBeUndefined();
    expect(n.logEntries(1, 10).map((e) => e.index)).toEqual([6, 7]);
    const readies = drain(n);
    expect(readies.flatMap((rd) => rd.committedEntries.map((e) => e.index))).toEqual([6]);
  });

  it('with no entries after it, the snapshot point is the last entry (elections compare it, §5.4.1)', () => {
    const n = newNode('b', peers, {
      snapshot: { index: 5, term: 2 },
      hardState: { term: 2, commit: 5 },
    });
    expect(n.status()).toMatchObject({ lastIndex: 5, lastTerm: 2, firstIndex: 6 });
    // A candidate with an older last term is refused; one as up to date is granted.
    n.step({ type: 'RequestVote', from: 'a', to: 'b', term: 3, lastLogIndex: 9, lastLogTerm: 1 });
    n.step({ type: 'RequestVote', from: 'c', to: 'b', term: 3, lastLogIndex: 5, lastLogTerm: 2 });
    const votes = all(drain(n), (rd) => rd.messagesAfterAppend);
    expect(votes).toMatchObject([
      { type: 'RequestVoteResponse', to: 'a', granted: false },
      { type: 'RequestVoteResponse', to: 'c', granted: true },
    ]);
  });

  it.each([
    ['commit below the snapshot index', { hardState: { term: 3, commit: 4 } }, /commit 4 below/],
    ['applied below the snapshot index', { applied: 4 }, /applied 4 below/],
    ['a gap after the snapshot', { entries: [ent(7, 3)] }, /continue the snapshot/],
    ['an entry of a lower term after it', { entries: [ent(6, 1)] }, /continue the snapshot/],
    [
      'a term above the hard state',
      { snapshot: { index: 5, term: 4 }, entries: [] },
      /above hardState.term/,
    ],
    ['index 0 with a term', { snapshot: { index: 0, term: 1 }, entries: [] }, /only index 0/],
    ['a fractional index', { snapshot: { index: 1.5, term: 1 }, entries: [] }, /integers/],
  ])('rejects %s with RaftConfigError', (_what, override, message) => {
    const make = (): RaftNode => newNode('b', peers, { ...start, ...override });
    expect(make).toThrow(RaftConfigError);
    expect(make).toThrow(message);
  });

  it('a node restarted from a snapshot can lead and replicate after it', () => {
    const c = new TestCluster(peers, {
      a: { ...start, applied: 6 },
      b: { ...start, applied: 6 },
      c: { ...start, applied: 6 },
    });
    c.elect('a');
    c.node('a').propose(bytes('x9'));
    c.deliverAll();
    for (const id of peers) {
      expect(c.node(id).status()).toMatchObject({ commitIndex: 9, snapshotIndex: 5 });
      expect(c.applied.get(id)!.map((e) => e.index)).toEqual([7, 8, 9]);
    }
    expect(c.snapshotRequests).toEqual([]);
  });
});

describe('compact (§7)', () => {
  it('drops the entries up to the index and keeps its term as the snapshot term', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    for (let i = 2; i <= 5; i++) c.node('a').propose(bytes(`x${i}`));
    c.deliverAll();
    const a = c.node('a');
    expect(a.compact(4)).toBe(true);
    expect(a.status()).toMatchObject({ firstIndex: 5, snapshotIndex: 4, lastIndex: 5 });
    expect(a.logTerm(4)).toBe(1);
    expect(a.logTerm(3)).toBeUndefined();
    expect(a.logEntries(1, 10).map((e) => e.index)).toEqual([5]);
    // A repeated or older compaction changes nothing.
    expect(a.compact(4)).toBe(false);
    expect(a.compact(2)).toBe(false);
    expect(a.status().snapshotIndex).toBe(4);
    // Up-to-date followers replicate on as before: no snapshot is asked for.
    a.propose(bytes('x6'));
    c.deliverAll();
    for (const id of peers) expect(c.node(id).status().commitIndex).toBe(6);
    expect(c.snapshotRequests).toEqual([]);
  });

  it('refuses (RaftConfigError, nothing changed) an index beyond applied or not an integer', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    c.node('a').propose(bytes('x2'));
    const a = c.node('a');
    // Entry 2 is neither committed nor applied yet.
    expect(() => a.compact(2)).toThrow(RaftConfigError);
    expect(() => a.compact(2)).toThrow(/beyond the applied index 1/);
    expect(() => a.compact(-1)).toThrow(RaftConfigError);
    expect(() => a.compact(1.5)).toThrow(RaftConfigError);
    expect(a.status()).toMatchObject({ snapshotIndex: 0, firstIndex: 1 });
    c.deliverAll();
    expect(a.compact(2)).toBe(true);
  });

  it('a node restarts from its compacted disk', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    for (let i = 2; i <= 5; i++) c.node('a').propose(bytes(`x${i}`));
    c.deliverAll();
    c.compact('b', 3);
    const b = c.restart('b');
    expect(b.status()).toMatchObject({ snapshotIndex: 3, firstIndex: 4, lastIndex: 5 });
    expect(b.logTerm(3)).toBe(1);
    c.node('a').propose(bytes('x6'));
    c.deliverAll();
    expect(c.applied.get('b')!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('leader: a follower that needs compacted entries gets a snapshot', () => {
  it('asks for one for the lagging follower only, once, and sends it no AppendEntries', () => {
    const c = needingSnapshot();
    const term = c.node('a').status().term;
    expect(c.snapshotRequests).toEqual([{ from: 'a', to: 'c', term, index: 6 }]);
    expect(c.node('a').status().progress).toMatchObject({
      b: { state: 'replicate', match: 6, pendingSnapshot: 0 },
      c: { state: 'snapshot', pendingSnapshot: 6 },
    });
    // While in the snapshot state: heartbeats only, and no second request.
    const sent: Message[] = [];
    c.drop = (m) => {
      if (m.from === 'a' && m.to === 'c') sent.push(m);
      return false;
    };
    for (let i = 0; i < 3; i++) {
      c.node('a').propose(bytes(`more${i}`));
      c.tick('a');
      c.deliverAll();
    }
    expect(new Set(sent.map((m) => m.type))).toEqual(new Set(['Heartbeat']));
    expect(c.snapshotRequests).toHaveLength(1);
    expect(c.node('a').status().progress!.c!.state).toBe('snapshot');
    expect(c.node('b').status().commitIndex).toBe(9);
  });

  it('the follower acknowledging the install ends the snapshot state and replication goes on', () => {
    const c = needingSnapshot();
    const term = c.node('a').status().term;
    expect(c.sendSnapshot('a', 'c', term)).toBe(true);
    // The install's acknowledgement (matchIndex 6) alone moves `c` on.
    c.deliverAll();
    expect(c.node('a').status().progress!.c).toMatchObject({ state: 'replicate', match: 6 });
    // The runtime's report comes too late to matter.
    expect(c.node('a').reportSnapshot('c', 'finished')).toBe(false);
    c.node('a').propose(bytes('x7'));
    c.deliverAll();
    expect(c.node('c').status()).toMatchObject({ snapshotIndex: 6, lastIndex: 7, commitIndex: 7 });
  });

  it("reportSnapshot('finished'): probe from after the snapshot, once the follower is heard from", () => {
    const c = needingSnapshot();
    const a = c.node('a');
    expect(c.sendSnapshot('a', 'c', a.status().term)).toBe(true);
    // The report overtakes the follower's acknowledgement.
    expect(a.reportSnapshot('c', 'finished')).toBe(true);
    expect(a.status().progress!.c).toMatchObject({ state: 'probe', next: 7, pendingSnapshot: 0 });
    c.deliverAll();
    expect(a.status().progress!.c).toMatchObject({ state: 'replicate', match: 6 });
    expect(c.snapshotRequests).toHaveLength(1);
  });

  it("reportSnapshot('failed'): probe from match+1 at the next heartbeat, which asks again", () => {
    const c = needingSnapshot();
    const a = c.node('a');
    expect(a.reportSnapshot('c', 'failed')).toBe(true);
    expect(a.status().progress!.c).toMatchObject({ state: 'probe', next: 2, pendingSnapshot: 0 });
    c.settle();
    // Paused until the follower is heard from: no retry loop.
    expect(c.snapshotRequests).toHaveLength(1);
    c.tick('a');
    c.deliverAll();
    expect(c.snapshotRequests).toHaveLength(2);
    expect(c.snapshotRequests[1]).toMatchObject({ to: 'c', index: 6 });
    expect(a.status().progress!.c!.state).toBe('snapshot');
    // A second report of the same transfer changes nothing once it is answered.
    expect(a.reportSnapshot('c', 'failed')).toBe(true);
    expect(a.reportSnapshot('c', 'failed')).toBe(false);
  });

  it('reportSnapshot is ignored off the snapshot state, on a follower, and for itself', () => {
    const c = needingSnapshot();
    expect(c.node('a').reportSnapshot('b', 'finished')).toBe(false);
    expect(c.node('a').reportSnapshot('a', 'finished')).toBe(false);
    expect(c.node('b').reportSnapshot('c', 'finished')).toBe(false);
    expect(() => c.node('a').reportSnapshot('c', 'done' as 'finished')).toThrow(RaftConfigError);
    expect(c.node('a').status().progress!.c!.state).toBe('snapshot');
  });

  it('a leader that steps down drops the requests it has not handed out', () => {
    const c = lagging();
    const a = c.node('a');
    c.tick('a');
    c.deliverOnce(); // heartbeats
    c.deliverOnce(); // their answers: a sends c an AppendEntries at its (optimistic) next
    c.deliverOnce((m) => m.to === 'c'); // c rejects it: its log is too short
    const rejections = c.take((m) => m.to === 'a' && m.from === 'c');
    expect(rejections).toMatchObject([{ type: 'AppendEntriesResponse', success: false }]);
    for (const m of rejections) a.step(m); // a now wants a snapshot for c, Ready not taken yet
    expect(a.status().progress!.c!.state).toBe('snapshot');
    a.step({ type: 'RequestVote', from: 'b', to: 'a', term: 5, lastLogIndex: 9, lastLogTerm: 1 });
    const readies = drain(a);
    expect(readies.flatMap((rd) => rd.snapshotsToSend)).toEqual([]);
    expect(a.status().role).toBe('follower');
  });
});

describe('follower: wantsSnapshot and installSnapshot', () => {
  /** `b` follows `a` in term 2 with entries of terms 1,1,2,2,2, committed up to 2. */
  function follower(): RaftNode {
    const n = newNode('b', peers, {
      entries: logOf(1, 1, 2, 2, 2),
      hardState: { term: 2, commit: 2 },
      applied: 2,
    });
    n.step(heartbeat('a', 'b', 2, 2));
    drain(n);
    expect(n.status()).toMatchObject({ leaderId: 'a', term: 2, commitIndex: 2 });
    return n;
  }

  it('a matching entry at the snapshot index: keeps the entries after it (§7 step 6)', () => {
    const n = follower();
    expect(n.wantsSnapshot('a', 2, 3)).toBe(true);
    expect(n.installSnapshot({ from: 'a', term: 2, index: 3, snapshotTerm: 2 })).toBe(true);
    expect(n.status()).toMatchObject({
      snapshotIndex: 3,
      firstIndex: 4,
      lastIndex: 5,
      commitIndex: 3,
      appliedIndex: 3,
      leaderId: 'a',
    });
    expect(n.logEntries(1, 10).map((e) => e.index)).toEqual([4, 5]);
    const [rd, ...rest] = drain(n);
    expect(rest).toEqual([]);
    expect(rd).toMatchObject({
      // The stored entries after 3 stay: only those up to it are dropped.
      snapshotInstalled: { index: 3, term: 2, logRetained: true },
      entries: [],
      hardState: { term: 2, commit: 3 },
      mustSync: true,
      committedEntries: [], // entries up to 3 are in the restored state machine
      messages: [],
      messagesAfterAppend: [
        { type: 'AppendEntriesResponse', to: 'a', success: true, matchIndex: 3 },
      ],
    });
  });

  it('a conflicting entry at the snapshot index: discards the whole log (§7 step 7)', () => {
    const n = follower();
    expect(n.installSnapshot({ from: 'a', term: 3, index: 4, snapshotTerm: 3 })).toBe(true);
    expect(n.status()).toMatchObject({
      term: 3,
      snapshotIndex: 4,
      lastIndex: 4,
      lastTerm: 3,
      commitIndex: 4,
      appliedIndex: 4,
    });
    expect(n.logEntries(1, 10)).toEqual([]);
    const [rd] = drain(n);
    expect(rd).toMatchObject({
      snapshotInstalled: { index: 4, term: 3, logRetained: false },
      entries: [],
    });
  });

  it('a snapshot beyond the log discards it too', () => {
    const n = follower();
    expect(n.installSnapshot({ from: 'a', term: 2, index: 10, snapshotTerm: 2 })).toBe(true);
    expect(n.status()).toMatchObject({ snapshotIndex: 10, lastIndex: 10, commitIndex: 10 });
    expect(n.logEntries(1, 20)).toEqual([]);
  });

  it('a stale snapshot (index <= commit) is refused by both, with no effect and nothing reported', () => {
    const n = follower();
    const before = n.status();
    for (const index of [1, 2]) {
      expect(n.wantsSnapshot('a', 2, index)).toBe(false);
      expect(n.installSnapshot({ from: 'a', term: 2, index, snapshotTerm: 1 })).toBe(false);
    }
    expect(n.status()).toEqual(before);
    expect(n.hasReady()).toBe(false);
  });

  it('a snapshot of an older term is refused, with nothing reported', () => {
    const n = follower();
    expect(n.wantsSnapshot('a', 1, 10)).toBe(false);
    expect(n.installSnapshot({ from: 'a', term: 1, index: 10, snapshotTerm: 1 })).toBe(false);
    expect(n.wantsSnapshot('c', 1, 10)).toBe(false);
    expect(n.status()).toMatchObject({ term: 2, commitIndex: 2, snapshotIndex: 0 });
    expect(n.hasReady()).toBe(false);
  });

  it('a snapshot from a second leader of the term, or malformed, is refused and reported', () => {
    const n = follower();
    const before = n.status();
    expect(n.wantsSnapshot('c', 2, 10)).toBe(false);
    expect(n.installSnapshot({ from: 'c', term: 2, index: 10, snapshotTerm: 2 })).toBe(false);
    expect(n.installSnapshot({ from: 'a', term: 2, index: 10, snapshotTerm: 3 })).toBe(false);
    expect(n.installSnapshot({ from: 'x', term: 2, index: 10, snapshotTerm: 2 })).toBe(false);
    expect(n.installSnapshot({ from: 'b', term: 2, index: 10, snapshotTerm: 2 })).toBe(false);
    expect(n.installSnapshot({ from: 'a', term: 2, index: 0, snapshotTerm: 2 })).toBe(false);
    expect(n.installSnapshot({ from: 'a', term: 3, index: 4, snapshotTerm: 0 })).toBe(false);
    expect(n.status()).toEqual({ ...before, rejectedMessages: before.rejectedMessages + 7 });
    const [rd] = drain(n);
    // Thinned out per sender like rejected messages: a's 3rd is counted, not reported.
    expect(rd!.rejectedMessages.map((r) => [r.from, r.type, r.reason])).toEqual([
      ['c', 'InstallSnapshot', expect.stringMatching(/second leader/)],
      ['c', 'InstallSnapshot', expect.stringMatching(/second leader/)],
      ['a', 'InstallSnapshot', expect.stringMatching(/snapshotTerm 3 outside/)],
      ['x', 'InstallSnapshot', expect.stringMatching(/second leader/)],
      ['b', 'InstallSnapshot', expect.stringMatching(/this node itself/)],
      ['a', 'InstallSnapshot', expect.stringMatching(/index 0/)],
    ]);
  });

  it('a committed-entry conflict is refused and reported', () => {
    const n = newNode('b', peers, {
      entries: logOf(1, 1, 2, 2),
      hardState: { term: 3, commit: 3 },
      applied: 3,
    });
    expect(n.installSnapshot({ from: 'a', term: 3, index: 4, snapshotTerm: 1 })).toBe(false);
    expect(n.status().rejectedMessages).toBe(1);
    expect(drain(n)[0]!.rejectedMessages[0]!.reason).toMatch(/before this node's committed entry/);
  });

  it('a newer term: adopts it and the sender as leader, like an AppendEntries', () => {
    const n = follower();
    expect(n.wantsSnapshot('c', 3, 10)).toBe(true);
    expect(n.installSnapshot({ from: 'c', term: 3, index: 10, snapshotTerm: 3 })).toBe(true);
    expect(n.status()).toMatchObject({ term: 3, leaderId: 'c', role: 'follower', vote: undefined });
    const [rd] = drain(n);
    expect(rd).toMatchObject({
      hardState: { term: 3, commit: 10 },
      softState: { role: 'follower', leaderId: 'c' },
    });
  });

  it('a candidate of the same term steps down; a leader refuses', () => {
    const cand = newNode('b', peers, { entries: logOf(1), hardState: { term: 1, commit: 1 } });
    for (let i = 0; i < 30 && cand.status().role !== 'candidate'; i++) cand.tick();
    const term = cand.status().term;
    expect(cand.installSnapshot({ from: 'a', term, index: 5, snapshotTerm: 1 })).toBe(true);
    expect(cand.status()).toMatchObject({ role: 'follower', leaderId: 'a', term });

    const c = new TestCluster(peers);
    c.elect('a');
    const leaderTerm = c.node('a').status().term;
    expect(c.node('a').wantsSnapshot('b', leaderTerm, 10)).toBe(false);
    expect(c.node('a').status().rejectedMessages).toBe(1);
  });

  it('an AppendEntries that starts inside the snapshot is checked from the snapshot point', () => {
    const n = follower();
    n.installSnapshot({ from: 'a', term: 2, index: 4, snapshotTerm: 2 });
    drain(n);
    // A probe from an old guess: entries 3..7, of which 3 and 4 are covered.
    n.step(appendEntries('b', 2, 2, 1, [ent(3, 2), ent(4, 2), ent(5, 2), ent(6, 2), ent(7, 2)], 6));
    const acks = all(drain(n), (rd) => rd.messagesAfterAppend).filter(isAck);
    expect(acks).toMatchObject([{ success: true, matchIndex: 7 }]);
    expect(n.status()).toMatchObject({ snapshotIndex: 4, lastIndex: 7, commitIndex: 6 });
    // One that ends inside it verifies only the snapshot point.
    n.step(appendEntries('b', 2, 1, 1, [ent(2, 1)], 6));
    expect(all(drain(n), (rd) => rd.messagesAfterAppend).filter(isAck)).toMatchObject([
      { success: true, matchIndex: 4 },
    ]);
    // One that contradicts the snapshot point cannot come from a correct leader.
    n.step(appendEntries('b', 2, 3, 1, [ent(4, 1), ent(5, 2)], 6));
    const [rd] = drain(n);
    expect(rd!.rejectedMessages[0]!.reason).toMatch(/committed entry/);
    expect(n.logEntries(5, 5)[0]!.term).toBe(2);
  });

  /** `b` with entries 6..7 and commit 4 in a Ready handed out but not yet advanced. */
  function outstanding(): { n: RaftNode; rd: Ready } {
    const n = follower();
    n.step(appendEntries('b', 2, 5, 2, [ent(6, 2), ent(7, 2)], 4));
    const rd = n.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([6, 7]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([3, 4]);
    return { n, rd };
  }

  it('a Ready handed out before an install that keeps the log can still be advanced', () => {
    const { n, rd } = outstanding();
    // The snapshot (its point matches our entry 6) arrives while the runtime writes rd.
    expect(n.installSnapshot({ from: 'a', term: 2, index: 6, snapshotTerm: 2 })).toBe(true);
    n.advance(rd); // its committed entries 3, 4 are in the snapshot: applied stays 6
    expect(n.status()).toMatchObject({ appliedIndex: 6, stableIndex: 7, lastIndex: 7 });
    const [next] = drain(n);
    // rd wrote entry 7, and the compaction to 6 keeps it.
    expect(next).toMatchObject({
      snapshotInstalled: { index: 6, term: 2, logRetained: true },
      entries: [],
      committedEntries: [],
    });
  });

  it('a Ready handed out before an install that discards the log: its entries do not count', () => {
    const { n, rd } = outstanding();
    expect(n.installSnapshot({ from: 'a', term: 3, index: 6, snapshotTerm: 3 })).toBe(true);
    n.step(appendEntries('b', 3, 6, 3, [ent(7, 3)], 6));
    n.advance(rd); // rd wrote entries 6, 7 of term 2, which the reset drops
    expect(n.status()).toMatchObject({ appliedIndex: 6, stableIndex: 6, lastIndex: 7 });
    const [next] = drain(n);
    expect(next).toMatchObject({
      snapshotInstalled: { index: 6, term: 3, logRetained: false },
      committedEntries: [],
    });
    expect(next!.entries).toMatchObject([{ index: 7, term: 3 }]);
    expect(n.status().stableIndex).toBe(7);
  });

  it('two installs before one Ready: the reset drops the log if either does', () => {
    const n = follower();
    expect(n.installSnapshot({ from: 'a', term: 2, index: 3, snapshotTerm: 2 })).toBe(true);
    expect(n.installSnapshot({ from: 'c', term: 3, index: 8, snapshotTerm: 3 })).toBe(true);
    expect(drain(n)[0]).toMatchObject({
      snapshotInstalled: { index: 8, term: 3, logRetained: false },
      entries: [],
    });
    const m = follower();
    m.installSnapshot({ from: 'a', term: 2, index: 10, snapshotTerm: 2 });
    m.step(appendEntries('b', 2, 10, 2, [ent(11, 2), ent(12, 2)], 10));
    m.installSnapshot({ from: 'a', term: 2, index: 11, snapshotTerm: 2 });
    expect(drain(m)[0]).toMatchObject({
      snapshotInstalled: { index: 11, term: 2, logRetained: false },
      entries: [{ index: 12 }],
    });
  });
});

describe('a partitioned follower catches up through a snapshot (3 nodes)', () => {
  it('the leader compacts, asks for a snapshot, the follower installs it, all converge', () => {
    const c = lagging();
    c.node('a').propose(bytes('x7'));
    c.tick('a');
    c.deliverAll();
    const term = c.node('a').status().term;
    expect(c.snapshotRequests).toEqual([{ from: 'a', to: 'c', term, index: 6 }]);
    // The runtime streams the snapshot; the follower restores it and installs it.
    const [req] = c.snapshotRequests;
    expect(c.sendSnapshot(req!.from, req!.to, req!.term)).toBe(true);
    // Its only stored entry (1) is in the snapshot, whose point it did not hold.
    expect(c.disks.get('c')).toMatchObject({ snapshot: { index: 6, term: 1 }, entries: [] });
    expect(c.node('a').reportSnapshot('c', 'finished')).toBe(true);
    c.deliverAll();
    // Replication goes on from index 7, and new entries commit everywhere.
    c.node('a').propose(bytes('x8'));
    c.deliverAll();
    for (const id of peers) expect(c.node(id).status().commitIndex).toBe(8);
    const appliedOf = (id: string): string[] =>
      c.applied.get(id)!.map((e) => `${e.index}/${e.term}/${e.type}`);
    expect(appliedOf('c')).toEqual(appliedOf('a'));
    expect(appliedOf('b')).toEqual(appliedOf('a'));
    expect(appliedOf('a')).toHaveLength(8);
    expect(c.node('c').status()).toMatchObject({ snapshotIndex: 6, firstIndex: 7, lastIndex: 8 });
    // And `c` restarts from its disk: snapshot point + entries after it.
    const restarted = c.restart('c');
    expect(restarted.status()).toMatchObject({ snapshotIndex: 6, lastIndex: 8, appliedIndex: 8 });
    c.node('a').propose(bytes('x9'));
    c.deliverAll();
    expect(appliedOf('c')).toEqual(appliedOf('a'));
    expect(appliedOf('a')).toHaveLength(9);
    expect(c.snapshotRequests).toHaveLength(1);
  });

  it('a new leader with a compacted log catches up a follower with a divergent tail', () => {
    // `c` led term 2 alone and appended entries nobody else has; `a` and `b` moved on
    // in term 3, committed, and compacted past the point where c's log diverges.
    const common = logOf(1, 1);
    const c = new TestCluster(peers, {
      a: { entries: [...common, ent(3, 3), ent(4, 3)], hardState: { term: 3, commit: 4 } },
      b: { entries: [...common, ent(3, 3), ent(4, 3)], hardState: { term: 3, commit: 4 } },
      c: {
        entries: [...common, ent(3, 2), ent(4, 2), ent(5, 2)],
        hardState: { term: 2, commit: 2 },
      },
    });
    c.isolate('c');
    c.elect('a');
    c.deliverAll();
    expect(c.compact('a', 5)).toBe(true);
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(c.snapshotRequests).toMatchObject([{ from: 'a', to: 'c', index: 5 }]);
    const [req] = c.snapshotRequests;
    expect(c.sendSnapshot('a', 'c', req!.term)).toBe(true);
    // c's entry 5 (term 2) conflicts with the snapshot's (term 4): its log is discarded.
    expect(c.node('c').logEntries(1, 10)).toEqual([]);
    c.deliverAll();
    c.node('a').propose(bytes('x6'));
    c.deliverAll();
    for (const id of peers) expect(c.node(id).status()).toMatchObject({ commitIndex: 6 });
    expect(c.logTerms('c')).toEqual([4]);
    expect(c.applied.get('c')!.map((e) => e.term)).toEqual(c.applied.get('a')!.map((e) => e.term));
  });
});
