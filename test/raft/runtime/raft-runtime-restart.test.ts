/**
 * RaftRuntime.open after a crash in the middle of a snapshot install: the stored log
 * already starts after the received snapshot, the state machine is still behind it.
 * The restart finishes the install from the snapshot the log starts at, which need
 * not be the newest on disk (found by the simulator: a snapshot received earlier and
 * never installed, of a later index, lay next to it; seed 419 of
 * `npm run sim -- --profile '{"snapshotCrashRate":0.3,"crashRate":0.02,"snapshotThreshold":5,"snapshotTrailing":0,"restartMin":1,"restartMax":60}'`).
 */
import { describe, expect, it } from 'vitest';
import type { HardState } from '../../../src/raft/index.js';
import type {
  LogStorage,
  PersistedLog,
  RaftPorts,
  SnapshotRef,
  SnapshotStore,
  StateMachine,
} from '../../../src/raft/runtime/ports.js';
import { RaftRuntime } from '../../../src/raft/runtime/raft-runtime.js';

const hardState: HardState = { term: 41, vote: 'n1', commit: 278 };

/** A log that was reset to snapshot (281, 40) before the crash. */
const log: LogStorage = {
  load: (): Promise<PersistedLog> =>
    Promise.resolve({ hardState, snapshot: { index: 281, term: 40 }, entries: [] }),
  persist: () => Promise.resolve(),
  compact: () => Promise.resolve(),
  resetTo: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

function ref(index: number): SnapshotRef {
  return { index, folder: `snapshots/${index}`, meta: new Uint8Array() };
}

function node(withFind: boolean): { ports: RaftPorts<void>; installed: string[] } {
  let applied = 278;
  const installed: string[] = [];
  const folders = new Map([281, 283].map((i) => [i, ref(i)]));
  const store: SnapshotStore = {
    take: () => Promise.reject(new Error('not used')),
    newest: () => Promise.resolve(ref(283)),
    install: (folder) => {
      installed.push(folder);
      applied = Number(folder.split('/')[1]);
      return Promise.resolve();
    },
    ...(withFind ? { find: (index: number) => Promise.resolve(folders.get(index)) } : {}),
  };
  const stateMachine: StateMachine<void> = {
    get appliedIndex() {
      return applied;
    },
    apply: (_first: number, payloads: readonly Uint8Array[]) =>
      Promise.resolve(payloads.map(() => undefined)),
  };
  const ports: RaftPorts<void> = {
    log,
    stateMachine,
    transport: { send: () => {}, close: () => {} },
    clock: {
      now: () => 0,
      setTimeout: () => ({ cancel: () => {} }),
      setInterval: () => ({ cancel: () => {} }),
    },
    random: () => 0.5,
    snapshots: {
      store,
      sender: { sendSnapshot: () => Promise.resolve({ installed: false, reason: 'not used' }) },
    },
  };
  return { ports, installed };
}

const config = {
  id: 'n3',
  peers: new Map(['n1', 'n2', 'n3'].map((id) => [id, `sim://${id}`])),
  maxEntryBytes: 1024,
};

describe('RaftRuntime.open after a crash in the middle of an install', () => {
  it('installs the snapshot the log starts at, not a newer one it never installed', async () => {
    const { ports, installed } = node(true);
    const runtime = await RaftRuntime.open(config, ports);
    expect(installed).toEqual(['snapshots/281']);
    expect(runtime.appliedIndex).toBe(281);
    expect(runtime.status().snapshotIndex).toBe(281);
    await runtime.close();
  });

  it('without SnapshotStore.find, refuses a newest snapshot beyond the log (names both)', async () => {
    const { ports, installed } = node(false);
    await expect(RaftRuntime.open(config, ports)).rejects.toThrow(
      /local snapshot found ends at 283, the log at 281/,
    );
    expect(installed).toEqual([]);
  });
});
