/**
 * The state machine under hostile or damaged input: entries that bypassed
 * validation (apply is total), client sessions (stale sequences, bounded table
 * with deterministic eviction), checksums on every record, and the applied-entry
 * digest that makes divergence visible.
 */
import { readdir, readFile } from 'node:fs/promises';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import type { Command, Metadata } from '../../src/domain.js';
import { StateCorruptionError, sealRecord } from '../../src/storage/checked-store.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import { labelKey, pointKey } from '../../src/storage/keys.js';
import { stateMachineFixture } from '../support/state-machines.js';
import { StateFormatError, VectorStateMachine } from '../../src/storage/state-machine.js';

const { tempDir, openSm, closeSm } = stateMachineFixture('integrity');

const create = (name: string, dimension: number): Command => ({
  kind: 'createCollection',
  spec: { name, dimension, metric: 'l2', indexSpec: 'Flat' },
});

const upsert = (
  collection: string,
  points: Array<{ id: string; vector: number[]; metadata?: Metadata }>,
  stamp: { clientId?: string; sequence?: number; leaderTimeMs?: number } = {},
): Command => ({
  kind: 'upsert',
  collection,
  points: points.map((p) => ({
    id: p.id,
    vector: new Float32Array(p.vector),
    metadata: p.metadata ?? {},
  })),
  ...(stamp.clientId !== undefined && {
    session: { clientId: stamp.clientId, sequence: stamp.sequence ?? 1 },
  }),
  ...(stamp.leaderTimeMs !== undefined && { leaderTimeMs: stamp.leaderTimeMs }),
});

/** Applies payloads at the next indexes on every state machine; returns the first one's results. */
async function applyEverywhere(sms: VectorStateMachine[], ...payloads: Uint8Array[]) {
  const results = [];
  for (const data of payloads) {
    const outcomes = [];
    for (const sm of sms) outcomes.push(await sm.applyEntry(sm.appliedIndex + 1, data));
    for (const o of outcomes) expect(o).toEqual(outcomes[0]);
    results.push(outcomes[0]!);
  }
  return results;
}

/** Rewrites one stored value with `edit`, below the state machine (as a disk fault would). */
async function tamper(dir: string, key: Uint8Array, edit: (value: Uint8Array) => void) {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  const value = await db.get(key);
  if (value === undefined) throw new Error('no such key to tamper with');
  edit(value);
  await db.put(key, value);
  await db.close();
}

describe('apply is total: entries that bypassed validation', () => {
  it('rejects a poison vector, an undecodable payload and bad metadata alike on every replica', async () => {
    const a = await openSm(await tempDir());
    const b = await openSm(await tempDir());
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const poison = encodeCommand(upsert('c', [{ id: 'x', vector: [1e16, 0] }]));
    // A hand-made LogCommand whose metadata is JSON but not an object.
    const nonObjectMetadata = encodeCommand(upsert('c', [{ id: 'y', vector: [1, 0] }]));
    const tampered = Buffer.from(nonObjectMetadata).toString('latin1').replace('{}', '[]');
    const [created, poisoned, undecodable, badMetadata, fine] = await applyEverywhere(
      [a, b],
      encodeCommand(create('c', 2)),
      poison,
      garbage,
      Buffer.from(tampered, 'latin1'),
      encodeCommand(upsert('c', [{ id: 'ok', vector: [1, 2] }])),
    );
    expect(created).toEqual({ ok: true, created: true });
    expect(poisoned).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(undecodable).toMatchObject({
      ok: false,
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/log entry 3 was rejected/),
    });
    expect(badMetadata).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(fine).toEqual({ ok: true, upserted: 1 });
    // Nothing of the rejected entries stayed behind; both replicas agree to the byte.
    expect(await a.count('c')).toBe(1);
    expect(await a.get('c', ['x', 'y'], { withVector: true, withMetadata: true })).toEqual([]);
    expect(a.appliedIndex).toBe(5);
    expect(a.appliedDigest).toEqual(b.appliedDigest);
  });

  it('restarts on a store that saw a poison entry and keeps serving it', async () => {
    const dir = await tempDir();
    const sm = await openSm(dir);
    await applyEverywhere(
      [sm],
      encodeCommand(create('c', 2)),
      encodeCommand(upsert('c', [{ id: 'x', vector: [1e16, 0] }])),
      encodeCommand(upsert('c', [{ id: 'y', vector: [3, 4] }])),
    );
    const digest = sm.appliedDigest;
    await closeSm(sm);
    const again = await openSm(dir);
    expect(again.appliedDigest).toEqual(digest);
    const hits = await again.search({
      collection: 'c',
      vectors: [new Float32Array([3, 4])],
      k: 5,
      withVector: false,
      withMetadata: false,
    });
    expect(hits[0]!.map((h) => h.id)).toEqual(['y']);
  });
});

