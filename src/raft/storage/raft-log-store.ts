import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { Level } from 'level';
import protobuf from 'protobufjs';
import { protoDir } from '../../package-root.js';
import type { Entry, EntryType, HardState } from '../types.js';
import { decodeMembership, encodeMembership, type Membership } from '../membership.js';
import type { LogStorage, PersistedLog, SnapshotPoint } from '../runtime/ports.js';

/** A Raft log entry as the store sees it: opaque data at (index, term). */
export type LogEntryRecord = Entry;

const HARD_STATE_KEY = Buffer.from('h');
const SNAPSHOT_POINT_KEY = Buffer.from('s');
const ENTRY_PREFIX = 0x65; // 'e', followed by the index as a big-endian uint64 so keys sort by index

function entryKey(index: number): Buffer {
  const key = Buffer.alloc(9);
  key[0] = ENTRY_PREFIX;
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

const schema = protobuf.loadSync(join(protoDir(), 'raftvec/v1/raft_storage.proto'));
const LogEntryMessage = schema.lookupType('raftvec.v1.LogEntry');
const HardStateMessage = schema.lookupType('raftvec.v1.HardState');
const SnapshotPointMessage = schema.lookupType('raftvec.v1.SnapshotPoint');
const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 0, noop: 1, config: 2 };
const ENTRY_TYPES = new Map<number, EntryType>(
  Object.entries(ENTRY_TYPE_CODES).map(([type, code]) => [code, type as EntryType]),
);

/** CRC-32 of the payload, then the payload: a torn or flipped byte is caught on read. */
function seal(payload: Uint8Array): Buffer {
  const sealed = Buffer.alloc(4 + payload.length);
  sealed.writeUInt32BE(crc32(payload), 0);
  sealed.set(payload, 4);
  return sealed;
}

function unseal(sealed: Uint8Array, what: string): Uint8Array {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < 4) throw corrupt(`${what} is truncated (${buf.length} bytes)`);
  const payload = buf.subarray(4);
  if (buf.readUInt32BE(0) !== crc32(payload)) throw corrupt(`${what} fails its checksum`);
  return payload;
}

/** The log on disk fails a check: the node must not start from it. */
export class RaftLogCorruption extends Error {
  constructor(message: string) {
    super(`raft log corrupted on disk: ${message}`);
    this.name = 'RaftLogCorruption';
  }
}

const corrupt = (message: string): RaftLogCorruption => new RaftLogCorruption(message);

function encodeSnapshotPoint(point: SnapshotPoint, membershipFrom = 0): Buffer {
  return seal(
    SnapshotPointMessage.encode(
      SnapshotPointMessage.create({
        index: point.index,
        term: point.term,
        membershipFrom,
        membership:
          point.membership === undefined ? new Uint8Array(0) : encodeMembership(point.membership),
      }),
    ).finish(),
  );
}

export function encodeEntry(entry: LogEntryRecord): Buffer {
  const message = LogEntryMessage.create({
    index: entry.index,
    term: entry.term,
    type: ENTRY_TYPE_CODES[entry.type],
    data: entry.data,
  });
  return seal(LogEntryMessage.encode(message).finish());
}

export function decodeEntry(sealed: Uint8Array): LogEntryRecord {
  const decoded = LogEntryMessage.toObject(LogEntryMessage.decode(unseal(sealed, 'a log entry')), {
    longs: Number,
    defaults: true,
  }) as { index: number; term: number; type: number; data: Uint8Array };
  const type = ENTRY_TYPES.get(decoded.type);
  if (type === undefined)
    throw corrupt(`entry ${decoded.index} has unknown type ${decoded.type} (a newer raftvec?)`);
  const data = new Uint8Array(decoded.data);
  if (type === 'config') {
    const membership = decodeMembership(data);
    if (!membership.ok)
      throw corrupt(`config entry ${decoded.index} is invalid: ${membership.reason}`);
  }
  return { index: decoded.index, term: decoded.term, type, data };
}

