/**
 * VectorService.WriteStream against real nodes over real gRPC: a raw stream (ids,
 * answers, errors as the unary calls give them, the end of the stream, bytes that
 * do not decode), RaftvecClient over the stream and over unary calls giving the same
 * results, the fall back to unary calls for a server without WriteStream, a new
 * stream after a dropped connection, and a follower's leader hint on the stream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { RaftvecClient } from '../../src/client/client.js';
import { RaftvecClientError } from '../../src/client/errors.js';
import { loadVectorProto } from '../../src/api/proto.js';
import { LEADER_ADDRESS_KEY, LEADER_ID_KEY } from '../../src/api/metadata-keys.js';
import { freePort } from '../../src/cli/local-cluster.js';
import { startNode, type NodeHandle } from '../../src/server/node.js';
import type { VectorServiceClient } from '../../src/generated/raftvec/v1/VectorService.js';
import type { WriteResponse__Output } from '../../src/generated/raftvec/v1/WriteResponse.js';
import type { WriteStreamRequest } from '../../src/generated/raftvec/v1/WriteStreamRequest.js';
import type { WriteStreamResponse__Output } from '../../src/generated/raftvec/v1/WriteStreamResponse.js';
import { startTestNode, type TestNode } from '../support/in-process.js';
import { waitFor, waitForServing } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const WRITE_STREAM_PATH = '/raftvec.v1.VectorService/WriteStream';

let t: TestNode;
let client: RaftvecClient;
let raw: VectorServiceClient;

beforeAll(async () => {
  t = await startTestNode();
  await waitForServing(t.address);
  client = new RaftvecClient(t.address, { retry: { maxAttempts: 1 } });
  const { proto } = loadVectorProto();
  raw = new proto.raftvec.v1.VectorService(t.address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  raw?.close();
  await t?.close();
});

/** A raw WriteStream: what it answered, waits for answers and for its status. */
class RawStream {
  readonly call: grpc.ClientDuplexStream<WriteStreamRequest, WriteStreamResponse__Output>;
  readonly answers: WriteStreamResponse__Output[] = [];
  /** How many answers had arrived when the status did. */
  answersAtStatus: number | undefined;
  readonly status: Promise<grpc.StatusObject>;
  #changed: () => void = () => undefined;

  constructor(service: VectorServiceClient = raw) {
    this.call = service.WriteStream({ deadline: Date.now() + 60_000 });
    this.call.on('data', (response: WriteStreamResponse__Output) => {
      this.answers.push(response);
      this.#changed();
    });
    this.call.on('error', () => undefined); // the status says it
    this.status = new Promise((resolve) =>
      this.call.on('status', (status: grpc.StatusObject) => {
        this.answersAtStatus = this.answers.length;
        resolve(status);
        this.#changed();
      }),
    );
  }

  send(request: WriteStreamRequest): void {
    this.call.write(request);
  }

