/**
 * The leader lease and freshness stamps as RaftRuntime runs them (leader-lease.ts):
 * three real runtimes on one manual clock, wired by an in-memory network that can
 * drop or hold messages. Each member has its own wall clock (an offset from the
 * shared time), so the clock-skew bound on stamps can be exercised.
 */
import { describe, expect, it } from 'vitest';
import type { Entry, HardState, Message } from '../../../src/raft/index.js';
import {
  ApplyWaitTimedOut,
  NodeStopped,
  NotLeader,
  ReadTimedOut,
} from '../../../src/raft/runtime/errors.js';
import type {
  Clock,
  LogStorage,
  PersistedLog,
  StateMachine,
} from '../../../src/raft/runtime/ports.js';
import {
  RaftRuntime,
  voteQuietWindowMs,
  type RaftTiming,
} from '../../../src/raft/runtime/raft-runtime.js';
import { TestCluster } from '../helpers.js';
import { ManualClock } from '../../support/manual-clock.js';

const TICK = 10;
const ELECTION_TICK = 10;
const DRIFT = 20;
const SKEW = 50;
/** (electionTick - 1)·tickMs - driftMs (leader-lease.ts). */
const LEASE_MS = (ELECTION_TICK - 1) * TICK - DRIFT;
const WALL0 = 1_700_000_000_000;
const TIMING = { tickMs: TICK, electionTick: ELECTION_TICK, heartbeatTick: 1 };

