/**
 * A seed replays exactly: the simulator drives real RaftRuntime instances, whose
 * promises settle between events in an order that depends on nothing but the seed.
 * Two runs of a seed print the very same trace, every message delivered included.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STEPS } from './sim/options.js';
import { runSimulation } from './sim/simulator.js';

async function trace(seed: number, nodes: 3 | 5): Promise<string[]> {
  const lines: string[] = [];
  const r = await runSimulation({
    nodes,
    steps: DEFAULT_STEPS,
    seed,
    verbose: true,
    log: (line) => lines.push(line),
  });
  expect(r.ok, r.violation?.message).toBe(true);
  return lines;
}

describe('simulation: determinism', () => {
  it.each([
    [1, 3],
    [2, 5],
  ] as const)('seed %i (%i nodes) gives the same trace twice', async (seed, nodes) => {
    const first = await trace(seed, nodes);
    expect(first.length).toBeGreaterThan(1000);
    expect(await trace(seed, nodes)).toEqual(first);
  });
});