  /** Resolves once `count` answers have arrived; fails if the stream ends first. */
  async waitForAnswers(count: number): Promise<WriteStreamResponse__Output[]> {
    while (this.answers.length < count) {
      if (this.answersAtStatus !== undefined)
        throw new Error(
          `the stream ended (${(await this.status).code}) after ${this.answers.length} of ${count} answers`,
        );
      await new Promise<void>((resolve) => (this.#changed = resolve));
    }
    return this.answers;
  }

  /** Sends `request` and waits for the answer with its id. */
  async ask(request: WriteStreamRequest): Promise<WriteStreamResponse__Output> {
    const seen = this.answers.length;
    this.send(request);
    for (let n = seen + 1; ; n++) {
      const answer = (await this.waitForAnswers(n))[n - 1]!;
      if (answer.requestId === Number(request.requestId)) return answer;
    }
  }

  /** Ends the client side and waits for the status. */
  async end(): Promise<grpc.StatusObject> {
    this.call.end();
    return this.status;
  }
}

/** A unary call on the raw client, settling with its ServiceError instead of rejecting. */
const unary = (
  method: 'Upsert' | 'Delete',
  request: unknown,
): Promise<WriteResponse__Output | grpc.ServiceError> =>
  new Promise((resolve) => {
    const fn = (raw as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
    fn.call(raw, request, { deadline: Date.now() + 30_000 }, (err: unknown, res: unknown) =>
      resolve((err ?? res) as WriteResponse__Output | grpc.ServiceError),
    );
  });

const point = (id: string, vector: number[]) => ({ id, vector });

describe('a raw WriteStream', () => {
  const C = 'raw';
  beforeAll(async () => {
    await client.createCollection(C, { dimension: 3 });
    await client.upsert(
      C,
      ['old-0', 'old-1', 'old-2', 'old-3'].map((id, i) => point(id, [i, i, i])),
    );
  });

  it('answers every concurrent write once, with its id and a log index of its own', async () => {
    const s = new RawStream();
    // ids above 2^32: they are uint64 and must come back exactly
    const base = 5_000_000_000;
    const sent = new Map<number, 'upsert' | 'delete'>();
    for (let i = 0; i < 50; i++) {
      sent.set(base + i, 'upsert');
      s.send({
        requestId: base + i,
        upsert: { collection: C, points: [point(`s${i}`, [i, -i, i / 2])] },
      });
    }
    for (let i = 0; i < 3; i++) {
      sent.set(base + 100 + i, 'delete');
      s.send({ requestId: base + 100 + i, delete: { collection: C, ids: [`old-${i}`] } });
    }
    const answers = await s.waitForAnswers(sent.size);
    expect(answers.map((a) => a.requestId).sort()).toEqual([...sent.keys()].sort());
    for (const a of answers) {
      expect(a.outcome, JSON.stringify(a.error)).toBe('ok');
      expect(a.error ?? null).toBeNull();
      expect(a.ok).toEqual(
        sent.get(a.requestId) === 'upsert'
          ? { upserted: 1, deleted: 0, updated: 0, logIndex: expect.any(Number) }
          : { upserted: 0, deleted: 1, updated: 0, logIndex: expect.any(Number) },
      );
    }
    const indexes = answers.map((a) => a.ok!.logIndex);
    expect(indexes.every((i) => Number.isInteger(i) && i > 0)).toBe(true);
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(t.node.stateMachine.appliedIndex).toBeGreaterThanOrEqual(Math.max(...indexes));

    expect(await client.count(C)).toBe(50 + 1);
    const got = await client.get(C, ['s0', 's49', 'old-0', 'old-3']);
    expect(got.map((p) => p.id)).toEqual(['s0', 's49', 'old-3']);
    expect(got[1]!.vector).toEqual(Float32Array.from([49, -49, 24.5]));
    expect((await s.end()).code).toBe(grpc.status.OK);
  });

  it('answers a bad write with the code and message of the unary call; the stream goes on', async () => {
    const s = new RawStream();
    const appliedBefore = t.node.stateMachine.appliedIndex;
    const cases: Array<[string, 'Upsert' | 'Delete', Record<string, unknown>, grpc.status]> = [
      [
        'wrong dimension',
        'Upsert',
        { collection: C, points: [point('short', [1, 2])] },
        grpc.status.INVALID_ARGUMENT,
      ],
      [
        'missing collection',
        'Upsert',
        { collection: 'no-such-collection', points: [point('a', [1, 2, 3])] },
        grpc.status.NOT_FOUND,
      ],
      ['delete without ids', 'Delete', { collection: C, ids: [] }, grpc.status.INVALID_ARGUMENT],
      [
        'bad session',
        'Upsert',
        {
          collection: C,
          points: [point('seq0', [1, 2, 3])],
          options: { clientId: 'someone', sequence: 0 },
        },
        grpc.status.INVALID_ARGUMENT,
      ],
    ];
    let id = 0;
    for (const [what, method, request, code] of cases) {
      const expected = (await unary(method, request)) as grpc.ServiceError;
      expect(expected.code, `${what}: the unary call`).toBe(code);
      const answer = await s.ask({
        requestId: ++id,
        ...(method === 'Upsert' ? { upsert: request } : { delete: request }),
      });
      expect(answer.outcome, what).toBe('error');
      expect(answer.ok ?? null).toBeNull();
      expect(answer.error, what).toEqual({ code, message: expected.details, details: {} });
      expect(answer.error!.message, what).not.toBe('');
    }
    const neither = await s.ask({ requestId: ++id, timeoutMs: 5_000 });
    expect(neither.error).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      message: expect.stringMatching(/holds an upsert or a delete/),
    });
    // nothing of it entered the log
    expect(t.node.stateMachine.appliedIndex).toBe(appliedBefore);

    const good = await s.ask({
      requestId: id + 1,
      upsert: { collection: C, points: [point('after-errors', [7, 8, 9])] },
    });
    expect(good.ok).toMatchObject({ upserted: 1, logIndex: appliedBefore + 1 });
    expect((await client.get(C, ['after-errors', 'short'])).map((p) => p.id)).toEqual([
      'after-errors',
    ]);
    expect((await s.end()).code).toBe(grpc.status.OK);
  });

  it('after the client ends its side, answers every write still in flight, then ends OK', async () => {
    const s = new RawStream();
    for (let i = 1; i <= 20; i++)
      s.send({ requestId: i, upsert: { collection: C, points: [point(`end-${i}`, [i, i, i])] } });
    s.send({ requestId: 21, delete: { collection: C, ids: ['old-3'] } });
    // ended at once, before any answer can have come
    s.call.end();
    const status = await s.status;
    expect(status.code, status.details).toBe(grpc.status.OK);
    expect(s.answersAtStatus).toBe(21);
    expect(s.answers.map((a) => a.requestId).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    expect(s.answers.every((a) => a.outcome === 'ok')).toBe(true);
    expect(await client.count(C)).toBe(51 + 1 + 20 - 1);

    // a stream ended with nothing sent ends OK too
    expect((await new RawStream().end()).code).toBe(grpc.status.OK);
  });

  it('a request whose bytes do not decode ends the stream with INVALID_ARGUMENT; the node keeps serving', async () => {
    const { packageDefinition } = loadVectorProto();
    const method = (packageDefinition['raftvec.v1.VectorService'] as grpc.ServiceDefinition)
      .WriteStream!;
    const plain = new grpc.Client(t.address, grpc.credentials.createInsecure());
    try {
      const call = plain.makeBidiStreamRequest(
        WRITE_STREAM_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        { deadline: Date.now() + 30_000 },
      );
      const answers: WriteStreamResponse__Output[] = [];
      let firstAnswer!: () => void;
      const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
      call.on('data', (b: Buffer) => {
        answers.push(method.responseDeserialize(b) as WriteStreamResponse__Output);
        firstAnswer();
      });
      call.on('error', () => undefined);
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));

      // a well-formed request first, on the same raw stream
      call.write(
        method.requestSerialize({
          requestId: 1,
          upsert: { collection: C, points: [point('before-garbage', [1, 1, 1])] },
        }),
      );
      await answered;
      expect(answers).toEqual([expect.objectContaining({ requestId: 1, outcome: 'ok' })]);

      call.write(Buffer.from([0xff, 0xff, 0xff]));
      const end = await status;
      expect(end.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(end.details).toMatch(/WriteStream request is not a valid protobuf message/);
      expect(answers).toHaveLength(1);
    } finally {
      plain.close();
    }
    // the node serves new streams and calls
    const s = new RawStream();
    const after = await s.ask({
      requestId: 1,
      upsert: { collection: C, points: [point('after-garbage', [2, 2, 2])] },
    });
    expect(after.outcome).toBe('ok');
    expect((await s.end()).code).toBe(grpc.status.OK);
    expect((await client.get(C, ['before-garbage', 'after-garbage'])).map((p) => p.id)).toEqual([
      'before-garbage',
      'after-garbage',
    ]);
  });
});

/** An interceptor that records the path of every call its client makes. */
const recordPaths =
  (paths: string[]): grpc.Interceptor =>
  (options, nextCall) => {
    paths.push(options.method_definition.path);
    return new grpc.InterceptingCall(nextCall(options));
  };

/** `p`'s error (a RaftvecClientError); fails if it succeeds. */
const failure = (p: Promise<unknown>): Promise<RaftvecClientError> =>
  p.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(RaftvecClientError);
      return err as RaftvecClientError;
    },
  );

