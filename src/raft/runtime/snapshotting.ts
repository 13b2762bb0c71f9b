/**
 * The runtime's snapshot work, around the core's snapshot API (RaftNode.compact,
 * Ready.snapshotsToSend, reportSnapshot, wantsSnapshot, installSnapshot):
 *
 * - take: once `thresholdEntries` entries were applied since the last snapshot, a
 *   snapshot of the state machine is written, then the log is compacted up to
 *   `trailingEntries` before it (on disk, then in the core): those trailing entries
 *   let a follower that is only a little behind catch up by AppendEntries.
 * - send (leader): for each follower the core says needs one, the newest snapshot
 *   (or a fresh one) is streamed, and the outcome reported to the core.
 * - receive (follower): a snapshot that arrived whole is installed if the core
 *   wants it: the stored log first starts after it (so that a crash from here on
 *   restarts from the snapshot), then the state machine is replaced, then the core
 *   is told. Peer messages and ticks are dropped meanwhile (Raft re-sends), so the
 *   core's yes still holds when it is told.
 *
 * Every step that reads or replaces the state machine runs in the apply queue, so
 * no entry is applied while the state is captured or replaced.
 */
import type { RaftNode } from '../raft-node.js';
import type { NodeId, SnapshotRequest } from '../types.js';
import type {
  LogStorage,
  RuntimeObserver,
  SnapshotHeader,
  SnapshotRef,
  SnapshotSender,
  SnapshotStore,
} from './ports.js';

export interface SnapshotPolicy {
  /** Entries applied since the last snapshot that trigger the next one. */
  thresholdEntries: number;
  /**
   * Payload bytes applied since the last snapshot that trigger the next one: at least
   * this, or `thresholdGrowth` times the last snapshot's size, up to `maxThresholdBytes`.
   */
  thresholdBytes: number;
  /**
   * A snapshot copies the whole state, so a fixed byte threshold made a bulk load copy
   * it again every 64 MiB: quadratic in the size of the load. Waiting for a log as large
   * as the last snapshot (times this factor) bounds the copying to about one byte per
   * byte logged, as Redis's auto-aof-rewrite-percentage does for its AOF.
   */
  thresholdGrowth: number;
  /** The byte threshold never grows past this: entries since the last snapshot stay in memory. */
  maxThresholdBytes: number;
  /**
   * Entries kept in the log before the snapshot point, for followers a little behind,
   * and at most `trailingBytes` of them: the log in memory stays bounded in bytes.
   */
  trailingEntries: number;
  trailingBytes: number;
  /** How long one transfer may take before it counts as failed. */
  sendTimeoutMs: number;
}

/**
 * A snapshot copies the whole state, so taking one every few thousand small writes
 * made the write path pay for it again and again (every 10,000 entries: 25–35% of the
 * throughput of 64 concurrent single writes). etcd's defaults: a snapshot every 100,000
 * entries, 5,000 kept for followers a little behind. The byte bounds keep the log in
 * memory bounded whatever the entries' size.
 */
export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = {
  thresholdEntries: 100_000,
  thresholdBytes: 64 * 1024 * 1024,
  thresholdGrowth: 1,
  maxThresholdBytes: 256 * 1024 * 1024,
  trailingEntries: 5_000,
  trailingBytes: 16 * 1024 * 1024,
  sendTimeoutMs: 10 * 60_000,
};

export interface SnapshottingHooks {
  id: NodeId;
  node: RaftNode;
  log: LogStorage;
  store: SnapshotStore;
  sender: SnapshotSender;
  policy: SnapshotPolicy;
  /** Runs `work` in the apply queue: after the entries queued before it, before any after. */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /** Runs a core input (and then lets the runtime handle the Ready it makes). */
  guarded: (input: () => void) => void;
  /** While true, the runtime drops peer messages and ticks. */
  holdInputs: (held: boolean) => void;
  /**
   * Stops the Ready cycle: resolves once the Ready being handled (if any) is done, with
   * the function that lets the cycle run again. Until then no Ready is handled, so
   * nothing is written to the log behind the caller's back.
   */
  pauseReadies: () => Promise<() => void>;
  appliedIndex: () => number;
  say: (line: string) => void;
  /** Milliseconds on the runtime's monotonic clock, to time snapshots for `observer`. */
  now: () => number;
  observer: RuntimeObserver | undefined;
}

export class Snapshotting {
  private lastSnapshotIndex = 0;
  /** The newest snapshot's size on disk (0: none, or not known). */
  private lastSnapshotBytes = 0;
  private bytesSinceSnapshot = 0;
  private taking: Promise<void> | undefined;
  /** The snapshots being taken, in turn (takeAndCompact). */
  private takes: Promise<unknown> = Promise.resolve();
  /** The snapshot being written out after its capture, applies running meanwhile. */
  private writingOut: Promise<SnapshotRef> | undefined;
  private readonly sending = new Set<NodeId>();
  private receiving = false;

  constructor(private readonly h: SnapshottingHooks) {}

  /** Resolves once no snapshot of this node's is being written (to close its stores). */
  async settled(): Promise<void> {
    // Every take, the automatic ones included, goes through `takes`.
    await this.takes;
  }

