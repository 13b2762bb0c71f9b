/**
 * Index checkpoints: a restart loads each collection's FAISS index from its
 * checkpoint instead of rebuilding it, reconciles it with the points stored since,
 * and falls back to a rebuild when a checkpoint is missing or damaged.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain.js';
import {
  VectorStateMachine,
  type LoadProgress,
  type OpenOptions,
} from '../../src/storage/state-machine.js';
import { mulberry32 } from '../support/random.js';

const dirs: string[] = [];
const open: VectorStateMachine[] = [];
afterEach(async () => {
  for (const sm of open.splice(0)) await sm.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raftvec-ckpt-'));
  dirs.push(dir);
  return dir;
}

const DIM = 16;

async function openSm(
  dir: string,
  extra: Partial<OpenOptions> = {},
): Promise<{ sm: VectorStateMachine; progress: LoadProgress }> {
  let progress: LoadProgress | undefined;
  const sm = await VectorStateMachine.open(join(dir, 'state'), {
    sync: false,
    checkpoints: { dir: join(dir, 'checkpoints'), minChangedPoints: 1e9 },
    onProgress: (p) => {
      progress = p;
    },
    ...extra,
  });
  open.push(sm);
  return { sm, progress: progress! };
}

async function closeSm(sm: VectorStateMachine): Promise<void> {
  open.splice(open.indexOf(sm), 1);
  await sm.close();
}

const random = mulberry32(7);
const vector = (): number[] => Array.from({ length: DIM }, () => random() * 2 - 1);

async function apply(sm: VectorStateMachine, ...commands: Command[]): Promise<void> {
  for (const c of commands) {
    const result = await sm.apply(sm.appliedIndex + 1, c);
    expect(result.ok, JSON.stringify(result)).toBe(true);
  }
}

function upsert(collection: string, from: number, count: number): Command {
  return {
    kind: 'upsert',
    collection,
    points: Array.from({ length: count }, (_, i) => ({
      id: `p${from + i}`,
      vector: new Float32Array(vector()),
      metadata: { n: from + i },
    })),
  };
}

const create = (name: string, indexSpec: string): Command => ({
  kind: 'createCollection',
  spec: { name, dimension: DIM, metric: 'l2', indexSpec },
});

/** Top-5 ids for fixed queries: the observable content of an index. */
async function answers(sm: VectorStateMachine, collection: string): Promise<string[][]> {
  const queries = Array.from({ length: 20 }, (_, i) =>
    Float32Array.from({ length: DIM }, (_, d) => Math.sin(i * 7 + d)),
  );
  const hits = await sm.search({
    collection,
    vectors: queries,
    k: 5,
    withVector: false,
    withMetadata: false,
  });
  return hits.map((row) => row.map((h) => h.id));
}

/** Background checkpoints once 100 points changed, whatever the total. */
const backgroundEvery100 = (dir: string): NonNullable<OpenOptions['checkpoints']> => ({
  dir: join(dir, 'checkpoints'),
  minChangedPoints: 100,
  changedFraction: 0,
});

/** The collections the checkpoint at `appliedIndex` holds, by name, sorted. */
async function checkpointed(dir: string, appliedIndex: number): Promise<string[]> {
  const text = await readFile(
    join(dir, 'checkpoints', String(appliedIndex), 'manifest.json'),
    'utf8',
  );
  const manifest = JSON.parse(text) as { indexes: { name: string }[] };
  return manifest.indexes.map((e) => e.name).sort();
}