describe('RaftvecClient', () => {
  it('gives the same results over the stream (default) and over unary calls', async () => {
    const run = async (writeStream: boolean | undefined) => {
      const C = `same-${writeStream ?? 'default'}`;
      const paths: string[] = [];
      const c = new RaftvecClient(t.address, {
        retry: { maxAttempts: 1 },
        channelOptions: { interceptors: [recordPaths(paths)] },
        ...(writeStream !== undefined && { writeStream }),
      });
      try {
        const created = await c.createCollection(C, { dimension: 3 });
        const writes = [
          await c.upsert(C, [point('a', [1, 2, 3]), point('b', [4, 5, 6]), point('c', [0, 0, 1])]),
          await c.upsert(C, [point('a', [3, 2, 1])]),
          await c.delete(C, ['b', 'not-there']),
          await c.delete(C, ['nothing']),
        ];
        const errors = await Promise.all([
          failure(c.upsert(C, [point('short', [1, 2])])),
          failure(c.upsert('no-such-collection', [point('x', [1, 2, 3])])),
          failure(c.delete(C, [''])),
        ]);
        const indexes = [created.logIndex, ...writes.map((w) => w.logIndex)];
        expect(indexes).toEqual([...indexes].sort((x, y) => x - y));
        expect(new Set(indexes).size).toBe(indexes.length);
        return {
          results: writes.map(({ logIndex: _, ...rest }) => rest),
          errors: errors.map((e) => ({ code: e.code, message: e.message, details: e.details })),
          points: await c.get(C, ['a', 'b', 'c']),
          count: await c.count(C),
          lastSequence: c.lastSequence,
          writePaths: paths.filter((p) => !/\/(Get|Count|CreateCollection)$/.test(p)),
        };
      } finally {
        c.close();
      }
    };
    const streamed = await run(undefined);
    const unaryCalls = await run(false);

    expect(streamed.results).toEqual([
      { upserted: 3 },
      { upserted: 1 },
      { deleted: 1 },
      { deleted: 0 },
    ]);
    expect(streamed.errors.map((e) => e.code)).toEqual([
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'INVALID_ARGUMENT',
    ]);
    expect(streamed.errors[0]!.message).toMatch(/"short".*2 values.*dimension is 3/);
    expect(streamed.count).toBe(2);
    const { writePaths: streamedPaths, ...streamedRest } = streamed;
    const { writePaths: unaryPaths, ...unaryRest } = unaryCalls;
    expect(streamedRest).toEqual(unaryRest);
    // one stream carried every write; the other client made a call per write
    expect(streamedPaths).toEqual([WRITE_STREAM_PATH]);
    expect(unaryPaths.filter((p) => p.endsWith('/Upsert'))).toHaveLength(4);
    expect(unaryPaths.filter((p) => p.endsWith('/Delete'))).toHaveLength(3);
    expect(unaryPaths).not.toContain(WRITE_STREAM_PATH);
  });

  it('falls back to unary calls on a server without WriteStream (UNIMPLEMENTED)', async () => {
    const { proto } = loadVectorProto();
    const upserts: number[] = [];
    const server = new grpc.Server();
    server.addService(proto.raftvec.v1.VectorService.service, {
      Upsert: (
        call: grpc.ServerUnaryCall<{ points: unknown[] }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        upserts.push(call.request.points.length);
        callback(null, { upserted: call.request.points.length, deleted: 0, logIndex: 7 });
      },
    } as unknown as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const paths: string[] = [];
    const c = new RaftvecClient(`127.0.0.1:${port}`, {
      retry: { maxAttempts: 1 },
      channelOptions: { interceptors: [recordPaths(paths)] },
    });
    try {
      expect(await c.upsert('old', [point('a', [1, 2]), point('b', [3, 4])])).toEqual({
        upserted: 2,
        logIndex: 7,
      });
      expect(upserts).toEqual([2]);
      expect(await c.upsert('old', [point('c', [5, 6])])).toEqual({ upserted: 1, logIndex: 7 });
      expect(upserts).toEqual([2, 1]);
      // the stream was tried once; the server is remembered as one without it
      expect(paths.filter((p) => p === WRITE_STREAM_PATH)).toHaveLength(1);
      // what the fake does not implement at all is still UNIMPLEMENTED
      expect((await failure(c.delete('old', ['a']))).code).toBe('UNIMPLEMENTED');
    } finally {
      c.close();
      server.forceShutdown();
    }
  });

  it('opens a new stream after the connection under one drops, and the write applies once', async () => {
    const C = 'reconnect';
    await client.createCollection(C, { dimension: 2 });
    const proxy = await TcpProxy.start(t.address);
    const paths: string[] = [];
    const c = new RaftvecClient(proxy.address, {
      retry: { maxAttempts: 20, initialBackoffMs: 25, maxBackoffMs: 250 },
      channelOptions: { interceptors: [recordPaths(paths)] },
    });
    try {
      expect((await c.upsert(C, [point('first', [1, 1])])).upserted).toBe(1);
      proxy.cut();
      proxy.heal();
      const second = await c.upsert(C, [point('second', [2, 2])]);
      expect(second.upserted).toBe(1);
      expect(await client.count(C)).toBe(2);
      expect(paths.filter((p) => p === WRITE_STREAM_PATH).length).toBeGreaterThanOrEqual(2);
      expect(paths.filter((p) => !p.endsWith('/WriteStream'))).toEqual([]);
    } finally {
      c.close();
      await proxy.close();
    }
  });
});

describe('on a follower of a three-node cluster', () => {
  const nodes: NodeHandle[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('a streamed write is answered UNAVAILABLE with the leader address; the client follows it', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const peers = new Map<string, string>();
    for (const id of ids) peers.set(id, `127.0.0.1:${await freePort()}`);
    for (const id of ids) dirs.push(await mkdtemp(join(tmpdir(), `raftvec-ws-${id}-`)));
    const logs: string[] = [];
    const started = await Promise.all(
      ids.map((id, i) =>
        startNode({
          id,
          peers,
          listen: peers.get(id)!,
          dataDir: dirs[i]!,
          clusterSecret: 'write-stream-test-secret',
          announce: false,
          log: (line) => logs.push(line),
        }),
      ),
    );
    nodes.push(...started);
    const leaderId = await waitFor('a leader all three nodes agree on', () => {
      const statuses = nodes.map((n) => n.runtime.status());
      const leader = statuses.find((s) => s.role === 'leader');
      return leader && statuses.every((s) => s.leaderId === leader.id) ? leader.id : undefined;
    });
    const leaderAddress = peers.get(leaderId)!;
    const followerAddress = peers.get(ids.find((id) => id !== leaderId)!)!;
    await waitForServing(followerAddress);

    const { proto } = loadVectorProto();
    const follower = new proto.raftvec.v1.VectorService(
      followerAddress,
      grpc.credentials.createInsecure(),
    );
    try {
      const s = new RawStream(follower);
      const answer = await s.ask({
        requestId: 1,
        upsert: { collection: 'docs', points: [point('a', [1, 2, 3])] },
      });
      expect(answer.error).toMatchObject({
        code: grpc.status.UNAVAILABLE,
        details: { [LEADER_ADDRESS_KEY]: leaderAddress, [LEADER_ID_KEY]: leaderId },
      });
      expect(answer.error!.message).toContain(leaderId);
      expect((await s.end()).code).toBe(grpc.status.OK);
    } finally {
      follower.close();
    }

    // Given only the follower, the client follows the hint, stream and all.
    const c = new RaftvecClient(followerAddress, { deadlineMs: 20_000 });
    try {
      await c.createCollection('docs', { dimension: 3 });
      expect((await c.upsert('docs', [point('a', [1, 2, 3])])).upserted).toBe(1);
      expect(c.address).toBe(leaderAddress);
      expect(await c.count('docs')).toBe(1);
    } finally {
      c.close();
    }
  });
});

describe('a node that starts or stops', () => {
  it('answers a WriteStream opened while it loads with UNAVAILABLE, saying it is starting', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'raftvec-ws-loading-'));
    const port = await freePort();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let loading!: () => void;
    const loadingStarted = new Promise<void>((resolve) => (loading = resolve));
    const starting = startNode({
      listen: `127.0.0.1:${port}`,
      dataDir,
      announce: false,
      log: () => undefined,
      onLoadProgress: async () => {
        loading();
        await gate;
      },
    });
    await loadingStarted;
    const { proto } = loadVectorProto();
    const service = new proto.raftvec.v1.VectorService(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const s = new RawStream(service);
      s.send({ requestId: 1, upsert: { collection: 'x', points: [point('a', [1])] } });
      const status = await s.status;
      expect(status.code).toBe(grpc.status.UNAVAILABLE);
      expect(status.details).toMatch(/is starting/);
    } finally {
      release();
      const node = await starting;
      service.close();
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('ends an open WriteStream with OK when it stops, after answering its writes, instead of holding the shutdown', async () => {
    // With a grace time far beyond the test's own timeout: a stream left open would
    // hold the stop for all of it, then be cut (a status other than OK).
    const node = await startTestNode({ shutdownGraceMs: 600_000 });
    await waitForServing(node.address);
    const writer = new RaftvecClient(node.address);
    const { proto } = loadVectorProto();
    const service = new proto.raftvec.v1.VectorService(
      node.address,
      grpc.credentials.createInsecure(),
    );
    try {
      await writer.createCollection('stopping', { dimension: 2 });
      const s = new RawStream(service);
      const answer = await s.ask({
        requestId: 1,
        upsert: { collection: 'stopping', points: [point('a', [1, 2])] },
      });
      expect(answer.ok?.upserted).toBe(1);
      await node.close();
      expect((await s.status).code).toBe(grpc.status.OK);
    } finally {
      writer.close();
      service.close();
    }
  });
});
