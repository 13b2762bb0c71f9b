import type { Command } from '../../domain.js';
import { RaftvecError } from '../../errors.js';
import { ClusterStatusClient } from '../../client/cluster-status.js';
import type { ProposeOptions, ProposeOutcome, WritePath } from '../../server/write-path.js';
import type { RaftRuntime } from './raft-runtime.js';

/** How often a leader asks the other members how far they have applied, for write concern `all`. */
const ALL_POLL_INTERVAL_MS = 20;

/**
 * Writes through Raft: a command is acknowledged once committed by a majority and
 * applied on this node (`majority`), or once every voting member has applied it
 * (`all`). A deadline turns into DEADLINE_EXCEEDED whose message says what is known
 * about the write's fate.
 */
export class RaftWritePath implements WritePath {
  private readonly statusClients = new Map<string, ClusterStatusClient>();
  private closed = false;

  constructor(private readonly runtime: RaftRuntime) {}

  async propose(command: Command, options: ProposeOptions): Promise<ProposeOutcome> {
    if (this.closed)
      throw new RaftvecError(
        'UNAVAILABLE',
        'the node is shutting down; the write was not accepted',
      );
    const outcome = await withDeadline(
      this.runtime.propose(command),
      options.deadline,
      "the write was appended to the leader's log but not committed before the deadline; it may still commit (retry with the same client id and sequence to apply it at most once)",
    );
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
            const status = await this.client(address)
              .status(500)
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
      client = new ClusterStatusClient(address);
      this.statusClients.set(address, client);
    }
    return client;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.statusClients.values()) client.close();
    this.statusClients.clear();
  }
}

function withDeadline<T>(work: Promise<T>, deadline: Date, message: string): Promise<T> {
  const remaining = deadline.getTime() - Date.now();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RaftvecError('DEADLINE_EXCEEDED', message)),
      Math.max(0, remaining),
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
