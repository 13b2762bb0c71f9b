/**
 * The records of the Raft log's segment files (raft-log-store.ts). One record is
 * what one `persist` wrote: entries, a hard state or both, kept or lost whole.
 *
 *   header, 12 bytes: u32 payload length, u32 CRC-32 of the payload,
 *                     u32 CRC-32 of the header's first 8 bytes
 *   payload:          u8 flags (bit 0: a hard state follows)
 *                     [u64 term, u64 commit, u16 vote length, vote (UTF-8)]
 *                     u32 entry count, then per entry:
 *                       u64 index, u64 term, u8 type, u32 data length, data
 *
 * Integers are big-endian. The header has a checksum of its own so that a damaged
 * length is told from a torn write, and a record is never trusted on its length alone.
 */
import { crc32 } from 'node:zlib';
import { decodeMembership } from '../membership.js';
import type { Entry, EntryType, HardState } from '../types.js';
import { corrupt } from './log-start.js';

export const RECORD_HEADER_BYTES = 12;
/** No record is larger: a header that claims more is damaged. */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

const HAS_HARD_STATE = 1;
const ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;
const MAX_VOTE_BYTES = 0xffff;
const ENTRY_TYPE_CODES: Record<EntryType, number> = { normal: 0, noop: 1, config: 2 };
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'noop', 'config'];

/** What one record holds. */
export interface WalRecord {
  entries: Entry[];
  hardState?: HardState;
}

function writeU64(buf: Buffer, value: number, at: number): number {
  buf.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
  buf.writeUInt32BE(value >>> 0, at + 4);
  return at + 8;
}

function readU64(buf: Buffer, at: number): number {
  const high = buf.readUInt32BE(at);
  // Above 2^53 the value would not be exact; no index or term gets there.
  if (high >= 0x20_0000) throw new RangeError(`a u64 at byte ${at} is beyond 2^53`);
  return high * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

/** Encodes one record, header included, as a single buffer to append. */
export function encodeRecord(entries: readonly Entry[], hardState: HardState | undefined): Buffer {
  const vote = hardState?.vote === undefined ? undefined : Buffer.from(hardState.vote, 'utf8');
  if (vote !== undefined && vote.length > MAX_VOTE_BYTES)
    throw new RangeError(`a vote for a node id of ${vote.length} bytes does not fit a record`);
  let bytes = 1 + (hardState === undefined ? 0 : 8 + 8 + 2 + (vote?.length ?? 0)) + 4;
  for (const entry of entries) bytes += ENTRY_HEADER_BYTES + entry.data.byteLength;
  if (bytes > MAX_RECORD_BYTES)
    throw new RangeError(`a record of ${bytes} bytes is over the ${MAX_RECORD_BYTES}-byte limit`);

  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bytes);
  let at = RECORD_HEADER_BYTES;
  record[at++] = hardState === undefined ? 0 : HAS_HARD_STATE;
  if (hardState !== undefined) {
    at = writeU64(record, hardState.term, at);
    at = writeU64(record, hardState.commit, at);
    at = record.writeUInt16BE(vote?.length ?? 0, at);
    if (vote !== undefined) at += vote.copy(record, at);
  }
  at = record.writeUInt32BE(entries.length, at);
  for (const entry of entries) {
    at = writeU64(record, entry.index, at);
    at = writeU64(record, entry.term, at);
    record[at++] = ENTRY_TYPE_CODES[entry.type];
    at = record.writeUInt32BE(entry.data.byteLength, at);
    record.set(entry.data, at);
    at += entry.data.byteLength;
  }
  record.writeUInt32BE(bytes, 0);
  record.writeUInt32BE(crc32(record.subarray(RECORD_HEADER_BYTES)), 4);
  record.writeUInt32BE(crc32(record.subarray(0, 8)), 8);
  return record;
}

