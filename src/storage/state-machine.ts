/**
 * The replicated state machine of raftvec: collections of points, stored in
 * LevelDB (the source of truth on this node) and indexed by FAISS (node-local
 * state derived from LevelDB, rebuilt on open).
 *
 * Determinism: `apply` reads no clock, no randomness and no node-local state —
 * only the command, the log index and what earlier entries wrote. Labels come
 * from a per-collection counter stored in LevelDB; a collection's uid is the
 * log index of the entry that created it. The effects of an entry, the new
 * applied index and the session-table update are written in one LevelDB batch.
 *
 * Concurrency: `apply` is never called concurrently with itself, but reads are.
 * A fair readers–writer lock keeps reads out while an entry is written to
 * LevelDB and FAISS, and the in-memory maps change in one synchronous step at
 * the end, so no read sees half an entry. The synchronous accessors
 * (`appliedIndex`, `listCollections`, `describeCollection`) read only those maps.
 *
 * Apply is total: an entry whose payload does not decode, or whose command is
 * refused (bad input that slipped past the leader's validation, a missing
 * collection, a stale client sequence, FAISS refusing a value), is recorded as
 * rejected: the applied index, the digest and the client's session move, and
 * nothing else does. Only a local fault (disk, a broken invariant) makes apply
 * throw, and then the node stops.
 *
 * Integrity: every record carries a checksum (checked-store.ts), verified on
 * every read and for every record at open; and the node keeps a running digest
 * of what it applied (a SHA-256 chain over each entry's index, payload and
 * outcome), stored with the applied index, so replicas that diverge are seen
 * (`raftvec status` compares them).
 *
 * Dropping a collection deletes its `C` key and writes a `D` tombstone in the
 * entry's batch; its point and label keys (under its uid, never visible again)
 * are cleared in the background afterwards, and on the next open if the node
 * stopped first. See keys.ts for the layout.
 */
import { commitTrace } from '../commit-trace.js';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type {
  ApplyErrorCode,
  ApplyResult,
  BatchOperation,
  ClientSession,
  CollectionInfo,
  CollectionSpec,
  Command,
  Filter,
  MetadataSelection,
  Metadata,
  Metric,
  OperationResult,
  PayloadIndexSpec,
  PayloadUpdate,
  Point,
  PointSelector,
  ScrollPage,
  ScrollQuery,
  SearchHit,
  SearchQuery,
  StoredPoint,
} from '../domain.js';
import { RaftvecError } from '../errors.js';
import { limits } from '../limits.js';
import {
  CollectionIndex,
  bigLabels,
  normalized,
  sortedAllowList,
  sortedHas,
  type IndexHit,
} from '../index/collection-index.js';
import { DEFAULT_EF_SEARCH, FaissError } from '../index/faiss.js';
import {
  validateCollectionName,
  validateCollectionSpec,
  validateFilter,
  validateBatchShape,
  validateIds,
  validateMetadata,
  validateMetadataKeys,
  validatePayloadIndexSpec,
  validatePayloadUpdate,
  validatePointSelector,
  validatePoints,
  validateScroll,
  validateSearch,
} from '../validation.js';
import {
  CheckedStore,
  StateCorruptionError,
  describeKey,
  type CheckedOp,
} from './checked-store.js';
import { CommandDecodeError, decodeCommand, encodeCommand } from './command-codec.js';
import { join } from 'node:path';
import { readPointTable } from './point-table.js';
import { IndexCheckpoints, type CollectionSnapshot, type LoadedIndex } from './index-checkpoint.js';
import { isEmptyFilter } from './filter.js';
import { countMatching, matchingLabels } from './filter-planner.js';
import { PayloadIndex } from './payload-index.js';
import { applyPayloadUpdate, selectMetadata } from './payload-update.js';
import { EntryRefused, HeldIndexChanges, type IndexChanges } from './batch.js';
import { GroupWrites } from './group-writes.js';
import {
  DEFAULT_SESSION_LIMITS,
  SessionTable,
  type SessionChanges,
  type SessionLimits,
  type SessionRecord,
} from './session-table.js';
import {
  FORMAT_VERSION,
  appliedIndexKey,
  clientIdOfSessionKey,
  digestKey,
  sessionClockKey,
  sessionRange,
  collectionKey,
  collectionRange,
  decodePointValueInto,
  droppedKey,
  droppedRange,
  encodePointValue,
  formatKey,
  idOfPointKey,
  labelKey,
  labelOfPointValue,
  labelRange,
  pointKey,
  pointRange,
  readU64be,
  sessionKey,
  u64be,
  uidOfDroppedKey,
  utf8Decode,
  utf8Encode,
  withPointMetadata,
} from './keys.js';
import { RwLock } from './rwlock.js';

type Bytes = Uint8Array;
type BatchOp = CheckedOp;

/**
 * The efSearch a search runs with: its own, else the collection's, else, for an HNSW
 * graph, DEFAULT_EF_SEARCH, passed explicitly because an index restored from an older
 * checkpoint keeps the default it was saved with (replicas would answer differently).
 * Other index types get none (an IVF's HNSW quantizer keeps its own).
 */
function searchBreadth(efSearch: number | undefined, indexSpec: string): { efSearch?: number } {
  if (efSearch !== undefined) return { efSearch };
  return /^HNSW/i.test(indexSpec) ? { efSearch: DEFAULT_EF_SEARCH } : {};
}

/** The digest before the first entry: 32 zero bytes. */
const GENESIS_DIGEST = new Uint8Array(32);
/** How many recent (applied index → digest) pairs a node remembers, for comparisons. */
const DIGEST_HISTORY = 4_096;

/**
 * When an index checkpoint is due: once the points changed since the last one reach
 * both figures. A checkpoint writes the whole index and point table, so loading n
 * points from empty writes about n / changedFraction points' worth of checkpoints: at
 * 10,000 and a tenth, checkpoints took a fifth of the main thread while ingesting
 * (the point tables alone a tenth). A crash replays at most this share into the index.
 * Indexes that rebuild as fast as they load (Flat) are left out of these checkpoints.
 */
const DEFAULT_CHECKPOINT_POLICY = { minChangedPoints: 50_000, changedFraction: 0.2 };

/** What a `C` key holds. */
interface CollectionRecord {
  name: string;
  dimension: number;
  metric: Metric;
  indexSpec: string;
  /** The default HNSW efSearch of the collection's searches; absent: DEFAULT_EF_SEARCH. */
  efSearch?: number;
  /** The collection's payload indexes, sorted by key; absent: none. */
  payloadIndexes?: PayloadIndexSpec[];
  /** The log index of the entry that created the collection; prefixes its data keys. */
  uid: number;
  /** The label the next upserted point gets. Labels are never reused. */
  nextLabel: number;
}

interface LivePoint {
  id: string;
  /** Deep-frozen: handed out to readers as is. */
  metadata: Metadata;
}

interface CollectionState {
  record: CollectionRecord;
  idToLabel: Map<string, number>;
  /** label → point, for filters and for mapping search hits back to ids. */
  points: Map<number, LivePoint>;
  index: CollectionIndex;
  /** By key; built from `points` (node-local), defined by record.payloadIndexes. */
  payloadIndexes: Map<string, PayloadIndex>;
}

/** A collection's in-memory state, with its payload indexes built from its points. */
function collectionState(
  record: CollectionRecord,
  idToLabel: Map<string, number>,
  points: Map<number, LivePoint>,
  index: CollectionIndex,
): CollectionState {
  const payloadIndexes = new Map<string, PayloadIndex>();
  for (const spec of record.payloadIndexes ?? [])
    payloadIndexes.set(spec.key, buildPayloadIndex(spec, points));
  return { record, idToLabel, points, index, payloadIndexes };
}

function buildPayloadIndex(
  spec: PayloadIndexSpec,
  points: ReadonlyMap<number, LivePoint>,
): PayloadIndex {
  const index = new PayloadIndex(spec);
  for (const [label, point] of points) index.add(label, point.metadata);
  return index;
}

/**
 * Whether a background checkpoint would hold this collection's index and save a
 * restart after a crash from rebuilding it: not while the points are in the staging
 * index (never checkpointed), nor for an index that rebuilds as fast as it loads.
 */
const worthCheckpointing = (col: CollectionState): boolean =>
  !col.index.staged && !col.index.rebuildsAsFastAsItLoads;

/** Keeps a collection's payload indexes in step as a point's metadata changes. */
function reindex(col: CollectionState, label: number, before?: Metadata, after?: Metadata): void {
  for (const index of col.payloadIndexes.values()) {
    if (before !== undefined) index.remove(label, before);
    if (after !== undefined) index.add(label, after);
  }
}

/**
 * An entry's planned effects, carried out under the write lock in this order:
 * FAISS work (`prepare`; if FAISS refuses the input, the entry is rejected and
 * nothing else happens), its LevelDB operations (added to its group's batch),
 * index training if the index wants it (`reload`: the batch is written first, as
 * training reads it back), then the synchronous in-memory `commit`.
 */
interface Plan {
  result: ApplyResult;
  ops: BatchOp[];
  prepare?: () => Promise<void>;
  /** The collection whose index may want training or a rebuild once the entry is written. */
  reload?: { col: CollectionState; record: CollectionRecord };
  commit?: () => void;
  /** A dropped collection whose data to clear in the background. */
  droppedUid?: number;
  /**
   * `prepare` reads the store: the entries before it in its group are written first, so
   * that it reads what they wrote.
   */
  readsStore?: boolean;
  /** Takes back what `commit` did to the in-memory state (a batch that is refused later). */
  undo?: () => void;
  /**
   * The record of the collection the entry changes, as the entry leaves it (none: the
   * entry drops the collection). Kept out of `ops`: a group writes only its last one,
   * encoded when the group is written, so the record must never change after this.
   */
  collectionRecord?: { name: string; record?: CollectionRecord };
}

/** How an operation reads point records: from the store, or first from its batch's writes. */
type RecordReader = (keys: Uint8Array[]) => Promise<Array<Uint8Array | undefined>>;

