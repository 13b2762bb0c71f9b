/**
 * Response amplification and oversized requests (hardening issue, item 2): a
 * small request must not make a node build an unbounded response, hold its event
 * loop (and with it Raft's heartbeats and every other call) for long, or take
 * unbounded memory for writes in flight.
 */
import { NOT_PROPOSED_KEY } from '../../src/api/metadata-keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { RaftvecClient } from '../../src/client/client.js';
import { healthServiceDefinition, loadVectorProto } from '../../src/api/proto.js';
import type {
  ApplyResult,
  CollectionInfo,
  Metadata,
  SearchHit,
  SearchQuery,
} from '../../src/domain.js';
import type { VectorServiceClient } from '../../src/generated/raftvec/v1/VectorService.js';
import { limits } from '../../src/limits.js';
import { VectorService, type VectorReader } from '../../src/server/vector-service.js';
import type { ProposeOutcome, WritePath } from '../../src/server/write-path.js';
import { expectStatus } from '../support/expect-error.js';
import { startTestNode, type TestNode } from '../support/in-process.js';
import { mulberry32 } from '../support/random.js';

let t: TestNode;
let client: RaftvecClient;
let raw: VectorServiceClient;

const rand = mulberry32(11);
const vec = (d: number): number[] => Array.from({ length: d }, () => rand() * 2 - 1);

async function load(
  name: string,
  dimension: number,
  n: number,
  metadata: (i: number) => Metadata,
  batch = 1000,
): Promise<void> {
  await client.createCollection(name, { dimension });
  for (let start = 0; start < n; start += batch) {
    const points = [];
    for (let i = start; i < Math.min(n, start + batch); i++)
      points.push({
        id: `p${String(i).padStart(5, '0')}`,
        vector: vec(dimension),
        metadata: metadata(i),
      });
    await client.upsert(name, points);
  }
}

beforeAll(async () => {
  t = await startTestNode();
  client = new RaftvecClient(t.address, { retry: { maxAttempts: 1 } });
  const { proto } = loadVectorProto();
  raw = new proto.raftvec.v1.VectorService(t.address, grpc.credentials.createInsecure());
  // 'amp': enough points for the largest allowed search, small metadata on each
  await load('amp', 16, 2000, (i) => ({ n: i, tag: 'abcdefghijklmnopqrstuvwxyz' }));
  // 'ampv': vectors of 512 floats (2 KiB each)
  await load('ampv', 512, 1100, (i) => ({ n: i }), 550);
  // 'ampm': 60 KB of metadata per point (the limit is 64 KiB)
  await load('ampm', 2, 100, (i) => ({ n: i, blob: 'm'.repeat(60_000) }), 50);
}, 120_000);

afterAll(async () => {
  client?.close();
  raw?.close();
  await t?.close();
});

