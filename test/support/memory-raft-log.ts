import type { Entry, HardState } from '../../src/raft/index.js';
import type { LogStorage, PersistedLog } from '../../src/raft/runtime/ports.js';

/**
 * A Raft log kept in memory, durable at once: for runtime tests of one voter, where
 * what the log holds is not the point. Keeps the hard state and the compaction point.
 */
export class MemoryLog implements LogStorage {
  hardState: HardState = { term: 0, vote: undefined, commit: 0 };
  compactedTo = 0;
  load(): Promise<PersistedLog> {
    return Promise.resolve({ hardState: this.hardState, entries: [] });
  }
  persist(_entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    if (hardState !== undefined) this.hardState = hardState;
    return Promise.resolve();
  }
  compact(point: { index: number }): Promise<void> {
    this.compactedTo = point.index;
    return Promise.resolve();
  }
  resetTo(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
