/**
 * Single-server membership changes in the pure core (thesis §4.1–§4.2): config entries
 * in force as soon as they are in a log (leader and follower, before commit) and taken
 * back when truncated away; learners (replicated to, never counted, never candidates);
 * promotion and its lag bound; the rules of `proposeMembership`; removing a follower
 * and removing the leader itself (hand-over, then stepping down); restart with a stored
 * configuration; `membershipAt` after compaction; configurations carried by snapshots;
 * malformed configurations from the network; and messages from members a node has not
 * heard of yet.
 */
import { describe, expect, it } from 'vitest';
import {
  NotLeaderError,
  RaftConfigError,
  RaftNode,
  type Entry,
  type InitialState,
  type Message,
  type RaftConfigInput,
  type Ready,
} from '../../src/raft/index.js';
// Not re-exported by src/raft/index.ts: from their modules.
import { MembershipChangeError, TransferInProgressError } from '../../src/raft/errors.js';
import {
  bootstrapMembership,
  encodeMembership,
  type Member,
  type MemberRole,
  type Membership,
  type MembershipChange,
} from '../../src/raft/membership.js';
import { appendEntries, bytes, newNode, TestCluster } from './helpers.js';
import { Prng } from './sim/prng.js';

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const peers = ['a', 'b', 'c'];

/** A deterministic `random` for RaftConfig. */
function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** The configuration TestCluster's nodes start from: a, b, c, all voters. */
const base: Membership = bootstrapMembership(peers);

const member = (id: string, role: MemberRole, peerAddress = ''): Member => ({
  id,
  role,
  peerAddress,
  clientAddress: '',
});

/** `base` plus d, with the given role. */
const withD = (role: MemberRole): Membership => ({
  members: [...base.members, member('d', role, 'd:7000')],
});

/** `m` without member `id`. */
const without = (m: Membership, id: string): Membership => ({
  members: m.members.filter((x) => x.id !== id),
});

const addD = (role: MemberRole): MembershipChange => ({
  type: 'add',
  id: 'd',
  role,
  peerAddress: 'd:7000',
});

const noop = (index: number, term: number): Entry => ({
  index,
  term,
  type: 'noop',
  data: new Uint8Array(0),
});

