/**
 * Writes through Raft: a command is encoded into a log entry, stamped with the
 * leader's clock, and acknowledged once committed by a majority and applied on
 * this node (`majority`), or once every voting member has applied it (`all`). A
 * deadline turns into DEADLINE_EXCEEDED whose message says what is known about
 * the write's fate.
 *
 * Back-pressure: what waits here is the log's backlog, the entries appended and not yet
 * applied, whether or not anyone still waits for them (a write whose deadline passed
 * stays in the log, and is committed and applied in its turn). It is bounded by count
 * (`maxPendingWrites`, as the runtime bounds the proposals it tracks), by the bytes of
 * the writes proposed here (`maxPendingBytes`), and by time: a write that would wait
 * behind the backlog past its deadline at the node's recent pace is not taken. A write
 * refused so is refused at once, before anything is appended, with RESOURCE_EXHAUSTED,
 * `not-proposed` and a `retry-after-ms` hint sized to that pace.
 */
import type { ApplyResult, Command } from '../domain.js';
import { RaftvecError } from '../errors.js';
import type * as grpc from '@grpc/grpc-js';
import { ClusterStatusClient } from '../client/cluster-status.js';
import type { RaftRuntime } from '../raft/runtime/raft-runtime.js';
import { encodeCommand } from '../storage/command-codec.js';
import { ProposalQueueFull, ProposalTimedOut } from '../raft/runtime/errors.js';
import { fromRaftError, overloaded } from './raft-errors.js';
import type { ProposeOptions, ProposeOutcome, WritePath } from './write-path.js';
import { SAFE, type UnsafeTestFlags } from './unsafe-test-flags.js';

/** How often a leader asks the other members how far they have applied, for write concern `all`. */
const ALL_POLL_INTERVAL_MS = 20;

/**
 * Bytes of encoded entries proposed here and not yet applied beyond which a write is
 * refused: the proposal queue's count bound alone would let 4,096 entries of up to
 * limits.maxLogEntryBytes each (30 GiB) wait in memory. Twice the bound the VectorService
 * puts on upsert payloads in flight, so that upserts meet that one first.
 */
export const DEFAULT_MAX_PENDING_BYTES = 128 * 1024 * 1024;

/** Bounds of the suggested wait (`retry-after-ms`) given to a write refused as overload. */
export const MIN_RETRY_AFTER_MS = 20;
export const MAX_RETRY_AFTER_MS = 2_000;

/** Entries appended and not yet applied beyond which a write is refused (`serve --max-pending-writes`). */
export const DEFAULT_MAX_PENDING_WRITES = 4096;

export interface RaftWritePathLimits {
  /** See DEFAULT_MAX_PENDING_WRITES (the runtime's maxPendingProposals, to agree with it). */
  maxPendingWrites?: number;
  /** See DEFAULT_MAX_PENDING_BYTES. */
  maxPendingBytes?: number;
}

/** Entries applied, and time with a backlog, in one window of ApplyPace. */
interface Window {
  applied: number;
  busyMs: number;
}

/**
 * How many entries this node applies per ms while it has a backlog (entries appended
 * and not yet applied): those applied over the time a backlog was seen, in the current
 * window of `windowMs` and the one before it, from observations made as writes come and
 * go. Counting only busy time, the estimate is the node's pace, not how much its clients
 * happened to send (a node that idles between writes is not slow); undefined until
 * `minApplied` entries were seen applied.
 */
export class ApplyPace {
  #windowStart: number;
  #current: Window = { applied: 0, busyMs: 0 };
  #previous: Window = { applied: 0, busyMs: 0 };
  #last: { at: number; applied: number; busy: boolean } | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowMs = 1_000,
    private readonly minApplied = 8,
  ) {
    this.#windowStart = now();
  }

  #roll(t: number): void {
    const elapsed = t - this.#windowStart;
    if (elapsed < this.windowMs) return;
    this.#previous = elapsed < 2 * this.windowMs ? this.#current : { applied: 0, busyMs: 0 };
    this.#current = { applied: 0, busyMs: 0 };
    this.#windowStart = t - (elapsed % this.windowMs);
  }

  /** The node has applied up to `appliedIndex` and has (`busy`) or has not a backlog now. */
  observe(appliedIndex: number, busy: boolean): void {
    const t = this.now();
    this.#roll(t);
    const last = this.#last;
    if (last !== undefined && last.busy && appliedIndex >= last.applied) {
      this.#current.busyMs += t - last.at;
      this.#current.applied += appliedIndex - last.applied;
    }
    this.#last = { at: t, applied: appliedIndex, busy };
  }

  /** Entries applied per ms of busy time lately; undefined while too few were seen. */
  perMs(): number | undefined {
    this.#roll(this.now());
    const applied = this.#previous.applied + this.#current.applied;
    const busyMs = this.#previous.busyMs + this.#current.busyMs;
    if (applied < this.minApplied || busyMs <= 0) return undefined;
    return applied / busyMs;
  }
}

