/**
 * The LevelDB key layout of the vector state machine. Keys are raw bytes; the
 * first byte is an ASCII tag saying what the key holds:
 *
 * | key                                   | value                                                     |
 * |---------------------------------------|-----------------------------------------------------------|
 * | `M` `appliedIndex`                    | uint64 BE: the last applied Raft log index                |
 * | `M` `format`                          | uint64 BE: layout version ({@link FORMAT_VERSION})        |
 * | `M` `digest`                          | 32 bytes: SHA-256 chain over every applied entry          |
 * | `M` `sessionClock`                    | uint64 BE: the session table's clock (leader time, ms)    |
 * | `S` clientId (UTF-8)                  | JSON {@link SessionRecord}: last sequence + its result    |
 * | `C` name (UTF-8)                      | JSON {@link CollectionRecord}: spec, uid, next label      |
 * | `D` uid (uint64 BE)                   | empty: a dropped collection whose data is being cleared   |
 * | `P` uid (uint64 BE) id (UTF-8)        | point record: label uint64 BE, vector f32 LE, metadata JSON |
 * | `L` uid (uint64 BE) label (uint64 BE) | id (UTF-8): the label → id map                            |
 *
 * Every value is stored sealed: CRC-32 of key and value, then the value
 * (checked-store.ts); the table shows the value inside the seal.
 *
 * A collection's data is keyed by its *uid* — the log index of the entry that
 * created it — never by its name, so dropping a collection only deletes its `C`
 * key (plus a `D` tombstone for the lazy clean-up of its data), and a collection
 * re-created under the same name starts from an empty key range.
 *
 * `P` keys of one collection sort by the byte order of the UTF-8 id, which is
 * the order of `scroll`.
 */

import { readF32LEInto, writeF32LE } from '../f32.js';
import { slabBytes, slabUtf8 } from './byte-slab.js';

/**
 * Version 2: every value carries a checksum (see checked-store.ts), and the
 * applied-entry digest and the session clock live under `M`.
 */
export const FORMAT_VERSION = 2;

const TAG_META = 0x4d; // 'M'
const TAG_SESSION = 0x53; // 'S'
const TAG_COLLECTION = 0x43; // 'C'
const TAG_DROPPED = 0x44; // 'D'
const TAG_POINT = 0x50; // 'P'
const TAG_LABEL = 0x4c; // 'L'

/**
 * Whether `key` is one that most entries write again (the applied index, digest and
 * session clock, a client's session, a collection's record), as opposed to a point's
 * or a label's: an apply group keeps only the last write of these (group-writes.ts).
 */
export function rewrittenOften(key: Uint8Array): boolean {
  const tag = key[0];
  return tag === TAG_META || tag === TAG_SESSION || tag === TAG_COLLECTION;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function tagged(tag: number, rest: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + rest.length);
  key[0] = tag;
  key.set(rest, 1);
  return key;
}

export function u64be(value: number): Uint8Array {
  const out = new Uint8Array(8);
  writeU64be(out, 0, value);
  return out;
}

