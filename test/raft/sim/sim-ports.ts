/**
 * Simulated ports (src/raft/runtime/ports.ts) for the real RaftRuntime: the simulator
 * drives the very runtime production runs, and only the world around it is simulated.
 *
 * One `Incarnation` is one life of a node's process: its runtime and the ports it was
 * opened with. Whatever the ports need to happen later (a timer firing, a disk write
 * landing, an entry being applied) is an event in the simulator's queue, tagged with
 * the incarnation; a crash kills the incarnation, and its events are dropped:
 *
 *  - SimClock: virtual time. `now()` is the simulator's clock; `setTimeout` and
 *    `setInterval` are queued events. A crash cancels every timer of the incarnation.
 *  - SimLogStorage: the node's simulated disk. `persist()` returns a promise that the
 *    simulator resolves at a 'disk' event after a seeded latency, so the runtime really
 *    waits for the disk; the write lands atomically at that event (`sync` or not: every
 *    write that lands is durable). A crash before it lands loses it: its promise never
 *    settles and the disk keeps only completed writes.
 *  - SimStateMachine: applying an entry appends it to the disk's durable applied list
 *    (what the checker calls "applied"), atomically with its result, like a state
 *    machine that stores its applied index with its data. With `applyLatency() === 0`
 *    that happens within `apply()`; otherwise at an 'apply' event after that latency,
 *    and a crash before it loses the apply (the entry is applied again from the log
 *    after the restart).
 *  - SimTransport: `send` hands each message to the simulated network (delay, loss,
 *    duplication, reordering, partitions), which delivers it to whatever incarnation
 *    of the target is alive then.
 *  - random: the node's seeded Prng.
 *
 * The ports also check that the runtime keeps their contracts (one write at a time,
 * entries applied in order, only bytes from the durable log): 'Port Contract'.
 */
import type { Entry, HardState, Message, NodeId } from '../../../src/raft/index.js';
import type {
  Clock,
  LogStorage,
  PersistedLog,
  RaftPorts,
  RandomSource,
  SnapshotPoint,
  StateMachine,
  TimerHandle,
  Transport,
} from '../../../src/raft/runtime/ports.js';
import type { RaftRuntime } from '../../../src/raft/runtime/raft-runtime.js';
import { SimViolation, fingerprint } from './checker.js';

/** What one node keeps across crashes. */
export interface SimDisk {
  hardState: HardState;
  /** The durable Raft log: entries[i] has index i + 1. */
  entries: Entry[];
  /** The durable state machine: every entry applied, in order (applied index = length). */
  applied: Entry[];
}

/** The simulated state machine's result for an entry, handed back to its proposer. */
export interface Applied {
  readonly index: number;
  readonly term: number;
  /** The entry's content (fingerprint): the proposal id, or 'noop'. */
  readonly fp: string;
}

export interface SimTimer {
  readonly fn: () => void;
  /** Period of an interval; undefined for a one-shot timer. */
  readonly every: number | undefined;
  cancelled: boolean;
}

/** An event a port puts in the simulator's queue; dropped once its incarnation died. */
export type PortEvent =
  | { readonly kind: 'timer'; readonly life: Incarnation; readonly timer: SimTimer }
  | { readonly kind: 'disk'; readonly life: Incarnation }
  | { readonly kind: 'apply'; readonly life: Incarnation };

/** What the ports need from the simulator. */
export interface SimHost {
  /** Virtual time. */
  now(): number;
  /** Queues `event` `delay` time units from now. */
  schedule(delay: number, event: PortEvent): void;
  /** A seeded disk write latency (at least 1). */
  diskLatency(): number;
  /** A seeded apply latency; 0 means the entry is applied within `apply()`. */
  applyLatency(): number;
  /** Hands a message to the simulated network (checked as it leaves: may throw a SimViolation). */
  send(m: Message): void;
  /** A write landed on `life`'s disk; `fromIndex` is the first log index it (re)wrote. */
  persisted(life: Incarnation, fromIndex: number | undefined): void;
  /** `life`'s state machine applied `entry` durably; its applied index was `appliedBefore`. */
  applied(life: Incarnation, entry: Entry, appliedBefore: number): void;
  /** Records a violation found inside a port, which the runtime would only see as a failed call. */
  fault(error: unknown): void;
}