/**
 * The wait to suggest to a write refused because `waiting` entries are ahead of it, at
 * `perMs` entries applied per ms: about the time for half of them to drain (so that the
 * refused clients, spread by their jitter, find room), within the bounds above. With no
 * pace known (too few entries applied lately: the node cannot commit, no quorum?) the
 * longest.
 */
export function suggestedRetryAfterMs(waiting: number, perMs: number | undefined): number {
  if (perMs === undefined || perMs <= 0) return MAX_RETRY_AFTER_MS;
  const ms = Math.ceil(waiting / 2 / perMs);
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
}

export class RaftWritePath implements WritePath {
  private readonly statusClients = new Map<string, ClusterStatusClient>();
  private closed = false;
  /** Writes proposed here and not yet applied (nor lost), and the bytes of their entries. */
  private pendingCount = 0;
  private pendingBytes = 0;
  /**
   * Writes whose proposal timed out, still counted until the node applies their index
   * (their entry may yet be applied: it holds its memory until then), in the order they
   * timed out.
   */
  private timedOut: { index: number; release: () => void }[] = [];
  private readonly maxPendingWrites: number;
  private readonly maxPendingBytes: number;
  private readonly pace = new ApplyPace();

  constructor(
    private readonly runtime: RaftRuntime<ApplyResult>,
    private readonly unsafe: Pick<UnsafeTestFlags, 'ackBeforeCommit'> = SAFE,
    /** This node's peer credentials, for polling the others' status (write concern "all"). */
    private readonly statusCredentials?: grpc.Metadata,
    /** How to dial the others: the peer TLS credentials with mutual TLS, else plaintext. */
    private readonly channelCredentials?: () => grpc.ChannelCredentials,
    limits: RaftWritePathLimits = {},
  ) {
    this.maxPendingWrites = limits.maxPendingWrites ?? DEFAULT_MAX_PENDING_WRITES;
    this.maxPendingBytes = limits.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  }

  /**
   * The log's backlog (entries appended and not yet applied), and the writes proposed
   * here and not yet applied with their entries' bytes, against their bounds (for tests
   * and metrics).
   */
  pending(): {
    backlog: number;
    maxBacklog: number;
    writes: number;
    bytes: number;
    maxBytes: number;
  } {
    this.sweep();
    return {
      backlog: this.backlog(),
      maxBacklog: this.maxPendingWrites,
      writes: this.pendingCount,
      bytes: this.pendingBytes,
      maxBytes: this.maxPendingBytes,
    };
  }

  /** Entries appended to this node's log and not yet applied here. */
  private backlog(): number {
    return Math.max(0, this.runtime.lastIndex - this.runtime.appliedIndex);
  }

  /**
   * Releases the timed-out writes whose index is applied, and notes the pace of apply
   * (busy while writes of this path are pending: a cheap stand-in for a backlog).
   */
  private sweep(): void {
    // timedOut is kept in index order (see propose), so the applied ones are a prefix.
    const applied = this.runtime.appliedIndex;
    let done = 0;
    while (done < this.timedOut.length && this.timedOut[done]!.index <= applied)
      this.timedOut[done++]!.release();
    if (done > 0) this.timedOut = this.timedOut.slice(done);
    this.pace.observe(applied, this.pendingCount > 0);
  }

  /** The wait to suggest to a write refused now (see suggestedRetryAfterMs). */
  private retryAfterMs(waiting: number): number {
    return suggestedRetryAfterMs(waiting, this.pace.perMs());
  }

  /** RESOURCE_EXHAUSTED for a write refused because `why`, with a retry hint. */
  private refuse(why: string, waiting: number): never {
    throw overloaded(
      `${why}; the write was not accepted, retry with backoff`,
      this.retryAfterMs(waiting),
      { notProposed: true },
    );
  }

  /**
   * Refuses (RESOURCE_EXHAUSTED, retry hint) a write the node should not take now: the
   * backlog is at its bound, or the writes pending here hold maxPendingBytes, or (given
   * its deadline) the write would wait behind the backlog past its deadline at the
   * node's recent pace. Accepted, such a write would time out with its fate unknown
   * (DEADLINE_EXCEEDED, "may still commit") after using the capacity the writes behind
   * it needed; refused now, nothing was appended and its client knows it. Without a
   * known pace (too few entries applied lately) only the bounds apply.
   */
  private admit(deadline: Date | undefined): void {
    this.sweep();
    const backlog = this.backlog();
    if (backlog >= this.maxPendingWrites)
      this.refuse(
        `${backlog} writes are waiting to commit or apply on this node (the limit is ${this.maxPendingWrites})`,
        backlog,
      );
    if (this.pendingBytes >= this.maxPendingBytes)
      this.refuse(
        `${this.pendingBytes} bytes of writes are waiting to commit or apply on this node (the limit is ${this.maxPendingBytes})`,
        backlog,
      );
    const perMs = deadline !== undefined && backlog > 0 ? this.pace.perMs() : undefined;
    if (perMs === undefined) return;
    const expectedMs = (backlog + 1) / perMs;
    const remainingMs = deadline!.getTime() - Date.now();
    if (expectedMs > remainingMs)
      this.refuse(
        `${backlog} writes are waiting to commit or apply on this node, about ${Math.round(expectedMs)} ms of work at its recent pace, more than the ${Math.max(0, Math.round(remainingMs))} ms left before the write's deadline`,
        backlog,
      );
  }

