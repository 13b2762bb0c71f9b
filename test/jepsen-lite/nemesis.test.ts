/**
 * The nemesis's plan and partition shapes, as properties: a seed replays its
 * schedule, faults fit in the phase, one lane never overlaps itself, and every
 * partition shape cuts the cluster the way its name says.
 */
import { describe, expect, it } from 'vitest';
import {
  NEMESES,
  PARTITION_SHAPES,
  partitionGroups,
  planFaults,
  type NemesisName,
  type PartitionShape,
  type PlannedFault,
} from '../../jepsen-lite/nemesis.js';
import { Rng } from '../../jepsen-lite/random.js';

const NETWORK: readonly NemesisName[] = ['partition', 'delay', 'drop'];
const laneOf = (nemesis: NemesisName): string => (NETWORK.includes(nemesis) ? 'network' : nemesis);

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);
const PHASE_MS = 90_000;

function plan(
  seed: number,
  nemeses: readonly NemesisName[] = NEMESES,
  nodes = 5,
  shapes?: readonly PartitionShape[],
  timeMs = PHASE_MS,
): PlannedFault[] {
  return planFaults(nemeses, timeMs, nodes, new Rng(seed).fork('nemesis'), shapes);
}

describe('planFaults', () => {
  it('replays the same plan for the same seed and another for another seed', () => {
    for (const seed of SEEDS) {
      const a = plan(seed);
      expect(a.length).toBeGreaterThan(0);
      expect(plan(seed)).toEqual(a);
      expect(plan(seed + 1000)).not.toEqual(a);
    }
  });

  it('plans nothing when the phase is shorter than the first quiet time', () => {
    expect(plan(1, NEMESES, 3, undefined, 500)).toEqual([]);
  });

  it('ends every fault within the phase, sorted by start, with valid draws', () => {
    for (const seed of SEEDS)
      for (const nodes of [3, 5]) {
        const faults = plan(seed, NEMESES, nodes);
        for (const f of faults) {
          expect(NEMESES).toContain(f.nemesis);
          expect(f.at).toBeGreaterThan(0);
          expect(f.durationMs).toBeGreaterThan(0);
          expect(f.at + f.durationMs).toBeLessThanOrEqual(PHASE_MS);
          // order is a permutation of the node indexes
          expect([...f.order].sort((a, b) => a - b)).toEqual(
            Array.from({ length: nodes }, (_, i) => i),
          );
          expect(PARTITION_SHAPES).toContain(f.shape);
          expect(f.pairMask).toBeGreaterThan(0);
        }
        expect(faults.map((f) => f.at)).toEqual([...faults.map((f) => f.at)].sort((a, b) => a - b));
      }
  });

  it('never overlaps two faults of one lane (network nemeses share one; kill, pause and restart each have their own)', () => {
    let crossLaneOverlaps = 0;
    const networkKinds = new Set<NemesisName>();
    for (const seed of SEEDS) {
      const faults = plan(seed);
      const lanes = new Map<string, PlannedFault[]>();
      for (const f of faults) {
        const lane = lanes.get(laneOf(f.nemesis)) ?? [];
        lane.push(f);
        lanes.set(laneOf(f.nemesis), lane);
        if (NETWORK.includes(f.nemesis)) networkKinds.add(f.nemesis);
      }
      expect([...lanes.keys()].sort()).toEqual(['kill', 'network', 'pause', 'restart']);
      for (const lane of lanes.values())
        for (let i = 1; i < lane.length; i++)
          expect(
            lane[i]!.at,
            `seed ${seed}: ${lane[i]!.nemesis} starts before ${lane[i - 1]!.nemesis} ends`,
          ).toBeGreaterThanOrEqual(lane[i - 1]!.at + lane[i - 1]!.durationMs);
      // faults of different lanes do overlap (the plan is not just serial)
      for (const a of faults)
        for (const b of faults)
          if (
            laneOf(a.nemesis) < laneOf(b.nemesis) &&
            a.at < b.at + b.durationMs &&
            b.at < a.at + a.durationMs
          )
            crossLaneOverlaps++;
    }
    expect(crossLaneOverlaps).toBeGreaterThan(0);
    expect([...networkKinds].sort()).toEqual(['delay', 'drop', 'partition']);
  });

  it('plans only the nemeses asked for', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      expect(new Set(plan(seed, ['kill']).map((f) => f.nemesis))).toEqual(new Set(['kill']));
      expect(new Set(plan(seed, ['pause', 'delay']).map((f) => f.nemesis))).toEqual(
        new Set(['pause', 'delay']),
      );
      expect(plan(seed, [])).toEqual([]);
    }
  });

  it("keeps one lane's schedule when other lanes are added (each lane draws from its own fork)", () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const killOnly = plan(seed, ['kill']);
      const killOfAll = plan(seed, ['kill', 'pause', 'partition']).filter(
        (f) => f.nemesis === 'kill',
      );
      expect(killOfAll).toEqual(killOnly);
    }
  });

  it('picks partition shapes only from `shapes`, and each of them', () => {
    const allowed: PartitionShape[] = ['halves', 'bridge'];
    const seen = new Set<PartitionShape>();
    for (const seed of SEEDS) {
      for (const f of plan(seed, ['partition'], 5, allowed)) {
        expect(allowed).toContain(f.shape);
        seen.add(f.shape);
      }
      for (const f of plan(seed, ['partition'], 3, ['majorities-ring']))
        expect(f.shape).toBe('majorities-ring');
    }
    expect([...seen].sort()).toEqual([...allowed].sort());
  });
});

