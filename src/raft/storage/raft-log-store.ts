import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeSynced } from '../../durable-files.js';
import type { Entry, HardState } from '../types.js';
import type { Membership } from '../membership.js';
import type { LogStorage, PersistedLog, SnapshotPoint } from '../runtime/ports.js';
import { readLevelRaftLog } from './level-raft-log.js';
import { corrupt, decodeLogStart, encodeLogStart, type LogStart } from './log-start.js';
import { encodeRecord, scanSegment } from './wal-record.js';

export { RaftLogCorruption } from './log-start.js';

/** A Raft log entry as the store sees it: opaque data at (index, term). */
export type LogEntryRecord = Entry;

export interface RaftLogStoreOptions {
  /** A new segment file is started once the current one holds this many bytes (64 MiB). */
  segmentBytes?: number;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const LOG_START_FILE = 'log-start';
const SEGMENT_NAME = /^wal-(\d{16})\.log$/;
/** The files of the LevelDB database the log was kept in before (level-raft-log.ts). */
const LEVELDB_FILE = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(log|ldb|sst))$/;
/** Records of at most this many bytes when a LevelDB log is migrated. */
const MIGRATION_RECORD_BYTES = 16 * 1024 * 1024;
const ZERO_HARD_STATE: HardState = { term: 0, vote: undefined, commit: 0 };

const segmentName = (seq: number): string => `wal-${String(seq).padStart(16, '0')}.log`;

interface Segment {
  seq: number;
  /** The highest entry index ever written to it (0: none): it may go once that is compacted. */
  maxIndex: number;
}

/**
 * The newest segment, open twice: an append that must be durable goes through
 * `synced` (O_DSYNC), so that writing and flushing it is one system call and one
 * trip to the thread pool instead of two.
 */
interface OpenSegment {
  plain: FileHandle;
  synced: FileHandle;
}

async function openSegment(path: string, create: boolean): Promise<OpenSegment> {
  const plain = await open(path, create ? 'wx' : 'r+');
  try {
    return { plain, synced: await open(path, constants.O_WRONLY | constants.O_DSYNC) };
  } catch (err) {
    await plain.close();
    throw err;
  }
}

async function closeSegment(segment: OpenSegment | undefined): Promise<void> {
  await segment?.plain.close();
  await segment?.synced.close();
}

/** Replaces `name` in `dir` with `bytes`, durably: either the old or the new file after a crash. */
async function writeFileDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  await writeSynced(tmp, bytes);
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

/**
 * The durable Raft log and hard state of one node (the LogStorage port; each
 * method's contract is in runtime/ports.ts), as etcd's WAL keeps them: append-only
 * segment files `wal-<seq>.log`, one checksummed record per `persist` (the entries
 * of a whole Ready and its hard state: group commit), written and synced in one
 * system call (O_DSYNC) before the runtime sends a message that promises them; a
 * commit-index-only change rides with the next record. Entries are checked before
 * they are written (they continue the log) and after they are read back (checksums,
 * no gaps, entries after the log start). Where the log starts (the
 * snapshot point and its configuration) is the small file `log-start`, replaced
 * whole. Compaction removes whole segment files; nothing is ever rewritten in place.
 *
 * Each segment starts with the full hard state, so the newest segment always holds
 * the current one however many older segments compaction removed.
 *
 * The process must be the only one using `dir`: the node's state store (LevelDB,
 * with its lock file) in the same data directory guards that.
 */
export class RaftLogStore implements LogStorage {
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  /** The newest segment, open for appending. */
  private file: OpenSegment | undefined;
  private fileBytes = 0;
  /** Bytes appended to the newest segment without a sync: a synced append must flush them too. */
  private unsynced = false;
  private hardState: HardState = ZERO_HARD_STATE;
  /** `hardState` is newer than any written (a commit-index-only change, see `persist`). */
  private hardStateUnwritten = false;
  private lastIndex = 0;
  private start: LogStart = { firstSegment: 1 };
  /** Every change runs in turn (compaction comes from the snapshot task, beside persists). */
  private queue: Promise<unknown> = Promise.resolve();
  /** A write failed part-way: the file's tail is unknown until `load` repairs it. */
  private failure: Error | undefined;

