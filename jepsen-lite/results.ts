/**
 * What a jepsen-lite run writes to `results.json`: the verdict, what was done to
 * the cluster and when, and the figures a reader checks first. Times are
 * milliseconds since the run started (the same clock as history.jsonl).
 */

/** One fault, from when the nemesis applied it to when it healed it (null: never healed). */
export interface FaultWindow {
  /** The nemesis that caused it: kill, pause, partition, delay, drop. */
  nemesis: string;
  /** What exactly, e.g. "partition majorities-ring (stall)" or "kill n2 (leader)". */
  detail: string;
  /** Node ids it touched. */
  nodes: string[];
  start: number;
  end: number | null;
}

/** Something the checkers found wrong, with the history events that show it. */
export interface Anomaly {
  /** e.g. "non-linearizable", "lost", "unexpected", "duplicated", "failed-but-present", "node-disagreement". */
  kind: string;
  /** The phase that found it: "history", "final-read", "after-restart", "per-node". */
  phase: string;
  /** The register key or point id concerned, when there is one. */
  key?: string;
  message: string;
  /** Indexes into history.jsonl (HistoryEvent.index) of the operations involved. */
  events: number[];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** A stretch of time with no successful operation of any client, longer than the threshold. */
export interface UnavailabilityWindow {
  start: number;
  end: number;
  durationMs: number;
}

export interface OutcomeCounts {
  ok: number;
  fail: number;
  info: number;
}

export interface RunResults {
  /** false if any anomaly; 'unknown' if a checker ran out of budget and nothing else failed. */
  valid: boolean | 'unknown';
  workload: string;
  nemeses: string[];
  seed: number;
  nodes: number;
  /** Requested length of the fault phase, in seconds. */
  timeSeconds: number;
  /** Wall-clock start, ISO 8601, for the reader only. */
  startedAt: string;
  /** Outcomes per operation function (f), and in total. */
  counts: { total: OutcomeCounts; byFunction: Record<string, OutcomeCounts> };
  anomalies: Anomaly[];
  faults: FaultWindow[];
  /** Latency of ok operations per function, in ms. */
  latency: Record<string, LatencySummary>;
  unavailability: UnavailabilityWindow[];
  /** From the final heal to the first ok write after it (null: none). */
  recoveryAfterHealMs: number | null;
  /** Each check's verdict and a one-line summary, by phase. */
  checks: Record<string, { valid: boolean | 'unknown'; summary: string }>;
  /** Server flags that break safety on purpose (empty in a real run). */
  unsafeFlags: string[];
}