describe('index checkpoints', () => {
  it('a graceful close writes one; the next open restores instead of rebuilding', async () => {
    const dir = await tempDir();
    const { sm } = await openSm(dir);
    await apply(sm, create('flat', 'Flat'), create('hnsw', 'HNSW16'));
    for (let i = 0; i < 2_000; i += 500)
      await apply(sm, upsert('flat', i, 500), upsert('hnsw', i, 500));
    const before = { flat: await answers(sm, 'flat'), hnsw: await answers(sm, 'hnsw') };
    await closeSm(sm);
    expect(await readdir(join(dir, 'checkpoints'))).toEqual([String(sm.appliedIndex)]);

    const { sm: again, progress } = await openSm(dir);
    expect(progress.indexesRestored).toBe(2);
    // The store stands exactly at the checkpoint: no scan, the point tables give the maps.
    expect(progress.pointTablesRead).toBe(2);
    expect(await again.count('hnsw')).toBe(2_000);
    expect(await answers(again, 'flat')).toEqual(before.flat);
    // The same HNSW graph came back, so even approximate answers are identical.
    expect(await answers(again, 'hnsw')).toEqual(before.hnsw);
  });

  it('reconciles an older checkpoint with the points written after it', async () => {
    const dir = await tempDir();
    const { sm } = await openSm(dir);
    await apply(sm, create('flat', 'Flat'), upsert('flat', 0, 1_000));
    await sm.checkpointNow();
    const older = String(sm.appliedIndex);
    await cp(join(dir, 'checkpoints', older), join(dir, 'saved'), { recursive: true });
    // After the checkpoint: new points, replaced points (new labels), deleted points.
    await apply(sm, upsert('flat', 900, 300), {
      kind: 'delete',
      collection: 'flat',
      ids: Array.from({ length: 100 }, (_, i) => `p${i * 3}`),
    });
    const expected = await answers(sm, 'flat');
    const count = await sm.count('flat');
    await closeSm(sm);
    // As if the node had crashed before it could write a newer checkpoint.
    await rm(join(dir, 'checkpoints'), { recursive: true });
    await cp(join(dir, 'saved'), join(dir, 'checkpoints', older), { recursive: true });

    const { sm: again, progress } = await openSm(dir);
    expect(progress.indexesRestored).toBe(1);
    expect(progress.pointTablesRead).toBe(0); // the store is past the checkpoint: scanned
    expect(await again.count('flat')).toBe(count);
    expect(await answers(again, 'flat')).toEqual(expected);
    const [gone] = await again.get('flat', ['p3'], { withVector: false, withMetadata: false });
    expect(gone).toBeUndefined();
  });

  it('rebuilds a collection whose checkpoint is damaged, and still answers the same', async () => {
    const dir = await tempDir();
    const { sm } = await openSm(dir);
    await apply(sm, create('flat', 'Flat'), upsert('flat', 0, 500));
    const expected = await answers(sm, 'flat');
    await closeSm(sm);
    const folder = join(dir, 'checkpoints', String(sm.appliedIndex));
    const file = (await readdir(folder)).find((f) => f.endsWith('.faiss'))!;
    const bytes = await readFile(join(folder, file));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(join(folder, file), bytes);

    const { sm: again, progress } = await openSm(dir);
    expect(progress.indexesRestored).toBe(0);
    // The point table was fine: the maps come from it, the index from the stored vectors.
    expect(progress.pointTablesRead).toBe(1);
    expect(await answers(again, 'flat')).toEqual(expected);
  });

  it('a point table gives the same ids, metadata and answers as a scan; a damaged one costs a scan', async () => {
    const dir = await tempDir();
    const { sm } = await openSm(dir);
    await apply(sm, create('flat', 'Flat'), upsert('flat', 0, 600), {
      kind: 'delete',
      collection: 'flat',
      ids: ['p1', 'p2', 'p3'],
    });
    await apply(sm, {
      kind: 'upsert',
      collection: 'flat',
      points: [
        { id: 'bare', vector: new Float32Array(vector()), metadata: {} },
        {
          id: 'ünïcödé ✓',
          vector: new Float32Array(vector()),
          metadata: { tags: ['a', 'b'], x: { y: null } },
        },
      ],
    });
    const ids = ['p0', 'p1', 'p599', 'bare', 'ünïcödé ✓'];
    const opts = { withVector: true, withMetadata: true };
    const expected = {
      points: await sm.get('flat', ids, opts),
      answers: await answers(sm, 'flat'),
      filtered: await sm.count('flat', { must: [{ key: 'n', range: { gte: 100, lt: 200 } }] }),
    };
    await closeSm(sm);

    const fromTable = await openSm(dir);
    expect(fromTable.progress.pointTablesRead).toBe(1);
    expect(await fromTable.sm.get('flat', ids, opts)).toEqual(expected.points);
    expect(await answers(fromTable.sm, 'flat')).toEqual(expected.answers);
    expect(
      await fromTable.sm.count('flat', { must: [{ key: 'n', range: { gte: 100, lt: 200 } }] }),
    ).toBe(expected.filtered);
    await closeSm(fromTable.sm);

    const folder = join(dir, 'checkpoints', String(sm.appliedIndex));
    const table = (await readdir(folder)).find((f) => f.endsWith('.points'))!;
    const bytes = await readFile(join(folder, table));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x04;
    await writeFile(join(folder, table), bytes);
    const scanned = await openSm(dir);
    expect(scanned.progress.pointTablesRead).toBe(0);
    expect(scanned.progress.indexesRestored).toBe(1);
    expect(await scanned.sm.get('flat', ids, opts)).toEqual(expected.points);
    expect(await answers(scanned.sm, 'flat')).toEqual(expected.answers);
  });

  it('after a fast start, a background scrub reads the skipped records: damage stops the store and discards the point tables', async () => {
    const dir = await tempDir();
    const { sm } = await openSm(dir);
    await apply(sm, create('flat', 'Flat'), upsert('flat', 0, 1_500));
    await closeSm(sm);

    // An intact store: the scrub reads everything and reports nothing.
    const reports: string[] = [];
    const intact = await openSm(dir, { onCorruption: (err) => reports.push(err.message) });
    expect(intact.progress.pointTablesRead).toBe(1);
    await intact.sm.scrubbed();
    expect(reports).toEqual([]);
    expect(await intact.sm.count('flat')).toBe(1_500);
    await closeSm(intact.sm);

    const stateDir = join(dir, 'state');
    for (const file of (await readdir(stateDir)).filter((f) => f.endsWith('.ldb'))) {
      const bytes = await readFile(join(stateDir, file));
      bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
      await writeFile(join(stateDir, file), bytes);
    }
    const damaged = await openSm(dir, { onCorruption: (err) => reports.push(err.message) });
    expect(damaged.progress.pointTablesRead).toBe(1);
    await damaged.sm.scrubbed();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/state store at .* is corrupted/);
    await expect(damaged.sm.count('flat')).rejects.toThrow(/corrupted/);
    const tables = async () =>
      (await readdir(join(dir, 'checkpoints'), { recursive: true })).filter((f) =>
        f.endsWith('.points'),
      );
    expect(await tables()).toEqual([]);
    await closeSm(damaged.sm);
    // The next start scans, and meets the damage at once.
    await expect(openSm(dir)).rejects.toThrow(/corrupted/);
  });

  it('takes one in the background once enough points changed, and keeps the newest two', async () => {
    const dir = await tempDir();
    const { sm } = await openSm(dir, {
      checkpoints: backgroundEvery100(dir),
    });
    await apply(sm, create('hnsw', 'HNSW16'));
    for (let i = 0; i < 5; i++) {
      await apply(sm, upsert('hnsw', i * 100, 100));
      await sm.checkpointsSettled();
    }
    const kept = (await readdir(join(dir, 'checkpoints'))).map(Number).sort((a, b) => a - b);
    expect(kept).toEqual([sm.appliedIndex - 1, sm.appliedIndex]);
  });

  it('counts only the points of indexes a background checkpoint holds', async () => {
    const dir = await tempDir();
    const checkpoints = backgroundEvery100(dir);
    const { sm } = await openSm(dir, { checkpoints });
    await apply(sm, create('flat', 'Flat'), create('hnsw', 'HNSW16'), upsert('hnsw', 0, 50));
    // 300 Flat points change nothing a background checkpoint would hold.
    for (let i = 0; i < 3; i++) await apply(sm, upsert('flat', i * 100, 100));
    await sm.checkpointsSettled();
    expect(await readdir(join(dir, 'checkpoints')).catch(() => [])).toEqual([]);
    // 50 more HNSW points make 100: one is due.
    await apply(sm, upsert('hnsw', 50, 50));
    await sm.checkpointsSettled();
    expect(await readdir(join(dir, 'checkpoints'))).toEqual([String(sm.appliedIndex)]);
  });

  it('close waits for a background checkpoint and still writes a whole one', async () => {
    const dir = await tempDir();
    const checkpoints = backgroundEvery100(dir);
    const { sm } = await openSm(dir, { checkpoints });
    await apply(sm, create('flat', 'Flat'), upsert('flat', 0, 100), create('hnsw', 'HNSW16'));
    // The last apply starts a background checkpoint (HNSW only); close at once.
    await apply(sm, upsert('hnsw', 0, 100));
    await closeSm(sm);
    expect(await checkpointed(dir, sm.appliedIndex)).toEqual(['flat', 'hnsw']);
  });

  it('leaves Flat indexes out of background checkpoints (a rebuild costs what a load does), not out of the one at close', async () => {
    const dir = await tempDir();
    const checkpoints = backgroundEvery100(dir);
    const { sm } = await openSm(dir, { checkpoints });
    await apply(sm, create('flat', 'Flat'));
    for (let i = 0; i < 3; i++) {
      await apply(sm, upsert('flat', i * 100, 100));
      await sm.checkpointsSettled();
    }
    // Only Flat collections: no background checkpoint at all.
    expect(await readdir(join(dir, 'checkpoints')).catch(() => [])).toEqual([]);

    await apply(sm, create('hnsw', 'HNSW16'), upsert('hnsw', 0, 100));
    await sm.checkpointsSettled();
    const [background] = await readdir(join(dir, 'checkpoints'));
    expect(await checkpointed(dir, Number(background))).toEqual(['hnsw']);
    const expected = await answers(sm, 'flat');

    // The store and checkpoints as a crash now would leave them.
    await cp(join(dir, 'state'), join(dir, 'crashed', 'state'), { recursive: true });
    await cp(join(dir, 'checkpoints'), join(dir, 'crashed', 'checkpoints'), { recursive: true });
    await closeSm(sm);
    expect(await checkpointed(dir, sm.appliedIndex)).toEqual(['flat', 'hnsw']);

    // After that crash: the Flat index is rebuilt from the store, the HNSW one restored.
    for (const part of ['state', 'checkpoints']) {
      await rm(join(dir, part), { recursive: true });
      await cp(join(dir, 'crashed', part), join(dir, part), { recursive: true });
    }
    const { sm: again, progress } = await openSm(dir, { checkpoints });
    expect(progress.indexesRestored).toBe(1);
    expect(await again.count('flat')).toBe(300);
    expect(await answers(again, 'flat')).toEqual(expected);
    // Nothing applied since, yet the checkpoint it loaded lacks the Flat index: close writes a whole one.
    await closeSm(again);
    expect(await checkpointed(dir, again.appliedIndex)).toEqual(['flat', 'hnsw']);
  });
});