  /**
   * Counts a write of `bytes` as pending until the returned release is called (once);
   * refuses it past maxPendingBytes, unless nothing is pending (so that an entry of any
   * allowed size can make progress).
   */
  private reserve(bytes: number): () => void {
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.maxPendingBytes)
      this.refuse(
        `${this.pendingBytes} bytes of writes are waiting to commit or apply on this node (the limit is ${this.maxPendingBytes}; this write has ${bytes})`,
        this.pendingCount,
      );
    this.pendingCount++;
    this.pendingBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pendingCount--;
      this.pendingBytes -= bytes;
    };
  }

  ensureWritable(deadline?: Date): void {
    try {
      this.runtime.ensureLeader();
    } catch (err) {
      throw fromRaftError(err);
    }
    this.admit(deadline);
  }

  async propose(command: Command, options: ProposeOptions): Promise<ProposeOutcome> {
    if (this.closed)
      throw new RaftvecError(
        'UNAVAILABLE',
        'the node is shutting down; the write was not accepted',
      );
    // The leader's clock travels in the entry: the only clock apply may read.
    const stamped: Command =
      command.kind === 'noop' ? command : { ...command, leaderTimeMs: Date.now() };
    this.admit(options.deadline);
    const entry = encodeCommand(stamped);
    const release = this.reserve(entry.byteLength);
    const proposed = this.runtime.propose(entry, options.deadline.getTime() - Date.now());
    // Pending until applied, or certainly never to be: a write that timed out stays
    // pending until its index is applied (its entry may be what is applied there).
    void proposed.then(
      () => {
        release();
        this.sweep();
      },
      (err: unknown) => {
        if (err instanceof ProposalTimedOut && !this.closed) {
          // Deadlines differ, so writes time out out of index order: insert in order
          // (from the end, where nearly every one goes).
          let at = this.timedOut.length;
          while (at > 0 && this.timedOut[at - 1]!.index > err.index) at--;
          this.timedOut.splice(at, 0, { index: err.index, release });
        } else release();
        this.sweep();
      },
    );
    if (this.unsafe.ackBeforeCommit && (command.kind === 'upsert' || command.kind === 'delete')) {
      // Broken on purpose (a test flag): the entry is only in this leader's log.
      proposed.catch(() => undefined);
      const count = command.kind === 'upsert' ? command.points.length : command.ids.length;
      return {
        result:
          command.kind === 'upsert' ? { ok: true, upserted: count } : { ok: true, deleted: count },
        logIndex: 0,
      };
    }
    const outcome = await proposed.catch((err: unknown) => {
      throw fromRaftError(
        err,
        err instanceof ProposalQueueFull ? { retryAfterMs: this.retryAfterMs(err.waiting) } : {},
      );
    });
    if (options.writeConcern === 'all') {
      const lagging = await this.waitUntilAppliedEverywhere(outcome.logIndex, options.deadline);
      if (lagging.length > 0) {
        throw new RaftvecError(
          'DEADLINE_EXCEEDED',
          `the write committed on a majority at log index ${outcome.logIndex} and will not be lost, but ${lagging.join(', ')} had not applied it before the deadline (write concern "all")`,
        );
      }
    }
    return outcome;
  }

  /** Polls the other members until each applied `index`; returns the ids still behind at the deadline. */
  private async waitUntilAppliedEverywhere(index: number, deadline: Date): Promise<string[]> {
    const others = [...this.runtime.members].filter(([id]) => id !== this.runtime.id);
    const pending = new Set(others.map(([id]) => id));
    while (pending.size > 0 && Date.now() < deadline.getTime() && !this.closed) {
      await Promise.all(
        others
          .filter(([id]) => pending.has(id))
          .map(async ([id, address]) => {
            const remaining = deadline.getTime() - Date.now();
            const status = await this.client(address)
              .status(Math.max(1, Math.min(500, remaining)))
              .catch(() => undefined);
            if (status !== undefined && status.appliedIndex >= index) pending.delete(id);
          }),
      );
      if (pending.size > 0)
        await new Promise((resolve) => setTimeout(resolve, ALL_POLL_INTERVAL_MS));
    }
    return [...pending];
  }

  private client(address: string): ClusterStatusClient {
    let client = this.statusClients.get(address);
    if (client === undefined) {
      client = new ClusterStatusClient(address, {
        ...(this.statusCredentials && { statusCredentials: this.statusCredentials }),
        credentials: this.channelCredentials?.(),
      });
      this.statusClients.set(address, client);
    }
    return client;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { release } of this.timedOut) release();
    this.timedOut = [];
    for (const client of this.statusClients.values()) client.close();
    this.statusClients.clear();
  }
}
