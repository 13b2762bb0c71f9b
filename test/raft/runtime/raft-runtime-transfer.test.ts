/**
 * Leadership transfer as RaftRuntime runs it (raft-runtime.ts transferLeadership):
 * three real runtimes on one manual clock over an in-memory network that can drop or
 * hold messages (the shape of raft-runtime-lease.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Entry, HardState, Message } from '../../../src/raft/index.js';
import {
  LeadershipTransferring,
  NodeStopped,
  NotLeader,
  TransferFailed,
} from '../../../src/raft/runtime/errors.js';
import type {
  Clock,
  LogStorage,
  PersistedLog,
  StateMachine,
} from '../../../src/raft/runtime/ports.js';
import { RaftRuntime } from '../../../src/raft/runtime/raft-runtime.js';
import { ManualClock } from '../../support/manual-clock.js';

const TICK = 10;
const ELECTION_TICK = 10;
const DRIFT = 20;
/** (electionTick - 1)·tickMs - driftMs (leader-lease.ts). */
const LEASE_MS = (ELECTION_TICK - 1) * TICK - DRIFT;
const TIMING = { tickMs: TICK, electionTick: ELECTION_TICK, heartbeatTick: 1 };
const enc = new TextEncoder();

function memberClock(shared: ManualClock): Clock {
  return {
    now: () => shared.now(),
    wallNow: () => 1_700_000_000_000 + shared.now(),
    setTimeout: (fn, ms) => shared.setTimeout(fn, ms),
    setInterval: (fn, ms) => shared.setInterval(fn, ms),
  };
}

