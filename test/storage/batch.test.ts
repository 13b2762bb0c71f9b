/**
 * Batches (`{ kind: 'batch' }`): operations applied in order, each on the state the ones
 * before it left, all of them or none. Checked against a model of the collection (a map
 * of id → vector and metadata, with filters evaluated by filter.ts): after every batch,
 * applied or refused, the state machine holds exactly what the model holds, through the
 * payload indexes, the FAISS index and a restart; and a replica applying the same log in
 * groups ends with the same digest.
 */
import { describe, expect, it } from 'vitest';
import type {
  BatchOperation,
  Command,
  Filter,
  Metadata,
  PayloadUpdate,
  PointSelector,
} from '../../src/domain.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import { compileFilter } from '../../src/storage/filter.js';
import { applyPayloadUpdate } from '../../src/storage/payload-update.js';
import type { VectorStateMachine } from '../../src/storage/state-machine.js';
import { mulberry32 } from '../support/random.js';
import { applyOk, create, createIndex, scrollAll } from '../support/sm-commands.js';
import { stateMachineFixture } from '../support/state-machines.js';

const { tempDir, openSm, closeSm } = stateMachineFixture('batch');
const DIM = 3;

interface ModelPoint {
  vector: number[];
  metadata: Metadata;
}
type Model = Map<string, ModelPoint>;

/** What the model says a batch does: the new model, or the index of the refused operation. */
function modelApply(model: Model, operations: readonly BatchOperation[]): Model | number {
  const next: Model = new Map(model);
  const selected = (points: PointSelector): string[] | undefined => {
    if ('ids' in points) {
      const ids = [...new Set(points.ids)];
      return ids.every((id) => next.has(id)) ? ids : undefined;
    }
    const predicate = compileFilter(points.filter);
    return [...next].filter(([id, p]) => predicate(p.metadata, id)).map(([id]) => id);
  };
  for (let i = 0; i < operations.length; i++) {
    const op = operations[i]!;
    switch (op.kind) {
      case 'upsert':
        for (const p of op.points)
          next.set(p.id, { vector: Array.from(p.vector), metadata: p.metadata });
        break;
      case 'delete':
        for (const id of op.ids) next.delete(id);
        break;
      case 'deleteByFilter':
        for (const id of selected({ filter: op.filter })!) next.delete(id);
        break;
      case 'updatePayload': {
        const ids = selected(op.points);
        if (ids === undefined) return i;
        for (const id of ids) {
          const p = next.get(id)!;
          next.set(id, { ...p, metadata: applyPayloadUpdate(p.metadata, op.update) });
        }
      }
    }
  }
  return next;
}

/** The state machine's collection, as the model's shape, and read through its indexes. */
async function observed(sm: VectorStateMachine): Promise<Model> {
  const points = await scrollAll(sm, 'c', { withVector: true });
  return new Map(
    points.map((p) => [p.id, { vector: Array.from(p.vector!), metadata: p.metadata! }]),
  );
}

async function expectMatches(sm: VectorStateMachine, model: Model): Promise<void> {
  expect(await observed(sm)).toEqual(model);
  // Through the payload index on n, and through FAISS (Flat: exact, so the model knows).
  for (const lt of [2, 5, 8]) {
    const filter: Filter = { must: [{ key: 'n', range: { lt } }] };
    const predicate = compileFilter(filter);
    const expected = [...model].filter(([id, p]) => predicate(p.metadata, id)).length;
    expect(await sm.count('c', filter)).toBe(expected);
  }
  const [hits] = await sm.search({
    collection: 'c',
    vectors: [new Float32Array([0, 0, 0])],
    k: 100,
    withVector: false,
    withMetadata: false,
  });
  expect(hits!.map((h) => h.id).sort()).toEqual([...model.keys()].sort());
}