/** One member's clock: the shared monotonic time, and its own wall clock. */
function memberClock(shared: ManualClock, wallOffsetMs: number): Clock {
  return {
    now: () => shared.now(),
    wallNow: () => WALL0 + shared.now() + wallOffsetMs,
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

/** A MemoryLog whose writes can be held back: what the core sees before its own append is durable. */
class GatedLog extends MemoryLog {
  held = false;
  private waiting: (() => void)[] = [];
  override persist(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    if (!this.held) return super.persist(entries, hardState);
    return new Promise((resolve) => {
      this.waiting.push(() => void super.persist(entries, hardState).then(resolve));
    });
  }
  /** Lets the held writes (and every later one) through. */
  release(): void {
    this.held = false;
    for (const write of this.waiting.splice(0)) write();
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

/** Lets every promise chain of the runtimes run (no real I/O: one turn is enough). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Settled state of a promise, readable synchronously. */
function track<T>(p: Promise<T>): { done: boolean; ok?: true; value?: T; error?: unknown } {
  const state: { done: boolean; ok?: true; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => Object.assign(state, { done: true, ok: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

interface MemberSpec {
  id: string;
  /** The core's random source: fixes its election timeout. */
  random: number;
  wallOffsetMs?: number;
  /** RaftRuntimeConfig.peerVoteQuietMs (absent: every member shares this one's timing). */
  peerVoteQuietMs?: (id: string) => number | undefined;
}

class Net {
  readonly clock = new ManualClock();
  readonly rafts = new Map<string, RaftRuntime<number>>();
  readonly logLines = new Map<string, string[]>();
  /** Every message sent, with the (shared) time it was sent at. */
  readonly sent: { at: number; m: Message }[] = [];
  /** Messages matching this are lost. */
  drop: (m: Message) => boolean = () => false;
  /** Messages matching this wait in `held` until released. */
  hold: (m: Message) => boolean = () => false;
  held: Message[] = [];
  private queue: Message[] = [];

  static async open(members: MemberSpec[], timing: RaftTiming = TIMING): Promise<Net> {
    const net = new Net();
    const peers = new Map(members.map((m) => [m.id, `${m.id}:1`]));
    for (const spec of members) {
      const lines: string[] = [];
      net.logLines.set(spec.id, lines);
      let closed = false;
      const raft = await RaftRuntime.open<number>(
        {
          id: spec.id,
          peers,
          timing,
          maxEntryBytes: 1024,
          lease: { driftMs: DRIFT, maxClockSkewMs: SKEW },
          log: (line) => lines.push(line),
          peerVoteQuietMs: spec.peerVoteQuietMs,
        },
        {
          log: new MemoryLog(),
          stateMachine: new Recorder(),
          transport: {
            send: (messages) => {
              if (closed) return;
              for (const m of messages) {
                net.sent.push({ at: net.clock.now(), m });
                net.queue.push(m);
              }
            },
            close: () => void (closed = true),
          },
          clock: memberClock(net.clock, spec.wallOffsetMs ?? 0),
          random: () => spec.random,
        },
      );
      net.rafts.set(spec.id, raft);
    }
    return net;
  }

  raft(id: string): RaftRuntime<number> {
    const r = this.rafts.get(id);
    if (r === undefined) throw new Error(`no member ${id}`);
    return r;
  }

  /** The wall clock of member `a` (offset 0) now. */
  wallNow(): number {
    return WALL0 + this.clock.now();
  }

  /** Delivers at the current time until no message is in flight. */
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

  async release(): Promise<void> {
    for (const m of this.held.splice(0)) this.raft(m.to).deliver(m);
    await this.pump();
  }

  /** Moves the clock `ms` on, delivering everything at each tick. */
  async advance(ms: number): Promise<void> {
    let left = ms;
    while (left > 0) {
      const toTick = TICK - (this.clock.now() % TICK);
      const step = Math.min(left, toTick);
      this.clock.advance(step);
      left -= step;
      await this.pump();
    }
  }

  /** Heartbeats `from` sent at time `at`. */
  heartbeatsAt(from: string, at: number): Extract<Message, { type: 'Heartbeat' }>[] {
    return this.sent
      .filter((s) => s.at === at && s.m.from === from && s.m.type === 'Heartbeat')
      .map((s) => s.m as Extract<Message, { type: 'Heartbeat' }>);
  }

  async close(): Promise<void> {
    for (const r of this.rafts.values()) await r.close();
  }
}

/**
 * Runs `net` (a, b, c with election timeouts of 10, 13 and 16 ticks) until a has won
 * the first election and then three ticks more: each of them registered a renewal
 * round, which b and c confirmed at once.
 */
async function electA(net: Net): Promise<void> {
  for (let i = 0; i < 3 * ELECTION_TICK && net.raft('a').role !== 'leader'; i++)
    await net.advance(TICK);
  expect(net.raft('a').role).toBe('leader');
  await net.advance(3 * TICK);
}

/**
 * a, b, c with election timeouts of 10, 13 and 16 ticks: a wins the first election.
 * Returns once a leads and has just had a round confirmed at a tick (its lease holds).
 * `aPeerVoteQuietMs`: the windows a is told its peers announced (absent: its own timing).
 */
async function steadyLeader(
  wallOffsets: Record<string, number> = {},
  aPeerVoteQuietMs?: (id: string) => number | undefined,
): Promise<Net> {
  const net = await Net.open([
    { id: 'a', random: 0, wallOffsetMs: wallOffsets['a'] ?? 0, peerVoteQuietMs: aPeerVoteQuietMs },
    { id: 'b', random: 0.3, wallOffsetMs: wallOffsets['b'] ?? 0 },
    { id: 'c', random: 0.6, wallOffsetMs: wallOffsets['c'] ?? 0 },
  ]);
  await electA(net);
  expect(net.raft('a').leaseHolds()).toBe(true);
  return net;
}

/** The renewal round of the heartbeats a sent at `at` (0: none; they all carry the same). */
function roundAt(net: Net, at: number): number {
  const hbs = net.heartbeatsAt('a', at);
  expect(hbs.map((m) => m.to).sort()).toEqual(['b', 'c']);
  expect(new Set(hbs.map((m) => m.readContext)).size).toBe(1);
  return hbs[0]!.readContext;
}

/** A one-member cluster's runtime on its own manual clock, writing to `log`. */
async function openLone(log: MemoryLog): Promise<RaftRuntime<number>> {
  const clock = new ManualClock();
  return RaftRuntime.open<number>(
    {
      id: 'solo',
      peers: new Map([['solo', 'solo:1']]),
      timing: TIMING,
      maxEntryBytes: 1024,
      lease: { driftMs: DRIFT, maxClockSkewMs: SKEW },
    },
    {
      log,
      stateMachine: new Recorder(),
      transport: { send: () => undefined, close: () => undefined },
      clock: memberClock(clock, 0),
      random: () => 0,
    },
  );
}

describe('RaftRuntime: the leader lease', () => {
  it('starts with the first confirmed round after the election, not with the election', async () => {
    const net = await Net.open([
      { id: 'a', random: 0 },
      { id: 'b', random: 0.3 },
      { id: 'c', random: 0.6 },
    ]);
    const a = net.raft('a');
    for (let i = 0; i < 3 * ELECTION_TICK && a.role !== 'leader'; i++) {
      await net.advance(TICK);
      expect(a.leaseHolds()).toBe(false);
    }
    expect(a.role).toBe('leader');
    expect(a.status().commitIndex).toBe(1); // its no-op
    expect(a.leaseHolds()).toBe(false);
    expect(a.replicaFreshness()).toMatchObject({ leaseHolds: false, freshAsOfWallMs: undefined });
    // The next tick registers a renewal round; b and c confirm it at once.
    await net.advance(TICK);
    expect(a.leaseHolds()).toBe(true);
    expect(net.raft('b').leaseHolds()).toBe(false); // followers never hold a lease
    await net.close();
  });

  it('expires (electionTick-1)·tickMs - driftMs after the last confirmed round, while still leader; no other leader is elected before', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    const lastRound = net.clock.now(); // a registered a round at this tick, and it was confirmed
    net.drop = (m) => m.from === 'a' || m.to === 'a';
    await net.advance(LEASE_MS - 1);
    expect(a.leaseHolds()).toBe(true);
    await net.advance(1);
    expect(net.clock.now()).toBe(lastRound + LEASE_MS);
    expect(a.leaseHolds()).toBe(false);
    expect(a.role).toBe('leader'); // check-quorum has not demoted it yet: only the lease ran out
    // b and c elect a new leader, but only after the lease has run out.
    let newLeaderAt: number | undefined;
    for (let i = 0; i < 5 * ELECTION_TICK && newLeaderAt === undefined; i++) {
      await net.advance(TICK);
      if (net.raft('b').role === 'leader' || net.raft('c').role === 'leader') {
        newLeaderAt = net.clock.now();
        expect(a.leaseHolds()).toBe(false);
      }
    }
    expect(newLeaderAt).toBeDefined();
    expect(newLeaderAt!).toBeGreaterThanOrEqual(lastRound + LEASE_MS);
    await net.close();
  });

  it('is renewed from when a round was registered, not from when its confirmation arrived', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    const t0 = net.clock.now();
    net.hold = (m) => m.type === 'HeartbeatResponse' && m.to === 'a';
    await net.advance(TICK); // a round registered at t0 + 10; its acknowledgements are held
    await net.advance(LEASE_MS - 2 * TICK + 5); // t0 + 65
    expect(a.leaseHolds()).toBe(true); // still the round of t0
    expect(net.held.length).toBeGreaterThan(0);
    await net.release(); // the round of t0 + 10 is confirmed now, at t0 + 65
    await net.advance(TICK); // t0 + 75: past the lease of t0's round
    expect(a.leaseHolds()).toBe(true);
    await net.advance(4); // t0 + 79
    expect(a.leaseHolds()).toBe(true);
    await net.advance(1); // t0 + 80 = (t0 + 10) + LEASE_MS
    expect(net.clock.now()).toBe(t0 + TICK + LEASE_MS);
    expect(a.leaseHolds()).toBe(false);
    expect(a.role).toBe('leader');
    await net.close();
  });

  it('renewing the lease costs one heartbeat round per tick, carrying the renewal', async () => {
    const net = await steadyLeader();
    const contexts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await net.advance(TICK);
      const hbs = net.heartbeatsAt('a', net.clock.now());
      expect(hbs.map((m) => m.to).sort()).toEqual(['b', 'c']);
      expect(new Set(hbs.map((m) => m.readContext)).size).toBe(1);
      contexts.push(hbs[0]!.readContext);
    }
    // A new round each tick (the previous one confirmed), riding on the tick's heartbeat.
    expect(contexts.every((ctx, k) => ctx > 0 && (k === 0 || ctx > contexts[k - 1]!))).toBe(true);
    await net.close();
  });

  it('with a heartbeat every 5 ticks, the renewal rides on the heartbeat: one message per interval to each follower, and the lease holds', async () => {
    const net = await Net.open(
      [
        { id: 'a', random: 0 },
        { id: 'b', random: 0.3 },
        { id: 'c', random: 0.6 },
      ],
      { ...TIMING, heartbeatTick: 5 },
    );
    for (let i = 0; i < 3 * ELECTION_TICK && net.raft('a').role !== 'leader'; i++)
      await net.advance(TICK);
    const a = net.raft('a');
    expect(a.role).toBe('leader');
    await net.advance(10 * TICK);
    const from = net.clock.now();
    const holds: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      await net.advance(TICK);
      holds.push(a.leaseHolds());
    }
    const toB = net.sent.filter((s) => s.at > from && s.m.from === 'a' && s.m.to === 'b');
    // 20 ticks at rest: 4 heartbeat intervals, each one heartbeat carrying a renewal round.
    expect(toB.map((s) => s.m.type)).toEqual(Array(4).fill('Heartbeat'));
    expect(toB.every((s) => s.m.type === 'Heartbeat' && s.m.readContext > 0)).toBe(true);
    expect(holds.every(Boolean)).toBe(true);
    await net.close();
  });

  it('leaseRead is served without a round trip while the lease holds, and by a ReadIndex round without it', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    net.drop = () => true; // a hears from nobody
    const onLease = track(a.leaseRead(1_000));
    await settle();
    expect(onLease).toMatchObject({ done: true, ok: true });
    await net.advance(LEASE_MS);
    expect(a.leaseHolds()).toBe(false);
    expect(a.role).toBe('leader');
    const noLease = track(a.leaseRead(15));
    await net.advance(14);
    expect(noLease.done).toBe(false); // waiting for a majority that cannot answer
    await net.advance(1);
    expect(noLease.error).toBeInstanceOf(ReadTimedOut);
    // With the network back, the ReadIndex round of a leaseRead also renews the lease.
    net.drop = () => false;
    const roundTrip = track(a.leaseRead(1_000));
    await net.pump();
    expect(roundTrip).toMatchObject({ done: true, ok: true });
    expect(a.leaseHolds()).toBe(true);
    await net.close();
  });

  it('does not hold while another member’s vote-quiet window is unknown, confirmed rounds or not; leaseRead takes a ReadIndex round', async () => {
    const announced = new Map<string, number>([['b', voteQuietWindowMs(TIMING)]]); // c: unknown
    const asked = new Set<string>();
    const net = await Net.open([
      {
        id: 'a',
        random: 0,
        peerVoteQuietMs: (id) => {
          asked.add(id);
          return announced.get(id);
        },
      },
      { id: 'b', random: 0.3 },
      { id: 'c', random: 0.6 },
    ]);
    const a = net.raft('a');
    await electA(net);
    expect(a.leaseHolds()).toBe(false);
    // A new renewal round each tick (one at a time: so each one before it was confirmed).
    const rounds: number[] = [];
    for (let i = 0; i < 2 * ELECTION_TICK; i++) {
      await net.advance(TICK);
      expect(a.leaseHolds()).toBe(false);
      const round = roundAt(net, net.clock.now());
      expect(round).toBeGreaterThan(rounds.at(-1) ?? 0);
      rounds.push(round);
      // Without a lease, no freshness stamp either.
      expect(net.heartbeatsAt('a', net.clock.now()).every((hb) => hb.freshness === undefined)).toBe(
        true,
      );
    }
    expect(a.role).toBe('leader');
    expect(a.replicaFreshness().leaseHolds).toBe(false);
    expect([...asked].sort()).toEqual(['b', 'c']); // never its own window: it knows that one
    // leaseRead: a heartbeat round to b and c, answered only once their replies arrive.
    net.hold = (m) => m.type === 'HeartbeatResponse' && m.to === 'a';
    const sentBefore = net.sent.length;
    const read = track(a.leaseRead(1_000));
    await net.pump();
    expect(read.done).toBe(false);
    const heartbeats = net.sent
      .slice(sentBefore)
      .filter((s) => s.m.from === 'a' && s.m.type === 'Heartbeat');
    expect(heartbeats.map((s) => s.m.to).sort()).toEqual(['b', 'c']);
    expect(net.held.map((m) => m.from).sort()).toEqual(['b', 'c']);
    await net.release();
    expect(read).toMatchObject({ done: true, ok: true });
    expect(a.leaseHolds()).toBe(false); // its confirmation makes no lease either
    // Once c's window is known, the round just confirmed counts: no round trip then.
    announced.set('c', voteQuietWindowMs(TIMING));
    expect(a.leaseHolds()).toBe(true);
    net.drop = () => true;
    const onLease = track(a.leaseRead(1_000));
    await settle();
    expect(onLease).toMatchObject({ done: true, ok: true });
    await net.close();
  });

  it.each([
    { windows: { b: 50, c: 90 }, leaseMs: 30, what: 'b’s shorter window' },
    { windows: { b: 90, c: 60 }, leaseMs: 40, what: 'c’s shorter window' },
    { windows: { b: 90, c: 90 }, leaseMs: 70, what: 'the shared window' },
    { windows: { b: 200, c: 500 }, leaseMs: 70, what: 'a’s own window, shorter than theirs' },
  ])(
    'lasts the shortest announced window less driftMs: $what gives $leaseMs ms after the round’s registration',
    async ({ windows, leaseMs }) => {
      expect(voteQuietWindowMs(TIMING)).toBe(90); // a's own window
      const announced: Record<string, number> = windows;
      const net = await steadyLeader({}, (id) => announced[id]);
      const a = net.raft('a');
      const registeredAt = net.clock.now(); // the round of this tick, confirmed
      expect(roundAt(net, registeredAt)).toBeGreaterThan(0);
      net.drop = (m) => m.from === 'a' || m.to === 'a';
      await net.advance(leaseMs - 1);
      expect(a.leaseHolds()).toBe(true);
      await net.advance(1);
      expect(net.clock.now()).toBe(registeredAt + leaseMs);
      expect(a.leaseHolds()).toBe(false);
      expect(a.role).toBe('leader');
      await net.close();
    },
  );

  it('a lone voter holds it only once an entry of its term has committed', async () => {
    const log = new GatedLog();
    log.held = true; // its no-op (and term, and vote) are not on disk yet
    const solo = await openLone(log);
    await settle();
    const holdsByCommit = (): boolean => {
      const { commitIndex, term } = solo.status();
      return solo.logTerm(commitIndex) === term;
    };
    expect(solo.role).toBe('leader');
    expect(solo.status()).toMatchObject({ term: 1, lastIndex: 1, commitIndex: 0 });
    expect(solo.leaseHolds()).toBe(false);
    expect(holdsByCommit()).toBe(false);
    const read = track(solo.leaseRead(1_000));
    await settle();
    expect(read.done).toBe(false);
    log.release();
    await settle();
    expect(solo.status()).toMatchObject({ term: 1, commitIndex: 1 });
    expect(solo.leaseHolds()).toBe(true);
    expect(holdsByCommit()).toBe(true);
    expect(read).toMatchObject({ done: true, ok: true });
    await solo.close();
  });

  it('a lone voter restarted with a commit of an earlier term holds it only once its own term’s no-op commits', async () => {
    const log = new GatedLog();
    log.hardState = { term: 1, vote: 'solo', commit: 1 };
    log.entries = [{ index: 1, term: 1, type: 'noop', data: new Uint8Array(0) }];
    log.held = true;
    const solo = await openLone(log);
    await settle();
    expect(solo.role).toBe('leader');
    // Its commit index is not 0, but of term 1: nothing says it is current in term 2.
    expect(solo.status()).toMatchObject({ term: 2, lastIndex: 2, commitIndex: 1 });
    expect(solo.logTerm(1)).toBe(1);
    expect(solo.leaseHolds()).toBe(false);
    log.release();
    await settle();
    expect(solo.status()).toMatchObject({ term: 2, commitIndex: 2 });
    expect(solo.logTerm(2)).toBe(2);
    expect(solo.leaseHolds()).toBe(true);
    await solo.close();
  });

  it('leaseRead on a follower is refused with NotLeader naming the leader', async () => {
    const net = await steadyLeader();
    const refused = track(net.raft('b').leaseRead(1_000));
    await settle();
    expect(refused.error).toBeInstanceOf(NotLeader);
    expect((refused.error as NotLeader).leaderId).toBe('a');
    await net.close();
  });
});

describe('RaftRuntime: freshness stamps', () => {
  it('the leader stamps its heartbeats only while its lease holds', async () => {
    const net = await steadyLeader();
    const a = net.raft('a');
    await net.advance(TICK);
    const commit = a.status().commitIndex;
    const stamped = net.heartbeatsAt('a', net.clock.now());
    expect(stamped).toHaveLength(2);
    for (const hb of stamped) expect(hb.freshness).toEqual({ commit, wallTimeMs: net.wallNow() });
    expect(a.replicaFreshness()).toEqual({
      appliedIndex: commit,
      leaderCommitIndex: commit,
      leaseHolds: true,
      freshAsOfWallMs: net.wallNow(),
    });
    // Cut off, a keeps sending heartbeats; once its lease is over they carry no stamp.
    const lastRound = net.clock.now();
    net.drop = (m) => m.from === 'a' || m.to === 'a';
    await net.advance(LEASE_MS - TICK + 5);
    const before = net.heartbeatsAt('a', lastRound + LEASE_MS - TICK);
    expect(before.every((hb) => hb.freshness !== undefined)).toBe(true);
    await net.advance(TICK - 5);
    const after = net.heartbeatsAt('a', lastRound + LEASE_MS);
    expect(after).toHaveLength(2);
    expect(after.every((hb) => hb.freshness === undefined)).toBe(true);
    await net.close();
  });

  it('a follower records its leader’s stamps; one whose clock is behind by more than the skew bound drops them', async () => {
    // b's wall clock is 40 ms behind a's (within the 50 ms bound), c's 100 ms behind.
    const net = await steadyLeader({ b: -40, c: -100 });
    const a = net.raft('a');
    const write = track(a.propose(new TextEncoder().encode('w'), 1_000));
    await net.pump();
    expect(write.error).toBeUndefined();
    await net.advance(TICK); // a stamped heartbeat carries the write's commit
    const commit = a.status().commitIndex;
    expect(commit).toBeGreaterThanOrEqual(2);
    expect(net.raft('b').replicaFreshness()).toEqual({
      appliedIndex: commit,
      leaderCommitIndex: commit,
      leaseHolds: false,
      freshAsOfWallMs: net.wallNow(), // on a's clock
    });
    expect(net.raft('b').commitNeededFor(net.wallNow())).toBe(commit);
    expect(net.raft('c').replicaFreshness()).toEqual({
      appliedIndex: commit,
      leaderCommitIndex: commit,
      leaseHolds: false,
      freshAsOfWallMs: undefined,
    });
    expect(net.raft('c').commitNeededFor(0)).toBeUndefined();
    expect(net.logLines.get('c')!.some((l) => /dropped a freshness stamp from a/.test(l))).toBe(
      true,
    );
    expect(net.logLines.get('b')!.some((l) => /dropped a freshness stamp/.test(l))).toBe(false);
    await net.close();
  });

  it('a stamp is taken only from the leader, in its term, and at most the skew bound ahead', async () => {
    const net = await steadyLeader();
    const b = net.raft('b');
    const { term, commitIndex: commit } = b.status();
    const fresh = b.replicaFreshness().freshAsOfWallMs;
    expect(fresh).toBe(net.wallNow());
    const heartbeat = (from: string, t: number, wallTimeMs: number): Message => ({
      type: 'Heartbeat',
      from,
      to: 'b',
      term: t,
      commit,
      readContext: 0,
      freshness: { commit, wallTimeMs },
    });
    // c is not b's leader (and a second leader in one term is refused by the core).
    b.deliver(heartbeat('c', term, net.wallNow() + 10));
    // a message of an earlier term is not from the current leader.
    b.deliver(heartbeat('a', term - 1, net.wallNow() + 20));
    // from the leader, but further ahead than the skew bound.
    b.deliver(heartbeat('a', term, net.wallNow() + SKEW + 1));
    await settle();
    expect(b.replicaFreshness().freshAsOfWallMs).toBe(fresh);
    // At the bound exactly, it counts.
    b.deliver(heartbeat('a', term, net.wallNow() + SKEW));
    await settle();
    expect(b.replicaFreshness().freshAsOfWallMs).toBe(net.wallNow() + SKEW);
    await net.close();
  });
});

describe('RaftRuntime: waitApplied', () => {
  it('resolves at once when applied, on apply otherwise, and times out on the clock', async () => {
    const net = await steadyLeader();
    const b = net.raft('b');
    const applied = b.appliedIndex;
    const now = track(b.waitApplied(applied, 0));
    await settle();
    expect(now).toMatchObject({ done: true, ok: true });
    const next = track(b.waitApplied(applied + 1, 1_000));
    const far = track(b.waitApplied(applied + 100, 30));
    await settle();
    expect(next.done).toBe(false);
    const write = track(net.raft('a').propose(new TextEncoder().encode('w'), 1_000));
    await net.pump();
    await net.advance(TICK); // the heartbeat brings b the commit index
    expect(write.error).toBeUndefined();
    expect(b.appliedIndex).toBe(applied + 1);
    expect(next).toMatchObject({ done: true, ok: true });
    expect(far.done).toBe(false);
    await net.advance(30 - TICK - 1);
    expect(far.done).toBe(false);
    await net.advance(1);
    expect(far.error).toBeInstanceOf(ApplyWaitTimedOut);
    expect((far.error as ApplyWaitTimedOut).index).toBe(applied + 100);
    const pending = track(b.waitApplied(applied + 100, 1_000));
    await net.close();
    await settle();
    expect(pending.error).toBeInstanceOf(NodeStopped);
    await expect(b.waitApplied(0, 1_000)).rejects.toBeInstanceOf(NodeStopped);
  });
});

describe('core: a ReadIndex registered just before a heartbeat tick', () => {
  it('rides on that heartbeat: one broadcast, not two', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.deliverAll();
    c.node('a').readIndex('r');
    c.tick('a'); // heartbeatTick 1: this tick broadcasts
    const hbs = c.inbox.filter((m) => m.type === 'Heartbeat');
    expect(hbs.map((m) => m.to).sort()).toEqual(['b', 'c']);
    expect(hbs.every((m) => m.type === 'Heartbeat' && m.readContext > 0)).toBe(true);
    c.deliverAll();
    expect(c.readStates.get('a')!.map((r) => r.requestId)).toEqual(['r']);
  });

  it('heartbeatDueAtNextTick says which tick that is (leader only)', () => {
    const c = new TestCluster(['a', 'b', 'c'], {}, { heartbeatTick: 3 });
    expect(c.node('a').heartbeatDueAtNextTick()).toBe(false); // a follower
    c.elect('a');
    c.deliverAll();
    const due: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      due.push(c.node('a').heartbeatDueAtNextTick());
      c.inbox.length = 0;
      c.tick('a');
      expect(c.inbox.some((m) => m.type === 'Heartbeat')).toBe(due.at(-1));
    }
    expect(due.filter(Boolean)).toHaveLength(2);
  });

  it('without a tick, the read still gets its own round at the next Ready', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.deliverAll();
    c.node('a').readIndex('r');
    c.settle();
    expect(c.inbox.filter((m) => m.type === 'Heartbeat')).toHaveLength(2);
    c.deliverAll();
    expect(c.readStates.get('a')!.map((r) => r.requestId)).toEqual(['r']);
  });
});