/** How far loading the state has come, for `raftvec status` while a node starts. */
export interface LoadProgress {
  collectionsTotal: number;
  collectionsLoaded: number;
  /** The collection being loaded now, if any. */
  collection?: string;
  pointsLoaded: number;
  /** Collections whose index came from a checkpoint instead of a rebuild. */
  indexesRestored: number;
  /**
   * Of those, collections loaded from the checkpoint's point table alone, without a
   * scan of the store (it stood exactly at the checkpoint).
   */
  pointTablesRead: number;
}

/** One (applied index, digest) pair: what the node had applied, and its fingerprint. */
export interface AppliedDigest {
  index: number;
  /** Hex SHA-256. */
  digest: string;
}

const json = (value: unknown): Bytes => utf8Encode(JSON.stringify(value));
const parseJson = <T>(bytes: Bytes): T => JSON.parse(utf8Decode(bytes)) as T;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Records the background scrub reads between two yields to the event loop. */
const SCRUB_YIELD_EVERY = 2_000;

/** One shared object for every point without metadata (most of them, in many collections). */
const NO_METADATA: Metadata = Object.freeze({});

const frozenMetadata = (metadataJson: string): Metadata =>
  metadataJson === '{}' ? NO_METADATA : deepFreeze(JSON.parse(metadataJson) as Metadata);

/** The labels of a checkpointed index, sorted, for {@link sortedHas}. */
const sortedLabels = (labels: BigInt64Array): Float64Array =>
  Float64Array.from(labels, Number).sort();

/** A copy of `array` in a new one of `length` elements. */
function grown<T extends Float32Array | BigInt64Array>(array: T, length: number): T {
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array as never);
  return out;
}

const failure = (code: ApplyErrorCode, message: string): ApplyResult => ({
  ok: false,
  code,
  message,
});

/** The refusal of a command whose input `check` rejects, naming the collection; else undefined. */
function refusal(collection: string, check: () => void): Plan | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (!(err instanceof RaftvecError)) throw err;
    return {
      result: failure(
        'INVALID_ARGUMENT',
        `collection ${JSON.stringify(collection)}: ${err.message}`,
      ),
      ops: [],
    };
  }
}

/** The refusal of a write by filter that matches more points than one entry may change. */
function tooManyMatches(collection: string, matches: number, what: string): Plan | undefined {
  if (matches <= limits.maxPointsPerFilterWrite) return undefined;
  return {
    result: failure(
      'FAILED_PRECONDITION',
      `collection ${JSON.stringify(collection)}: the filter matches ${matches} points; one ${what} by filter changes at most ${limits.maxPointsPerFilterWrite}: narrow the filter (for example by a range of a key) and repeat`,
    ),
    ops: [],
  };
}

/** Whether a hit is within the search's score threshold (if it has one). */
function withinThreshold(col: CollectionState, query: SearchQuery, hit: IndexHit): boolean {
  const t = query.scoreThreshold;
  if (t === undefined) return true;
  // l2 scores are distances (lower is closer); ip and cosine scores are similarities.
  return col.record.metric === 'l2' ? hit.score <= t : hit.score >= t;
}

/**
 * The refusal of a payload update whose points' records (each rewritten whole, vector
 * included) would come to more than limits.maxPayloadUpdateBytes.
 */
function tooManyBytes(collection: string, matches: number, dimension: number): Plan | undefined {
  const bytes = matches * (8 + 4 * dimension);
  if (bytes <= limits.maxPayloadUpdateBytes) return undefined;
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  return {
    result: failure(
      'FAILED_PRECONDITION',
      `collection ${JSON.stringify(collection)}: the update selects ${matches} points, whose records (vectors included) come to ${mib(bytes)} MiB; one payload update rewrites at most ${mib(limits.maxPayloadUpdateBytes)} MiB (${Math.floor(limits.maxPayloadUpdateBytes / (8 + 4 * dimension))} points of this dimension): select fewer points per update (fewer ids, or a narrower filter)`,
    ),
    ops: [],
  };
}

/**
 * Bytes of records one batch writes: what its own upserts carry (bounded by the log
 * entry's size) and what one payload update may rewrite.
 */
const BATCH_WRITE_BYTES = limits.maxPayloadUpdateBytes + limits.maxLogEntryBytes;

/** The refusal of a payload update whose new records, metadata included, pass the bound. */
function tooManyBytesWithMetadata(collection: string, at: number, selected: number): Plan {
  return {
    result: failure(
      'FAILED_PRECONDITION',
      `collection ${JSON.stringify(collection)}: the update selects ${selected} points, and their new records (vector and metadata) pass ${limits.maxPayloadUpdateBytes / 2 ** 20} MiB at the ${at}th; one payload update rewrites at most that much: select fewer points per update (fewer ids, or a narrower filter), or keep less metadata per point`,
    ),
    ops: [],
  };
}

const notFoundMessage = (name: string): string =>
  `collection ${JSON.stringify(name)} does not exist; list the collections or create it first`;

const toBigLabels = (labels: Iterable<number>): BigInt64Array =>
  bigLabels(Float64Array.from(labels));

export interface OpenOptions {
  /**
   * Sync every applied batch to disk (default true). The Raft runtime may pass
   * false when the Raft log is the durable record and entries after the applied
   * index are replayed on restart.
   */
  sync?: boolean;
  /**
   * Where to keep index checkpoints (index-checkpoint.ts), and how often: once the
   * points changed since the last one reach `minChangedPoints` and `changedFraction`
   * of all points (serializing costs the whole index, so it is amortized over a
   * share of it), and when the state machine closes. Absent: no checkpoints.
   */
  checkpoints?: { dir: string; minChangedPoints?: number; changedFraction?: number };
  /** Bounds of the client session table (see session-table.ts). */
  sessions?: Partial<SessionLimits>;
  /** Broken on purpose (a jepsen-lite test flag): apply retried writes again. */
  unsafeSkipSessionTable?: boolean;
  /**
   * Called once if a record fails its check while the node runs: the state
   * machine then refuses every read and apply, and the node should stop serving.
   */
  onCorruption?: (error: StateCorruptionError) => void;
  /**
   * Called as loading goes on (per collection, and every few thousand points).
   * Loading waits for a returned promise, so a caller can hold it at a known point.
   */
  onProgress?: (progress: LoadProgress) => void | Promise<void>;
}

/** The stored layout is not one this build reads: the state must be rebuilt (from the Raft log). */
export class StateFormatError extends RaftvecError {
  constructor(
    readonly store: string,
    readonly found: number,
  ) {
    super(
      'FAILED_PRECONDITION',
      `the state store at ${store} has layout version ${found}; this build reads version ${FORMAT_VERSION}`,
    );
    this.name = 'StateFormatError';
  }
}

/** The code of a write whose sequence is below its client's last one. */
const STALE_SEQUENCE_CODE = 'FAILED_PRECONDITION';
const staleSequence = (result: ApplyResult): boolean =>
  !result.ok && result.code === STALE_SEQUENCE_CODE;

/** Points loaded between two progress reports. */
const PROGRESS_EVERY_POINTS = 5_000;

export class VectorStateMachine {
  private readonly db: CheckedStore;
  private readonly sync: boolean;
  private applied: number;
  private digest: Uint8Array;
  /**
   * Recent (applied index → digest), oldest first, at most DIGEST_HISTORY; as bytes,
   * turned to hex only when asked (a string per entry cost).
   */
  private readonly digests = new Map<number, Uint8Array>();
  private readonly sessions: SessionTable;
  private readonly collections = new Map<string, CollectionState>();
  private readonly lock = new RwLock();
  private applying = false;
  private closed = false;
  private broken: Error | null = null;
  private cleanup: Promise<void> = Promise.resolve();
  private onCorruption: ((error: StateCorruptionError) => void) | undefined;
  private checkpoints: IndexCheckpoints | undefined;
  private checkpointPolicy = DEFAULT_CHECKPOINT_POLICY;
  /** Points upserted or deleted since the last checkpoint. */
  private changedSinceCheckpoint = 0;
  private lastCheckpointIndex = 0;
  /** The last checkpoint left out indexes that rebuild as fast as they load: close writes a whole one. */
  private lastCheckpointPartial = false;
  private checkpointing: Promise<void> | undefined;
  /** Collections (uids) loaded from a point table, whose records the load did not read. */
  private readonly loadedFromTables: number[] = [];
  private scrubbing: Promise<void> | undefined;
  private skipSessionTable = false;

  private constructor(
    db: CheckedStore,
    sync: boolean,
    applied: number,
    digest: Uint8Array,
    sessions: SessionTable,
  ) {
    this.db = db;
    this.sync = sync;
    this.applied = applied;
    this.digest = digest;
    this.sessions = sessions;
    this.rememberDigest();
  }

