/**
 * Leader election rules (Raft paper §5.2, §5.4.1; thesis §9.6 pre-vote, §6.2
 * check-quorum), one test per rule where sensible — like etcd's raft_paper_test.go.
 */
import { describe, expect, it } from 'vitest';
import type { Message, RequestVoteMessage } from '../../src/raft/index.js';
import { logOf, newNode, TestCluster } from './helpers.js';

const peers = ['a', 'b', 'c'];

function voteRequest(
  from: string,
  to: string,
  term: number,
  lastLogIndex: number,
  lastLogTerm: number,
): RequestVoteMessage {
  return { type: 'RequestVote', from, to, term, lastLogIndex, lastLogTerm };
}

function drainMessages(n: ReturnType<typeof newNode>): Message[] {
  const out: Message[] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    out.push(...rd.messages, ...rd.messagesAfterAppend);
    n.advance(rd);
  }
  return out;
}

describe('election timeouts (§5.2)', () => {
  it('a follower campaigns after its randomized election timeout, drawn from [electionTick, 2*electionTick)', () => {
    for (const [r, expected] of [
      [0, 10],
      [0.5, 15],
      [0.999, 19],
    ] as const) {
      const n = newNode('a', peers, { config: { random: () => r } });
      let ticks = 0;
      while (n.status().role === 'follower') {
        n.tick();
        ticks++;
      }
      expect(ticks).toBe(expected);
      expect(n.status()).toMatchObject({ role: 'candidate', term: 1, vote: 'a' });
    }
  });

  it('a candidate asks every peer for its vote with its last log index and term', () => {
    const n = newNode('a', peers, { entries: logOf(1, 1, 2), hardState: { term: 2 } });
    for (let i = 0; i < 10; i++) n.tick();
    const msgs = drainMessages(n);
    expect(msgs).toEqual([
      { type: 'RequestVote', from: 'a', to: 'b', term: 3, lastLogIndex: 3, lastLogTerm: 2 },
      { type: 'RequestVote', from: 'a', to: 'c', term: 3, lastLogIndex: 3, lastLogTerm: 2 },
    ]);
  });

  it('a candidate that wins a majority becomes leader and appends a no-op of its term (§8)', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    const st = c.node('a').status();
    expect(st).toMatchObject({
      role: 'leader',
      term: 1,
      leaderId: 'a',
      lastIndex: 1,
      commitIndex: 1,
    });
    expect(c.node('a').logEntries(1, 1)[0]).toMatchObject({ index: 1, term: 1, type: 'noop' });
    expect(c.node('b').status()).toMatchObject({
      role: 'follower',
      leaderId: 'a',
      term: 1,
      commitIndex: 1,
    });
  });

  it('a candidate that loses a majority of votes returns to follower', () => {
    // b and c have a longer log of a later term: a cannot win.
    const c = new TestCluster(peers, {
      a: { entries: logOf(1), hardState: { term: 2 } },
      b: { entries: logOf(1, 2), hardState: { term: 2 } },
      c: { entries: logOf(1, 2), hardState: { term: 2 } },
    });
    c.campaign('a');
    expect(c.node('a').status()).toMatchObject({ role: 'candidate', term: 3 });
    c.deliverAll();
    expect(c.node('a').status()).toMatchObject({ role: 'follower', term: 3 });
  });

  it('a candidate that hears from a leader of its term steps down (§5.2)', () => {
    const b = newNode('b', peers, { hardState: { term: 5 } });
    for (let i = 0; i < 10; i++) b.tick();
    expect(b.status()).toMatchObject({ role: 'candidate', term: 6 });
    b.step({ type: 'Heartbeat', from: 'c', to: 'b', term: 6, commit: 0, readContext: 0 });
    expect(b.status()).toMatchObject({ role: 'follower', term: 6, leaderId: 'c' });
  });

  it('a split vote is resolved: every node eventually agrees on one leader', () => {
    const c = new TestCluster(peers);
    // a and b campaign in the same term and vote for themselves.
    c.campaign('a');
    c.campaign('b');
    expect(c.node('a').status().term).toBe(1);
    expect(c.node('b').status().term).toBe(1);
    c.deliverAll();
    const leaders = peers.filter((id) => c.node(id).status().role === 'leader');
    expect(leaders.length).toBeLessThanOrEqual(1);
  });
});

