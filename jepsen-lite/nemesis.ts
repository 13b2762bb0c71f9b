/**
 * The nemesis: faults planned from the seed before the run starts (so a seed
 * replays the same schedule), then applied to the cluster at their times.
 *
 * Each process nemesis (kill, pause, restart) has its own lane, so they overlap with each
 * other and with network faults; the network nemeses (partition, delay, drop)
 * share one lane, since they act on the same links. A target named "leader" is
 * resolved when the fault starts.
 */
import type { Cluster } from './cluster.js';
import type { HistoryRecorder } from './recorder.js';
import type { FaultWindow } from './results.js';
import type { Rng } from './random.js';

export const NEMESES = ['kill', 'pause', 'partition', 'delay', 'drop', 'restart'] as const;
export type NemesisName = (typeof NEMESES)[number];

const NETWORK: readonly NemesisName[] = ['partition', 'delay', 'drop'];
export const PARTITION_SHAPES = [
  'leader-isolated',
  'halves',
  'bridge',
  'majorities-ring',
  'random',
] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

export interface PlannedFault {
  nemesis: NemesisName;
  /** Milliseconds after the fault phase starts. */
  at: number;
  durationMs: number;
  /** Every random choice the fault needs, drawn when planning (a shuffle of node indexes, shapes, sizes). */
  target: 'leader' | 'random';
  order: number[];
  shape: PartitionShape;
  stall: boolean;
  delayMs: number;
  /** For drop: whose outgoing links go silent (a node's, or one link). */
  oneLink: boolean;
  /** For a random partition: bit k set cuts the k-th pair of nodes. */
  pairMask: number;
}

/** Quiet time between two faults of one lane, and fault lengths, in ms. */
const QUIET_MS = [1_000, 3_000] as const;
const FAULT_MS: Record<NemesisName, readonly [number, number]> = {
  kill: [1_000, 4_000],
  // Long enough for the others to elect a leader and commit, so a paused old leader has stale state to serve.
  pause: [2_000, 6_000],
  partition: [2_000, 6_000],
  delay: [2_000, 5_000],
  drop: [2_000, 5_000],
  // How long a node stays down after a graceful stop (a leader hands over first).
  restart: [1_000, 3_000],
};

