/**
 * A fair async readers–writer lock: any number of readers together, or one
 * writer alone. Waiters are served in arrival order, so a waiting writer is not
 * starved by a stream of readers (readers that arrive after it wait for it).
 */
export class RwLock {
  private readers = 0;
  private writing = false;
  private readonly queue: Array<{ write: boolean; wake: () => void }> = [];

  async read<T>(fn: () => Promise<T> | T): Promise<T> {
    await this.acquire(false);
    try {
      return await fn();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  async write<T>(fn: () => Promise<T> | T): Promise<T> {
    await this.acquire(true);
    try {
      return await fn();
    } finally {
      this.writing = false;
      this.pump();
    }
  }

  private acquire(write: boolean): Promise<void> {
    if (this.queue.length === 0 && this.canEnter(write)) {
      this.enter(write);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push({ write, wake: resolve }));
  }

  private canEnter(write: boolean): boolean {
    return write ? !this.writing && this.readers === 0 : !this.writing;
  }

  private enter(write: boolean): void {
    if (write) this.writing = true;
    else this.readers++;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (!this.canEnter(next.write)) return;
      this.queue.shift();
      this.enter(next.write);
      next.wake();
    }
  }
}
