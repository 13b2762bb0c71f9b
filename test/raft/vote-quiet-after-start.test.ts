/**
 * voteQuietAfterStart (RaftConfig): a node that has just started may have
 * acknowledged a leader's heartbeat before it went down, and that leader may count on
 * it for its lease (thesis §6.4.1). So for its first electionTick ticks it helps elect
 * nobody: it ignores PreVote, and (with check-quorum) RequestVote, even though it
 * knows no leader. After that it votes as usual.
 */
import { describe, expect, it } from 'vitest';
import type { Message, RaftNode } from '../../src/raft/index.js';
import { newNode, TestCluster, type NodeSetup } from './helpers.js';

const peers = ['a', 'b', 'c'];
const ELECTION_TICK = 10; // helpers.ts newNode

/** random 0.999: the node's own election timeout is 19 ticks, so it does not campaign here. */
const quiet = {
  preVote: true,
  checkQuorum: true,
  voteQuietAfterStart: true,
  random: () => 0.999,
};

function drainMessages(n: RaftNode): Message[] {
  const out: Message[] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    out.push(...rd.messages, ...rd.messagesAfterAppend);
    n.advance(rd);
  }
  return out;
}

/** A fresh node `b` at term 1 (log: one entry of term 1), ticked `ticks` times. */
function startedNode(config: NodeSetup['config'], ticks: number): RaftNode {
  const n = newNode('b', peers, {
    entries: [{ index: 1, term: 1, type: 'noop', data: new Uint8Array(0) }],
    hardState: { term: 1, commit: 1 },
    config,
  });
  for (let i = 0; i < ticks; i++) n.tick();
  drainMessages(n);
  return n;
}

const preVote = (term: number): Message => ({
  type: 'PreVote',
  from: 'c',
  to: 'b',
  term,
  lastLogIndex: 1,
  lastLogTerm: 1,
});

const requestVote = (term: number): Message => ({
  type: 'RequestVote',
  from: 'c',
  to: 'b',
  term,
  lastLogIndex: 1,
  lastLogTerm: 1,
});