  /**
   * Opens (or creates) the state machine in `dir`, checks every stored record and
   * rebuilds every collection's index. Throws StateCorruptionError when a record
   * fails its checksum (or LevelDB finds its files damaged), and StateFormatError
   * when the layout is another version's: in both cases the caller may rebuild
   * the state from the Raft log.
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<VectorStateMachine> {
    await mkdir(dir, { recursive: true });
    const db = await CheckedStore.open(dir);
    try {
      const format = await db.getUnchecked(formatKey());
      if (format === undefined) {
        await db.batch([{ type: 'put', key: formatKey(), value: u64be(FORMAT_VERSION) }], true);
      } else {
        // Version 1 stored this value (and every other) without a checksum.
        const checked = format.length === 8 ? format : await db.get(formatKey());
        const version = readU64be(checked ?? format);
        if (version !== FORMAT_VERSION) throw new StateFormatError(dir, version);
      }
      const appliedBytes = await db.get(appliedIndexKey());
      const digest = (await db.get(digestKey())) ?? GENESIS_DIGEST;
      if (digest.length !== 32)
        throw new StateCorruptionError(
          dir,
          describeKey(digestKey()),
          `holds ${digest.length} bytes, not 32`,
        );
      const clock = await db.get(sessionClockKey());
      const records: Array<[string, SessionRecord]> = [];
      for await (const [key, value] of db.entries(sessionRange())) {
        records.push([clientIdOfSessionKey(key), parseJson<SessionRecord>(value)]);
      }
      const sessions = SessionTable.restore(
        { ...DEFAULT_SESSION_LIMITS, ...options.sessions },
        clock === undefined ? 0 : readU64be(clock),
        records,
      );
      const sm = new VectorStateMachine(
        db,
        options.sync ?? true,
        appliedBytes ? readU64be(appliedBytes) : 0,
        Uint8Array.from(digest),
        sessions,
      );
      sm.onCorruption = options.onCorruption;
      sm.skipSessionTable = options.unsafeSkipSessionTable ?? false;
      if (options.checkpoints) {
        sm.checkpoints = new IndexCheckpoints(options.checkpoints.dir);
        sm.checkpointPolicy = {
          minChangedPoints:
            options.checkpoints.minChangedPoints ?? DEFAULT_CHECKPOINT_POLICY.minChangedPoints,
          changedFraction:
            options.checkpoints.changedFraction ?? DEFAULT_CHECKPOINT_POLICY.changedFraction,
        };
      }
      const collectionRecords: CollectionRecord[] = [];
      for await (const [, value] of db.entries(collectionRange())) {
        collectionRecords.push(parseJson<CollectionRecord>(value));
      }
      const progress: LoadProgress = {
        collectionsTotal: collectionRecords.length,
        collectionsLoaded: 0,
        pointsLoaded: 0,
        indexesRestored: 0,
        pointTablesRead: 0,
      };
      const manifest = await sm.checkpoints?.newest();
      for (const record of collectionRecords) {
        await options.onProgress?.({ ...progress, collection: record.name });
        const entry = manifest?.indexes.find(
          (e) =>
            e.uid === record.uid &&
            e.name === record.name &&
            e.dimension === record.dimension &&
            e.metric === record.metric &&
            e.indexSpec === record.indexSpec,
        );
        const checkpoint = entry && manifest && (await sm.checkpoints!.load(manifest, entry));
        const loaded = await sm.loadCollection(record, progress, options.onProgress, checkpoint);
        sm.collections.set(record.name, loaded);
        if (manifest && !entry && loaded.index.rebuildsAsFastAsItLoads)
          sm.lastCheckpointPartial = true;
        progress.collectionsLoaded++;
      }
      sm.lastCheckpointIndex = manifest?.appliedIndex ?? 0;
      if (sm.loadedFromTables.length > 0) sm.scrubbing = sm.scrub(sm.loadedFromTables);
      await options.onProgress?.({ ...progress });
      for await (const key of db.keys(droppedRange())) sm.scheduleCleanup(uidOfDroppedKey(key));
      return sm;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** The index of the last applied log entry (0 before the first). */
  get appliedIndex(): number {
    return this.applied;
  }

  /** The digest of everything applied up to `appliedIndex`. */
  get appliedDigest(): AppliedDigest {
    return { index: this.applied, digest: toHex(this.digest) };
  }

  /** The digest this node had at `index`, if it is recent enough to be remembered. */
  digestAt(index: number): string | undefined {
    const digest = this.digests.get(index);
    return digest === undefined ? undefined : toHex(digest);
  }

  /** Client sessions held now (bounded by the session limits). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Applies the committed log entry at `index` (which must be appliedIndex + 1),
   * given as its payload (`data`, empty for a no-op). See {@link applyEntries}.
   */
  async applyEntry(index: number, data: Uint8Array): Promise<ApplyResult> {
    const [result] = await this.applyEntries(index, [data]);
    return result!;
  }

  /**
   * Applies the committed log entries `first`, `first` + 1, … (`first` must be
   * appliedIndex + 1), given as their payloads (empty for a no-op), and resolves
   * with one result per entry. Deterministic and total: whatever a payload holds,
   * its entry is applied or recorded as rejected, the same way on every replica.
   * Throws only for a local fault.
   *
   * The entries are applied one after the other under one hold of the write lock
   * and written to LevelDB in one batch: the result is the same as applying them
   * one by one (later operations on a key in a batch win), at the cost of one
   * write instead of one per entry. Reads wait for the whole group.
   *
   * `decided` is called with the results once the group is in memory and FAISS, before
   * the LevelDB write (see StateMachine.apply in the Raft runtime's ports).
   */
  async applyEntries(
    first: number,
    payloads: readonly Uint8Array[],
    decided?: (results: readonly ApplyResult[]) => void,
  ): Promise<ApplyResult[]> {
    this.checkUsable();
    if (this.applying)
      throw new RaftvecError('INTERNAL', 'apply() called while another apply() is running');
    if (!Number.isSafeInteger(first) || first !== this.applied + 1) {
      throw new RaftvecError(
        'INTERNAL',
        `apply(${first}) out of order: the state machine has applied up to ${this.applied}, so the next index is ${this.applied + 1}`,
      );
    }
    this.applying = true;
    try {
      const results: ApplyResult[] = [];
      const dropped: number[] = [];
      await this.lock.write(async () => {
        const pending = new GroupWrites();
        try {
          for (let k = 0; k < payloads.length; k++) {
            const { outcome, collection } = await this.carryOut(first + k, payloads[k]!, pending);
            results.push(outcome.result);
            if (outcome.droppedUid !== undefined) dropped.push(outcome.droppedUid);
            const col = collection === undefined ? undefined : this.collections.get(collection);
            // Only points of indexes a background checkpoint holds make one due.
            if (outcome.result.ok && col !== undefined && worthCheckpointing(col))
              for (const r of [outcome.result, ...(outcome.result.results ?? [])])
                this.changedSinceCheckpoint +=
                  (r.upserted ?? 0) + (r.deleted ?? 0) + (r.updated ?? 0);
          }
          // Memory and FAISS hold the group; reads wait for the write lock, held until
          // LevelDB does too. The results are final: the caller may answer now.
          decided?.(results);
          await this.writeApplied(pending);
        } catch (err) {
          // Entries of the group may be in memory (and FAISS) and not in LevelDB: this
          // node's state can no longer be trusted until it reloads.
          if (err instanceof StateCorruptionError) this.markCorrupted(err);
          else this.broken ??= err as Error;
          throw err;
        }
      });
      for (const uid of dropped) this.scheduleCleanup(uid);
      this.maybeCheckpoint();
      return results;
    } finally {
      this.applying = false;
    }
  }

  /** Applies a command: the same as applying its encoded log entry (for tests and tools). */
  async apply(index: number, command: Command): Promise<ApplyResult> {
    return this.applyEntry(index, encodeCommand(command));
  }

  /**
   * Plans a command. Planning reads only the command and the in-memory state, so it is
   * the same on every replica: should input that validation let through still make it
   * throw (a bug), the entry is rejected alike everywhere instead of stopping every node
   * at the same entry, again at each restart.
   */
  private planSafely(index: number, command: Command): Plan {
    try {
      return this.plan(index, command);
    } catch (err) {
      if (err instanceof StateCorruptionError) throw err;
      return {
        result: failure(
          'INVALID_ARGUMENT',
          `log entry ${index} could not be applied and was rejected (${(err as Error).message})`,
        ),
        ops: [],
      };
    }
  }

  /** Decodes an entry and plans its effects, or its rejection. */
  private planEntry(
    index: number,
    data: Uint8Array,
  ): { plan: Plan; session?: ClientSession; leaderTimeMs?: number; collection?: string } {
    let command: Command;
    try {
      command = decodeCommand(data);
    } catch (err) {
      if (!(err instanceof CommandDecodeError)) throw err;
      return {
        plan: {
          result: failure('INVALID_ARGUMENT', `log entry ${index} was rejected: ${err.message}`),
          ops: [],
        },
      };
    }
    if (command.kind === 'noop') return { plan: this.plan(index, command) };
    const { session, leaderTimeMs } = command;
    const seen =
      session && !this.skipSessionTable
        ? this.sessions.check(session.clientId, session.sequence)
        : undefined;
    let plan: Plan;
    if (seen?.kind === 'retry') {
      // A retried write: already applied once; it gets the original result.
      plan = { result: seen.result, ops: [] };
    } else if (seen?.kind === 'stale') {
      plan = {
        result: failure(
          STALE_SEQUENCE_CODE,
          `client ${JSON.stringify(session!.clientId)} sent sequence ${session!.sequence}, but its last applied write was sequence ${seen.lastSequence}: this write was already applied or was superseded, and was not applied again; send new writes with a higher sequence`,
        ),
        ops: [],
      };
    } else {
      plan = this.planSafely(index, command);
    }
    // A stale write leaves the client's session as it was.
    const keep = plan.result.ok || !staleSequence(plan.result);
    const collection = 'collection' in command ? command.collection : undefined;
    return { plan, ...(keep && session && { session }), leaderTimeMs, collection };
  }