describe('client sessions', () => {
  it('answers a retry of the last sequence with the original result and refuses older ones', async () => {
    const sm = await openSm(await tempDir());
    const first = upsert('c', [{ id: 'a', vector: [1, 1] }], { clientId: 'w', sequence: 2 });
    const [, applied, retried, older] = await applyEverywhere(
      [sm],
      encodeCommand(create('c', 2)),
      encodeCommand(first),
      encodeCommand(first),
      encodeCommand(upsert('c', [{ id: 'b', vector: [2, 2] }], { clientId: 'w', sequence: 1 })),
    );
    expect(applied).toEqual({ ok: true, upserted: 1 });
    expect(retried).toEqual(applied);
    expect(older).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(await sm.count('c')).toBe(1);
    // The refused older write did not move the session back: the last write still retries.
    const [again] = await applyEverywhere([sm], encodeCommand(first));
    expect(again).toEqual(applied);
  });

  it('evicts the least recently used sessions beyond the count limit, the same on every replica and after restart', async () => {
    const dirA = await tempDir();
    const limits = { sessions: { maxSessions: 3, maxAgeMs: 1e12 } };
    const a = await openSm(dirA, limits);
    const b = await openSm(await tempDir(), limits);
    const write = (client: string, sequence: number) =>
      encodeCommand(
        upsert('c', [{ id: `${client}-${sequence}`, vector: [sequence, 1] }], {
          clientId: client,
          sequence,
        }),
      );
    await applyEverywhere(
      [a, b],
      encodeCommand(create('c', 2)),
      write('k1', 1),
      write('k2', 1),
      write('k3', 1),
      write('k1', 2), // k1 is now the most recently used
      write('k4', 1), // evicts k2, the least recently used
    );
    expect(a.sessionCount).toBe(3);
    expect(a.appliedDigest).toEqual(b.appliedDigest);
    // k2's session is gone: a retry of its last write is applied again (documented).
    const [k2Retry, k1Retry] = await applyEverywhere([a, b], write('k2', 1), write('k1', 2));
    expect(k2Retry).toEqual({ ok: true, upserted: 1 });
    expect(k1Retry).toEqual({ ok: true, upserted: 1 });
    // k2 came back as the most recent, which evicted k3.
    await closeSm(a);
    const reopened = await openSm(dirA, limits);
    expect(reopened.sessionCount).toBe(3);
    const [k3Retry] = await applyEverywhere([reopened, b], write('k3', 1));
    expect(k3Retry).toEqual({ ok: true, upserted: 1 }); // k3 was evicted: applied again
    const [k4Retry] = await applyEverywhere([reopened, b], write('k4', 1));
    expect(k4Retry).toEqual({ ok: true, upserted: 1 }); // k4 evicted by k3's return
    expect(reopened.appliedDigest).toEqual(b.appliedDigest);
  });

  it('expires sessions by age on the leader clock carried in the entries', async () => {
    const sm = await openSm(await tempDir(), { sessions: { maxSessions: 100, maxAgeMs: 1_000 } });
    const write = (client: string, sequence: number, leaderTimeMs: number) =>
      encodeCommand(
        upsert('c', [{ id: client, vector: [1, 1] }], {
          clientId: client,
          sequence,
          leaderTimeMs,
        }),
      );
    await applyEverywhere(
      [sm],
      encodeCommand(create('c', 2)),
      write('old', 1, 10_000),
      write('new', 1, 10_500),
    );
    expect(sm.sessionCount).toBe(2);
    // A leader whose clock is behind does not move the table's clock backwards.
    await applyEverywhere([sm], write('other', 1, 5_000));
    expect(sm.sessionCount).toBe(3);
    // 1.5 s after 'old' wrote, it has expired; 'new' (1 s ago exactly) has not.
    await applyEverywhere([sm], write('late', 1, 11_500));
    expect(sm.sessionCount).toBe(3);
    const [oldRetry] = await applyEverywhere([sm], write('old', 1, 11_600));
    expect(oldRetry).toEqual({ ok: true, upserted: 1 });
  });
});

