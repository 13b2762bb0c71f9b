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
 *  - SimLogStorage: the node's simulated disk. `persist()`, `compact()` and `resetTo()`
 *    return promises that the simulator resolves at a 'disk' event after a seeded
 *    latency, so the runtime really waits for the disk; each write lands atomically at
 *    its event (`sync` or not: every write that lands is durable), in the order the
 *    writes were issued (one queue, as LevelDB's batches). A crash before it lands
 *    loses it: its promise never settles and the disk keeps only completed writes.
 *    The stored log starts after `logStart`, the snapshot point it was compacted or
 *    reset to. The configuration at the log start is kept exactly as the production
 *    store keeps it: `compact` and `resetTo` store their point's membership with the new
 *    start (none when the point carries none), `recordMembership` replaces it and keeps
 *    the start (a write like the others, lost if a crash comes first), and `load`
 *    returns it as `PersistedLog.membership`.
 *  - SimStateMachine: applying an entry appends it to the disk's durable applied list
 *    (what the checker calls "applied"), atomically with its result, like a state
 *    machine that stores its applied index with its data. With `applyLatency() === 0`
 *    that happens within `apply()`; otherwise at an 'apply' event after that latency,
 *    and a crash before it loses the apply (the entry is applied again from the log
 *    after the restart).
 *  - SimSnapshotStore: the node's snapshot folders, on the same disk. `take()` (or
 *    `capture()`, whose write-out then runs while entries are applied again) copies
 *    the state machine's applied list (its state) at its applied index and lands, as a
 *    new durable snapshot, at a 'store' event; `install(folder)` replaces the applied
 *    list by the snapshot's at a 'store' event (atomic: a crash before it lands keeps
 *    the old state). A folder is an opaque id, `<node>/<index>`, like the production
 *    store's `<root>/<index>` (a snapshot received from a leader lands there too).
 *  - SimSnapshotSender: hands a snapshot to the simulator, which streams it over the
 *    simulated network and calls the follower's `receiveSnapshot` on arrival.
 *  - SimTransport: `send` hands each message to the simulated network (delay, loss,
 *    duplication, reordering, partitions), which delivers it to whatever incarnation
 *    of the target is alive then.
 *  - random: the node's seeded Prng.
 *
 * The ports also check that the runtime keeps their contracts (one write at a time,
 * entries applied in order, only bytes from the durable log): 'Port Contract'.
 */
import type { Entry, HardState, Message, NodeId } from '../../../src/raft/index.js';
import type { Membership } from '../../../src/raft/membership.js';
import type {
  Clock,
  LogStorage,
  PersistedLog,
  RaftPorts,
  RandomSource,
  SnapshotHeader,
  SnapshotPoint,
  SnapshotRef,
  SnapshotSender,
  SnapshotStore,
  StateMachine,
  TimerHandle,
  Transport,
} from '../../../src/raft/runtime/ports.js';
import type { RaftRuntime } from '../../../src/raft/runtime/raft-runtime.js';
import {
  SimViolation,
  diskEntry,
  diskLastIndex,
  newestSnapshot,
  fingerprint,
  type CheckedSnapshot,
} from './checker.js';

/** A durable snapshot (a "folder") on a node's simulated disk. */
export interface SimSnapshot extends CheckedSnapshot {
  /** Its opaque id: `<node>/<index>`. */
  readonly folder: string;
}

/** What one node keeps across crashes. */
export interface SimDisk {
  hardState: HardState;
  /**
   * Where the stored log starts: the snapshot point it was compacted or reset to ({0, 0}:
   * none), with the configuration stored there (by compact, resetTo or recordMembership).
   */
  logStart: SnapshotPoint;
  /** The durable Raft log after `logStart`: entries[i] has index logStart.index + 1 + i. */
  entries: Entry[];
  /** The durable state machine: every entry applied, in order (applied index = length). */
  applied: Entry[];
  /** The durable snapshots, by index (the newest two that were taken, and any received). */
  snapshots: Map<number, SimSnapshot>;
}