class MemoryLog implements LogStorage {
  hardState: HardState = { term: 0, vote: undefined, commit: 0 };
  entries: Entry[] = [];
  load(): Promise<PersistedLog> {
    return Promise.resolve({ hardState: this.hardState, entries: [...this.entries] });
  }
  persist(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    if (entries.length > 0) this.entries.length = entries[0]!.index - 1;
    this.entries.push(...entries);
    if (hardState !== undefined) this.hardState = hardState;
    return Promise.resolve();
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

/** A MemoryLog whose writes can be held back (a slow disk). */
class GatedLog extends MemoryLog {
  held = false;
  private waiting: (() => void)[] = [];
  override persist(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    if (!this.held) return super.persist(entries, hardState);
    return new Promise((resolve) => {
      this.waiting.push(() => void super.persist(entries, hardState).then(resolve));
    });
  }
  release(): void {
    this.held = false;
    for (const w of this.waiting.splice(0)) w();
  }
}

/** A state machine that records every payload it applied, by index. */
class Recorder implements StateMachine<number> {
  appliedIndex = 0;
  readonly applied = new Map<number, string>();
  apply(first: number, payloads: readonly Uint8Array[]): Promise<number[]> {
    const indexes = payloads.map((p, k) => {
      this.applied.set(first + k, new TextDecoder().decode(p));
      return first + k;
    });
    this.appliedIndex = indexes.at(-1) ?? this.appliedIndex;
    return Promise.resolve(indexes);
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Tracked<T> {
  done: boolean;
  ok?: true;
  value?: T;
  error?: unknown;
}

function track<T>(p: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { done: false };
  p.then(
    (value) => Object.assign(state, { done: true, ok: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

class Net {
  readonly clock = new ManualClock();
  readonly rafts = new Map<string, RaftRuntime<number>>();
  readonly machines = new Map<string, Recorder>();
  /** Every message sent, with the time, and the sender's transferee then. */
  readonly sent: { at: number; m: Message; transferee: string | undefined }[] = [];
  drop: (m: Message) => boolean = () => false;
  hold: (m: Message) => boolean = () => false;
  held: Message[] = [];
  private queue: Message[] = [];

  /** Members with the given random sources (fixing their election timeouts). */
  static async open(
    members: Record<string, number>,
    logs: Record<string, MemoryLog> = {},
  ): Promise<Net> {
    const net = new Net();
    const peers = new Map(Object.keys(members).map((id) => [id, `${id}:1`]));
    for (const [id, random] of Object.entries(members)) {
      let closed = false;
      const machine = new Recorder();
      net.machines.set(id, machine);
      const raft = await RaftRuntime.open<number>(
        {
          id,
          peers,
          timing: TIMING,
          maxEntryBytes: 1024,
          lease: { driftMs: DRIFT, maxClockSkewMs: 50 },
        },
        {
          log: logs[id] ?? new MemoryLog(),
          stateMachine: machine,
          transport: {
            send: (messages) => {
              if (closed) return;
              for (const m of messages) {
                const transferee = net.rafts.get(m.from)?.status().transferee;
                net.sent.push({ at: net.clock.now(), m, transferee });
                net.queue.push(m);
              }
            },
            close: () => void (closed = true),
          },
          clock: memberClock(net.clock),
          random: () => random,
        },
      );
      net.rafts.set(id, raft);
    }
    return net;
  }

  raft(id: string): RaftRuntime<number> {
    const r = this.rafts.get(id);
    if (r === undefined) throw new Error(`no member ${id}`);
    return r;
  }

  async pump(): Promise<void> {
    await settle();
    for (let round = 0; this.queue.length > 0; round++) {
      if (round > 1_000) throw new Error('the network did not quiesce');
      for (const m of this.queue.splice(0)) {
        if (this.drop(m)) continue;
        if (this.hold(m)) this.held.push(m);
        else this.raft(m.to).deliver(m);
      }
      await settle();
    }
  }

  async release(filter: (m: Message) => boolean = () => true): Promise<void> {
    const now = this.held.filter(filter);
    this.held = this.held.filter((m) => !filter(m));
    for (const m of now) if (!this.drop(m)) this.raft(m.to).deliver(m);
    await this.pump();
  }

  async advance(ms: number): Promise<void> {
    let left = ms;
    while (left > 0) {
      const step = Math.min(left, TICK - (this.clock.now() % TICK));
      this.clock.advance(step);
      left -= step;
      await this.pump();
    }
  }

  sentSince(index: number): Message[] {
    return this.sent.slice(index).map((s) => s.m);
  }

  async close(): Promise<void> {
    for (const r of this.rafts.values()) await r.close();
  }
}

/**
 * a, b, c with election timeouts of 10, 13 and 16 ticks: a wins the first election;
 * returns once its lease holds.
 */
async function steadyLeader(logs: Record<string, MemoryLog> = {}): Promise<Net> {
  const net = await Net.open({ a: 0, b: 0.3, c: 0.6 }, logs);
  for (let i = 0; i < 3 * ELECTION_TICK && net.raft('a').role !== 'leader'; i++)
    await net.advance(TICK);
  expect(net.raft('a').role).toBe('leader');
  await net.advance(3 * TICK);
  expect(net.raft('a').leaseHolds()).toBe(true);
  return net;
}

async function write(net: Net, leader: string, payload: string): Promise<number> {
  const w = track(net.raft(leader).propose(enc.encode(payload), 1_000));
  await net.pump();
  await net.advance(TICK);
  expect(w.error).toBeUndefined();
  expect(w.ok).toBe(true);
  return w.value!.logIndex;
}

describe('RaftRuntime.transferLeadership', () => {
  it('resolves with the new leader once this node follows it: c leads the next term, nothing committed is lost', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    const c = net.raft('c');
    const term = a.status().term;
    const i1 = await write(net, 'a', 'w1');
    const i2 = await write(net, 'a', 'w2');
    const mark = net.sent.length;
    const t = track(a.transferLeadership('c', 1_000));
    await net.pump();
    expect(t).toMatchObject({ done: true, ok: true, value: 'c' });
    expect(c.role).toBe('leader');
    expect(c.status().term).toBe(term + 1);
    expect(a.role).toBe('follower');
    expect(a.leaderId).toBe('c');
    expect(net.raft('b').leaderId).toBe('c');
    // The transferee campaigned at once: no pre-vote, and its RequestVotes carry the flag.
    const after = net.sentSince(mark);
    expect(after.filter((m) => m.type === 'TimeoutNow').map((m) => [m.from, m.to])).toEqual([
      ['a', 'c'],
    ]);
    expect(after.some((m) => m.type === 'PreVote')).toBe(false);
    const votes = after.filter((m) => m.type === 'RequestVote');
    expect(votes.map((m) => m.to).sort()).toEqual(['a', 'b']);
    expect(votes.every((m) => m.type === 'RequestVote' && m.transfer === true)).toBe(true);
    // c commits under its term, and the writes of a are applied everywhere where they were.
    const i3 = await write(net, 'c', 'w3');
    await net.advance(TICK);
    for (const id of ['a', 'b', 'c']) {
      const applied = net.machines.get(id)!.applied;
      expect([applied.get(i1), applied.get(i2), applied.get(i3)]).toEqual(['w1', 'w2', 'w3']);
    }
    expect(c.logTerm(i2)).toBe(term);
    expect(c.logTerm(i3)).toBe(term + 1);
    await net.close();
  });

  it('while in progress: writes rejected with LeadershipTransferring, ReadIndex reads served, no lease from the first moment', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    net.hold = (m) => m.type === 'TimeoutNow';
    expect(a.leaseHolds()).toBe(true);
    const t = track(a.transferLeadership('c', 1_000));
    // Synchronously, before any Ready or message.
    expect(a.leaseHolds()).toBe(false);
    expect(a.replicaFreshness().leaseHolds).toBe(false);
    expect(a.status().transferee).toBe('c');
    await net.pump();
    expect(net.held.map((m) => m.to)).toEqual(['c']);
    expect(t.done).toBe(false);
    const lastIndex = a.status().lastIndex;
    const refused = track(a.propose(enc.encode('refused'), 1_000));
    await settle();
    expect(refused.error).toBeInstanceOf(LeadershipTransferring);
    expect(refused.error).toMatchObject({
      nodeId: 'a',
      nextLeaderId: 'c',
      nextLeaderAddress: 'c:1',
    });
    expect((refused.error as Error).message).toMatch(/handing leadership over to c.*c:1/);
    expect(a.status().lastIndex).toBe(lastIndex);
    // ReadIndex goes on (a heartbeat round); a lease read falls back to it.
    const mark = net.sent.length;
    const barrier = track(a.readBarrier(1_000));
    const leaseRead = track(a.leaseRead(1_000));
    await net.pump();
    expect(barrier).toMatchObject({ done: true, ok: true });
    expect(leaseRead).toMatchObject({ done: true, ok: true });
    expect(net.sentSince(mark).filter((m) => m.type === 'Heartbeat' && m.from === 'a')).not.toEqual(
      [],
    );
    // Heartbeats carry no freshness stamp while it transfers.
    await net.advance(TICK);
    const hbs = net.sentSince(mark).filter((m) => m.type === 'Heartbeat' && m.from === 'a');
    expect(hbs.every((m) => m.type === 'Heartbeat' && m.freshness === undefined)).toBe(true);
    expect(a.leaseHolds()).toBe(false);
    await net.release();
    expect(t).toMatchObject({ done: true, ok: true, value: 'c' });
    expect(a.leaseHolds()).toBe(false);
    expect(net.raft('c').role).toBe('leader');
    await net.close();
  });

  it('rejects with TransferFailed for a target that is not a voter; nothing changes', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    const t = track(a.transferLeadership('z', 1_000));
    await settle();
    expect(t.error).toBeInstanceOf(TransferFailed);
    expect((t.error as Error).message).toMatch(/z is not a voter/);
    expect(a.status().transferee).toBeUndefined();
    expect(a.leaseHolds()).toBe(true);
    await write(net, 'a', 'still accepted');
    await net.close();
  });

  it('rejects with NotLeader on a follower', async () => {
    const net = await steadyLeader();
    const t = track(net.raft('b').transferLeadership('c', 1_000));
    await settle();
    expect(t.error).toBeInstanceOf(NotLeader);
    expect((t.error as NotLeader).leaderId).toBe('a');
    await net.close();
  });

  it('to itself resolves with its own id and changes nothing', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    const mark = net.sent.length;
    const t = track(a.transferLeadership('a', 1_000));
    await net.pump();
    expect(t).toMatchObject({ done: true, ok: true, value: 'a' });
    expect(a.role).toBe('leader');
    expect(a.status().transferee).toBeUndefined();
    expect(a.leaseHolds()).toBe(true);
    expect(net.sentSince(mark).some((m) => m.type === 'TimeoutNow')).toBe(false);
    await net.close();
  });

  it('a lone voter: TransferFailed, with or without a target', async () => {
    const net = await Net.open({ solo: 0 });
    await net.advance(TICK);
    const solo = net.raft('solo');
    expect(solo.role).toBe('leader');
    const noTarget = track(solo.transferLeadership(undefined, 1_000));
    const other = track(solo.transferLeadership('x', 1_000));
    await settle();
    expect(noTarget.error).toBeInstanceOf(TransferFailed);
    expect((noTarget.error as Error).message).toMatch(/only voter/);
    expect(other.error).toBeInstanceOf(TransferFailed);
    expect(solo.role).toBe('leader');
    expect(solo.status().transferee).toBeUndefined();
    await net.close();
  });

  it('times out with TransferFailed when the target never takes over; the node leads on and writes resume', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    const term = a.status().term;
    net.drop = (m) => m.to === 'c' || m.from === 'c';
    const t = track(a.transferLeadership('c', 50));
    await net.advance(49);
    expect(t.done).toBe(false);
    await net.advance(1);
    expect(t.error).toBeInstanceOf(TransferFailed);
    expect((t.error as Error).message).toMatch(/c did not take over within 50 ms/);
    expect(a.role).toBe('leader');
    expect(a.status().term).toBe(term);
    // The core gives up after its election timeout: writes are accepted again, same term.
    await net.advance(ELECTION_TICK * TICK);
    expect(a.status().transferee).toBeUndefined();
    await write(net, 'a', 'after');
    expect(a.status().term).toBe(term);
    await net.close();
  });

  it('without a target, picks the most up-to-date other voter', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    net.drop = (m) => m.to === 'b' || m.from === 'b';
    await write(net, 'a', 'b misses it');
    expect(a.status().progress!['b']!.match).toBeLessThan(a.status().progress!['c']!.match);
    const t = track(a.transferLeadership(undefined, 1_000));
    await net.pump();
    expect(t).toMatchObject({ done: true, ok: true, value: 'c' });
    expect(net.raft('c').role).toBe('leader');
    await net.close();
  });

  it('a lagging target is caught up first, then takes over', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    net.drop = (m) => m.to === 'c' || m.from === 'c';
    const i1 = await write(net, 'a', 'c misses it');
    expect(net.raft('c').status().lastIndex).toBeLessThan(i1);
    net.drop = () => false;
    const t = track(a.transferLeadership('c', 1_000));
    await net.pump();
    await net.advance(TICK);
    expect(t).toMatchObject({ done: true, ok: true, value: 'c' });
    expect(net.raft('c').logEntries(i1, i1)[0]).toMatchObject({
      index: i1,
      data: enc.encode('c misses it'),
    });
    await net.close();
  });
});

describe('RaftRuntime.transferLeadership: found in review, fixed', () => {
  // A caller of transferLeadership must not wait forever once the node closes or fails.
  it('a transfer pending when the node closes rejects with NodeStopped', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    net.drop = (m) => m.type === 'TimeoutNow';
    const t = track(a.transferLeadership('c', 60_000));
    await net.pump();
    expect(t.done).toBe(false);
    await net.close();
    await settle();
    expect(t.error).toBeInstanceOf(NodeStopped);
  });

  // Rounds registered during a transfer still confirm, but a voter that acknowledged one
  // may then vote for the transferee past its stickiness (transfer: true). So a leader
  // that gave its transfer up without hearing of the new term holds no lease in that term.
  it('a leader whose transfer succeeded elsewhere holds no lease after abandoning it', async () => {
    const net = await steadyLeader();
    try {
      const a = net.raft('a');
      const b = net.raft('b');
      const c = net.raft('c');
      const term = a.status().term;
      // c's RequestVotes are delayed; a and c cannot talk once c has its TimeoutNow.
      net.hold = (m) => m.type === 'RequestVote' && m.from === 'c';
      let cut = false;
      net.drop = (m) =>
        cut && ((m.from === 'a' && m.to === 'c') || (m.from === 'c' && m.to === 'a'));
      const t = track(a.transferLeadership('c', 10_000));
      await net.pump();
      cut = true;
      expect(c.role).toBe('candidate');
      // a keeps registering renewal rounds, which b (still in term 1) confirms.
      await net.advance(5 * TICK);
      expect(a.status().transferee).toBe('c');
      // b now gets c's RequestVote: it grants past its stickiness; c wins term 2.
      await net.release((m) => m.to === 'b');
      net.held = [];
      expect(c.role).toBe('leader');
      expect(b.leaderId).toBe('c');
      expect(c.status().term).toBe(term + 1);
      // a is cut off from everyone; c commits a write a never sees.
      net.drop = (m) => m.from === 'a' || m.to === 'a';
      const index = await write(net, 'c', 'newer');
      expect(net.machines.get('a')!.applied.get(index)).toBeUndefined();
      // The core abandons the transfer an election timeout after it began.
      for (let i = 0; i < ELECTION_TICK && a.status().transferee !== undefined; i++)
        await net.advance(TICK);
      expect(a.status().transferee).toBeUndefined();
      expect(a.role).toBe('leader');
      expect(t.done).toBe(false);
      // Bug: a would serve a lease read without the write c committed.
      expect(a.leaseHolds()).toBe(false);
    } finally {
      await net.close();
    }
  });
});

