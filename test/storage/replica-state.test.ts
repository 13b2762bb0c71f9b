/**
 * State snapshots: a replica takes one at its applied index, another installs it
 * and ends in the same state (same digest, same answers, indexes loaded rather than
 * rebuilt), goes on applying alike, and an install cut by a crash is finished or
 * discarded at the next open.
 */
import { cp, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import { ReplicaState, replicaPaths } from '../../src/storage/replica-state.js';
import { verifySnapshot } from '../../src/storage/state-snapshot.js';
import { levelLogBytes } from '../support/level-files.js';
import { mulberry32 } from '../support/random.js';

const dirs: string[] = [];
const open: ReplicaState[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function replica(): Promise<{ dir: string; state: ReplicaState }> {
  const dir = await mkdtemp(join(tmpdir(), 'raftvec-replica-'));
  dirs.push(dir);
  const state = await ReplicaState.open(replicaPaths(dir), {
    sync: false,
    checkpoints: { dir: '', minChangedPoints: 1e9 },
  });
  open.push(state);
  return { dir, state };
}

const DIM = 8;
const random = mulberry32(11);

const commands = (from: number, count: number): Command[] => [
  {
    kind: 'upsert',
    collection: 'docs',
    points: Array.from({ length: count }, (_, i) => ({
      id: `p${from + i}`,
      vector: Float32Array.from({ length: DIM }, () => random()),
      metadata: { n: from + i },
    })),
    session: { clientId: 'writer', sequence: from + 1 },
  },
  { kind: 'delete', collection: 'docs', ids: [`p${from}`] },
];

async function applyAll(state: ReplicaState, cmds: Command[]): Promise<void> {
  for (const c of cmds) await state.applyEntry(state.appliedIndex + 1, encodeCommand(c));
}

async function answers(state: ReplicaState): Promise<string[][]> {
  const hits = await state.search({
    collection: 'docs',
    vectors: [Float32Array.from({ length: DIM }, (_, d) => d / DIM)],
    k: 10,
    withVector: false,
    withMetadata: true,
  });
  return hits.map((row) => row.map((h) => `${h.id}:${JSON.stringify(h.metadata)}`));
}

/** A replica holding `points` points in "docs", and a snapshot it took of them. */
async function snapshotOfPoints(points = 100) {
  const a = await replica();
  await applyAll(a.state, [
    {
      kind: 'createCollection',
      spec: { name: 'docs', dimension: DIM, metric: 'l2', indexSpec: 'Flat' },
    },
    ...commands(0, points),
  ]);
  const meta = await a.state.takeSnapshot();
  return { a, meta, folder: a.state.snapshots.folder(meta.index) };
}

describe('state snapshots', () => {
  it('leave nothing of the state store in LevelDB logs: every applied write is in synced tables', async () => {
    const { dir, state } = await replica();
    await applyAll(state, [
      {
        kind: 'createCollection',
        spec: { name: 'docs', dimension: DIM, metric: 'l2', indexSpec: 'Flat' },
      },
    ]);
    for (let i = 0; i < 20; i++) await applyAll(state, commands(i * 100, 100));
    // Unsynced writes sit in LevelDB's log (a synced write would sync only the newest log).
    expect(await levelLogBytes(join(dir, 'state'))).toBeGreaterThan(20_000);
    await state.takeSnapshot();
    // Written to tables, which LevelDB syncs; the new log holds nothing yet.
    expect(await levelLogBytes(join(dir, 'state'))).toBe(0);
  });

  it('installed on another replica, give the same state, which then evolves alike', async () => {
    const a = await replica();
    await applyAll(a.state, [
      {
        kind: 'createCollection',
        spec: { name: 'docs', dimension: DIM, metric: 'l2', indexSpec: 'HNSW16' },
      },
      {
        kind: 'createCollection',
        spec: { name: 'gone', dimension: 2, metric: 'l2', indexSpec: 'Flat' },
      },
      { kind: 'dropCollection', name: 'gone' },
      ...commands(0, 500),
      ...commands(500, 500),
    ]);
    const meta = await a.state.takeSnapshot();
    expect(meta.index).toBe(a.state.appliedIndex);
    expect(meta.digest).toBe(a.state.appliedDigest.digest);
    await verifySnapshot(a.state.snapshots.folder(meta.index));

    const b = await replica();
    await applyAll(b.state, [
      {
        kind: 'createCollection',
        spec: { name: 'other', dimension: 2, metric: 'l2', indexSpec: 'Flat' },
      },
    ]);
    await b.state.installSnapshot(a.state.snapshots.folder(meta.index));
    expect(b.state.appliedDigest).toEqual(a.state.appliedDigest);
    expect(b.state.listCollections()).toEqual(a.state.listCollections());
    // The snapshot's indexes are b's checkpoint; the state it replaced was not checkpointed.
    expect(await readdir(join(b.dir, 'index-checkpoints'))).toEqual([String(meta.index)]);
    expect(await answers(b.state)).toEqual(await answers(a.state));

    const more = commands(1_000, 200);
    await applyAll(a.state, more);
    await applyAll(b.state, more);
    expect(b.state.appliedDigest).toEqual(a.state.appliedDigest);
    // The session table came with the snapshot: a retry is answered from it on both.
    const retry = encodeCommand(more[0]!);
    const [ra, rb] = [
      await a.state.applyEntry(a.state.appliedIndex + 1, retry),
      await b.state.applyEntry(b.state.appliedIndex + 1, retry),
    ];
    expect(rb).toEqual(ra);
    expect(ra).toEqual({ ok: true, upserted: 200 });
  });

  it('carries payload indexes and payload updates: the installed replica filters alike', async () => {
    const a = await replica();
    await applyAll(a.state, [
      {
        kind: 'createCollection',
        spec: { name: 'docs', dimension: DIM, metric: 'l2', indexSpec: 'Flat' },
      },
      ...commands(0, 300),
      { kind: 'createPayloadIndex', collection: 'docs', index: { key: 'n', type: 'integer' } },
      {
        kind: 'updatePayload',
        collection: 'docs',
        points: { filter: { must: [{ key: 'n', range: { lt: 50 } }] } },
        update: { op: 'set', payload: { low: true } },
      },
    ]);
    const meta = await a.state.takeSnapshot();
    const b = await replica();
    await b.state.installSnapshot(a.state.snapshots.folder(meta.index));
    expect(b.state.describeCollection('docs').payloadIndexes).toEqual([
      { key: 'n', type: 'integer' },
    ]);
    expect(b.state.listCollections()).toEqual(a.state.listCollections());
    const filter = {
      must: [
        { key: 'n', range: { gte: 20, lt: 120 } },
        { key: 'low', equals: true },
      ],
    };
    // p0 was deleted by `commands`: 20..49 remain low.
    expect(await b.state.count('docs', filter)).toBe(30);
    expect(await b.state.count('docs', filter)).toBe(await a.state.count('docs', filter));
    const search = {
      collection: 'docs',
      vectors: [Float32Array.from({ length: DIM }, () => 0.5)],
      k: 5,
      filter,
      withVector: false,
      withMetadata: true,
    };
    expect(await b.state.search(search)).toEqual(await a.state.search(search));
  });

  it('refuses a damaged snapshot and keeps the state it had', async () => {
    const { folder } = await snapshotOfPoints();
    const records = join(folder, 'state.records');
    const bytes = await readFile(records);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(records, bytes);

    const b = await replica();
    await applyAll(b.state, [
      {
        kind: 'createCollection',
        spec: { name: 'kept', dimension: 2, metric: 'l2', indexSpec: 'Flat' },
      },
    ]);
    await expect(b.state.installSnapshot(folder)).rejects.toThrow(
      /state.records is missing or damaged/,
    );
    expect(b.state.listCollections().map((c) => c.name)).toEqual(['kept']);
  });

  it('installs a snapshot whose index file is damaged by rebuilding that index: same state, same answers', async () => {
    const { a, meta, folder } = await snapshotOfPoints();
    const indexDir = join(folder, 'index', String(meta.index));
    const faissFile = (await readdir(indexDir)).find((f) => f.endsWith('.faiss'))!;
    const bytes = await readFile(join(indexDir, faissFile));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(join(indexDir, faissFile), bytes);

    const b = await replica();
    await b.state.installSnapshot(folder);
    expect(b.state.appliedDigest).toEqual(a.state.appliedDigest);
    const query = {
      collection: 'docs',
      vectors: [new Float32Array(DIM).fill(0.5)],
      k: 5,
      withVector: false,
      withMetadata: true,
    };
    expect(await b.state.search(query)).toEqual(await a.state.search(query));
  });

  it('finishes an install that a crash cut after the old state was moved aside', async () => {
    const { a, folder } = await snapshotOfPoints(50);
    const expected = a.state.appliedDigest;

    // Prepare b's incoming state as an install does, then "crash" between the renames.
    const b = await replica();
    await b.state.installSnapshot(folder);
    await b.state.close();
    open.splice(open.indexOf(b.state), 1);
    const paths = replicaPaths(b.dir);
    await rename(paths.state, `${paths.state}.incoming`);
    await cp(`${paths.state}.incoming`, `${paths.state}.replaced-1`, { recursive: true });

    const reopened = await ReplicaState.open(paths, {
      sync: false,
      checkpoints: { dir: '', minChangedPoints: 1e9 },
    });
    open.push(reopened);
    expect(reopened.appliedDigest).toEqual(expected);
  });
});
