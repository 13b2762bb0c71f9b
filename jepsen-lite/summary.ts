/** Turns a checked history into results.json: counts, latencies, unavailability, recovery. */
import type { HistoryEvent } from './checker/history.js';
import { pairOperations } from './checker/history.js';
import type {
  Anomaly,
  FaultWindow,
  LatencySummary,
  OutcomeCounts,
  RunResults,
  UnavailabilityWindow,
} from './results.js';

/** A gap longer than this without any successful client operation counts as unavailability. */
export const UNAVAILABLE_AFTER_MS = 1_000;

export interface SummaryInput {
  events: readonly HistoryEvent[];
  anomalies: Anomaly[];
  checks: RunResults['checks'];
  faults: FaultWindow[];
  /** When the nemesis healed everything (ms since the start). */
  healedAt: number;
  /** When the clients stopped: later operations are the final reads, after a deliberate full-cluster kill. */
  clientsStoppedAt: number;
  meta: Pick<
    RunResults,
    'workload' | 'nemeses' | 'seed' | 'nodes' | 'timeSeconds' | 'startedAt' | 'unsafeFlags'
  >;
}

function percentiles(values: number[]): LatencySummary {
  values.sort((a, b) => a - b);
  const at = (p: number): number =>
    values.length === 0 ? 0 : values[Math.min(values.length - 1, Math.floor(p * values.length))]!;
  const round = (v: number): number => Math.round(v * 100) / 100;
  return {
    count: values.length,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(values.at(-1) ?? 0),
  };
}

export function summarize(input: SummaryInput): RunResults {
  const operations = pairOperations(input.events);
  const total: OutcomeCounts = { ok: 0, fail: 0, info: 0 };
  const byFunction: Record<string, OutcomeCounts> = {};
  const latencies = new Map<string, number[]>();
  for (const op of operations) {
    total[op.outcome]++;
    (byFunction[op.f] ??= { ok: 0, fail: 0, info: 0 })[op.outcome]++;
    if (op.outcome === 'ok') {
      let list = latencies.get(op.f);
      if (list === undefined) latencies.set(op.f, (list = []));
      list.push(op.completeTime - op.invokeTime);
    }
  }
  const latency: Record<string, LatencySummary> = {};
  for (const [f, list] of latencies) latency[f] = percentiles(list);

  // Gaps between successes of the clients' operations, while they ran: from the first
  // invoke to the clients' stop, so an outage at either end counts too.
  const successes = operations
    .filter((op) => op.outcome === 'ok' && op.completeTime <= input.clientsStoppedAt)
    .map((op) => op.completeTime)
    .sort((a, b) => a - b);
  const marks = [input.events[0]?.time ?? 0, ...successes, input.clientsStoppedAt];
  const unavailability: UnavailabilityWindow[] = [];
  for (let i = 1; i < marks.length; i++) {
    const gap = marks[i]! - marks[i - 1]!;
    if (gap > UNAVAILABLE_AFTER_MS)
      unavailability.push({
        start: Math.round(marks[i - 1]!),
        end: Math.round(marks[i]!),
        durationMs: Math.round(gap),
      });
  }
  const firstWriteAfterHeal = operations
    .filter(
      (op) =>
        op.outcome === 'ok' &&
        op.completeTime >= input.healedAt &&
        !op.f.startsWith('final') &&
        op.f !== 'read' &&
        op.f !== 'search',
    )
    .reduce((min, op) => Math.min(min, op.completeTime), Infinity);

  const verdicts = Object.values(input.checks).map((c) => c.valid);
  const valid =
    input.anomalies.length > 0 || verdicts.includes(false)
      ? false
      : verdicts.includes('unknown')
        ? 'unknown'
        : true;
  return {
    valid,
    ...input.meta,
    counts: { total, byFunction },
    anomalies: input.anomalies,
    faults: input.faults,
    latency,
    unavailability,
    recoveryAfterHealMs: Number.isFinite(firstWriteAfterHeal)
      ? Math.round(firstWriteAfterHeal - input.healedAt)
      : null,
    checks: input.checks,
  };
}
