/**
 * What RaftRuntime tells a proposer about its write must be true: ProposalLost only
 * when the write can never commit, ProposalTimedOut(committed) only when this very
 * write committed. One real runtime (5 voters), its peers played by hand-made messages.
 */
import { describe, expect, it } from 'vitest';
import { RaftNode, type Entry, type HardState, type Message } from '../../../src/raft/index.js';
import {
  ProposalLost,
  ProposalTimedOut,
  TooManyReadsWaiting,
} from '../../../src/raft/runtime/errors.js';
import type { LogStorage, PersistedLog, StateMachine } from '../../../src/raft/runtime/ports.js';
import { RaftRuntime, type ProposeOutcome } from '../../../src/raft/runtime/raft-runtime.js';
import { ManualClock } from '../../support/manual-clock.js';
import { track } from '../../support/promise-state.js';

const enc = new TextEncoder();

/** An in-memory disk whose writes can be held back. */
class MemoryLog implements LogStorage {
  hardState: HardState = { term: 0, vote: undefined, commit: 0 };
  entries: Entry[] = [];
  hold = false;
  private held: (() => void)[] = [];
  load(): Promise<PersistedLog> {
    return Promise.resolve({ hardState: this.hardState, entries: [] });
  }
  persist(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    const write = (): void => {
      if (entries.length > 0) this.entries.length = entries[0]!.index - 1;
      this.entries.push(...entries);
      if (hardState !== undefined) this.hardState = hardState;
    };
    if (!this.hold) {
      write();
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.held.push(() => {
        write();
        resolve();
      }),
    );
  }
  compact(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
  resetTo(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class Recorder implements StateMachine<number> {
  appliedIndex = 0;
  apply(first: number, payloads: readonly Uint8Array[]): Promise<number[]> {
    const indexes = payloads.map((_, k) => first + k);
    this.appliedIndex = indexes.at(-1) ?? this.appliedIndex;
    return Promise.resolve(indexes);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const TICK = 10;
const ELECTION_TICK = 10;

async function openLeaderOfTerm1(): Promise<{
  raft: RaftRuntime<number>;
  clock: ManualClock;
  disk: MemoryLog;
  deliver: (m: Message) => Promise<void>;
  elect: (term: number, voters: string[]) => Promise<void>;
}> {
  const clock = new ManualClock();
  const disk = new MemoryLog();
  const raft = await RaftRuntime.open<number>(
    {
      id: 'a',
      peers: new Map(['a', 'b', 'c', 'd', 'e'].map((id) => [id, `${id}:1`])),
      timing: { tickMs: TICK, electionTick: ELECTION_TICK, heartbeatTick: 1 },
      maxEntryBytes: 1024,
      createNode: (config, initial) =>
        new RaftNode({ ...config, preVote: false, checkQuorum: false }, initial),
    },
    {
      log: disk,
      stateMachine: new Recorder(),
      transport: { send: () => {}, close: () => {} },
      clock,
      random: () => 0,
    },
  );
  const deliver = async (m: Message): Promise<void> => {
    raft.deliver(m);
    await settle();
  };
  const elect = async (term: number, voters: string[]): Promise<void> => {
    clock.advance(ELECTION_TICK * TICK); // its election timeout (random 0): a campaigns
    await settle();
    for (const from of voters)
      await deliver({ type: 'RequestVoteResponse', from, to: 'a', term, granted: true });
    expect(raft.status()).toMatchObject({ role: 'leader', term });
  };
  await elect(1, ['b', 'c']); // leader of term 1, its no-op at index 1
  return { raft, clock, disk, deliver, elect };
}

const normal = (index: number, term: number, data: string): Entry => ({
  index,
  term,
  type: 'normal',
  data: enc.encode(data),
});

describe('RaftRuntime: what a proposer is told', () => {
  it('a proposal whose index a re-elected leader hands out again is not reported lost: it may still commit', async () => {
    const { raft, deliver, elect } = await openLeaderOfTerm1();
    const p = [2, 3, 4].map((i) => track(raft.propose(enc.encode(`p${i}`), 60_000)));
    await settle();
    // c leads term 2 with a shorter log: a keeps entries 1..2 only (its 3 and 4 are gone).
    await deliver({
      type: 'AppendEntries',
      from: 'c',
      to: 'a',
      term: 2,
      prevLogIndex: 1,
      prevLogTerm: 1,
      entries: [{ index: 2, term: 2, type: 'noop', data: new Uint8Array(0) }],
      leaderCommit: 0,
    });
    // a leads again in term 3 (its no-op at 3) and hands out index 4 to a new write.
    await elect(3, ['d', 'e']);
    const q = track(raft.propose(enc.encode('q'), 60_000));
    await settle();
    expect(p[2]!.error).toBeUndefined(); // b still holds the term-1 write at index 4
    // b, which has a's term-1 entries 2..4, wins term 4 (d and e vote for it) and commits them.
    await deliver({
      type: 'AppendEntries',
      from: 'b',
      to: 'a',
      term: 4,
      prevLogIndex: 1,
      prevLogTerm: 1,
      entries: [
        normal(2, 1, 'p2'),
        normal(3, 1, 'p3'),
        normal(4, 1, 'p4'),
        { index: 5, term: 4, type: 'noop', data: new Uint8Array(0) },
      ],
      leaderCommit: 5,
    });
    expect(p.map((x) => (x.value as ProposeOutcome<number> | undefined)?.logIndex)).toEqual([
      2, 3, 4,
    ]);
    expect(q.error).toBeInstanceOf(ProposalLost);
  });

  it('a deadline at an index committed with another leader’s entry reports the write lost, not committed', async () => {
    const { raft, clock, disk, deliver } = await openLeaderOfTerm1();
    const p = track(raft.propose(enc.encode('p2'), 100));
    await settle();
    disk.hold = true; // the commit is known before the entry is durable and applied here
    await deliver({
      type: 'AppendEntries',
      from: 'b',
      to: 'a',
      term: 2,
      prevLogIndex: 1,
      prevLogTerm: 1,
      entries: [normal(2, 2, 'other')],
      leaderCommit: 2,
    });
    expect(raft.status().commitIndex).toBe(2);
    clock.advance(100);
    await settle();
    expect(p.error).toBeInstanceOf(ProposalLost);
    expect(p.error).not.toBeInstanceOf(ProposalTimedOut);
  });
});

describe('RaftRuntime: a state machine that lags', () => {
  it('a follower whose apply lags more than 1,024 entries behind still answers its leader, then applies every entry in order', async () => {
    const clock = new ManualClock();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const applied: number[] = [];
    const sent: Message[] = [];
    const stateMachine: StateMachine<number> = {
      get appliedIndex() {
        return applied.length;
      },
      async apply(first: number, payloads: readonly Uint8Array[]): Promise<number[]> {
        await gate;
        const indexes = payloads.map((_, k) => first + k);
        applied.push(...indexes);
        return indexes;
      },
    };
    const raft = await RaftRuntime.open<number>(
      {
        id: 'a',
        peers: new Map(['a', 'b', 'c'].map((id) => [id, `${id}:1`])),
        timing: { tickMs: TICK, electionTick: ELECTION_TICK, heartbeatTick: 1 },
        maxEntryBytes: 1024,
        createNode: (config, initial) =>
          new RaftNode({ ...config, preVote: false, checkQuorum: false }, initial),
      },
      {
        log: new MemoryLog(),
        stateMachine,
        transport: { send: (messages) => void sent.push(...messages), close: () => {} },
        clock,
        random: () => 0,
      },
    );
    const n = 1_500;
    raft.deliver({
      type: 'AppendEntries',
      from: 'b',
      to: 'a',
      term: 1,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: Array.from({ length: n }, (_, i) => normal(i + 1, 1, `e${i + 1}`)),
      leaderCommit: n,
    });
    await settle();
    // Apply is held at the first entry: 1,500 committed entries wait to be applied.
    expect(applied).toEqual([]);
    sent.length = 0;
    raft.deliver({ type: 'Heartbeat', from: 'b', to: 'a', term: 1, commit: n, readContext: 0 });
    await settle();
    expect(sent.filter((m) => m.type === 'HeartbeatResponse' && m.to === 'b')).toHaveLength(1);

    release();
    for (let i = 0; i < 100 && applied.length < n; i++) await settle();
    expect(applied).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    await raft.close();
  });

  it('bounds the reads waiting for a ReadIndex round: past the limit, a read is refused at once', async () => {
    const { raft, deliver } = await openLeaderOfTerm1();
    // Its no-op commits (b and c hold it), so reads may start ReadIndex rounds.
    for (const from of ['b', 'c'])
      await deliver({
        type: 'AppendEntriesResponse',
        from,
        to: 'a',
        term: 1,
        success: true,
        matchIndex: 1,
        rejectedIndex: 0,
        conflictTerm: 0,
        hintIndex: 0,
      });
    expect(raft.status().commitIndex).toBe(1);
    // No follower answers a heartbeat: every round stays open until its deadline.
    const waiting = Array.from({ length: 10_000 }, () => track(raft.readBarrier(60_000)));
    await settle();
    expect(waiting.every((w) => w.error === undefined && w.value === undefined)).toBe(true);
    const refused = track(raft.readBarrier(60_000));
    await settle();
    expect(refused.error).toBeInstanceOf(TooManyReadsWaiting);
    await raft.close();
  });
});
