/**
 * Trace points along a write's commit path, for `npm run bench -- commit-path`, which
 * shows where a single write's latency goes stage by stage (client hop, proposal,
 * replication, fsyncs, apply). Off unless RAFTVEC_COMMIT_TRACE names a file prefix: then
 * each process appends `stage logIndex timeMs` lines to `<prefix>.<node id>.<pid>`.
 * Stamped with the machine's monotonic clock (CLOCK_MONOTONIC through process.hrtime),
 * which every process on one machine shares: `performance.timeOrigin` is fixed from the
 * wall clock when each process starts, so two processes can disagree by however much the
 * wall clock was adjusted in between (12 ms seen on these VMs).
 */
import { openSync, writeSync } from 'node:fs';
import type { Message } from './raft/types.js';

/** The points a write passes, in order (see bench/commit-path.ts for the spans between them). */
export type CommitTracePoint =
  | 'serviceIn'
  | 'serviceOut'
  | 'proposed'
  | 'appendSent'
  | 'appendReceived'
  | 'persistStart'
  | 'persistEnd'
  | 'responseSent'
  | 'responseReceived'
  | 'committed'
  | 'stateWriteStart'
  | 'stateWriteEnd'
  | 'applied';

/** Lines held before a write to the file: tracing costs a syscall per this many points. */
const FLUSH_EVERY = 2000;

const prefix = process.env.RAFTVEC_COMMIT_TRACE;
let file: number | undefined;
let held: string[] = [];

function flush(): void {
  if (file === undefined || held.length === 0) return;
  writeSync(file, held.join('\n') + '\n');
  held = [];
}

if (prefix !== undefined && prefix !== '') {
  const idAt = process.argv.indexOf('--id');
  const nodeId = idAt >= 0 ? process.argv[idAt + 1] : 'node';
  file = openSync(`${prefix}.${nodeId}.${process.pid}`, 'a');
  process.on('exit', flush);
}

/** Whether trace points are recorded (check before computing what a point needs). */
export const commitTraceOn = file !== undefined;

/** The time a point is stamped with: ms on the machine's monotonic clock, sub-millisecond. */
export const commitTraceNow = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Records that the write at `logIndex` passed `point` (at `atMs`, by default now). */
export function commitTrace(point: CommitTracePoint, logIndex: number, atMs?: number): void {
  if (file === undefined) return;
  held.push(`${point} ${logIndex} ${(atMs ?? commitTraceNow()).toFixed(3)}`);
  if (held.length >= FLUSH_EVERY) flush();
}

/**
 * Records the replication messages among `messages`, `sent` or received: appends that
 * carry entries (by their last index) and successful answers (by their match index).
 */
export function traceReplication(messages: readonly Message[], sent: boolean): void {
  for (const m of messages) {
    if (m.type === 'AppendEntries' && m.entries.length > 0)
      commitTrace(sent ? 'appendSent' : 'appendReceived', m.entries.at(-1)!.index);
    else if (m.type === 'AppendEntriesResponse' && m.success)
      commitTrace(sent ? 'responseSent' : 'responseReceived', m.matchIndex);
  }
}