  /** Learns where the newest snapshot on disk stands (at start). */
  async init(): Promise<void> {
    const newest = await this.h.store.newest();
    this.lastSnapshotIndex = newest?.index ?? 0;
    this.lastSnapshotBytes = newest?.bytes ?? 0;
    // What the log already holds since that snapshot counts towards the next one: a
    // restart must not let the log in memory grow to twice the threshold.
    for (const entry of this.h.node.logEntries(this.lastSnapshotIndex + 1, this.h.appliedIndex()))
      this.bytesSinceSnapshot += entry.data.byteLength;
  }

  /** Payload bytes applied since the last snapshot that trigger the next one. */
  thresholdBytes(): number {
    const { thresholdBytes, thresholdGrowth, maxThresholdBytes } = this.h.policy;
    const grown = Math.min(maxThresholdBytes, thresholdGrowth * this.lastSnapshotBytes);
    // A policy or size that is not a number leaves the fixed threshold (a NaN would
    // compare false, and take a snapshot after every apply).
    return Number.isFinite(grown) ? Math.max(thresholdBytes, grown) : thresholdBytes;
  }

  /** Notes the newest snapshot (taken or installed): the next one is counted from it. */
  private snapshotAt(index: number, bytes: number | undefined): void {
    if (index < this.lastSnapshotIndex) return;
    this.lastSnapshotIndex = index;
    this.lastSnapshotBytes = bytes ?? 0;
  }

  /**
   * After entries of `bytes` payload were applied: takes a snapshot (and compacts)
   * when enough entries or bytes accumulated since the last one.
   */
  maybeTake(bytes: number): void {
    this.bytesSinceSnapshot += bytes;
    if (this.taking !== undefined) return;
    const entries = this.h.appliedIndex() - this.lastSnapshotIndex;
    if (entries < this.h.policy.thresholdEntries && this.bytesSinceSnapshot < this.thresholdBytes())
      return;
    this.bytesSinceSnapshot = 0;
    this.taking = this.takeAndCompact()
      .then(() => undefined)
      .catch((error: unknown) => this.h.say(`${this.h.id}: snapshot failed: ${String(error)}`))
      .finally(() => {
        this.taking = undefined;
      });
  }

  /**
   * Takes a snapshot now (on demand) and compacts the log behind it. One at a time: a
   * second waits for the first to be written (two at one index would write one folder).
   */
  takeAndCompact(): Promise<SnapshotRef> {
    const taken = this.takes.then(() => this.takeAndCompactNow());
    this.takes = taken.catch(() => undefined);
    return taken;
  }

  private async takeAndCompactNow(): Promise<SnapshotRef> {
    const { store } = this.h;
    let started = 0;
    let ref: SnapshotRef;
    if (store.capture === undefined) {
      ref = await this.h.exclusive(async () => {
        started = this.h.now();
        return store.take();
      });
    } else {
      // Only the capture holds applies: writing a large state out took seconds, and
      // every write waited for it.
      const { written } = await this.h.exclusive(async () => {
        started = this.h.now();
        const writeOut = await store.capture!();
        // Known as being written before anything queued behind the capture runs (an
        // install waits for it).
        this.writingOut = writeOut();
        return { written: this.writingOut };
      });
      try {
        ref = await written;
      } finally {
        this.writingOut = undefined;
      }
    }
    this.h.observer?.snapshotTaken(ref, (this.h.now() - started) / 1000);
    this.snapshotAt(ref.index, ref.bytes);
    this.h.say(`${this.h.id}: took snapshot ${ref.index}`);
    const upTo = this.compactionPoint(ref.index);
    // A node that joined a running cluster may not know the configuration at `upTo`
    // (before what it learned): it compacts later, from where it knows it.
    if (upTo > this.h.node.status().snapshotIndex && this.h.node.knowsMembershipAt(upTo)) {
      const term = this.h.node.logTerm(upTo);
      if (term !== undefined) {
        // Disk first: if the core forgot entries the disk still has, a restart would
        // simply load them again; the other way round would lose them.
        await this.h.log.compact({ index: upTo, term, membership: this.h.node.membershipAt(upTo) });
        this.h.guarded(() => this.h.node.compact(upTo));
      }
    }
    return ref;
  }

  /**
   * Where to compact to after a snapshot at `index`: keep at most trailingEntries
   * entries, and at most trailingBytes of payload, before it.
   */
  private compactionPoint(index: number): number {
    const { trailingEntries, trailingBytes } = this.h.policy;
    const first = Math.max(this.h.node.status().snapshotIndex + 1, index - trailingEntries + 1);
    if (first > index) return index - trailingEntries;
    const tail = this.h.node.logEntries(first, index);
    let kept = 0;
    let bytes = 0;
    for (let i = tail.length - 1; i >= 0; i--) {
      bytes += tail[i]!.data.byteLength;
      if (bytes > trailingBytes) break;
      kept++;
    }
    return index - kept;
  }

