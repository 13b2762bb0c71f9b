/**
 * Log replication and commitment rules (Raft paper §5.3, §5.4.2, Figures 7 and 8),
 * and the Ready contract that makes "acknowledged ⇒ durable on a majority" hold.
 */
import { describe, expect, it } from 'vitest';
import {
  RaftInvariantError,
  type AppendEntriesResponseMessage,
  type Message,
} from '../../src/raft/index.js';
import { Figure8Node } from './sim/broken.js';
import { appendEntries as append, bytes, ent, logOf, newNode, TestCluster } from './helpers.js';

const peers = ['a', 'b', 'c'];

function drain(n: ReturnType<typeof newNode>): Message[] {
  const out: Message[] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    out.push(...rd.messages, ...rd.messagesAfterAppend);
    n.advance(rd);
  }
  return out;
}

const appendResponses = (msgs: Message[]): AppendEntriesResponseMessage[] =>
  msgs.filter((m): m is AppendEntriesResponseMessage => m.type === 'AppendEntriesResponse');

describe('log matching and conflict resolution (§5.3, Figure 7)', () => {
  // The leader's log of Figure 7 (terms of entries 1..10); it is elected in term 8.
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };

  it.each(Object.entries(followers))(
    'follower (%s) ends with exactly the leader log',
    (_name, followerLog) => {
      const c = new TestCluster(['L', 'F', 'O'], {
        L: { entries: logOf(...leaderLog), hardState: { term: 7, commit: 3 } },
        F: { entries: logOf(...followerLog), hardState: { term: 7, commit: 3 } },
        O: { entries: logOf(...leaderLog), hardState: { term: 7, commit: 3 } },
      });
      c.elect('L');
      c.deliverAll();
      expect(c.logTerms('F')).toEqual([...leaderLog, 8]);
      expect(c.node('F').status().commitIndex).toBe(11);
      expect(c.applied.get('F')!.map((e) => e.term)).toEqual([...leaderLog, 8]);
    },
  );

  it('fast back-off: a follower with a long divergent log is fixed in one rejection per term, not per entry', () => {
    const c = new TestCluster(['L', 'F', 'O'], {
      L: { entries: logOf(...leaderLog), hardState: { term: 7, commit: 3 } },
      F: { entries: logOf(...followers.f!), hardState: { term: 7, commit: 3 } },
      O: { entries: logOf(...leaderLog), hardState: { term: 7, commit: 3 } },
    });
    const rejections: AppendEntriesResponseMessage[] = [];
    c.campaign('L');
    for (let i = 0; i < 50 && c.inbox.length > 0; i++) {
      rejections.push(...appendResponses(c.inbox).filter((m) => m.from === 'F' && !m.success));
      c.deliverOnce();
    }
    expect(c.logTerms('F')).toEqual([...leaderLog, 8]);
    // F holds terms 2 and 3 where L holds 4, 5, 6: the first probe (prev 10) hits
    // F's term 3 run (hint: it starts at 7), the second (prev 6) its term 2 run
    // (hint: 4), the third (prev 3) matches.
    expect(rejections.map((m) => [m.rejectedIndex, m.conflictTerm, m.hintIndex])).toEqual([
      [10, 3, 7],
      [6, 2, 4],
    ]);
  });

  it('fast back-off: a follower whose log is too short answers with its last index', () => {
    const n = newNode('b', peers, { entries: logOf(1, 1, 1, 4), hardState: { term: 7 } });
    n.step(append('b', 8, 10, 6, [], 0));
    expect(appendResponses(drain(n))).toEqual([
      {
        type: 'AppendEntriesResponse',
        from: 'b',
        to: 'a',
        term: 8,
        success: false,
        matchIndex: 0,
        rejectedIndex: 10,
        conflictTerm: 0,
        hintIndex: 4,
      },
    ]);
  });

  it('truncates only from the first conflicting entry', () => {
    const n = newNode('b', peers, { entries: logOf(1, 1, 2, 2), hardState: { term: 2 } });
    n.step(append('b', 3, 1, 1, [ent(2, 1), ent(3, 3, 'new')], 1));
    const rd = n.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[3, 3]]); // the runtime truncates from 3, then writes
    n.advance(rd);
    expect(n.logEntries(1, 10).map((e) => e.term)).toEqual([1, 1, 3]);
  });

  it('a stale or reordered AppendEntries never cuts entries', () => {
    const n = newNode('b', peers, { hardState: { term: 1 } });
    const entries = logOf(1, 1, 1, 1, 1);
    n.step(append('b', 1, 0, 0, entries, 0)); // the newer message arrives first …
    n.step(append('b', 1, 0, 0, entries.slice(0, 2), 0)); // … then an old one, a prefix of it
    n.step(append('b', 1, 1, 1, entries.slice(1, 3), 0)); // … and another old one
    const responses = appendResponses(drain(n));
    expect(n.status().lastIndex).toBe(5);
    expect(responses.map((r) => [r.success, r.matchIndex])).toEqual([
      [true, 5],
      [true, 2],
      [true, 3],
    ]);
  });

  it('a reordered stale success never lowers the leader’s view of a follower', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    for (let i = 0; i < 3; i++) c.node('a').propose(bytes(`x${i}`));
    c.deliverAll();
    const a = c.node('a');
    const before = a.status().progress!.b!.match;
    a.step({
      type: 'AppendEntriesResponse',
      from: 'b',
      to: 'a',
      term: 1,
      success: true,
      matchIndex: 1,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    expect(a.status().progress!.b!.match).toBe(before);
  });
});