describe('checksums on every record', () => {
  async function storeWithPoints(): Promise<string> {
    const dir = await tempDir();
    const sm = await openSm(dir);
    await applyEverywhere(
      [sm],
      encodeCommand(create('c', 2)),
      encodeCommand(
        upsert('c', [
          { id: 'a', vector: [1, 2], metadata: { n: 1 } },
          { id: 'b', vector: [3, 4], metadata: { n: 2 } },
        ]),
      ),
    );
    await closeSm(sm);
    return dir;
  }

  it('refuses to open a store with a flipped byte, naming the store and the key', async () => {
    const dir = await storeWithPoints();
    // Collection uid 1 (created by entry 1); flip one bit of a vector component.
    await tamper(dir, pointKey(1, 'b'), (v) => {
      v[4 + 8] = v[4 + 8]! ^ 0x01;
    });
    const err = await VectorStateMachine.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateCorruptionError);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toMatch(/P.*b.*fails its checksum|0x50.*fails its checksum/);
  });

  it('checks the label map against the points: a well-sealed but wrong record is caught', async () => {
    const dir = await storeWithPoints();
    // Label 0 belongs to "a"; point it at "b" with a valid checksum.
    const key = labelKey(1, 0);
    const db = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    await db.put(key, sealRecord(key, new TextEncoder().encode('b')));
    await db.close();
    const err = await VectorStateMachine.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateCorruptionError);
    expect((err as Error).message).toMatch(
      /maps label 0 to id "b", whose point record has label 1/,
    );
  });

  it('refuses a store of another layout version with a typed error', async () => {
    const dir = await tempDir();
    const db = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    // Layout version 1 stored the version as a bare uint64.
    await db.put(Uint8Array.from(Buffer.from('Mformat')), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1));
    await db.close();
    const err = await VectorStateMachine.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateFormatError);
    expect((err as StateFormatError).found).toBe(1);
  });
});

describe('LevelDB tables are read, not memory-mapped', () => {
  // Mapped tables would count in the node's RSS: a node that read its whole store once
  // would show the store's size on top of its memory (native/leveldb-checked.mjs).
  it('after a full scan of a store with table files, no table is mapped into the process', async () => {
    const dir = await tempDir();
    const db = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    const value = new Uint8Array(4096).fill(7);
    // 12 MiB through a 4 MiB write buffer: several tables on disk.
    for (let b = 0; b < 24; b++) {
      await db.batch(
        Array.from({ length: 128 }, (_, i) => ({
          type: 'put' as const,
          key: new TextEncoder().encode(`k${String(b * 128 + i).padStart(6, '0')}`),
          value,
        })),
      );
    }
    await db.close();
    const reopened = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    let records = 0;
    for await (const entry of reopened.iterator()) records += entry.length > 0 ? 1 : 0;
    const tables = (await readdir(dir)).filter((f) => f.endsWith('.ldb'));
    const mapped = (await readFile('/proc/self/maps', 'utf8'))
      .split('\n')
      .filter((line) => line.includes(dir));
    await reopened.close();
    expect(records).toBe(24 * 128);
    expect(tables.length).toBeGreaterThan(0);
    expect(mapped).toEqual([]);
  });
});

describe('the applied-entry digest', () => {
  it('is equal on replicas that applied the same entries, and differs when one diverged', async () => {
    const a = await openSm(await tempDir());
    const b = await openSm(await tempDir());
    const c = await openSm(await tempDir());
    const entries = [
      encodeCommand(create('c', 2)),
      encodeCommand(upsert('c', [{ id: 'a', vector: [1, 2] }])),
    ];
    await applyEverywhere([a, b, c], ...entries);
    expect(a.appliedDigest).toEqual(b.appliedDigest);
    expect(a.appliedDigest.index).toBe(2);
    expect(a.appliedDigest.digest).toMatch(/^[0-9a-f]{64}$/);
    // c applies a different third entry: same index, another digest.
    await applyEverywhere([a, b], encodeCommand(upsert('c', [{ id: 'b', vector: [3, 4] }])));
    await applyEverywhere([c], encodeCommand(upsert('c', [{ id: 'b', vector: [3, 5] }])));
    expect(c.appliedIndex).toBe(a.appliedIndex);
    expect(c.appliedDigest.digest).not.toBe(a.appliedDigest.digest);
    // Earlier digests are remembered for comparisons at a common index.
    expect(c.digestAt(2)).toBe(a.digestAt(2));
  });
});