function randomBatch(random: () => number, model: Model): BatchOperation[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
  const metadata = (): Metadata => ({
    n: Math.floor(random() * 10),
    ...(random() < 0.5 && { tag: pick(['a', 'b', 'c']) }),
  });
  const selector = (): PointSelector =>
    random() < 0.5
      ? {
          ids: Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
            // Mostly ids the collection holds; sometimes one it does not (a refusal).
            random() < 0.9 && model.size > 0 ? pick([...model.keys()]) : pick(ids),
          ),
        }
      : { filter: { must: [{ key: 'n', range: { gte: Math.floor(random() * 10) } }] } };
  const update = (): PayloadUpdate =>
    pick<PayloadUpdate>([
      { op: 'set', payload: { tag: pick(['a', 'b', 'x']), n: Math.floor(random() * 10) } },
      { op: 'overwrite', payload: metadata() },
      { op: 'deleteKeys', keys: ['tag'] },
    ]);
  return Array.from({ length: 1 + Math.floor(random() * 5) }, (): BatchOperation => {
    const r = random();
    if (r < 0.35) {
      const chosen = [
        ...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(ids))),
      ];
      return {
        kind: 'upsert',
        points: chosen.map((id) => ({
          id,
          vector: Float32Array.from({ length: DIM }, () => Math.round(random() * 8) / 2),
          metadata: metadata(),
        })),
      };
    }
    if (r < 0.5) return { kind: 'delete', ids: [pick(ids), pick(ids)] };
    if (r < 0.6)
      return {
        kind: 'deleteByFilter',
        filter: { must: [{ key: 'tag', equals: pick(['a', 'b']) }] },
      };
    return { kind: 'updatePayload', points: selector(), update: update() };
  });
}

