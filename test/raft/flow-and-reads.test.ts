/**
 * Flow control (batching, pipelining, probing), ReadIndex (§6.4), proposals, and
 * the core's configuration checks.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RAFT_CONFIG,
  NotLeaderError,
  RaftConfigError,
  RaftNode,
  type AppendEntriesMessage,
  type Message,
} from '../../src/raft/index.js';
import { bytes, newNode, TestCluster } from './helpers.js';

const peers = ['a', 'b', 'c'];

const appendsTo = (msgs: Message[], to: string): AppendEntriesMessage[] =>
  msgs.filter((m): m is AppendEntriesMessage => m.type === 'AppendEntries' && m.to === to);

/** A cluster with `a` elected, the no-op committed everywhere, followers in the replicate state. */
function steadyCluster(
  config: Partial<ConstructorParameters<typeof RaftNode>[0]> = {},
): TestCluster {
  const c = new TestCluster(peers, {}, config);
  c.elect('a');
  c.deliverAll();
  expect(c.node('a').status().progress!.b!.state).toBe('replicate');
  return c;
}

describe('batching', () => {
  it('proposals made between two Readies travel in one AppendEntries', () => {
    const c = steadyCluster();
    for (let i = 0; i < 10; i++) c.node('a').propose(bytes(`p${i}`));
    const msgs = appendsTo(
      c.take(() => true),
      'b',
    );
    expect(msgs.map((m) => m.entries.length)).toEqual([10]);
  });

  it('respects maxEntriesPerMessage', () => {
    const c = steadyCluster({ maxEntriesPerMessage: 4 });
    for (let i = 0; i < 10; i++) c.node('a').propose(bytes(`p${i}`));
    const msgs = appendsTo(
      c.take(() => true),
      'b',
    );
    expect(msgs.map((m) => m.entries.length)).toEqual([4, 4, 2]);
    expect(msgs.map((m) => m.prevLogIndex)).toEqual([1, 5, 9]);
  });

  it('respects maxBytesPerMessage, but always sends at least one entry', () => {
    const c = steadyCluster({ maxBytesPerMessage: 10 });
    for (let i = 0; i < 5; i++) c.node('a').propose(bytes('1234')); // 4 bytes each
    c.node('a').propose(bytes('x'.repeat(50))); // larger than the limit on its own
    c.settle();
    const msgs = appendsTo(c.inbox, 'b');
    expect(msgs.map((m) => m.entries.length)).toEqual([2, 2, 1, 1]);
    c.deliverAll();
    expect(c.node('b').status().lastIndex).toBe(7);
  });
});

