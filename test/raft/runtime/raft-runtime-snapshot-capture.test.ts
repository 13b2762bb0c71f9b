/**
 * A snapshot holds applies only while the state is captured (SnapshotStore.capture):
 * writing the capture out runs while entries are applied again, the log is compacted
 * only once the snapshot is written, an install waits for a write still in progress,
 * and close() waits for it. Writing out a large state used to hold every write for
 * seconds. One real runtime, a single voter, in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import type { SnapshotRef, SnapshotStore } from '../../../src/raft/runtime/ports.js';
import { MemoryLog } from '../../support/memory-raft-log.js';
import { Counter, openSingleVoter, settle } from '../../support/single-voter.js';

const enc = new TextEncoder();

/** A store whose captures are written out only when the test lets them. */
class HeldStore implements SnapshotStore {
  captured: number[] = [];
  private pending: Array<() => void> = [];
  constructor(private readonly stateMachine: Counter) {}
  take(): Promise<SnapshotRef> {
    return Promise.reject(new Error('capture() is offered: take() must not be used'));
  }
  capture(): Promise<() => Promise<SnapshotRef>> {
    const index = this.stateMachine.appliedIndex;
    this.captured.push(index);
    const ref = { index, folder: `snapshots/${index}`, meta: new Uint8Array() };
    return Promise.resolve(
      () => new Promise<SnapshotRef>((resolve) => this.pending.push(() => resolve(ref))),
    );
  }
  get writing(): number {
    return this.pending.length;
  }
  finishWrites(): void {
    for (const finish of this.pending.splice(0)) finish();
  }
  newest(): Promise<SnapshotRef | undefined> {
    return Promise.resolve(undefined);
  }
  install(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
}

async function openLeader() {
  const log = new MemoryLog();
  const stateMachine = new Counter();
  const store = new HeldStore(stateMachine);
  const raft = await openSingleVoter({
    stateMachine,
    store,
    log,
    snapshots: { thresholdEntries: 3, trailingEntries: 0 },
  });
  return { raft, log, stateMachine, store };
}

describe('RaftRuntime: a snapshot holds applies only for its capture', () => {
  it('writes commit and apply while a captured snapshot is written out; the log is compacted after', async () => {
    const { raft, log, stateMachine, store } = await openLeader();
    for (let i = 0; i < 3; i++) await raft.propose(enc.encode(`w${i}`), 60_000);
    await settle();
    expect(store.captured).toHaveLength(1);
    expect(store.writing).toBe(1);
    const capturedAt = store.captured[0]!;

    // The write-out is held: writes still commit and apply, past the captured index.
    for (let i = 0; i < 5; i++) {
      const outcome = await raft.propose(enc.encode(`x${i}`), 60_000);
      expect(outcome.result).toBe(outcome.logIndex);
    }
    expect(stateMachine.appliedIndex).toBeGreaterThan(capturedAt + 4);
    // Not compacted behind a snapshot that is not written yet.
    expect(log.compactedTo).toBe(0);
    expect(raft.status().snapshotIndex).toBe(0);

    store.finishWrites();
    await settle();
    await settle();
    expect(log.compactedTo).toBe(capturedAt);
    expect(raft.status().snapshotIndex).toBe(capturedAt);
    await raft.close();
  });

  it('close() waits for a snapshot still being written out', async () => {
    const { raft, store } = await openLeader();
    for (let i = 0; i < 3; i++) await raft.propose(enc.encode(`w${i}`), 60_000);
    await settle();
    expect(store.writing).toBe(1);
    let closed = false;
    const closing = raft.close().then(() => (closed = true));
    await settle();
    await settle();
    expect(closed).toBe(false);
    store.finishWrites();
    await closing;
    expect(closed).toBe(true);
  });
});