/** The payload's length if a record with a sound header and payload starts at `at`. */
function soundRecordAt(buf: Buffer, at: number): number | undefined {
  if (at + RECORD_HEADER_BYTES > buf.length) return undefined;
  if (crc32(buf.subarray(at, at + 8)) !== buf.readUInt32BE(at + 8)) return undefined;
  const length = buf.readUInt32BE(at);
  const end = at + RECORD_HEADER_BYTES + length;
  if (length > MAX_RECORD_BYTES || end > buf.length) return undefined;
  if (crc32(buf.subarray(at + RECORD_HEADER_BYTES, end)) !== buf.readUInt32BE(at + 4))
    return undefined;
  return length;
}

/**
 * Decodes a payload whose checksum held. What fails here was written wrong (a bug,
 * or a newer raftvec), not damaged on disk: it is corruption, never skipped.
 */
function decodePayload(payload: Buffer, where: string): WalRecord {
  try {
    let at = 0;
    const flags = payload[at++]!;
    if ((flags & ~HAS_HARD_STATE) !== 0) throw new RangeError(`unknown flags ${flags}`);
    let hardState: HardState | undefined;
    if (flags & HAS_HARD_STATE) {
      const term = readU64(payload, at);
      const commit = readU64(payload, at + 8);
      const voteBytes = payload.readUInt16BE(at + 16);
      at += 18;
      if (at + voteBytes > payload.length) throw new RangeError('the vote runs past the record');
      const vote = voteBytes === 0 ? undefined : payload.toString('utf8', at, at + voteBytes);
      at += voteBytes;
      hardState = { term, vote, commit };
    }
    const count = payload.readUInt32BE(at);
    at += 4;
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const index = readU64(payload, at);
      const term = readU64(payload, at + 8);
      const type = ENTRY_TYPES[payload[at + 16]!];
      const length = payload.readUInt32BE(at + 17);
      at += ENTRY_HEADER_BYTES;
      if (type === undefined) throw new RangeError(`entry ${index} has unknown type`);
      if (at + length > payload.length) throw new RangeError(`entry ${index} runs past the record`);
      // A copy: an entry must not keep the whole segment file's buffer alive.
      const data = new Uint8Array(payload.subarray(at, at + length));
      at += length;
      if (type === 'config') {
        const membership = decodeMembership(data);
        if (!membership.ok) throw new RangeError(`config entry ${index}: ${membership.reason}`);
      }
      entries.push({ index, term, type, data });
    }
    if (at !== payload.length) throw new RangeError(`${payload.length - at} bytes left over`);
    return { entries, ...(hardState && { hardState }) };
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw corrupt(`${where} does not decode: ${err.message}`);
  }
}

/** The records of one segment file, and where its sound data ends. */
export interface ScannedSegment {
  records: WalRecord[];
  /** Bytes from the start that hold whole records; the rest (if any) is a torn write. */
  soundBytes: number;
}

/**
 * Reads the records of a segment file. A record that fails its checks is a torn
 * write (from a crash before its sync) only at the tail of the newest segment, with
 * no sound record anywhere after it: anything else is damage to synced data, and the
 * node must not start from it (it could have acknowledged what is lost).
 */
export function scanSegment(buf: Buffer, name: string, newest: boolean): ScannedSegment {
  const records: WalRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    const length = soundRecordAt(buf, at);
    if (length === undefined) {
      if (!newest) throw corrupt(`${name}: the record at byte ${at} fails its checksum`);
      for (let later = at + 1; later < buf.length; later++) {
        if (soundRecordAt(buf, later) !== undefined)
          throw corrupt(
            `${name}: the record at byte ${at} fails its checksum, and sound records follow it`,
          );
      }
      return { records, soundBytes: at };
    }
    const start = at + RECORD_HEADER_BYTES;
    records.push(decodePayload(buf.subarray(start, start + length), `${name} at byte ${at}`));
    at = start + length;
  }
  return { records, soundBytes: at };
}
