/**
 * A collection's point table: every live point's label, id and metadata, written
 * next to its index in a checkpoint. A node whose state store stands exactly at the
 * checkpoint's applied index (after a graceful stop, or a snapshot install) builds
 * its in-memory maps from this one sequential file instead of scanning two records
 * per point in LevelDB, which is what made a restart several times slower than
 * reading the bytes.
 *
 * Layout: per point, u64 BE label, u32 BE id length, the id (UTF-8), u32 BE metadata
 * length, the metadata (JSON, UTF-8). The manifest holds the point count and the
 * file's SHA-256, checked as the file is read (a mismatch discards what was read).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { limits } from '../limits.js';
import { readU64be, utf8Decode } from './keys.js';

/** One point as the table holds it. */
export interface PointRow {
  label: number;
  id: string;
  metadataJson: string;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Writes the table of `labels[i]` → `points[i]` to `path` (created; not fsynced) and
 * returns its SHA-256. `metadataJson` turns a point's metadata into its JSON text.
 */
export async function writePointTable<P extends { id: string }>(
  path: string,
  labels: BigInt64Array,
  points: readonly P[],
  metadataJson: (point: P) => string,
): Promise<string> {
  if (labels.length !== points.length)
    throw new Error(`${labels.length} labels for ${points.length} points`);
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = 0;
    const flush = async (): Promise<void> => {
      hash.update(chunk.subarray(0, used));
      await file.write(chunk, 0, used);
      used = 0;
    };
    for (let i = 0; i < points.length; i++) {
      const id = points[i]!.id;
      const metadata = metadataJson(points[i]!);
      const idBytes = Buffer.byteLength(id, 'utf8');
      const metadataBytes = Buffer.byteLength(metadata, 'utf8');
      const need = 16 + idBytes + metadataBytes;
      if (used + need > chunk.byteLength) await flush();
      const row = need > chunk.byteLength ? Buffer.allocUnsafe(need) : chunk;
      let at = row === chunk ? used : 0;
      row.writeBigUInt64BE(labels[i]!, at);
      row.writeUInt32BE(idBytes, at + 8);
      row.write(id, at + 12, 'utf8');
      at += 12 + idBytes;
      row.writeUInt32BE(metadataBytes, at);
      row.write(metadata, at + 4, 'utf8');
      if (row === chunk) used = at + 4 + metadataBytes;
      else {
        hash.update(row);
        await file.write(row);
      }
    }
    if (used > 0) await flush();
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/**
 * The rows of a table in batches, as read; throws once the whole file is read if it
 * does not hold exactly `count` rows with this SHA-256, or ends inside a row. The
 * caller must discard what it built from the rows when this throws.
 */
export async function* readPointTable(
  path: string,
  count: number,
  sha256: string,
): AsyncGenerator<PointRow[]> {
  const hash = createHash('sha256');
  let carry = Buffer.alloc(0);
  let rows = 0;
  for await (const piece of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
    hash.update(piece as Buffer);
    const buf = carry.byteLength > 0 ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
    const batch: PointRow[] = [];
    let at = 0;
    for (;;) {
      if (buf.byteLength - at < 12) break;
      const idLength = buf.readUInt32BE(at + 8);
      // A damaged length would have every later piece carried (and copied) to the end.
      if (idLength > limits.maxPointIdBytes)
        throw new Error(`${path}: a point id of ${idLength} bytes (damaged)`);
      if (buf.byteLength - at < 16 + idLength) break;
      const metadataLength = buf.readUInt32BE(at + 12 + idLength);
      if (metadataLength > limits.maxMetadataBytes)
        throw new Error(`${path}: metadata of ${metadataLength} bytes (damaged)`);
      const end = at + 16 + idLength + metadataLength;
      if (buf.byteLength < end) break;
      batch.push({
        label: readU64be(buf, at),
        id: utf8Decode(buf.subarray(at + 12, at + 12 + idLength)),
        metadataJson: utf8Decode(buf.subarray(at + 16 + idLength, end)),
      });
      at = end;
    }
    carry = Buffer.from(buf.subarray(at));
    rows += batch.length;
    if (rows > count) throw new Error(`${path} holds more than ${count} points`);
    yield batch;
  }
  if (carry.byteLength > 0) throw new Error(`${path} ends inside a point`);
  if (rows !== count) throw new Error(`${path} holds ${rows} points, not ${count}`);
  if (hash.digest('hex') !== sha256) throw new Error(`${path} fails its SHA-256`);
}
