/**
 * A tiny synchronous test network for rule-by-rule tests (in the style of etcd's
 * raft_test.go `network`): every node's Ready is persisted to an in-memory disk,
 * its messages queued (Ready.messages before the write, messagesAfterAppend after
 * it), its committed entries applied, then advanced — exactly the runtime
 * contract, but with explicit control over which messages get delivered.
 */
import {
  RaftNode,
  type AppendEntriesMessage,
  type Entry,
  type HardState,
  type Message,
  type RaftConfigInput,
  type ReadState,
  type Ready,
  type SnapshotPoint,
  type SnapshotRequest,
} from '../../src/raft/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** A log entry for initial states. */
export function ent(index: number, term: number, data = `e${index}t${term}`): Entry {
  return { index, term, type: 'normal', data: bytes(data) };
}

/** Entries 1..terms.length with the given terms. */
export function logOf(...terms: number[]): Entry[] {
  return terms.map((t, i) => ent(i + 1, t));
}

export interface NodeSetup {
  hardState?: Partial<HardState>;
  /** The stored log: from `snapshot.index + 1` (from 1 without a snapshot). */
  entries?: Entry[];
  snapshot?: SnapshotPoint;
  applied?: number;
  config?: Partial<RaftConfigInput>;
}

export function newNode(id: string, peers: string[], setup: NodeSetup = {}): RaftNode {
  return new RaftNode(
    {
      id,
      peers,
      electionTick: 10,
      heartbeatTick: 1,
      preVote: false,
      checkQuorum: false,
      random: () => 0,
      ...setup.config,
    },
    {
      hardState: { term: 0, vote: undefined, commit: 0, ...setup.hardState },
      entries: setup.entries ?? [],
      ...(setup.snapshot !== undefined ? { snapshot: setup.snapshot } : {}),
      ...(setup.applied !== undefined ? { applied: setup.applied } : {}),
    },
  );
}

interface Disk {
  hardState: HardState;
  /** Where the stored log starts ((0, 0): at index 1). */
  snapshot: SnapshotPoint;
  /** Entries from snapshot.index + 1. */
  entries: Entry[];
}

/** A Ready.snapshotsToSend request, with the leader that made it. */
export type SentSnapshotRequest = SnapshotRequest & { from: string };

export class TestCluster {
  readonly nodes = new Map<string, RaftNode>();
  readonly disks = new Map<string, Disk>();
  readonly applied = new Map<string, Entry[]>();
  readonly readStates = new Map<string, ReadState[]>();
  readonly readies = new Map<string, Ready[]>();
  /**
   * Every snapshot request the leaders made (Ready.snapshotsToSend), in order. Each
   * node's state machine is its `applied` list; a snapshot of it at index i is that
   * list's first i entries (see sendSnapshot).
   */
  snapshotRequests: SentSnapshotRequest[] = [];
  /** Messages sent and not yet delivered, in send order. */
  inbox: Message[] = [];
  /** Messages matching this are dropped at delivery. */
  drop: (m: Message) => boolean = () => false;
  private readonly setups = new Map<string, NodeSetup>();

  constructor(
    readonly ids: string[],
    setups: Record<string, NodeSetup> = {},
    common: Partial<RaftConfigInput> = {},
  ) {
    for (const id of ids) {
      const s = setups[id] ?? {};
      const setup: NodeSetup = { ...s, config: { ...common, ...s.config } };
      this.setups.set(id, setup);
      this.nodes.set(id, newNode(id, ids, setup));
      this.disks.set(id, {
        hardState: { term: 0, vote: undefined, commit: 0, ...setup.hardState },
        snapshot: setup.snapshot ?? { index: 0, term: 0 },
        entries: [...(setup.entries ?? [])],
      });
      this.applied.set(id, []);
      this.readStates.set(id, []);
      this.readies.set(id, []);
    }
  }

  node(id: string): RaftNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Run every node's Ready cycle until nothing is left to do. */
  settle(): void {
    for (let again = true; again;) {
      again = false;
      for (const id of this.ids) {
        const n = this.node(id);
        while (n.hasReady()) {
          again = true;
          this.processReady(id, n.ready());
        }
      }
    }
  }

  processReady(id: string, rd: Ready): void {
    const n = this.node(id);
    const disk = this.disks.get(id)!;
    // Ready.messages may leave before the write; messagesAfterAppend only after it
    // (the "disk" here is written synchronously, so only the queue order shows it).
    this.inbox.push(...rd.messages);
    this.snapshotRequests.push(...rd.snapshotsToSend.map((r) => ({ ...r, from: id })));
    // A snapshot install moves the stored log's start first.
    const installed = rd.snapshotInstalled;
    if (installed !== undefined) {
      disk.snapshot = { index: installed.index, term: installed.term };
      disk.entries = installed.logRetained
        ? disk.entries.filter((e) => e.index > installed.index)
        : [];
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      if (first.index <= disk.snapshot.index)
        throw new Error(`${id}: Ready entries from ${first.index}, inside the stored snapshot`);
      disk.entries.length = first.index - disk.snapshot.index - 1;
      disk.entries.push(...rd.entries);
    }
    if (rd.hardState !== undefined) disk.hardState = rd.hardState;
    this.inbox.push(...rd.messagesAfterAppend);
    this.applied.get(id)!.push(...rd.committedEntries);
    this.readStates.get(id)!.push(...rd.readStates);
    this.readies.get(id)!.push(rd);
    n.advance(rd);
  }

