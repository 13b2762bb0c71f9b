/**
 * A replica's whole state on disk: the state store (`<dataDir>/state`), its index
 * checkpoints and its snapshots, behind one object that can take a snapshot and be
 * replaced whole by one (InstallSnapshot). Readers and the Raft runtime hold this
 * object; the VectorStateMachine inside it changes when a snapshot is installed.
 *
 * Installing is crash-safe: the snapshot's records go into `state.incoming`, fully
 * written and synced, before two renames swap it in (`state` aside, `incoming` into
 * place). `recoverInterruptedInstall` finishes or discards an install that a crash
 * cut at any point, before the state is opened.
 */
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  ApplyResult,
  CollectionInfo,
  Filter,
  ScrollPage,
  ScrollQuery,
  SearchHit,
  SearchQuery,
  StoredPoint,
} from '../domain.js';
import { RaftvecError } from '../errors.js';
import { releaseFreeMemory } from '../index/faiss.js';
import { CheckedStore } from './checked-store.js';
import {
  StateSnapshots,
  snapshotIndexes,
  snapshotRecords,
  verifySnapshot,
  type SnapshotMeta,
} from './state-snapshot.js';
import { VectorStateMachine, type AppliedDigest, type OpenOptions } from './state-machine.js';

export interface ReplicaPaths {
  /** The state store. */
  state: string;
  /** Index checkpoints (index-checkpoint.ts). */
  checkpoints: string;
  /** Snapshots (state-snapshot.ts). */
  snapshots: string;
}

export const replicaPaths = (dataDir: string): ReplicaPaths => ({
  state: join(dataDir, 'state'),
  checkpoints: join(dataDir, 'index-checkpoints'),
  snapshots: join(dataDir, 'snapshots'),
});

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Finishes or discards a snapshot install a crash interrupted: if the state store
 * was moved aside, the incoming one was complete (it is only swapped in then), so
 * it goes into place; if the state store is still there, the incoming one is
 * dropped (the leader sends the snapshot again).
 */
export async function recoverInterruptedInstall(paths: ReplicaPaths): Promise<void> {
  const incoming = `${paths.state}.incoming`;
  if (await exists(incoming)) {
    if (await exists(paths.state)) await rm(incoming, { recursive: true, force: true });
    else await rename(incoming, paths.state);
  }
  const parent = dirname(paths.state);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith('state.replaced-'))
      await rm(join(parent, name), { recursive: true, force: true });
  }
}

export class ReplicaState {
  private installing = false;

  private constructor(
    private current: VectorStateMachine,
    readonly paths: ReplicaPaths,
    private readonly options: OpenOptions,
    readonly snapshots: StateSnapshots,
  ) {}

  /** Opens the state (finishing an interrupted snapshot install first). */
  static async open(paths: ReplicaPaths, options: OpenOptions): Promise<ReplicaState> {
    await recoverInterruptedInstall(paths);
    const full = { ...options, checkpoints: { ...options.checkpoints, dir: paths.checkpoints } };
    const sm = await VectorStateMachine.open(paths.state, full);
    // Loading frees every buffer it read the records into: give that memory back.
    releaseFreeMemory();
    return new ReplicaState(sm, paths, full, new StateSnapshots(paths.snapshots));
  }

  /** The state machine in use now (replaced by an installed snapshot). */
  get stateMachine(): VectorStateMachine {
    if (this.installing)
      throw new RaftvecError(
        'UNAVAILABLE',
        'this node is installing a snapshot from the leader; retry shortly or ask another node',
      );
    return this.current;
  }

  get appliedIndex(): number {
    return this.current.appliedIndex;
  }

  get appliedDigest(): AppliedDigest {
    return this.current.appliedDigest;
  }

  digestAt(index: number): string | undefined {
    return this.current.digestAt(index);
  }

  applyEntry(index: number, data: Uint8Array): Promise<ApplyResult> {
    return this.stateMachine.applyEntry(index, data);
  }

  applyEntries(
    first: number,
    payloads: readonly Uint8Array[],
    decided?: (results: readonly ApplyResult[]) => void,
  ): Promise<ApplyResult[]> {
    return this.stateMachine.applyEntries(first, payloads, decided);
  }

  listCollections(): CollectionInfo[] {
    return this.stateMachine.listCollections();
  }

  describeCollection(name: string): CollectionInfo {
    return this.stateMachine.describeCollection(name);
  }

  get(
    collection: string,
    ids: string[],
    opts: { withVector: boolean; withMetadata: boolean },
  ): Promise<StoredPoint[]> {
    return this.stateMachine.get(collection, ids, opts);
  }

