/** What every workload provides to the runner (run.ts). */
import type { HistoryEvent } from '../checker/history.js';
import type { NodeClients } from '../node-client.js';
import type { HistoryRecorder } from '../recorder.js';
import type { Rng } from '../random.js';
import type { Anomaly } from '../results.js';
import type { Worker, WorkerContext } from '../worker.js';

export interface WorkloadEnv {
  clients: NodeClients;
  recorder: HistoryRecorder;
  nodes: readonly string[];
  workerContext: WorkerContext;
  /** The run's random source, to fork from. */
  random: Rng;
}

export interface CheckReport {
  checks: Record<string, { valid: boolean | 'unknown'; summary: string }>;
  anomalies: Anomaly[];
}

export interface Workload {
  readonly name: string;
  /** Creates what the workload needs (its collection), before any fault. */
  setup(env: WorkloadEnv): Promise<void>;
  /** One client's operations, until `stopped()`. */
  runClient(worker: Worker, random: Rng, stopped: () => boolean): Promise<void>;
  /**
   * Reads everything the checks need from the healed cluster, recorded in the
   * history under `phase` ("final", then "after-restart"). Throws if the cluster
   * does not answer in time: that is an availability failure of its own.
   */
  finalReads(env: WorkloadEnv, phase: string): Promise<void>;
  /** Checks the whole history. */
  check(events: readonly HistoryEvent[]): CheckReport;
}
