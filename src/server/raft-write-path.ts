/**
 * Writes through Raft: a command is encoded into a log entry, stamped with the
 * leader's clock, and acknowledged once committed by a majority and applied on
 * this node (`majority`), or once every voting member has applied it (`all`). A
 * deadline turns into DEADLINE_EXCEEDED whose message says what is known about
 * the write's fate.
 */
import type { ApplyResult, Command } from '../domain.js';
import { RaftvecError } from '../errors.js';
import type * as grpc from '@grpc/grpc-js';
import { ClusterStatusClient } from '../client/cluster-status.js';
import type { RaftRuntime } from '../raft/runtime/raft-runtime.js';
import { encodeCommand } from '../storage/command-codec.js';
import { fromRaftError } from './raft-errors.js';
import type { ProposeOptions, ProposeOutcome, WritePath } from './write-path.js';
import { SAFE, type UnsafeTestFlags } from './unsafe-test-flags.js';

/** How often a leader asks the other members how far they have applied, for write concern `all`. */
const ALL_POLL_INTERVAL_MS = 20;

export class RaftWritePath implements WritePath {
  private readonly statusClients = new Map<string, ClusterStatusClient>();
  private closed = false;

  constructor(
    private readonly runtime: RaftRuntime<ApplyResult>,
    private readonly unsafe: Pick<UnsafeTestFlags, 'ackBeforeCommit'> = SAFE,
    /** This node's peer credentials, for polling the others' status (write concern "all"). */
    private readonly statusCredentials?: grpc.Metadata,
  ) {}

  ensureWritable(): void {
    try {
      this.runtime.ensureLeader();
    } catch (err) {
      throw fromRaftError(err);
    }
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
    const proposed = this.runtime.propose(
      encodeCommand(stamped),
      options.deadline.getTime() - Date.now(),
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
      throw fromRaftError(err);
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
      });
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