  private constructor(
    private readonly dir: string,
    options: RaftLogStoreOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  }

  /** Opens (or creates) the log in `dir`; `load` reads it. */
  static async open(dir: string, options: RaftLogStoreOptions = {}): Promise<RaftLogStore> {
    await mkdir(dir, { recursive: true });
    return new RaftLogStore(dir, options);
  }

  /** Reads the log at `dir` (migrating it first if it is still in LevelDB) and closes it. */
  static async read(dir: string): Promise<PersistedLog> {
    const store = await RaftLogStore.open(dir);
    try {
      return await store.load();
    } finally {
      await store.close();
    }
  }

  async load(): Promise<PersistedLog> {
    const names = await readdir(this.dir);
    if (!names.some((n) => SEGMENT_NAME.test(n)) && names.includes('CURRENT'))
      await this.migrateFromLevelDB();
    await this.removeLevelDBFiles(await readdir(this.dir));

    this.start = await this.readLogStart();
    const seqs = (await readdir(this.dir))
      .map((n) => SEGMENT_NAME.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    // Segments before the first one are what a reset left behind.
    for (const seq of seqs.filter((s) => s < this.start.firstSegment))
      await unlink(join(this.dir, segmentName(seq)));
    const live = seqs.filter((s) => s >= this.start.firstSegment);
    for (let i = 1; i < live.length; i++) {
      if (live[i] !== live[i - 1]! + 1)
        throw corrupt(`segment ${segmentName(live[i - 1]! + 1)} is missing`);
    }
    if (live.length === 0) return this.loadEmpty();

    const after = this.start.snapshot?.index ?? 0;
    const entries: Entry[] = [];
    let hardState = ZERO_HARD_STATE;
    for (const [i, seq] of live.entries()) {
      const name = segmentName(seq);
      const newest = i === live.length - 1;
      const bytes = await readFile(join(this.dir, name));
      const scanned = scanSegment(bytes, name, newest);
      let maxIndex = 0;
      for (const record of scanned.records) {
        hardState = record.hardState ?? hardState;
        for (const entry of record.entries) {
          maxIndex = Math.max(maxIndex, entry.index);
          this.replay(entries, after, entry, name);
        }
      }
      this.segments.push({ seq, maxIndex });
      if (newest) {
        this.file = await openSegment(join(this.dir, name), false);
        if (scanned.soundBytes < bytes.length) {
          // A torn write from a crash before its sync: nothing in it was acknowledged.
          await this.file.plain.truncate(scanned.soundBytes);
          await this.file.plain.sync();
        }
        this.fileBytes = scanned.soundBytes;
      }
    }
    this.hardState = hardState;
    // A crash right after a segment was created can leave it empty (see beginSegment).
    if (this.fileBytes === 0) await this.append(encodeRecord([], hardState), true);
    this.lastIndex = entries.at(-1)?.index ?? after;
    return this.persistedLog(hardState, entries);
  }

  /**
   * Adds `entry` to the entries read so far, as `persist` wrote it: an entry at or
   * below the last one replaces it and everything after (a conflict, §5.3).
   */
  private replay(entries: Entry[], after: number, entry: Entry, where: string): void {
    if (entry.index <= after) return; // compacted: its segment outlived the snapshot point
    const last = entries.at(-1)?.index ?? after;
    if (entry.index > last + 1)
      throw corrupt(`${where}: entry ${entry.index} follows entry ${last}, expected ${last + 1}`);
    entries.length = entry.index - after - 1;
    entries.push(entry);
  }

  private async loadEmpty(): Promise<PersistedLog> {
    this.hardState = ZERO_HARD_STATE;
    await this.beginSegment(this.start.firstSegment);
    this.lastIndex = this.start.snapshot?.index ?? 0;
    return this.persistedLog(ZERO_HARD_STATE, []);
  }

  /**
   * Creates segment `seq` as the newest, its first record the whole hard state,
   * synced: compaction may then remove every older segment without losing it.
   */
  private async beginSegment(seq: number): Promise<void> {
    this.file = await openSegment(join(this.dir, segmentName(seq)), true);
    await syncDir(this.dir);
    this.segments.push({ seq, maxIndex: 0 });
    this.fileBytes = 0;
    this.unsynced = false;
    await this.append(encodeRecord([], this.hardState), true);
    this.hardStateUnwritten = false;
  }

  private persistedLog(hardState: HardState, entries: Entry[]): PersistedLog {
    const { snapshot, membership, membershipFrom } = this.start;
    return {
      hardState,
      entries,
      ...(snapshot && { snapshot }),
      ...(membership && { membership }),
      ...(membershipFrom !== undefined && { membershipFrom }),
    };
  }

  private async readLogStart(): Promise<LogStart> {
    let sealed: Buffer;
    try {
      sealed = await readFile(join(this.dir, LOG_START_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { firstSegment: 1 };
      throw err;
    }
    return decodeLogStart(sealed);
  }

  private async writeLogStart(start: LogStart): Promise<void> {
    const point = start.snapshot ?? { index: 0, term: 0 };
    await writeFileDurably(
      this.dir,
      LOG_START_FILE,
      encodeLogStart(
        { ...point, ...(start.membership && { membership: start.membership }) },
        start.membershipFrom ?? 0,
        start.firstSegment,
      ),
    );
    this.start = start;
  }

  persist(entries: readonly Entry[], hardState?: HardState, sync = true): Promise<void> {
    if (entries.length === 0 && hardState === undefined) return Promise.resolve();
    return this.enqueue(async () => {
      if (entries.length === 0 && !sync) {
        // A commit-index-only change: written with the next record (or at close), not
        // now. The port allows losing it in a crash (the leader tells it again, and a
        // restart takes the commit index from the applied index too), and not writing
        // it keeps a trip to the disk off the commit path.
        this.hardState = hardState!;
        this.hardStateUnwritten = true;
        return;
      }
      this.checkAppend(entries);
      if (this.fileBytes >= this.segmentBytes) await this.startSegment();
      const state = hardState ?? (this.hardStateUnwritten ? this.hardState : undefined);
      await this.append(encodeRecord(entries, state), sync);
      if (hardState !== undefined) this.hardState = hardState;
      if (state !== undefined) this.hardStateUnwritten = false;
      const last = entries.at(-1);
      if (last !== undefined) {
        this.lastIndex = last.index;
        const segment = this.segments.at(-1)!;
        segment.maxIndex = Math.max(segment.maxIndex, last.index);
      }
    });
  }

  /** The entries must continue the log (or replace a suffix of it) without a gap. */
  private checkAppend(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = this.start.snapshot?.index ?? 0;
    if (first.index <= after || first.index > this.lastIndex + 1)
      throw new RangeError(
        `entries from ${first.index} do not fit a log holding (${after}, ${this.lastIndex}]`,
      );
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== first.index + i)
        throw new RangeError(`entries to persist skip from ${first.index + i - 1}`);
    }
  }

  /** Appends one record to the newest segment, synced if asked. */
  private async append(record: Buffer, sync: boolean): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const file = this.file;
    if (file === undefined) throw new Error('the Raft log was not loaded');
    try {
      const through = sync && !this.unsynced ? file.synced : file.plain;
      const { bytesWritten } = await through.write(record, 0, record.length, this.fileBytes);
      if (bytesWritten !== record.length)
        throw new Error(`wrote ${bytesWritten} of ${record.length} bytes`);
      if (sync && through === file.plain) await file.plain.datasync();
      this.unsynced = !sync;
    } catch (err) {
      // The tail may hold part of the record: no later record may follow it.
      this.failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
    this.fileBytes += record.length;
  }

  /** Closes the newest segment (synced: a later one may not outlive it) and starts the next. */
  private async startSegment(): Promise<void> {
    const previous = this.file!;
    await previous.plain.datasync();
    await closeSegment(previous);
    await this.beginSegment(this.segments.at(-1)!.seq + 1);
  }

  compact(point: SnapshotPoint): Promise<void> {
    return this.enqueue(async () => {
      const { membership, ...position } = point;
      await this.writeLogStart({
        firstSegment: this.start.firstSegment,
        snapshot: position,
        ...(membership && { membership }),
      });
      // Whole segments whose every entry is covered go, oldest first and one sync each,
      // so a crash cannot bring back an older one with a gap after it; never the newest.
      while (this.segments.length > 1 && this.segments[0]!.maxIndex <= point.index) {
        await unlink(join(this.dir, segmentName(this.segments[0]!.seq)));
        await syncDir(this.dir);
        this.segments.shift();
      }
      this.lastIndex = Math.max(this.lastIndex, point.index);
    });
  }

  resetTo(point: SnapshotPoint): Promise<void> {
    return this.enqueue(async () => {
      const old = this.segments;
      await closeSegment(this.file);
      // A new segment holding the hard state, then the log start that names it first:
      // until that is durable a crash leaves the old log whole.
      const seq = old.at(-1)!.seq + 1;
      this.segments = [];
      await this.beginSegment(seq);
      const { membership, ...position } = point;
      await this.writeLogStart({
        firstSegment: seq,
        snapshot: position,
        ...(membership && { membership }),
      });
      for (const segment of old) await unlink(join(this.dir, segmentName(segment.seq)));
      this.lastIndex = point.index;
    });
  }

  recordMembership(membership: Membership, knownFrom = 0): Promise<void> {
    return this.enqueue(() =>
      this.writeLogStart({
        firstSegment: this.start.firstSegment,
        ...(this.start.snapshot && { snapshot: this.start.snapshot }),
        membership,
        ...(knownFrom > (this.start.snapshot?.index ?? 0) && { membershipFrom: knownFrom }),
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.hardStateUnwritten && this.file !== undefined && this.failure === undefined)
      await this.append(encodeRecord([], this.hardState), true);
    await closeSegment(this.file);
    this.file = undefined;
  }

  private enqueue(change: () => Promise<void>): Promise<void> {
    const done = this.queue.then(change);
    this.queue = done.catch(() => undefined);
    return done;
  }

  /**
   * Rewrites a log kept in LevelDB (before the segment files) as segment files: the
   * segment is written under another name and renamed into place last, so a crash
   * before that leaves the LevelDB log to migrate again.
   */
  private async migrateFromLevelDB(): Promise<void> {
    const legacy = await readLevelRaftLog(this.dir);
    const seq = 1;
    if (legacy.snapshot !== undefined || legacy.membership !== undefined) {
      await this.writeLogStart({
        firstSegment: seq,
        ...(legacy.snapshot && { snapshot: legacy.snapshot }),
        ...(legacy.membership && { membership: legacy.membership }),
        ...(legacy.membershipFrom !== undefined && { membershipFrom: legacy.membershipFrom }),
      });
    }
    const records: Buffer[] = [];
    let chunk: Entry[] = [];
    let chunkBytes = 0;
    for (const entry of legacy.entries) {
      chunk.push(entry);
      chunkBytes += entry.data.byteLength;
      if (chunkBytes >= MIGRATION_RECORD_BYTES) {
        records.push(encodeRecord(chunk, records.length === 0 ? legacy.hardState : undefined));
        chunk = [];
        chunkBytes = 0;
      }
    }
    records.push(encodeRecord(chunk, records.length === 0 ? legacy.hardState : undefined));
    const tmp = join(this.dir, `${segmentName(seq)}.tmp`);
    const handle = await open(tmp, 'w');
    try {
      for (const record of records) await handle.write(record);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, join(this.dir, segmentName(seq)));
    await syncDir(this.dir);
  }

  /** LevelDB's files, once the segment files hold the log (also after a crash mid-way). */
  private async removeLevelDBFiles(names: readonly string[]): Promise<void> {
    const leftovers = names.filter((n) => LEVELDB_FILE.test(n));
    if (leftovers.length === 0 || !names.some((n) => SEGMENT_NAME.test(n))) return;
    // CURRENT first: without it the directory is no longer a LevelDB database.
    leftovers.sort((a, b) => (a === 'CURRENT' ? -1 : b === 'CURRENT' ? 1 : 0));
    for (const name of leftovers) await unlink(join(this.dir, name));
    await syncDir(this.dir);
  }
}