function shuffled(n: number, random: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The whole schedule of faults for a fault phase of `timeMs`. */
export function planFaults(
  nemeses: readonly NemesisName[],
  timeMs: number,
  nodes: number,
  random: Rng,
  shapes: readonly PartitionShape[] = PARTITION_SHAPES,
): PlannedFault[] {
  if (nemeses.includes('partition') && shapes.length === 0)
    throw new RangeError('the partition nemesis needs at least one partition shape');
  // Drawn for every fault, partition or not, so that a fault's other draws do not depend on it.
  const shapePool = shapes.length > 0 ? shapes : PARTITION_SHAPES;
  const lanes: NemesisName[][] = [];
  const network = nemeses.filter((n) => NETWORK.includes(n));
  if (network.length > 0) lanes.push(network);
  for (const n of nemeses) if (!NETWORK.includes(n)) lanes.push([n]);
  const plan: PlannedFault[] = [];
  for (const lane of lanes) {
    const r = random.fork(lane.join('+'));
    let t = r.int(...QUIET_MS);
    for (;;) {
      const nemesis = r.pick(lane);
      const durationMs = r.int(...FAULT_MS[nemesis]);
      if (t + durationMs > timeMs) break;
      plan.push({
        nemesis,
        at: t,
        durationMs,
        target: r.chance(0.5) ? 'leader' : 'random',
        order: shuffled(nodes, r),
        shape: r.pick(shapePool),
        stall: r.chance(0.5),
        delayMs: r.int(10, 80),
        oneLink: r.chance(0.5),
        pairMask: r.int(1, 2 ** 30 - 1),
      });
      t += durationMs + r.int(...QUIET_MS);
    }
  }
  return plan.sort((a, b) => a.at - b.at);
}

/** Applies a plan to the cluster and records each fault's window. */
export class Nemesis {
  readonly windows: FaultWindow[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #heals = new Map<FaultWindow, () => Promise<void>>();
  #work: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly recorder: HistoryRecorder,
    private readonly log: (line: string) => void,
  ) {}

  /** Schedules every fault of `plan`, relative to now. */
  start(plan: readonly PlannedFault[]): void {
    for (const fault of plan) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#serially(() => this.#apply(fault));
      }, fault.at);
      this.#timers.add(timer);
    }
  }

  /** Cancels every fault not yet started and every heal timer (the heals are healAll's job). */
  cancel(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Cancels what has not started, heals what is active, and brings every node back. */
  async healAll(): Promise<void> {
    this.cancel();
    await this.#work;
    for (const [window, heal] of this.#heals) {
      await heal();
      window.end = this.recorder.now();
    }
    this.#heals.clear();
    await this.cluster.healAll();
  }

  /** Faults start and heal one at a time: a kill must not race a restart of the same node. */
  #serially(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch((error: unknown) => {
      this.log(`nemesis: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async #apply(fault: PlannedFault): Promise<void> {
    if (this.#stopped) return;
    const started = await this.#begin(fault);
    if (started === undefined) return;
    const window: FaultWindow = { ...started.window, start: this.recorder.now(), end: null };
    this.windows.push(window);
    this.log(`nemesis: ${window.detail} for ${fault.durationMs} ms`);
    this.#heals.set(window, started.heal);
    // Started while healAll was waiting for this step: healAll heals it.
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#serially(async () => {
        if (this.#stopped || !this.#heals.delete(window)) return;
        await started.heal();
        window.end = this.recorder.now();
        this.log(`nemesis: healed ${window.detail}`);
      });
    }, fault.durationMs);
    this.#timers.add(timer);
  }

  async #begin(
    fault: PlannedFault,
  ): Promise<
    { window: Omit<FaultWindow, 'start' | 'end'>; heal: () => Promise<void> } | undefined
  > {
    const ids = this.cluster.ids;
    const ordered = fault.order.map((i) => ids[i]!);
    const wantsLeader =
      fault.target === 'leader' ||
      (fault.nemesis === 'partition' && fault.shape === 'leader-isolated');
    const leader = wantsLeader ? await this.cluster.leader() : undefined;
    const victim = leader ?? ordered[0]!;
    const who =
      leader !== undefined
        ? `${victim} (leader)`
        : wantsLeader
          ? `${victim} (no leader known: a random node)`
          : victim;
    switch (fault.nemesis) {
      case 'kill': {
        if (this.cluster.node(victim).child === undefined) return undefined;
        await this.cluster.killNode(victim, 'SIGKILL');
        return {
          window: { nemesis: 'kill', detail: `kill -9 ${who}`, nodes: [victim] },
          heal: () => this.cluster.startNode(victim),
        };
      }
      case 'restart': {
        if (this.cluster.node(victim).child === undefined) return undefined;
        await this.cluster.killNode(victim, 'SIGTERM');
        return {
          window: {
            nemesis: 'restart',
            detail: `SIGTERM ${who} (a graceful stop: a leader hands leadership over first)`,
            nodes: [victim],
          },
          heal: () => this.cluster.startNode(victim),
        };
      }
      case 'pause': {
        if (this.cluster.node(victim).child === undefined) return undefined;
        this.cluster.pauseNode(victim);
        return {
          window: { nemesis: 'pause', detail: `SIGSTOP ${who}`, nodes: [victim] },
          heal: async () => this.cluster.resumeNode(victim),
        };
      }
      case 'delay': {
        const jitter = Math.round(fault.delayMs / 2);
        for (const link of this.cluster.links.values()) link.setDelay(fault.delayMs, jitter);
        return {
          window: {
            nemesis: 'delay',
            detail: `delay ${fault.delayMs} ± ${jitter} ms on every peer link`,
            nodes: ids,
          },
          heal: async () => {
            for (const link of this.cluster.links.values()) link.setDelay(0, 0);
          },
        };
      }
      case 'drop': {
        const links = fault.oneLink
          ? [
              this.cluster.link(
                victim,
                ordered.find((id) => id !== victim)!,
              ),
            ]
          : ids.filter((id) => id !== victim).map((id) => this.cluster.link(victim, id));
        for (const link of links) link.drop();
        return {
          window: {
            nemesis: 'drop',
            detail: `one-way drop ${links.map((l) => `${l.from}→${l.to}`).join(', ')}`,
            nodes: [victim],
          },
          heal: async () => {
            for (const link of links) link.heal();
          },
        };
      }
      case 'partition': {
        const groups = partitionGroups(fault.shape, ordered, leader, fault.pairMask);
        const cut = linksBetween(groups, ids);
        const links = cut.map(([from, to]) => this.cluster.link(from, to));
        for (const link of links) {
          if (fault.stall) link.stall();
          else link.drop();
        }
        return {
          window: {
            nemesis: 'partition',
            detail: `partition ${fault.shape} (${fault.stall ? 'stall' : 'drop'}): ${groups.description}`,
            nodes: [...new Set(cut.flat())],
          },
          heal: async () => {
            for (const link of links) link.heal();
          },
        };
      }
    }
  }
}

interface Groups {
  /** Which pairs of nodes may talk. */
  connected: (a: string, b: string) => boolean;
  description: string;
}

/** Who can talk to whom under each partition shape; `ordered` is a random order of the node ids. */
export function partitionGroups(
  shape: PartitionShape,
  ordered: readonly string[],
  leader: string | undefined,
  pairMask: number,
): Groups {
  const n = ordered.length;
  const sides = (left: readonly string[]): Groups => ({
    connected: (a, b) => left.includes(a) === left.includes(b),
    description: `[${left.join(' ')}] | [${ordered.filter((id) => !left.includes(id)).join(' ')}]`,
  });
  switch (shape) {
    case 'leader-isolated':
      return sides([leader ?? ordered[0]!]);
    case 'halves':
      return sides(ordered.slice(0, Math.floor(n / 2)));
    case 'majorities-ring': {
      if (n === 5) {
        // Each node sees its two ring neighbours: a majority each, no two the same.
        const at = (id: string): number => ordered.indexOf(id);
        const distance = (a: string, b: string): number => {
          const d = Math.abs(at(a) - at(b));
          return Math.min(d, n - d);
        };
        return {
          connected: (a, b) => distance(a, b) <= 1,
          description: `ring ${ordered.join('-')}, each node sees its neighbours`,
        };
      }
      // With three nodes, the only ring of majorities is a bridge.
      return bridge(ordered);
    }
    case 'bridge':
      return bridge(ordered);
    case 'random': {
      const cut = new Set<string>();
      // At least one pair cut: the mask is brought into 1 .. 2^pairs - 1.
      const pairs = (n * (n - 1)) / 2;
      const mask = (pairMask % (2 ** pairs - 1)) + 1;
      let pair = 0;
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++)
          if ((mask >> pair++) & 1) cut.add(`${ordered[i]}|${ordered[j]}`);
      return {
        connected: (a, b) => !cut.has(`${a}|${b}`) && !cut.has(`${b}|${a}`),
        description: `cut ${[...cut].map((p) => p.replace('|', '–')).join(', ') || 'nothing'}`,
      };
    }
  }
}

/** The first node bridges two halves that cannot talk to each other. */
function bridge(ordered: readonly string[]): Groups {
  const [middle, ...rest] = ordered;
  const left = rest.slice(0, Math.floor(rest.length / 2));
  return {
    connected: (a, b) => a === middle || b === middle || left.includes(a) === left.includes(b),
    description: `[${left.join(' ')}] | [${rest.filter((id) => !left.includes(id)).join(' ')}] bridged by ${middle}`,
  };
}

/** Every directed link between two nodes that may not talk. */
function linksBetween(groups: Groups, ids: readonly string[]): Array<[string, string]> {
  const cut: Array<[string, string]> = [];
  for (const from of ids)
    for (const to of ids) if (from !== to && !groups.connected(from, to)) cut.push([from, to]);
  return cut;
}