  /**
   * Carries out one entry under the write lock: its FAISS work, its LevelDB
   * operations added to `pending` (written by the caller, or here first when the
   * index must read the store back), then its in-memory changes. A refusal by FAISS
   * turns the entry into a rejection. Also says which collection the entry names.
   */
  private async carryOut(
    index: number,
    data: Uint8Array,
    pending: GroupWrites,
  ): Promise<{ outcome: Plan; collection?: string }> {
    const { plan, session, leaderTimeMs, collection } = this.planEntry(index, data);
    let outcome = plan;
    if (plan.readsStore && !pending.isEmpty) await this.writeApplied(pending);
    try {
      await plan.prepare?.();
    } catch (err) {
      if (err instanceof StateCorruptionError) throw err;
      if (err instanceof EntryRefused) {
        // Found unfit while carried out (a batch operation), and taken back whole.
        outcome = { result: err.result, ops: [] };
      } else if (err instanceof FaissError && err.code === 'INVALID_ARGUMENT') {
        // FAISS checks its input before changing anything; refusing it is a pure
        // function of the entry, so every replica rejects the entry alike.
        outcome = {
          result: failure('INVALID_ARGUMENT', `log entry ${index} was rejected: ${err.message}`),
          ops: [],
        };
      } else {
        this.broken = err as Error;
        throw new RaftvecError(
          'INTERNAL',
          `entry ${index}: the FAISS index failed (${(err as Error).message}); restart the node to rebuild the index`,
        );
      }
    }
    const sessionChanges = this.sessions.plan(
      index,
      leaderTimeMs,
      session && { clientId: session.clientId, sequence: session.sequence, result: outcome.result },
    );
    const digest = nextDigest(this.digest, index, data, outcome.result);
    for (const op of outcome.ops) pending.add(op);
    if (outcome.collectionRecord) addCollectionRecord(pending, outcome.collectionRecord);
    addSessionChanges(pending, sessionChanges);
    const reload = outcome.reload;
    if (reload !== undefined && (reload.col.index.wantsTraining || reload.col.index.wantsRebuild)) {
      // Training reads every vector back from the store: what is pending goes first,
      // as if this entry were the last of its group.
      await this.writeApplied(pending, { index, digest });
      await this.reload(reload.col, reload.record);
    }
    outcome.commit?.();
    sessionChanges.commit();
    this.digest = digest;
    this.applied = index;
    this.rememberDigest();
    return { outcome, collection };
  }

  /**
   * Writes `pending` (emptied) with the applied index and digest, those of the last
   * entry applied unless `at` says otherwise, in one LevelDB batch.
   */
  private async writeApplied(
    pending: GroupWrites,
    at: { index: number; digest: Uint8Array } = { index: this.applied, digest: this.digest },
  ): Promise<void> {
    const ops = pending.take();
    ops.push({ type: 'put', key: digestKey(), value: at.digest });
    ops.push({ type: 'put', key: appliedIndexKey(), value: u64be(at.index) });
    commitTrace('stateWriteStart', at.index);
    await this.db.batch(ops, this.sync);
    commitTrace('stateWriteEnd', at.index);
  }

  /**
   * Starts a checkpoint in the background when enough has changed since the last one,
   * of the indexes that are slower to rebuild than to load (the others are checkpointed
   * when the state machine closes, for the restart that reads no record).
   */
  private maybeCheckpoint(): void {
    if (this.checkpoints === undefined || this.checkpointing !== undefined) return;
    let points = 0;
    let worthIt = false;
    for (const col of this.collections.values()) {
      if (!worthCheckpointing(col)) continue;
      worthIt = true;
      points += col.idToLabel.size;
    }
    if (!worthIt) return;
    const { minChangedPoints, changedFraction } = this.checkpointPolicy;
    const due = Math.max(minChangedPoints, changedFraction * points);
    if (this.changedSinceCheckpoint < due) return;
    this.checkpointing = this.checkpointNow({ onlySlowToRebuild: true })
      .catch(() => undefined) // Node-local and retried at the next threshold; nothing is lost.
      .finally(() => {
        this.checkpointing = undefined;
      });
  }

  /**
   * Captures the state for a snapshot at the current applied index, with applies
   * held off only while the point is marked and the indexes serialized: every
   * record (from a LevelDB snapshot taken at that point, read afterwards) and every
   * trained index, serialized into `indexDraft` (IndexCheckpoints.draft). The caller
   * writes them out (StateSnapshots.write).
   */
  async captureSnapshot(indexDraft: string): Promise<{
    index: number;
    digest: string;
    records: AsyncIterable<[Uint8Array, Uint8Array]>;
    collections: CollectionSnapshot[];
  }> {
    this.checkUsable();
    return this.lock.write(async () => {
      const records = this.db.sealedRecords();
      const collections = await this.captureIndexes(indexDraft);
      return { index: this.applied, digest: toHex(this.digest), records, collections };
    });
  }

  /**
   * Every trained index serialized into a file `<uid>.faiss` in `draft`, with its live
   * labels (call under the write lock).
   */
  private async captureIndexes(
    draft: string,
    onlySlowToRebuild = false,
  ): Promise<CollectionSnapshot[]> {
    const collections: CollectionSnapshot[] = [];
    for (const col of this.collections.values()) {
      if (onlySlowToRebuild && col.index.rebuildsAsFastAsItLoads) continue;
      const { uid, name, dimension, metric, indexSpec } = col.record;
      const file = join(draft, `${uid}.faiss`);
      if (!(await col.index.checkpointTo(file))) continue;
      collections.push({
        uid,
        name,
        dimension,
        metric,
        indexSpec,
        file,
        // Keys and values of one map not changed in between (the write lock is held):
        // the same order.
        labels: toBigLabels(col.points.keys()),
        points: [...col.points.values()],
      });
    }
    return collections;
  }

  /**
   * Makes every batch applied so far durable: LevelDB's memtable is written to synced
   * table files (CheckedStore.flushToTables), so writes that a synced write would miss
   * (those of a log LevelDB has switched away from) are covered too. Applies may go on
   * meanwhile; what they write may or may not be covered.
   */
  async syncToDisk(): Promise<void> {
    this.checkUsable();
    await this.db.flushToTables();
  }

  /** Resolves once the background check of the records a fast load skipped is done. */
  async scrubbed(): Promise<void> {
    await this.scrubbing;
  }

  /**
   * Reads, in the background, every record a load from point tables skipped (the point
   * and label records of those collections), each checked against its checksum as
   * LevelDB and the store read it: damage that happened while the node was down is
   * found as a scan at start would have found it, only later, and no damaged record is
   * ever served meanwhile (every read checks). On damage the node stops serving
   * (onCorruption) and the point tables are discarded, so that the next start scans,
   * meets the damage and rebuilds the store from the Raft log or a snapshot.
   */
  private async scrub(uids: readonly number[]): Promise<void> {
    try {
      for (const uid of uids) {
        for (const range of [pointRange(uid), labelRange(uid)]) {
          let read = 0;
          for await (const record of this.db.entries(range)) {
            void record;
            if (this.closed) return;
            // Serving goes on meanwhile: yield to it now and then.
            if (++read % SCRUB_YIELD_EVERY === 0) await new Promise(setImmediate);
          }
        }
      }
    } catch (err) {
      if (!(err instanceof StateCorruptionError) || this.closed) return;
      await this.checkpoints?.discardPointTables().catch(() => undefined);
      this.markCorrupted(err);
    }
  }

  /** Resolves once no background checkpoint is being written. */
  async checkpointsSettled(): Promise<void> {
    await this.checkpointing;
  }

  /**
   * Writes a checkpoint of every collection's index at the current applied index (or
   * only of those slower to rebuild than to load). Applies wait while the indexes are
   * serialized (reads go on); the files are written after. Returns once it is on disk.
   */
  async checkpointNow(options: { onlySlowToRebuild?: boolean } = {}): Promise<void> {
    if (this.checkpoints === undefined) return;
    this.checkUsable();
    const checkpoints = this.checkpoints;
    const draft = await checkpoints.draft();
    let captured: { at: number; collections: CollectionSnapshot[] };
    // Whether it leaves out an index that rebuilds as fast as it loads.
    let partial = false;
    try {
      captured = await this.lock.write(async () => {
        const collections = await this.captureIndexes(draft, options.onlySlowToRebuild);
        partial =
          options.onlySlowToRebuild === true &&
          [...this.collections.values()].some((col) => col.index.rebuildsAsFastAsItLoads);
        const at = this.applied;
        this.changedSinceCheckpoint = 0;
        return { at, collections };
      });
    } catch (err) {
      await checkpoints.discard(draft);
      throw err;
    }
    await checkpoints.complete(draft, captured.at, captured.collections);
    this.lastCheckpointIndex = captured.at;
    this.lastCheckpointPartial = partial;
  }

  private rememberDigest(): void {
    // Each digest is a new array (nextDigest), never changed after: kept as it is.
    this.digests.set(this.applied, this.digest);
    if (this.digests.size > DIGEST_HISTORY) {
      const oldest = this.digests.keys().next().value;
      if (oldest !== undefined) this.digests.delete(oldest);
    }
  }

