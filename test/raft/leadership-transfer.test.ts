/**
 * Leadership transfer (Raft thesis §3.10) in the pure core: the leader's
 * `transferLeadership`, the refusal of proposals meanwhile, the abandonment after an
 * election timeout, TimeoutNow at the transferee, the voters letting a transfer's
 * RequestVote past leader stickiness, the wire encoding of that flag, and the whole
 * hand-over in a three-node cluster.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RAFT_CONFIG,
  NotLeaderError,
  RaftConfigError,
  type Entry,
  type Message,
  type RequestVoteMessage,
} from '../../src/raft/index.js';
// Not re-exported by src/raft/index.ts (see the report): from its module.
import { TransferInProgressError } from '../../src/raft/errors.js';
import { raftPeerServiceDefinition } from '../../src/raft/runtime/peer-transport.js';
import {
  MalformedMessageError,
  messageFromWire,
  messageToWire,
  type WireRaftMessage,
} from '../../src/raft/runtime/message-codec.js';
import { bytes, newNode, TestCluster, text } from './helpers.js';

const peers = ['a', 'b', 'c'];

/** Pre-vote and check-quorum on, as in production (helpers.newNode turns them off). */
const sticky = { preVote: true, checkQuorum: true };

type Node = ReturnType<typeof newNode>;

function drain(n: Node): Message[] {
  const out: Message[] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    out.push(...rd.messages, ...rd.messagesAfterAppend);
    n.advance(rd);
  }
  return out;
}

const timeoutNows = (msgs: readonly Message[]): Message[] =>
  msgs.filter((m) => m.type === 'TimeoutNow');

/** a elected (term 1) with pre-vote and check-quorum, its no-op committed everywhere. */
function steady(): TestCluster {
  const c = new TestCluster(peers, {}, sticky);
  c.elect('a');
  c.deliverAll();
  expect(c.node('a').status()).toMatchObject({ role: 'leader', term: 1, commitIndex: 1 });
  return c;
}

/** Proposes `payloads` at `leader` and delivers until the network is quiet. */
function commit(c: TestCluster, leader: string, ...payloads: string[]): void {
  for (const p of payloads) c.node(leader).propose(bytes(p));
  c.deliverAll();
}

/** Index, term, type and payload of each entry: comparable across nodes. */
const shape = (entries: readonly Entry[]): string[] =>
  entries.map((e) => `${e.index}/${e.term}/${e.type}/${text(e.data)}`);

/** Delivers the inbox one message at a time, calling `onEach` with the messages each one caused. */
function deliverOneByOne(c: TestCluster, onEach: (m: Message, caused: Message[]) => void): void {
  c.settle();
  for (let i = 0; i < 10_000; i++) {
    const m = c.inbox.shift();
    if (m === undefined) return;
    if (c.drop(m)) continue;
    const before = c.inbox.length;
    c.node(m.to).step(m);
    c.settle();
    onEach(m, c.inbox.slice(before));
  }
  throw new Error('network did not quiesce');
}

function requestVote(
  from: string,
  to: string,
  term: number,
  last: { index: number; term: number },
  transfer?: boolean,
): RequestVoteMessage {
  return {
    type: 'RequestVote',
    from,
    to,
    term,
    lastLogIndex: last.index,
    lastLogTerm: last.term,
    ...(transfer !== undefined && { transfer }),
  };
}