describe('batches', () => {
  it('apply in order, each operation on what the ones before left, or not at all', async () => {
    const sm = await openSm(await tempDir());
    await applyOk(sm, create('c', DIM), createIndex('c', 'n', 'integer'));
    const v = (x: number): Float32Array => new Float32Array([x, x, x]);
    const applied = await sm.apply(sm.appliedIndex + 1, {
      kind: 'batch',
      collection: 'c',
      operations: [
        { kind: 'upsert', points: [{ id: 'a', vector: v(1), metadata: { n: 1 } }] },
        // The point upserted by the operation before.
        { kind: 'updatePayload', points: { ids: ['a'] }, update: { op: 'set', payload: { t: 1 } } },
        { kind: 'upsert', points: [{ id: 'b', vector: v(2), metadata: { n: 2 } }] },
        { kind: 'deleteByFilter', filter: { must: [{ key: 'n', range: { gte: 2 } }] } },
      ],
    });
    expect(applied).toEqual({
      ok: true,
      results: [{ upserted: 1 }, { updated: 1 }, { upserted: 1 }, { deleted: 1 }],
    });
    expect(await observed(sm)).toEqual(
      new Map([['a', { vector: [1, 1, 1], metadata: { n: 1, t: 1 } }]]),
    );
    const refused = await sm.apply(sm.appliedIndex + 1, {
      kind: 'batch',
      collection: 'c',
      operations: [
        { kind: 'delete', ids: ['a'] },
        { kind: 'upsert', points: [{ id: 'c', vector: v(3), metadata: { n: 3 } }] },
        { kind: 'updatePayload', points: { ids: ['a'] }, update: { op: 'set', payload: { t: 2 } } },
      ],
    });
    expect(refused).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(refused.ok || refused.message).toMatch(/^operation 2: /);
    await expectMatches(sm, new Map([['a', { vector: [1, 1, 1], metadata: { n: 1, t: 1 } }]]));
  });

  it('refuses a bad operation, or a batch with none or too many, with its index', async () => {
    const sm = await openSm(await tempDir());
    await applyOk(sm, create('c', DIM));
    const apply = (operations: BatchOperation[]) =>
      sm.apply(sm.appliedIndex + 1, { kind: 'batch', collection: 'c', operations });
    expect(await apply([])).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    const many = Array.from({ length: 257 }, (): BatchOperation => ({
      kind: 'delete',
      ids: ['x'],
    }));
    expect(await apply(many)).toMatchObject({ ok: false, message: /at most 256 operations/ });
    const bad = await apply([
      { kind: 'upsert', points: [{ id: 'a', vector: new Float32Array([1, 2, 3]), metadata: {} }] },
      { kind: 'upsert', points: [{ id: 'b', vector: new Float32Array([1, 2]), metadata: {} }] },
    ]);
    expect(bad).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: /^operation 1: / });
    expect(await sm.count('c')).toBe(0);
  });

  it('bounds what its operations change together', async () => {
    const sm = await openSm(await tempDir());
    await applyOk(sm, create('c', DIM));
    const n = 60_000;
    for (let from = 0; from < n; from += 10_000) {
      await applyOk(sm, {
        kind: 'upsert',
        collection: 'c',
        points: Array.from({ length: 10_000 }, (_, i) => ({
          id: `p${from + i}`,
          vector: new Float32Array([from + i, 0, 0]),
          metadata: { n: from + i },
        })),
      });
    }
    const all: Filter = { must: [{ key: 'n', range: { gte: 0 } }] };
    // Each operation alone is within its limits (60,000 points); two pass 100,000.
    const refused = await sm.apply(sm.appliedIndex + 1, {
      kind: 'batch',
      collection: 'c',
      operations: [
        {
          kind: 'updatePayload',
          points: { filter: all },
          update: { op: 'set', payload: { a: 1 } },
        },
        {
          kind: 'updatePayload',
          points: { filter: all },
          update: { op: 'set', payload: { b: 1 } },
        },
      ],
    });
    expect(refused).toMatchObject({ ok: false, code: 'FAILED_PRECONDITION' });
    expect(refused.ok || refused.message).toMatch(/^operation 1: .*at most 100000 points/);
    expect(await sm.count('c', { must: [{ key: 'a', exists: true }] })).toBe(0);
  });

  it('match a model over random batches, through restarts, and alike when applied in groups', async () => {
    const random = mulberry32(99);
    const dirA = await tempDir();
    let a = await openSm(dirA);
    const b = await openSm(await tempDir());
    const setup: Command[] = [create('c', DIM), createIndex('c', 'n', 'integer')];
    await applyOk(a, ...setup);
    await applyOk(b, ...setup);
    let model: Model = new Map();
    let refusals = 0;
    const forB: Uint8Array[] = [];
    for (let round = 0; round < 150; round++) {
      const operations = randomBatch(random, model);
      const expected = modelApply(model, operations);
      const command: Command = { kind: 'batch', collection: 'c', operations };
      const result = await a.apply(a.appliedIndex + 1, command);
      if (typeof expected === 'number') {
        refusals++;
        expect(result, `round ${round}`).toMatchObject({ ok: false });
        expect(result.ok || result.message).toMatch(new RegExp(`^operation ${expected}: `));
      } else {
        expect(result.ok, `round ${round}: ${JSON.stringify(result)}`).toBe(true);
        model = expected;
      }
      await expectMatches(a, model);
      forB.push(encodeCommand(command));
      if (round % 50 === 49) {
        await closeSm(a);
        a = await openSm(dirA);
        await expectMatches(a, model);
      }
      // The other replica takes the log in groups of up to 7 entries.
      if (forB.length >= 1 + (round % 7)) {
        await b.applyEntries(b.appliedIndex + 1, forB.splice(0));
      }
    }
    if (forB.length > 0) await b.applyEntries(b.appliedIndex + 1, forB.splice(0));
    expect(refusals).toBeGreaterThan(5);
    expect(refusals).toBeLessThan(100);
    expect(b.appliedDigest).toEqual(a.appliedDigest);
    await expectMatches(b, model);
  });
});
