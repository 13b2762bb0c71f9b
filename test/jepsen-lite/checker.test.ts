/**
 * The linearizability checker on small histories whose verdict is known: the
 * classic anomalies of a register, indeterminate operations, keys checked
 * independently, witnesses a report can link to the history, and budgets.
 *
 * In these histories the clock advances by one per event, so an operation
 * precedes another iff its completion comes before the other's invoke.
 */
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  pairOperations,
  registerModel,
  type Budget,
  type LinearizabilityAnomaly,
  type LinearizabilityResult,
} from '../../jepsen-lite/checker/index.js';
import { history, type HistoryBuilder } from './history-builder.js';

function check(h: HistoryBuilder, budget?: Budget): LinearizabilityResult {
  return checkLinearizable(pairOperations(h.events), registerModel, budget);
}

function onlyAnomaly(result: LinearizabilityResult): LinearizabilityAnomaly {
  expect(result.valid).toBe(false);
  expect(result.anomalies).toHaveLength(1);
  return result.anomalies[0] as LinearizabilityAnomaly;
}

describe('linearizable register histories', () => {
  it('a sequential history of writes, reads and deletes', () => {
    const h = history()
      .read(1, 'x')
      .ok(1, null)
      .write(1, 'x', 'a')
      .ok(1)
      .read(2, 'x')
      .ok(2, 'a')
      .delete(2, 'x')
      .ok(2)
      .read(1, 'x')
      .ok(1, null);
    const result = check(h);
    expect(result.valid).toBe(true);
    expect(result.anomalies).toEqual([]);
    expect(result.perKey.get('x')).toMatchObject({ valid: true, ops: 5, infoOps: 0, dropped: 0 });
  });

  it.each(['a', 'b'])('concurrent writes of a and b, read as %s once both completed', (last) => {
    const h = history()
      .write(1, 'x', 'a')
      .write(2, 'x', 'b')
      .ok(2)
      .ok(1)
      .read(3, 'x')
      .ok(3, last)
      .read(3, 'x')
      .ok(3, last);
    expect(check(h).valid).toBe(true);
  });

  it('concurrent reads that see the writes in either order while the writes are pending', () => {
    const h = history()
      .write(1, 'x', 'a')
      .write(2, 'x', 'b')
      .read(3, 'x')
      .read(4, 'x')
      .ok(3, 'b')
      .ok(4, 'a')
      .ok(1)
      .ok(2);
    expect(check(h).valid).toBe(true);
  });

  it('a read that completes at the same time as a write is invoked may see it (ties are concurrent)', () => {
    const h = history().read(1, 'x').write(2, 'x', 'a').sameTime().ok(1, 'a').ok(2);
    expect(check(h).valid).toBe(true);
  });

  it('an indeterminate write that takes effect late, after a later write completed', () => {
    const h = history()
      .write(1, 'x', 'a')
      .info(1)
      .write(2, 'x', 'b')
      .ok(2)
      .read(3, 'x')
      .ok(3, 'b')
      .read(3, 'x')
      .ok(3, 'a');
    expect(check(h).valid).toBe(true);
  });

  it('an indeterminate write that never takes effect', () => {
    const h = history()
      .write(1, 'x', 'a')
      .info(1)
      .read(2, 'x')
      .ok(2, null)
      .write(2, 'x', 'b')
      .ok(2)
      .read(3, 'x')
      .ok(3, 'b');
    const result = check(h);
    expect(result.valid).toBe(true);
    expect(result.perKey.get('x')).toMatchObject({ ops: 4, infoOps: 1 });
  });

  it('a write whose completion the history never saw is indeterminate', () => {
    const h = history().write(1, 'x', 'a').read(2, 'x').ok(2, null).read(2, 'x').ok(2, 'a');
    expect(check(h).valid).toBe(true);
  });

  it('a failed write never takes effect', () => {
    const failedWrite = () => history().write(1, 'x', 'a').fail(1).read(2, 'x');
    expect(check(failedWrite().ok(2, null)).valid).toBe(true);
    const readIt = check(failedWrite().ok(2, 'a'));
    expect(readIt.valid).toBe(false);
    expect(readIt.perKey.get('x')?.dropped).toBe(1);
  });

  it('an indeterminate read is dropped: it observed nothing we know of', () => {
    const h = history().write(1, 'x', 'a').ok(1).read(2, 'x').info(2);
    const result = check(h);
    expect(result.valid).toBe(true);
    expect(result.perKey.get('x')).toMatchObject({ ops: 1, dropped: 1 });
  });

  it('a history with nothing but indeterminate writes', () => {
    expect(check(history().write(1, 'x', 'a').info(1).write(2, 'x', 'b')).valid).toBe(true);
  });
});