describe('transferLeadership: who may call it, and with what target', () => {
  it('the production defaults are the ones these tests turn on', () => {
    expect(DEFAULT_RAFT_CONFIG).toMatchObject(sticky);
  });

  it('throws NotLeaderError on a follower (naming its leader) and on a candidate', () => {
    const c = steady();
    const err = (() => {
      try {
        c.node('b').transferLeadership('c');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leaderId).toBe('a');
    expect(c.node('b').basicStatus().transferee).toBeUndefined();

    const n = newNode('a', peers);
    for (let i = 0; i < 10; i++) n.tick();
    expect(n.status().role).toBe('candidate');
    expect(() => n.transferLeadership('b')).toThrow(NotLeaderError);
  });

  it('a transfer to the leader itself does nothing: no transferee, no message, proposals go on', () => {
    const c = steady();
    const a = c.node('a');
    a.transferLeadership('a');
    expect(a.status().transferee).toBeUndefined();
    expect(a.basicStatus().transferee).toBeUndefined();
    expect(a.hasReady()).toBe(false);
    expect(a.propose(bytes('x'))).toEqual({ index: 2, term: 1 });
  });

  it('a target that is not a voter throws RaftConfigError and leaves no transfer behind', () => {
    const c = steady();
    const a = c.node('a');
    expect(() => a.transferLeadership('z')).toThrow(RaftConfigError);
    expect(() => a.transferLeadership('z')).toThrow(/z.*not a voter/);
    expect(a.status().transferee).toBeUndefined();
    expect(a.basicStatus().transferee).toBeUndefined();
    expect(a.hasReady()).toBe(false);
    expect(a.propose(bytes('x')).index).toBe(2);
  });
});

describe('transferLeadership: when TimeoutNow is sent', () => {
  it('to a target holding the whole log: TimeoutNow at once, in the very next Ready, after the disk', () => {
    const c = steady();
    const a = c.node('a');
    expect(a.status().progress!['c']!.match).toBe(a.status().lastIndex);
    a.transferLeadership('c');
    expect(a.status().transferee).toBe('c');
    expect(a.basicStatus()).toMatchObject({ role: 'leader', term: 1, transferee: 'c' });
    expect(a.hasReady()).toBe(true);
    const rd = a.ready();
    expect(rd.messages.filter((m) => m.type === 'TimeoutNow')).toEqual([]);
    expect(timeoutNows(rd.messagesAfterAppend)).toEqual([
      { type: 'TimeoutNow', from: 'a', to: 'c', term: 1 },
    ]);
    c.processReady('a', rd);
  });

  it('to a lagging target: AppendEntries first, TimeoutNow only on the response that brings its match to the last index', () => {
    const c = new TestCluster(peers, {}, { ...sticky, maxEntriesPerMessage: 1 });
    c.elect('a');
    c.deliverAll();
    c.drop = (m) => m.to === 'c' || m.from === 'c';
    commit(c, 'a', 'p1', 'p2', 'p3');
    c.heal();
    const a = c.node('a');
    const last = a.status().lastIndex;
    expect(last).toBe(4);
    expect(a.status().progress!['c']!.match).toBe(1);

    a.transferLeadership('c');
    expect(a.status().transferee).toBe('c');
    const first = c.take(() => true);
    expect(timeoutNows(first)).toEqual([]);
    expect(first.some((m) => m.type === 'AppendEntries' && m.to === 'c')).toBe(true);
    c.inbox = first;

    // Which delivered message made a send TimeoutNow, and what c's responses said before.
    const cMatchesBefore: number[] = [];
    let trigger: Message | undefined;
    deliverOneByOne(c, (m, caused) => {
      if (trigger !== undefined) return;
      if (timeoutNows(caused).length > 0) {
        trigger = m;
        expect(timeoutNows(caused)).toEqual([{ type: 'TimeoutNow', from: 'a', to: 'c', term: 1 }]);
        // c holds a's whole log when it is told to campaign.
        expect(c.node('c').status().lastIndex).toBe(last);
        return;
      }
      if (m.type === 'AppendEntriesResponse' && m.from === 'c' && m.success)
        cMatchesBefore.push(m.matchIndex);
    });
    expect(trigger).toMatchObject({
      type: 'AppendEntriesResponse',
      from: 'c',
      to: 'a',
      success: true,
      matchIndex: last,
    });
    // One entry per message: c acknowledged 2 and 3 first, and neither sent TimeoutNow.
    expect(cMatchesBefore).toEqual([2, 3]);
    expect(c.node('c').status()).toMatchObject({ role: 'leader', term: 2 });
  });

  it('an acknowledgement short of the last index, or one from another follower, sends no TimeoutNow', () => {
    const c = steady();
    c.drop = (m) => m.to === 'c' || m.from === 'c';
    commit(c, 'a', 'p1', 'p2', 'p3');
    c.inbox = [];
    const a = c.node('a');
    a.transferLeadership('c');
    c.take(() => true);
    const ack = (from: string, matchIndex: number): Message => ({
      type: 'AppendEntriesResponse',
      from,
      to: 'a',
      term: 1,
      success: true,
      matchIndex,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    a.step(ack('b', 4));
    a.step(ack('c', 3));
    expect(timeoutNows(c.take(() => true))).toEqual([]);
    expect(a.status().progress!['c']!.match).toBe(3);
    a.step(ack('c', 4));
    expect(timeoutNows(c.take(() => true))).toEqual([
      { type: 'TimeoutNow', from: 'a', to: 'c', term: 1 },
    ]);
  });

  it('a second call naming another voter moves the transfer to it', () => {
    const c = steady();
    c.drop = (m) => m.type === 'TimeoutNow';
    const a = c.node('a');
    a.transferLeadership('c');
    expect(timeoutNows(c.take(() => true)).map((m) => m.to)).toEqual(['c']);
    a.transferLeadership('b');
    expect(a.status().transferee).toBe('b');
    expect(timeoutNows(c.take(() => true)).map((m) => m.to)).toEqual(['b']);
  });
});

describe('while a transfer is in progress', () => {
  /** a transfers to c, whose TimeoutNow is lost: the transfer stays in progress. */
  function transferring(): TestCluster {
    const c = steady();
    c.drop = (m) => m.type === 'TimeoutNow';
    c.node('a').transferLeadership('c');
    c.deliverAll();
    expect(c.node('a').status()).toMatchObject({ role: 'leader', transferee: 'c' });
    return c;
  }

  it('propose throws TransferInProgressError and appends nothing', () => {
    const c = transferring();
    const a = c.node('a');
    const lastBefore = a.status().lastIndex;
    let err: unknown;
    try {
      a.propose(bytes('refused'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransferInProgressError);
    expect(err).toMatchObject({ code: 'TRANSFER_IN_PROGRESS', nodeId: 'a', transferee: 'c' });
    expect(a.status().lastIndex).toBe(lastBefore);
    c.deliverAll();
    expect(c.node('b').status().lastIndex).toBe(lastBefore);
  });

  it('readIndex still works: the read is confirmed by a heartbeat round', () => {
    const c = transferring();
    const a = c.node('a');
    a.readIndex('r1');
    c.deliverAll();
    expect(c.readStates.get('a')).toEqual([{ requestId: 'r1', index: a.status().commitIndex }]);
    expect(a.status().transferee).toBe('c');
  });

  it('is abandoned after electionTick ticks of the leader: proposals are accepted again, in the same term', () => {
    const c = transferring();
    const a = c.node('a');
    for (let i = 0; i < DEFAULT_RAFT_CONFIG.electionTick - 1; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(a.status().transferee).toBe('c');
    expect(() => a.propose(bytes('too early'))).toThrow(TransferInProgressError);
    c.tick('a');
    expect(a.status().transferee).toBeUndefined();
    expect(a.basicStatus().transferee).toBeUndefined();
    expect(a.status()).not.toHaveProperty('transferee');
    const { index, term } = a.propose(bytes('after'));
    expect(term).toBe(1);
    c.deliverAll();
    expect(a.status()).toMatchObject({ role: 'leader', term: 1, commitIndex: index });
    expect(c.node('c').status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'a' });
  });

  it('stepping down clears it', () => {
    const c = transferring();
    const a = c.node('a');
    a.step({
      type: 'AppendEntriesResponse',
      from: 'b',
      to: 'a',
      term: 5,
      success: false,
      matchIndex: 0,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    expect(a.status()).toMatchObject({ role: 'follower', term: 5 });
    expect(a.status()).not.toHaveProperty('transferee');
    expect(a.basicStatus().transferee).toBeUndefined();
  });
});

describe('TimeoutNow at the transferee', () => {
  /** c follows a in term 1, with pre-vote and check-quorum on. */
  function follower(): Node {
    const n = newNode('c', peers, { config: sticky });
    n.step({ type: 'Heartbeat', from: 'a', to: 'c', term: 1, commit: 0, readContext: 0 });
    drain(n);
    expect(n.status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'a' });
    return n;
  }

  it('from the leader it follows, in its term: campaigns at once, skipping pre-vote, with transfer: true', () => {
    const n = follower();
    n.step({ type: 'TimeoutNow', from: 'a', to: 'c', term: 1 });
    // No tick: at once. A real election (term + 1, own vote), not a pre-election.
    expect(n.status()).toMatchObject({ role: 'candidate', term: 2, vote: 'c' });
    expect(n.status().leaderId).toBeUndefined();
    const rd = n.ready();
    expect(rd.hardState).toEqual({ term: 2, vote: 'c', commit: 0 });
    expect(rd.mustSync).toBe(true);
    // Its RequestVotes wait for the vote on disk, like any candidate's.
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toEqual([
      {
        type: 'RequestVote',
        from: 'c',
        to: 'a',
        term: 2,
        lastLogIndex: 0,
        lastLogTerm: 0,
        transfer: true,
      },
      {
        type: 'RequestVote',
        from: 'c',
        to: 'b',
        term: 2,
        lastLogIndex: 0,
        lastLogTerm: 0,
        transfer: true,
      },
    ]);
    n.advance(rd);
  });

  it('a normal election timeout still starts a pre-vote without the transfer flag', () => {
    const n = follower();
    for (let i = 0; i < 10; i++) n.tick();
    expect(n.status()).toMatchObject({ role: 'pre-candidate', term: 1 });
    const msgs = drain(n);
    expect(msgs.map((m) => m.type)).toEqual(['PreVote', 'PreVote']);
    expect(msgs.every((m) => !('transfer' in m))).toBe(true);
  });

  it.each([
    { what: 'from a follower, not the leader', m: { from: 'b', term: 1 } },
    { what: 'from the leader, of a later term', m: { from: 'a', term: 2 } },
    { what: 'from the leader, of an earlier term', m: { from: 'a', term: 0 } },
  ])('is ignored $what: no campaign, no term change, no message', ({ m }) => {
    const n = follower();
    n.step({ type: 'TimeoutNow', to: 'c', ...m });
    expect(n.status()).toMatchObject({
      role: 'follower',
      term: 1,
      leaderId: 'a',
      vote: undefined,
      rejectedMessages: 0,
    });
    expect(drain(n)).toEqual([]);
  });

  it('is ignored by a node that knows no leader in its term', () => {
    const n = newNode('c', peers, { config: sticky, hardState: { term: 1 } });
    n.step({ type: 'TimeoutNow', from: 'a', to: 'c', term: 1 });
    expect(n.status()).toMatchObject({ role: 'follower', term: 1 });
    expect(drain(n)).toEqual([]);
  });

  it('is ignored by a leader and by a candidate', () => {
    const c = steady();
    const a = c.node('a');
    a.step({ type: 'TimeoutNow', from: 'b', to: 'a', term: 1 });
    expect(a.status()).toMatchObject({ role: 'leader', term: 1 });
    expect(c.take(() => true)).toEqual([]);

    const cand = newNode('c', peers, { hardState: { term: 3 } });
    for (let i = 0; i < 10; i++) cand.tick();
    expect(cand.status()).toMatchObject({ role: 'candidate', term: 4 });
    drain(cand);
    cand.step({ type: 'TimeoutNow', from: 'a', to: 'c', term: 4 });
    expect(cand.status()).toMatchObject({ role: 'candidate', term: 4, vote: 'c' });
    expect(drain(cand)).toEqual([]);
  });
});

describe('voters: a transfer’s RequestVote passes leader stickiness, nothing else does', () => {
  const cLast = (c: TestCluster): { index: number; term: number } => {
    const st = c.node('c').status();
    return { index: st.lastIndex, term: st.lastTerm };
  };

  it('a follower that just heard from its leader grants a transfer RequestVote of a later term', () => {
    const c = steady();
    const b = c.node('b');
    b.step(requestVote('c', 'b', 2, cLast(c), true));
    expect(b.status()).toMatchObject({ role: 'follower', term: 2, vote: 'c' });
    expect(b.status().leaderId).toBeUndefined();
    expect(c.take((m) => m.from === 'b')).toEqual([
      { type: 'RequestVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
  });

  it.each([
    { what: 'a RequestVote without the flag', transfer: undefined },
    { what: 'a RequestVote with transfer: false', transfer: false },
  ])('the same follower ignores $what: no answer, term and vote kept', ({ transfer }) => {
    const c = steady();
    const b = c.node('b');
    b.step(requestVote('c', 'b', 2, cLast(c), transfer));
    expect(b.status()).toMatchObject({ role: 'follower', term: 1, vote: 'a', leaderId: 'a' });
    expect(c.take((m) => m.from === 'b')).toEqual([]);
  });

  it('the same follower ignores a PreVote', () => {
    const c = steady();
    const b = c.node('b');
    const last = cLast(c);
    b.step({
      type: 'PreVote',
      from: 'c',
      to: 'b',
      term: 2,
      lastLogIndex: last.index,
      lastLogTerm: last.term,
    });
    expect(b.status()).toMatchObject({ term: 1, vote: 'a', leaderId: 'a' });
    expect(c.take((m) => m.from === 'b')).toEqual([]);
  });

  it('the leader itself steps down for a transfer RequestVote and grants it; a plain one it ignores', () => {
    const c = steady();
    const a = c.node('a');
    a.step(requestVote('c', 'a', 2, cLast(c)));
    expect(a.status()).toMatchObject({ role: 'leader', term: 1 });
    expect(c.take((m) => m.from === 'a' && m.type === 'RequestVoteResponse')).toEqual([]);
    a.step(requestVote('c', 'a', 2, cLast(c), true));
    expect(a.status()).toMatchObject({ role: 'follower', term: 2, vote: 'c' });
    expect(c.take((m) => m.from === 'a' && m.type === 'RequestVoteResponse')).toEqual([
      { type: 'RequestVoteResponse', from: 'a', to: 'c', term: 2, granted: true },
    ]);
  });

  it('the flag does not override the log check (§5.4.1): a transfer candidate with a stale log is refused', () => {
    const c = steady();
    commit(c, 'a', 'p1');
    const b = c.node('b');
    expect(b.status().lastIndex).toBe(2);
    b.step(requestVote('c', 'b', 2, { index: 1, term: 1 }, true));
    expect(b.status()).toMatchObject({ term: 2, vote: undefined });
    expect(c.take((m) => m.from === 'b')).toEqual([
      { type: 'RequestVoteResponse', from: 'b', to: 'c', term: 2, granted: false },
    ]);
  });

  it('nor the one vote per term (§5.2)', () => {
    const c = steady();
    const b = c.node('b');
    b.step(requestVote('c', 'b', 2, cLast(c), true));
    b.step(requestVote('a', 'b', 2, cLast(c), true));
    expect(b.status().vote).toBe('c');
    expect(
      c.take((m) => m.from === 'b').map((m) => m.type === 'RequestVoteResponse' && m.granted),
    ).toEqual([true, false]);
  });

  it('a node in its vote-quiet window after a start grants a transfer RequestVote, not a plain one', () => {
    const quiet = { ...sticky, voteQuietAfterStart: true };
    const plain = newNode('b', peers, { config: quiet, hardState: { term: 1 } });
    plain.step(requestVote('c', 'b', 2, { index: 0, term: 0 }));
    expect(plain.status()).toMatchObject({ term: 1, vote: undefined });
    expect(drain(plain)).toEqual([]);
    const transfer = newNode('b', peers, { config: quiet, hardState: { term: 1 } });
    transfer.step(requestVote('c', 'b', 2, { index: 0, term: 0 }, true));
    expect(transfer.status()).toMatchObject({ term: 2, vote: 'c' });
    expect(drain(transfer)).toEqual([
      { type: 'RequestVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
  });

  it('a RequestVote whose transfer field is not a boolean is rejected as malformed', () => {
    const c = steady();
    const b = c.node('b');
    b.step({ ...requestVote('c', 'b', 2, cLast(c)), transfer: 'yes' as unknown as boolean });
    expect(b.status()).toMatchObject({ term: 1, vote: 'a', rejectedMessages: 1 });
    expect(c.take((m) => m.from === 'b')).toEqual([]);
  });
});

describe('wire: VoteRequest.leadership_transfer', () => {
  const method = raftPeerServiceDefinition()['Deliver']!;
  const base = requestVote('n1', 'n2', 7, { index: 10, term: 6 });
  const withFlag = requestVote('n1', 'n2', 7, { index: 10, term: 6 }, true);

  it('encodes transfer: true as leadershipTransfer and round-trips it', () => {
    const wire = messageToWire(withFlag);
    expect(wire.requestVote).toEqual({
      lastLogIndex: 10,
      lastLogTerm: 6,
      leadershipTransfer: true,
    });
    expect(messageFromWire(wire)).toEqual(withFlag);
  });

  it('round-trips it through protobuf bytes too', () => {
    const decoded = messageFromWire(
      method.requestDeserialize(method.requestSerialize(messageToWire(withFlag))),
    );
    expect(decoded).toEqual(withFlag);
    expect(decoded.type === 'RequestVote' && decoded.transfer).toBe(true);
  });

  it('a RequestVote without the flag encodes it false and decodes without `transfer`', () => {
    const wire = messageToWire(base);
    expect(wire.requestVote?.leadershipTransfer).toBe(false);
    const decoded = messageFromWire(wire);
    expect(decoded).toEqual(base);
    expect(decoded).not.toHaveProperty('transfer');
    const viaBytes = messageFromWire(method.requestDeserialize(method.requestSerialize(wire)));
    expect(viaBytes).toEqual(base);
    expect(viaBytes).not.toHaveProperty('transfer');
  });

  it('a message from an older build, without the field at all, decodes without `transfer`', () => {
    const old: WireRaftMessage = {
      from: 'n1',
      to: 'n2',
      term: 7,
      requestVote: { lastLogIndex: 10, lastLogTerm: 6 },
    };
    const decoded = messageFromWire(old);
    expect(decoded).toEqual(base);
    expect(decoded).not.toHaveProperty('transfer');
  });

  it('a leadershipTransfer that is not a boolean is malformed', () => {
    const wire = {
      from: 'n1',
      to: 'n2',
      term: 7,
      requestVote: { lastLogIndex: 10, lastLogTerm: 6, leadershipTransfer: 1 },
    } as unknown as WireRaftMessage;
    expect(() => messageFromWire(wire)).toThrow(MalformedMessageError);
    expect(() => messageFromWire(wire)).toThrow(/leadershipTransfer must be a boolean/);
  });

  it('TimeoutNow round-trips through protobuf bytes', () => {
    const m: Message = { type: 'TimeoutNow', from: 'n1', to: 'n2', term: 7 };
    expect(
      messageFromWire(method.requestDeserialize(method.requestSerialize(messageToWire(m)))),
    ).toEqual(m);
  });
});

describe('end to end: a hands leadership to c in a three-node cluster', () => {
  /** After the hand-over: c leads term 2, a and b follow it, and everything committed before is still there, applied everywhere. */
  function expectHandedOver(c: TestCluster, committedBefore: string[]): void {
    expect(c.node('c').status()).toMatchObject({ role: 'leader', term: 2, leaderId: 'c' });
    expect(c.node('a').status()).toMatchObject({ role: 'follower', term: 2, leaderId: 'c' });
    expect(c.node('a').status()).not.toHaveProperty('transferee');
    expect(c.node('b').status()).toMatchObject({ role: 'follower', term: 2, leaderId: 'c' });
    // c's log continues a's: every entry committed under a, then c's own no-op.
    const n = committedBefore.length;
    expect(shape(c.node('c').logEntries(1, n))).toEqual(committedBefore);
    expect(c.node('c').logEntries(n + 1, n + 1)).toMatchObject([
      { index: n + 1, term: 2, type: 'noop' },
    ]);
    // c can commit; nothing committed before is lost anywhere.
    const { index } = c.node('c').propose(bytes('under c'));
    c.deliverAll();
    for (const id of peers) {
      const applied = shape(c.applied.get(id)!);
      expect(applied.slice(0, n)).toEqual(committedBefore);
      expect(applied.at(-1)).toBe(`${index}/2/normal/under c`);
    }
  }

  it('c caught up: TimeoutNow, c wins term 2 without a pre-vote, a steps down', () => {
    const c = steady();
    commit(c, 'a', 'p1', 'p2', 'p3');
    const before = shape(c.applied.get('a')!);
    expect(before).toHaveLength(4);
    const sent: Message[] = [];
    c.drop = (m) => {
      sent.push(m);
      return false;
    };
    c.node('a').transferLeadership('c');
    c.deliverAll();
    expect(sent.filter((m) => m.type === 'PreVote')).toEqual([]);
    expect(sent.filter((m) => m.type === 'TimeoutNow')).toEqual([
      { type: 'TimeoutNow', from: 'a', to: 'c', term: 1 },
    ]);
    const votes = sent.filter((m) => m.type === 'RequestVote');
    expect(votes.map((m) => m.to).sort()).toEqual(['a', 'b']);
    expect(
      votes.every((m) => m.type === 'RequestVote' && m.transfer === true && m.term === 2),
    ).toBe(true);
    expectHandedOver(c, before);
  });

  it('c lagging: it is caught up first (a proposal appended just before included), then takes over', () => {
    const c = steady();
    c.drop = (m) => m.to === 'c' || m.from === 'c';
    commit(c, 'a', 'p1', 'p2', 'p3');
    c.heal();
    expect(c.node('c').status().lastIndex).toBe(1);
    // Appended but not yet replicated when the transfer starts: it must survive too.
    const late = c.node('a').propose(bytes('p4'));
    const committedOrAppended = shape(c.node('a').logEntries(1, late.index));
    const observed: { type: string; cLast: number; aLast: number }[] = [];
    c.drop = (m) => {
      if (m.type === 'TimeoutNow')
        observed.push({
          type: m.type,
          cLast: c.node('c').status().lastIndex,
          aLast: c.node('a').status().lastIndex,
        });
      return false;
    };
    c.node('a').transferLeadership('c');
    c.deliverAll();
    expect(observed).toEqual([{ type: 'TimeoutNow', cLast: late.index, aLast: late.index }]);
    expectHandedOver(c, committedOrAppended);
  });

  it('b lagging (c caught up): c wins with the vote of a, the old leader; b then catches up from c', () => {
    const c = steady();
    c.drop = (m) => m.to === 'b' || m.from === 'b';
    commit(c, 'a', 'p1', 'p2');
    const before = shape(c.applied.get('a')!);
    expect(c.node('b').status().lastIndex).toBe(1);
    c.node('a').transferLeadership('c');
    c.deliverAll();
    expect(c.node('c').status()).toMatchObject({ role: 'leader', term: 2 });
    expect(c.node('a').status()).toMatchObject({ role: 'follower', term: 2, vote: 'c' });
    c.heal();
    c.tick('c');
    c.deliverAll();
    expectHandedOver(c, before);
  });

  it('c unreachable: the transfer is abandoned after an election timeout and a leads on in term 1', () => {
    const c = steady();
    commit(c, 'a', 'p1');
    c.isolate('c');
    const a = c.node('a');
    a.transferLeadership('c');
    for (let i = 0; i < DEFAULT_RAFT_CONFIG.electionTick; i++) {
      expect(() => a.propose(bytes('refused'))).toThrow(TransferInProgressError);
      c.tick('a');
      c.deliverAll();
    }
    expect(a.status()).toMatchObject({ role: 'leader', term: 1 });
    expect(a.status()).not.toHaveProperty('transferee');
    commit(c, 'a', 'p2');
    expect(shape(c.applied.get('b')!).map((s) => s.split('/').slice(1).join('/'))).toEqual([
      '1/noop/',
      '1/normal/p1',
      '1/normal/p2',
    ]);
    // c, back, never got TimeoutNow and does not disrupt a.
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(c.node('c').status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'a' });
    expect(a.status()).toMatchObject({ role: 'leader', term: 1 });
  });
});

describe('a TimeoutNow buffered for a transfer that is over is withdrawn', () => {
  // Abandoning a transfer, or moving it to another voter, withdraws the TimeoutNow not
  // yet handed out: it would make a voter campaign past the others' stickiness.
  it('a TimeoutNow still buffered when the transfer is abandoned does not leave', () => {
    const c = steady();
    const a = c.node('a');
    a.transferLeadership('c');
    // The runtime is busy with an earlier Ready (a slow disk): ticks go on, no Ready.
    for (let i = 0; i < DEFAULT_RAFT_CONFIG.electionTick; i++) a.tick();
    expect(a.status().transferee).toBeUndefined();
    expect(a.propose(bytes('accepted again')).index).toBe(2);
    const rd = a.ready();
    expect(timeoutNows([...rd.messages, ...rd.messagesAfterAppend])).toEqual([]);
  });

  it('a TimeoutNow still buffered when the transfer moves to another voter goes to that one only', () => {
    const c = steady();
    const a = c.node('a');
    a.transferLeadership('c');
    a.transferLeadership('b');
    const rd = a.ready();
    expect(timeoutNows([...rd.messages, ...rd.messagesAfterAppend]).map((m) => m.to)).toEqual([
      'b',
    ]);
  });
});
