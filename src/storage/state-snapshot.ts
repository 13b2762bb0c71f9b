/**
 * A snapshot of the whole replicated state at one applied index: every record of the
 * state store, read from a LevelDB snapshot, and every collection's FAISS index,
 * serialized (so a node that installs it loads the indexes instead of rebuilding
 * them). It is what a lagging or new follower receives (InstallSnapshot), and what
 * lets a node discard its Raft log up to that index.
 *
 * Layout: a folder `<root>/<index>/` holding
 * - `state.records`: every record as stored, in key order: u32 BE key length, key,
 *   u32 BE value length, value (sealed: CRC-32 of key and value, then the value, as
 *   checked-store.ts stores it, so each record is checked as it is read back);
 * - `index/`: an index checkpoint (index-checkpoint.ts) at the same applied index;
 * - `meta.json`: the applied index, the applied-entry digest, and every file's path,
 *   size and SHA-256 (checked before a snapshot is used or sent).
 *
 * Written atomically (a temporary folder, each file fsynced, renamed into place, the
 * parent fsynced); the newest two are kept.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { IndexCheckpoints, type CollectionSnapshot } from './index-checkpoint.js';
import { syncDir } from '../durable-files.js';

type Bytes = Uint8Array;

export interface SnapshotFile {
  /** Path inside the snapshot folder, with forward slashes. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface SnapshotMeta {
  format: 1;
  /** The applied index the snapshot holds the state at. */
  index: number;
  /** The applied-entry digest at `index` (hex). */
  digest: string;
  files: SnapshotFile[];
}

const META = 'meta.json';
const RECORDS = 'state.records';
const KEEP = 2;
/** Bytes buffered before a write to the records file. */
const WRITE_CHUNK_BYTES = 1 << 20;

async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** Writes one record's frame into `into` at `at`; returns where the next one goes. */
function frame(into: Buffer, at: number, key: Bytes, value: Bytes): number {
  into.writeUInt32BE(key.byteLength, at);
  into.set(key, at + 4);
  at += 4 + key.byteLength;
  into.writeUInt32BE(value.byteLength, at);
  into.set(value, at + 4);
  return at + 4 + value.byteLength;
}

/** Snapshots under one folder. */
export class StateSnapshots {
  constructor(readonly root: string) {}

  /** The folder of the snapshot at `index`. */
  folder(index: number): string {
    return join(this.root, String(index));
  }

  /** Drafts being written by this process (prune leaves them alone). */
  private readonly drafts = new Set<string>();
  private draftCount = 0;

  /**
   * A new snapshot draft: a temporary folder, and the draft folder its indexes are to
   * be serialized into (state-machine captureSnapshot) before {@link write} completes
   * it. Drop it with {@link discard} if it is not completed.
   */
  async draft(): Promise<{ folder: string; indexDraft: string }> {
    await mkdir(this.root, { recursive: true });
    const folder = join(this.root, `.tmp-${process.pid}-${++this.draftCount}`);
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder);
    this.drafts.add(folder);
    return { folder, indexDraft: await snapshotIndexes(folder).draft() };
  }

  async discard(draft: { folder: string }): Promise<void> {
    this.drafts.delete(draft.folder);
    await rm(draft.folder, { recursive: true, force: true });
  }

  /**
   * Completes `draft` as the snapshot at `index`: `records` (sealed, in key order, from
   * a LevelDB snapshot taken at that index) and the indexes in `collections` (already
   * in the draft's index draft). Atomic; keeps the newest two. Resolves with its meta.
   */
  async write(
    draft: { folder: string; indexDraft: string },
    index: number,
    digest: string,
    records: AsyncIterable<[Bytes, Bytes]>,
    collections: readonly CollectionSnapshot[],
  ): Promise<SnapshotMeta> {
    try {
      return await this.completeDraft(draft, index, digest, records, collections);
    } finally {
      await this.discard(draft);
    }
  }

  private async completeDraft(
    ...[draft, index, digest, records, collections]: Parameters<StateSnapshots['write']>
  ): Promise<SnapshotMeta> {
    const temp = draft.folder;
    const file = await open(join(temp, RECORDS), 'w');
    try {
      // Records are framed into one reused buffer, written out whenever it is full.
      const chunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
      let used = 0;
      for await (const [key, value] of records) {
        const need = 8 + key.byteLength + value.byteLength;
        if (used + need > chunk.byteLength) {
          await file.write(chunk, 0, used);
          used = 0;
        }
        if (need > chunk.byteLength) {
          const alone = Buffer.allocUnsafe(need);
          frame(alone, 0, key, value);
          await file.write(alone);
        } else used = frame(chunk, used, key, value);
      }
      if (used > 0) await file.write(chunk, 0, used);
      await file.sync();
    } finally {
      await file.close();
    }
    await snapshotIndexes(temp).complete(draft.indexDraft, index, collections);
    const files: SnapshotFile[] = [];
    for (const path of await listFiles(temp)) {
      files.push({ path: relative(temp, path).split('\\').join('/'), ...(await hashFile(path)) });
    }
    const meta: SnapshotMeta = { format: 1, index, digest, files };
    const metaFile = await open(join(temp, META), 'w');
    try {
      await metaFile.writeFile(JSON.stringify(meta));
      await metaFile.sync();
    } finally {
      await metaFile.close();
    }
    await syncDir(temp);
    await rm(this.folder(index), { recursive: true, force: true });
    await rename(temp, this.folder(index));
    await syncDir(this.root);
    await this.prune();
    return meta;
  }

  /** The newest snapshot whose meta reads back (its files are checked by `verify`). */
  async newest(): Promise<SnapshotMeta | undefined> {
    for (const index of await this.indexes()) {
      const meta = await readMeta(this.folder(index)).catch(() => undefined);
      if (meta !== undefined && meta.index === index) return meta;
    }
    return undefined;
  }

  /** Removes every snapshot but the newest two, and leftovers of interrupted writes. */
  async prune(): Promise<void> {
    for (const old of (await this.indexes()).slice(KEEP)) {
      await rm(this.folder(old), { recursive: true, force: true });
    }
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      const path = join(this.root, name);
      if (name.startsWith('.tmp-') && !this.drafts.has(path))
        await rm(path, { recursive: true, force: true });
    }
  }

  private async indexes(): Promise<number[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => b - a);
  }
}

