/**
 * The set checker: every acknowledged insert present exactly once, nothing never
 * attempted, no failed insert present; indeterminate inserts go either way; and
 * the final reads agree with each other.
 */
import { describe, expect, it } from 'vitest';
import {
  checkSet,
  insertAttempts,
  pairOperations,
  SetInputError,
  type InsertAttempt,
  type SetReadReport,
} from '../../jepsen-lite/checker/index.js';
import { history } from './history-builder.js';

const attempts: InsertAttempt[] = [
  { id: 'p1', outcome: 'ok' },
  { id: 'p2', outcome: 'ok' },
  { id: 'p3', outcome: 'fail' },
  { id: 'p4', outcome: 'info' },
  { id: 'p5', outcome: 'info' },
];

function onlyRead(ids: string[]): SetReadReport {
  const result = checkSet(attempts, { get: ids });
  expect(result.reads).toHaveLength(1);
  return result.reads[0] as SetReadReport;
}

describe('checkSet', () => {
  it('a read with every acknowledged insert, once, is valid, whatever became of the indeterminate ones', () => {
    for (const ids of [
      ['p1', 'p2'],
      ['p2', 'p1', 'p4'],
      ['p1', 'p4', 'p5', 'p2'],
    ]) {
      const result = checkSet(attempts, { get: ids });
      expect(result.valid).toBe(true);
    }
  });

  it('counts what it saw', () => {
    expect(onlyRead(['p1', 'p2', 'p4']).counts).toEqual({
      attempted: 5,
      acknowledged: 2,
      failed: 1,
      indeterminate: 2,
      present: 3,
      lost: 0,
      unexpected: 0,
      duplicated: 0,
      failedButPresent: 0,
      recovered: 1,
    });
  });

  it('an acknowledged insert missing is lost', () => {
    const read = onlyRead(['p1']);
    expect(read).toMatchObject({ valid: false, lost: ['p2'] });
    expect(read.counts.lost).toBe(1);
  });

  it('an id never attempted is unexpected', () => {
    expect(onlyRead(['p1', 'p2', 'p9'])).toMatchObject({ valid: false, unexpected: ['p9'] });
  });

  it('an id seen twice is duplicated', () => {
    expect(onlyRead(['p1', 'p2', 'p1'])).toMatchObject({ valid: false, duplicated: ['p1'] });
  });

  it('a failed insert that is present is an anomaly: fail must mean not applied', () => {
    expect(onlyRead(['p1', 'p2', 'p3'])).toMatchObject({ valid: false, failedButPresent: ['p3'] });
  });

  it('an indeterminate insert that is present is recovered, which is fine', () => {
    expect(onlyRead(['p1', 'p2', 'p5'])).toMatchObject({ valid: true, recovered: ['p5'] });
  });

  it('final reads that disagree are reported, and make the check fail', () => {
    const result = checkSet(attempts, {
      get: ['p1', 'p2', 'p4'],
      scroll: ['p1', 'p2', 'p4'],
      search: ['p1', 'p2', 'p5'],
    });
    expect(result.reads.every((r) => r.valid)).toBe(true);
    expect(result.valid).toBe(false);
    expect(result.disagreements).toEqual([
      { reference: 'get', other: 'search', missing: ['p4'], extra: ['p5'] },
    ]);
  });

  it('rejects unusable input with a typed error', () => {
    expect(() => checkSet(attempts, {})).toThrow(SetInputError);
    const twice = [...attempts, { id: 'p1', outcome: 'fail' as const }];
    expect(() => checkSet(twice, { get: [] })).toThrow(/attempted twice/);
  });
});

describe('insertAttempts', () => {
  it('takes the insert operations of a history, with their outcomes', () => {
    const h = history()
      .invoke(1, 'insert', 'set', 'p1')
      .invoke(2, 'insert', 'set', 'p2')
      .ok(1)
      .info(2)
      .invoke(3, 'insert', 'set', 'p3')
      .fail(3)
      .invoke(4, 'final-read', 'set')
      .ok(4);
    expect(insertAttempts(pairOperations(h.events))).toEqual([
      { id: 'p1', outcome: 'ok' },
      { id: 'p2', outcome: 'info' },
      { id: 'p3', outcome: 'fail' },
    ]);
  });

  it('rejects an insert without an id', () => {
    const h = history().invoke(1, 'insert', 'set').ok(1);
    let error: unknown;
    try {
      insertAttempts(pairOperations(h.events));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SetInputError);
    expect((error as SetInputError).reason).toBe('insert-without-id');
  });
});
