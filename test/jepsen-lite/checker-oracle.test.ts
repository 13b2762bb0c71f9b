/**
 * The checker against a brute-force oracle on thousands of tiny random histories,
 * valid or not: the oracle tries every order of the operations that respects real
 * time, so any unsound shortcut of the checker (impossible reads, pruning, moves
 * left untried) shows up as a disagreement.
 */
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  registerModel,
  type Operation,
  type Outcome,
  type RegisterState,
} from '../../jepsen-lite/checker/index.js';
import { mulberry32 } from '../support/random.js';

/**
 * Whether some order of `ops` respects real time (an operation that completed
 * before another was invoked comes first; equal times are concurrent), is legal
 * for the register, and contains every operation except, optionally,
 * indeterminate ones. Failed operations and indeterminate reads must be removed.
 */
function bruteForce(ops: readonly Operation[]): boolean {
  const linearized = new Set<Operation>();
  const extend = (state: RegisterState): boolean => {
    if (ops.every((op) => op.outcome === 'info' || linearized.has(op))) return true;
    for (const op of ops) {
      if (linearized.has(op)) continue;
      const mustPrecede = ops.filter((other) => other.completeTime < op.invokeTime);
      if (!mustPrecede.every((other) => linearized.has(other))) continue;
      const { ok, next } = registerModel.step(state, op);
      if (!ok) continue;
      linearized.add(op);
      const found = extend(next);
      linearized.delete(op);
      if (found) return true;
    }
    return false;
  };
  return extend(null);
}

/** A few operations on one key with small integer times, so that many overlap or tie. */
function randomHistory(random: () => number, size: number): Operation[] {
  const int = (n: number): number => Math.floor(random() * n);
  const written: string[] = [];
  const ops: Operation[] = [];
  for (let i = 0; i < size; i++) {
    const roll = random();
    const f = roll < 0.45 ? 'write' : roll < 0.6 ? 'delete' : 'read';
    const outcomeRoll = random();
    const outcome: Outcome = outcomeRoll < 0.8 ? 'ok' : outcomeRoll < 0.9 ? 'info' : 'fail';
    if (f === 'write') written.push(`v${i}`);
    const choices = [null, ...written, 'never-written'];
    const value = f === 'write' ? `v${i}` : f === 'read' ? choices[int(choices.length)] : undefined;
    const invokeTime = int(8);
    ops.push({
      process: i,
      f,
      key: 'x',
      value,
      outcome,
      invokeTime,
      completeTime: outcome === 'info' ? Infinity : invokeTime + int(4),
      invokeIndex: 2 * i,
      completeIndex: 2 * i + 1,
    });
  }
  // Reads may return any value written in the history, even by a later write.
  for (const op of ops) {
    if (op.f === 'read' && op.value === 'never-written' && written.length > 0) {
      Object.assign(op, { value: written[int(written.length)] });
    }
  }
  return ops;
}

describe('the checker agrees with a brute-force oracle', () => {
  it('on 3000 random histories of up to 7 operations', () => {
    const random = mulberry32(2024);
    let valid = 0;
    for (let n = 0; n < 3000; n++) {
      const ops = randomHistory(random, 1 + Math.floor(random() * 7));
      const searched = ops.filter(
        (op) => op.outcome !== 'fail' && !(op.outcome === 'info' && op.f === 'read'),
      );
      const expected = bruteForce(searched);
      const verdict = checkLinearizable(ops, registerModel).valid;
      if (verdict !== expected) {
        throw new Error(`checker says ${verdict}, oracle ${expected}: ${JSON.stringify(ops)}`);
      }
      if (expected) valid++;
    }
    // Both verdicts are well represented, or the comparison would prove little.
    expect(valid).toBeGreaterThan(600);
    expect(valid).toBeLessThan(2400);
  });
});