describe('pipelining and probing', () => {
  it('in the replicate state, at most maxInflightMessages AppendEntries are in flight per follower', () => {
    const c = steadyCluster({ maxInflightMessages: 3, maxEntriesPerMessage: 1 });
    for (let i = 0; i < 10; i++) c.node('a').propose(bytes(`p${i}`));
    let toB = appendsTo(
      c.take((m) => m.to === 'b'),
      'b',
    );
    expect(toB.map((m) => m.entries[0]!.index)).toEqual([2, 3, 4]); // sent without waiting …
    expect(c.node('a').status().progress!.b!.inflight).toBe(3); // … and no more
    // An acknowledgement of the first frees exactly one slot.
    c.node('b').step(toB[0]!);
    c.settle();
    c.deliverOnce((m) => m.from === 'b' && m.to === 'a');
    toB = appendsTo(
      c.take((m) => m.to === 'b'),
      'b',
    );
    expect(toB.map((m) => m.entries[0]!.index)).toEqual([5]);
  });

  it('in the probe state, one AppendEntries at a time', () => {
    const c = new TestCluster(peers, {}, { maxEntriesPerMessage: 1 });
    c.campaign('a');
    c.deliverOnce(); // votes
    c.deliverOnce(); // a leads and probes b and c
    expect(c.node('a').status().progress!.b!.state).toBe('probe');
    for (let i = 0; i < 5; i++) c.node('a').propose(bytes(`p${i}`));
    expect(
      appendsTo(
        c.take((m) => m.to === 'b'),
        'b',
      ),
    ).toHaveLength(1);
    c.tick('a'); // a heartbeat is not an AppendEntries and does not unpause
    expect(
      appendsTo(
        c.take((m) => m.to === 'b'),
        'b',
      ),
    ).toHaveLength(0);
  });

  it('a follower whose pipelined messages were all lost is recovered through the heartbeat response', () => {
    const c = steadyCluster({ maxInflightMessages: 2, maxEntriesPerMessage: 1 });
    for (let i = 0; i < 6; i++) c.node('a').propose(bytes(`p${i}`));
    c.take((m) => m.type === 'AppendEntries' && m.to === 'b'); // lost
    c.deliverAll();
    expect(c.node('a').status().progress!.b!.inflight).toBe(2); // window full, nothing acknowledged
    for (let i = 0; i < 20; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(c.node('b').status().lastIndex).toBe(7);
    expect(c.node('b').status().commitIndex).toBe(7);
  });

  it('a follower recovers after message loss with no new proposals (empty probe at the end of the log)', () => {
    const c = steadyCluster({ maxInflightMessages: 64 });
    c.node('a').propose(bytes('lost'));
    c.take((m) => m.type === 'AppendEntries' && m.to === 'b');
    c.deliverAll();
    for (let i = 0; i < 5; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(c.node('b').status().lastIndex).toBe(2);
  });
});

describe('ReadIndex (§6.4)', () => {
  it('answers after a heartbeat round confirms leadership, with the commit index at request time', () => {
    const c = steadyCluster();
    c.node('a').propose(bytes('w'));
    c.deliverAll();
    const commit = c.node('a').status().commitIndex;
    c.node('a').readIndex('r1');
    c.settle();
    expect(c.readStates.get('a')).toEqual([]); // not before a majority answered
    const hbs = c.take((m) => m.type === 'Heartbeat');
    expect(hbs.every((m) => m.type === 'Heartbeat' && m.readContext > 0)).toBe(true);
    c.node('b').step(hbs.find((m) => m.to === 'b')!);
    c.deliverAll();
    expect(c.readStates.get('a')).toEqual([{ requestId: 'r1', index: commit }]);
  });

  it('a leader cut off from the majority never answers', () => {
    const c = steadyCluster();
    c.isolate('a');
    c.node('a').readIndex('r1');
    for (let i = 0; i < 30; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(c.readStates.get('a')).toEqual([]);
  });

  it('a new leader waits until it has committed an entry of its own term', () => {
    const c = new TestCluster(peers);
    c.campaign('a');
    c.deliverOnce(); // votes
    c.deliverOnce(); // a is leader; its no-op is not replicated yet
    expect(c.node('a').status().role).toBe('leader');
    c.node('a').readIndex('early');
    // Heartbeats go around, but no ReadState until the no-op is committed.
    c.drop = (m) => m.type === 'AppendEntries';
    for (let i = 0; i < 5; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(c.readStates.get('a')).toEqual([]);
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(c.readStates.get('a')).toEqual([{ requestId: 'early', index: 1 }]);
  });

  it('several reads share one heartbeat round and are released in order', () => {
    const c = steadyCluster();
    c.node('a').readIndex('r1');
    c.node('a').readIndex('r2');
    c.settle();
    expect(c.inbox.filter((m) => m.type === 'Heartbeat')).toHaveLength(2); // one round, to b and c
    c.deliverAll();
    expect(c.readStates.get('a')!.map((r) => r.requestId)).toEqual(['r1', 'r2']);
  });

  it('a single-node cluster answers at once', () => {
    const n = newNode('solo', ['solo']);
    for (let i = 0; i < 10; i++) n.tick();
    n.advance(n.ready()); // the no-op is durable → committed
    n.readIndex('r');
    const rd = n.ready();
    expect(rd.readStates).toEqual([{ requestId: 'r', index: 1 }]);
  });

  it('immediateReadIndex: a lone voter with a commit of its term reads at its commit index, no round', () => {
    const n = newNode('solo', ['solo']);
    for (let i = 0; i < 10; i++) n.tick();
    expect(n.status().role).toBe('leader');
    expect(n.immediateReadIndex()).toBeUndefined(); // its no-op is not durable yet
    n.advance(n.ready());
    expect(n.immediateReadIndex()).toBe(1);
    n.propose(bytes('w'));
    n.advance(n.ready());
    expect(n.immediateReadIndex()).toBe(2);
    // A second voter, in force from its append: every read needs a round again.
    n.proposeMembership({ type: 'add', id: 'two', role: 'voter', peerAddress: 'two:7000' });
    expect(n.immediateReadIndex()).toBeUndefined();
  });

  it('immediateReadIndex: never on a leader with other voters, nor on a follower', () => {
    const c = steadyCluster();
    expect(c.node('a').status().role).toBe('leader');
    expect(c.node('a').immediateReadIndex()).toBeUndefined();
    expect(c.node('b').immediateReadIndex()).toBeUndefined();
  });

  it('a follower throws NotLeaderError with the leader hint', () => {
    const c = steadyCluster();
    const err = (() => {
      try {
        c.node('b').readIndex('r');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leaderId).toBe('a');
  });
});

describe('proposals', () => {
  it('the leader returns where the entry sits', () => {
    const c = steadyCluster();
    expect(c.node('a').propose(bytes('x'))).toEqual({ index: 2, term: 1 });
    expect(c.node('a').propose(bytes('y'))).toEqual({ index: 3, term: 1 });
  });

  it('a follower refuses with NotLeaderError carrying the leader it knows', () => {
    const c = steadyCluster();
    expect(() => c.node('b').propose(bytes('x'))).toThrow(NotLeaderError);
    try {
      c.node('b').propose(bytes('x'));
    } catch (e) {
      expect(e).toMatchObject({ code: 'NOT_LEADER', leaderId: 'a' });
    }
  });

  it('a candidate knows no leader', () => {
    const n = newNode('a', peers);
    for (let i = 0; i < 10; i++) n.tick();
    expect(() => n.propose(bytes('x'))).toThrow(expect.objectContaining({ leaderId: undefined }));
  });

  it('reserved message types (InstallSnapshot, TimeoutNow) are ignored for now', () => {
    const n = newNode('b', peers, { hardState: { term: 1 } });
    n.step({ type: 'TimeoutNow', from: 'a', to: 'b', term: 2 });
    n.step({
      type: 'InstallSnapshot',
      from: 'a',
      to: 'b',
      term: 2,
      lastIncludedIndex: 5,
      lastIncludedTerm: 1,
      offset: 0,
      data: bytes(''),
      done: true,
    });
    expect(n.status()).toMatchObject({ term: 1, role: 'follower' });
    expect(n.hasReady()).toBe(false);
  });
});

describe('configuration', () => {
  const base = { id: 'a', peers, random: () => 0 };
  const empty = { hardState: { term: 0, vote: undefined, commit: 0 }, entries: [] };

  it('has etcd-like defaults', () => {
    expect(DEFAULT_RAFT_CONFIG).toEqual({
      electionTick: 10,
      heartbeatTick: 1,
      maxInflightMessages: 64,
      maxEntriesPerMessage: 1024,
      maxBytesPerMessage: 1024 * 1024,
      preVote: true,
      checkQuorum: true,
      voteQuietAfterStart: false,
      commitNoticeOnTick: false,
      maxPromotionLag: 256,
    });
    expect(new RaftNode(base, empty).status()).toMatchObject({ role: 'follower', term: 0 });
  });

  it.each([
    [{ id: 'x' }, /peers must include/],
    [{ peers: ['a', 'a', 'b'] }, /unique/],
    [{ heartbeatTick: 10, electionTick: 10 }, /heartbeatTick/],
    [{ maxInflightMessages: 0 }, /maxInflightMessages/],
    [{ electionTick: 1.5 }, /electionTick/],
  ])('rejects %j', (override, message) => {
    expect(() => new RaftNode({ ...base, ...override }, empty)).toThrow(RaftConfigError);
    expect(() => new RaftNode({ ...base, ...override }, empty)).toThrow(message);
  });

  it('rejects an inconsistent initial state', () => {
    expect(
      () => new RaftNode(base, { hardState: { term: 1, vote: undefined, commit: 3 }, entries: [] }),
    ).toThrow(/commit/);
  });
});