describe('the largest allowed search', () => {
  it('is answered, and the node answers a health check while it builds the response', async () => {
    // A persistent health channel, connected before the search starts.
    const Health = grpc.makeGenericClientConstructor(
      healthServiceDefinition(),
      'Health',
    ) as unknown as new (
      address: string,
      credentials: grpc.ChannelCredentials,
    ) => grpc.Client & {
      check(req: { service: string }, cb: (err: grpc.ServiceError | null) => void): void;
    };
    const health = new Health(t.address, grpc.credentials.createInsecure());
    const check = (): Promise<void> =>
      new Promise((resolve, reject) =>
        health.check({ service: '' }, (err) => (err ? reject(err) : resolve())),
      );
    await check();

    // Server-side events, in the order they happen on the node's event loop.
    const events: string[] = [];
    const statusMap = (t.node.health as unknown as { statusMap: Map<string, string> }).statusMap;
    const get = statusMap.get.bind(statusMap);
    statusMap.get = (key: string) => {
      events.push('health check handled');
      return get(key);
    };
    // The search is handed its FAISS results ("results ready"); the service then
    // converts every hit, and reads the last hit's score at the very end of that.
    const sm = t.node.stateMachine;
    const search = sm.search.bind(sm);
    let resultsReady!: () => void;
    const ready = new Promise<void>((resolve) => (resultsReady = resolve));
    sm.search = async (q: SearchQuery): Promise<SearchHit[][]> => {
      const rows = await search(q);
      const lastRow = rows[rows.length - 1]!;
      const last = lastRow[lastRow.length - 1]!;
      const score = last.score;
      Object.defineProperty(last, 'score', {
        get: () => {
          events.push('last hit converted');
          return score;
        },
      });
      events.push('results ready');
      resultsReady();
      return rows;
    };
    try {
      const nq = limits.maxQueriesPerSearch;
      const k = Math.floor(limits.maxResultsPerSearch / nq);
      const queries = Array.from({ length: nq }, () => vec(16));
      const searched = client.search('amp', queries, { k, withMetadata: true });
      await ready;
      await check();
      const rows = await searched;
      expect(rows.length).toBe(nq);
      expect(rows.reduce((sum, row) => sum + row.length, 0)).toBe(limits.maxResultsPerSearch);
      // The health check was served between the search's results and the end of
      // building its response: the search did not hold the event loop meanwhile.
      const first = events.indexOf('results ready');
      const handled = events.indexOf('health check handled', first);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(handled, events.join(', ')).toBeGreaterThan(first);
      expect(events.indexOf('last hit converted'), events.join(', ')).toBeGreaterThan(handled);
    } finally {
      delete (sm as { search?: unknown }).search;
      delete (statusMap as { get?: unknown }).get;
      health.close();
    }
  });

  it('one result more is refused before any search work (INVALID_ARGUMENT)', async () => {
    const sm = t.node.stateMachine;
    let searches = 0;
    const search = sm.search.bind(sm);
    sm.search = (q: SearchQuery) => {
      searches++;
      return search(q);
    };
    try {
      const queries = Array.from({ length: limits.maxQueriesPerSearch }, () => vec(16));
      await expectStatus(
        client.search('amp', queries, { k: 17 }),
        'INVALID_ARGUMENT',
        /1024 queries × k=17 = 17408 results; the limit is 16384/,
      );
      await expectStatus(
        client.search('amp', vec(16), { k: limits.maxK + 1 }),
        'INVALID_ARGUMENT',
        /k must be an integer from 1 to 10000/,
      );
      expect(searches).toBe(0);
    } finally {
      delete (sm as { search?: unknown }).search;
    }
  });
});

describe('vectors in responses are bounded before any work', () => {
  // The up-front check counts 512 · 4 + 16 bytes per point; the ids ("p00042",
  // 6 bytes) and metadata are counted as the response is built.
  const bound = Math.floor(limits.maxResponseBytes / (512 * 4 + 16));
  const fit = Math.floor(limits.maxResponseBytes / (512 * 4 + 16 + 6));
  const ids = (n: number): string[] =>
    Array.from({ length: n }, (_, i) => `p${String(i).padStart(5, '0')}`);

  it('search: k × dimension with vectors', async () => {
    expect([bound, fit]).toEqual([1016, 1013]);
    const hits = await client.search('ampv', vec(512), {
      k: fit,
      withVector: true,
      withMetadata: false,
    });
    expect(hits.length).toBe(fit);
    expect(hits.every((h) => h.vector?.length === 512)).toBe(true);
    await expectStatus(
      client.search('ampv', vec(512), { k: bound + 1, withVector: true, withMetadata: false }),
      'INVALID_ARGUMENT',
      /up to 1017 vectors of dimension 512 \(2099088 bytes\)/,
      /at most 2097152 bytes/,
      /leave vectors out/,
    );
    // within the up-front bound, the ids tip it over: found while building
    await expectStatus(
      client.search('ampv', vec(512), { k: bound, withVector: true, withMetadata: false }),
      'RESOURCE_EXHAUSTED',
      /the search response would exceed 2097152 bytes/,
      /lower k, send fewer queries per request, or leave vectors out/,
    );
    // without vectors, the same k is fine
    expect((await client.search('ampv', vec(512), { k: bound + 1 })).length).toBe(bound + 1);
  });

  it('get: ids × dimension with vectors', async () => {
    const got = await client.get('ampv', ids(fit), { withMetadata: false });
    expect(got.length).toBe(fit);
    await expectStatus(
      client.get('ampv', ids(bound + 1)),
      'INVALID_ARGUMENT',
      /get \(1017 ids, with vectors\)/,
      /ask for fewer ids per request, or leave vectors out/,
    );
    expect((await client.get('ampv', ids(bound + 1), { withVector: false })).length).toBe(
      bound + 1,
    );
  });

  it('scroll with vectors: a page holds what fits, and the scroll continues after it', async () => {
    const first = await client.scroll('ampv', { limit: limits.maxScrollLimit, withVector: true });
    // at most `bound` (the page size is lowered to it), a few fewer for ids and metadata
    expect(first.points.length).toBeLessThanOrEqual(bound);
    expect(first.points.length).toBeGreaterThan(bound - 16);
    expect(first.nextAfterId).toBe(first.points[first.points.length - 1]!.id);
    const seen = first.points.map((p) => p.id);
    let after = first.nextAfterId;
    while (after) {
      const page = await client.scroll('ampv', {
        limit: limits.maxScrollLimit,
        withVector: true,
        afterId: after,
      });
      seen.push(...page.points.map((p) => p.id));
      after = page.nextAfterId;
    }
    expect(seen).toEqual(ids(1100));
  });
});