describe('commit index (§5.3, §5.4.2)', () => {
  it('a follower commits min(leaderCommit, last entry verified by this message)', () => {
    // Entries 3..5 of term 2 are stale: the leader (term 3) has not verified them.
    const n = newNode('b', peers, {
      entries: logOf(1, 1, 2, 2, 2),
      hardState: { term: 2, commit: 1 },
    });
    n.step(append('b', 3, 2, 1, [], 5));
    drain(n);
    expect(n.status().commitIndex).toBe(2);
    n.step(append('b', 3, 2, 1, [ent(3, 3)], 5));
    drain(n);
    expect(n.status().commitIndex).toBe(3);
    expect(n.status().lastIndex).toBe(3);
  });

  it('a follower’s commit index never decreases', () => {
    const n = newNode('b', peers, {
      entries: logOf(1, 1, 1, 1, 1),
      hardState: { term: 1, commit: 4 },
    });
    n.step(append('b', 1, 5, 1, [], 2));
    n.step({ type: 'Heartbeat', from: 'a', to: 'b', term: 1, commit: 1, readContext: 0 });
    drain(n);
    expect(n.status().commitIndex).toBe(4);
  });

  it('the commit index survives a restart from the persisted hard state and never goes back', () => {
    const c = new TestCluster(peers);
    c.elect('a');
    for (let i = 0; i < 5; i++) c.node('a').propose(bytes(`x${i}`));
    c.deliverAll();
    c.tick('a'); // a heartbeat carries the final commit index to the followers
    c.deliverAll();
    const persisted = c.disks.get('b')!.hardState.commit;
    expect(persisted).toBe(6);
    const b = c.restart('b');
    c.readies.set('b', []);
    expect(b.status().commitIndex).toBe(6);
    // Everything already applied is not handed out again; the rest is.
    const hardStates: number[] = [];
    c.node('a').propose(bytes('after-restart'));
    for (let i = 0; i < 5; i++) {
      c.tick('a');
      c.deliverAll();
    }
    for (const rd of c.readies.get('b')!)
      if (rd.hardState !== undefined) hardStates.push(rd.hardState.commit);
    expect(hardStates.length).toBeGreaterThan(0);
    expect(Math.min(...hardStates)).toBeGreaterThanOrEqual(6);
    expect(c.node('b').status().commitIndex).toBe(7);
    expect(c.applied.get('b')!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a restarted node re-delivers committed entries after the applied index it is given', () => {
    const n = newNode('b', peers, {
      entries: logOf(1, 1, 1, 1),
      hardState: { term: 1, commit: 3 },
      applied: 1,
    });
    const rd = n.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2, 3]);
    expect(rd.hardState).toBeUndefined(); // nothing changed since what is on disk
  });

  /**
   * Figure 8 (c): S1 becomes leader of term 4 holding [1:1, 2:2]; S5 holds [1:1, 2:3].
   * S1 reaches S2 (which gets entry 2 and S1's no-op 3:4) and S3 (which gets only
   * entry 2), then is cut off. Index 2 is then on S1, S2 and S3 — a majority.
   */
  function figure8(makeS1?: (ids: string[], c: TestCluster) => void): TestCluster {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    const c = new TestCluster(
      ids,
      {
        s1: { entries: logOf(1, 2), hardState: { term: 3, commit: 1 } },
        s2: { entries: logOf(1, 2), hardState: { term: 3, commit: 1 } },
        s3: { entries: logOf(1), hardState: { term: 3, commit: 1 } },
        s4: { entries: logOf(1), hardState: { term: 3, commit: 1 } },
        s5: { entries: logOf(1, 3), hardState: { term: 3, commit: 1 } },
      },
      { maxEntriesPerMessage: 1 },
    );
    makeS1?.(ids, c);
    c.campaign('s1');
    c.deliverOnce(); // vote requests (S5 refuses: its log is more up to date)
    c.deliverOnce(); // votes granted → S1 leads term 4, appends its no-op at 3 and probes
    expect(c.node('s1').status()).toMatchObject({ role: 'leader', term: 4, lastIndex: 3 });
    const linked = (m: Message, x: string): boolean =>
      (m.from === 's1' && m.to === x) || (m.from === x && m.to === 's1');
    c.drop = (m) => !(linked(m, 's2') || linked(m, 's3'));
    for (let i = 0; i < 4; i++) c.deliverOnce();
    const st = c.node('s1').status();
    expect([st.progress!.s2!.match, st.progress!.s3!.match]).toEqual([3, 2]);
    return c;
  }

  it('the leader commits only by counting replicas of entries of its own term (Figure 8)', () => {
    const c = figure8();
    expect(c.node('s1').status().commitIndex).toBe(1); // index 2 is on a majority, but of term 2
    // S1 crashes; S5 is elected (votes of S3, S4 and its own) and overwrites index 2 —
    // which is fine precisely because it was never committed.
    c.isolate('s1');
    c.inbox = [];
    c.elect('s5');
    c.deliverAll();
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(c.logTerms(id).slice(0, 2)).toEqual([1, 3]);
      expect(c.applied.get(id)!.some((e) => e.index === 2 && e.term === 2)).toBe(false);
    }
  });

  it('the broken variant (commit by counting) does commit the term-2 entry in the same schedule', () => {
    const c = figure8((ids, cluster) => {
      const disk = cluster.disks.get('s1')!;
      cluster.nodes.set(
        's1',
        new Figure8Node(
          {
            id: 's1',
            peers: ids,
            electionTick: 10,
            heartbeatTick: 1,
            preVote: false,
            checkQuorum: false,
            random: () => 0,
            maxEntriesPerMessage: 1,
          },
          { hardState: disk.hardState, entries: disk.entries },
        ),
      );
    });
    expect(c.node('s1').status().commitIndex).toBe(2); // the bug the rule prevents: S5 can still overwrite it
  });

  it('a new leader appends a no-op and commits earlier-term entries together with it', () => {
    const c = new TestCluster(peers, {
      a: { entries: logOf(1, 2), hardState: { term: 2, commit: 0 } },
      b: { entries: logOf(1, 2), hardState: { term: 2, commit: 0 } },
      c: { entries: logOf(1), hardState: { term: 2, commit: 0 } },
    });
    c.elect('a');
    c.deliverAll();
    expect(c.node('a').logEntries(3, 3)[0]).toMatchObject({ index: 3, term: 3, type: 'noop' });
    expect(c.node('a').status().commitIndex).toBe(3);
    expect(c.applied.get('a')!.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('the leader counts its own copy only after advance(), i.e. after its disk write', () => {
    const n = newNode('solo', ['solo']);
    for (let i = 0; i < 10; i++) n.tick();
    expect(n.status().role).toBe('leader');
    let rd = n.ready();
    expect(rd.entries.map((e) => e.type)).toEqual(['noop']);
    expect(rd.hardState).toEqual({ term: 1, vote: 'solo', commit: 0 });
    expect(n.status().commitIndex).toBe(0); // not durable yet: not committed
    n.advance(rd);
    expect(n.status().commitIndex).toBe(1);
    const { index } = n.propose(bytes('x'));
    expect(index).toBe(2);
    rd = n.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1]);
    expect(n.status().commitIndex).toBe(1);
    n.advance(rd);
    expect(n.status().commitIndex).toBe(2);
    rd = n.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(rd.hardState?.commit).toBe(2);
    expect(rd.mustSync).toBe(false); // a commit-only change needs no fsync
  });

  it('drops and reports an AppendEntries that would truncate a committed entry', () => {
    // No correct leader sends it (Leader Completeness); a peer's message must not kill us.
    const n = newNode('b', peers, { entries: logOf(1, 1, 1), hardState: { term: 1, commit: 3 } });
    n.step(append('b', 2, 1, 1, [ent(2, 2)], 3));
    expect(n.logEntries(1, 3).map((e) => e.term)).toEqual([1, 1, 1]);
    expect(n.status()).toMatchObject({ term: 1, leaderId: undefined, rejectedMessages: 1 });
    const rd = n.ready();
    expect(rd.messages).toEqual([]);
    expect(rd.messagesAfterAppend).toEqual([]);
    expect(rd.rejectedMessages).toEqual([
      expect.objectContaining({
        type: 'AppendEntries',
        from: 'a',
        reason: expect.stringMatching(/committed entry/),
      }),
    ]);
  });
});

