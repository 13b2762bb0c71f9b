/**
 * The client's WriteStream keeps to the server's bound on writes in flight per stream
 * (MAX_STREAM_WRITES_IN_FLIGHT): with more writes outstanding on one Transport (a
 * RaftvecClient sends its writes one at a time; a Transport shared by concurrent
 * callers does not), it holds the rest unsent and sends them as answers make room,
 * rather than have the server refuse them.
 * A real gRPC server with the real VectorService, whose proposals the test settles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../src/client/transport.js';
import type { CollectionInfo } from '../../src/domain.js';
import { bindServer, createGrpcServer, type RaftvecServer } from '../../src/server/grpc-server.js';
import {
  MAX_STREAM_WRITES_IN_FLIGHT,
  VectorService,
  type VectorReader,
} from '../../src/server/vector-service.js';
import type { ProposeOutcome, WritePath } from '../../src/server/write-path.js';
import { waitFor } from '../support/processes.js';

const info: CollectionInfo = {
  name: 'c',
  dimension: 2,
  metric: 'l2',
  indexSpec: 'Flat',
  pointCount: 0,
  payloadIndexes: [],
};
/** Proposals the server made, waiting for the test to settle them. */
const pending: Array<(outcome: ProposeOutcome) => void> = [];
let server: RaftvecServer;
let address: string;

beforeAll(async () => {
  const reader = { describeCollection: () => info } as unknown as VectorReader;
  const writes: WritePath = {
    ensureWritable: () => undefined,
    propose: () => new Promise((resolve) => pending.push(resolve)),
    close: () => Promise.resolve(),
  };
  server = createGrpcServer(new VectorService(reader, writes).handlers()).server;
  address = await bindServer(server, '127.0.0.1:0');
});

afterAll(() => server.forceShutdown());

describe('a Transport over WriteStream', () => {
  it('holds writes past the per-stream bound unsent, and sends them as answers come: none refused', async () => {
    const transport = new Transport(address, { retry: { maxAttempts: 1 } });
    try {
      const count = 2 * MAX_STREAM_WRITES_IN_FLIGHT + 100;
      const settled: unknown[] = [];
      const writes = Array.from({ length: count }, (_, i) =>
        transport
          .unary(
            'Upsert',
            { collection: 'c', points: [{ id: `p${i}`, vector: [i, 1] }] },
            new Date(Date.now() + 60_000),
          )
          .then(
            (r) => (settled.push(r), r),
            (e: unknown) => {
              settled.push(e);
              throw e;
            },
          ),
      );
      await waitFor('the server to hold a full stream of writes', () =>
        pending.length >= MAX_STREAM_WRITES_IN_FLIGHT ? true : undefined,
      );
      // None answered yet: the ones past the bound wait in the client, not refused.
      expect(settled).toEqual([]);
      expect(pending.length).toBe(MAX_STREAM_WRITES_IN_FLIGHT);
      let logIndex = 0;
      let answered = 0;
      while (answered < count) {
        await waitFor('the next writes to reach the server', () =>
          pending.length > 0 ? true : undefined,
        );
        for (const settle of pending.splice(0)) {
          settle({ result: { ok: true, upserted: 1 }, logIndex: ++logIndex });
          answered += 1;
        }
      }
      const results = await Promise.all(writes);
      expect(results.every((r) => Number(r.upserted) === 1)).toBe(true);
      expect(new Set(results.map((r) => Number(r.logIndex))).size).toBe(count);
    } finally {
      transport.close();
    }
  });
});
