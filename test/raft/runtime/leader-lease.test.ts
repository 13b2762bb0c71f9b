/**
 * The leader's lease and the freshness stamps it lets followers keep
 * (src/raft/runtime/leader-lease.ts): the time arithmetic of the lease, and the
 * answers the stamp log gives against a brute-force reading of its contract.
 */
import { describe, expect, it } from 'vitest';
import { FreshnessLog, LeaderLease } from '../../../src/raft/runtime/leader-lease.js';
import type { LeaderFreshness } from '../../../src/raft/types.js';

describe('LeaderLease', () => {
  it('revoke (the voters changed) ends the lease; only rounds registered after it renew it', () => {
    const lease = new LeaderLease(100);
    lease.confirm(3, 1_000);
    expect(lease.holds(3, 1_050)).toBe(true);
    lease.revoke(1_060);
    expect(lease.holds(3, 1_061)).toBe(false);
    // A round registered before the change, confirmed after it: it does not count.
    lease.confirm(3, 1_055);
    lease.confirm(3, 1_060);
    expect(lease.holds(3, 1_070)).toBe(false);
    lease.confirm(3, 1_065);
    expect(lease.holds(3, 1_070)).toBe(true);
    expect(lease.holds(3, 1_165)).toBe(false);
  });

  it('does not hold before any round was confirmed', () => {
    const lease = new LeaderLease(50);
    expect(lease.holds(1, 0)).toBe(false);
    expect(lease.holds(0, 0)).toBe(false);
    expect(lease.remainingMs(1, 0)).toBe(0);
  });

  it('holds from the confirmed round’s registration for durationMs, the end excluded', () => {
    const lease = new LeaderLease(50);
    lease.confirm(1, 100);
    expect(lease.holds(1, 100)).toBe(true);
    expect(lease.holds(1, 149)).toBe(true);
    expect(lease.holds(1, 150)).toBe(false);
    expect(lease.holds(1, 10_000)).toBe(false);
    expect(lease.remainingMs(1, 100)).toBe(50);
    expect(lease.remainingMs(1, 120)).toBe(30);
    expect(lease.remainingMs(1, 149)).toBe(1);
    expect(lease.remainingMs(1, 150)).toBe(0);
  });

  it('holds only in the term of the confirmed round', () => {
    const lease = new LeaderLease(50);
    lease.confirm(3, 100);
    expect(lease.holds(3, 110)).toBe(true);
    expect(lease.holds(2, 110)).toBe(false);
    expect(lease.holds(4, 110)).toBe(false);
    expect(lease.remainingMs(4, 110)).toBe(0);
  });

  it('a later term replaces the lease, even with an earlier registration time', () => {
    const lease = new LeaderLease(50);
    lease.confirm(1, 100);
    lease.confirm(2, 10);
    expect(lease.holds(2, 40)).toBe(true);
    expect(lease.holds(2, 60)).toBe(false);
    expect(lease.holds(1, 120)).toBe(false);
  });

  it('a confirmation of an earlier term is ignored', () => {
    const lease = new LeaderLease(50);
    lease.confirm(2, 10);
    lease.confirm(1, 500);
    expect(lease.holds(1, 510)).toBe(false);
    expect(lease.holds(2, 510)).toBe(false); // still the term-2 round of t=10, long expired
  });

  it('within a term, the lease only moves forward: a late confirmation of an older round does not shorten it', () => {
    const lease = new LeaderLease(50);
    lease.confirm(1, 100);
    lease.confirm(1, 80);
    expect(lease.holds(1, 140)).toBe(true);
    expect(lease.remainingMs(1, 140)).toBe(10);
    lease.confirm(1, 120);
    expect(lease.holds(1, 160)).toBe(true);
    expect(lease.holds(1, 170)).toBe(false);
  });

  it.each([0, -1, -100])('with durationMs %d it never holds', (durationMs) => {
    const lease = new LeaderLease(durationMs);
    lease.confirm(1, 100);
    expect(lease.holds(1, 100)).toBe(false);
    expect(lease.remainingMs(1, 100)).toBe(0);
  });

  it('neverExpires (test-only): holds for the rest of the confirmed term, and only in it', () => {
    const lease = new LeaderLease(50, true);
    expect(lease.holds(1, 0)).toBe(false);
    lease.confirm(1, 100);
    expect(lease.holds(1, 1e12)).toBe(true);
    expect(lease.remainingMs(1, 1e12)).toBe(Number.POSITIVE_INFINITY);
    expect(lease.holds(2, 200)).toBe(false);
    lease.confirm(2, 300);
    expect(lease.holds(1, 1e12)).toBe(false);
    expect(lease.holds(2, 1e12)).toBe(true);
  });

  it('neverExpires does not override a non-positive duration', () => {
    const lease = new LeaderLease(0, true);
    lease.confirm(1, 100);
    expect(lease.holds(1, 100)).toBe(false);
  });
});

