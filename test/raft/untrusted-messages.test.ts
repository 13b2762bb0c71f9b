/**
 * The core does not trust what peers send: a message no correct member could have
 * sent is dropped without effect and reported in Ready.rejectedMessages — never an
 * invariant failure, which would stop the node (invariants guard its own state).
 */
import { describe, expect, it } from 'vitest';
import type {
  AppendEntriesMessage,
  Entry,
  HeartbeatMessage,
  Message,
} from '../../src/raft/index.js';
import type { RejectedMessage } from '../../src/raft/types.js';
import { bytes, text, TestCluster } from './helpers.js';

const peers = ['a', 'b', 'c'];

/** `a` leads term 1 with entries 1 (its no-op), 2 and 3 committed and applied everywhere. */
function steady(): TestCluster {
  const c = new TestCluster(peers);
  c.elect('a');
  c.node('a').propose(bytes('x2'));
  c.node('a').propose(bytes('x3'));
  c.deliverAll();
  for (const id of peers) expect(c.node(id).status()).toMatchObject({ term: 1, commitIndex: 3 });
  return c;
}

const normal = (index: number, term: number, data = `evil${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: bytes(data),
});

function appendEntries(
  from: string,
  to: string,
  term: number,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: Entry[],
): AppendEntriesMessage {
  return {
    type: 'AppendEntries',
    from,
    to,
    term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: prevLogIndex + entries.length,
  };
}

function heartbeat(from: string, to: string, term: number, commit: number): HeartbeatMessage {
  return { type: 'Heartbeat', from, to, term, commit, readContext: 0 };
}

const rejectionsOf = (c: TestCluster, id: string): RejectedMessage[] =>
  c.readies.get(id)!.flatMap((rd) => [...rd.rejectedMessages]);

/**
 * Steps `m` into its recipient and runs the Ready cycle; asserts that the node's
 * state and log are exactly as before (only the rejection counter moved), that it
 * answered nothing, and returns what it reported.
 */
function expectDropped(c: TestCluster, m: Message): RejectedMessage {
  const n = c.node(m.to);
  const before = n.status();
  const logBefore = n.logEntries(1, before.lastIndex);
  c.inbox = [];
  const readiesBefore = c.readies.get(m.to)!.length;
  expect(() => n.step(m)).not.toThrow();
  c.settle();
  expect(n.status()).toEqual({ ...before, rejectedMessages: before.rejectedMessages + 1 });
  expect(n.logEntries(1, before.lastIndex + 10)).toEqual(logBefore);
  expect(c.inbox.filter((out) => out.from === m.to)).toEqual([]);
  const reported = c.readies
    .get(m.to)!
    .slice(readiesBefore)
    .flatMap((rd) => [...rd.rejectedMessages]);
  expect(reported).toHaveLength(1);
  expect(reported[0]).toMatchObject({ from: m.from, type: m.type });
  return reported[0]!;
}

describe('a follower drops what no correct leader sends', () => {
  it('a heartbeat whose commit index lies beyond its log (same term)', () => {
    const c = steady();
    const r = expectDropped(c, heartbeat('a', 'b', 1, 9));
    expect(r.reason).toMatch(/heartbeat commit 9 beyond this node's last index 3/);
  });

  it('a heartbeat whose commit index lies beyond its log, in a higher term: the term does not move either', () => {
    const c = steady();
    expectDropped(c, heartbeat('a', 'b', 5, 9));
    expect(c.node('b').status().term).toBe(1);
  });

  it('an AppendEntries whose entries are not contiguous from prevLogIndex + 1', () => {
    const c = steady();
    const r = expectDropped(c, appendEntries('a', 'b', 1, 3, 1, [normal(4, 1), normal(6, 1)]));
    expect(r.reason).toMatch(/not contiguous/);
    const gapAtStart = expectDropped(c, appendEntries('a', 'b', 1, 3, 1, [normal(5, 1)]));
    expect(gapAtStart.reason).toMatch(/not contiguous/);
  });

  it('an AppendEntries carrying an entry of a term above the message term', () => {
    const c = steady();
    const r = expectDropped(c, appendEntries('a', 'b', 1, 3, 1, [normal(4, 2)]));
    expect(r.reason).toMatch(/entry 4 has term 2, outside \[1, 1\]/);
  });

  it('an AppendEntries whose entry terms decrease, or numbers that are negative, fractional or unsafe', () => {
    // A fresh cluster each: only the 1st, 2nd, 4th, … rejection of a sender is reported.
    const bad: Message[] = [
      appendEntries('a', 'b', 2, 3, 1, [normal(4, 2), normal(5, 1)]),
      appendEntries('a', 'b', 1, -1, 1, []),
      heartbeat('a', 'b', 1, 1.5),
      heartbeat('a', 'b', Number.MAX_SAFE_INTEGER + 1, 0),
    ];
    for (const m of bad) expect(expectDropped(steady(), m).reason).toMatch(/^malformed: /);
  });

  it('AppendEntries and heartbeats from a second leader in the term: it keeps following the first', () => {
    const c = steady();
    const ae = expectDropped(c, appendEntries('c', 'b', 1, 3, 1, [normal(4, 1)]));
    expect(ae.reason).toMatch(/follows a in term 1: a second leader/);
    const hb = expectDropped(c, heartbeat('c', 'b', 1, 3));
    expect(hb.reason).toMatch(/second leader/);
    expect(c.node('b').status().leaderId).toBe('a');

    // The real leader's next entry takes index 4 on b: nothing of c's is there.
    expect(c.node('a').propose(bytes('x4'))).toEqual({ index: 4, term: 1 });
    c.deliverAll();
    expect(c.node('b').status()).toMatchObject({ leaderId: 'a', commitIndex: 4, lastIndex: 4 });
    expect(text(c.node('b').logEntries(4, 4)[0]!.data)).toBe('x4');
    expect(c.applied.get('b')!.map((e) => text(e.data))).toEqual(['', 'x2', 'x3', 'x4']);
  });

  it('messages to another node, claiming to come from itself, or a non-member leading a term that has one', () => {
    const c = steady();
    // Non-members are heard (a leader may hold a configuration this node lacks), but a
    // second leader in a term is still refused.
    expect(expectDropped(c, heartbeat('mallory', 'b', 1, 0)).reason).toMatch(/second leader/);
    expect(expectDropped(c, heartbeat('b', 'b', 1, 0)).reason).toMatch(/this node itself/);
    const misaddressed = heartbeat('a', 'c', 1, 0);
    c.node('b').step(misaddressed);
    c.settle();
    expect(rejectionsOf(c, 'b').at(-1)?.reason).toMatch(/addressed to c/);
  });
});

describe('a leader drops what no correct peer sends', () => {
  it('AppendEntries or a heartbeat from another node in its own term (two leaders in one term)', () => {
    const c = steady();
    const ae = expectDropped(c, appendEntries('c', 'a', 1, 3, 1, [normal(4, 1)]));
    expect(ae.reason).toMatch(/this node is the leader of term 1: a second leader/);
    expectDropped(c, heartbeat('b', 'a', 1, 3));
    expect(c.node('a').status()).toMatchObject({ role: 'leader', term: 1, lastIndex: 3 });
    // And it still leads: its next proposal commits.
    c.node('a').propose(bytes('x4'));
    c.deliverAll();
    expect(c.node('c').status()).toMatchObject({ leaderId: 'a', commitIndex: 4 });
  });

  it('a success whose matchIndex lies beyond its own log', () => {
    const c = steady();
    const r = expectDropped(c, {
      type: 'AppendEntriesResponse',
      from: 'b',
      to: 'a',
      term: 1,
      success: true,
      matchIndex: 100,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    expect(r.reason).toMatch(/matchIndex 100 beyond the leader's last index 3/);
    expect(c.node('a').status().progress?.['b']?.match).toBe(3);
  });
});

describe('reporting', () => {
  it('reports the 1st, 2nd, 4th, 8th … rejection of each sender and counts them all', () => {
    const c = steady();
    for (let i = 0; i < 10; i++) c.node('b').step(heartbeat('a', 'b', 1, 99));
    c.node('b').step(heartbeat('c', 'b', 1, 99));
    c.settle();
    const reported = rejectionsOf(c, 'b');
    expect(reported.map((r) => [r.from, r.count])).toEqual([
      ['a', 1],
      ['a', 2],
      ['a', 4],
      ['a', 8],
      ['c', 1],
    ]);
    expect(c.node('b').status().rejectedMessages).toBe(11);
  });

  it('a rejection alone makes a Ready, so that the runtime logs it promptly', () => {
    const c = steady();
    const b = c.node('b');
    expect(b.hasReady()).toBe(false);
    b.step(heartbeat('a', 'b', 1, 99));
    expect(b.hasReady()).toBe(true);
    const rd = b.ready();
    expect(rd.rejectedMessages).toHaveLength(1);
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toEqual([]);
    b.advance(rd);
    expect(b.hasReady()).toBe(false);
  });
});
