/**
 * The write path: how a validated command becomes durable and applied. This is
 * the seam where Raft goes in: the VectorService only ever calls `propose`, and
 * a Raft-backed WritePath (append, replicate, commit, apply) replaces
 * LocalWritePath without touching the service.
 */
import type { ApplyResult, Command } from '../domain.js';
import { RaftvecError } from '../errors.js';

export type WriteConcern = 'majority' | 'all';

export interface ProposeOptions {
  /**
   * `majority`: resolve once committed by a majority and applied locally (the
   * leader). `all`: once every voting member has applied it; otherwise reject with
   * DEADLINE_EXCEEDED saying the write may still commit.
   */
  writeConcern: WriteConcern;
  /** Give up (DEADLINE_EXCEEDED) if the write concern is not met by then. */
  deadline: Date;
}

export interface ProposeOutcome {
  /** What applying the command produced (deterministic on every replica). */
  result: ApplyResult;
  /** The log index the command was applied at: a read-your-writes token. */
  logIndex: number;
}

export interface WritePath {
  /**
   * Makes `command` durable and applies it. Rejects with a RaftvecError:
   * RESOURCE_EXHAUSTED (queue full; not applied), DEADLINE_EXCEEDED,
   * UNAVAILABLE / FAILED_PRECONDITION with `leader-address` (not the leader; later),
   * UNAVAILABLE (shutting down; not applied).
   */
  propose(command: Command, options: ProposeOptions): Promise<ProposeOutcome>;
  /** Stops accepting writes and waits for those already accepted to finish. */
  close(): Promise<void>;
}

/** What LocalWritePath needs from the state machine. */
export interface CommandApplier {
  readonly appliedIndex: number;
  /** Applies `command` as log entry `index`, atomically with the applied index (synced). */
  apply(index: number, command: Command): Promise<ApplyResult>;
}

export interface LocalWritePathOptions {
  /** Writes accepted but not yet applied, beyond which propose fails RESOURCE_EXHAUSTED. Default 1024. */
  maxQueuedWrites?: number;
}

/**
 * A single node without Raft: writes are serialized through a bounded queue,
 * each gets log index `appliedIndex + 1` and is applied (one synced LevelDB
 * batch) before its promise resolves. For one node `all` is the same as `majority`.
 */
export class LocalWritePath implements WritePath {
  readonly maxQueuedWrites: number;
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #closed = false;

  constructor(
    private readonly stateMachine: CommandApplier,
    options: LocalWritePathOptions = {},
  ) {
    this.maxQueuedWrites = options.maxQueuedWrites ?? 1024;
    if (!Number.isInteger(this.maxQueuedWrites) || this.maxQueuedWrites < 1)
      throw new RangeError(
        `maxQueuedWrites must be a positive integer, got ${this.maxQueuedWrites}`,
      );
  }

  /** Writes waiting or being applied. */
  get queued(): number {
    return this.#queued;
  }

  propose(command: Command, options: ProposeOptions): Promise<ProposeOutcome> {
    if (this.#closed)
      return Promise.reject(
        new RaftvecError('UNAVAILABLE', 'the node is shutting down; the write was not applied'),
      );
    if (this.#queued >= this.maxQueuedWrites)
      return Promise.reject(
        new RaftvecError(
          'RESOURCE_EXHAUSTED',
          `the write queue is full (${this.maxQueuedWrites} writes waiting); the write was not applied, retry with backoff`,
        ),
      );
    this.#queued++;
    const run = async (): Promise<ProposeOutcome> => {
      try {
        if (Date.now() >= options.deadline.getTime())
          throw new RaftvecError(
            'DEADLINE_EXCEEDED',
            'the deadline passed while the write waited in the queue; it was not applied',
          );
        const logIndex = this.stateMachine.appliedIndex + 1;
        const result = await this.stateMachine.apply(logIndex, command);
        return { result, logIndex };
      } finally {
        this.#queued--;
      }
    };
    const p = this.#tail.then(run);
    this.#tail = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
  }
}