describe('metadata in responses is bounded while the response is built', () => {
  // 100 points × 60 KB of metadata: about 34 fit in 2 MiB
  it('search and get → RESOURCE_EXHAUSTED saying what to leave out', async () => {
    await expectStatus(
      client.search('ampm', [0, 0], { k: 100 }),
      'RESOURCE_EXHAUSTED',
      /the search response would exceed 2097152 bytes/,
      /lower k, send fewer queries per request, or leave metadata out/,
    );
    const ids = Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(5, '0')}`);
    await expectStatus(
      client.get('ampm', ids, { withVector: false }),
      'RESOURCE_EXHAUSTED',
      /the get response would exceed 2097152 bytes/,
      /leave metadata out/,
    );
    // the same requests without metadata are answered
    expect((await client.search('ampm', [0, 0], { k: 100, withMetadata: false })).length).toBe(100);
    expect((await client.get('ampm', ids, { withVector: false, withMetadata: false })).length).toBe(
      100,
    );
  });

  it('scroll: a page stops short of the limit and the next one starts after it', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.scroll('ampm', { limit: 100, ...(after && { afterId: after }) });
      ids.push(...page.points.map((p) => p.id));
      after = page.nextAfterId;
      pages++;
    } while (after);
    expect(pages).toBeGreaterThanOrEqual(3); // 6 MB of metadata in pages of at most 2 MiB
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(5, '0')}`));
  });
});

describe('writes in flight', () => {
  it('upserts beyond maxInFlightWriteBytes get RESOURCE_EXHAUSTED until earlier ones finish', async () => {
    const info: CollectionInfo = {
      name: 'c',
      dimension: 1000,
      metric: 'l2',
      indexSpec: 'Flat',
      pointCount: 0,
      payloadIndexes: [],
    };
    const reader = { describeCollection: () => info } as unknown as VectorReader;
    // Proposals wait here until the test lets them finish.
    const pending: Array<(outcome: ProposeOutcome) => void> = [];
    const writes: WritePath = {
      ensureWritable: () => undefined,
      propose: () => new Promise((resolve) => pending.push(resolve)),
      close: () => Promise.resolve(),
    };
    const service = new VectorService(reader, writes, { maxInFlightWriteBytes: 1_000_000 });
    const upsert = service.handlers().Upsert as unknown as (
      call: unknown,
      cb: (err: grpc.ServiceError | null, res?: unknown) => void,
    ) => void;
    const call = (n: number, prefix: string): Promise<unknown> =>
      new Promise((resolve, reject) =>
        upsert(
          {
            request: {
              collection: 'c',
              options: null,
              points: Array.from({ length: n }, (_, i) => ({
                id: `${prefix}${i}`,
                vector: new Array<number>(1000).fill(0.5),
                metadata: null,
              })),
            },
            getDeadline: () => Infinity,
          },
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
    const done: ApplyResult = { ok: true, upserted: 150 };
    // 150 points × 4000 bytes = 600 KB: one fits in 1 MB, a second does not
    const first = call(150, 'a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending.length).toBe(1);
    const refused = await call(150, 'b').catch((e: grpc.ServiceError) => e);
    expect((refused as grpc.ServiceError).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((refused as grpc.ServiceError).details).toMatch(
      /already handling 600490 bytes of upserts \(the limit is 1000000\); this one \(600490 bytes\) was not accepted: retry with backoff/,
    );
    // marked as refused before proposing: a client knows it was not applied
    expect((refused as grpc.ServiceError).metadata.get(NOT_PROPOSED_KEY)).toEqual(['1']);
    // small writes still fit beside the first
    const small = call(10, 's');
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending.length).toBe(2);
    pending[0]!({ result: done, logIndex: 1 });
    pending[1]!({ result: { ok: true, upserted: 10 }, logIndex: 2 });
    await Promise.all([first, small]);
    // once the first finished, a large write is accepted again
    const again = call(150, 'c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending.length).toBe(3);
    pending[2]!({ result: done, logIndex: 3 });
    await expect(again).resolves.toMatchObject({ upserted: 150, logIndex: 3 });
  });
});
