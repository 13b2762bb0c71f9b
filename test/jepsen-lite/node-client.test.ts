/**
 * classifyError (a gRPC error → fail: provably not applied, or info: indeterminate),
 * then NodeClients against a real single node and a closed port.
 * The end-to-end part needs `npm run build`.
 */
import * as grpc from '@grpc/grpc-js';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, NodeClients } from '../../jepsen-lite/node-client.js';
import { LEADER_ID_KEY, NOT_LEADER_KEY, NOT_PROPOSED_KEY } from '../../src/api/metadata-keys.js';
import { ProcessGroup, type NodeProcess } from '../support/processes.js';

function serviceError(
  code: grpc.status,
  details: string,
  metadata: Record<string, string> = {},
): grpc.ServiceError {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
    code,
    details,
    metadata: md,
  });
}

describe('classifyError', () => {
  it.each([
    grpc.status.INVALID_ARGUMENT,
    grpc.status.NOT_FOUND,
    grpc.status.ALREADY_EXISTS,
    grpc.status.OUT_OF_RANGE,
  ])('a refusal before proposing (%s) is fail', (code) => {
    const outcome = classifyError(serviceError(code, 'refused'));
    expect(outcome).toEqual({ type: 'fail', error: `${grpc.status[code]}: refused` });
  });

  it('RESOURCE_EXHAUSTED is fail only when the server marks it not proposed (grpc-js makes it too)', () => {
    expect(
      classifyError(
        serviceError(grpc.status.RESOURCE_EXHAUSTED, 'over the limit', { [NOT_PROPOSED_KEY]: '1' }),
      ).type,
    ).toBe('fail');
    expect(
      classifyError(serviceError(grpc.status.RESOURCE_EXHAUSTED, 'Received RST_STREAM')).type,
    ).toBe('info');
  });

  it('FAILED_PRECONDITION for a stale session sequence is info, and says so', () => {
    const outcome = classifyError(
      serviceError(
        grpc.status.FAILED_PRECONDITION,
        'client "c" sent sequence 4, but its last applied write was sequence 5: …',
      ),
    );
    expect(outcome).toMatchObject({ type: 'info', staleSequence: true });
  });

  it('UNAVAILABLE from a follower (not-leader, leader-id) is fail with the leader as hint', () => {
    const outcome = classifyError(
      serviceError(grpc.status.UNAVAILABLE, 'not the leader', {
        [NOT_LEADER_KEY]: 'n2',
        [LEADER_ID_KEY]: 'n3',
      }),
    );
    expect(outcome).toEqual({
      type: 'fail',
      error: 'UNAVAILABLE: not the leader',
      leaderHint: 'n3',
    });
  });

  it('UNAVAILABLE not-leader with no known leader is fail without a hint', () => {
    for (const metadata of [
      { [NOT_LEADER_KEY]: 'n2' } as Record<string, string>,
      { [NOT_LEADER_KEY]: 'n2', [LEADER_ID_KEY]: '' },
    ]) {
      const outcome = classifyError(serviceError(grpc.status.UNAVAILABLE, 'no leader', metadata));
      expect(outcome.type).toBe('fail');
      expect(outcome).not.toHaveProperty('leaderHint');
    }
  });

  it('UNAVAILABLE because no connection was ever established is fail', () => {
    const outcome = classifyError(
      serviceError(
        grpc.status.UNAVAILABLE,
        'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
      ),
    );
    expect(outcome.type).toBe('fail');
    expect(outcome).toMatchObject({ error: expect.stringMatching(/^UNAVAILABLE: No connection/) });
  });

  it.each([
    [grpc.status.UNAVAILABLE, 'Connection dropped'],
    // the phrase must start the message: a server-side text that merely contains it proves nothing
    [grpc.status.UNAVAILABLE, 'proxy: No connection established'],
    [grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 1.000s'],
    [grpc.status.CANCELLED, 'Call cancelled'],
    [grpc.status.INTERNAL, 'stream reset'],
    [grpc.status.FAILED_PRECONDITION, 'node is stopping'],
    [grpc.status.UNKNOWN, 'something'],
  ])('%s "%s" is info', (code, details) => {
    const outcome = classifyError(serviceError(code, details));
    expect(outcome).toEqual({ type: 'info', error: `${grpc.status[code]}: ${details}` });
  });

  it('a leader hint without not-leader does not make an indeterminate error fail', () => {
    const outcome = classifyError(
      serviceError(grpc.status.DEADLINE_EXCEEDED, 'late', { [LEADER_ID_KEY]: 'n1' }),
    );
    expect(outcome).toEqual({ type: 'info', error: 'DEADLINE_EXCEEDED: late', leaderHint: 'n1' });
  });
});

/** A loopback port with nothing listening: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const bound = server.address();
  if (typeof bound !== 'object' || bound === null) throw new Error('did not bind');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound.port;
}

describe('NodeClients against a real node', () => {
  const procs = new ProcessGroup();
  let node: NodeProcess;
  let clients: NodeClients;

  beforeAll(async () => {
    const dir = await procs.tempDir('node-client');
    node = await procs.startNode({ dataDir: join(dir, 'data'), name: 'node-client-n1' });
    clients = new NodeClients(
      new Map([
        ['n1', node.address],
        ['gone', `127.0.0.1:${await closedPort()}`],
      ]),
    );
  });
  afterAll(async () => {
    clients?.close();
    await procs.cleanup();
  });

  it('CreateCollection is ok, and an Upsert into a missing collection is fail', async () => {
    const created = await clients.call(
      'n1',
      'CreateCollection',
      { name: 'docs', dimension: 2, indexSpec: 'Flat' },
      10_000,
    );
    expect(created.type, JSON.stringify(created)).toBe('ok');
    if (created.type === 'ok') expect(created.value.collection?.name).toBe('docs');

    const again = await clients.call(
      'n1',
      'CreateCollection',
      { name: 'docs', dimension: 2 },
      10_000,
    );
    expect(again).toMatchObject({
      type: 'fail',
      error: expect.stringMatching(/^ALREADY_EXISTS: /),
    });

    const missing = await clients.call(
      'n1',
      'Upsert',
      { collection: 'missing', points: [{ id: 'p1', vector: [1, 2] }] },
      10_000,
    );
    expect(missing).toMatchObject({ type: 'fail', error: expect.stringMatching(/^NOT_FOUND: /) });

    const count = await clients.call('n1', 'Count', { collection: 'docs' }, 10_000);
    expect(count).toMatchObject({ type: 'ok', value: { count: 0 } });
  });

  it('a call to a closed port is fail: it never connected', async () => {
    const outcome = await clients.call('gone', 'Count', { collection: 'docs' }, 10_000);
    expect(outcome).toMatchObject({
      type: 'fail',
      error: expect.stringMatching(/^UNAVAILABLE: No connection established/),
    });
  });

  it('an unknown node name throws', () => {
    expect(() => clients.call('nope', 'Count', { collection: 'docs' }, 1_000)).toThrow(RangeError);
  });
});