/**
 * The durable Raft log and hard state of one node, in LevelDB (the LogStorage port,
 * see runtime/ports.ts for each method's contract). Every write is one batch: the
 * entries of a whole Ready plus its hard state go to disk together (group commit),
 * synced before the runtime sends a message that promises them or acknowledges.
 * Every value carries a CRC-32, checked when it is read back.
 */
export class RaftLogStore implements LogStorage {
  private lastIndex = 0;
  /** The first stored entry's index (lastIndex + 1 when none is stored). */
  private firstStored = 1;
  /** Where the log starts (0, 0 when it was never compacted). */
  private start: SnapshotPoint = { index: 0, term: 0 };

  private constructor(private readonly db: Level<Buffer, Buffer>) {}

  /** Opens (or creates) the log in `dir`; `load` reads it. */
  static async open(dir: string): Promise<RaftLogStore> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new RaftLogStore(db);
  }

  async load(): Promise<PersistedLog> {
    const hardState = await RaftLogStore.readHardState(this.db);
    const start = await RaftLogStore.readLogStart(this.db);
    const snapshot = start.snapshot;
    const entries: Entry[] = [];
    for await (const [key, value] of this.db.iterator({
      gt: entryKey(0),
      lte: entryKey(Number.MAX_SAFE_INTEGER),
    })) {
      const entry = decodeEntry(value);
      const keyIndex = Number(key.readBigUInt64BE(1));
      // The first entry follows the snapshot point (or is entry 1); then no gaps.
      const expected = (entries.at(-1)?.index ?? snapshot?.index ?? 0) + 1;
      if (entry.index !== keyIndex || entry.index !== expected) {
        throw corrupt(
          `entry stored under index ${keyIndex} claims index ${entry.index}, expected ${expected}`,
        );
      }
      entries.push(entry);
    }
    this.lastIndex = entries.at(-1)?.index ?? snapshot?.index ?? 0;
    this.start = { index: snapshot?.index ?? 0, term: snapshot?.term ?? 0 };
    this.firstStored = entries[0]?.index ?? this.lastIndex + 1;
    return {
      hardState,
      entries,
      ...(snapshot && { snapshot }),
      ...(start.membership && { membership: start.membership }),
      ...(start.membershipFrom !== undefined && { membershipFrom: start.membershipFrom }),
    };
  }

  async compact(point: SnapshotPoint): Promise<void> {
    const batch = this.db.batch();
    const upTo = Math.min(point.index, this.lastIndex);
    for (let index = this.firstStored; index <= upTo; index++) batch.del(entryKey(index));
    batch.put(SNAPSHOT_POINT_KEY, encodeSnapshotPoint(point));
    await batch.write({ sync: false });
    this.firstStored = Math.max(this.firstStored, upTo + 1);
    this.start = { index: point.index, term: point.term };
  }

  async recordMembership(membership: Membership, knownFrom = 0): Promise<void> {
    await this.db.put(
      SNAPSHOT_POINT_KEY,
      encodeSnapshotPoint({ ...this.start, membership }, knownFrom),
      { sync: true },
    );
  }

  async resetTo(point: SnapshotPoint): Promise<void> {
    const batch = this.db.batch();
    for (let index = this.firstStored; index <= this.lastIndex; index++) batch.del(entryKey(index));
    batch.put(SNAPSHOT_POINT_KEY, encodeSnapshotPoint(point));
    await batch.write({ sync: true });
    this.lastIndex = point.index;
    this.firstStored = point.index + 1;
    this.start = { index: point.index, term: point.term };
  }

  /** Where the stored log starts (a snapshot point at index >= 1) and the configuration there. */
  private static async readLogStart(
    db: Level<Buffer, Buffer>,
  ): Promise<{ snapshot?: SnapshotPoint; membership?: Membership; membershipFrom?: number }> {
    const sealed = await db.get(SNAPSHOT_POINT_KEY);
    if (sealed === undefined) return {};
    const decoded = SnapshotPointMessage.toObject(
      SnapshotPointMessage.decode(unseal(sealed, 'the snapshot point')),
      { longs: Number, defaults: true },
    ) as { index: number; term: number; membership: Uint8Array; membershipFrom: number };
    let membership: Membership | undefined;
    if (decoded.membership.byteLength > 0) {
      const m = decodeMembership(new Uint8Array(decoded.membership));
      if (!m.ok) throw corrupt(`the configuration stored with the log start: ${m.reason}`);
      membership = m.membership;
    }
    if (!Number.isSafeInteger(decoded.membershipFrom))
      throw corrupt(`the configuration's index ${decoded.membershipFrom} is not an index`);
    const from =
      decoded.membershipFrom > decoded.index ? { membershipFrom: decoded.membershipFrom } : {};
    const bootstrap = decoded.index === 0 && decoded.term === 0 && membership !== undefined;
    if (bootstrap) return { membership, ...from };
    if (!Number.isSafeInteger(decoded.index) || decoded.index < 1 || decoded.term < 1)
      throw corrupt(`snapshot point (${decoded.index}, ${decoded.term}) is not a log position`);
    return {
      snapshot: { index: decoded.index, term: decoded.term },
      ...(membership && { membership, ...from }),
    };
  }

  /**
   * The index of the first entry stored in the log at `dir`, or undefined when it
   * holds none (or does not exist). Cheap: reads one key.
   */
  static async firstIndex(dir: string): Promise<number | undefined> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      for await (const key of db.keys({
        gt: entryKey(0),
        lte: entryKey(Number.MAX_SAFE_INTEGER),
        limit: 1,
      }))
        return Number(key.readBigUInt64BE(1));
      return undefined;
    } finally {
      await db.close();
    }
  }

  /** Where the log at `dir` starts, if it was compacted or reset to a snapshot. */
  static async snapshotPoint(dir: string): Promise<SnapshotPoint | undefined> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      return (await RaftLogStore.readLogStart(db)).snapshot;
    } finally {
      await db.close();
    }
  }

  private static async readHardState(db: Level<Buffer, Buffer>): Promise<HardState> {
    const sealed = await db.get(HARD_STATE_KEY);
    if (sealed === undefined) return { term: 0, vote: undefined, commit: 0 };
    const decoded = HardStateMessage.toObject(
      HardStateMessage.decode(unseal(sealed, 'the hard state')),
      {
        longs: Number,
        defaults: true,
      },
    ) as { term: number; vote: string; commit: number };
    return {
      term: decoded.term,
      vote: decoded.vote === '' ? undefined : decoded.vote,
      commit: decoded.commit,
    };
  }

  /**
   * Appends `entries` (truncating any stored suffix from the first new index, which the
   * Raft core only asks for at a real conflict) and records `hardState`, in one batch,
   * synced unless `sync` is false (the core allows that for a commit-only change: a lost
   * commit index is learned again from the leader).
   */
  async persist(entries: readonly Entry[], hardState?: HardState, sync = true): Promise<void> {
    if (entries.length === 0 && hardState === undefined) return;
    const batch = this.db.batch();
    const first = entries[0];
    if (first !== undefined) {
      for (let index = first.index; index <= this.lastIndex; index++) batch.del(entryKey(index));
      for (const entry of entries) batch.put(entryKey(entry.index), encodeEntry(entry));
    }
    if (hardState !== undefined) {
      const message = HardStateMessage.create({
        term: hardState.term,
        vote: hardState.vote ?? '',
        commit: hardState.commit,
      });
      batch.put(HARD_STATE_KEY, seal(HardStateMessage.encode(message).finish()));
    }
    await batch.write({ sync });
    const last = entries.at(-1);
    if (last !== undefined) {
      this.lastIndex = last.index;
      this.firstStored = Math.min(this.firstStored, first!.index);
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
