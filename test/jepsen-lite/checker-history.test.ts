/**
 * Pairing a runner's history into operations, and rejecting malformed histories
 * with a typed error rather than checking nonsense.
 */
import { describe, expect, it } from 'vitest';
import {
  MalformedHistoryError,
  pairOperations,
  registerModel,
  UnsupportedOperationError,
  type HistoryEvent,
  type MalformedReason,
  type Operation,
} from '../../jepsen-lite/checker/index.js';
import { history } from './history-builder.js';

function expectMalformed(events: readonly HistoryEvent[], reason: MalformedReason, at: number) {
  let error: unknown;
  try {
    pairOperations(events);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MalformedHistoryError);
  const malformed = error as MalformedHistoryError;
  expect(malformed.reason).toBe(reason);
  expect(malformed.event.index).toBe(at);
  expect(malformed.message).toContain(`event ${at}`);
}

describe('pairOperations', () => {
  it('pairs each invoke with its completion: a write keeps its input, a read takes its output', () => {
    const h = history().write(1, 'x', 'a').read(2, 'x').ok(1).ok(2, 'a').read(1, 'x').ok(1, null);
    const ops = pairOperations(h.events);
    expect(ops).toEqual([
      expect.objectContaining({ process: 1, f: 'write', key: 'x', value: 'a', outcome: 'ok' }),
      expect.objectContaining({ process: 2, f: 'read', value: 'a', outcome: 'ok' }),
      expect.objectContaining({ process: 1, f: 'read', value: null, outcome: 'ok' }),
    ]);
    expect(ops[0]).toMatchObject({
      invokeIndex: 0,
      completeIndex: 2,
      invokeTime: 0,
      completeTime: 2,
    });
  });

  it('keeps failed operations, and gives indeterminate ones an unbounded completion time', () => {
    const h = history().write(1, 'x', 'a').fail(1).write(2, 'x', 'b').info(2);
    const [failed, indeterminate] = pairOperations(h.events);
    expect(failed).toMatchObject({ outcome: 'fail', completeTime: 1, completeIndex: 1 });
    expect(indeterminate).toMatchObject({
      outcome: 'info',
      completeTime: Infinity,
      completeIndex: 3,
    });
  });

  it('treats an invoke that never completed as indeterminate', () => {
    const h = history().write(1, 'x', 'a').read(2, 'x').ok(2, null);
    const [write] = pairOperations(h.events);
    expect(write).toMatchObject({
      outcome: 'info',
      completeTime: Infinity,
      completeIndex: undefined,
    });
  });

  it('carries the error and the answering node of the completion', () => {
    const events: HistoryEvent[] = [
      { index: 0, process: 1, type: 'invoke', f: 'write', key: 'x', value: 'a', time: 0 },
      {
        index: 1,
        process: 1,
        type: 'fail',
        f: 'write',
        key: 'x',
        time: 1,
        error: 'no leader',
        node: 'n2',
      },
    ];
    expect(pairOperations(events)[0]).toMatchObject({ error: 'no leader', node: 'n2' });
  });
});

describe('malformed histories', () => {
  it('a completion with no invoke', () => {
    expectMalformed(
      history().write(1, 'x', 'a').ok(1).ok(1).events,
      'completion-without-invoke',
      2,
    );
  });

  it('a second invoke while the process has an operation outstanding', () => {
    expectMalformed(
      history().write(1, 'x', 'a').read(1, 'x').events,
      'invoke-while-outstanding',
      1,
    );
  });

  it('a process invoking again after an indeterminate completion', () => {
    expectMalformed(
      history().write(1, 'x', 'a').info(1).read(1, 'x').events,
      'invoke-after-info',
      2,
    );
  });

  it('a completion of another function, or for another key, than its invoke', () => {
    const events = history().write(1, 'x', 'a').events;
    expectMalformed(
      [...events, { index: 1, process: 1, type: 'ok', f: 'read', key: 'x', time: 1 }],
      'completion-mismatch',
      1,
    );
    expectMalformed(
      [...events, { index: 1, process: 1, type: 'ok', f: 'write', key: 'y', time: 1 }],
      'completion-mismatch',
      1,
    );
  });

  it('indexes that do not increase, and time that goes backwards', () => {
    const events = history().write(1, 'x', 'a').write(2, 'x', 'b').events;
    expectMalformed(
      [events[0] as HistoryEvent, { ...(events[1] as HistoryEvent), index: 0 }],
      'index-not-increasing',
      0,
    );
    expectMalformed(
      [events[0] as HistoryEvent, { ...(events[1] as HistoryEvent), time: -5 }],
      'time-goes-backwards',
      1,
    );
  });

  it('an event type the format does not have', () => {
    const event = { index: 0, process: 1, type: 'done', f: 'write', time: 0 };
    expectMalformed([event as unknown as HistoryEvent], 'unknown-event-type', 0);
  });
});

describe('the register model', () => {
  it('rejects operations it does not know, and writes without a value, with a typed error', () => {
    const [cas] = pairOperations(history().invoke(1, 'cas', 'x', 'a').ok(1).events);
    const [write] = pairOperations(history().invoke(1, 'write', 'x').ok(1).events);
    expect(() => registerModel.step(null, cas as Operation)).toThrow(UnsupportedOperationError);
    expect(() => registerModel.step(null, write as Operation)).toThrow(/must carry a string value/);
  });
});
