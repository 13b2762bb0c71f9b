/**
 * A clock for driving a RaftRuntime by hand: time moves only with `advance`, which
 * fires every timer due on the way, in time order.
 */
import type { Clock, TimerHandle } from '../../src/raft/runtime/ports.js';

export class ManualClock implements Clock {
  private t = 0;
  private readonly timers: { at: number; fn: () => void; every?: number; off: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + ms, fn, off: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.off = true) };
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + ms, fn, every: ms, off: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.off = true) };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => !x.off && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.t = due.at;
      if (due.every === undefined) due.off = true;
      else due.at += due.every;
      due.fn();
    }
    this.t = end;
  }
}
