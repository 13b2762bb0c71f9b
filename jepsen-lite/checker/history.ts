/**
 * The history a Jepsen-style runner records, and its pairing into operations.
 *
 * Every client call appears twice: an `invoke` event when the client sends it and
 * a completion (`ok`, `fail` or `info`) when it learns the result, if ever.
 * Checkers work on the paired operations, never on raw events.
 */

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

export interface HistoryEvent {
  /** Position in the history, 0..n-1, increasing. */
  index: number;
  /**
   * Client id. A process has at most one operation outstanding; after an `info`
   * it never invokes again (the runner uses a fresh process id instead).
   */
  process: number;
  type: EventType;
  /** 'write' | 'delete' | 'read' for the register workload; 'insert' | 'final-read' ... for the set workload. */
  f: string;
  /** Register key. */
  key?: string;
  /** invoke write: the unique value written; ok read: the value read (null = key absent); invoke read: undefined. */
  value?: string | null;
  /** Monotonic milliseconds (performance.now()), non-decreasing with index. */
  time: number;
  /** For fail/info. */
  error?: string;
  /** Which server answered (for fail and info: the one the last attempt went to). */
  node?: string;
}

/**
 * `ok`: it happened. `fail`: it provably did not take effect. `info`: unknown (a
 * timeout, a cut connection, or no completion before the history ended) — it may
 * take effect at any time after its invocation, or never.
 */
export type Outcome = 'ok' | 'fail' | 'info';

/** One client call: its invoke event paired with its completion. */
export interface Operation {
  readonly process: number;
  readonly f: string;
  readonly key?: string;
  /** The input for writes (from the invoke), the output for reads (from the ok completion). */
  readonly value?: string | null;
  readonly outcome: Outcome;
  readonly invokeTime: number;
  /** Infinity for `info`: the operation may take effect at any later time. */
  readonly completeTime: number;
  readonly invokeIndex: number;
  /** The completion event's index; undefined when the history ended before it completed. */
  readonly completeIndex?: number;
  readonly error?: string;
  readonly node?: string;
}

export type MalformedReason =
  | 'index-not-increasing'
  | 'time-goes-backwards'
  | 'unknown-event-type'
  | 'completion-without-invoke'
  | 'invoke-while-outstanding'
  | 'invoke-after-info'
  | 'completion-mismatch';

/** The history breaks a rule of the format: a bug in the runner, not in the system under test. */
export class MalformedHistoryError extends Error {
  readonly code = 'MALFORMED_HISTORY' as const;
  readonly reason: MalformedReason;
  /** The event at which the rule was found broken. */
  readonly event: HistoryEvent;

  constructor(reason: MalformedReason, event: HistoryEvent, detail: string) {
    super(`malformed history at event ${event.index} (process ${event.process}): ${detail}`);
    this.name = 'MalformedHistoryError';
    this.reason = reason;
    this.event = event;
  }
}

/**
 * Pairs each invoke with its process's next completion. Returns the operations in
 * invocation order; an invoke never completed counts as `info`. Throws
 * MalformedHistoryError when the history breaks a rule of the format.
 */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const operations: Array<Operation | undefined> = [];
  const outstanding = new Map<number, { invoke: HistoryEvent; slot: number }>();
  const crashed = new Set<number>();
  let previous: HistoryEvent | undefined;

  for (const event of events) {
    checkOrder(previous, event);
    previous = event;
    switch (event.type) {
      case 'invoke': {
        if (outstanding.has(event.process)) {
          throw new MalformedHistoryError(
            'invoke-while-outstanding',
            event,
            `invoke while operation at event ${outstanding.get(event.process)?.invoke.index} is outstanding`,
          );
        }
        if (crashed.has(event.process)) {
          throw new MalformedHistoryError(
            'invoke-after-info',
            event,
            'a process whose operation ended in info must never invoke again',
          );
        }
        outstanding.set(event.process, { invoke: event, slot: operations.length });
        operations.push(undefined);
        break;
      }
      case 'ok':
      case 'fail':
      case 'info': {
        const pending = outstanding.get(event.process);
        if (pending === undefined) {
          throw new MalformedHistoryError(
            'completion-without-invoke',
            event,
            `${event.type} with no outstanding invoke`,
          );
        }
        checkCompletionMatches(pending.invoke, event);
        outstanding.delete(event.process);
        if (event.type === 'info') crashed.add(event.process);
        operations[pending.slot] = toOperation(pending.invoke, event);
        break;
      }
      default:
        throw new MalformedHistoryError(
          'unknown-event-type',
          event,
          `unknown event type ${JSON.stringify(event.type)}`,
        );
    }
  }

  for (const { invoke, slot } of outstanding.values()) {
    operations[slot] = toOperation(invoke, undefined);
  }
  return operations.filter((op): op is Operation => op !== undefined);
}

function checkOrder(previous: HistoryEvent | undefined, event: HistoryEvent): void {
  if (previous === undefined) return;
  if (event.index <= previous.index) {
    throw new MalformedHistoryError(
      'index-not-increasing',
      event,
      `index ${event.index} follows index ${previous.index}`,
    );
  }
  if (event.time < previous.time) {
    throw new MalformedHistoryError(
      'time-goes-backwards',
      event,
      `time ${event.time} is before the previous event's ${previous.time}`,
    );
  }
}

function checkCompletionMatches(invoke: HistoryEvent, completion: HistoryEvent): void {
  if (completion.f !== invoke.f) {
    throw new MalformedHistoryError(
      'completion-mismatch',
      completion,
      `completion of ${completion.f} for an invoke of ${invoke.f} (event ${invoke.index})`,
    );
  }
  if (completion.key !== undefined && completion.key !== invoke.key) {
    throw new MalformedHistoryError(
      'completion-mismatch',
      completion,
      `completion for key ${JSON.stringify(completion.key)} but the invoke (event ${invoke.index}) was for ${JSON.stringify(invoke.key)}`,
    );
  }
}

/** `completion` is undefined when the history ended before the operation completed. */
function toOperation(invoke: HistoryEvent, completion: HistoryEvent | undefined): Operation {
  const outcome: Outcome =
    completion?.type === 'ok' || completion?.type === 'fail' ? completion.type : 'info';
  return {
    process: invoke.process,
    f: invoke.f,
    key: invoke.key,
    // A write's value is its input; a read's is its output, known only when it completed ok.
    value:
      invoke.value !== undefined ? invoke.value : outcome === 'ok' ? completion?.value : undefined,
    outcome,
    invokeTime: invoke.time,
    completeTime: outcome === 'info' || completion === undefined ? Infinity : completion.time,
    invokeIndex: invoke.index,
    completeIndex: completion?.index,
    error: completion?.error,
    node: completion?.node,
  };
}
