/**
 * When a snapshot is taken: after `thresholdBytes` of payload at first, then after a
 * log as large as the last snapshot (`thresholdGrowth` times its size, never more than
 * `maxThresholdBytes`). A fixed threshold copied a growing state again every 64 MiB of
 * a bulk load. One real runtime, a single voter, in-memory ports.
 */
import { describe, expect, it } from 'vitest';
import type { Entry, HardState } from '../../../src/raft/index.js';
import type {
  LogStorage,
  PersistedLog,
  SnapshotRef,
  SnapshotStore,
} from '../../../src/raft/runtime/ports.js';
import type { RaftRuntime } from '../../../src/raft/runtime/raft-runtime.js';
import { MemoryLog } from '../../support/memory-raft-log.js';
import { Counter, openSingleVoter, settle } from '../../support/single-voter.js';

/** Every proposal's payload. */
const PAYLOAD = new Uint8Array(50);

/** A store whose snapshots say they are `sizes[k]` bytes (the k-th one taken). */
class SizedStore implements SnapshotStore {
  taken: number[] = [];
  constructor(
    private readonly stateMachine: Counter,
    private readonly sizes: number[],
    private readonly existing?: SnapshotRef,
  ) {}
  take(): Promise<SnapshotRef> {
    const index = this.stateMachine.appliedIndex;
    const bytes = this.sizes[this.taken.length];
    this.taken.push(index);
    return Promise.resolve({ index, folder: `snapshots/${index}`, meta: new Uint8Array(), bytes });
  }
  newest(): Promise<SnapshotRef | undefined> {
    return Promise.resolve(this.existing);
  }
  install(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
}

/** A log that starts with `entries` stored (and applied), as after a restart. */
class StoredLog extends MemoryLog implements LogStorage {
  constructor(private readonly stored: Entry[]) {
    super();
    const last = stored.at(-1)?.index ?? 0;
    this.hardState = { term: stored.at(-1)?.term ?? 0, vote: 'a', commit: last } as HardState;
  }
  override load(): Promise<PersistedLog> {
    return Promise.resolve({ hardState: this.hardState, entries: this.stored });
  }
}

/**
 * A leader whose store reports `sizes` for the snapshots it takes, after `existing` (the
 * newest snapshot on disk) and `stored` (entries in the log, all applied).
 */
async function openLeader(sizes: number[], existing?: SnapshotRef, stored: Entry[] = []) {
  const stateMachine = new Counter();
  stateMachine.appliedIndex = stored.at(-1)?.index ?? 0;
  const store = new SizedStore(stateMachine, sizes, existing);
  const raft = await openSingleVoter({
    stateMachine,
    store,
    log: new StoredLog(stored),
    snapshots: {
      thresholdEntries: 1_000_000,
      thresholdBytes: 100,
      thresholdGrowth: 1,
      maxThresholdBytes: 1_000,
      trailingEntries: 0,
    },
  });
  return { raft, store };
}

/** Proposes `count` writes one after the other, letting each snapshot they trigger finish. */
async function write(raft: RaftRuntime<number>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await raft.propose(PAYLOAD, 60_000);
    await settle();
  }
}

describe('RaftRuntime: the snapshot threshold grows with the snapshot', () => {
  it('waits for a log as large as the last snapshot, up to the bound', async () => {
    const { raft, store } = await openLeader([400, 5_000, 5_000]);
    const first = raft.status().commitIndex; // the leader's empty entry
    // 100 bytes (two writes) trigger the first one, which says it is 400 bytes.
    await write(raft, 2);
    expect(store.taken).toEqual([first + 2]);
    // The next waits for 400 bytes of log: eight writes, not two.
    await write(raft, 7);
    expect(store.taken).toHaveLength(1);
    await write(raft, 1);
    expect(store.taken).toEqual([first + 2, first + 10]);
    // A 5,000-byte snapshot: the threshold stops at maxThresholdBytes (twenty writes).
    await write(raft, 19);
    expect(store.taken).toHaveLength(2);
    await write(raft, 1);
    expect(store.taken).toEqual([first + 2, first + 10, first + 30]);
    await raft.close();
  });

  it('takes the size of the newest snapshot on disk at start', async () => {
    const existing: SnapshotRef = {
      index: 0,
      folder: 'snapshots/0',
      meta: new Uint8Array(),
      bytes: 300,
    };
    const { raft, store } = await openLeader([100], existing);
    await write(raft, 5);
    expect(store.taken).toHaveLength(0);
    await write(raft, 1);
    expect(store.taken).toHaveLength(1);
    await raft.close();
  });

  it('counts what the log already holds since the last snapshot at start', async () => {
    // Three applied entries of 50 bytes since the (absent) last snapshot: 150 of the
    // 100 bytes are there already, so the first apply after the start takes one.
    const stored = [1, 2, 3].map((index): Entry => ({
      index,
      term: 1,
      type: 'normal',
      data: PAYLOAD,
    }));
    const { raft, store } = await openLeader([100], undefined, stored);
    await settle();
    expect(store.taken).toHaveLength(1);
    await raft.close();
  });

  it('keeps the fixed threshold when the store does not know a snapshot’s size', async () => {
    const { raft, store } = await openLeader([]);
    await write(raft, 6);
    expect(store.taken).toHaveLength(3);
    await raft.close();
  });
});
