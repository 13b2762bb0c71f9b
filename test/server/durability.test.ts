/**
 * Acknowledged writes survive kill -9: a real `raftvec serve` process takes
 * many acknowledged upserts (vectors + metadata), is SIGKILLed right after the
 * last acknowledgement, restarts on the same data dir, and still has every
 * vector bit for bit, every metadata object, and finds them by search.
 *
 * Needs `npm run build` (spawns bin/raftvec.js).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecClient, type UpsertPoint } from '../../src/client/client.js';
import type { Metadata } from '../../src/domain.js';
import { ProcessGroup } from '../support/processes.js';

const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

/** Deterministic pseudo-random floats with full float32 mantissas (not just "nice" decimals). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const DIM = 16;
const BATCHES = 30;
const PER_BATCH = 40;

function makePoints(): Array<UpsertPoint & { vector: Float32Array; metadata: Metadata }> {
  const r = rng(42);
  const out: Array<UpsertPoint & { vector: Float32Array; metadata: Metadata }> = [];
  for (let i = 0; i < BATCHES * PER_BATCH; i++) {
    const vector = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) vector[d] = (r() - 0.5) * 2 ** ((d % 7) - 3);
    out.push({
      id: `pt-${i}`,
      vector,
      metadata: {
        i,
        batch: Math.floor(i / PER_BATCH),
        label: `point ${i} ✓`,
        tags: ['a', i % 2 === 0 ? 'even' : 'odd'],
        nested: { x: r(), ok: i % 3 === 0, none: null },
      },
    });
  }
  return out;
}

const sameBits = (a: Float32Array | undefined, b: Float32Array): boolean =>
  a !== undefined &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

describe('durability across kill -9', () => {
  it('every acknowledged upsert (vector bits and metadata) is there after SIGKILL and restart', async () => {
    const dataDir = await procs.tempDir('durability');
    const first = await procs.startNode({ dataDir, name: 'before-kill' });
    const points = makePoints();
    let client = new RaftvecClient(first.address);
    let lastLogIndex: number;
    try {
      await client.createCollection('durable', { dimension: DIM });
      // a point that is replaced and one that is deleted: their last acknowledged state must win
      await client.upsert('durable', [
        { id: 'replaced', vector: new Float32Array(DIM).fill(1), metadata: { v: 1 } },
      ]);
      await client.upsert('durable', [{ id: 'deleted', vector: new Float32Array(DIM).fill(2) }]);
      for (let b = 0; b < BATCHES; b++) {
        const batch = points.slice(b * PER_BATCH, (b + 1) * PER_BATCH);
        if (b === BATCHES - 1) {
          batch.push({ id: 'replaced', vector: new Float32Array(DIM).fill(3), metadata: { v: 2 } });
        }
        const res = await client.upsert('durable', batch);
        expect(res.upserted).toBe(batch.length);
      }
      const del = await client.delete('durable', ['deleted']);
      expect(del.deleted).toBe(1);
      lastLogIndex = del.logIndex;
      // right after the last acknowledgement: no graceful anything
      process.kill(first.pid, 'SIGKILL');
    } finally {
      client.close();
    }
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');

    const second = await procs.startNode({ dataDir, name: 'after-restart' });
    client = new RaftvecClient(second.address);
    try {
      const info = await client.describeCollection('durable');
      expect(info).toMatchObject({
        name: 'durable',
        dimension: DIM,
        metric: 'l2',
        pointCount: points.length + 1,
      });

      const got = await client.get(
        'durable',
        points.map((p) => p.id),
      );
      expect(got.map((p) => p.id)).toEqual(points.map((p) => p.id));
      const mismatched = got
        .filter((g, i) => !sameBits(g.vector, points[i]!.vector))
        .map((g) => g.id);
      expect(mismatched, 'vectors that are not bit-exact').toEqual([]);
      got.forEach((g, i) => expect(g.metadata, g.id).toEqual(points[i]!.metadata));

      const [replaced] = await client.get('durable', ['replaced']);
      expect(replaced).toEqual({
        id: 'replaced',
        vector: new Float32Array(DIM).fill(3),
        metadata: { v: 2 },
      });
      expect(await client.get('durable', ['deleted'])).toEqual([]);

      // searches find them: each sampled point is its own nearest neighbour
      for (const p of [points[0]!, points[517]!, points[points.length - 1]!]) {
        const hits = await client.search('durable', p.vector, { k: 3 });
        expect(hits[0]!.id).toBe(p.id);
        expect(hits[0]!.score).toBe(0);
        expect(hits[0]!.metadata).toEqual(p.metadata);
      }
      expect(
        await client.count('durable', { filter: { must: [{ key: 'tags', equals: 'even' }] } }),
      ).toBe(points.length / 2);

      // the log continues after the last acknowledged index, past the restarted
      // node's no-op entry for its new term (Raft §8)
      const next = await client.upsert('durable', [{ id: 'after', vector: new Float32Array(DIM) }]);
      expect(next.logIndex).toBe(lastLogIndex + 2);
    } finally {
      client.close();
    }

    // graceful stop: SIGTERM exits 0 after closing LevelDB
    const exit2 = await second.kill('SIGTERM');
    expect(exit2, second.describe()).toEqual({ code: 0, signal: null });
    expect(second.stderr).toMatch(/stopped/);
  });
});