describe('vote granting (§5.2, §5.4.1)', () => {
  it('grants at most one vote per term, first come first served', () => {
    const n = newNode('c', peers);
    n.step(voteRequest('a', 'c', 1, 0, 0));
    n.step(voteRequest('b', 'c', 1, 0, 0));
    const msgs = drainMessages(n);
    expect(msgs).toEqual([
      { type: 'RequestVoteResponse', from: 'c', to: 'a', term: 1, granted: true },
      { type: 'RequestVoteResponse', from: 'c', to: 'b', term: 1, granted: false },
    ]);
    expect(n.status().vote).toBe('a');
  });

  it('grants again to the same candidate (a retransmitted request)', () => {
    const n = newNode('c', peers);
    n.step(voteRequest('a', 'c', 1, 0, 0));
    n.step(voteRequest('a', 'c', 1, 0, 0));
    expect(drainMessages(n).map((m) => m.type === 'RequestVoteResponse' && m.granted)).toEqual([
      true,
      true,
    ]);
  });

  it('the vote is in the same Ready as the response, so it is durable before the candidate hears of it', () => {
    const n = newNode('c', peers);
    n.step(voteRequest('a', 'c', 1, 0, 0));
    const rd = n.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 'a', commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toHaveLength(1); // sent only once the vote is on disk
  });

  it('the vote survives a restart from the persisted hard state', () => {
    const n = newNode('c', peers, { hardState: { term: 1, vote: 'a' } });
    n.step(voteRequest('b', 'c', 1, 0, 0));
    expect(drainMessages(n)).toEqual([
      { type: 'RequestVoteResponse', from: 'c', to: 'b', term: 1, granted: false },
    ]);
  });

  // Voter's log: terms [1, 1, 2] (last index 3, last term 2).
  it.each([
    { lastLogIndex: 2, lastLogTerm: 1, granted: false, why: 'lower last term' },
    { lastLogIndex: 9, lastLogTerm: 1, granted: false, why: 'lower last term, longer log' },
    { lastLogIndex: 2, lastLogTerm: 2, granted: false, why: 'same last term, shorter log' },
    { lastLogIndex: 3, lastLogTerm: 2, granted: true, why: 'same last term, same length' },
    { lastLogIndex: 4, lastLogTerm: 2, granted: true, why: 'same last term, longer log' },
    { lastLogIndex: 1, lastLogTerm: 3, granted: true, why: 'higher last term, shorter log' },
  ])('log up-to-date check: $why → granted=$granted', ({ lastLogIndex, lastLogTerm, granted }) => {
    const n = newNode('c', peers, { entries: logOf(1, 1, 2), hardState: { term: 2 } });
    n.step(voteRequest('a', 'c', 3, lastLogIndex, lastLogTerm));
    const [resp] = drainMessages(n);
    expect(resp).toMatchObject({ type: 'RequestVoteResponse', granted, term: 3 });
  });

  it("a request from an earlier term is refused with the voter's term, which it keeps (Figure 2)", () => {
    const n = newNode('c', peers, { hardState: { term: 5 } });
    n.step(voteRequest('a', 'c', 4, 10, 4));
    expect(n.status().term).toBe(5);
    expect(n.status().vote).toBeUndefined();
    expect(drainMessages(n)).toEqual([
      { type: 'RequestVoteResponse', from: 'c', to: 'a', term: 5, granted: false },
    ]);
  });

  it('a candidate behind a voter whose own campaigns cannot reach it catches up on its term and wins', () => {
    // The shape of a livelock the simulator found (membership, no pre-vote): b holds
    // an older configuration that leaves a out, so b's campaigns never reach a and
    // only raise b's term; a needs b's vote. Before b answered lower-term requests,
    // a campaigned below b's term forever.
    const pair = ['a', 'b'];
    const c = new TestCluster(pair, {
      a: { entries: logOf(1, 2), hardState: { term: 2 }, config: { random: () => 0 } },
      b: { entries: logOf(1), hardState: { term: 10 }, config: { random: () => 0.999 } },
    });
    c.drop = (m) => m.from === 'b' && m.type === 'RequestVote';
    for (let i = 0; i < 100 && c.node('a').status().role !== 'leader'; i++) {
      c.tick('a');
      c.tick('b');
      c.deliverAll();
    }
    expect(c.node('a').status().role).toBe('leader');
    expect(c.node('a').status().term).toBeGreaterThan(10);
  });

  it('a node with a stale log never wins an election, however often it tries', () => {
    const c = new TestCluster(peers, {
      a: { entries: logOf(1), hardState: { term: 1 } },
      b: { entries: logOf(1, 2), hardState: { term: 2 } },
      c: { entries: logOf(1, 2), hardState: { term: 2 } },
    });
    for (let round = 0; round < 20; round++) {
      c.campaign('a');
      c.deliverAll();
      expect(c.node('a').status().role).not.toBe('leader');
    }
  });

  it('any message with a higher term makes a leader step down and adopt the term (§5.1)', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    const a = c.node('a');
    a.step({
      type: 'AppendEntriesResponse',
      from: 'b',
      to: 'a',
      term: 7,
      success: false,
      matchIndex: 0,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    expect(a.status()).toMatchObject({ role: 'follower', term: 7, vote: undefined });
  });
});

describe('pre-vote (thesis §9.6)', () => {
  const preVote = { preVote: true };

  it('a pre-candidate does not bump its term, and voters do not change theirs', () => {
    const c = new TestCluster(peers, {}, preVote);
    c.campaign('a');
    expect(c.node('a').status()).toMatchObject({ role: 'pre-candidate', term: 0, vote: undefined });
    const preVotes = c.take((m) => m.type === 'PreVote');
    expect(preVotes.map((m) => m.term)).toEqual([1, 1]);
    for (const m of preVotes) c.node(m.to).step(m);
    expect(c.node('b').status()).toMatchObject({ term: 0, vote: undefined });
    c.deliverAll();
    // Granted pre-votes lead to a real election.
    expect(c.node('a').status()).toMatchObject({ role: 'leader', term: 1 });
  });

  it('an isolated node does not inflate its term', () => {
    const c = new TestCluster(peers, {}, preVote);
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 200; i++) c.tick('c');
    c.deliverAll();
    expect(c.node('c').status().term).toBe(1);
    // When it comes back it does not disrupt the leader.
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(c.node('a').status()).toMatchObject({ role: 'leader', term: 1 });
    expect(c.node('c').status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'a' });
  });

  it('a voter that heard from a leader within the election timeout refuses a pre-vote', () => {
    const c = new TestCluster(peers, {}, preVote);
    c.elect('a');
    const b = c.node('b');
    b.step({ type: 'PreVote', from: 'c', to: 'b', term: 2, lastLogIndex: 5, lastLogTerm: 1 });
    expect(drainMessages(b).filter((m) => m.type === 'PreVoteResponse')).toEqual([]);
    // After an election timeout without the leader, it grants.
    for (let i = 0; i < 10; i++) b.tick();
    drainMessages(b);
    const b2 = newNode('b', peers, {
      entries: c.node('b').logEntries(1, 1),
      hardState: { term: 1 },
      config: preVote,
    });
    b2.step({ type: 'PreVote', from: 'c', to: 'b', term: 2, lastLogIndex: 5, lastLogTerm: 1 });
    expect(drainMessages(b2)).toEqual([
      { type: 'PreVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
    expect(b2.status()).toMatchObject({ term: 1, vote: undefined });
  });

  it('a pre-vote is refused to a pre-candidate whose log is behind', () => {
    const n = newNode('b', peers, {
      entries: logOf(1, 2),
      hardState: { term: 2 },
      config: preVote,
    });
    n.step({ type: 'PreVote', from: 'c', to: 'b', term: 3, lastLogIndex: 5, lastLogTerm: 1 });
    expect(drainMessages(n)).toEqual([
      { type: 'PreVoteResponse', from: 'b', to: 'c', term: 2, granted: false },
    ]);
  });
});

describe('check-quorum and leader stickiness (thesis §6.2, §4.2.3)', () => {
  const cq = { checkQuorum: true };

  it('a leader that has not heard from a majority within an election timeout steps down', () => {
    const c = new TestCluster(peers, {}, cq);
    c.elect('a');
    c.isolate('a');
    for (let i = 0; i < 9; i++) c.tick('a');
    expect(c.node('a').status().role).toBe('leader');
    // The first check finds the followers active (they answered before the
    // partition); the second, an election timeout later, does not.
    for (let i = 0; i < 11; i++) c.tick('a');
    expect(c.node('a').status()).toMatchObject({ role: 'follower', term: 1, leaderId: undefined });
  });

  it('without check-quorum an isolated leader stays leader', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    c.isolate('a');
    for (let i = 0; i < 100; i++) c.tick('a');
    expect(c.node('a').status().role).toBe('leader');
  });

  it('a leader with a live majority keeps leading', () => {
    const c = new TestCluster(peers, {}, cq);
    c.elect('a');
    c.drop = (m) => m.from === 'c' || m.to === 'c';
    for (let i = 0; i < 50; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(c.node('a').status().role).toBe('leader');
  });

  it('a follower that recently heard from the leader ignores a RequestVote of a higher term', () => {
    const c = new TestCluster(peers, {}, cq);
    c.elect('a');
    const b = c.node('b');
    b.step(voteRequest('c', 'b', 5, 100, 1));
    expect(b.status()).toMatchObject({ term: 1, vote: 'a', leaderId: 'a' });
    expect(drainMessages(b)).toEqual([]);
  });

  it('once the lease has run out, the same request is granted', () => {
    const c = new TestCluster(peers, {}, cq);
    c.elect('a');
    const b = c.node('b');
    for (let i = 0; i < 10; i++) b.tick(); // b would start an election now: not in lease any more
    drainMessages(b);
    const b2 = newNode('b', peers, {
      entries: b.logEntries(1, 1),
      hardState: { term: 1, vote: 'a' },
      config: cq,
    });
    b2.step(voteRequest('c', 'b', 5, 100, 1));
    expect(b2.status()).toMatchObject({ term: 5, vote: 'c' });
  });

  it('a stale leader learns the newer term from a follower and steps down', () => {
    const c = new TestCluster(peers, { c: { config: { random: () => 0.5 } } }, cq);
    c.elect('a');
    c.isolate('a');
    for (let i = 0; i < 25; i++) {
      c.tick('b');
      c.tick('c');
      c.deliverAll();
    }
    expect(c.node('b').status().role === 'leader' || c.node('c').status().role === 'leader').toBe(
      true,
    );
    const newTerm = c.node('b').status().term;
    expect(newTerm).toBeGreaterThan(1);
    // a was never ticked, so check-quorum did not demote it: it still thinks it leads.
    const a = c.node('a');
    expect(a.status()).toMatchObject({ role: 'leader', term: 1 });
    c.heal();
    c.inbox = [];
    // Its next heartbeat is answered with the newer term (the followers ignore
    // its term and would never vote in a way that tells it otherwise).
    c.tick('a');
    c.deliverAll();
    expect(a.status()).toMatchObject({ role: 'follower', term: newTerm });
  });
});
