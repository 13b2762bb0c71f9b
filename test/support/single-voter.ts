/**
 * One real RaftRuntime as a single voter over in-memory ports, elected leader: for
 * runtime tests of what a leader does on its own (snapshots, here). The state machine
 * counts applied entries; the caller brings the snapshot store and may bring a log.
 */
import { expect } from 'vitest';
import type { LogStorage, SnapshotStore, StateMachine } from '../../src/raft/runtime/ports.js';
import { RaftRuntime } from '../../src/raft/runtime/raft-runtime.js';
import type { SnapshotPolicy } from '../../src/raft/runtime/snapshotting.js';
import { ManualClock } from './manual-clock.js';
import { MemoryLog } from './memory-raft-log.js';

const TICK = 10;
const ELECTION_TICK = 10;

/** A state machine whose result for an entry is its index. */
export class Counter implements StateMachine<number> {
  appliedIndex = 0;
  apply(first: number, payloads: readonly Uint8Array[]): Promise<number[]> {
    const indexes = payloads.map((_, k) => first + k);
    this.appliedIndex = indexes.at(-1) ?? this.appliedIndex;
    return Promise.resolve(indexes);
  }
}

/** Resolves once the promises and I/O callbacks queued now have run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Opens the runtime with `store` and `snapshots` as its policy, and waits until it leads. */
export async function openSingleVoter<S extends SnapshotStore>(options: {
  stateMachine: Counter;
  store: S;
  snapshots: Partial<SnapshotPolicy>;
  log?: LogStorage;
}): Promise<RaftRuntime<number>> {
  const clock = new ManualClock();
  const raft = await RaftRuntime.open<number>(
    {
      id: 'a',
      peers: new Map([['a', 'a:1']]),
      timing: { tickMs: TICK, electionTick: ELECTION_TICK, heartbeatTick: 1 },
      maxEntryBytes: 1024,
      snapshots: options.snapshots,
    },
    {
      log: options.log ?? new MemoryLog(),
      stateMachine: options.stateMachine,
      transport: { send: () => {}, close: () => {} },
      clock,
      random: () => 0,
      snapshots: {
        store: options.store,
        sender: { sendSnapshot: () => Promise.resolve({ installed: false, reason: 'not used' }) },
      },
    },
  );
  clock.advance(ELECTION_TICK * TICK);
  await settle();
  expect(raft.status().role).toBe('leader');
  return raft;
}
