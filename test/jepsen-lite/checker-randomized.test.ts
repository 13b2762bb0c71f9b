/**
 * Histories generated from a real register with random concurrent timing (see
 * register-simulation.ts) are linearizable by construction: the checker must say
 * so. Corrupting a single read must make it say otherwise.
 */
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  pairOperations,
  registerModel,
  type HistoryEvent,
  type Model,
  type Operation,
  type RegisterState,
} from '../../jepsen-lite/checker/index.js';
import { mulberry32 } from '../support/random.js';
import { simulateRegisterHistory } from './register-simulation.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

const small = (seed: number): HistoryEvent[] =>
  simulateRegisterHistory({
    seed,
    clients: 6,
    invocations: 300,
    keys: ['a', 'b', 'c'],
    infoRate: 0.03,
  });

const isOkRead = (op: Operation): boolean => op.f === 'read' && op.outcome === 'ok';
const isOkWrite = (op: Operation): boolean => op.f === 'write' && op.outcome === 'ok';

/** Replaces the value a read returned; returns the history with the read's corrupted event. */
function withReadValue(events: readonly HistoryEvent[], read: Operation, value: string) {
  const corrupted = [...events];
  const at = read.completeIndex as number;
  corrupted[at] = { ...(events[at] as HistoryEvent), value };
  return corrupted;
}

/**
 * A read made to return the value of a write invoked after the read completed:
 * no linearization can order that write before the read.
 */
function readFromTheFuture(events: readonly HistoryEvent[], seed: number) {
  const ops = pairOperations(events);
  const random = mulberry32(seed);
  const reads = ops.filter(isOkRead);
  for (let tries = 0; tries < reads.length; tries++) {
    const read = reads[Math.floor(random() * reads.length)] as Operation;
    const later = ops.find(
      (op) => isOkWrite(op) && op.key === read.key && op.invokeTime > read.completeTime,
    );
    if (later?.value) return { read, events: withReadValue(events, read, later.value) };
  }
  throw new Error('no read has a later write of its key');
}

/**
 * A read made to return the value of a write w1 overwritten by a write w2 that
 * completed before the read began, w1 having completed before w2 began: values
 * are unique, so no linearization lets the read see w1.
 */
function staleRead(events: readonly HistoryEvent[], seed: number) {
  const ops = pairOperations(events);
  const random = mulberry32(seed);
  const reads = ops.filter(isOkRead);
  for (let tries = 0; tries < reads.length; tries++) {
    const read = reads[Math.floor(random() * reads.length)] as Operation;
    const writes = ops.filter((op) => isOkWrite(op) && op.key === read.key);
    const w2 = writes.filter((w) => w.completeTime < read.invokeTime).pop();
    const w1 = writes.filter((w) => w2 && w.completeTime < w2.invokeTime).pop();
    if (w1?.value) return { read, events: withReadValue(events, read, w1.value) };
  }
  throw new Error('no read follows two writes of its key');
}

describe('randomized register histories', () => {
  it('the simulation is not vacuous: concurrency, failures and indeterminate operations', () => {
    const ops = pairOperations(small(1));
    expect(ops.some((op) => op.outcome === 'info')).toBe(true);
    expect(ops.some((op) => op.outcome === 'fail')).toBe(true);
    expect(ops.some((op) => isOkRead(op) && op.value === null)).toBe(true);
    const overlapping = ops.filter((op, i) => {
      const next = ops[i + 1];
      return next !== undefined && next.invokeTime < op.completeTime;
    });
    expect(overlapping.length).toBeGreaterThan(ops.length / 2);
  });

  it.each(SEEDS)('seed %i: a history of a real register is linearizable', (seed) => {
    const result = checkLinearizable(pairOperations(small(seed)), registerModel);
    expect(result.anomalies).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it.each(SEEDS)('seed %i: one read from the future makes it invalid', (seed) => {
    const { read, events } = readFromTheFuture(small(seed), seed);
    const result = checkLinearizable(pairOperations(events), registerModel);
    expect(result.valid).toBe(false);
    expect(result.anomalies.map((a) => a.key)).toEqual([read.key]);
    expect(result.anomalies[0]?.eventIndexes).toContain(read.invokeIndex);
  });

  it.each(SEEDS)('seed %i: one stale read makes it invalid', (seed) => {
    const { read, events } = staleRead(small(seed), seed);
    const result = checkLinearizable(pairOperations(events), registerModel);
    expect(result.valid).toBe(false);
    expect(result.anomalies.map((a) => a.key)).toEqual([read.key]);
    expect(result.anomalies[0]?.eventIndexes).toContain(read.invokeIndex);
  });

  /** The register without implied states: no impossible-read check, no pruning, the plain search. */
  const plainRegister: Model<RegisterState> = { ...registerModel, impliedState: undefined };

  it.each(SEEDS)(
    'seed %i: the plain search agrees, on the history and on both corruptions',
    (seed) => {
      const check = (events: readonly HistoryEvent[]) =>
        checkLinearizable(pairOperations(events), plainRegister, { maxSteps: 1_000_000 }).valid;
      expect(check(small(seed))).toBe(true);
      expect(check(readFromTheFuture(small(seed), seed).events)).toBe(false);
      expect(check(staleRead(small(seed), seed).events)).toBe(false);
    },
  );

  it('a 3000-operation key with 16 concurrent clients is decided, not left unknown', () => {
    const events = simulateRegisterHistory({
      seed: 7,
      clients: 16,
      invocations: 3000,
      keys: ['x'],
      infoRate: 0.02,
    });
    const result = checkLinearizable(pairOperations(events), registerModel, {
      maxMillis: 60_000,
    });
    expect(result.perKey.get('x')).toMatchObject({ valid: true });
    expect(result.perKey.get('x')?.infoOps).toBeGreaterThan(20);
  });
});
