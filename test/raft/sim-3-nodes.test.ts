/**
 * The deterministic simulator over many seeds, 3-node clusters: every safety
 * property after every step, then a fault-free phase that must converge.
 * (`npm run sim -- --seeds 10000` runs many more.)
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STEPS } from './sim/options.js';
import { runSeeds, seedChunks, seedCount } from './sim/seeds.js';

describe('simulation: 3 nodes', () => {
  it.each(seedChunks(seedCount(1500)))(
    'seeds %i..%i hold every safety property and converge',
    async (first, last) => {
      expect(await runSeeds(first, last, { nodes: 3, steps: DEFAULT_STEPS })).toEqual([]);
    },
    120_000,
  );
});