  /** Every collection, sorted by name. */
  listCollections(): CollectionInfo[] {
    this.checkOpen();
    return [...this.collections.values()]
      .map(info)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  describeCollection(name: string): CollectionInfo {
    this.checkOpen();
    return info(this.requireCollection(name));
  }

  /** The points among `ids` that exist, in the order asked. */
  async get(
    collection: string,
    ids: string[],
    opts: { withVector: boolean } & MetadataSelection,
  ): Promise<StoredPoint[]> {
    return this.read(async () => {
      const col = this.requireCollection(collection);
      if (ids.length === 0) return [];
      validateIds(ids);
      validateMetadataKeys(opts.metadataKeys);
      const found: Array<{ id: string; label: number }> = [];
      for (const id of ids) {
        const label = col.idToLabel.get(id);
        if (label !== undefined) found.push({ id, label });
      }
      return this.materialize(col, found, opts);
    });
  }

  /**
   * Nearest neighbours: one hit list per query, best first. A query by point id
   * searches with that point's stored vector and leaves the point out of its hits;
   * queries with their own filter or k are searched apart from the others.
   */
  async search(query: SearchQuery): Promise<SearchHit[][]> {
    return this.read(async () => {
      const col = this.requireCollection(query.collection);
      validateSearch(col.record.dimension, query, col.record.metric);
      const nq = query.vectors.length;
      const vectors = query.vectors.slice();
      const self = await this.queriesByPoint(col, query, vectors);
      // Queries that share a filter and a k are searched together, in one batch (each
      // filter is planned once).
      const groups = new Map<string, number[]>();
      for (let i = 0; i < nq; i++) {
        const t = query.targets?.[i];
        const key = `${t?.filter !== undefined ? JSON.stringify(t.filter) : 'shared'} k=${t?.k ?? query.k}`;
        const group = groups.get(key);
        if (group) group.push(i);
        else groups.set(key, [i]);
      }
      const rows: IndexHit[][] = new Array<IndexHit[]>(nq);
      for (const members of groups.values()) {
        const first = query.targets?.[members[0]!];
        const k = first?.k ?? query.k;
        const filter = first?.filter ?? query.filter;
        // One more hit for a query by point, which finds itself first (usually).
        const extra = members.some((i) => self[i] !== undefined) ? 1 : 0;
        const found = await this.searchIndex(
          col,
          query,
          members.map((i) => vectors[i]!),
          k + extra,
          filter,
        );
        members.forEach((qi, j) => {
          const row = found[j]!.filter(
            (h) => h.label !== self[qi] && withinThreshold(col, query, h),
          );
          rows[qi] = row.slice(0, k);
        });
      }
      const out: SearchHit[][] = [];
      for (const row of rows) {
        const refs: Array<{ id: string; label: number; score: number }> = [];
        for (const hit of row) {
          const point = col.points.get(hit.label);
          if (point) refs.push({ id: point.id, label: hit.label, score: hit.score });
        }
        const points = await this.materialize(col, refs, query);
        out.push(points.map((p, i) => ({ ...p, score: refs[i]!.score })));
      }
      return out;
    });
  }

  /**
   * Puts the stored vector of each query by point id into `vectors`, and returns the
   * label each such query leaves out. NOT_FOUND when a point does not exist.
   */
  private async queriesByPoint(
    col: CollectionState,
    query: SearchQuery,
    vectors: Float32Array[],
  ): Promise<Array<number | undefined>> {
    const self: Array<number | undefined> = new Array<number | undefined>(vectors.length);
    const byPoint: Array<{ i: number; id: string; label: number }> = [];
    query.targets?.forEach((t, i) => {
      if (t.pointId === undefined) return;
      const label = col.idToLabel.get(t.pointId);
      if (label === undefined) {
        throw new RaftvecError(
          'NOT_FOUND',
          `query ${i}: point ${JSON.stringify(t.pointId)} does not exist in collection ${JSON.stringify(col.record.name)}; search by a stored point's id, or give a vector`,
        );
      }
      byPoint.push({ i, id: t.pointId, label });
      self[i] = label;
    });
    if (byPoint.length === 0) return self;
    const { uid, dimension } = col.record;
    const values = await this.db.getMany(byPoint.map((q) => pointKey(uid, q.id)));
    values.forEach((value, j) => {
      const q = byPoint[j]!;
      if (value === undefined)
        throw new StateCorruptionError(
          this.db.location,
          describeKey(pointKey(uid, q.id)),
          'is missing for a loaded point',
        );
      const vector = new Float32Array(dimension);
      this.decodePoint(pointKey(uid, q.id), value, dimension, vector);
      vectors[q.i] = vector;
    });
    return self;
  }

  /** One batch of queries through the collection's index, restricted to `filter`'s matches. */
  private async searchIndex(
    col: CollectionState,
    query: SearchQuery,
    vectors: Float32Array[],
    k: number,
    filter: Filter | undefined,
  ): Promise<IndexHit[][]> {
    const filtered = !isEmptyFilter(filter);
    return col.index.search(col.index.prepareQueries(vectors), vectors.length, k, {
      ...searchBreadth(query.efSearch ?? col.record.efSearch, col.record.indexSpec),
      ...(query.nprobe !== undefined ? { nprobe: query.nprobe } : {}),
      ...(filtered ? { allowLabels: sortedAllowList(matchingLabels(col, filter)) } : {}),
      allLabels: () => toBigLabels(col.points.keys()),
    });
  }

  /** How many points the collection holds (that match `filter`, if given). */
  async count(collection: string, filter?: Filter): Promise<number> {
    return this.read(async () => {
      const col = this.requireCollection(collection);
      validateFilter(filter);
      return countMatching(col, filter);
    });
  }

  /** Pages through a collection in id order (byte order of the UTF-8 id). */
  async scroll(query: ScrollQuery): Promise<ScrollPage> {
    return this.read(async () => {
      const col = this.requireCollection(query.collection);
      validateScroll(query);
      const after = query.afterId !== undefined && query.afterId !== '' ? query.afterId : undefined;
      let page: Array<{ id: string; label: number }> = [];
      let more = false;
      const matches = isEmptyFilter(query.filter) ? undefined : matchingLabels(col, query.filter);
      if (matches !== undefined && matches.length <= 4 * query.limit + 1_000) {
        // Few matches: their ids sorted beat walking the store's keys to find them.
        const afterBytes = after === undefined ? undefined : Buffer.from(after, 'utf8');
        const found = Array.from(matches, (label) => {
          const id = col.points.get(label)!.id;
          return { id, label, bytes: Buffer.from(id, 'utf8') };
        })
          .filter((p) => afterBytes === undefined || Buffer.compare(p.bytes, afterBytes) > 0)
          .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
        more = found.length > query.limit;
        page = found.slice(0, query.limit).map(({ id, label }) => ({ id, label }));
      } else {
        const allowed = matches === undefined ? undefined : new Set(matches);
        const range = pointRange(col.record.uid);
        const bounds =
          after !== undefined ? { gt: pointKey(col.record.uid, after), lt: range.lt } : range;
        // The iterator reads from an implicit LevelDB snapshot; under the read lock
        // it agrees with the in-memory maps.
        for await (const key of this.db.keys(bounds)) {
          const id = idOfPointKey(key);
          const label = col.idToLabel.get(id);
          if (label === undefined || (allowed !== undefined && !allowed.has(label))) continue;
          if (page.length === query.limit) {
            more = true;
            break;
          }
          page.push({ id, label });
        }
      }
      const points = await this.materialize(col, page, query);
      const last = page[page.length - 1];
      return more && last ? { points, nextAfterId: last.id } : { points };
    });
  }

  /**
   * Waits for running reads and background clean-up, then closes LevelDB. Writes a
   * checkpoint first unless `checkpoint` is false (a state about to be replaced).
   */
  async close(options: { checkpoint?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    // A background checkpoint still being written goes first: two at one applied index
    // would be completed into one folder, and one leaving indexes out could win.
    await this.checkpointing?.catch(() => undefined);
    // A graceful stop leaves a checkpoint, so the next start loads instead of rebuilding.
    if (
      options.checkpoint !== false &&
      this.broken === null &&
      (this.applied > this.lastCheckpointIndex || this.lastCheckpointPartial)
    ) {
      // Held as the running checkpoint: no background one starts meanwhile.
      this.checkpointing = this.checkpointNow().catch(() => undefined);
      await this.checkpointing;
    }
    this.closed = true;
    await this.scrubbing;
    await this.checkpointing?.catch(() => undefined);
    await this.lock.write(() => undefined);
    await this.cleanup;
    await this.db.close();
  }

  // ---------------------------------------------------------------- apply

  private plan(index: number, command: Command): Plan {
    switch (command.kind) {
      case 'noop':
        return { result: { ok: true }, ops: [] };
      case 'createCollection':
        return this.planCreate(index, command.spec);
      case 'dropCollection':
        return this.planDrop(command.name);
      case 'upsert':
        return this.planUpsert(command.collection, command.points);
      case 'delete':
        return this.planDelete(command.collection, command.ids);
      case 'deleteByFilter':
        return this.planDeleteByFilter(command.collection, command.filter);
      case 'updatePayload':
        return this.planUpdatePayload(command.collection, command.points, command.update);
      case 'createPayloadIndex':
        return this.planCreatePayloadIndex(command.collection, command.index);
      case 'dropPayloadIndex':
        return this.planDropPayloadIndex(command.collection, command.key);
      case 'batch':
        return this.planBatch(command.collection, command.operations);
      default: {
        const unknown: never = command;
        throw new RaftvecError(
          'INTERNAL',
          `cannot apply unknown command ${JSON.stringify(unknown)}`,
        );
      }
    }
  }

  private planCreate(index: number, spec: CollectionSpec): Plan {
    try {
      validateCollectionSpec(spec);
    } catch (err) {
      return { result: failure('INVALID_ARGUMENT', (err as Error).message), ops: [] };
    }
    if (this.collections.has(spec.name)) {
      return {
        result: failure('ALREADY_EXISTS', `collection ${JSON.stringify(spec.name)} already exists`),
        ops: [],
      };
    }
    let index_: CollectionIndex;
    try {
      index_ = CollectionIndex.create(spec.dimension, spec.metric, spec.indexSpec);
    } catch (err) {
      // FAISS refusing the factory string is deterministic; anything else
      // (INTERNAL: e.g. the addon failed to load) is node-local and must not be
      // recorded as this entry's result, so apply throws and nothing advances.
      if (err instanceof RaftvecError && err.code === 'INVALID_ARGUMENT') {
        return { result: failure('INVALID_ARGUMENT', err.message), ops: [] };
      }
      throw err;
    }
    const record: CollectionRecord = {
      name: spec.name,
      dimension: spec.dimension,
      metric: spec.metric,
      indexSpec: spec.indexSpec,
      ...(spec.efSearch !== undefined && { efSearch: spec.efSearch }),
      uid: index,
      nextLabel: 0,
    };
    return {
      result: { ok: true, created: true },
      ops: [],
      collectionRecord: { name: spec.name, record },
      commit: () => {
        this.collections.set(spec.name, collectionState(record, new Map(), new Map(), index_));
      },
    };
  }

  private planDrop(name: string): Plan {
    const col = this.collections.get(name);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(name)), ops: [] };
    const uid = col.record.uid;
    return {
      result: { ok: true, dropped: true },
      ops: [{ type: 'put', key: droppedKey(uid), value: new Uint8Array(0) }],
      collectionRecord: { name },
      commit: () => {
        this.collections.delete(name);
      },
      droppedUid: uid,
    };
  }