describe('voteQuietAfterStart: a fresh node', () => {
  it('ignores a PreVote during its first electionTick ticks, and grants it from then on', () => {
    const answers: (boolean | undefined)[] = [];
    for (let ticks = 0; ticks <= ELECTION_TICK + 1; ticks++) {
      const b = startedNode(quiet, ticks);
      expect(b.status()).toMatchObject({ role: 'follower', leaderId: undefined });
      b.step(preVote(2));
      const response = drainMessages(b).find((m) => m.type === 'PreVoteResponse');
      answers.push(response?.type === 'PreVoteResponse' ? response.granted : undefined);
      // A pre-vote never changes the voter's term, answered or not.
      expect(b.status()).toMatchObject({ term: 1, vote: undefined });
    }
    expect(answers).toEqual([
      ...Array<undefined>(ELECTION_TICK).fill(undefined), // no answer at all: not even a refusal
      true,
      true,
    ]);
  });

  it('with check-quorum, ignores a RequestVote of a higher term during its first electionTick ticks', () => {
    for (let ticks = 0; ticks < ELECTION_TICK; ticks++) {
      const b = startedNode(quiet, ticks);
      b.step(requestVote(2));
      expect(drainMessages(b), `after ${ticks} ticks`).toEqual([]);
      // Not even the term is taken: the request had no effect.
      expect(b.status()).toMatchObject({ term: 1, vote: undefined, role: 'follower' });
    }
  });

  it('with check-quorum, grants that RequestVote once electionTick ticks have passed', () => {
    const b = startedNode(quiet, ELECTION_TICK);
    b.step(requestVote(2));
    expect(drainMessages(b)).toEqual([
      { type: 'RequestVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
    expect(b.status()).toMatchObject({ term: 2, vote: 'c' });
  });

  it('without check-quorum, RequestVote is granted at once; PreVote is still ignored', () => {
    const config = { ...quiet, checkQuorum: false };
    const b = startedNode(config, 0);
    b.step(requestVote(2));
    expect(drainMessages(b)).toEqual([
      { type: 'RequestVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
    const b2 = startedNode(config, 0);
    b2.step(preVote(2));
    expect(drainMessages(b2)).toEqual([]);
  });

  it('without voteQuietAfterStart (the core default), it grants both at once', () => {
    const config = { ...quiet, voteQuietAfterStart: false };
    const b = startedNode(config, 0);
    b.step(preVote(2));
    expect(drainMessages(b)).toEqual([
      { type: 'PreVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
    const b2 = startedNode(config, 0);
    b2.step(requestVote(2));
    expect(drainMessages(b2)).toEqual([
      { type: 'RequestVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
  });

  it('still follows a leader that appears meanwhile, and answers its heartbeats', () => {
    const b = startedNode(quiet, 3);
    b.step({ type: 'Heartbeat', from: 'a', to: 'b', term: 2, commit: 1, readContext: 4 });
    expect(b.status()).toMatchObject({ role: 'follower', term: 2, leaderId: 'a' });
    expect(drainMessages(b)).toEqual([
      { type: 'HeartbeatResponse', from: 'b', to: 'a', term: 2, readContext: 4 },
    ]);
  });

  it('still tells a pre-candidate of an older term about its newer term', () => {
    const b = newNode('b', peers, { hardState: { term: 5 }, config: quiet });
    b.step({ type: 'PreVote', from: 'c', to: 'b', term: 3, lastLogIndex: 0, lastLogTerm: 0 });
    expect(drainMessages(b)).toEqual([
      { type: 'PreVoteResponse', from: 'b', to: 'c', term: 5, granted: false },
    ]);
  });

  it('once the quiet period is over, leader stickiness applies as usual', () => {
    const b = startedNode(quiet, ELECTION_TICK);
    b.step({ type: 'Heartbeat', from: 'a', to: 'b', term: 1, commit: 1, readContext: 0 });
    drainMessages(b);
    b.step(preVote(2));
    expect(drainMessages(b)).toEqual([]); // it heard from a just now
    for (let i = 0; i < ELECTION_TICK; i++) b.tick();
    drainMessages(b);
    b.step(preVote(2));
    expect(drainMessages(b)).toEqual([
      { type: 'PreVoteResponse', from: 'b', to: 'c', term: 2, granted: true },
    ]);
  });
});

describe('voteQuietAfterStart in a cluster', () => {
  /** b and c time out after 15 ticks (random 0.5), a after 10. */
  function cluster(voteQuietAfterStart: boolean): TestCluster {
    return new TestCluster(
      peers,
      { b: { config: { random: () => 0.5 } }, c: { config: { random: () => 0.5 } } },
      { preVote: true, checkQuorum: true, voteQuietAfterStart },
    );
  }

  it('a cluster that has just started elects nobody until its voters have been up an election timeout', () => {
    const c = cluster(true);
    c.campaign('a');
    c.deliverAll();
    expect(c.node('a').status()).toMatchObject({ role: 'pre-candidate', term: 0 });
    expect(c.node('b').status().term).toBe(0);
    c.tick('b', ELECTION_TICK);
    c.tick('c', ELECTION_TICK);
    c.tick('a', ELECTION_TICK); // a's next pre-election
    c.deliverAll();
    expect(c.node('a').status()).toMatchObject({ role: 'leader', term: 1 });
  });

  /**
   * a leads term 1 and b confirms a ReadIndex round of a's (the proof a's lease rests
   * on). Then a is cut off, b crashes and restarts at once, and c campaigns. Returns
   * the cluster after c's campaign has played out.
   */
  function restartAfterLeaseRound(voteQuietAfterStart: boolean): TestCluster {
    const c = cluster(voteQuietAfterStart);
    c.tick('b', ELECTION_TICK);
    c.tick('c', ELECTION_TICK);
    c.elect('a');
    c.node('a').readIndex('lease-round');
    c.deliverAll();
    expect(c.readStates.get('a')!.map((r) => r.requestId)).toEqual(['lease-round']);
    c.isolate('a');
    c.restart('b');
    c.campaign('c');
    c.deliverAll();
    return c;
  }

  it('control: without it, a restarted voter helps elect a new leader at once, while the old lease may still hold', () => {
    const c = restartAfterLeaseRound(false);
    expect(c.node('c').status()).toMatchObject({ role: 'leader', term: 2 });
  });

  it('with it, the restarted voter elects nobody for an election timeout; then the election succeeds', () => {
    const c = restartAfterLeaseRound(true);
    expect(c.node('c').status().role).not.toBe('leader');
    expect(c.node('b').status()).toMatchObject({ term: 1, vote: 'a', role: 'follower' });
    // After an election timeout on b's clock (b's own timeout is 15 ticks: no campaign)…
    c.tick('b', ELECTION_TICK);
    expect(c.node('b').status().role).toBe('follower');
    // … c's next pre-election wins.
    c.tick('c', 15);
    c.deliverAll();
    expect(c.node('c').status()).toMatchObject({ role: 'leader', term: 2 });
    expect(c.node('b').status()).toMatchObject({ term: 2, vote: 'c', leaderId: 'c' });
  });
});
