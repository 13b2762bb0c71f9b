/**
 * The bounds of a payload update: the point records it rewrites (vectors included)
 * are held in one LevelDB batch, so one update rewrites at most
 * limits.maxPayloadUpdateBytes of them; beyond, it is refused whole, the same way on
 * every replica, and nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/limits.js';
import { stateMachineFixture } from '../support/state-machines.js';

const { tempDir, openSm } = stateMachineFixture('payload-limits');

describe('payload update limits', () => {
  it('refuses an update whose records exceed maxPayloadUpdateBytes, and changes nothing', async () => {
    const dimension = 65_536;
    const perPoint = 8 + 4 * dimension;
    const fits = Math.floor(limits.maxPayloadUpdateBytes / perPoint);
    const sm = await openSm(await tempDir());
    let index = 0;
    await sm.apply(++index, {
      kind: 'createCollection',
      spec: { name: 'wide', dimension, metric: 'l2', indexSpec: 'Flat' },
    });
    const ids = Array.from({ length: fits + 1 }, (_, i) => `p${i}`);
    for (let from = 0; from < ids.length; from += 32) {
      const result = await sm.apply(++index, {
        kind: 'upsert',
        collection: 'wide',
        points: ids.slice(from, from + 32).map((id, i) => ({
          id,
          vector: new Float32Array(dimension).fill(from + i),
          metadata: { n: from + i },
        })),
      });
      expect(result.ok).toBe(true);
    }
    const update = { op: 'set' as const, payload: { seen: true } };
    const refused = await sm.apply(++index, {
      kind: 'updatePayload',
      collection: 'wide',
      points: { filter: { must: [{ key: 'n', range: { gte: 0 } }] } },
      update,
    });
    expect(refused).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(refused.ok || refused.message).toMatch(
      new RegExp(`selects ${fits + 1} points.*at most 64\\.0 MiB \\(${fits} points`),
    );
    expect(await sm.count('wide', { must: [{ key: 'seen', exists: true }] })).toBe(0);

    const byIds = await sm.apply(index + 1, {
      kind: 'updatePayload',
      collection: 'wide',
      points: { ids: ids.slice(0, fits) },
      update,
    });
    expect(byIds).toEqual({ ok: true, updated: fits });
    expect(await sm.count('wide', { must: [{ key: 'seen', equals: true }] })).toBe(fits);
  });

  it('counts the new metadata in the bound: large payloads on small vectors are refused too', async () => {
    const sm = await openSm(await tempDir());
    let index = 0;
    await sm.apply(++index, {
      kind: 'createCollection',
      spec: { name: 'narrow', dimension: 1, metric: 'l2', indexSpec: 'Flat' },
    });
    const points = 1_200; // 1,200 × 60 KB of metadata: past 64 MiB, though the vectors are 4 bytes
    for (let from = 0; from < points; from += 1_000) {
      await sm.apply(++index, {
        kind: 'upsert',
        collection: 'narrow',
        points: Array.from({ length: Math.min(1_000, points - from) }, (_, i) => ({
          id: `p${from + i}`,
          vector: new Float32Array([from + i]),
          metadata: { n: from + i },
        })),
      });
    }
    const refused = await sm.apply(index + 1, {
      kind: 'updatePayload',
      collection: 'narrow',
      points: { filter: { must: [{ key: 'n', range: { gte: 0 } }] } },
      update: { op: 'set', payload: { blob: 'x'.repeat(60_000) } },
    });
    expect(refused).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(refused.ok || refused.message).toMatch(/selects 1200 points.*pass 64 MiB at the \d+th/);
    expect(await sm.count('narrow', { must: [{ key: 'blob', exists: true }] })).toBe(0);
  });
});
