/**
 * Generates register histories that are linearizable by construction: a real
 * sequential register, and clients whose operations take effect at a random
 * moment between their invoke and their completion. Some fail before taking
 * effect; some end in `info`, before or after taking effect, and an indeterminate
 * write or delete not yet applied takes effect later, or never.
 */
import type { HistoryEvent } from '../../jepsen-lite/checker/index.js';
import { mulberry32 } from '../support/random.js';

export interface SimulationOptions {
  readonly seed: number;
  /** Concurrent clients; a client whose operation ends in `info` goes on as a fresh process. */
  readonly clients: number;
  readonly invocations: number;
  readonly keys: readonly string[];
  /** Longest time from an invoke to the effect, and from the effect to the completion. */
  readonly maxLatency?: number;
  /** The chance that an operation fails (without taking effect). */
  readonly failRate?: number;
  /** The chance that an operation ends in `info`. */
  readonly infoRate?: number;
}

interface RegisterOp {
  readonly process: number;
  readonly f: 'write' | 'delete' | 'read';
  readonly key: string;
  readonly value: string | undefined;
}

/** Something that happens at `time`; ties are broken by order of scheduling. */
interface Action {
  readonly time: number;
  readonly seq: number;
  readonly run: () => void;
}

export function simulateRegisterHistory(options: SimulationOptions): HistoryEvent[] {
  const { clients, invocations, keys, maxLatency = 10, failRate = 0.02, infoRate = 0.02 } = options;
  const random = mulberry32(options.seed);
  const between = (low: number, high: number): number =>
    low + Math.floor(random() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const register = new Map<string, string>();
  const events: HistoryEvent[] = [];
  const agenda: Action[] = [];
  let seq = 0;
  let now = 0;
  let invoked = 0;
  let nextProcess = 0;

  const at = (time: number, run: () => void): void => {
    agenda.push({ time, seq: seq++, run });
  };
  const record = (op: RegisterOp, type: HistoryEvent['type'], value?: string | null): void => {
    events.push({
      index: events.length,
      process: op.process,
      type,
      f: op.f,
      key: op.key,
      value,
      time: now,
    });
  };
  const apply = (op: RegisterOp): string | null => {
    if (op.f === 'write' && op.value !== undefined) register.set(op.key, op.value);
    if (op.f === 'delete') register.delete(op.key);
    return register.get(op.key) ?? null;
  };

  const invokeNext = (process: number): void => {
    if (invoked === invocations) return;
    const roll = random();
    const f = roll < 0.45 ? 'write' : roll < 0.55 ? 'delete' : 'read';
    const op: RegisterOp = {
      process,
      f,
      key: pick(keys),
      value: f === 'write' ? `v${invoked}` : undefined,
    };
    invoked++;
    record(op, 'invoke', op.value);
    const effectAt = now + between(1, maxLatency);
    const completeAt = effectAt + between(1, maxLatency);
    const fate = random();
    if (fate < failRate) {
      at(completeAt, () => {
        record(op, 'fail');
        at(now + between(0, maxLatency), () => invokeNext(process));
      });
    } else if (fate < failRate + infoRate) {
      // The client gives up at a random moment; the operation takes effect before or after
      // that, possibly long after, or never.
      if (op.f !== 'read' && random() < 0.6) {
        at(effectAt + between(0, 20 * maxLatency), () => apply(op));
      }
      at(between(now, completeAt), () => {
        record(op, 'info');
        at(now + between(0, maxLatency), () => invokeNext(nextProcess++));
      });
    } else {
      let result: string | null = null;
      at(effectAt, () => {
        result = apply(op);
      });
      at(completeAt, () => {
        record(op, 'ok', op.f === 'read' ? result : op.value);
        at(now + between(0, maxLatency), () => invokeNext(process));
      });
    }
  };

  for (let i = 0; i < clients; i++) at(between(0, maxLatency), () => invokeNext(nextProcess++));
  while (agenda.length > 0) {
    agenda.sort((a, b) => a.time - b.time || a.seq - b.seq);
    const action = agenda.shift() as Action;
    now = action.time;
    action.run();
  }
  return events;
}