describe('commit notices on the tick (commitNoticeOnTick, as the runtime runs the core)', () => {
  /** a leads b and c, heartbeats every 3 ticks, and the next tick sends none; all settled. */
  function steady(): TestCluster {
    const c = new TestCluster(peers, {}, { commitNoticeOnTick: true, heartbeatTick: 3 });
    c.elect('a');
    // Until every follower knows the election's no-op committed, and the next tick is
    // not a heartbeat tick.
    for (let i = 0; i < 6; i++) {
      c.tick('a');
      c.deliverAll();
    }
    while (c.node('a').heartbeatDueAtNextTick()) {
      c.tick('a');
      c.deliverAll();
    }
    const commit = c.node('a').status().commitIndex;
    for (const id of ['b', 'c']) expect(c.node(id).status().commitIndex).toBe(commit);
    return c;
  }

  it('a lone write: no empty AppendEntries at once; the followers learn the commit on the next tick', () => {
    const c = steady();
    const { index } = c.node('a').propose(bytes('x'));
    c.deliverAll();
    expect(c.node('a').status().commitIndex).toBe(index);
    // Only the entry's own AppendEntries went out, before it committed.
    for (const id of ['b', 'c']) expect(c.node(id).status().commitIndex).toBe(index - 1);
    c.tick('a');
    const notices = c.inbox.filter((m) => m.type === 'AppendEntries');
    expect(notices.map((m) => m.to).sort()).toEqual(['b', 'c']);
    expect(notices.every((m) => m.type === 'AppendEntries' && m.entries.length === 0)).toBe(true);
    expect(c.inbox.some((m) => m.type === 'Heartbeat')).toBe(false);
    c.deliverAll();
    for (const id of ['b', 'c']) expect(c.node(id).status().commitIndex).toBe(index);
    // Told once: the next tick sends nothing more about it.
    c.tick('a');
    expect(c.inbox.filter((m) => m.type === 'AppendEntries')).toHaveLength(0);
  });

  it('the next write carries the commit index: no notice on the tick after it', () => {
    const c = steady();
    const first = c.node('a').propose(bytes('x')).index;
    c.deliverAll();
    c.node('a').propose(bytes('y'));
    c.settle();
    const appends = c.inbox.filter((m) => m.type === 'AppendEntries');
    expect(appends).toHaveLength(2);
    expect(appends.every((m) => m.type === 'AppendEntries' && m.leaderCommit === first)).toBe(true);
    c.deliverOnce();
    for (const id of ['b', 'c']) expect(c.node(id).status().commitIndex).toBe(first);
  });
});