  /** Leader: streams a snapshot to each follower the core asked for. */
  send(requests: readonly SnapshotRequest[]): void {
    for (const request of requests) {
      if (this.sending.has(request.to)) continue;
      this.sending.add(request.to);
      void this.sendOne(request).finally(() => this.sending.delete(request.to));
    }
  }

  private async sendOne(request: SnapshotRequest): Promise<void> {
    let installed = false;
    try {
      let ref = await this.h.store.newest();
      if (ref === undefined || ref.index < request.index) ref = await this.takeAndCompact();
      const snapshotTerm = this.h.node.logTerm(ref.index);
      if (snapshotTerm === undefined) throw new Error(`the term of entry ${ref.index} is unknown`);
      const header: SnapshotHeader = {
        from: this.h.id,
        to: request.to,
        term: request.term,
        index: ref.index,
        snapshotTerm,
        membership: this.h.node.membershipAt(ref.index),
      };
      this.h.say(`${this.h.id}: sending snapshot ${ref.index} to ${request.to}`);
      const ack = await this.h.sender.sendSnapshot(
        header,
        ref.folder,
        ref.meta,
        this.h.policy.sendTimeoutMs,
      );
      installed = ack.installed;
      if (!installed)
        this.h.say(
          `${this.h.id}: ${request.to} did not install snapshot ${ref.index}: ${ack.reason}`,
        );
    } catch (error) {
      this.h.say(`${this.h.id}: could not send a snapshot to ${request.to}: ${String(error)}`);
    }
    this.h.guarded(() => this.h.node.reportSnapshot(request.to, installed ? 'finished' : 'failed'));
  }

  /**
   * Follower: installs a snapshot that arrived whole in `folder`, if the core wants it.
   * One at a time (a second one meanwhile is refused; the leader sends it again).
   */
  async receive(
    header: SnapshotHeader,
    folder: string,
  ): Promise<{ installed: boolean; reason: string }> {
    const { node } = this.h;
    const notWanted = {
      installed: false,
      reason: `node ${this.h.id} does not need snapshot ${header.index} of term ${header.term} (it is stale, or not from its leader)`,
    };
    if (this.receiving)
      return { installed: false, reason: `node ${this.h.id} is installing another snapshot` };
    if (!node.wantsSnapshot(header.from, header.term, header.index)) {
      // Already committed here (e.g. a snapshot of its own finished at a restart): for
      // its leader that is as good as installed. Its 'finished' makes the leader probe
      // after the snapshot, and the answer tells it how far this log goes; a 'failed'
      // would make it probe from the match it knows, below its log start, and ask
      // for this snapshot again, and again.
      const status = node.status();
      if (header.term === status.term && header.index <= status.commitIndex)
        return {
          installed: true,
          reason: `node ${this.h.id} already holds the entries up to ${status.commitIndex}`,
        };
      return notWanted;
    }
    // From the core's yes to installSnapshot, nothing may reach the core (its yes must
    // still hold), and no Ready may be written: one handed out before the install may
    // hold entries the snapshot covers, which must not land on a log that already
    // starts after the snapshot (nor entries of another history after its point). So
    // inputs are held, and the Ready being written finishes before the log is touched.
    this.receiving = true;
    this.h.holdInputs(true);
    const resumeReadies = await this.h.pauseReadies();
    try {
      return await this.h.exclusive(async () => {
        // A snapshot of this node's own still being written reads the state this
        // install replaces (a capture queued before the install, written after it).
        await this.writingOut?.catch(() => undefined);
        // Inputs were held since the core's yes, which therefore still holds.
        // From here a crash restarts from this snapshot: the stored log starts after it.
        // Entries after it stay only if the log holds the snapshot's last entry (same
        // index and term); otherwise the whole log goes (§7 receiver steps 6-7, as the
        // core decides in installSnapshot): entries of another history kept after the
        // snapshot point would not continue it (a restart refuses such a log, or worse).
        // The configuration at the snapshot point goes with the new log start: the log no
        // longer holds the entry that set it (a sender of an older version sends none:
        // the one in force here stays).
        const membership = header.membership ?? node.membership();
        const started = this.h.now();
        const point = { index: header.index, term: header.snapshotTerm, membership };
        if (node.logTerm(header.index) === header.snapshotTerm) await this.h.log.compact(point);
        else await this.h.log.resetTo(point);
        await this.h.store.install(folder);
        let accepted = false;
        this.h.guarded(() => {
          accepted = node.installSnapshot({
            from: header.from,
            term: header.term,
            index: header.index,
            snapshotTerm: header.snapshotTerm,
            membership,
          });
        });
        if (!accepted) throw new Error('the core refused a snapshot it had asked for');
        this.h.observer?.snapshotInstalled(header.index, (this.h.now() - started) / 1000);
        const installed = await this.h.store.newest();
        this.snapshotAt(header.index, installed?.index === header.index ? installed.bytes : 0);
        this.bytesSinceSnapshot = 0;
        this.h.say(`${this.h.id}: installed snapshot ${header.index} from ${header.from}`);
        return { installed: true, reason: '' };
      });
    } finally {
      this.h.holdInputs(false);
      this.receiving = false;
      resumeReadies();
    }
  }
}