/** Deterministic pseudo-random integers in [0, n) (a 32-bit LCG). */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s % n;
  };
}

/** The contract, read literally over every stamp ever recorded. */
const brute = {
  freshAsOf(stamps: LeaderFreshness[], applied: number): number | undefined {
    const times = stamps.filter((s) => s.commit <= applied).map((s) => s.wallTimeMs);
    return times.length === 0 ? undefined : Math.max(...times);
  },
  commitNeededFor(stamps: LeaderFreshness[], wallTimeMs: number): number | undefined {
    const commits = stamps.filter((s) => s.wallTimeMs >= wallTimeMs).map((s) => s.commit);
    return commits.length === 0 ? undefined : Math.min(...commits);
  },
  highestCommit(stamps: LeaderFreshness[]): number {
    return stamps.length === 0 ? 0 : Math.max(...stamps.map((s) => s.commit));
  },
};

describe('FreshnessLog', () => {
  it('knows nothing before the first stamp', () => {
    const log = new FreshnessLog();
    expect(log.freshAsOf(0)).toBeUndefined();
    expect(log.freshAsOf(1_000)).toBeUndefined();
    expect(log.commitNeededFor(0)).toBeUndefined();
    expect(log.highestCommit()).toBe(0);
  });

  it('freshAsOf: the newest stamp time at or below the applied index', () => {
    const log = new FreshnessLog();
    log.record({ commit: 5, wallTimeMs: 1_000 });
    log.record({ commit: 10, wallTimeMs: 2_000 });
    expect(log.freshAsOf(4)).toBeUndefined();
    expect(log.freshAsOf(5)).toBe(1_000);
    expect(log.freshAsOf(9)).toBe(1_000);
    expect(log.freshAsOf(10)).toBe(2_000);
    expect(log.freshAsOf(1_000)).toBe(2_000);
    expect(log.highestCommit()).toBe(10);
  });

  it('commitNeededFor: the lowest stamped commit at least as recent as the time asked', () => {
    const log = new FreshnessLog();
    log.record({ commit: 5, wallTimeMs: 1_000 });
    log.record({ commit: 10, wallTimeMs: 2_000 });
    expect(log.commitNeededFor(0)).toBe(5);
    expect(log.commitNeededFor(1_000)).toBe(5);
    expect(log.commitNeededFor(1_001)).toBe(10);
    expect(log.commitNeededFor(2_000)).toBe(10);
    expect(log.commitNeededFor(2_001)).toBeUndefined();
  });

  it('stamps arriving out of order give the same answers', () => {
    const log = new FreshnessLog();
    log.record({ commit: 10, wallTimeMs: 2_000 });
    log.record({ commit: 5, wallTimeMs: 1_000 });
    expect(log.freshAsOf(5)).toBe(1_000);
    expect(log.freshAsOf(10)).toBe(2_000);
    expect(log.commitNeededFor(1_500)).toBe(10);
    expect(log.highestCommit()).toBe(10);
  });

  it('a stamp with a higher commit but an older time does not make a higher applied index look staler', () => {
    const log = new FreshnessLog();
    log.record({ commit: 5, wallTimeMs: 1_000 });
    log.record({ commit: 7, wallTimeMs: 800 }); // dominated by (5, 1000)
    // Having applied 7 includes having applied 5: at least as fresh as 1000.
    expect(log.freshAsOf(7)).toBe(1_000);
    expect(log.freshAsOf(6)).toBe(1_000);
    expect(log.commitNeededFor(900)).toBe(5);
    // The leader's commit as last heard is still the highest named.
    expect(log.highestCommit()).toBe(7);
  });

  it('a stamp at the same commit with an older or equal time is dropped; a newer one replaces it', () => {
    const log = new FreshnessLog();
    log.record({ commit: 5, wallTimeMs: 1_000 });
    log.record({ commit: 5, wallTimeMs: 900 });
    log.record({ commit: 5, wallTimeMs: 1_000 });
    expect(log.freshAsOf(5)).toBe(1_000);
    log.record({ commit: 5, wallTimeMs: 1_100 });
    expect(log.freshAsOf(5)).toBe(1_100);
    expect(log.commitNeededFor(1_050)).toBe(5);
  });

  it('a stamp at a lower commit and at least as recent drops every stamp it dominates', () => {
    const log = new FreshnessLog();
    log.record({ commit: 5, wallTimeMs: 1_000 });
    log.record({ commit: 7, wallTimeMs: 1_100 });
    log.record({ commit: 9, wallTimeMs: 1_200 });
    log.record({ commit: 6, wallTimeMs: 1_300 });
    expect(log.freshAsOf(5)).toBe(1_000);
    expect(log.freshAsOf(6)).toBe(1_300);
    expect(log.freshAsOf(9)).toBe(1_300);
    expect(log.commitNeededFor(1_050)).toBe(6);
    expect(log.commitNeededFor(1_200)).toBe(6);
    expect(log.highestCommit()).toBe(9);
  });

  it('keeps at most 128 stamps, dropping the oldest first', () => {
    const log = new FreshnessLog();
    for (let i = 1; i <= 200; i++) log.record({ commit: i, wallTimeMs: 10_000 + i });
    // Stamps 1..72 are gone: nothing is known below commit 73 any more.
    expect(log.freshAsOf(72)).toBeUndefined();
    expect(log.freshAsOf(73)).toBe(10_073);
    expect(log.freshAsOf(150)).toBe(10_150);
    expect(log.commitNeededFor(0)).toBe(73);
    expect(log.commitNeededFor(10_200)).toBe(200);
    expect(log.highestCommit()).toBe(200);
  });

  it('dominated stamps do not count against the bound', () => {
    const log = new FreshnessLog();
    log.record({ commit: 1, wallTimeMs: 5_000 });
    // 300 stamps that (1, 5000) dominates: none of them is kept.
    for (let i = 2; i <= 301; i++) log.record({ commit: i, wallTimeMs: 4_000 + i });
    expect(log.freshAsOf(1)).toBe(5_000);
    expect(log.freshAsOf(301)).toBe(5_000);
    expect(log.highestCommit()).toBe(301);
  });

  it('clear forgets every stamp', () => {
    const log = new FreshnessLog();
    log.record({ commit: 5, wallTimeMs: 1_000 });
    log.clear();
    expect(log.freshAsOf(5)).toBeUndefined();
    expect(log.commitNeededFor(0)).toBeUndefined();
    expect(log.highestCommit()).toBe(0);
    log.record({ commit: 3, wallTimeMs: 10 });
    expect(log.freshAsOf(3)).toBe(10);
  });

  it('agrees with the contract read over every stamp, for stamps recorded in any order (fewer than the bound)', () => {
    const rand = prng(20_240_611);
    const applieds = Array.from({ length: 42 }, (_, k) => k);
    const walls = Array.from({ length: 51 }, (_, k) => 995 + k);
    for (let trial = 0; trial < 200; trial++) {
      const log = new FreshnessLog();
      const stamps: LeaderFreshness[] = [];
      const latest: [number, number][] = [];
      const count = 1 + rand(60);
      for (let k = 0; k < count; k++) {
        // Small ranges so that ties and dominated stamps are common.
        const stamp = { commit: rand(40), wallTimeMs: 1_000 + rand(40) };
        stamps.push(stamp);
        log.record(stamp);
        latest.push([log.highestCommit(), brute.highestCommit(stamps)]);
      }
      const context = `trial ${trial}: ${JSON.stringify(stamps)}`;
      expect(
        latest.map(([got]) => got),
        context,
      ).toEqual(latest.map(([, want]) => want));
      expect(
        applieds.map((a) => log.freshAsOf(a)),
        context,
      ).toEqual(applieds.map((a) => brute.freshAsOf(stamps, a)));
      expect(
        walls.map((w) => log.commitNeededFor(w)),
        context,
      ).toEqual(walls.map((w) => brute.commitNeededFor(stamps, w)));
    }
  });
});