describe('Ready contract', () => {
  it('a follower gets entries, the new commit and its answer in one Ready, and applies them only once durable', () => {
    const n = newNode('b', peers, { hardState: { term: 1 } });
    n.step(append('b', 1, 0, 0, logOf(1, 1), 2));
    const rd1 = n.ready();
    expect(rd1.entries).toHaveLength(2);
    expect(rd1.hardState).toEqual({ term: 1, vote: undefined, commit: 2 });
    // The acknowledgement promises the entries are durable: it waits for the write.
    expect(rd1.messages).toEqual([]);
    expect(rd1.messagesAfterAppend).toHaveLength(1);
    expect(rd1.committedEntries).toEqual([]); // not on disk yet
    expect(rd1.mustSync).toBe(true);
    expect(n.hasReady()).toBe(false); // nothing more until advance
    n.advance(rd1);
    const rd2 = n.ready();
    expect(rd2.committedEntries.map((e) => e.index)).toEqual([1, 2]);
    expect(rd2.entries).toEqual([]);
    expect(rd2.hardState).toBeUndefined();
    n.advance(rd2);
    expect(n.status().appliedIndex).toBe(2);
    expect(n.hasReady()).toBe(false);
  });

  it('messages stepped while a Ready is outstanding wait for the next Ready; a truncation then is re-sent', () => {
    const n = newNode('b', peers, { hardState: { term: 1 } });
    n.step(append('b', 1, 0, 0, logOf(1, 1, 1), 0));
    const rd1 = n.ready();
    // While rd1 is being written, a leader of term 2 overwrites index 3.
    n.step({ ...append('b', 2, 2, 1, [ent(3, 2)], 0), from: 'c' });
    n.advance(rd1);
    expect(n.status().stableIndex).toBe(2);
    const rd2 = n.ready();
    expect(rd2.entries.map((e) => [e.index, e.term])).toEqual([[3, 2]]); // starts at or below the stable end: truncate first
    n.advance(rd2);
    expect(n.status().stableIndex).toBe(3);
  });

  it('ready() twice without advance(), or advance() with another Ready, is a contract violation', () => {
    const n = newNode('b', peers, { hardState: { term: 1 } });
    n.step(append('b', 1, 0, 0, logOf(1), 0));
    const rd = n.ready();
    expect(() => n.ready()).toThrow(RaftInvariantError);
    expect(() => n.advance({ ...rd })).toThrow(RaftInvariantError);
    n.advance(rd);
  });

  it('hard state is only in the Ready when it changed', () => {
    const n = newNode('b', peers, { hardState: { term: 1 } });
    n.step({ type: 'Heartbeat', from: 'a', to: 'b', term: 1, commit: 0, readContext: 0 });
    const rd = n.ready();
    expect(rd.hardState).toBeUndefined();
    expect(rd.softState).toEqual({ role: 'follower', leaderId: 'a' });
    expect(rd.mustSync).toBe(false);
  });
});
