/**
 * Index checkpoints: every collection's FAISS index, serialized at one applied
 * index, so that a restart loads the bytes instead of rebuilding the index from the
 * raw vectors (an HNSW graph over 50k points took minutes to rebuild).
 *
 * A checkpoint is a folder `DIR/index-checkpoints/<applied index>/` holding, per
 * collection (by uid), the serialized index (`<uid>.faiss`, the binding's
 * envelope, which carries its own CRC-32 over every byte, checked when the binding
 * reads it) and its live labels (`<uid>.labels`, int64 little-endian), and a
 * `manifest.json` naming each file with its size (and the labels' SHA-256),
 * checked on load; and its point table (`<uid>.points`, point-table.ts), from which a
 * node whose store stands exactly at the checkpoint builds its maps without a scan. The indexes go straight from FAISS to their files (no buffer of a
 * whole index in memory): a checkpoint starts as a draft folder that the indexes
 * are serialized into, then it is completed atomically: each file fsynced, the
 * folder renamed into place, the parent fsynced. The newest two are kept.
 *
 * A checkpoint need not match the state store exactly: at load, the state machine
 * reconciles each index with the points it read (labels are never reused and a
 * label's vector never changes, so removing the labels the store no longer has and
 * adding the ones the checkpoint lacks gives the same index content).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writePointTable } from './point-table.js';
import { syncDir, writeSynced } from '../durable-files.js';

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
  /** Written by older versions; the envelope's own CRC-32 is what is checked. */
  indexSha256?: string;
  labelsFile: string;
  labelsSha256: string;
  labelCount: number;
  /** The point table (absent in checkpoints of older versions). */
  pointsFile?: string;
  pointsSha256?: string;
}

export interface CheckpointManifest {
  format: 1;
  appliedIndex: number;
  indexes: CheckpointedIndex[];
}

/** A collection's checkpointed index, checked as far as can be without reading it whole. */
export interface LoadedIndex {
  entry: CheckpointedIndex;
  /** The applied index the checkpoint was taken at. */
  appliedIndex: number;
  /** The serialized index (FaissIndex.deserializeFile checks its CRC-32 as it reads it). */
  file: string;
  labels: BigInt64Array;
  /** Its point table, one row per label (read with readPointTable, which checks it). */
  points?: { file: string; sha256: string };
}

export interface CollectionSnapshot {
  uid: number;
  name: string;
  dimension: number;
  metric: string;
  indexSpec: string;
  /** The serialized index (FaissIndex.serializeToFile), in the draft's folder. */
  file: string;
  labels: BigInt64Array;
  /** The point of each label, in the same order (immutable: ids and frozen metadata). */
  points: ReadonlyArray<{ id: string; metadata: unknown }>;
}

const MANIFEST = 'manifest.json';
const KEEP = 2;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function syncFile(path: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.sync();
  } finally {
    await file.close();
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

  /** Drafts being written by this process (prune leaves them alone). */
  private readonly drafts = new Set<string>();
  private draftCount = 0;

  /**
   * A new draft folder to serialize indexes into (`CollectionSnapshot.file`); complete
   * it with {@link complete}, or drop it with {@link discard}.
   */
  async draft(): Promise<string> {
    await mkdir(this.root, { recursive: true });
    const dir = join(this.root, `.tmp-${process.pid}-${++this.draftCount}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    this.drafts.add(dir);
    return dir;
  }

  async discard(draft: string): Promise<void> {
    this.drafts.delete(draft);
    await rm(draft, { recursive: true, force: true });
  }

  /**
   * Completes `draft` as the checkpoint of `collections` (whose index files it holds)
   * at `appliedIndex`, atomically; keeps the newest two.
   */
  async complete(
    draft: string,
    appliedIndex: number,
    collections: readonly CollectionSnapshot[],
  ): Promise<void> {
    try {
      const final = join(this.root, String(appliedIndex));
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
          indexBytes: (await stat(c.file)).size,
          labelsFile: `${c.uid}.labels`,
          labelsSha256: sha256(labelBytes),
          labelCount: c.labels.length,
          pointsFile: `${c.uid}.points`,
          pointsSha256: await writePointTable(
            join(draft, `${c.uid}.points`),
            c.labels,
            c.points,
            (p) => JSON.stringify(p.metadata),
          ),
        };
        if (c.file !== join(draft, entry.indexFile))
          throw new Error(`${c.file} is not in the draft ${draft}`);
        await syncFile(c.file);
        await syncFile(join(draft, entry.pointsFile!));
        await writeSynced(join(draft, entry.labelsFile), labelBytes);
        indexes.push(entry);
      }
      const manifest: CheckpointManifest = { format: 1, appliedIndex, indexes };
      await writeSynced(join(draft, MANIFEST), JSON.stringify(manifest));
      await syncDir(draft);
      await rm(final, { recursive: true, force: true });
      await rename(draft, final);
      await syncDir(this.root);
    } finally {
      await this.discard(draft);
    }
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
      const file = join(dir, entry.indexFile);
      const labelBytes = await readFile(join(dir, entry.labelsFile));
      if (
        (await stat(file)).size !== entry.indexBytes ||
        labelBytes.byteLength !== entry.labelCount * 8 ||
        sha256(labelBytes) !== entry.labelsSha256
      )
        return undefined;
      return {
        entry,
        appliedIndex: manifest.appliedIndex,
        file,
        labels: bytesToLabels(labelBytes),
        ...(entry.pointsFile !== undefined &&
          entry.pointsSha256 !== undefined && {
            points: { file: join(dir, entry.pointsFile), sha256: entry.pointsSha256 },
          }),
      };
    } catch {
      return undefined;
    }
  }

  /**
   * Removes every checkpoint's point tables: the store they stood for turned out
   * damaged, so the next start must scan it (and meet the damage) instead.
   */
  async discardPointTables(): Promise<void> {
    for (const applied of await this.appliedIndexes()) {
      const dir = join(this.root, String(applied));
      for (const name of await readdir(dir).catch(() => [] as string[]))
        if (name.endsWith('.points')) await rm(join(dir, name), { force: true });
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

  async prune(): Promise<void> {
    const all = await this.appliedIndexes();
    for (const old of all.slice(KEEP)) {
      await rm(join(this.root, String(old)), { recursive: true, force: true });
    }
    for (const name of await readdir(this.root)) {
      const path = join(this.root, name);
      if (name.startsWith('.tmp-') && !this.drafts.has(path))
        await rm(path, { recursive: true, force: true });
    }
  }
}
