/**
 * Send-before-persist, as data: the core puts each message in Ready.messages (may
 * leave before the Ready's entries and hard state are durable) or in
 * Ready.messagesAfterAppend (only after), so that a message that promises durable
 * state — a vote (§5.2), an acknowledgement (§5.3) — never outruns the disk.
 */
import { describe, expect, it } from 'vitest';
import type {
  AppendEntriesMessage,
  Message,
  MessageType,
  Ready,
  RequestVoteMessage,
} from '../../src/raft/index.js';
import { appendEntries as append, bytes, logOf, newNode, TestCluster } from './helpers.js';

const peers = ['a', 'b', 'c'];

const types = (msgs: readonly Message[]): MessageType[] => msgs.map((m) => m.type);

const voteRequest = (from: string, to: string, term: number): RequestVoteMessage => ({
  type: 'RequestVote',
  from,
  to,
  term,
  lastLogIndex: 0,
  lastLogTerm: 0,
});

describe('messagesAfterAppend: what promises the disk waits for it', () => {
  it("a follower's AppendEntriesResponse (success) waits for the entries it acknowledges", () => {
    const b = newNode('b', peers, { hardState: { term: 1 } });
    b.step(append('b', 1, 0, 0, logOf(1, 1)));
    const rd = b.ready();
    expect(rd.entries).toHaveLength(2);
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toEqual([
      expect.objectContaining({
        type: 'AppendEntriesResponse',
        to: 'a',
        success: true,
        matchIndex: 2,
      }),
    ]);
  });

  it('a rejected AppendEntries is answered after the write too (as every non-allow-listed message)', () => {
    // The rejection carries the term this Ready persists: Figure 2, "updated on
    // stable storage before responding to RPCs".
    const b = newNode('b', peers, { hardState: { term: 1 } });
    b.step(append('b', 2, 5, 1, []));
    const rd = b.ready();
    expect(rd.hardState?.term).toBe(2);
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toEqual([
      expect.objectContaining({ type: 'AppendEntriesResponse', success: false, rejectedIndex: 5 }),
    ]);
  });

  it('a vote grant waits for the hard state holding the vote', () => {
    const c = newNode('c', peers);
    c.step(voteRequest('a', 'c', 1));
    const rd = c.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 'a', commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toEqual([
      { type: 'RequestVoteResponse', from: 'c', to: 'a', term: 1, granted: true },
    ]);
  });

  it("a candidate's RequestVotes wait for its new term and self-vote (it counts that vote at once)", () => {
    const a = newNode('a', peers);
    for (let i = 0; i < 10; i++) a.tick();
    expect(a.status().role).toBe('candidate');
    const rd = a.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 'a', commit: 0 });
    expect(rd.messages).toEqual([]);
    expect(types(rd.messagesAfterAppend)).toEqual(['RequestVote', 'RequestVote']);
  });

  it("pre-vote requests and answers wait too (today's classification; they promise nothing)", () => {
    const a = newNode('a', peers, { config: { preVote: true } });
    for (let i = 0; i < 10; i++) a.tick();
    const rd = a.ready();
    expect(rd.messages).toEqual([]);
    expect(types(rd.messagesAfterAppend)).toEqual(['PreVote', 'PreVote']);
    const c = newNode('c', peers, { config: { preVote: true } });
    c.step({ type: 'PreVote', from: 'a', to: 'c', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    const rdc = c.ready();
    expect(rdc.messages).toEqual([]);
    expect(rdc.messagesAfterAppend).toEqual([
      expect.objectContaining({ type: 'PreVoteResponse', granted: true }),
    ]);
  });
});

describe('messages: what promises nothing leaves at once', () => {
  it("a leader's AppendEntries leave in the same Ready as the entries they carry (thesis §10.2.1)", () => {
    const c = new TestCluster(peers);
    c.elect('a');
    const a = c.node('a');
    a.propose(bytes('x'));
    const rd = a.ready();
    const last = rd.entries[rd.entries.length - 1]!.index;
    expect(rd.messagesAfterAppend).toEqual([]);
    expect(rd.messages).toHaveLength(2);
    for (const m of rd.messages) {
      expect(m.type).toBe('AppendEntries');
      expect((m as AppendEntriesMessage).entries.map((e) => e.index)).toContain(last);
    }
    c.processReady('a', rd);
  });

  it('…but the leader counts its own copy only once advance() says it is durable', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    const a = c.node('a');
    const { index } = a.propose(bytes('x'));
    const rd = a.ready();
    // b acknowledges before a's own write completes: 1 durable copy of 3 is no majority.
    for (const m of rd.messages) if (m.to === 'b') c.node('b').step(m);
    const bReady = c.node('b').ready();
    for (const m of bReady.messagesAfterAppend) a.step(m);
    c.node('b').advance(bReady);
    expect(a.status().commitIndex).toBeLessThan(index);
    a.advance(rd); // now a's copy is durable: a + b are a majority
    expect(a.status().commitIndex).toBe(index);
  });

  it("a leader's heartbeats and a follower's heartbeat responses leave at once", () => {
    const c = new TestCluster(peers);
    c.elect('a');
    c.node('a').tick(); // heartbeatTick = 1
    const rd = c.node('a').ready();
    expect(types(rd.messages)).toEqual(['Heartbeat', 'Heartbeat']);
    expect(rd.messagesAfterAppend).toEqual([]);
    c.processReady('a', rd);
    const hb = c.take((m) => m.type === 'Heartbeat' && m.to === 'b');
    c.node('b').step(hb[0]!);
    const rdb = c.node('b').ready();
    expect(types(rdb.messages)).toEqual(['HeartbeatResponse']);
    expect(rdb.messagesAfterAppend).toEqual([]);
  });
});

describe('the split holds over a whole run', () => {
  it('every message is in the list its type belongs to', () => {
    const early: ReadonlySet<MessageType> = new Set([
      'AppendEntries',
      'Heartbeat',
      'HeartbeatResponse',
    ]);
    for (const preVote of [false, true]) {
      // c's election timeout is 19 ticks: it outlives its leader lease (10 ticks,
      // thesis §9.6) without campaigning, so that it will vote for b.
      const slow = { c: { config: { random: () => 0.95 } } };
      const c = new TestCluster(peers, slow, { preVote, checkQuorum: preVote });
      c.elect('a');
      for (let i = 0; i < 3; i++) c.node('a').propose(bytes(`p${i}`));
      c.deliverAll();
      c.isolate('a');
      c.tick('c', 10);
      c.elect('b'); // a new term, then the deposed a rejoins and learns of it
      c.heal();
      c.tick('b', 3);
      c.deliverAll();
      const all: Ready[] = peers.flatMap((id) => c.readies.get(id)!);
      const sent = (f: (rd: Ready) => readonly Message[]) => all.flatMap((rd) => types(f(rd)));
      const before = sent((rd) => rd.messages);
      const after = sent((rd) => rd.messagesAfterAppend);
      expect(before.every((t) => early.has(t))).toBe(true);
      expect(after.every((t) => !early.has(t))).toBe(true);
      // Both lists were exercised, promises included.
      expect(new Set(before)).toEqual(early);
      expect(after).toContain('RequestVoteResponse');
      expect(after).toContain('AppendEntriesResponse');
    }
  });
});