  private planUpsert(collection: string, points: Point[], held?: IndexChanges): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    const { uid, dimension, metric } = col.record;
    try {
      validatePoints(dimension, points, metric);
    } catch (err) {
      return {
        result: failure(
          'INVALID_ARGUMENT',
          `collection ${JSON.stringify(collection)}: ${(err as Error).message}`,
        ),
        ops: [],
      };
    }
    const ops: BatchOp[] = [];
    const vectors = new Float32Array(points.length * dimension);
    const newLabels = new BigInt64Array(points.length);
    const oldLabels: number[] = [];
    const fresh: Array<{ id: string; label: number; metadataJson: string }> = [];
    let nextLabel = col.record.nextLabel;
    points.forEach((p, i) => {
      const vector = metric === 'cosine' ? normalized(p.vector) : p.vector;
      const metadataJson = JSON.stringify(p.metadata);
      const label = nextLabel++;
      const old = col.idToLabel.get(p.id);
      if (old !== undefined) {
        oldLabels.push(old);
        ops.push({ type: 'del', key: labelKey(uid, old) });
      }
      ops.push({
        type: 'put',
        key: pointKey(uid, p.id),
        value: encodePointValue(label, vector, metadataJson),
      });
      ops.push({ type: 'put', key: labelKey(uid, label), value: utf8Encode(p.id) });
      vectors.set(vector, i * dimension);
      newLabels[i] = BigInt(label);
      fresh.push({ id: p.id, label, metadataJson });
    });
    const before = col.record;
    const record: CollectionRecord = { ...col.record, nextLabel };
    // What commit changes, for undo.
    const replaced: Array<{ label: number; point: LivePoint }> = [];
    const previous: Array<{ id: string; label: number | undefined }> = [];
    return {
      result: { ok: true, upserted: points.length },
      ops,
      collectionRecord: { name: collection, record },
      // Add before remove: FAISS checks every vector before adding any, so if it
      // refuses the batch the index is exactly as it was.
      prepare: async () => {
        const index = held ?? col.index;
        await index.add(vectors, newLabels);
        if (oldLabels.length > 0) await index.remove(toBigLabels(oldLabels));
      },
      reload: { col, record },
      commit: () => {
        for (const old of oldLabels) {
          const point = col.points.get(old);
          if (point) replaced.push({ label: old, point });
          reindex(col, old, point?.metadata);
          col.points.delete(old);
        }
        for (const f of fresh) {
          const metadata = frozenMetadata(f.metadataJson);
          previous.push({ id: f.id, label: col.idToLabel.get(f.id) });
          col.idToLabel.set(f.id, f.label);
          col.points.set(f.label, { id: f.id, metadata });
          reindex(col, f.label, undefined, metadata);
        }
        col.record = record;
      },
      undo: () => {
        for (const f of fresh) {
          reindex(col, f.label, col.points.get(f.label)?.metadata);
          col.points.delete(f.label);
        }
        for (const p of previous.reverse()) {
          if (p.label === undefined) col.idToLabel.delete(p.id);
          else col.idToLabel.set(p.id, p.label);
        }
        for (const r of replaced) {
          col.points.set(r.label, r.point);
          reindex(col, r.label, undefined, r.point.metadata);
        }
        col.record = before;
      },
    };
  }

  private planDelete(collection: string, ids: string[], held?: IndexChanges): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    try {
      validateIds(ids);
    } catch (err) {
      return {
        result: failure(
          'INVALID_ARGUMENT',
          `collection ${JSON.stringify(collection)}: ${(err as Error).message}`,
        ),
        ops: [],
      };
    }
    return this.deletePlan(col, ids, held);
  }

  private planDeleteByFilter(collection: string, filter: Filter, held?: IndexChanges): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    const refused = refusal(collection, () => validateFilter(filter));
    if (refused) return refused;
    const labels = matchingLabels(col, filter);
    const tooMany = tooManyMatches(collection, labels.length, 'delete');
    if (tooMany) return tooMany;
    return this.deletePlan(
      col,
      Array.from(labels, (label) => col.points.get(label)!.id),
      held,
    );
  }

  private planUpdatePayload(
    collection: string,
    selector: PointSelector,
    update: PayloadUpdate,
    read: RecordReader = (keys) => this.db.getMany(keys),
  ): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    const refused = refusal(collection, () => {
      validatePointSelector(selector);
      validatePayloadUpdate(update);
    });
    if (refused) return refused;
    const targets: Array<{ id: string; label: number }> = [];
    if ('ids' in selector) {
      const missing: string[] = [];
      for (const id of new Set(selector.ids)) {
        const label = col.idToLabel.get(id);
        if (label === undefined) missing.push(id);
        else targets.push({ id, label });
      }
      if (missing.length > 0) {
        const shown = missing
          .slice(0, 5)
          .map((id) => JSON.stringify(id))
          .join(', ');
        return {
          result: failure(
            'NOT_FOUND',
            `collection ${JSON.stringify(collection)}: ${missing.length} of the ids do not exist (${shown}${missing.length > 5 ? ', …' : ''}); nothing was changed: upsert those points first, or leave their ids out`,
          ),
          ops: [],
        };
      }
    } else {
      const labels = matchingLabels(col, selector.filter);
      const tooMany = tooManyMatches(collection, labels.length, 'update');
      if (tooMany) return tooMany;
      for (const label of labels) targets.push({ id: col.points.get(label)!.id, label });
    }
    const tooLarge = tooManyBytes(collection, targets.length, col.record.dimension);
    if (tooLarge) return tooLarge;
    const changes: Array<{
      id: string;
      label: number;
      before: Metadata;
      after: Metadata;
      json: string;
    }> = [];
    // The records' real size, metadata included, counted as they are made: planning
    // stops at the bound instead of building every new metadata first.
    let bytes = 0;
    for (const t of targets) {
      const before = col.points.get(t.label)!.metadata;
      const after = applyPayloadUpdate(before, update);
      const json = JSON.stringify(after);
      bytes += 8 + 4 * col.record.dimension + Buffer.byteLength(json, 'utf8');
      if (bytes > limits.maxPayloadUpdateBytes) {
        return tooManyBytesWithMetadata(collection, changes.length + 1, targets.length);
      }
      const bad = refusal(collection, () =>
        validateMetadata(
          after,
          `point ${JSON.stringify(t.id)} after this update (nothing was changed)`,
        ),
      );
      if (bad) return bad;
      changes.push({ ...t, before, after, json });
    }
    const { uid, dimension } = col.record;
    const ops: BatchOp[] = [];
    return {
      result: { ok: true, updated: changes.length },
      ops,
      readsStore: changes.length > 0,
      // The vectors stay as stored: each point record is rewritten with its new metadata.
      prepare: async () => {
        const keys = changes.map((c) => pointKey(uid, c.id));
        const values = await read(keys);
        values.forEach((value, i) => {
          const c = changes[i]!;
          // A pair check: the record on disk is the point held in memory.
          if (value === undefined || labelOfPointValue(value) !== c.label) {
            throw new StateCorruptionError(
              this.db.location,
              describeKey(keys[i]!),
              value === undefined
                ? 'is missing for a loaded point'
                : `does not hold label ${c.label}`,
            );
          }
          ops.push({
            type: 'put',
            key: keys[i]!,
            value: this.rewritten(keys[i]!, value, dimension, c.json),
          });
        });
      },
      commit: () => {
        for (const c of changes) {
          const metadata = frozenMetadata(c.json);
          reindex(col, c.label, c.before, metadata);
          col.points.set(c.label, { id: c.id, metadata });
        }
      },
      undo: () => {
        for (const c of changes) {
          reindex(col, c.label, col.points.get(c.label)?.metadata, c.before);
          col.points.set(c.label, { id: c.id, metadata: c.before });
        }
      },
    };
  }

  /**
   * A batch: its operations carried out one after the other in `prepare`, each planned on
   * the state the ones before left, committed in memory with its undo kept, its FAISS
   * changes held back (batch.ts). The first refusal takes every operation back and
   * refuses the entry with it; else the held FAISS changes are made, and the entry's
   * LevelDB writes are every operation's, in order.
   */
  private planBatch(collection: string, operations: BatchOperation[]): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    const refused = refusal(collection, () => validateBatchShape(operations));
    if (refused) return refused;
    const results: OperationResult[] = [];
    const ops: BatchOp[] = [];
    const plan: Plan = { result: { ok: true, results }, ops, readsStore: true };
    plan.prepare = async () => {
      const before = col.record;
      const undo: Array<() => void> = [];
      const held = new HeldIndexChanges(col.record.dimension);
      // What the operations so far wrote, by key: a later one reads its records from here.
      const written = new Map<string, Uint8Array | undefined>();
      const read: RecordReader = async (keys) => {
        const hex = keys.map((k) => Buffer.from(k).toString('hex'));
        const stored = await this.db.getMany(keys.filter((_, i) => !written.has(hex[i]!)));
        let next = 0;
        return hex.map((h) => (written.has(h) ? written.get(h) : stored[next++]));
      };
      let changed = 0;
      let writtenBytes = 0;
      const takeBack = (): void => {
        for (const step of undo.reverse()) step();
        col.record = before;
        ops.length = 0;
        delete plan.collectionRecord;
      };
      try {
        for (let i = 0; i < operations.length; i++) {
          const step = this.planOperation(collection, operations[i]!, held, read);
          if (!step.result.ok) {
            throw new EntryRefused(
              failure(step.result.code, `operation ${i}: ${step.result.message}`) as ApplyResult & {
                ok: false;
              },
            );
          }
          await step.prepare?.();
          if (step.collectionRecord) {
            // Counted as when it was one of the operations' writes: apply stays the same.
            const { record } = step.collectionRecord;
            if (record !== undefined)
              writtenBytes += Buffer.byteLength(JSON.stringify(record), 'utf8');
            plan.collectionRecord = step.collectionRecord;
          }
          for (const op of step.ops) {
            if (op.type === 'put') writtenBytes += op.value.byteLength;
            ops.push(op);
            written.set(
              Buffer.from(op.key).toString('hex'),
              op.type === 'put' ? op.value : undefined,
            );
          }
          step.commit?.();
          if (step.undo) undo.push(step.undo);
          const { upserted, deleted, updated } = step.result;
          // Each operation is bounded; so is what they change together.
          changed += (deleted ?? 0) + (updated ?? 0);
          if (changed > limits.maxPointsPerFilterWrite || writtenBytes > BATCH_WRITE_BYTES) {
            throw new EntryRefused(
              failure(
                'FAILED_PRECONDITION',
                `operation ${i}: the batch's operations delete or update ${changed} points and write ${(writtenBytes / 2 ** 20).toFixed(1)} MiB of records so far; one batch changes at most ${limits.maxPointsPerFilterWrite} points and writes at most ${BATCH_WRITE_BYTES / 2 ** 20} MiB: split it`,
              ) as ApplyResult & { ok: false },
            );
          }
          results.push({
            ...(upserted !== undefined && { upserted }),
            ...(deleted !== undefined && { deleted }),
            ...(updated !== undefined && { updated }),
          });
        }
        await held.applyTo(col.index);
      } catch (err) {
        takeBack();
        if (err instanceof FaissError && err.code === 'INVALID_ARGUMENT') {
          throw new EntryRefused(
            failure(
              'INVALID_ARGUMENT',
              `the batch was refused by the index: ${err.message}`,
            ) as ApplyResult & {
              ok: false;
            },
          );
        }
        throw err;
      }
      plan.reload = { col, record: col.record };
    };
    return plan;
  }

  /** One operation of a batch on `collection`, planned on the state as it is now. */
  private planOperation(
    collection: string,
    op: BatchOperation,
    held: IndexChanges,
    read: RecordReader,
  ): Plan {
    switch (op?.kind) {
      case 'upsert':
        return this.planUpsert(collection, op.points, held);
      case 'delete':
        return this.planDelete(collection, op.ids, held);
      case 'deleteByFilter':
        return this.planDeleteByFilter(collection, op.filter, held);
      case 'updatePayload':
        return this.planUpdatePayload(collection, op.points, op.update, read);
      default:
        return {
          result: failure('INVALID_ARGUMENT', 'not an operation a batch can hold'),
          ops: [],
        };
    }
  }

  private planCreatePayloadIndex(collection: string, spec: PayloadIndexSpec): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    const refused = refusal(collection, () => validatePayloadIndexSpec(spec));
    if (refused) return refused;
    const existing = col.record.payloadIndexes ?? [];
    const same = existing.find((e) => e.key === spec.key);
    if (same?.type === spec.type) return { result: { ok: true, created: false }, ops: [] };
    if (same === undefined && existing.length >= limits.maxPayloadIndexes) {
      return {
        result: failure(
          'FAILED_PRECONDITION',
          `collection ${JSON.stringify(collection)} has ${existing.length} payload indexes, the limit; drop one first`,
        ),
        ops: [],
      };
    }
    // One index per key: another type replaces the one there.
    const next = [
      ...existing.filter((e) => e.key !== spec.key),
      { key: spec.key, type: spec.type },
    ];
    next.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const record: CollectionRecord = { ...col.record, payloadIndexes: next };
    return {
      result: { ok: true, created: true },
      ops: [],
      collectionRecord: { name: collection, record },
      commit: () => {
        col.payloadIndexes.set(
          spec.key,
          buildPayloadIndex({ key: spec.key, type: spec.type }, col.points),
        );
        col.record = record;
      },
    };
  }

  private planDropPayloadIndex(collection: string, key: string): Plan {
    const col = this.collections.get(collection);
    if (!col) return { result: failure('NOT_FOUND', notFoundMessage(collection)), ops: [] };
    const existing = col.record.payloadIndexes ?? [];
    if (!existing.some((e) => e.key === key)) {
      return {
        result: failure(
          'NOT_FOUND',
          `collection ${JSON.stringify(collection)} has no payload index on ${JSON.stringify(key)}`,
        ),
        ops: [],
      };
    }
    const next = existing.filter((e) => e.key !== key);
    const record: CollectionRecord = { ...col.record };
    if (next.length > 0) record.payloadIndexes = next;
    else delete record.payloadIndexes;
    return {
      result: { ok: true, dropped: true },
      ops: [],
      collectionRecord: { name: collection, record },
      commit: () => {
        col.payloadIndexes.delete(key);
        col.record = record;
      },
    };
  }

  /** A point record with new metadata; a record too short for its vector is corruption. */
  private rewritten(
    key: Uint8Array,
    value: Uint8Array,
    dimension: number,
    json: string,
  ): Uint8Array {
    try {
      return withPointMetadata(value, dimension, json);
    } catch (err) {
      throw new StateCorruptionError(this.db.location, describeKey(key), (err as Error).message);
    }
  }

  /** The effects of deleting the points among `ids` that exist (the others are ignored). */
  private deletePlan(col: CollectionState, ids: readonly string[], held?: IndexChanges): Plan {
    const { uid } = col.record;
    const ops: BatchOp[] = [];
    const gone: Array<{ id: string; label: number }> = [];
    const removed: Array<{ label: number; point: LivePoint }> = [];
    for (const id of new Set(ids)) {
      const label = col.idToLabel.get(id);
      if (label === undefined) continue;
      gone.push({ id, label });
      ops.push({ type: 'del', key: pointKey(uid, id) });
      ops.push({ type: 'del', key: labelKey(uid, label) });
    }
    return {
      result: { ok: true, deleted: gone.length },
      ops,
      prepare: () => (held ?? col.index).remove(toBigLabels(gone.map((g) => g.label))),
      reload: { col, record: col.record },
      commit: () => {
        for (const g of gone) {
          const point = col.points.get(g.label);
          if (point) removed.push({ label: g.label, point });
          reindex(col, g.label, point?.metadata);
          col.idToLabel.delete(g.id);
          col.points.delete(g.label);
        }
      },
      undo: () => {
        for (const r of removed) {
          col.points.set(r.label, r.point);
          col.idToLabel.set(r.point.id, r.label);
          reindex(col, r.label, undefined, r.point.metadata);
        }
      },
    };
  }

  // ---------------------------------------------------------------- loading

  /**
   * Reads every stored point of a collection and builds its maps and index. Each
   * record's checksum is verified as it is read, and the label → id map is
   * checked against the points (a pair of records that must agree).
   */
  private async loadCollection(
    record: CollectionRecord,
    progress: LoadProgress,
    onProgress: OpenOptions['onProgress'],
    checkpoint?: LoadedIndex,
  ): Promise<CollectionState> {
    const dimension = record.dimension;
    if (checkpoint?.points && checkpoint.appliedIndex === this.applied) {
      const fromTable = await this.loadFromPointTable(record, checkpoint, progress, onProgress);
      if (fromTable) return fromTable;
    }
    const checkpointed = checkpoint && sortedLabels(checkpoint.labels);
    // A rebuild decodes every vector straight into one array (grown by doubling, a few
    // large allocations): a small array per point would leave hundreds of MB of
    // allocator fragments behind in RSS. With a checkpoint, only the points it lacks
    // need their vectors.
    let vectors = checkpointed ? undefined : new Float32Array(1024 * dimension);
    let labels = checkpointed ? undefined : new BigInt64Array(1024);
    const missing: { label: number; vector: Float32Array }[] = [];
    const idToLabel = new Map<string, number>();
    const points = new Map<number, LivePoint>();
    for await (const [key, value] of this.db.entries(pointRange(record.uid))) {
      const at = points.size;
      if (labels && at === labels.length) {
        [vectors, labels] = [grown(vectors!, 2 * at * dimension), grown(labels, 2 * at)];
      }
      const id = idOfPointKey(key);
      const p = this.decodePoint(key, value, dimension, vectors, at * dimension);
      idToLabel.set(id, p.label);
      points.set(p.label, { id, metadata: frozenMetadata(p.metadataJson) });
      if (labels) labels[at] = BigInt(p.label);
      else if (!sortedHas(checkpointed!, p.label)) {
        const vector = new Float32Array(dimension);
        this.decodePoint(key, value, dimension, vector, 0);
        missing.push({ label: p.label, vector });
      }
      if (++progress.pointsLoaded % PROGRESS_EVERY_POINTS === 0)
        await onProgress?.({ ...progress, collection: record.name });
    }
    let labelRecords = 0;
    for await (const [key, value] of this.db.entries(labelRange(record.uid))) {
      labelRecords++;
      const label = readU64be(key, 9);
      const id = utf8Decode(value);
      if (idToLabel.get(id) !== label) {
        throw new StateCorruptionError(
          this.db.location,
          describeKey(key),
          `maps label ${label} to id ${JSON.stringify(id)}, whose point record ${idToLabel.has(id) ? `has label ${idToLabel.get(id)}` : 'is missing'}`,
        );
      }
    }
    if (labelRecords !== idToLabel.size)
      throw this.countMismatch(record, idToLabel.size, labelRecords);
    if (checkpoint) {
      const restored = await this.restoreIndex(record, checkpoint, points, missing);
      if (restored) {
        progress.indexesRestored++;
        return collectionState(record, idToLabel, points, restored);
      }
      // The checkpoint is unusable: read the vectors again, for a rebuild.
      const all = await this.readVectors(record, points.size);
      const index = CollectionIndex.create(dimension, record.metric, record.indexSpec);
      await index.load(all.vectors, all.labels);
      return collectionState(record, idToLabel, points, index);
    }
    const index = CollectionIndex.create(dimension, record.metric, record.indexSpec);
    await index.load(
      vectors!.subarray(0, points.size * dimension),
      labels!.subarray(0, points.size),
    );
    return collectionState(record, idToLabel, points, index);
  }

  /**
   * A collection from its checkpoint alone, when the store stands exactly at the
   * checkpoint's applied index (so the checkpoint holds exactly the stored points):
   * the maps from the point table, the index as serialized, no scan of the store.
   * Undefined if the table does not read back whole (the caller scans); an index that
   * does not is rebuilt from the stored vectors.
   */
  private async loadFromPointTable(
    record: CollectionRecord,
    checkpoint: LoadedIndex,
    progress: LoadProgress,
    onProgress: OpenOptions['onProgress'],
  ): Promise<CollectionState | undefined> {
    const idToLabel = new Map<string, number>();
    const points = new Map<number, LivePoint>();
    const loaded = progress.pointsLoaded;
    try {
      const table = readPointTable(
        checkpoint.points!.file,
        checkpoint.labels.length,
        checkpoint.points!.sha256,
      );
      for await (const rows of table) {
        for (const row of rows) {
          idToLabel.set(row.id, row.label);
          points.set(row.label, { id: row.id, metadata: frozenMetadata(row.metadataJson) });
        }
        progress.pointsLoaded += rows.length;
        await onProgress?.({ ...progress, collection: record.name });
      }
      // A pair check: the table and the labels file were written from the same map.
      checkpoint.labels.forEach((label) => {
        if (!points.has(Number(label))) throw new Error(`label ${label} has no row`);
      });
      let index = await this.restoreIndex(record, checkpoint, points, []);
      if (index !== undefined) progress.indexesRestored++;
      else {
        // The maps are good but the index file is not: rebuild it from the stored vectors
        // (a scan would only read the same index file again first).
        const all = await this.readVectors(record, points.size);
        index = CollectionIndex.create(record.dimension, record.metric, record.indexSpec);
        await index.load(all.vectors, all.labels);
      }
      progress.pointTablesRead++;
      this.loadedFromTables.push(record.uid);
      return collectionState(record, idToLabel, points, index);
    } catch {
      // Read the store instead: slower, never wrong.
      progress.pointsLoaded = loaded;
      return undefined;
    }
  }

  private countMismatch(record: CollectionRecord, points: number, labels: number) {
    return new StateCorruptionError(
      this.db.location,
      `(collection ${JSON.stringify(record.name)})`,
      `has ${points} point records but ${labels} label records`,
    );
  }

  /**
   * The collection's index from its checkpoint, reconciled with the stored points:
   * labels the checkpoint holds but no point has are removed, and `missing` (points
   * it lacks) are added. Undefined when the checkpoint cannot be used.
   */
  private async restoreIndex(
    record: CollectionRecord,
    checkpoint: LoadedIndex,
    points: ReadonlyMap<number, LivePoint>,
    missing: readonly { label: number; vector: Float32Array }[],
  ): Promise<CollectionIndex | undefined> {
    const remove: number[] = [];
    for (const label of checkpoint.labels) {
      if (!points.has(Number(label))) remove.push(Number(label));
    }
    const addVectors = new Float32Array(missing.length * record.dimension);
    missing.forEach((m, i) => addVectors.set(m.vector, i * record.dimension));
    try {
      return await CollectionIndex.restore(
        record.dimension,
        record.metric,
        record.indexSpec,
        checkpoint.file,
        {
          remove: toBigLabels(remove),
          addVectors,
          addLabels: toBigLabels(missing.map((m) => m.label)),
        },
      );
    } catch {
      // A checkpoint that does not deserialize (or disagrees) costs a rebuild, nothing more.
      return undefined;
    }
  }

  /** A point record, decoded; a record of the wrong shape is corruption, named by its key. */
  private decodePoint(
    key: Uint8Array,
    value: Uint8Array,
    dimension: number,
    vectors?: Float32Array,
    vectorAt = 0,
  ) {
    try {
      return decodePointValueInto(value, dimension, vectors, vectorAt);
    } catch (err) {
      throw new StateCorruptionError(
        this.db.location,
        describeKey(key),
        `does not decode: ${(err as Error).message}`,
      );
    }
  }

  /**
   * Rebuilds a collection's FAISS index from LevelDB when it crossed its
   * training threshold or holds more tombstones than live points. Runs after
   * the entry's batch is written, so LevelDB already holds the entry's points.
   */
  private async reload(col: CollectionState, record: CollectionRecord): Promise<void> {
    // The entry's FAISS work is done and its batch written, but the maps are updated
    // only at commit: the index knows how many points the store now holds.
    const all = await this.readVectors(record, col.index.size);
    await col.index.load(all.vectors, all.labels);
  }

  /**
   * Every stored vector of a collection with its label (for training and rebuilds);
   * `count` is how many points it holds (the in-memory maps know).
   */
  private async readVectors(
    record: CollectionRecord,
    count: number,
  ): Promise<{ vectors: Float32Array; labels: BigInt64Array }> {
    const vectors = new Float32Array(count * record.dimension);
    const labels = new BigInt64Array(count);
    let at = 0;
    let found = 0;
    for await (const [key, value] of this.db.entries(pointRange(record.uid))) {
      if (found++ >= count) continue;
      const p = this.decodePoint(key, value, record.dimension, vectors, at * record.dimension);
      labels[at++] = BigInt(p.label);
    }
    if (found !== count)
      throw new StateCorruptionError(
        this.db.location,
        `(collection ${JSON.stringify(record.name)})`,
        `holds ${found} point records where ${count} points are loaded`,
      );
    return { vectors, labels };
  }

  /** Clears a dropped collection's keys in the background; idempotent, resumed on open. */
  private scheduleCleanup(uid: number): void {
    this.cleanup = this.cleanup.then(async () => {
      try {
        await this.db.clear(pointRange(uid));
        await this.db.clear(labelRange(uid));
        await this.db.batch([{ type: 'del', key: droppedKey(uid) }], false);
      } catch {
        // Left for the next open: the `D` tombstone stays until the clean-up completes.
      }
    });
  }

  // ---------------------------------------------------------------- reads

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.checkUsable();
    return this.lock.read(async () => {
      this.checkUsable();
      try {
        return await fn();
      } catch (err) {
        if (err instanceof StateCorruptionError) this.markCorrupted(err);
        throw err;
      }
    });
  }

  /** A damaged record was read: serve nothing more from this store (a restart rebuilds it). */
  private markCorrupted(err: StateCorruptionError): void {
    if (this.broken !== null) return;
    this.broken = err;
    this.onCorruption?.(err);
  }

  /** Builds StoredPoints for (id, label) pairs of live points, reading vectors from LevelDB if asked. */
  private async materialize(
    col: CollectionState,
    refs: ReadonlyArray<{ id: string; label: number }>,
    opts: { withVector: boolean } & MetadataSelection,
  ): Promise<StoredPoint[]> {
    const keys =
      opts.metadataKeys !== undefined && opts.metadataKeys.length > 0
        ? opts.metadataKeys
        : undefined;
    let vectors: Array<Float32Array | undefined> = [];
    if (opts.withVector && refs.length > 0) {
      const values = await this.db.getMany(refs.map((r) => pointKey(col.record.uid, r.id)));
      vectors = values.map((v, i) => {
        if (v === undefined) return undefined;
        const vector = new Float32Array(col.record.dimension);
        this.decodePoint(pointKey(col.record.uid, refs[i]!.id), v, col.record.dimension, vector);
        return vector;
      });
    }
    return refs.map((r, i) => {
      const out: StoredPoint = { id: r.id };
      if (opts.withVector) {
        const vector = vectors[i];
        if (vector) out.vector = vector;
      }
      if (opts.withMetadata || keys) {
        const point = col.points.get(r.label);
        if (point) out.metadata = keys ? selectMetadata(point.metadata, keys) : point.metadata;
      }
      return out;
    });
  }

  private requireCollection(name: string): CollectionState {
    const col = this.collections.get(name);
    if (!col) {
      validateCollectionName(name);
      throw new RaftvecError('NOT_FOUND', notFoundMessage(name));
    }
    return col;
  }

  private checkOpen(): void {
    if (this.closed) throw new RaftvecError('UNAVAILABLE', 'the state machine is closed');
  }

  private checkUsable(): void {
    this.checkOpen();
    if (this.broken instanceof StateCorruptionError) throw this.broken;
    if (this.broken) {
      throw new RaftvecError(
        'INTERNAL',
        `the state machine's FAISS index failed (${this.broken.message}); restart the node to rebuild it`,
      );
    }
  }
}

