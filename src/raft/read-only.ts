/**
 * ReadIndex bookkeeping on the leader (Raft paper §6.4 / thesis §6.4).
 *
 * Each read records the commit index at the time it was asked and gets a context
 * number. The leader broadcasts a heartbeat carrying the newest context; when a
 * majority (itself included) has answered a heartbeat carrying context c, the
 * leader was still the leader after every read with context <= c was registered,
 * so all of those are released in order.
 */
import type { NodeId, ReadState } from './types.js';

interface PendingRead {
  readonly requestId: string;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

export class ReadOnlyQueue {
  private readonly pending = new Map<number, PendingRead>();
  /** Contexts in registration order (increasing). */
  private queue: number[] = [];

  add(context: number, requestId: string, index: number, self: NodeId): void {
    this.pending.set(context, { requestId, index, acks: new Set([self]) });
    this.queue.push(context);
  }

  /** Newest context, to piggyback on heartbeats; 0 when nothing is pending. */
  lastContext(): number {
    return this.queue[this.queue.length - 1] ?? 0;
  }

  /**
   * Records `from`'s ack of `context`; returns the reads released if the acks now
   * hold a quorum (`hasQuorum`: a majority of the voters in force, which may have
   * changed since the read was registered).
   */
  recvAck(
    from: NodeId,
    context: number,
    hasQuorum: (acks: ReadonlySet<NodeId>) => boolean,
  ): ReadState[] {
    const read = this.pending.get(context);
    if (read === undefined) return [];
    read.acks.add(from);
    if (!hasQuorum(read.acks)) return [];
    const released: ReadState[] = [];
    let k = 0;
    for (; k < this.queue.length; k++) {
      const c = this.queue[k]!;
      const r = this.pending.get(c)!;
      this.pending.delete(c);
      released.push({ requestId: r.requestId, index: r.index });
      if (c === context) break;
    }
    this.queue = this.queue.slice(k + 1);
    return released;
  }

  size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