  search(query: SearchQuery): Promise<SearchHit[][]> {
    return this.stateMachine.search(query);
  }

  count(collection: string, filter?: Filter): Promise<number> {
    return this.stateMachine.count(collection, filter);
  }

  scroll(query: ScrollQuery): Promise<ScrollPage> {
    return this.stateMachine.scroll(query);
  }

  /**
   * Writes a snapshot at the current applied index (the caller keeps applies from
   * running meanwhile, or accepts a snapshot at whatever index it captured).
   */
  async takeSnapshot(): Promise<SnapshotMeta> {
    const writeOut = await this.captureSnapshot();
    return writeOut();
  }

  /**
   * The first step of {@link takeSnapshot}, the only one that needs applies held: the
   * state at the applied index (the indexes serialized, the records as a LevelDB
   * snapshot). Resolves with the second step, which writes the snapshot out and may
   * run while entries are applied again.
   */
  async captureSnapshot(): Promise<() => Promise<SnapshotMeta>> {
    const draft = await this.snapshots.draft();
    let captured: Awaited<ReturnType<VectorStateMachine['captureSnapshot']>>;
    try {
      captured = await this.stateMachine.captureSnapshot(draft.indexDraft);
    } catch (err) {
      await this.snapshots.discard(draft);
      throw err;
    }
    return async () => {
      // The log is compacted behind this snapshot once it is written: what the state
      // store applied up to it must be on disk by then, or a crash could leave the store
      // behind the log's new start. Flushed here, while applies go on.
      await this.stateMachine.syncToDisk();
      const meta = await this.snapshots.write(
        draft,
        captured.index,
        captured.digest,
        captured.records,
        captured.collections,
      );
      releaseFreeMemory();
      return meta;
    };
  }

  /**
   * Replaces the whole state with the snapshot in `folder`. Its contents are checked as
   * they are read, once: each record's checksum as it is imported, the index files'
   * CRC-32 as they load (a damaged one costs a rebuild), and the applied digest at the
   * end. Reads are refused with UNAVAILABLE while it runs; the caller must not apply
   * entries meanwhile.
   */
  async installSnapshot(folder: string): Promise<SnapshotMeta> {
    const meta = await verifySnapshot(folder, 'sizes');
    const incoming = `${this.paths.state}.incoming`;
    await rm(incoming, { recursive: true, force: true });
    const store = await CheckedStore.open(incoming);
    try {
      for await (const batch of snapshotRecords(folder)) await store.importSealed(batch, false);
      // Into synced tables: a synced last batch would sync only LevelDB's newest log, not
      // the logs it started as memtables filled (CheckedStore.flushToTables).
      await store.flushToTables();
    } catch (err) {
      await store.close();
      await rm(incoming, { recursive: true, force: true });
      throw new RaftvecError(
        'INTERNAL',
        `snapshot ${meta.index}: state.records is missing or damaged: ${(err as Error).message}`,
      );
    } finally {
      await store.close();
    }
    // The snapshot's indexes become this node's newest checkpoint.
    const indexes = snapshotIndexes(folder);
    const manifest = await indexes.newest();
    if (manifest !== undefined) {
      await mkdir(this.paths.checkpoints, { recursive: true });
      const target = join(this.paths.checkpoints, String(manifest.appliedIndex));
      await rm(target, { recursive: true, force: true });
      await cp(join(indexes.root, String(manifest.appliedIndex)), target, { recursive: true });
    }
    this.installing = true;
    try {
      // The state is replaced: a checkpoint of it would only be written and pruned.
      await this.current.close({ checkpoint: false });
      const aside = `${this.paths.state}.replaced-${Date.now()}`;
      await rename(this.paths.state, aside);
      await rename(incoming, this.paths.state);
      await rm(aside, { recursive: true, force: true });
      this.current = await VectorStateMachine.open(this.paths.state, this.options);
    } finally {
      this.installing = false;
    }
    // Received snapshots count against the newest two kept, like taken ones.
    await this.snapshots.prune();
    releaseFreeMemory();
    if (
      this.current.appliedIndex !== meta.index ||
      this.current.appliedDigest.digest !== meta.digest
    )
      throw new RaftvecError(
        'INTERNAL',
        `installed snapshot ${meta.index} but the state reads back at ${this.current.appliedIndex} with digest ${this.current.appliedDigest.digest}, not ${meta.digest}`,
      );
    return meta;
  }

  async checkpointNow(): Promise<void> {
    await this.current.checkpointNow();
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}