export async function readMeta(folder: string): Promise<SnapshotMeta> {
  const meta = JSON.parse(await readFile(join(folder, META), 'utf8')) as SnapshotMeta;
  if (meta.format !== 1 || !Number.isSafeInteger(meta.index) || !Array.isArray(meta.files))
    throw new Error(`${folder}/${META} is not a raftvec snapshot description`);
  for (const f of meta.files) {
    if (typeof f.path !== 'string' || f.path.includes('..') || f.path.startsWith('/'))
      throw new Error(`${folder}/${META} names a file outside the snapshot: ${String(f.path)}`);
  }
  return meta;
}

/**
 * Checks every file of the snapshot in `folder` against its meta; throws naming the
 * first bad one. `sizes`: only that each file is there with its size, for a reader
 * that checks the contents as it reads them (record checksums, the index envelope's
 * CRC-32, the applied digest at the end) and so need not read everything twice.
 */
export async function verifySnapshot(
  folder: string,
  depth: 'contents' | 'sizes' = 'contents',
): Promise<SnapshotMeta> {
  const meta = await readMeta(folder);
  for (const f of meta.files) {
    const path = join(folder, f.path);
    const actual =
      depth === 'contents'
        ? await hashFile(path).catch(() => undefined)
        : await stat(path).then(
            (st) => ({ bytes: st.size, sha256: f.sha256 }),
            () => undefined,
          );
    if (actual === undefined || actual.bytes !== f.bytes || actual.sha256 !== f.sha256)
      throw new Error(`snapshot ${meta.index}: ${f.path} is missing or damaged`);
  }
  const size = (await stat(join(folder, RECORDS))).size;
  if (!meta.files.some((f) => f.path === RECORDS && f.bytes === size))
    throw new Error(`snapshot ${meta.index}: ${RECORDS} is not described`);
  return meta;
}

/** The records of a snapshot, in batches of about `batchBytes`, as they were stored (sealed). */
export async function* snapshotRecords(
  folder: string,
  batchBytes = 4 << 20,
): AsyncGenerator<Array<[Bytes, Bytes]>> {
  let carry = Buffer.alloc(0);
  let batch: Array<[Bytes, Bytes]> = [];
  let size = 0;
  for await (const chunk of createReadStream(join(folder, RECORDS), {
    highWaterMark: 1 << 20,
  })) {
    const buf = carry.byteLength > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let at = 0;
    for (;;) {
      if (buf.byteLength - at < 4) break;
      const keyLength = buf.readUInt32BE(at);
      if (buf.byteLength - at < 8 + keyLength) break;
      const valueLength = buf.readUInt32BE(at + 4 + keyLength);
      const end = at + 8 + keyLength + valueLength;
      if (buf.byteLength < end) break;
      // Views into the chunk read (no copy per record): a batch keeps at most its few
      // MiB of chunks alive, and LevelDB copies what it writes.
      const key = buf.subarray(at + 4, at + 4 + keyLength);
      const value = buf.subarray(at + 8 + keyLength, end);
      batch.push([key, value]);
      size += end - at;
      at = end;
      if (size >= batchBytes) {
        yield batch;
        batch = [];
        size = 0;
      }
    }
    carry = Buffer.from(buf.subarray(at));
  }
  if (carry.byteLength > 0) throw new Error(`${folder}/${RECORDS} ends inside a record`);
  if (batch.length > 0) yield batch;
}

/** The index checkpoints inside a snapshot folder. */
export const snapshotIndexes = (folder: string): IndexCheckpoints =>
  new IndexCheckpoints(join(folder, 'index'));
