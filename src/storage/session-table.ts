/**
 * The client session table: for each client id, the last sequence number applied
 * and its result, so that a write retried after a failover is applied once
 * (Raft thesis §6.3).
 *
 * Bounded: at most `maxSessions` clients, each kept at most `maxAgeMs` after its
 * last write. Eviction is decided inside apply, from the log alone, so every
 * replica evicts the same sessions at the same entry:
 * - "least recently used" is ordered by the log index of the last write;
 * - "age" is measured on the leader's clock as carried by the entries (the
 *   leader stamps each write with its wall time, thesis §6.3); the table's clock
 *   is the largest stamp applied so far, so it never runs backwards even when a
 *   new leader's clock is behind the old one's.
 *
 * A client whose session was evicted starts a new one with its next write. Only
 * a retry of a write made before the eviction is affected: it is applied again
 * (for upserts and deletes that is the same outcome; the counts may differ).
 */
import type { ApplyResult } from '../domain.js';

export interface SessionRecord {
  sequence: number;
  result: ApplyResult;
  /** Log index of the client's last write: the order of least recent use. */
  lastUsedIndex: number;
  /** The table's clock (leader time, ms) at that write. */
  lastUsedMs: number;
}

export interface SessionLimits {
  maxSessions: number;
  maxAgeMs: number;
}

/** Enough for tens of thousands of writers; ~200 bytes each in memory. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessions: 50_000,
  maxAgeMs: 60 * 60 * 1000,
};

/** At most this many expired sessions are evicted by one entry, so one apply stays cheap. */
const MAX_EVICTIONS_PER_ENTRY = 1_000;

export type SessionCheck =
  | { kind: 'new' }
  | { kind: 'retry'; result: ApplyResult }
  | { kind: 'stale'; lastSequence: number };

export class SessionTable {
  /** Insertion order is least-recently-used first: a use deletes and re-inserts. */
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(
    readonly limits: SessionLimits,
    /** The table's clock: the largest leader time applied so far (ms). */
    private clockMs = 0,
  ) {}

  /** Rebuilds the table from stored records (any order). */
  static restore(
    limits: SessionLimits,
    clockMs: number,
    records: Iterable<[string, SessionRecord]>,
  ): SessionTable {
    const table = new SessionTable(limits, clockMs);
    const sorted = [...records].sort((a, b) => a[1].lastUsedIndex - b[1].lastUsedIndex);
    for (const [clientId, record] of sorted) table.sessions.set(clientId, record);
    return table;
  }

  get size(): number {
    return this.sessions.size;
  }

  get now(): number {
    return this.clockMs;
  }

  /** What a write with (clientId, sequence) is: new, a retry of the last one, or older. */
  check(clientId: string, sequence: number): SessionCheck {
    const previous = this.sessions.get(clientId);
    if (previous === undefined || sequence > previous.sequence) return { kind: 'new' };
    if (sequence === previous.sequence) return { kind: 'retry', result: previous.result };
    return { kind: 'stale', lastSequence: previous.sequence };
  }

  /**
   * Plans the table's changes for the entry at `index`: advance the clock to
   * `leaderTimeMs`, record (or touch) `use`, and evict what the limits require.
   * Returns the records to store and the client ids to delete; `commit` applies
   * them in memory once they are on disk.
   */
  plan(
    index: number,
    leaderTimeMs: number | undefined,
    use: { clientId: string; sequence: number; result: ApplyResult } | undefined,
  ): SessionChanges {
    const clockMs = Math.max(this.clockMs, leaderTimeMs ?? 0);
    const put: Array<[string, SessionRecord]> = [];
    const evict: string[] = [];
    if (use !== undefined) {
      put.push([
        use.clientId,
        { sequence: use.sequence, result: use.result, lastUsedIndex: index, lastUsedMs: clockMs },
      ]);
    }
    const touched = use?.clientId;
    const adds = touched !== undefined && !this.sessions.has(touched) ? 1 : 0;
    let over = this.sessions.size + adds - this.limits.maxSessions;
    const oldestAllowedMs = clockMs - this.limits.maxAgeMs;
    for (const [clientId, record] of this.sessions) {
      if (evict.length >= MAX_EVICTIONS_PER_ENTRY) break;
      if (clientId === touched) continue;
      if (over > 0 || record.lastUsedMs < oldestAllowedMs) {
        evict.push(clientId);
        over--;
      } else break;
    }
    return {
      clockMs,
      put,
      evict,
      commit: () => {
        this.clockMs = clockMs;
        for (const clientId of evict) this.sessions.delete(clientId);
        for (const [clientId, record] of put) {
          this.sessions.delete(clientId);
          this.sessions.set(clientId, record);
        }
      },
    };
  }
}

export interface SessionChanges {
  clockMs: number;
  put: Array<[string, SessionRecord]>;
  evict: string[];
  commit: () => void;
}