describe('RaftRuntime.transferLeadership: a slow leader disk', () => {
  // While the leader's disk is slow its Ready cycle waits and the ticks give the transfer
  // up: the TimeoutNow of a Ready taken before must not leave afterwards, or a voter
  // campaigns past the others' stickiness while this leader accepts writes again.
  it('no TimeoutNow leaves after the transfer was given up', async () => {
    const log = new GatedLog();
    const net = await steadyLeader({ a: log });
    try {
      const a = net.raft('a');
      log.held = true;
      const w = track(a.propose(enc.encode('w'), 10_000));
      await net.pump(); // b and c acknowledge: committed without a's own disk
      expect(a.status().progress!['c']!.match).toBe(a.status().lastIndex);
      const t = track(a.transferLeadership('c', 10_000));
      await net.advance(ELECTION_TICK * TICK);
      expect(a.status().transferee).toBeUndefined(); // given up
      expect(a.role).toBe('leader');
      log.release();
      await net.pump();
      expect(w.ok).toBe(true);
      // At the moment it leaves, its sender must still hand over to its target.
      const late = net.sent.filter((s) => s.m.type === 'TimeoutNow' && s.transferee !== s.m.to);
      expect(late.map((s) => [s.m.to, s.transferee])).toEqual([]);
      expect(t.done).toBe(false);
    } finally {
      await net.close();
    }
  });
});

describe('harness sanity', () => {
  it('the lease lasts LEASE_MS as in raft-runtime-lease.test.ts', () => {
    expect(LEASE_MS).toBe(70);
  });
});
