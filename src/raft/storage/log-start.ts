import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { protoDir } from '../../package-root.js';
import { decodeMembership, encodeMembership, type Membership } from '../membership.js';
import type { SnapshotPoint } from '../runtime/ports.js';

/** The log on disk fails a check: the node must not start from it. */
export class RaftLogCorruption extends Error {
  constructor(message: string) {
    super(`raft log corrupted on disk: ${message}`);
    this.name = 'RaftLogCorruption';
  }
}

export const corrupt = (message: string): RaftLogCorruption => new RaftLogCorruption(message);

/** CRC-32 of the payload, then the payload: a torn or flipped byte is caught on read. */
export function seal(payload: Uint8Array): Buffer {
  const sealed = Buffer.alloc(4 + payload.length);
  sealed.writeUInt32BE(crc32(payload), 0);
  sealed.set(payload, 4);
  return sealed;
}

export function unseal(sealed: Uint8Array, what: string): Uint8Array {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < 4) throw corrupt(`${what} is truncated (${buf.length} bytes)`);
  const payload = buf.subarray(4);
  if (buf.readUInt32BE(0) !== crc32(payload)) throw corrupt(`${what} fails its checksum`);
  return payload;
}

export const storageSchema = protobuf.loadSync(join(protoDir(), 'raftvec/v1/raft_storage.proto'));
const SnapshotPointMessage = storageSchema.lookupType('raftvec.v1.SnapshotPoint');

/** Where the stored log starts, and the configuration in force there. */
export interface LogStart {
  /** Absent: the log was never compacted and starts at entry 1. */
  snapshot?: SnapshotPoint;
  membership?: Membership;
  /** From which index `membership` is known to be in force, when after the start. */
  membershipFrom?: number;
  /** The first segment file that belongs to the log (segment-file format only). */
  firstSegment: number;
}

export function encodeLogStart(point: SnapshotPoint, membershipFrom = 0, firstSegment = 0): Buffer {
  return seal(
    SnapshotPointMessage.encode(
      SnapshotPointMessage.create({
        index: point.index,
        term: point.term,
        membershipFrom,
        firstSegment,
        membership:
          point.membership === undefined ? new Uint8Array(0) : encodeMembership(point.membership),
      }),
    ).finish(),
  );
}

/** Decodes and checks a stored log start (`encodeLogStart`); throws RaftLogCorruption. */
export function decodeLogStart(sealed: Uint8Array): LogStart {
  const decoded = SnapshotPointMessage.toObject(
    SnapshotPointMessage.decode(unseal(sealed, 'the log start')),
    { longs: Number, defaults: true },
  ) as {
    index: number;
    term: number;
    membership: Uint8Array;
    membershipFrom: number;
    firstSegment: number;
  };
  for (const [field, value] of [
    ['index', decoded.index],
    ['term', decoded.term],
    ['configuration index', decoded.membershipFrom],
    ['first segment', decoded.firstSegment],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw corrupt(`the log start's ${field} ${value} is out of range`);
  }
  let membership: Membership | undefined;
  if (decoded.membership.byteLength > 0) {
    const m = decodeMembership(new Uint8Array(decoded.membership));
    if (!m.ok) throw corrupt(`the configuration stored with the log start: ${m.reason}`);
    membership = m.membership;
  }
  const firstSegment = decoded.firstSegment;
  const from =
    decoded.membershipFrom > decoded.index ? { membershipFrom: decoded.membershipFrom } : {};
  // Index 0 with a configuration: the one a node started from, before any entry.
  if (decoded.index === 0 && decoded.term === 0)
    return { firstSegment, ...(membership && { membership, ...from }) };
  if (decoded.index < 1 || decoded.term < 1)
    throw corrupt(`snapshot point (${decoded.index}, ${decoded.term}) is not a log position`);
  return {
    firstSegment,
    snapshot: { index: decoded.index, term: decoded.term },
    ...(membership && { membership, ...from }),
  };
}
