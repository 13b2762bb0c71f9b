/**
 * A terse way to write histories by hand: one call per event, the clock advancing
 * by one per event, and completions copying f and key from their process's invoke.
 */
import type { EventType, HistoryEvent } from '../../jepsen-lite/checker/index.js';

export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private readonly invoked = new Map<number, { f: string; key: string }>();
  private clockStops = false;

  invoke(process: number, f: string, key: string, value?: string): this {
    this.invoked.set(process, { f, key });
    return this.push({ process, type: 'invoke', f, key, value });
  }

  write(process: number, key: string, value: string): this {
    return this.invoke(process, 'write', key, value);
  }

  read(process: number, key: string): this {
    return this.invoke(process, 'read', key);
  }

  delete(process: number, key: string): this {
    return this.invoke(process, 'delete', key);
  }

  /** Completes the process's operation; `value` is what a read returned. */
  ok(process: number, value?: string | null): this {
    return this.complete(process, 'ok', value);
  }

  fail(process: number): this {
    return this.complete(process, 'fail');
  }

  info(process: number): this {
    return this.complete(process, 'info');
  }

  /** The next event happens at the same time as the last one. */
  sameTime(): this {
    this.clockStops = true;
    return this;
  }

  private complete(process: number, type: EventType, value?: string | null): this {
    const invoke = this.invoked.get(process);
    if (invoke === undefined) throw new Error(`process ${process} has nothing to complete`);
    return this.push({ process, type, ...invoke, value });
  }

  private push(event: Omit<HistoryEvent, 'index' | 'time'>): this {
    const index = this.events.length;
    const last = this.events[index - 1]?.time ?? -1;
    this.events.push({ ...event, index, time: this.clockStops ? last : last + 1 });
    this.clockStops = false;
    return this;
  }
}

export function history(): HistoryBuilder {
  return new HistoryBuilder();
}