function info(col: CollectionState): CollectionInfo {
  const { name, dimension, metric, indexSpec, efSearch } = col.record;
  return {
    name,
    dimension,
    metric,
    indexSpec,
    ...(efSearch !== undefined && { efSearch }),
    pointCount: col.idToLabel.size,
    payloadIndexes: [...(col.record.payloadIndexes ?? [])],
  };
}

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * The next link of the applied-entry digest: SHA-256 over the previous digest,
 * the entry's index and payload, and the outcome (ok, or the refusal's code).
 * The outcome is in the chain so that replicas whose states differ, and so
 * answer the same entry differently, diverge in their digests at that entry.
 */
function nextDigest(
  previous: Uint8Array,
  index: number,
  data: Uint8Array,
  result: ApplyResult,
): Uint8Array {
  return createHash('sha256')
    .update(previous)
    .update(u64be(index))
    .update(data)
    .update(result.ok ? 'ok' : `refused:${result.code}`)
    .digest();
}

/** Adds the write of a collection's record (its delete, when the entry drops it) to its group. */
function addCollectionRecord(
  pending: GroupWrites,
  { name, record }: { name: string; record?: CollectionRecord },
): void {
  pending.rewrite(`C${name}`, () =>
    record === undefined
      ? { type: 'del', key: collectionKey(name) }
      : { type: 'put', key: collectionKey(name), value: json(record) },
  );
}

/** Adds the session table's changes (sessions written and evicted, its clock) to a group. */
function addSessionChanges(pending: GroupWrites, changes: SessionChanges): void {
  for (const clientId of changes.evict)
    pending.rewrite(`S${clientId}`, () => ({ type: 'del', key: sessionKey(clientId) }));
  for (const [clientId, record] of changes.put)
    pending.rewrite(`S${clientId}`, () => ({
      type: 'put',
      key: sessionKey(clientId),
      value: json(record),
    }));
  const { clockMs } = changes;
  pending.rewrite('MsessionClock', () => ({
    type: 'put',
    key: sessionClockKey(),
    value: u64be(clockMs),
  }));
}