describe('partitionGroups', () => {
  const idsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

  /** A few orders of the ids per size, so no property holds only for the identity order. */
  function orders(n: number): string[][] {
    const ids = idsOf(n);
    const out = [ids, [...ids].reverse()];
    for (const seed of [7, 11, 13]) {
      const f = plan(seed, ['partition'], n)[0]!;
      out.push(f.order.map((i) => ids[i]!));
    }
    return out;
  }

  type Connected = (a: string, b: string) => boolean;

  /** The others that `a` can talk to. */
  const peersOf = (connected: Connected, ids: readonly string[], a: string): string[] =>
    ids.filter((b) => b !== a && connected(a, b));

  /** Checks that `connected` is exactly "same side" for `sides`. */
  function expectSides(connected: Connected, sides: ReadonlyArray<readonly string[]>): void {
    for (const left of sides)
      for (const right of sides)
        for (const a of left)
          for (const b of right) expect(connected(a, b), `${a}–${b}`).toBe(left === right);
  }

  it('is symmetric (and reflexive) for every shape, size, order and leader', () => {
    for (const shape of PARTITION_SHAPES)
      for (const n of [3, 5])
        for (const ordered of orders(n))
          for (const leader of [undefined, ordered[n - 1]!])
            for (const pairMask of [1, 0b101, 0x2aa, 2 ** 30 - 1, 123_456_789]) {
              const { connected } = partitionGroups(shape, ordered, leader, pairMask);
              for (const a of ordered) {
                expect(connected(a, a)).toBe(true);
                for (const b of ordered)
                  expect(connected(a, b), `${shape} n=${n} ${a}–${b}`).toBe(connected(b, a));
              }
            }
  });

  it('leader-isolated cuts the leader (or the first node) from everyone, the rest stay connected', () => {
    for (const n of [3, 5])
      for (const ordered of orders(n)) {
        for (const leader of ordered) {
          const { connected } = partitionGroups('leader-isolated', ordered, leader, 1);
          expect(peersOf(connected, ordered, leader)).toEqual([]);
          expectSides(connected, [[leader], ordered.filter((id) => id !== leader)]);
        }
        const { connected } = partitionGroups('leader-isolated', ordered, undefined, 1);
        expectSides(connected, [[ordered[0]!], ordered.slice(1)]);
      }
  });

  it('halves splits into a minority and a majority, each fully connected inside', () => {
    for (const n of [3, 5])
      for (const ordered of orders(n)) {
        const { connected, description } = partitionGroups('halves', ordered, undefined, 1);
        const sides: string[][] = [];
        for (const id of ordered) {
          const side = sides.find((s) => connected(s[0]!, id));
          if (side) side.push(id);
          else sides.push([id]);
        }
        expect(sides.map((s) => s.length).sort()).toEqual([Math.floor(n / 2), Math.ceil(n / 2)]);
        expectSides(connected, sides);
        for (const side of sides) for (const id of side) expect(description).toContain(id);
      }
  });

  const expectBridge = (connected: Connected, ordered: readonly string[]): void => {
    const n = ordered.length;
    const bridges = ordered.filter((a) => peersOf(connected, ordered, a).length === n - 1);
    expect(bridges).toHaveLength(1);
    const middle = bridges[0]!;
    const rest = ordered.filter((id) => id !== middle);
    const left = rest.filter((id) => connected(rest[0]!, id));
    const right = rest.filter((id) => !connected(rest[0]!, id));
    expect(right.length).toBeGreaterThan(0);
    expect([left.length, right.length].sort()).toEqual([
      Math.floor((n - 1) / 2),
      Math.ceil((n - 1) / 2),
    ]);
    expectSides(connected, [left, right]);
    // each side plus the bridge is a majority
    expect(left.length + 1).toBeGreaterThan(n / 2);
    expect(right.length + 1).toBeGreaterThan(n / 2);
  };

  it('bridge: one node talks to all, the two sides do not talk to each other', () => {
    for (const n of [3, 5])
      for (const ordered of orders(n)) {
        const { connected } = partitionGroups('bridge', ordered, ordered[1], 1);
        expectBridge(connected, ordered);
        expect(peersOf(connected, ordered, ordered[0]!)).toHaveLength(n - 1);
      }
  });

  it('majorities-ring with 5 nodes: each node sees exactly 2 others, a majority, and no two see the same set', () => {
    for (const ordered of orders(5)) {
      const { connected } = partitionGroups('majorities-ring', ordered, undefined, 1);
      const views = ordered.map((a) => {
        const peers = peersOf(connected, ordered, a);
        expect(peers, `${a} sees ${peers.join(',')}`).toHaveLength(2);
        return [a, ...peers].sort().join(',');
      });
      expect(new Set(views).size).toBe(5);
      // a ring: walking from any node along its neighbours visits all 5
      const seen = new Set([ordered[0]!]);
      let at = ordered[0]!;
      for (let step = 0; step < 4; step++) {
        at = peersOf(connected, ordered, at).find((b) => !seen.has(b))!;
        expect(at).toBeDefined();
        seen.add(at);
      }
      expect(seen.size).toBe(5);
    }
  });

  it('majorities-ring with 3 nodes is a bridge', () => {
    for (const ordered of orders(3)) {
      const { connected } = partitionGroups('majorities-ring', ordered, undefined, 1);
      expectBridge(connected, ordered);
    }
  });

  it('random cuts the pairs set in pairMask brought into 1 .. 2^pairs - 1: at least one', () => {
    for (const n of [3, 5])
      for (const ordered of orders(n))
        for (const pairMask of [1, 0b110, 0x155, 7, 2 ** 30 - 1]) {
          const { connected } = partitionGroups('random', ordered, undefined, pairMask);
          const pairs = (n * (n - 1)) / 2;
          const mask = (pairMask % (2 ** pairs - 1)) + 1;
          let pair = 0;
          let cuts = 0;
          for (let i = 0; i < n; i++)
            for (let j = i + 1; j < n; j++) {
              const cut = ((mask >> pair++) & 1) === 1;
              if (cut) cuts++;
              expect(connected(ordered[i]!, ordered[j]!), `pair ${pair - 1}`).toBe(!cut);
            }
          expect(cuts).toBeGreaterThan(0);
        }
  });
});