/** Writes `value` as 8 big-endian bytes into `out` at `offset` (keys are built in place). */
export function writeU64be(out: Uint8Array, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${value} is not an unsigned integer below 2^53`);
  // Two 32-bit halves: no BigInt on this path (every record key and label uses it).
  const high = Math.floor(value / 0x100000000);
  const low = value - high * 0x100000000;
  out[offset] = high >>> 24;
  out[offset + 1] = (high >>> 16) & 0xff;
  out[offset + 2] = (high >>> 8) & 0xff;
  out[offset + 3] = high & 0xff;
  out[offset + 4] = low >>> 24;
  out[offset + 5] = (low >>> 16) & 0xff;
  out[offset + 6] = (low >>> 8) & 0xff;
  out[offset + 7] = low & 0xff;
}

export function readU64be(bytes: Uint8Array, offset = 0): number {
  if (offset + 8 > bytes.length)
    throw new RangeError(`need 8 bytes at offset ${offset}, have ${bytes.length - offset}`);
  // Two 32-bit halves: no BigInt on this path (every point record's label is read with it).
  const high =
    bytes[offset]! * 0x1000000 +
    ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
  const low =
    bytes[offset + 4]! * 0x1000000 +
    ((bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!);
  if (high > 0x1fffff) throw new RangeError(`uint64 at offset ${offset} exceeds 2^53`);
  return high * 0x100000000 + low;
}

/** A metadata key: encoded once, each caller given its own copy (written per entry). */
function metaKey(name: string): () => Uint8Array {
  const key = tagged(TAG_META, utf8.encode(name));
  return () => key.slice();
}

export const appliedIndexKey = metaKey('appliedIndex');
export const formatKey = metaKey('format');
export const digestKey = metaKey('digest');
export const sessionClockKey = metaKey('sessionClock');

/** A key of `tag` then UTF-8 `text`, in slab bytes: one is built per entry applied. */
function taggedText(tag: number, text: string): Uint8Array {
  const key = slabUtf8(text, 1);
  key[0] = tag;
  return key;
}

export const sessionKey = (clientId: string): Uint8Array => taggedText(TAG_SESSION, clientId);

export const sessionRange = (): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: Uint8Array.of(TAG_SESSION),
  lt: Uint8Array.of(TAG_SESSION + 1),
});
export const clientIdOfSessionKey = (key: Uint8Array): string =>
  utf8Decoder.decode(key.subarray(1));

export const collectionKey = (name: string): Uint8Array => taggedText(TAG_COLLECTION, name);
export const collectionRange = (): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: Uint8Array.of(TAG_COLLECTION),
  lt: Uint8Array.of(TAG_COLLECTION + 1),
});

export const droppedKey = (uid: number): Uint8Array => tagged(TAG_DROPPED, u64be(uid));
export const droppedRange = (): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: Uint8Array.of(TAG_DROPPED),
  lt: Uint8Array.of(TAG_DROPPED + 1),
});
export const uidOfDroppedKey = (key: Uint8Array): number => readU64be(key, 1);

function uidPrefix(tag: number, uid: number): Uint8Array {
  return tagged(tag, u64be(uid));
}

export function pointKey(uid: number, id: string): Uint8Array {
  // Written in place, in slab bytes (an encoder would allocate once more per id).
  const key = slabUtf8(id, 9);
  key[0] = TAG_POINT;
  writeU64be(key, 1, uid);
  return key;
}

/** The key range of every point of collection `uid`, in id byte order. */
export const pointRange = (uid: number): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: uidPrefix(TAG_POINT, uid),
  lt: uidPrefix(TAG_POINT, uid + 1),
});

export const idOfPointKey = (key: Uint8Array): string => utf8Decoder.decode(key.subarray(9));

export function labelKey(uid: number, label: number): Uint8Array {
  const key = slabBytes(17);
  key[0] = TAG_LABEL;
  writeU64be(key, 1, uid);
  writeU64be(key, 9, label);
  return key;
}

export const labelRange = (uid: number): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: uidPrefix(TAG_LABEL, uid),
  lt: uidPrefix(TAG_LABEL, uid + 1),
});

/** A `P` key holds the point's current label, its vector and its metadata (JSON). */
export function encodePointValue(
  label: number,
  vector: Float32Array,
  metadataJson: string,
): Uint8Array {
  const out = slabUtf8(metadataJson, 8 + vector.length * 4);
  writeU64be(out, 0, label);
  writeF32LE(vector, out, 8);
  return out;
}

/**
 * A point record's label and metadata; its vector is copied into `vectors` at
 * `vectorAt` (in floats) when `vectors` is given, else not decoded at all.
 */
export function decodePointValueInto(
  bytes: Uint8Array,
  dimension: number,
  vectors?: Float32Array,
  vectorAt = 0,
): { label: number; metadataJson: string } {
  if (bytes.length < 8 + dimension * 4) {
    throw new RangeError(
      `point record of ${bytes.length} bytes is shorter than a ${dimension}-d vector`,
    );
  }
  if (vectors !== undefined) readF32LEInto(bytes, 8, vectors, vectorAt, dimension);
  return {
    label: readU64be(bytes, 0),
    metadataJson: utf8Decoder.decode(bytes.subarray(8 + dimension * 4)),
  };
}

/**
 * A point record with its metadata replaced, label and vector bytes kept as they are
 * (a payload update does not touch the vector).
 */
export function withPointMetadata(
  bytes: Uint8Array,
  dimension: number,
  metadataJson: string,
): Uint8Array {
  const head = 8 + dimension * 4;
  if (bytes.length < head) {
    throw new RangeError(
      `point record of ${bytes.length} bytes is shorter than a ${dimension}-d vector`,
    );
  }
  const out = slabUtf8(metadataJson, head);
  out.set(bytes.subarray(0, head), 0);
  return out;
}

/** Just the label of a point record, without decoding the rest. */
export const labelOfPointValue = (bytes: Uint8Array): number => readU64be(bytes, 0);

/** UTF-8 bytes of `s` for a record written now (slab bytes; see byte-slab.ts). */
export const utf8Encode = (s: string): Uint8Array => slabUtf8(s);
export const utf8Decode = (b: Uint8Array): string => utf8Decoder.decode(b);