  /** Deliver the messages currently queued (not those they cause); returns how many were delivered. */
  deliverOnce(filter: (m: Message) => boolean = () => true): number {
    const batch = this.inbox.filter(filter);
    this.inbox = this.inbox.filter((m) => !filter(m));
    let delivered = 0;
    for (const m of batch) {
      if (this.drop(m)) continue;
      delivered++;
      this.node(m.to).step(m);
    }
    this.settle();
    return delivered;
  }

  /** Deliver until the network is quiet. */
  deliverAll(maxRounds = 200): void {
    this.settle();
    for (let i = 0; i < maxRounds && this.inbox.length > 0; i++) this.deliverOnce();
    if (this.inbox.length > 0) throw new Error('network did not quiesce');
  }

  /** Take (and remove) queued messages matching `filter`. */
  take(filter: (m: Message) => boolean): Message[] {
    this.settle();
    const taken = this.inbox.filter(filter);
    this.inbox = this.inbox.filter((m) => !filter(m));
    return taken;
  }

  tick(id: string, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).tick();
    this.settle();
  }

  /** Tick `id` until it leaves the follower role (starts a pre-election or election). */
  campaign(id: string): void {
    const n = this.node(id);
    for (let i = 0; i < 1000 && n.status().role === 'follower'; i++) n.tick();
    this.settle();
  }

  /** Make `id` the leader through a normal election, and let the network settle. */
  elect(id: string): void {
    this.campaign(id);
    this.deliverAll();
    const st = this.node(id).status();
    if (st.role !== 'leader')
      throw new Error(`${id} failed to become leader: ${JSON.stringify(st)}`);
  }

  /** Cut a node off in both directions. */
  isolate(id: string): void {
    this.drop = (m) => m.from === id || m.to === id;
  }

  heal(): void {
    this.drop = () => false;
  }

  /** Crash `id` (losing everything not on its disk) and restart it from its disk. */
  restart(id: string): RaftNode {
    const disk = this.disks.get(id)!;
    const setup = this.setups.get(id)!;
    const n = newNode(id, this.ids, {
      ...setup,
      hardState: disk.hardState,
      entries: [...disk.entries],
      snapshot: disk.snapshot,
      applied: this.applied.get(id)!.length,
    });
    this.nodes.set(id, n);
    this.inbox = this.inbox.filter((m) => m.from !== id);
    return n;
  }

  /** Terms of the entries `id` holds in memory (from its first index). */
  logTerms(id: string): number[] {
    const n = this.node(id);
    return n.logEntries(1, n.status().lastIndex).map((e) => e.term);
  }

  /**
   * What a runtime does once `id`'s state machine has a durable snapshot at `index`
   * (here the applied list always is one): compact the core and the stored log.
   */
  compact(id: string, index: number): boolean {
    const n = this.node(id);
    const term = n.logTerm(index);
    const done = n.compact(index);
    if (done) {
      const disk = this.disks.get(id)!;
      disk.entries = disk.entries.filter((e) => e.index > index);
      disk.snapshot = { index, term: term! };
    }
    this.settle();
    return done;
  }

  /**
   * The runtime's out-of-band transfer of leader `from`'s snapshot (the one its log
   * starts after) to `to`, as leader of `term`: `to` checks it (wantsSnapshot),
   * restores it (its applied list becomes `from`'s prefix) and installs it. Returns
   * installSnapshot's answer, or false if `to` did not want it. Does not report to
   * the leader: see `reportSnapshot`.
   */
  sendSnapshot(from: string, to: string, term: number): boolean {
    const leader = this.node(from);
    const { snapshotIndex: index } = leader.status();
    const snapshotTerm = leader.logTerm(index)!;
    const follower = this.node(to);
    if (!follower.wantsSnapshot(from, term, index)) {
      this.settle();
      return false;
    }
    this.applied.set(to, this.applied.get(from)!.slice(0, index));
    const installed = follower.installSnapshot({ from, term, index, snapshotTerm });
    this.settle();
    return installed;
  }
}

/** An AppendEntries from leader `a` (the tests' usual leader). */
export function appendEntries(
  to: string,
  term: number,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: Entry[],
  leaderCommit = 0,
): AppendEntriesMessage {
  return {
    type: 'AppendEntries',
    from: 'a',
    to,
    term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit,
  };
}
