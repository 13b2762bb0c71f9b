/**
 * Records the history: an `invoke` event when a client sends an operation and one
 * completion event (ok, fail, info) when it learns the result. Times are
 * milliseconds since the run started, from a monotonic clock.
 */
import type { EventType, HistoryEvent } from './checker/history.js';

/** History events kept at most (a few hundred MB of memory): a run that reaches it stops with an error. */
export const MAX_HISTORY_EVENTS = 5_000_000;

export class HistoryFullError extends Error {
  constructor() {
    super(`the history reached ${MAX_HISTORY_EVENTS} events; run for less time or fewer clients`);
    this.name = 'HistoryFullError';
  }
}

export interface Invocation {
  readonly process: number;
  readonly f: string;
  readonly key?: string;
}

export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  readonly #origin = performance.now();

  /** Milliseconds since the run started. */
  now(): number {
    return performance.now() - this.#origin;
  }

  invoke(
    process: number,
    f: string,
    fields: { key?: string; value?: string | null } = {},
  ): Invocation {
    this.#push({ process, type: 'invoke', f, ...fields });
    return { process, f, ...(fields.key !== undefined && { key: fields.key }) };
  }

  complete(
    op: Invocation,
    type: Exclude<EventType, 'invoke'>,
    fields: { value?: string | null; error?: string; node?: string } = {},
  ): void {
    this.#push({
      process: op.process,
      type,
      f: op.f,
      ...(op.key !== undefined && { key: op.key }),
      ...fields,
    });
  }

  #push(event: Omit<HistoryEvent, 'index' | 'time'>): void {
    if (this.events.length >= MAX_HISTORY_EVENTS) throw new HistoryFullError();
    this.events.push({ index: this.events.length, time: this.now(), ...event } as HistoryEvent);
  }
}
