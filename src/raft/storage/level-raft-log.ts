import { Level } from 'level';
import type { Entry, EntryType, HardState } from '../types.js';
import { decodeMembership } from '../membership.js';
import type { PersistedLog } from '../runtime/ports.js';
import { corrupt, decodeLogStart, storageSchema, unseal, type LogStart } from './log-start.js';

/** Where the old format kept the hard state (exported for bench/raft-log.ts, which writes it). */
export const HARD_STATE_KEY = Buffer.from('h');
const SNAPSHOT_POINT_KEY = Buffer.from('s');
const ENTRY_PREFIX = 0x65; // 'e', followed by the index as a big-endian uint64 so keys sort by index

/** Where the old format kept the entry at `index`. */
export function entryKey(index: number): Buffer {
  const key = Buffer.alloc(9);
  key[0] = ENTRY_PREFIX;
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

const LogEntryMessage = storageSchema.lookupType('raftvec.v1.LogEntry');
const HardStateMessage = storageSchema.lookupType('raftvec.v1.HardState');
const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 0, noop: 1, config: 2 };
const ENTRY_TYPES = new Map<number, EntryType>(
  Object.entries(ENTRY_TYPE_CODES).map(([type, code]) => [code, type as EntryType]),
);

function decodeEntry(sealed: Uint8Array): Entry {
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
 * Reads a Raft log in the format raftvec kept before the segment-file log
 * (raft-log-store.ts): one LevelDB database with the hard state under 'h', the log
 * start under 's' and each entry under 'e' + its index. Every value carries a
 * CRC-32, checked here. Only the migration to the new format reads it.
 */
export async function readLevelRaftLog(dir: string): Promise<PersistedLog> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    const hardState = await readHardState(db);
    const start = await readLogStart(db);
    const snapshot = start?.snapshot;
    const entries: Entry[] = [];
    for await (const [key, value] of db.iterator({
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
    return {
      hardState,
      entries,
      ...(snapshot && { snapshot }),
      ...(start?.membership && { membership: start.membership }),
      ...(start?.membershipFrom !== undefined && { membershipFrom: start.membershipFrom }),
    };
  } finally {
    await db.close();
  }
}

async function readLogStart(db: Level<Buffer, Buffer>): Promise<LogStart | undefined> {
  const sealed = await db.get(SNAPSHOT_POINT_KEY);
  return sealed === undefined ? undefined : decodeLogStart(sealed);
}

async function readHardState(db: Level<Buffer, Buffer>): Promise<HardState> {
  const sealed = await db.get(HARD_STATE_KEY);
  if (sealed === undefined) return { term: 0, vote: undefined, commit: 0 };
  const decoded = HardStateMessage.toObject(
    HardStateMessage.decode(unseal(sealed, 'the hard state')),
    { longs: Number, defaults: true },
  ) as { term: number; vote: string; commit: number };
  return {
    term: decoded.term,
    vote: decoded.vote === '' ? undefined : decoded.vote,
    commit: decoded.commit,
  };
}
