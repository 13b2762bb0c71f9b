/**
 * What the report page's script draws, prepared here in typed code: the history
 * paired into operations, one lane per process, the fault windows, and where the
 * anomalies' `op-<index>` anchors go. It is embedded in the page as JSON.
 */
import type { HistoryEvent } from '../checker/history.js';
import type { FaultWindow, RunResults } from '../results.js';
import { COLOURS, type Colours } from './style.js';

/** Operation names that only read: final reads of every workload, reads and searches. */
const READ_ONLY = /^(read|search|final-.*)$/;

/** One client operation as the page draws it: a bar in its process's lane. */
export interface TimelineOp {
  /** Position of the process in ReportData.processes. */
  lane: number;
  f: string;
  outcome: 'ok' | 'fail' | 'info';
  /** Invoke time, ms since run start. */
  start: number;
  /** The completion event's time (for info: when the client gave up); null: never completed. */
  end: number | null;
  invokeIndex: number;
  completeIndex?: number;
  key?: string;
  /** What the invoke carried: the value written. */
  value?: string | null;
  /** What an ok completion carried: the value read (null: the key was absent). */
  result?: string | null;
  node?: string;
  error?: string;
  /**
   * Whether an indeterminate outcome leaves the operation open to the end of the run:
   * a write may still take effect; a read (or search) has no effect to wait for.
   */
  mayTakeEffectLater: boolean;
}

export interface ReportData {
  /** The time axis, ms since run start: from 0 (or the earliest event) to the last thing seen. */
  startTime: number;
  endTime: number;
  /** Process ids, ascending: lane i is processes[i]. */
  processes: number[];
  /** Operation functions in order of first appearance (the order of their colours). */
  functions: string[];
  /** Nemeses in order of first appearance (the order of their colours). */
  nemeses: string[];
  ops: TimelineOp[];
  faults: FaultWindow[];
  /** [history index an anomaly names, position in ops of the operation holding that event]. */
  anchors: Array<[number, number]>;
  colours: Colours;
}

export interface PairedHistory {
  /** Process ids, ascending: lane i is processes[i]. */
  processes: number[];
  ops: TimelineOp[];
  /** History index (of an invoke or a completion) to the position of its operation in ops. */
  opOfEvent: Map<number, number>;
}

/**
 * Pairs each invoke with its process's next completion, like the checker's
 * pairOperations, but never throws: the report must still draw a history the
 * checker rejected as malformed, as that is when someone most needs to look at it.
 * A completion with no outstanding invoke has nothing to draw and is left out; an
 * invoke while another is outstanding leaves the earlier one never completed.
 */
export function pairForReport(events: readonly HistoryEvent[]): PairedHistory {
  const processes = [...new Set(events.map((e) => e.process))].sort((a, b) => a - b);
  const lanes = new Map(processes.map((p, i) => [p, i]));
  const ops: TimelineOp[] = [];
  const opOfEvent = new Map<number, number>();
  const outstanding = new Map<number, number>();

  for (const event of events) {
    const lane = lanes.get(event.process) ?? 0;
    if (event.type === 'invoke') {
      outstanding.set(event.process, ops.length);
      opOfEvent.set(event.index, ops.length);
      ops.push({
        lane,
        f: event.f,
        outcome: 'info',
        start: event.time,
        end: null,
        invokeIndex: event.index,
        key: event.key,
        value: event.value,
        mayTakeEffectLater: !READ_ONLY.test(event.f),
      });
      continue;
    }
    const position = outstanding.get(event.process);
    const op = position === undefined ? undefined : ops[position];
    if (position === undefined || op === undefined) continue;
    outstanding.delete(event.process);
    opOfEvent.set(event.index, position);
    op.outcome = event.type === 'ok' || event.type === 'fail' ? event.type : 'info';
    op.end = event.time;
    op.completeIndex = event.index;
    op.node = event.node;
    op.error = event.error;
    if (event.type === 'ok' && event.value !== undefined && event.value !== op.value) {
      op.result = event.value;
    }
  }
  return { processes, ops, opOfEvent };
}

export function buildReportData(
  results: RunResults,
  events: readonly HistoryEvent[],
  paired: PairedHistory = pairForReport(events),
): ReportData {
  const times = [
    0,
    ...events.map((e) => e.time),
    ...results.faults.flatMap((w) => (w.end === null ? [w.start] : [w.start, w.end])),
    ...results.unavailability.map((w) => w.end),
  ];
  const startTime = times.reduce((a, b) => Math.min(a, b));
  const lastTime = times.reduce((a, b) => Math.max(a, b));

  const anchors: Array<[number, number]> = [];
  const anchored = new Set<number>();
  for (const anomaly of results.anomalies) {
    for (const index of anomaly.events) {
      const position = paired.opOfEvent.get(index);
      if (position === undefined || anchored.has(index)) continue;
      anchored.add(index);
      anchors.push([index, position]);
    }
  }

  return {
    startTime,
    endTime: lastTime > startTime ? lastTime : startTime + 1,
    processes: paired.processes,
    functions: [...new Set(events.map((e) => e.f))],
    nemeses: [...new Set(results.faults.map((w) => w.nemesis))],
    ops: paired.ops,
    faults: results.faults,
    anchors,
    colours: COLOURS,
  };
}