/** The promise of a call into a dead process: it never settles. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

export class SimClock implements Clock {
  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
  ) {}

  now(): number {
    return this.host.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.arm(fn, ms, Math.max(1, ms));
  }

  private arm(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const timer: SimTimer = { fn, every, cancelled: !this.life.alive };
    if (!timer.cancelled)
      this.host.schedule(Math.max(0, ms), { kind: 'timer', life: this.life, timer });
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** The timer's event: runs it (re-arming an interval) unless cancelled or dead; false if not run. */
  fire(timer: SimTimer): boolean {
    if (timer.cancelled || !this.life.alive) return false;
    if (timer.every === undefined) timer.cancelled = true;
    else this.host.schedule(timer.every, { kind: 'timer', life: this.life, timer });
    timer.fn();
    return true;
  }
}

interface Write {
  readonly entries: readonly Entry[];
  readonly hardState: HardState | undefined;
  readonly done: () => void;
}

export class SimLogStorage implements LogStorage {
  private writing: Write | undefined;

  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
  ) {}

  /** A write is in progress. */
  get busy(): boolean {
    return this.writing !== undefined;
  }

  load(): Promise<PersistedLog> {
    const disk = this.life.disk;
    return Promise.resolve({ hardState: { ...disk.hardState }, entries: disk.entries.slice() });
  }

  persist(
    entries: readonly Entry[],
    hardState: HardState | undefined,
    // Every write that lands is durable: the simulated disk has no volatile cache.
    _sync: boolean,
  ): Promise<void> {
    if (!this.life.alive) return never();
    if (this.writing !== undefined)
      return this.life.broken('persist() called while the previous write is in progress');
    const first = entries[0];
    if (first !== undefined && first.index > this.life.disk.entries.length + 1)
      return this.life.broken(
        `persist() of entries from ${first.index}, but the disk ends at ${this.life.disk.entries.length}`,
      );
    return new Promise<void>((resolve) => {
      // The write takes its bytes now, as a real one would.
      this.writing = { entries: entries.slice(), hardState, done: resolve };
      this.host.schedule(this.host.diskLatency(), { kind: 'disk', life: this.life });
    });
  }

  /**
   * The disk event: the write in progress lands, atomically. Returns what tells the
   * runtime (resolves its `persist()`): the simulator may crash the node in between.
   */
  land(): () => void {
    const w = this.writing;
    if (w === undefined) throw new Error(`${this.life.nodeId}: a disk event without a write`);
    this.writing = undefined;
    const disk = this.life.disk;
    const first = w.entries[0];
    if (first !== undefined) {
      // The contract: replace stored entries from entries[0].index on.
      disk.entries.length = first.index - 1;
      for (const e of w.entries) disk.entries.push(e);
    }
    if (w.hardState !== undefined) disk.hardState = w.hardState;
    this.host.persisted(this.life, first?.index);
    return w.done;
  }

  /** Not simulated yet: the simulated disk holds the whole log (the runtime does not compact). */
  compact(point: SnapshotPoint): Promise<void> {
    return this.life.broken(`compact(${point.index}) is not simulated yet`);
  }

  /** Not simulated yet (no snapshots are installed in the simulation). */
  resetTo(point: SnapshotPoint): Promise<void> {
    return this.life.broken(`resetTo(${point.index}) is not simulated yet`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Apply {
  readonly index: number;
  readonly data: Uint8Array;
  readonly done: (result: Applied) => void;
}

export class SimStateMachine implements StateMachine<Applied> {
  private applying: Apply | undefined;

  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
  ) {}

  get appliedIndex(): number {
    return this.life.disk.applied.length;
  }

  /** An apply is in progress. */
  get busy(): boolean {
    return this.applying !== undefined;
  }

  apply(index: number, data: Uint8Array): Promise<Applied> {
    if (!this.life.alive) return never();
    if (this.applying !== undefined)
      return this.life.broken(`apply(${index}) while apply(${this.applying.index}) is in progress`);
    if (index !== this.appliedIndex + 1)
      return this.life.broken(`apply(${index}) after applying ${this.appliedIndex}`);
    const latency = this.host.applyLatency();
    if (latency <= 0) {
      try {
        return Promise.resolve(this.record(index, data));
      } catch (error) {
        this.host.fault(error);
        return Promise.reject(error);
      }
    }
    return new Promise<Applied>((resolve) => {
      this.applying = { index, data, done: resolve };
      this.host.schedule(latency, { kind: 'apply', life: this.life });
    });
  }

  /** The apply event: the entry is applied durably. Returns what tells the runtime. */
  land(): () => void {
    const a = this.applying;
    if (a === undefined) throw new Error(`${this.life.nodeId}: an apply event without an apply`);
    this.applying = undefined;
    const result = this.record(a.index, a.data);
    return () => a.done(result);
  }

  private record(index: number, data: Uint8Array): Applied {
    const disk = this.life.disk;
    // Committed entries are handed out only once durable here (log.ts), so the
    // entry is on this node's disk; the runtime passes its payload only.
    const entry = disk.entries[index - 1];
    if (entry === undefined || !samePayload(entry, data))
      throw new SimViolation(
        'State Machine Safety',
        `${this.life.nodeId} applies at index ${index} a payload that its durable log does not hold there`,
      );
    const before = disk.applied.length;
    disk.applied.push(entry);
    this.host.applied(this.life, entry, before);
    return { index, term: entry.term, fp: fingerprint(entry) };
  }
}

function samePayload(e: Entry, data: Uint8Array): boolean {
  if (e.type === 'noop') return data.byteLength === 0;
  if (e.data.byteLength !== data.byteLength) return false;
  for (let i = 0; i < data.byteLength; i++) if (e.data[i] !== data[i]) return false;
  return true;
}

export class SimTransport implements Transport {
  private closed = false;

  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
  ) {}

  send(messages: readonly Message[]): void {
    if (this.closed || !this.life.alive) return;
    for (const m of messages) {
      try {
        this.host.send(m);
      } catch (error) {
        // The contract: send never throws. A violation found at send is the simulator's.
        this.host.fault(error);
      }
    }
  }

  close(): void {
    this.closed = true;
  }
}

