/**
 * Helpers for running seed ranges of the simulator inside vitest.
 */
import type { SimOptions } from './options.js';
import { runSimulation, type SimResult } from './simulator.js';

/** Seeds per vitest case: small enough to show progress, large enough to amortize. */
export const SEEDS_PER_CASE = 50;

/** Number of seeds for a vitest simulation file; RAFT_SIM_SEEDS overrides (e.g. for a quick local run). */
export function seedCount(defaultCount: number): number {
  const env = process.env.RAFT_SIM_SEEDS;
  const n = env === undefined ? defaultCount : Number(env);
  return Number.isSafeInteger(n) && n > 0 ? n : defaultCount;
}

/** [first, last] seed ranges of SEEDS_PER_CASE seeds covering 1..count. */
export function seedChunks(count: number): [number, number][] {
  const chunks: [number, number][] = [];
  for (let first = 1; first <= count; first += SEEDS_PER_CASE)
    chunks.push([first, Math.min(count, first + SEEDS_PER_CASE - 1)]);
  return chunks;
}

/** Runs seeds first..last; returns the failures, each with its reproduction command. */
export async function runSeeds(
  first: number,
  last: number,
  opts: Omit<SimOptions, 'seed'>,
): Promise<string[]> {
  const failures: string[] = [];
  for (let seed = first; seed <= last; seed++) {
    const r = await runSimulation({ ...opts, seed });
    if (!r.ok) failures.push(describeFailure(r, opts.nodes));
  }
  return failures;
}

export function describeFailure(r: SimResult, nodes: number): string {
  return `seed ${r.seed}: ${r.violation!.property} — ${r.violation!.message}\n  reproduce: npm run sim -- --seed ${r.seed} --nodes ${nodes} --verbose`;
}

/** First seed in first..last whose run reports a violation, or undefined. */
export async function firstViolation(
  first: number,
  last: number,
  opts: Omit<SimOptions, 'seed'>,
): Promise<SimResult | undefined> {
  for (let seed = first; seed <= last; seed++) {
    const r = await runSimulation({ ...opts, seed });
    if (!r.ok) return r;
  }
  return undefined;
}
