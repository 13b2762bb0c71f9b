/**
 * The doubly linked list of call and return entries that the Wing–Gong search
 * walks. Linearizing an operation lifts its entries out of the list; backtracking
 * puts them back exactly where they were (dancing links), both in O(1).
 */
import type { Operation } from './history.js';

export interface Entry {
  readonly kind: 'call' | 'return';
  /** The operation's position in the partition being checked. */
  readonly op: number;
  /** A call's return entry; null for return entries and for indeterminate calls. */
  readonly match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/**
 * Builds the list for `ops` and returns its head, a sentinel before the first
 * entry. Indeterminate operations get no return entry: nothing forces them to be
 * linearized by any time, or at all.
 */
export function buildEntryList(ops: readonly Operation[]): Entry {
  const timed: Array<{ entry: Entry; time: number; eventIndex: number }> = [];
  ops.forEach((op, i) => {
    const ret: Entry | null =
      op.outcome === 'info' ? null : { kind: 'return', op: i, match: null, prev: null, next: null };
    timed.push({
      entry: { kind: 'call', op: i, match: ret, prev: null, next: null },
      time: op.invokeTime,
      eventIndex: op.invokeIndex,
    });
    if (ret !== null) {
      timed.push({ entry: ret, time: op.completeTime, eventIndex: op.completeIndex ?? Infinity });
    }
  });
  // At equal times, calls go before returns (as in Porcupine): the operations are
  // then taken as concurrent, which can only hide an anomaly, never invent one.
  timed.sort(
    (a, b) =>
      a.time - b.time ||
      Number(a.entry.kind === 'return') - Number(b.entry.kind === 'return') ||
      a.eventIndex - b.eventIndex,
  );

  const head: Entry = { kind: 'call', op: -1, match: null, prev: null, next: null };
  let tail = head;
  for (const { entry } of timed) {
    entry.prev = tail;
    tail.next = entry;
    tail = entry;
  }
  return head;
}

/** Removes a call entry and its return entry from the list. */
export function lift(call: Entry): void {
  unlink(call);
  if (call.match !== null) unlink(call.match);
}

/** Undoes `lift(call)`; valid only in the reverse order of the lifts. */
export function unlift(call: Entry): void {
  if (call.match !== null) relink(call.match);
  relink(call);
}

function unlink(entry: Entry): void {
  if (entry.prev !== null) entry.prev.next = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
}

/** The entry kept its own prev/next while out of the list, so it knows where it belongs. */
function relink(entry: Entry): void {
  if (entry.prev !== null) entry.prev.next = entry;
  if (entry.next !== null) entry.next.prev = entry;
}