/** One life of a node's process: its ports, and the runtime once opened. */
export class Incarnation {
  alive = true;
  runtime: RaftRuntime<Applied> | undefined;
  readonly clock: SimClock;
  readonly log: SimLogStorage;
  readonly stateMachine: SimStateMachine;
  readonly transport: SimTransport;

  constructor(
    readonly nodeId: NodeId,
    readonly disk: SimDisk,
    private readonly host: SimHost,
    private readonly random: RandomSource,
  ) {
    this.clock = new SimClock(host, this);
    this.log = new SimLogStorage(host, this);
    this.stateMachine = new SimStateMachine(host, this);
    this.transport = new SimTransport(host, this);
  }

  get ports(): RaftPorts<Applied> {
    return {
      log: this.log,
      stateMachine: this.stateMachine,
      transport: this.transport,
      clock: this.clock,
      random: this.random,
    };
  }

  /** No disk write or apply in progress. */
  get idle(): boolean {
    return !this.log.busy && !this.stateMachine.busy;
  }

  /**
   * The process dies. Its timers never fire again, it sends nothing more, and the
   * disk write or apply in progress never completes (their promises never settle):
   * the runtime object is abandoned as it stands.
   */
  kill(): void {
    this.alive = false;
    this.transport.close();
  }

  /** The runtime broke a port's contract. */
  broken<T>(what: string): Promise<T> {
    const error = new SimViolation('Port Contract', `${this.nodeId}: ${what}`);
    this.host.fault(error);
    return Promise.reject(error);
  }
}