/** A fresh node's disk. */
export function emptyDisk(): SimDisk {
  return {
    hardState: { term: 0, vote: undefined, commit: 0 },
    logStart: { index: 0, term: 0 },
    entries: [],
    applied: [],
    snapshots: new Map(),
  };
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
  | { readonly kind: 'apply'; readonly life: Incarnation }
  | { readonly kind: 'store'; readonly life: Incarnation };

/** Deliberate breakage of the simulated ports (see SimFaults). */
export interface PortFaults {
  /** SnapshotStore.install leaves out the snapshot's last entry. */
  readonly installDropsLastEntry?: boolean;
}

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
  /** A seeded latency of taking or installing a snapshot (at least 1). */
  snapshotLatency(): number;
  /** Hands a message to the simulated network (checked as it leaves: may throw a SimViolation). */
  send(m: Message): void;
  /** A write landed on `life`'s disk; `fromIndex` is the first log index it (re)wrote. */
  persisted(life: Incarnation, fromIndex: number | undefined): void;
  /** `life`'s state machine applied `entry` durably; its applied index was `appliedBefore`. */
  applied(life: Incarnation, entry: Entry, appliedBefore: number): void;
  /** A compaction or reset landed: `life`'s stored log now starts after `disk.logStart`. */
  logStartMoved(life: Incarnation): void;
  /** A recordMembership landed: `disk.logStart.membership` is the configuration stored there. */
  membershipRecorded(life: Incarnation): void;
  /** A snapshot `life` took landed on its disk. */
  snapshotTaken(life: Incarnation, snapshot: SimSnapshot): void;
  /** `life` installed `snapshot`: its applied list was `appliedBefore` entries long. */
  snapshotInstalled(life: Incarnation, snapshot: SimSnapshot, appliedBefore: number): void;
  /** Streams a snapshot of `life` to a follower (SnapshotSender.sendSnapshot). */
  sendSnapshot(
    life: Incarnation,
    header: SnapshotHeader,
    folder: string,
    timeoutMs: number,
  ): Promise<{ installed: boolean; reason: string }>;
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

/** A log write issued and not landed yet. */
type Write =
  | {
      readonly kind: 'persist';
      readonly entries: readonly Entry[];
      readonly hardState: HardState | undefined;
      readonly done: () => void;
    }
  | {
      readonly kind: 'compact' | 'reset';
      readonly point: SnapshotPoint;
      readonly done: () => void;
    }
  | {
      readonly kind: 'record';
      readonly membership: Membership;
      readonly done: () => void;
    };

/** What a landed log write was, for the simulator's crash points. */
export type WriteKind = Write['kind'];

export class SimLogStorage implements LogStorage {
  /** Writes issued and not landed yet, in the order they land. */
  private readonly writes: Write[] = [];
  /** When the last write issued lands (writes land in order). */
  private lastLanding = 0;

  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
    private readonly faults: PortFaults = {},
  ) {}

  /** A write is in progress. */
  get busy(): boolean {
    return this.writes.length > 0;
  }

  /** What the next write to land is, if any. */
  get next(): WriteKind | undefined {
    return this.writes[0]?.kind;
  }

  load(): Promise<PersistedLog> {
    const disk = this.life.disk;
    const { index, term, membership } = disk.logStart;
    return Promise.resolve({
      hardState: { ...disk.hardState },
      entries: disk.entries.slice(),
      // As the production store: the snapshot point without its configuration, which
      // comes back on its own (also at index 0, where it is what a new node started from).
      ...(index > 0 ? { snapshot: { index, term } } : {}),
      ...(membership !== undefined ? { membership } : {}),
    });
  }

  persist(
    entries: readonly Entry[],
    hardState: HardState | undefined,
    // Every write that lands is durable: the simulated disk has no volatile cache.
    _sync: boolean,
  ): Promise<void> {
    if (!this.life.alive) return never();
    if (this.writes.some((w) => w.kind === 'persist'))
      return this.life.broken('persist() called while the previous write is in progress');
    // The write takes its bytes now, as a real one would.
    return this.issue((done) => ({ kind: 'persist', entries: entries.slice(), hardState, done }));
  }

  /** Drops the entries up to `point.index`; the log starts after it. Lands like a persist. */
  compact(point: SnapshotPoint): Promise<void> {
    if (!this.life.alive) return never();
    return this.issue((done) => ({ kind: 'compact', point: { ...point }, done }));
  }

  /** Drops every entry; the log starts after `point`. Lands like a persist. */
  resetTo(point: SnapshotPoint): Promise<void> {
    if (!this.life.alive) return never();
    return this.issue((done) => ({ kind: 'reset', point: { ...point }, done }));
  }

  /** Stores `membership` as the configuration at the current log start, keeping the start. */
  recordMembership(membership: Membership): Promise<void> {
    if (!this.life.alive) return never();
    return this.issue((done) => ({ kind: 'record', membership, done }));
  }

  private issue(write: (done: () => void) => Write): Promise<void> {
    return new Promise<void>((resolve) => {
      this.writes.push(write(resolve));
      // Writes land in the order they were issued (the event queue keeps the order of
      // equal times), each after its own seeded latency.
      const at = Math.max(this.host.now() + this.host.diskLatency(), this.lastLanding);
      this.lastLanding = at;
      this.host.schedule(at - this.host.now(), { kind: 'disk', life: this.life });
    });
  }

  /**
   * The disk event: the oldest write in progress lands, atomically. Returns what tells
   * the runtime (resolves its promise) and what the write was: the simulator may crash
   * the node in between.
   */
  land(): { resume: () => void; kind: WriteKind } {
    const w = this.writes.shift();
    if (w === undefined) throw new Error(`${this.life.nodeId}: a disk event without a write`);
    const disk = this.life.disk;
    const start = disk.logStart.index;
    if (w.kind === 'persist') {
      const first = w.entries[0];
      if (first !== undefined) {
        // The stored log holds no entry at or before its start (the production log
        // store refuses to load one): such a write is the runtime's mistake.
        if (first.index <= start)
          this.life.violation(
            `persist() of entries from ${first.index} landed on a log that starts after ${start}: the disk would hold entries inside its snapshot`,
          );
        else if (first.index > diskLastIndex(disk) + 1)
          this.life.violation(
            `persist() of entries from ${first.index}, but the disk ends at ${diskLastIndex(disk)}`,
          );
        else {
          // The contract: replace stored entries from entries[0].index on.
          disk.entries.length = first.index - start - 1;
          for (const e of w.entries) disk.entries.push(e);
        }
      }
      if (w.hardState !== undefined) disk.hardState = w.hardState;
      this.host.persisted(this.life, first?.index);
      return { resume: w.done, kind: w.kind };
    }
    if (w.kind === 'record') {
      disk.logStart = {
        index: disk.logStart.index,
        term: disk.logStart.term,
        membership: w.membership,
      };
      this.host.membershipRecorded(this.life);
      return { resume: w.done, kind: w.kind };
    }
    const { point } = w;
    const call = `${w.kind === 'compact' ? 'compact' : 'resetTo'}(${point.index}/${point.term})`;
    if (point.index < start || (point.index === start && point.term !== disk.logStart.term)) {
      this.life.violation(
        `${call} landed on a log that starts after ${start}/${disk.logStart.term}: its start would move backwards or change`,
      );
      return { resume: w.done, kind: w.kind };
    }
    // compact: the entries after the point stay (none when the point is beyond the
    // stored log: the log then continues after the point); resetTo: none stays.
    disk.entries = w.kind === 'compact' ? disk.entries.slice(point.index - start) : [];
    // The production store writes the point as given: a point without a configuration
    // leaves none stored (load then returns none).
    disk.logStart = {
      index: point.index,
      term: point.term,
      ...(point.membership !== undefined ? { membership: point.membership } : {}),
    };
    this.host.logStartMoved(this.life);
    return { resume: w.done, kind: w.kind };
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

  /**
   * Entries of a group one after the other, each with its own simulated latency. Each
   * lands durably at once, so the results are decided when the last one lands.
   */
  async apply(
    first: number,
    payloads: readonly Uint8Array[],
    decided?: (results: readonly Applied[]) => void,
  ): Promise<Applied[]> {
    const results: Applied[] = [];
    for (let k = 0; k < payloads.length; k++)
      results.push(await this.applyOne(first + k, payloads[k]!));
    decided?.(results);
    return results;
  }

  private applyOne(index: number, data: Uint8Array): Promise<Applied> {
    if (!this.life.alive) return never();
    if (this.applying !== undefined)
      return this.life.broken(`apply(${index}) while apply(${this.applying.index}) is in progress`);
    if (this.life.snapshots.holdingState)
      return this.life.broken(
        `apply(${index}) while a snapshot is ${this.life.snapshots.holdingState} (the state would move underneath)`,
      );
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
    const entry = diskEntry(disk, index);
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

interface StoreOp {
  readonly kind: 'taken' | 'installed';
  readonly snapshot: SimSnapshot;
  readonly done: () => void;
  /** Whether applying now would move the state underneath (not so for a capture's write-out). */
  readonly holdsState: boolean;
}

/** The snapshot folders on a node's simulated disk (SnapshotStore). */
export class SimSnapshotStore implements SnapshotStore {
  private op: StoreOp | undefined;

  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
    private readonly faults: PortFaults,
  ) {}

  /** What is in progress: 'taken' or 'installed'; undefined when idle. */
  get busy(): 'taken' | 'installed' | undefined {
    return this.op?.kind;
  }

  /** What is in progress that an apply must not overlap. */
  get holdingState(): 'taken' | 'installed' | undefined {
    return this.op?.holdsState ? this.op.kind : undefined;
  }

  take(): Promise<SnapshotRef> {
    if (!this.life.alive) return never();
    const refused = this.refusal('take()');
    if (refused !== undefined) return this.life.broken(refused);
    // The state is captured now: the runtime keeps applies away until it resolves.
    return this.writeOut(this.life.disk.applied.slice(), true);
  }

  capture(): Promise<() => Promise<SnapshotRef>> {
    if (!this.life.alive) return never();
    const refused = this.refusal('capture()');
    if (refused !== undefined) return this.life.broken(refused);
    // Captured now, with applies held; written out later, while entries may be applied.
    const state: readonly Entry[] = this.life.disk.applied.slice();
    return Promise.resolve(() => {
      if (!this.life.alive) return never();
      if (this.op !== undefined)
        return this.life.broken(`a capture written out while a snapshot is ${this.op.kind}`);
      return this.writeOut(state, false);
    });
  }

  /** Lands `state` on the disk as a new snapshot after a seeded latency. */
  private writeOut(state: readonly Entry[], holdsState: boolean): Promise<SnapshotRef> {
    const index = state.length;
    const snapshot: SimSnapshot = {
      folder: `${this.life.nodeId}/${index}`,
      index,
      term: state[index - 1]?.term ?? 0,
      state,
    };
    return new Promise<SnapshotRef>((resolve) => {
      this.op = { kind: 'taken', snapshot, done: () => resolve(refOf(snapshot)), holdsState };
      this.host.schedule(this.host.snapshotLatency(), { kind: 'store', life: this.life });
    });
  }

  newest(): Promise<SnapshotRef | undefined> {
    if (!this.life.alive) return never();
    const newest = newestSnapshot(this.life.disk);
    return Promise.resolve(newest === undefined ? undefined : refOf(newest as SimSnapshot));
  }

  find(index: number): Promise<SnapshotRef | undefined> {
    if (!this.life.alive) return never();
    const found = this.life.disk.snapshots.get(index);
    return Promise.resolve(found === undefined ? undefined : refOf(found));
  }

  install(folder: string): Promise<void> {
    if (!this.life.alive) return never();
    const refused = this.refusal(`install(${folder})`);
    if (refused !== undefined) return this.life.broken(refused);
    const snapshot = [...this.life.disk.snapshots.values()].find((s) => s.folder === folder);
    if (snapshot === undefined)
      return this.life.broken(`install(${folder}): no such snapshot on this node's disk`);
    return new Promise<void>((resolve) => {
      this.op = { kind: 'installed', snapshot, done: resolve, holdsState: true };
      this.host.schedule(this.host.snapshotLatency(), { kind: 'store', life: this.life });
    });
  }

  private refusal(call: string): string | undefined {
    if (this.op !== undefined) return `${call} while a snapshot is ${this.op.kind}`;
    if (this.life.stateMachine.busy) return `${call} while an entry is being applied`;
    return undefined;
  }

  /**
   * The store event: the snapshot being taken lands on the disk as a new folder (the
   * newest two taken are kept, as the production store does), or the one being
   * installed replaces the state, atomically. Returns what tells the runtime.
   */
  land(): { resume: () => void; kind: 'taken' | 'installed' } {
    const op = this.op;
    if (op === undefined) throw new Error(`${this.life.nodeId}: a store event without a snapshot`);
    this.op = undefined;
    const disk = this.life.disk;
    const { snapshot } = op;
    if (op.kind === 'taken') {
      disk.snapshots.set(snapshot.index, snapshot);
      const indexes = [...disk.snapshots.keys()].sort((a, b) => b - a);
      for (const old of indexes.slice(KEEP_SNAPSHOTS)) disk.snapshots.delete(old);
      this.host.snapshotTaken(this.life, snapshot);
    } else {
      const before = disk.applied.length;
      disk.applied = this.faults.installDropsLastEntry
        ? snapshot.state.slice(0, -1)
        : snapshot.state.slice();
      this.host.snapshotInstalled(this.life, snapshot, before);
    }
    return { resume: op.done, kind: op.kind };
  }
}

/** Snapshots a node keeps of those it took (the production store keeps two). */
const KEEP_SNAPSHOTS = 2;

const encoder = new TextEncoder();

function refOf(s: SimSnapshot): SnapshotRef {
  return {
    index: s.index,
    folder: s.folder,
    meta: encoder.encode(JSON.stringify({ index: s.index, term: s.term })),
  };
}

/** Streams snapshots through the simulated network (SnapshotSender). */
export class SimSnapshotSender implements SnapshotSender {
  constructor(
    private readonly host: SimHost,
    private readonly life: Incarnation,
  ) {}

  sendSnapshot(
    header: SnapshotHeader,
    folder: string,
    _meta: Uint8Array,
    timeoutMs: number,
  ): Promise<{ installed: boolean; reason: string }> {
    if (!this.life.alive) return never();
    return this.host.sendSnapshot(this.life, header, folder, timeoutMs);
  }
}

function samePayload(e: Entry, data: Uint8Array): boolean {
  // The state machine sees a configuration as a no-op (the runtime's business).
  if (e.type !== 'normal') return data.byteLength === 0;
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
  readonly snapshots: SimSnapshotStore;
  readonly sender: SimSnapshotSender;
  /** Called once when the process dies (e.g. a snapshot stream it received breaks). */
  private readonly onKill: (() => void)[] = [];

  constructor(
    readonly nodeId: NodeId,
    readonly disk: SimDisk,
    private readonly host: SimHost,
    private readonly random: RandomSource,
    /** Whether the runtime gets the snapshot ports (else it never compacts). */
    private readonly withSnapshots: boolean,
    faults: PortFaults = {},
  ) {
    this.clock = new SimClock(host, this);
    this.log = new SimLogStorage(host, this, faults);
    this.stateMachine = new SimStateMachine(host, this);
    this.transport = new SimTransport(host, this);
    this.snapshots = new SimSnapshotStore(host, this, faults);
    this.sender = new SimSnapshotSender(host, this);
  }

  get ports(): RaftPorts<Applied> {
    return {
      log: this.log,
      stateMachine: this.stateMachine,
      transport: this.transport,
      clock: this.clock,
      random: this.random,
      ...(this.withSnapshots ? { snapshots: { store: this.snapshots, sender: this.sender } } : {}),
    };
  }

  /** No disk write, apply or snapshot in progress. */
  get idle(): boolean {
    return !this.log.busy && !this.stateMachine.busy && this.snapshots.busy === undefined;
  }

  /** Runs `fn` when the process dies (at once if it is dead). */
  whenKilled(fn: () => void): void {
    if (this.alive) this.onKill.push(fn);
    else fn();
  }

  /**
   * The process dies. Its timers never fire again, it sends nothing more, and the
   * disk write, apply or snapshot in progress never completes (their promises never
   * settle): the runtime object is abandoned as it stands.
   */
  kill(): void {
    this.alive = false;
    this.transport.close();
    for (const fn of this.onKill.splice(0)) fn();
  }

  /** The runtime broke a port's contract: the call fails. */
  broken<T>(what: string): Promise<T> {
    return Promise.reject(this.violation(what));
  }

  /** The runtime broke a port's contract: recorded (the run fails after this event). */
  violation(what: string): SimViolation {
    const error = new SimViolation('Port Contract', `${this.nodeId}: ${what}`);
    this.host.fault(error);
    return error;
  }
}
