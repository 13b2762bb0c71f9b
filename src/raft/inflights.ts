/**
 * The bounded window of AppendEntries in flight to one follower in the replicate
 * state (etcd's tracker/inflights). Each slot remembers the last index a message
 * carried; an acknowledgement of index i frees every slot <= i.
 */
import { invariant } from './errors.js';

export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    invariant(capacity > 0, 'inflight capacity must be positive');
    this.buffer = new Array<number>(capacity).fill(0);
  }

  count(): number {
    return this.size;
  }

  full(): boolean {
    return this.size === this.capacity;
  }

  /** Record a message whose last entry is `lastIndex`. Indexes must increase. */
  add(lastIndex: number): void {
    invariant(!this.full(), 'inflight window overflow');
    if (this.size > 0) {
      const newest = this.buffer[(this.start + this.size - 1) % this.capacity]!;
      invariant(lastIndex > newest, () => `inflight index ${lastIndex} not above ${newest}`);
    }
    this.buffer[(this.start + this.size) % this.capacity] = lastIndex;
    this.size++;
  }

  /** Free every message whose last index is <= `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.size > 0 && this.buffer[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.size--;
    }
  }

  /** Free the oldest slot (used when a heartbeat response shows the follower alive). */
  freeFirstOne(): void {
    if (this.size === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.size--;
  }

  reset(): void {
    this.start = 0;
    this.size = 0;
  }
}
