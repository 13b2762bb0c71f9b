/** summarize: counts, latencies, unavailability windows (ends included), recovery and verdict. */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../jepsen-lite/checker/history.js';
import { summarize, type SummaryInput } from '../../jepsen-lite/summary.js';

/** A history of single-process operations: [f, invoke ms, complete ms, outcome]. */
function history(ops: Array<[string, number, number, 'ok' | 'fail' | 'info']>): HistoryEvent[] {
  const events: Array<Omit<HistoryEvent, 'index'>> = [];
  ops.forEach(([f, invoke, complete, type], process) => {
    events.push({ process, type: 'invoke', f, key: 'k', value: `v${process}`, time: invoke });
    events.push({ process, type, f, key: 'k', time: complete });
  });
  return events
    .sort((a, b) => a.time - b.time)
    .map((e, index) => ({ ...e, index }) as HistoryEvent);
}

function input(events: HistoryEvent[], extra: Partial<SummaryInput> = {}): SummaryInput {
  return {
    events,
    anomalies: [],
    checks: { linearizable: { valid: true, summary: '' } },
    faults: [],
    healedAt: 5_000,
    clientsStoppedAt: 9_000,
    meta: {
      workload: 'register',
      nemeses: ['kill'],
      seed: 1,
      nodes: 3,
      timeSeconds: 5,
      startedAt: '2026-11-30T00:00:00Z',
      unsafeFlags: [],
    },
    ...extra,
  };
}

describe('summarize', () => {
  const events = history([
    ['write', 0, 10, 'ok'],
    ['read', 20, 25, 'ok'],
    ['write', 30, 4_000, 'info'],
    ['write', 3_000, 3_010, 'fail'],
    ['write', 5_100, 5_300, 'ok'],
    ['read', 5_400, 5_420, 'ok'],
  ]);

  it('counts outcomes per function and in total, and latencies of ok operations', () => {
    const r = summarize(input(events));
    expect(r.counts.total).toEqual({ ok: 4, fail: 1, info: 1 });
    expect(r.counts.byFunction['write']).toEqual({ ok: 2, fail: 1, info: 1 });
    expect(r.latency['write']).toMatchObject({ count: 2, max: 200 });
    expect(r.latency['read']).toMatchObject({ count: 2, p50: 20, max: 20 });
  });

  it('finds gaps without success, at the end too, and the recovery after the heal', () => {
    const r = summarize(input(events));
    expect(r.unavailability).toEqual([
      { start: 25, end: 5_300, durationMs: 5_275 },
      { start: 5_420, end: 9_000, durationMs: 3_580 },
    ]);
    expect(r.recoveryAfterHealMs).toBe(300);
  });

  it('has no recovery when no write succeeded after the heal', () => {
    expect(summarize(input(events, { healedAt: 6_000 })).recoveryAfterHealMs).toBeNull();
  });

  it('is invalid with an anomaly or a failed check, unknown with an undecided one', () => {
    expect(summarize(input(events)).valid).toBe(true);
    const anomaly = { kind: 'lost', phase: 'final', message: 'm', events: [] };
    expect(summarize(input(events, { anomalies: [anomaly] })).valid).toBe(false);
    expect(
      summarize(input(events, { checks: { a: { valid: 'unknown', summary: '' } } })).valid,
    ).toBe('unknown');
    expect(
      summarize(
        input(events, {
          checks: { a: { valid: 'unknown', summary: '' }, b: { valid: false, summary: '' } },
        }),
      ).valid,
    ).toBe(false);
  });
});