describe('non-linearizable register histories', () => {
  it('a stale read: the value of a write overwritten by a completed write', () => {
    const h = history().write(1, 'x', 'a').ok(1).write(1, 'x', 'b').ok(1).read(2, 'x').ok(2, 'a');
    const anomaly = onlyAnomaly(check(h));
    expect(anomaly.key).toBe('x');
    expect(anomaly.impossibleReads).toHaveLength(1);
    const [stale] = anomaly.impossibleReads;
    expect(stale?.read).toMatchObject({ f: 'read', value: 'a', invokeIndex: 4, completeIndex: 5 });
    expect(stale?.producers.map((op) => op.invokeIndex)).toEqual([0]);
    expect(stale?.overwrittenBy).toMatchObject({ f: 'write', value: 'b', invokeIndex: 2 });
    expect(anomaly.eventIndexes).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 5]));
    expect(anomaly.message).toContain('read → "a" (process 2, events 4–5) is impossible');
  });

  it('a read of a value whose write was invoked after the read completed', () => {
    const h = history().read(1, 'x').ok(1, 'a').write(2, 'x', 'a').ok(2);
    const anomaly = onlyAnomaly(check(h));
    expect(anomaly.impossibleReads[0]).toMatchObject({ producers: [], overwrittenBy: undefined });
    expect(anomaly.stuck.map((op) => op.invokeIndex)).toEqual([0]);
    expect(anomaly.message).toContain(
      'nothing that could produce its state began before it completed',
    );
  });

  it('an indeterminate write read before it was invoked', () => {
    const h = history().read(1, 'x').ok(1, 'a').write(2, 'x', 'a').info(2);
    expect(check(h).valid).toBe(false);
  });

  it('a read of the old value after a completed delete', () => {
    const h = history().write(1, 'x', 'a').ok(1).delete(1, 'x').ok(1).read(2, 'x').ok(2, 'a');
    expect(onlyAnomaly(check(h)).impossibleReads[0]?.overwrittenBy?.f).toBe('delete');
  });

  it('a read of an absent key after a completed write', () => {
    const h = history().write(1, 'x', 'a').ok(1).read(2, 'x').ok(2, null);
    const [impossible] = onlyAnomaly(check(h)).impossibleReads;
    expect(impossible).toMatchObject({ initialState: true, producers: [] });
  });

  it('a write applied twice: A, then B, then A again with no write of A in between', () => {
    const h = history()
      .write(1, 'x', 'A')
      .ok(1)
      .write(2, 'x', 'B')
      .ok(2)
      .read(3, 'x')
      .ok(3, 'B')
      .read(3, 'x')
      .ok(3, 'A');
    const anomaly = onlyAnomaly(check(h));
    expect(anomaly.impossibleReads[0]?.read.invokeIndex).toBe(6);
  });

  it('two readers that see concurrent writes in opposite orders (only the search can tell)', () => {
    const h = history()
      .write(1, 'x', 'a')
      .write(2, 'x', 'b')
      .read(3, 'x')
      .ok(3, 'a')
      .read(4, 'x')
      .ok(4, 'b')
      .read(3, 'x')
      .ok(3, 'b')
      .read(4, 'x')
      .ok(4, 'a')
      .ok(1)
      .ok(2);
    const anomaly = onlyAnomaly(check(h));
    expect(anomaly.impossibleReads).toEqual([]);
    // The witness: a linearizable prefix, then operations none of which can follow it.
    expect(anomaly.prefix.length).toBeGreaterThan(0);
    expect(anomaly.stuck.length).toBeGreaterThan(0);
    const states = anomaly.prefix.reduce<string | null>((state, op) => {
      const { ok, next } = registerModel.step(state, op);
      expect(ok).toBe(true);
      return next;
    }, null);
    expect(registerModel.describeState(states)).toBe(anomaly.stateAfterPrefix);
    for (const op of anomaly.stuck) {
      expect(anomaly.eventIndexes).toContain(op.invokeIndex);
    }
    expect(anomaly.message).toContain('none of these can come next');
  });

  it('a concurrent delete seen by one read and undone for the next (only the search can tell)', () => {
    const h = history()
      .write(1, 'x', 'a')
      .ok(1)
      .delete(1, 'x')
      .read(2, 'x')
      .ok(2, null)
      .read(2, 'x')
      .ok(2, 'a')
      .ok(1);
    const anomaly = onlyAnomaly(check(h));
    expect(anomaly.impossibleReads).toEqual([]);
    expect(anomaly.stuck.some((op) => op.f === 'read')).toBe(true);
  });
});