const normal = (index: number, term: number, data = `e${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: bytes(data),
});

const cfg = (index: number, term: number, m: Membership): Entry => ({
  index,
  term,
  type: 'config',
  data: encodeMembership(m),
});

/** Runs every Ready of a standalone node (nothing delivered); returns them. */
function drain(n: RaftNode): Ready[] {
  const out: Ready[] = [];
  while (n.hasReady()) {
    const rd = n.ready();
    out.push(rd);
    n.advance(rd);
  }
  return out;
}

const sent = (readies: readonly Ready[]): Message[] =>
  readies.flatMap((rd) => [...rd.messages, ...rd.messagesAfterAppend]);

/** The Ready.membership values among `readies`, in order. */
const membershipsIn = (readies: readonly Ready[]): Membership[] =>
  readies.flatMap((rd) => (rd.membership !== undefined ? [rd.membership] : []));

/** `id`'s Readies from the `from`-th on. */
const readiesOf = (c: TestCluster, id: string, from = 0): Ready[] => c.readies.get(id)!.slice(from);

const between =
  (x: string, y: string) =>
  (m: Message): boolean =>
    (m.from === x && m.to === y) || (m.from === y && m.to === x);

const touches =
  (...ids: string[]) =>
  (m: Message): boolean =>
    ids.includes(m.from) || ids.includes(m.to);

/**
 * Delivers the queued messages matching `filter`, then those they cause that match it,
 * until none is left; the others stay queued. Returns the messages delivered.
 */
function deliverWhile(c: TestCluster, filter: (m: Message) => boolean): Message[] {
  const delivered: Message[] = [];
  c.settle();
  for (let round = 0; round < 1000; round++) {
    const batch = c.inbox.filter(filter);
    if (batch.length === 0) return delivered;
    c.inbox = c.inbox.filter((m) => !filter(m));
    for (const m of batch) {
      if (c.drop(m)) continue;
      delivered.push(m);
      c.node(m.to).step(m);
    }
    c.settle();
  }
  throw new Error('network did not quiesce');
}

/** The common node settings of these tests (TestCluster's, with a seeded `random`). */
const nodeDefaults = (seed: number): Omit<RaftConfigInput, 'id' | 'peers'> => ({
  electionTick: 10,
  heartbeatTick: 1,
  preVote: false,
  checkQuorum: false,
  random: seeded(seed),
});

/**
 * Adds to `c` a fresh node `id` with an empty log that knows only `membership` (the
 * cluster's initial one, which does not list it): what a runtime starts when a member
 * is about to be added. It is not a voter there, so it never campaigns on its own.
 */
function join(
  c: TestCluster,
  id: string,
  config: Partial<RaftConfigInput> = {},
  membership: Membership = base,
): RaftNode {
  const n = new RaftNode(
    { id, peers: [], ...nodeDefaults(99), ...config },
    { hardState: { term: 0, vote: undefined, commit: 0 }, entries: [], membership },
  );
  c.ids.push(id);
  c.nodes.set(id, n);
  c.disks.set(id, {
    hardState: { term: 0, vote: undefined, commit: 0 },
    snapshot: { index: 0, term: 0 },
    entries: [],
  });
  c.applied.set(id, []);
  c.readStates.set(id, []);
  c.readies.set(id, []);
  return n;
}

/** a elected (term 1) among a, b, c, its no-op committed everywhere. */
function steady(common: Partial<RaftConfigInput> = {}, seed = 1): TestCluster {
  const c = new TestCluster([...peers], {}, { random: seeded(seed), ...common });
  c.elect('a');
  c.deliverAll();
  expect(c.node('a').status()).toMatchObject({ role: 'leader', term: 1, commitIndex: 1 });
  return c;
}

/** `steady`, then learner d added (config entry 2), committed, and d caught up. */
function withLearner(common: Partial<RaftConfigInput> = {}): TestCluster {
  const c = steady(common);
  join(c, 'd', common);
  expect(c.node('a').proposeMembership(addD('learner'))).toEqual({ index: 2, term: 1 });
  c.deliverAll();
  expect(c.node('a').status()).toMatchObject({ commitIndex: 2, membershipIndex: 2 });
  expect(c.node('a').status().progress!.d).toMatchObject({ match: 2 });
  expect(c.node('d').status()).toMatchObject({ lastIndex: 2, term: 1, leaderId: 'a' });
  return c;
}

/**
 * Calls proposeMembership expecting it to throw `kind`; checks that nothing was
 * appended and the configuration did not change. Returns the error.
 */
function refused<E extends Error>(
  n: RaftNode,
  change: MembershipChange,
  kind: new (...args: never[]) => E,
): E {
  const before = n.status();
  let error: unknown;
  try {
    n.proposeMembership(change);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(kind);
  const after = n.status();
  expect(after.lastIndex).toBe(before.lastIndex);
  expect(after.membership).toEqual(before.membership);
  expect(after.membershipIndex).toBe(before.membershipIndex);
  return error as E;
}

const refusedBecause = (n: RaftNode, change: MembershipChange): string =>
  refused(n, change, MembershipChangeError).reason;

// ---------------------------------------------------------------------------
// 1. In force on append
// ---------------------------------------------------------------------------

describe('a configuration is in force as soon as it is in the log', () => {
  it('at the leader: on append, before it commits; status and one Ready.membership', () => {
    const c = steady();
    join(c, 'd');
    const a = c.node('a');
    expect(a.status()).toMatchObject({ membership: base, membershipIndex: 0 });
    expect(a.membership()).toEqual(base);

    const from = c.readies.get('a')!.length;
    expect(a.proposeMembership(addD('learner'))).toEqual({ index: 2, term: 1 });
    const st = a.status();
    expect(st.membership).toEqual(withD('learner'));
    expect(st.membershipIndex).toBe(2);
    expect(st.commitIndex).toBe(1);
    expect(a.membership()).toEqual(withD('learner'));
    expect(Object.keys(st.progress!).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(a.membershipAt(1)).toEqual(base);
    expect(a.membershipAt(2)).toEqual(withD('learner'));

    c.settle();
    const first = readiesOf(c, 'a', from);
    expect(first).toHaveLength(1);
    expect(first[0]!.membership).toEqual(withD('learner'));
    expect(first[0]!.entries).toMatchObject([{ index: 2, term: 1, type: 'config' }]);
    expect(a.status().commitIndex).toBe(1);

    c.deliverAll();
    expect(a.status().commitIndex).toBe(2);
    // Announced once, not again when it commits.
    const readies = readiesOf(c, 'a', from);
    expect(readies.length).toBeGreaterThan(1);
    expect(membershipsIn(readies)).toEqual([withD('learner')]);
  });

  it('at a follower: on append, before it commits; status and one Ready.membership', () => {
    const c = steady();
    join(c, 'd');
    const a = c.node('a');
    const b = c.node('b');
    const from = c.readies.get('b')!.length;
    a.proposeMembership(addD('learner'));
    // b gets the entry; its acknowledgement stays queued, so nothing commits.
    deliverWhile(c, (m) => m.from === 'a' && m.to === 'b');
    expect(b.status()).toMatchObject({
      membership: withD('learner'),
      membershipIndex: 2,
      commitIndex: 1,
      lastIndex: 2,
    });
    expect(b.membership()).toEqual(withD('learner'));
    expect(membershipsIn(readiesOf(c, 'b', from))).toEqual([withD('learner')]);
    expect(a.status().commitIndex).toBe(1);

    c.deliverAll();
    expect(b.status().commitIndex).toBe(2);
    expect(membershipsIn(readiesOf(c, 'b', from))).toEqual([withD('learner')]);
    // The new member learns it too, from its own log.
    expect(c.node('d').status()).toMatchObject({
      membership: withD('learner'),
      membershipIndex: 2,
    });
  });

  it("a follower's uncommitted configuration decides whom it asks for votes", () => {
    const c = steady();
    join(c, 'd');
    c.node('a').proposeMembership(addD('voter'));
    deliverWhile(c, (m) => m.from === 'a' && m.to === 'b');
    c.inbox = [];
    expect(c.node('b').status()).toMatchObject({ commitIndex: 1, membership: withD('voter') });
    c.campaign('b');
    const asked = c.inbox
      .filter((m) => m.type === 'RequestVote' && m.from === 'b')
      .map((m) => m.to)
      .sort();
    expect(asked).toEqual(['a', 'c', 'd']);
  });
});

// ---------------------------------------------------------------------------
// 2. Learners
// ---------------------------------------------------------------------------

describe('a learner', () => {
  it('is replicated to: its log catches up with the leader and it applies', () => {
    const c = withLearner();
    const a = c.node('a');
    for (const p of ['x', 'y', 'z']) a.propose(bytes(p));
    c.deliverAll();
    expect(a.status().commitIndex).toBe(5);
    expect(c.logTerms('d')).toEqual(c.logTerms('a'));
    expect(c.node('d').logEntries(1, 5)).toEqual(a.logEntries(1, 5));
    expect(c.node('d').status()).toMatchObject({ commitIndex: 5, appliedIndex: 5 });
    expect(c.applied.get('d')!.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('never counts toward a commit: 3 voters + 1 learner, 2 voters cut off, nothing commits', () => {
    const c = withLearner();
    const a = c.node('a');
    c.drop = touches('b', 'c');
    const { index } = a.propose(bytes('x'));
    c.deliverAll();
    for (let i = 0; i < 5; i++) {
      c.tick('a');
      c.deliverAll();
    }
    // The learner holds it durably and has acknowledged it …
    expect(c.node('d').status().lastIndex).toBe(index);
    expect(a.status().progress!.d!.match).toBe(index);
    // … and the leader holds it: 2 of 4 copies, but only 1 of 3 voters.
    expect(a.status().stableIndex).toBe(index);
    expect(a.status().commitIndex).toBe(index - 1);

    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(a.status().commitIndex).toBe(index);
  });

  it('never counts toward check-quorum: the leader steps down with only the learner answering', () => {
    const c = withLearner({ checkQuorum: true });
    const a = c.node('a');
    c.drop = touches('b', 'c');
    let ticks = 0;
    while (a.status().role === 'leader' && ticks < 100) {
      c.tick('a');
      c.deliverAll();
      ticks++;
    }
    expect(a.status().role).toBe('follower');
    // Within two check-quorum rounds, although d answered every heartbeat.
    expect(ticks).toBeLessThanOrEqual(20);
  });

  for (const preVote of [false, true]) {
    it(`never campaigns (preVote ${preVote}): ticked far past the election timeout it stays a follower`, () => {
      const c = withLearner({ preVote });
      const d = c.node('d');
      const before = d.status();
      c.isolate('d');
      const from = c.readies.get('d')!.length;
      c.tick('d', 1000);
      expect(d.status()).toMatchObject({
        role: 'follower',
        term: before.term,
        vote: before.vote,
      });
      expect(sent(readiesOf(c, 'd', from))).toEqual([]);
      expect(c.inbox.filter((m) => m.from === 'd')).toEqual([]);
    });
  }

  it('ignores a TimeoutNow, and the leader cannot hand leadership to it', () => {
    const c = withLearner();
    const d = c.node('d');
    d.step({ type: 'TimeoutNow', from: 'a', to: 'd', term: 1 });
    expect(drain(d).flatMap((rd) => [...rd.messages, ...rd.messagesAfterAppend])).toEqual([]);
    expect(d.status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'a' });
    expect(() => c.node('a').transferLeadership('d')).toThrow(RaftConfigError);
  });

  it('is not asked for votes, and its HeartbeatResponse does not count toward a ReadIndex quorum', () => {
    const c = withLearner();
    const a = c.node('a');
    a.readIndex('r1');
    c.settle();
    const heartbeats = c.inbox.filter((m) => m.type === 'Heartbeat');
    expect(heartbeats.map((m) => m.to).sort()).toEqual(['b', 'c', 'd']);
    // Only d's side of the round: d answers, the read stays pending.
    const delivered = deliverWhile(c, between('a', 'd'));
    expect(delivered).toContainEqual(
      expect.objectContaining({ type: 'HeartbeatResponse', from: 'd', to: 'a' }),
    );
    const ctx = (delivered.find((m) => m.type === 'HeartbeatResponse') as { readContext: number })
      .readContext;
    expect(ctx).toBeGreaterThan(0);
    expect(c.readStates.get('a')).toEqual([]);
    // One voter more (with the leader: 2 of 3 voters) releases it.
    deliverWhile(c, between('a', 'b'));
    expect(c.readStates.get('a')).toEqual([{ requestId: 'r1', index: 2 }]);

    // And a campaign by b asks the voters only.
    c.deliverAll();
    c.inbox = [];
    c.campaign('b');
    const asked = c.inbox.filter((m) => m.type === 'RequestVote').map((m) => m.to);
    expect(asked.sort()).toEqual(['a', 'c']);
  });
});

// ---------------------------------------------------------------------------
// 3. Promotion
// ---------------------------------------------------------------------------

describe('promoting a learner', () => {
  it("is refused ('learner-behind') while it lags more than maxPromotionLag; accepted at the bound", () => {
    const c = withLearner({ maxPromotionLag: 2 });
    const a = c.node('a');
    c.isolate('d');
    for (const p of ['x', 'y', 'z']) a.propose(bytes(p));
    c.deliverAll();
    expect(a.status()).toMatchObject({ lastIndex: 5, commitIndex: 5 });
    expect(a.status().progress!.d!.match).toBe(2);
    // Lag 3 > 2.
    const err = refused(a, { type: 'promote', id: 'd' }, MembershipChangeError);
    expect(err.reason).toBe('learner-behind');
    expect(err.message).toMatch(/d/);
    expect(a.hasReady()).toBe(false);

    // Caught up, then 2 entries it lacks: lag 2, at the bound, is accepted.
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(a.status().progress!.d!.match).toBe(5);
    c.isolate('d');
    a.propose(bytes('p'));
    a.propose(bytes('q'));
    c.deliverAll();
    expect(a.status().progress!.d!.match).toBe(5);
    expect(a.proposeMembership({ type: 'promote', id: 'd' })).toEqual({ index: 8, term: 1 });
    expect(a.status().membership).toEqual(withD('voter'));
  });

  it("is refused ('learner-behind') while it needs a snapshot, however few entries it lacks", () => {
    // Lag 3 passes the bound, but the leader compacted what d lacks: d holds nothing of
    // it until a snapshot is installed, and counting it could stall commits meanwhile.
    const c = withLearner({ maxPromotionLag: 256 });
    const a = c.node('a');
    c.isolate('d');
    for (const p of ['x', 'y', 'z']) a.propose(bytes(p));
    c.deliverAll();
    expect(a.status()).toMatchObject({ lastIndex: 5, appliedIndex: 5 });
    expect(a.compact(5)).toBe(true);
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(a.status().progress!.d).toMatchObject({ state: 'snapshot', match: 2 });
    const err = refused(a, { type: 'promote', id: 'd' }, MembershipChangeError);
    expect(err.reason).toBe('learner-behind');
    expect(err.message).toMatch(/receiving a snapshot/);
  });

  it('caught up: accepted; afterwards it counts toward commit and can be elected', () => {
    const c = withLearner({ maxPromotionLag: 2 });
    const a = c.node('a');
    expect(a.proposeMembership({ type: 'promote', id: 'd' })).toEqual({ index: 3, term: 1 });
    c.deliverAll();
    expect(a.status()).toMatchObject({ commitIndex: 3, membership: withD('voter') });
    expect(c.node('d').status().membership).toEqual(withD('voter'));

    // 4 voters: a and b alone (2 of 4) no longer commit …
    c.drop = touches('c', 'd');
    const { index } = a.propose(bytes('x'));
    c.deliverAll();
    expect(a.status().progress!.b!.match).toBe(index);
    expect(a.status().commitIndex).toBe(index - 1);
    // … with d's acknowledgement (3 of 4) they do.
    c.drop = touches('c');
    c.tick('a');
    c.deliverAll();
    expect(c.node('d').status().lastIndex).toBe(index);
    expect(a.status().commitIndex).toBe(index);

    // d stands, and wins.
    c.heal();
    c.deliverAll();
    c.elect('d');
    expect(c.node('d').status()).toMatchObject({ role: 'leader', term: 2 });
    c.deliverAll();
    expect(c.node('d').status().commitIndex).toBe(index + 1);
    for (const id of ['a', 'b', 'c']) expect(c.node(id).status().leaderId).toBe('d');
  });
});

// ---------------------------------------------------------------------------
// 4. Rules of proposeMembership
// ---------------------------------------------------------------------------

describe('proposeMembership: when it is refused', () => {
  it("'no-commit-in-term' before the new leader's no-op commits", () => {
    const c = steady();
    c.campaign('b');
    c.deliverOnce((m) => m.type === 'RequestVote');
    c.deliverOnce((m) => m.type === 'RequestVoteResponse');
    const b = c.node('b');
    expect(b.status()).toMatchObject({ role: 'leader', term: 2, commitIndex: 1, lastIndex: 2 });
    expect(refusedBecause(b, { type: 'remove', id: 'c' })).toBe('no-commit-in-term');

    c.deliverAll();
    expect(b.status().commitIndex).toBe(2);
    expect(b.proposeMembership({ type: 'remove', id: 'c' })).toEqual({ index: 3, term: 2 });
  });

  it("'change-in-progress' while a previous config entry is uncommitted", () => {
    const c = steady();
    join(c, 'd');
    const a = c.node('a');
    a.proposeMembership(addD('learner'));
    expect(refusedBecause(a, { type: 'remove', id: 'c' })).toBe('change-in-progress');
    expect(refusedBecause(a, { type: 'promote', id: 'd' })).toBe('change-in-progress');
    // Other proposals are not held up.
    expect(a.propose(bytes('x')).index).toBe(3);
    c.settle();
    expect(refusedBecause(a, { type: 'remove', id: 'c' })).toBe('change-in-progress');

    c.deliverAll();
    expect(a.status().commitIndex).toBe(3);
    expect(a.proposeMembership({ type: 'remove', id: 'c' })).toEqual({ index: 4, term: 1 });
  });

  it("'invalid-change' for a change that makes no sense for the configuration in force", () => {
    const c = steady();
    const a = c.node('a');
    const invalid: MembershipChange[] = [
      { type: 'add', id: 'b', role: 'voter', peerAddress: 'b:1' }, // already a voter
      { type: 'add', id: 'c', role: 'learner', peerAddress: 'c:1' }, // already a member
      { type: 'promote', id: 'b' }, // a voter already
      { type: 'promote', id: 'z' }, // not a member
      { type: 'remove', id: 'z' }, // not a member
      { type: 'add', id: 'd', role: 'learner', peerAddress: '' }, // no address
      { type: 'add', id: 'not an id', role: 'learner', peerAddress: 'x:1' },
    ];
    for (const change of invalid) {
      expect(refusedBecause(a, change), JSON.stringify(change)).toBe('invalid-change');
    }
    expect(a.hasReady()).toBe(false);
    expect(a.status()).toMatchObject({ lastIndex: 1, membership: base, membershipIndex: 0 });
  });

  it("'invalid-change' for removing the last voter (alone, or with a learner left)", () => {
    const c = new TestCluster(['a'], {}, { random: seeded(5) });
    c.elect('a');
    c.deliverAll();
    const a = c.node('a');
    expect(a.status().commitIndex).toBe(1);
    expect(refusedBecause(a, { type: 'remove', id: 'a' })).toBe('invalid-change');

    join(c, 'd', {}, bootstrapMembership(['a']));
    a.proposeMembership(addD('learner'));
    c.deliverAll();
    expect(a.status()).toMatchObject({ commitIndex: 2, membershipIndex: 2 });
    expect(refusedBecause(a, { type: 'remove', id: 'a' })).toBe('invalid-change');
    expect(a.hasReady()).toBe(false);
  });

  it('NotLeaderError on a follower (naming its leader) and on a candidate', () => {
    const c = steady();
    const err = refused(c.node('b'), { type: 'remove', id: 'c' }, NotLeaderError);
    expect(err.leaderId).toBe('a');

    const n = newNode('a', peers, { config: { random: seeded(6) } });
    for (let i = 0; i < 100 && n.status().role === 'follower'; i++) n.tick();
    expect(n.status().role).toBe('candidate');
    refused(n, { type: 'remove', id: 'c' }, NotLeaderError);
  });

  it('TransferInProgressError during a leadership transfer', () => {
    const c = steady();
    const a = c.node('a');
    a.transferLeadership('b');
    expect(a.status().transferee).toBe('b');
    const err = refused(a, { type: 'remove', id: 'c' }, TransferInProgressError);
    expect(err.transferee).toBe('b');
    a.cancelLeadershipTransfer();
    c.inbox = [];
    expect(a.proposeMembership({ type: 'remove', id: 'c' })).toEqual({ index: 2, term: 1 });
  });
});

// ---------------------------------------------------------------------------
// 5. Removing a follower
// ---------------------------------------------------------------------------

describe('removing a follower', () => {
  it('the leader sends it nothing from the change on', () => {
    const c = steady();
    const a = c.node('a');
    c.settle();
    expect(c.inbox).toEqual([]);
    const from = c.readies.get('a')!.length;
    expect(a.proposeMembership({ type: 'remove', id: 'c' })).toEqual({ index: 2, term: 1 });
    expect(a.status().membership).toEqual(without(base, 'c'));
    expect(Object.keys(a.status().progress!).sort()).toEqual(['a', 'b']);
    c.deliverAll();
    expect(a.status().commitIndex).toBe(2);
    // Heartbeats, proposals and reads: none of it goes to c.
    for (let i = 0; i < 30; i++) {
      c.tick('a');
      c.deliverAll();
    }
    a.propose(bytes('x'));
    c.deliverAll();
    a.readIndex('r');
    c.deliverAll();
    expect(a.status().commitIndex).toBe(3);
    expect(c.readStates.get('a')).toEqual([{ requestId: 'r', index: 3 }]);
    const out = sent(readiesOf(c, 'a', from));
    expect(out.length).toBeGreaterThan(30);
    expect(out.filter((m) => m.to === 'c')).toEqual([]);
    // So c never even learns of its removal.
    expect(c.node('c').status()).toMatchObject({ lastIndex: 1, membership: base });
  });

  it('the quorum shrinks: with 2 voters left, commits need both, and c does not count', () => {
    const c = steady();
    const a = c.node('a');
    a.proposeMembership({ type: 'remove', id: 'c' });
    c.deliverAll();
    expect(a.status().commitIndex).toBe(2);

    c.drop = touches('b');
    const { index } = a.propose(bytes('x'));
    c.deliverAll();
    expect(a.status().stableIndex).toBe(index);
    // An acknowledgement from c, were it to come, is not counted.
    a.step({
      type: 'AppendEntriesResponse',
      from: 'c',
      to: 'a',
      term: 1,
      success: true,
      matchIndex: index,
      rejectedIndex: 0,
      conflictTerm: 0,
      hintIndex: 0,
    });
    c.settle();
    expect(a.status().commitIndex).toBe(index - 1);

    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(a.status().commitIndex).toBe(index);
  });

  it('4 → 3 voters: the config entry removing d is committed by the new majority (a, b)', () => {
    const c = new TestCluster(['a', 'b', 'c', 'd'], {}, { random: seeded(8) });
    c.elect('a');
    c.deliverAll();
    const a = c.node('a');
    expect(a.status().commitIndex).toBe(1);
    c.drop = touches('c', 'd');
    // Under the old configuration a and b are 2 of 4: not a majority.
    const { index } = a.proposeMembership({ type: 'remove', id: 'd' });
    c.deliverAll();
    expect(a.status().commitIndex).toBe(index);
    const next = a.propose(bytes('x')).index;
    c.deliverAll();
    expect(a.status().commitIndex).toBe(next);
  });

  it('removing a learner: the leader stops replicating to it', () => {
    const c = withLearner();
    const a = c.node('a');
    expect(a.proposeMembership({ type: 'remove', id: 'd' })).toEqual({ index: 3, term: 1 });
    expect(Object.keys(a.status().progress!).sort()).toEqual(['a', 'b', 'c']);
    c.settle();
    const from = c.readies.get('a')!.length;
    c.deliverAll();
    expect(a.status()).toMatchObject({ commitIndex: 3, membership: base });
    for (let i = 0; i < 5; i++) {
      c.tick('a');
      c.deliverAll();
    }
    a.propose(bytes('x'));
    c.deliverAll();
    expect(a.status().commitIndex).toBe(4);
    expect(sent(readiesOf(c, 'a', from)).filter((m) => m.to === 'd')).toEqual([]);
    expect(c.node('d').status().lastIndex).toBeLessThan(4);
  });

  it('a removed node that never learned of it cannot disrupt the cluster (pre-vote, check-quorum)', () => {
    const c = steady({ preVote: true, checkQuorum: true });
    const a = c.node('a');
    a.proposeMembership({ type: 'remove', id: 'c' });
    c.deliverAll();
    expect(a.status().commitIndex).toBe(2);
    for (let i = 0; i < 200; i++) {
      c.tick('a');
      c.tick('b');
      c.tick('c');
      c.deliverAll();
    }
    expect(a.status()).toMatchObject({ role: 'leader', term: 1 });
    expect(c.node('b').status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'a' });
    expect(c.node('c').status().term).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// 6. The leader removes itself
// ---------------------------------------------------------------------------

describe('a leader that removes itself', () => {
  it('leads on without counting itself until the change commits, then hands over to the most up-to-date voter', () => {
    const c = steady({ preVote: true, checkQuorum: true });
    const a = c.node('a');
    expect(a.proposeMembership({ type: 'remove', id: 'a' })).toEqual({ index: 2, term: 1 });
    expect(a.status()).toMatchObject({
      role: 'leader',
      membership: without(base, 'a'),
      membershipIndex: 2,
    });

    // c acknowledges entry 2: a's copy and c's are a majority of {a, b, c}, but a no
    // longer counts; of the voters {b, c}, only c has it.
    deliverWhile(c, between('a', 'c'));
    expect(a.status().progress!.c!.match).toBe(2);
    expect(a.status().stableIndex).toBe(2);
    expect(a.status().commitIndex).toBe(1);

    // Still the leader: it takes proposals meanwhile.
    expect(a.propose(bytes('y'))).toEqual({ index: 3, term: 1 });
    deliverWhile(c, between('a', 'c'));
    expect(a.status().progress!.c!.match).toBe(3);
    expect(a.status().commitIndex).toBe(1);
    expect(a.status().role).toBe('leader');

    // b gets entry 2 only (the message carrying 3 is lost) and acknowledges it.
    const toB = c.inbox.filter((m) => m.to === 'b');
    c.inbox = c.inbox.filter((m) => m.to !== 'b');
    const ae2 = toB.find((m) => m.type === 'AppendEntries' && m.entries.some((e) => e.index === 2));
    expect(ae2).toBeDefined();
    c.node('b').step(ae2!);
    c.settle();
    deliverWhile(c, (m) => m.from === 'b' && m.to === 'a');
    // Entry 2 is committed by {b, c}: a hands over to c, which holds all of a's log.
    expect(a.status().commitIndex).toBe(2);
    expect(a.status().transferee).toBe('c');
    const timeoutNows = c.inbox.filter((m) => m.type === 'TimeoutNow');
    expect(timeoutNows).toEqual([{ type: 'TimeoutNow', from: 'a', to: 'c', term: 1 }]);
    expect(() => a.propose(bytes('z'))).toThrow(TransferInProgressError);

    c.deliverAll();
    expect(c.node('c').status()).toMatchObject({
      role: 'leader',
      term: 2,
      membership: without(base, 'a'),
    });
    expect(Object.keys(c.node('c').status().progress!).sort()).toEqual(['b', 'c']);
    expect(c.node('b').status()).toMatchObject({ role: 'follower', term: 2, leaderId: 'c' });
    expect(c.node('c').status().commitIndex).toBe(4);

    // a learns of term 2 at its next heartbeat, and never stands again.
    c.tick('a');
    c.deliverAll();
    expect(a.status()).toMatchObject({ role: 'follower', term: 2 });
    const from = c.readies.get('a')!.length;
    for (let i = 0; i < 100; i++) {
      c.tick('a', 10);
      c.deliverAll();
    }
    expect(a.status()).toMatchObject({ role: 'follower', term: 2 });
    const votes = sent(readiesOf(c, 'a', from)).filter(
      (m) => m.type === 'PreVote' || m.type === 'RequestVote',
    );
    expect(votes).toEqual([]);
    expect(c.node('c').status()).toMatchObject({ role: 'leader', term: 2 });
  });

  it('of two voters: the other one takes over alone', () => {
    const c = new TestCluster(['a', 'b'], {}, { random: seeded(13) });
    c.elect('a');
    c.deliverAll();
    const a = c.node('a');
    a.proposeMembership({ type: 'remove', id: 'a' });
    c.deliverAll();
    const b = c.node('b');
    expect(b.status()).toMatchObject({
      role: 'leader',
      term: 2,
      membership: bootstrapMembership(['b']),
    });
    // b commits alone, a's copy not needed.
    c.isolate('a');
    const { index } = b.propose(bytes('x'));
    c.deliverAll();
    expect(b.status().commitIndex).toBe(index);
  });

  it('steps down anyway when no voter takes over within an election timeout', () => {
    const c = steady();
    const a = c.node('a');
    a.proposeMembership({ type: 'remove', id: 'a' });
    c.drop = (m) => m.type === 'TimeoutNow';
    c.deliverAll();
    expect(a.status()).toMatchObject({ role: 'leader', commitIndex: 2 });
    expect(['b', 'c']).toContain(a.status().transferee);
    // Handing over: no proposal, no further change.
    expect(() => a.propose(bytes('x'))).toThrow(TransferInProgressError);
    refused(
      a,
      { type: 'add', id: 'd', role: 'learner', peerAddress: 'd:1' },
      TransferInProgressError,
    );

    for (let i = 0; i < 9; i++) {
      c.tick('a');
      c.deliverAll();
    }
    expect(a.status().role).toBe('leader');
    c.tick('a');
    c.deliverAll();
    expect(a.status()).toMatchObject({ role: 'follower', term: 1, leaderId: undefined });

    const from = c.readies.get('a')!.length;
    c.tick('a', 1000);
    expect(a.status()).toMatchObject({ role: 'follower', term: 1 });
    expect(sent(readiesOf(c, 'a', from))).toEqual([]);

    // The voters left elect one of them without a.
    c.heal();
    c.campaign('b');
    expect(c.inbox.filter((m) => m.type === 'RequestVote').map((m) => m.to)).toEqual(['c']);
    c.deliverAll();
    expect(c.node('b').status()).toMatchObject({ role: 'leader', term: 2 });
  });
});

// ---------------------------------------------------------------------------
// 7. Truncation takes a configuration back
// ---------------------------------------------------------------------------

describe('a config entry truncated away', () => {
  it('gives the previous configuration back (one follower, messages by hand)', () => {
    const b = newNode('b', peers, { config: { random: seeded(10) } });
    b.step(appendEntries('b', 1, 0, 0, [noop(1, 1), cfg(2, 1, withD('learner'))]));
    expect(membershipsIn(drain(b))).toEqual([withD('learner')]);
    expect(b.status()).toMatchObject({ membershipIndex: 2, commitIndex: 0, lastIndex: 2 });

    // A leader of term 2 whose log ends at entry 1 overwrites entry 2.
    b.step({ ...appendEntries('b', 2, 1, 1, [noop(2, 2)]), from: 'c' });
    const readies = drain(b);
    expect(b.status()).toMatchObject({
      membership: base,
      membershipIndex: 0,
      lastIndex: 2,
      lastTerm: 2,
      leaderId: 'c',
    });
    expect(membershipsIn(readies)).toEqual([base]);
    expect(b.membershipAt(2)).toEqual(base);
  });

  it('gives back the committed one before it, not the initial one', () => {
    const b = newNode('b', peers, { config: { random: seeded(11) } });
    b.step(
      appendEntries(
        'b',
        1,
        0,
        0,
        [noop(1, 1), cfg(2, 1, withD('learner')), cfg(3, 1, withD('voter'))],
        2,
      ),
    );
    drain(b);
    expect(b.status()).toMatchObject({
      membership: withD('voter'),
      membershipIndex: 3,
      commitIndex: 2,
    });

    b.step({ ...appendEntries('b', 2, 2, 1, [noop(3, 2), normal(4, 2)]), from: 'c' });
    expect(membershipsIn(drain(b))).toEqual([withD('learner')]);
    expect(b.status()).toMatchObject({ membership: withD('learner'), membershipIndex: 2 });

    // The new leader's own change then comes into force.
    b.step({
      ...appendEntries('b', 2, 4, 2, [cfg(5, 2, without(withD('learner'), 'c'))]),
      from: 'c',
    });
    expect(membershipsIn(drain(b))).toEqual([without(withD('learner'), 'c')]);
    expect(b.status().membershipIndex).toBe(5);
    expect(b.membershipAt(4)).toEqual(withD('learner'));
  });

  it("in a cluster: the old leader's uncommitted change is overwritten by the new leader's no-op", () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const five = bootstrapMembership(ids);
    const c = new TestCluster(ids, {}, { random: seeded(12) });
    c.elect('a');
    c.deliverAll();
    const b = c.node('b');
    const from = c.readies.get('b')!.length;
    c.node('a').proposeMembership({ type: 'remove', id: 'e' });
    deliverWhile(c, (m) => m.from === 'a' && m.to === 'b');
    expect(b.status()).toMatchObject({
      membership: without(five, 'e'),
      membershipIndex: 2,
      commitIndex: 1,
    });

    // a is cut off before anything else of it arrives; c wins with d and e.
    c.isolate('a');
    c.inbox = [];
    c.elect('c');
    expect(c.node('c').status().term).toBe(2);
    c.deliverAll();
    expect(c.logTerms('b')).toEqual([1, 2]);
    expect(b.status()).toMatchObject({ membership: five, membershipIndex: 0, leaderId: 'c' });
    expect(membershipsIn(readiesOf(c, 'b', from))).toEqual([without(five, 'e'), five]);
  });
});

// ---------------------------------------------------------------------------
// 8. Restart
// ---------------------------------------------------------------------------

describe('restart from stored state', () => {
  const start = (
    id: string,
    initial: Omit<InitialState, 'hardState'> & { hardState?: InitialState['hardState'] },
    config: Partial<RaftConfigInput> = {},
  ): RaftNode =>
    new RaftNode(
      { id, peers: ['zz'], ...nodeDefaults(20), ...config },
      { hardState: { term: 1, vote: undefined, commit: 0 }, ...initial },
    );

  /** Ticks a standalone node until it campaigns; returns whom it asked for votes. */
  const votersAsked = (n: RaftNode): string[] => {
    const msgs: Message[] = [];
    for (let i = 0; i < 100 && n.status().role === 'follower'; i++) {
      n.tick();
      msgs.push(...sent(drain(n)));
    }
    expect(n.status().role).toBe('candidate');
    return msgs
      .filter((m) => m.type === 'RequestVote')
      .map((m) => m.to)
      .sort();
  };

  it('uses the stored config entry over InitialState.membership, which it uses below it', () => {
    const n = start('b', {
      membership: base,
      entries: [noop(1, 1), cfg(2, 1, withD('voter')), normal(3, 1)],
      hardState: { term: 1, vote: undefined, commit: 2 },
    });
    expect(n.status()).toMatchObject({ membership: withD('voter'), membershipIndex: 2 });
    expect(n.membership()).toEqual(withD('voter'));
    expect(n.membershipAt(0)).toEqual(base);
    expect(n.membershipAt(1)).toEqual(base);
    expect(n.membershipAt(3)).toEqual(withD('voter'));
    expect(votersAsked(n)).toEqual(['a', 'c', 'd']);
  });

  it('ignores `peers` when InitialState.membership is given', () => {
    // peers name neither this node nor the real members …
    const n = start('b', { membership: base, entries: [] }, { peers: ['b', 'x'] });
    expect(n.status()).toMatchObject({ membership: base, membershipIndex: 0 });
    expect(votersAsked(n)).toEqual(['a', 'c']);
    // … or not even this node (which without a membership is refused).
    expect(() => start('b', { membership: base, entries: [] }, { peers: ['zz'] })).not.toThrow();
    expect(() => start('b', { entries: [] }, { peers: ['zz'] })).toThrow(RaftConfigError);
  });

  it('a learner, or a removed node, restarted from its log never campaigns', () => {
    const learner = start('d', {
      membership: base,
      entries: [noop(1, 1), cfg(2, 1, withD('learner'))],
    });
    const removed = start('c', {
      membership: base,
      entries: [noop(1, 1), cfg(2, 1, without(base, 'c'))],
      hardState: { term: 1, vote: undefined, commit: 2 },
    });
    for (const n of [learner, removed]) {
      for (let i = 0; i < 1000; i++) n.tick();
      expect(n.status()).toMatchObject({ role: 'follower', term: 1, vote: undefined });
      expect(sent(drain(n))).toEqual([]);
    }
  });

  it('after a snapshot: InitialState.membership is the one at the snapshot', () => {
    const n = start('b', {
      snapshot: { index: 5, term: 1 },
      membership: withD('learner'),
      entries: [normal(6, 1), cfg(7, 1, withD('voter'))],
      hardState: { term: 1, vote: undefined, commit: 5 },
    });
    expect(n.status()).toMatchObject({ membership: withD('voter'), membershipIndex: 7 });
    expect(n.membershipAt(5)).toEqual(withD('learner'));
    expect(n.membershipAt(6)).toEqual(withD('learner'));
    expect(() => n.membershipAt(4)).toThrow(RaftConfigError);
  });

  it('an invalid stored config entry, or initial membership, throws RaftConfigError', () => {
    const bad = (data: Uint8Array): Entry => ({ index: 2, term: 1, type: 'config', data });
    expect(() =>
      start('b', { membership: base, entries: [noop(1, 1), bad(bytes('{not json'))] }),
    ).toThrow(/stored config entry 2 is invalid/);
    expect(() =>
      start('b', { membership: base, entries: [noop(1, 1), bad(bytes('{"members":[]}'))] }),
    ).toThrow(RaftConfigError);
    expect(() =>
      start(
        'b',
        { entries: [noop(1, 1), bad(encodeMembership({ members: [member('a', 'learner')] }))] },
        { peers },
      ),
    ).toThrow(RaftConfigError);
    expect(() => start('b', { membership: { members: [] }, entries: [] })).toThrow(RaftConfigError);
  });
});

// ---------------------------------------------------------------------------
// 9. membershipAt and compaction
// ---------------------------------------------------------------------------

describe('membershipAt', () => {
  /** withLearner, then 3 and 4 normal, 5 promotes d, 6 normal: all committed and applied. */
  function history(): TestCluster {
    const c = withLearner();
    const a = c.node('a');
    a.propose(bytes('x3'));
    a.propose(bytes('x4'));
    c.deliverAll();
    expect(a.proposeMembership({ type: 'promote', id: 'd' }).index).toBe(5);
    c.deliverAll();
    a.propose(bytes('x6'));
    c.deliverAll();
    expect(a.status()).toMatchObject({ commitIndex: 6, appliedIndex: 6, lastIndex: 6 });
    return c;
  }

  it('gives the configuration at each index, before and after compaction', () => {
    const c = history();
    const a = c.node('a');
    const expected: Record<number, Membership> = {
      0: base,
      1: base,
      2: withD('learner'),
      3: withD('learner'),
      4: withD('learner'),
      5: withD('voter'),
      6: withD('voter'),
    };
    for (let i = 0; i <= 6; i++) expect(a.membershipAt(i), `at ${i}`).toEqual(expected[i]);

    const from = c.readies.get('a')!.length;
    expect(c.compact('a', 3)).toBe(true);
    for (let i = 3; i <= 6; i++) expect(a.membershipAt(i), `at ${i}`).toEqual(expected[i]);
    expect(a.status().membership).toEqual(withD('voter'));
    // On a follower too.
    expect(c.compact('d', 4)).toBe(true);
    for (let i = 4; i <= 6; i++) expect(c.node('d').membershipAt(i)).toEqual(expected[i]);

    expect(c.compact('a', 6)).toBe(true);
    expect(a.membershipAt(6)).toEqual(withD('voter'));
    expect(a.status().membership).toEqual(withD('voter'));
    expect(membershipsIn(readiesOf(c, 'a', from))).toEqual([]);
  });

  it('throws RaftConfigError outside [snapshotIndex, lastIndex]', () => {
    const c = history();
    const a = c.node('a');
    expect(() => a.membershipAt(7)).toThrow(RaftConfigError);
    expect(c.compact('a', 3)).toBe(true);
    for (const index of [0, 2, 7, -1, 1.5, Number.NaN])
      expect(() => a.membershipAt(index), `at ${index}`).toThrow(RaftConfigError);
    expect(a.membershipAt(3)).toEqual(withD('learner'));
    expect(a.membershipAt(6)).toEqual(withD('voter'));
  });
});

// ---------------------------------------------------------------------------
// 10. Snapshots carry the configuration
// ---------------------------------------------------------------------------

describe('installSnapshot with a configuration', () => {
  it('makes it the one in force; Ready.snapshotInstalled.membership carries it', () => {
    const n = newNode('c', peers, { config: { random: seeded(30) } });
    expect(
      n.installSnapshot({
        from: 'a',
        term: 1,
        index: 5,
        snapshotTerm: 1,
        membership: withD('voter'),
      }),
    ).toBe(true);
    expect(n.status()).toMatchObject({
      membership: withD('voter'),
      membershipIndex: 5,
      snapshotIndex: 5,
    });
    expect(n.membershipAt(5)).toEqual(withD('voter'));
    const readies = drain(n);
    expect(readies[0]!.snapshotInstalled).toMatchObject({
      index: 5,
      term: 1,
      logRetained: false,
      membership: withD('voter'),
    });
    expect(membershipsIn(readies)).toEqual([withD('voter')]);

    // It campaigns among the snapshot's voters.
    for (let i = 0; i < 100 && n.status().role === 'follower'; i++) n.tick();
    const asked = sent(drain(n))
      .filter((m) => m.type === 'RequestVote')
      .map((m) => m.to)
      .sort();
    expect(asked).toEqual(['a', 'b', 'd']);
  });

  it('with the log retained, a config entry after the snapshot stays in force', () => {
    const n = newNode('c', peers, { config: { random: seeded(31) } });
    n.step(appendEntries('c', 1, 0, 0, [noop(1, 1), cfg(2, 1, withD('learner')), normal(3, 1)]));
    drain(n);
    expect(n.status()).toMatchObject({ membershipIndex: 2, commitIndex: 0 });
    expect(
      n.installSnapshot({ from: 'a', term: 1, index: 1, snapshotTerm: 1, membership: base }),
    ).toBe(true);
    expect(n.status()).toMatchObject({ membership: withD('learner'), membershipIndex: 2 });
    expect(n.membershipAt(1)).toEqual(base);
    const readies = drain(n);
    expect(readies[0]!.snapshotInstalled).toMatchObject({
      index: 1,
      logRetained: true,
      membership: base,
    });
    expect(membershipsIn(readies)).toEqual([]);
  });

  it('in a cluster: a lagging follower gets the configuration it missed with the snapshot', () => {
    const c = steady();
    c.isolate('c');
    join(c, 'd');
    const a = c.node('a');
    a.proposeMembership(addD('learner'));
    c.deliverAll();
    a.propose(bytes('x3'));
    a.propose(bytes('x4'));
    c.deliverAll();
    expect(a.status()).toMatchObject({ commitIndex: 4, appliedIndex: 4 });
    expect(c.compact('a', 4)).toBe(true);
    c.heal();
    c.tick('a');
    c.deliverAll();
    expect(c.snapshotRequests).toContainEqual({ from: 'a', to: 'c', term: 1, index: 4 });

    const follower = c.node('c');
    expect(follower.status().membership).toEqual(base);
    const from = c.readies.get('c')!.length;
    expect(follower.wantsSnapshot('a', 1, 4)).toBe(true);
    c.applied.set('c', c.applied.get('a')!.slice(0, 4));
    expect(
      follower.installSnapshot({
        from: 'a',
        term: 1,
        index: 4,
        snapshotTerm: a.logTerm(4)!,
        membership: a.membershipAt(4),
      }),
    ).toBe(true);
    c.settle();
    expect(follower.status()).toMatchObject({ membership: withD('learner'), membershipIndex: 4 });
    const readies = readiesOf(c, 'c', from);
    expect(readies[0]!.snapshotInstalled!.membership).toEqual(withD('learner'));
    expect(membershipsIn(readies)).toEqual([withD('learner')]);

    c.deliverAll();
    a.propose(bytes('x5'));
    c.deliverAll();
    expect(follower.status()).toMatchObject({ lastIndex: 5, commitIndex: 5 });
  });

  it('refuses an offer whose configuration is malformed, changing nothing', () => {
    const malformed: unknown[] = [
      { members: [] },
      { members: [member('a', 'learner')] },
      { members: [{ ...member('a', 'voter'), role: 'king' }] },
      { members: [member('a', 'voter'), member('a', 'voter')] },
      { members: 'a,b,c' },
      null,
    ];
    for (const membership of malformed) {
      const fresh = newNode('c', peers, { config: { random: seeded(33) } });
      expect(
        fresh.installSnapshot({
          from: 'a',
          term: 1,
          index: 5,
          snapshotTerm: 1,
          membership: membership as Membership,
        }),
      ).toBe(false);
      const readies = drain(fresh);
      const rejected = readies.flatMap((rd) => rd.rejectedMessages);
      expect(rejected, JSON.stringify(membership)).toHaveLength(1);
      expect(rejected[0]!).toMatchObject({ from: 'a', type: 'InstallSnapshot' });
      expect(rejected[0]!.reason).toMatch(/configuration/);
      expect(readies.some((rd) => rd.snapshotInstalled !== undefined)).toBe(false);
      expect(sent(readies)).toEqual([]);
      expect(membershipsIn(readies)).toEqual([]);
      expect(fresh.status()).toMatchObject({
        term: 0,
        snapshotIndex: 0,
        membership: base,
        membershipIndex: 0,
      });
    }
  });
});

// ---------------------------------------------------------------------------
// 11. A malformed config entry from the network
// ---------------------------------------------------------------------------

describe('a malformed config entry in an AppendEntries', () => {
  const malformed: [string, Uint8Array][] = [
    ['not JSON', bytes('{"members":')],
    ['no voters', encodeMembership({ members: [member('a', 'learner')] })],
    ['no members', bytes('{"members":[]}')],
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b])],
    [
      'a duplicate member',
      bytes(JSON.stringify({ members: [member('a', 'voter'), member('a', 'voter')] })),
    ],
  ];

  for (const [what, data] of malformed) {
    it(`(${what}) is dropped and reported, leaving the follower unchanged`, () => {
      const b = newNode('b', peers, { config: { random: seeded(40) } });
      b.step(appendEntries('b', 1, 0, 0, [noop(1, 1)], 1));
      drain(b);
      const before = b.status();
      expect(before).toMatchObject({ term: 1, lastIndex: 1, commitIndex: 1, membership: base });

      // Of this term, and of a newer one (which must not raise our term either).
      for (const term of [1, 2]) {
        b.step(
          appendEntries('b', term, 1, 1, [
            { index: 2, term, type: 'config', data },
            normal(3, term),
          ]),
        );
        const readies = drain(b);
        const rejected = readies.flatMap((rd) => rd.rejectedMessages);
        expect(rejected).toHaveLength(1);
        expect(rejected[0]!).toMatchObject({ from: 'a', type: 'AppendEntries' });
        expect(rejected[0]!.reason).toMatch(/malformed: config entry 2 is invalid/);
        expect(readies.flatMap((rd) => rd.entries)).toEqual([]);
        expect(sent(readies)).toEqual([]);
        expect(membershipsIn(readies)).toEqual([]);
        expect(b.status()).toMatchObject({
          term: 1,
          lastIndex: 1,
          commitIndex: 1,
          membership: base,
          membershipIndex: 0,
        });
      }
      expect(b.status().rejectedMessages).toBe(before.rejectedMessages + 2);
    });
  }
});

// ---------------------------------------------------------------------------
// 12. Messages from members this node has not heard of
// ---------------------------------------------------------------------------

describe('messages from a node not in the configuration in force', () => {
  it('are handled normally: AppendEntries, Heartbeat and RequestVote from d', () => {
    const n = newNode('c', peers, { config: { random: seeded(50) } });
    n.step({
      ...appendEntries('c', 2, 0, 0, [noop(1, 1), cfg(2, 1, withD('voter')), noop(3, 2)], 2),
      from: 'd',
    });
    let readies = drain(n);
    expect(readies.flatMap((rd) => rd.rejectedMessages)).toEqual([]);
    expect(sent(readies)).toContainEqual(
      expect.objectContaining({
        type: 'AppendEntriesResponse',
        to: 'd',
        success: true,
        matchIndex: 3,
      }),
    );
    expect(n.status()).toMatchObject({
      term: 2,
      leaderId: 'd',
      lastIndex: 3,
      commitIndex: 2,
      membership: withD('voter'),
    });

    n.step({ type: 'Heartbeat', from: 'd', to: 'c', term: 2, commit: 3, readContext: 7 });
    readies = drain(n);
    expect(sent(readies)).toContainEqual(
      expect.objectContaining({ type: 'HeartbeatResponse', to: 'd', readContext: 7 }),
    );
    expect(n.status().commitIndex).toBe(3);

    // A vote request from a node c does not know of: c may be needed to elect it.
    const m = newNode('c', peers, { config: { random: seeded(51) } });
    m.step({ type: 'RequestVote', from: 'e', to: 'c', term: 3, lastLogIndex: 0, lastLogTerm: 0 });
    expect(sent(drain(m))).toContainEqual(
      expect.objectContaining({ type: 'RequestVoteResponse', to: 'e', term: 3, granted: true }),
    );
    expect(m.status().rejectedMessages).toBe(0);
  });

  it('a new voter elected leader replicates to a follower whose log lacks the entry adding it', () => {
    const c = steady();
    join(c, 'd');
    c.isolate('c');
    const a = c.node('a');
    a.proposeMembership(addD('voter'));
    c.tick('a');
    c.deliverAll();
    // Committed by a, b and d (3 of 4); c holds only the no-op.
    expect(a.status().commitIndex).toBe(2);
    expect(c.node('d').status()).toMatchObject({ lastIndex: 2, membership: withD('voter') });
    expect(c.node('c').status()).toMatchObject({ lastIndex: 1, membership: base });

    c.elect('d');
    const d = c.node('d');
    expect(d.status()).toMatchObject({ role: 'leader', term: 2 });
    c.deliverAll();
    expect(d.status().commitIndex).toBe(3);

    c.heal();
    const rejectedBefore = c.node('c').status().rejectedMessages;
    for (let i = 0; i < 3; i++) {
      c.tick('d');
      c.deliverAll();
    }
    expect(c.node('c').status()).toMatchObject({
      term: 2,
      leaderId: 'd',
      lastIndex: 3,
      commitIndex: 3,
      membership: withD('voter'),
      membershipIndex: 2,
      rejectedMessages: rejectedBefore,
    });
    expect(c.logTerms('c')).toEqual(c.logTerms('d'));
    expect(d.status().progress!.c!.match).toBe(3);
  });
});

describe('liveness around a change (found by the simulator)', () => {
  it('a leader that removed itself and lost leadership before the change committed stands again, and hands over once it commits', () => {
    // Voters {a, b}; a removes itself, b never gets the entry, a steps down (check-quorum).
    const c = new TestCluster(['a', 'b'], {}, { random: seeded(11), checkQuorum: true });
    c.elect('a');
    c.deliverAll();
    const a = c.node('a');
    const b = c.node('b');
    c.isolate('b');
    a.proposeMembership({ type: 'remove', id: 'a' });
    c.tick('a', 30);
    expect(a.status()).toMatchObject({ lastIndex: 2, commitIndex: 1 });
    expect(a.status().role).not.toBe('leader');
    expect(a.status().membership.members.map((m) => m.id)).toEqual(['b']);
    // b cannot win (it needs a's vote, and a's log is ahead); a must stand, or nobody leads.
    c.heal();
    for (let i = 0; i < 100 && b.status().role !== 'leader'; i++) {
      c.tick('a');
      c.tick('b');
      c.deliverAll();
    }
    expect(b.status()).toMatchObject({ role: 'leader', commitIndex: b.status().lastIndex });
    expect(b.status().membership.members.map((m) => m.id)).toEqual(['b']);
    // a stood, won, committed its removal and handed over to b; b, alone in its
    // configuration, sends it nothing, so a steps down when its handover times out.
    c.tick('a', 10);
    expect(a.status().role).toBe('follower');
  });

  it('a learner whose leader fell silent for an election timeout forgets it', () => {
    const c = withLearner();
    const d = c.node('d');
    expect(d.status().leaderId).toBe('a');
    c.isolate('d');
    c.tick('d', 25);
    expect(d.status()).toMatchObject({ role: 'follower', leaderId: undefined });
  });
});

describe('a node that joined a running cluster knows the configuration only from where it learned it', () => {
  /** d learned {a, b, c} as in force from entry 4 of the leader's log; its own log starts empty. */
  const joiner = (): RaftNode =>
    new RaftNode(
      { id: 'd', peers: [], ...nodeDefaults(21) },
      {
        hardState: { term: 1, vote: undefined, commit: 0 },
        entries: [],
        membership: base,
        membershipFrom: 4,
      },
    );

  it('membershipAt is unknown before that point and before its first config entry; no compaction there', () => {
    const d = joiner();
    // A leader whose log starts earlier sends it entries 1..6, a config entry at 5.
    const withD: Membership = {
      members: [...base.members, member('d', 'learner', 'd:7000')],
    };
    d.step(
      appendEntries(
        'd',
        1,
        0,
        0,
        [
          { index: 1, term: 1, type: 'noop', data: new Uint8Array(0) },
          { index: 2, term: 1, type: 'normal', data: bytes('x') },
          { index: 3, term: 1, type: 'normal', data: bytes('y') },
          { index: 4, term: 1, type: 'normal', data: bytes('z') },
          { index: 5, term: 1, type: 'config', data: encodeMembership(withD) },
          { index: 6, term: 1, type: 'normal', data: bytes('w') },
        ],
        6,
      ),
    );
    drain(d);
    expect(d.status()).toMatchObject({ lastIndex: 6, commitIndex: 6, membership: withD });
    expect(d.knowsMembershipAt(3)).toBe(false);
    expect(() => d.membershipAt(3)).toThrow(RaftConfigError);
    expect(d.membershipAt(4)).toEqual(base);
    expect(d.membershipAt(6)).toEqual(withD);
    // Compacting where it is unknown keeps it unknown (the runtime does not: knowsMembershipAt).
    expect(d.compact(2)).toBe(true);
    expect(d.knowsMembershipAt(3)).toBe(false);
    expect(d.compact(5)).toBe(true);
    expect(d.knowsMembershipAt(5)).toBe(true);
    expect(d.membershipAt(5)).toEqual(withD);
  });

  it('a snapshot installed makes it known from the snapshot on', () => {
    const d = joiner();
    expect(
      d.installSnapshot({ from: 'a', term: 1, index: 9, snapshotTerm: 1, membership: base }),
    ).toBe(true);
    drain(d);
    expect(d.knowsMembershipAt(9)).toBe(true);
    expect(d.membershipAt(9)).toEqual(base);
  });
});
