/**
 * Index checkpoints: every collection's FAISS index, serialized at one applied
 * index, so that a restart loads the bytes instead of rebuilding the index from the
 * raw vectors (an HNSW graph over 50k points took minutes to rebuild).
 *
 * A checkpoint is a folder `DIR/index-checkpoints/<applied index>/` holding, per
 * collection (by uid), the serialized index (`<uid>.faiss`, the binding's
 * envelope, which carries its own CRC-32) and its live labels (`<uid>.labels`,
 * int64 little-endian), and a `manifest.json` naming each file with its size and
 * SHA-256, checked on load. It is written atomically: files into a temporary
 * folder, each fsynced, the folder renamed into place, the parent fsynced. The
 * newest two are kept.
 *
 * A checkpoint need not match the state store exactly: at load, the state machine
 * reconciles each index with the points it read (labels are never reused and a
 * label's vector never changes, so removing the labels the store no longer has and
 * adding the ones the checkpoint lacks gives the same index content).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One collection's entry in a checkpoint manifest. */
export interface CheckpointedIndex {
  uid: number;
  /** The collection's name and spec, so a checkpoint is only used for the same index. */
  name: string;
  dimension: number;
  metric: string;
  indexSpec: string;
  indexFile: string;
  indexBytes: number;
  indexSha256: string;
  labelsFile: string;
  labelsSha256: string;
  labelCount: number;
}

export interface CheckpointManifest {
  format: 1;
  appliedIndex: number;
  indexes: CheckpointedIndex[];
}

/** A collection's index as loaded from a checkpoint. */
export interface LoadedIndex {
  entry: CheckpointedIndex;
  bytes: Buffer;
  labels: BigInt64Array;
}

export interface CollectionSnapshot {
  uid: number;
  name: string;
  dimension: number;
  metric: string;
  indexSpec: string;
  /** The serialized index (FaissIndex.serializeAsync). */
  bytes: Buffer;
  labels: BigInt64Array;
}

const MANIFEST = 'manifest.json';
const KEEP = 2;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function writeSynced(path: string, bytes: Uint8Array | string): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** fsyncs a folder, so that a rename or a new file in it survives a crash. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

const labelsToBytes = (labels: BigInt64Array): Buffer =>
  Buffer.from(labels.buffer, labels.byteOffset, labels.byteLength);

function bytesToLabels(bytes: Buffer): BigInt64Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new BigInt64Array(copy.buffer, 0, copy.byteLength / 8);
}

/** Checkpoints under one folder: write, find the newest usable one, prune old ones. */
export class IndexCheckpoints {
  constructor(readonly root: string) {}

  /** Writes a checkpoint of `collections` at `appliedIndex`, atomically; keeps the newest two. */
  async write(appliedIndex: number, collections: readonly CollectionSnapshot[]): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const final = join(this.root, String(appliedIndex));
    const temp = join(this.root, `.tmp-${appliedIndex}-${process.pid}`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp);
    const indexes: CheckpointedIndex[] = [];
    for (const c of collections) {
      const labelBytes = labelsToBytes(c.labels);
      const entry: CheckpointedIndex = {
        uid: c.uid,
        name: c.name,
        dimension: c.dimension,
        metric: c.metric,
        indexSpec: c.indexSpec,
        indexFile: `${c.uid}.faiss`,
        indexBytes: c.bytes.byteLength,
        indexSha256: sha256(c.bytes),
        labelsFile: `${c.uid}.labels`,
        labelsSha256: sha256(labelBytes),
        labelCount: c.labels.length,
      };
      await writeSynced(join(temp, entry.indexFile), c.bytes);
      await writeSynced(join(temp, entry.labelsFile), labelBytes);
      indexes.push(entry);
    }
    const manifest: CheckpointManifest = { format: 1, appliedIndex, indexes };
    await writeSynced(join(temp, MANIFEST), JSON.stringify(manifest));
    await syncDir(temp);
    await rm(final, { recursive: true, force: true });
    await rename(temp, final);
    await syncDir(this.root);
    await this.prune();
  }

  /**
   * The newest checkpoint whose manifest reads back, or undefined. Its files are
   * checked when loaded (`load`).
   */
  async newest(): Promise<CheckpointManifest | undefined> {
    for (const applied of await this.appliedIndexes()) {
      try {
        const text = await readFile(join(this.root, String(applied), MANIFEST), 'utf8');
        const manifest = JSON.parse(text) as CheckpointManifest;
        if (manifest.format === 1 && manifest.appliedIndex === applied) return manifest;
      } catch {
        // A checkpoint whose manifest is missing or damaged is skipped; an older one may do.
      }
    }
    return undefined;
  }

  /** Reads one collection's index and labels, checking sizes and SHA-256; undefined if damaged. */
  async load(
    manifest: CheckpointManifest,
    entry: CheckpointedIndex,
  ): Promise<LoadedIndex | undefined> {
    const dir = join(this.root, String(manifest.appliedIndex));
    try {
      const bytes = await readFile(join(dir, entry.indexFile));
      const labelBytes = await readFile(join(dir, entry.labelsFile));
      if (
        bytes.byteLength !== entry.indexBytes ||
        sha256(bytes) !== entry.indexSha256 ||
        labelBytes.byteLength !== entry.labelCount * 8 ||
        sha256(labelBytes) !== entry.labelsSha256
      )
        return undefined;
      return { entry, bytes, labels: bytesToLabels(labelBytes) };
    } catch {
      return undefined;
    }
  }

  /** Applied indexes of the checkpoints present, newest first. */
  private async appliedIndexes(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return [];
    }
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => b - a);
  }

  private async prune(): Promise<void> {
    const all = await this.appliedIndexes();
    for (const old of all.slice(KEEP)) {
      await rm(join(this.root, String(old)), { recursive: true, force: true });
    }
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.tmp-'))
        await rm(join(this.root, name), { recursive: true, force: true });
    }
  }
}