describe('keys are checked independently', () => {
  it('operations on different keys do not constrain each other', () => {
    const h = history().write(1, 'x', 'a').ok(1).read(2, 'y').ok(2, null).read(2, 'x').ok(2, 'a');
    const result = check(h);
    expect(result.valid).toBe(true);
    expect([...result.perKey.keys()]).toEqual(['x', 'y']);
  });

  it('an anomaly on one key does not make another key invalid', () => {
    const h = history()
      .write(1, 'x', 'a')
      .ok(1)
      .write(1, 'y', 'b')
      .ok(1)
      .write(1, 'y', 'c')
      .ok(1)
      .read(2, 'x')
      .ok(2, 'a')
      .read(2, 'y')
      .ok(2, 'b');
    const result = check(h);
    expect(result.valid).toBe(false);
    expect(result.perKey.get('x')?.valid).toBe(true);
    expect(result.perKey.get('y')?.valid).toBe(false);
    expect(result.anomalies.map((a) => a.key)).toEqual(['y']);
  });
});

/**
 * Many writes, all concurrent, then two reads of two of them in a row: the
 * search must rule out every order of the writes before it can say no.
 */
function hardHistory(writes: number): HistoryBuilder {
  const h = history();
  for (let p = 0; p < writes; p++) h.write(p, 'x', `v${p}`);
  for (let p = 0; p < writes; p++) h.ok(p);
  return h.read(writes, 'x').ok(writes, 'v0').read(writes, 'x').ok(writes, 'v1');
}

describe('budgets', () => {
  it('a hard history is decided when the budget allows', () => {
    const result = check(hardHistory(10));
    expect(result.valid).toBe(false);
    expect(result.perKey.get('x')?.steps).toBeGreaterThan(1_000);
  });

  it('out of steps, the answer is unknown, not a guess', () => {
    const result = check(hardHistory(10), { maxSteps: 100 });
    expect(result.valid).toBe('unknown');
    expect(result.anomalies).toEqual([]);
    expect(result.perKey.get('x')).toMatchObject({ valid: 'unknown', exceeded: 'steps' });
  });

  it('out of time, the answer is unknown', () => {
    const result = check(hardHistory(16), { maxMillis: 0 });
    expect(result.perKey.get('x')).toMatchObject({ valid: 'unknown', exceeded: 'time' });
  });

  it('an unknown key does not hide an invalid one', () => {
    const h = hardHistory(10).write(0, 'y', 'a').ok(0).write(0, 'y', 'b').ok(0).read(1, 'y');
    const result = check(h.ok(1, 'a'), { maxSteps: 100 });
    expect(result.valid).toBe(false);
    expect(result.perKey.get('x')?.valid).toBe('unknown');
  });
});
