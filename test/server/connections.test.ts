/**
 * Connection limits (src/server/connection-limits.ts): idle and half-open
 * connections are closed, connections past the limit are refused while the open
 * ones keep working, each connection advertises its stream limit, and shutdown
 * closes everything the node listens on. Short timeouts make the tests quick; every
 * wait is for an event, none for a time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import {
  bindServer,
  createGrpcServer,
  shutdownServer,
  type RaftvecServer,
} from '../../src/server/grpc-server.js';
import {
  ConnectionLimitError,
  DEFAULT_CONNECTION_LIMITS,
  HTTP2_DEFAULT_WINDOW,
  resolveConnectionLimits,
  type ConnectionLimits,
} from '../../src/server/connection-limits.js';
import type { VectorServiceHandlers } from '../../src/generated/raftvec/v1/VectorService.js';
import {
  PeerTransport,
  raftPeerServer,
  raftPeerServiceDefinition,
} from '../../src/raft/runtime/peer-transport.js';
import type { Message } from '../../src/raft/types.js';
import { startTestNode } from '../support/in-process.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(
  limits: Partial<ConnectionLimits>,
  setup: (server: RaftvecServer) => void = () => undefined,
): Promise<{ server: RaftvecServer; address: string; logged: string[] }> {
  const logged: string[] = [];
  // No VectorService handlers: these tests only need the health service, which
  // createGrpcServer adds, and the connections themselves.
  const { server } = createGrpcServer({} as VectorServiceHandlers, {
    connectionLimits: limits,
    log: (message) => logged.push(message),
  });
  setup(server);
  const address = await bindServer(server, '127.0.0.1:0');
  cleanups.push(() => server.forceShutdown());
  return { server, address, logged };
}

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');

function healthClient(address: string): grpc.Client {
  // A connection of its own: grpc-js otherwise shares one between clients of an address.
  const client = new HealthClient(address, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  cleanups.push(() => client.close());
  return client;
}

/** One Health.Check call; resolves the serving status. */
function check(client: grpc.Client): Promise<string> {
  const method = healthService['Check']!;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      (bytes: Buffer) => method.responseDeserialize(bytes) as { status: string },
      { service: '' },
      { deadline: Date.now() + 30_000 },
      (err, response) => (err ? reject(err) : resolve(response!.status)),
    ),
  );
}

/** Resolves once the channel leaves `state`, with the state it moved to. */
function nextState(
  client: grpc.Client,
  state: grpc.connectivityState,
): Promise<grpc.connectivityState> {
  const channel = client.getChannel();
  return new Promise((resolve, reject) =>
    channel.watchConnectivityState(state, Date.now() + 60_000, (err) =>
      err ? reject(err) : resolve(channel.getConnectivityState(false)),
    ),
  );
}

/** A plain HTTP/2 session, resolved once the server has answered with its SETTINGS. */
async function http2Session(address: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => undefined);
  cleanups.push(() => session.destroy());
  await once(session, 'remoteSettings');
  return session;
}

/** A TCP connection that sends nothing; records whatever the server sends. */
async function rawSocket(address: string): Promise<{ socket: net.Socket; received: Buffer[] }> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const socket = net.connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  return { socket, received };
}

const closed = (emitter: net.Socket | http2.ClientHttp2Session): Promise<unknown> =>
  emitter.destroyed ? Promise.resolve() : once(emitter, 'close');

const ping = (session: http2.ClientHttp2Session): Promise<void> =>
  new Promise((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));

describe('connection limits', () => {
  it('closes an idle connection, but not one with an open stream (a peer Raft stream)', async () => {
    const delivered: Message[] = [];
    let deliverCalls = 0;
    const { address } = await startServer({ idleTimeoutMs: 200 }, (server) => {
      const peer = raftPeerServer({
        selfId: 'n2',
        clusterSecret: 'secret',
        deliver: (m) => delivered.push(m),
      });
      const deliver = peer.handlers['Deliver'] as grpc.handleClientStreamingCall<unknown, unknown>;
      server.addService(raftPeerServiceDefinition(), {
        Deliver: (
          call: grpc.ServerReadableStream<unknown, unknown>,
          cb: grpc.sendUnaryData<unknown>,
        ) => {
          deliverCalls += 1;
          deliver(call, cb);
        },
      });
      cleanups.push(() => peer.disconnectAll());
    });
    const transport = new PeerTransport(new Map([['n2', address]]), 'secret');
    cleanups.push(() => transport.close());
    const preVote = (term: number): Message => ({
      type: 'PreVote',
      from: 'n1',
      to: 'n2',
      term,
      lastLogIndex: 0,
      lastLogTerm: 0,
    });
    transport.send([preVote(1)]);
    await vi.waitFor(() => expect(delivered).toHaveLength(1), { timeout: 30_000 });

    // A client whose only call is over: its connection is idle and gets a GOAWAY,
    // which the channel sees as going IDLE.
    const client = healthClient(address);
    expect(await check(client)).toBe('NOT_SERVING');
    expect(await nextState(client, grpc.connectivityState.READY)).toBe(grpc.connectivityState.IDLE);
    // The same from a bare HTTP/2 connection, opened after the peer's stream: once
    // it is closed as idle, the peer's connection has been idle-checked too.
    const bare = await http2Session(address);
    const [goawayCode] = (await once(bare, 'goaway')) as [number];
    expect(goawayCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await closed(bare);

    // The peer's stream survived: the next message goes over the same call.
    transport.send([preVote(2)]);
    await vi.waitFor(() => expect(delivered).toHaveLength(2), { timeout: 30_000 });
    expect(deliverCalls).toBe(1);
    // An idle-closed client just reconnects on its next call.
    expect(await check(client)).toBe('NOT_SERVING');
  });

  it('refuses a connection past maxConnections; the open ones keep working', async () => {
    const { server, address, logged } = await startServer({ maxConnections: 3 });
    const client = healthClient(address);
    expect(await check(client)).toBe('NOT_SERVING');
    const first = await http2Session(address);
    await http2Session(address);
    expect(server.connectionStats().open).toBe(3);

    // The fourth is accepted by TCP and closed at once, before any HTTP/2 byte.
    const { socket, received } = await rawSocket(address);
    await closed(socket);
    expect(received).toEqual([]);
    // A gRPC client sees it as UNAVAILABLE.
    const refusedClient = healthClient(address);
    await expect(check(refusedClient)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(server.connectionStats().refused).toBeGreaterThanOrEqual(2);
    expect(logged.join('\n')).toMatch(/refusing connections: 3 open.*is 3/);

    // The connections admitted before keep working.
    expect(await check(client)).toBe('NOT_SERVING');
    expect(client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    await ping(first);

    // A closed connection frees its slot.
    first.close();
    await vi.waitFor(() => expect(server.connectionStats().open).toBe(2), { timeout: 30_000 });
    const again = await http2Session(address);
    await ping(again);
  });

  it('closes a connection that never sends the HTTP/2 preface after handshakeTimeoutMs', async () => {
    const { server, address } = await startServer({ handshakeTimeoutMs: 200 });
    const admitted = await http2Session(address);

    const silent = await rawSocket(address);
    await closed(silent.socket);
    expect(silent.received).toEqual([]);
    expect(server.connectionStats().handshakeTimeouts).toBe(1);

    // Bytes that are not HTTP/2 close the connection without waiting for the timeout.
    const http1 = await rawSocket(address);
    http1.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(http1.socket);
    expect(server.connectionStats()).toMatchObject({ badPrefaces: 1, handshakeTimeouts: 1 });

    // The connection that sent its preface, older than the silent one, is still up.
    expect(admitted.closed).toBe(false);
    await ping(admitted);
  });

  it('advertises maxConcurrentStreams in its HTTP/2 SETTINGS', async () => {
    const configured = await startServer({ maxConcurrentStreams: 7 });
    expect((await http2Session(configured.address)).remoteSettings.maxConcurrentStreams).toBe(7);
    const defaults = await startServer({});
    expect((await http2Session(defaults.address)).remoteSettings.maxConcurrentStreams).toBe(
      DEFAULT_CONNECTION_LIMITS.maxConcurrentStreams,
    );
  });

  it('gives each stream and each connection the receive window receiveWindowBytes', async () => {
    for (const [limits, window] of [
      [{}, DEFAULT_CONNECTION_LIMITS.receiveWindowBytes],
      [{ receiveWindowBytes: 3 << 20 }, 3 << 20],
    ] as const) {
      const { address } = await startServer(limits);
      const session = await http2Session(address);
      // The stream window comes in SETTINGS, the connection's in a WINDOW_UPDATE after them.
      expect(session.remoteSettings.initialWindowSize).toBe(window);
      while (session.state.remoteWindowSize !== window) {
        expect(session.state.remoteWindowSize).toBeLessThan(window);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    expect(DEFAULT_CONNECTION_LIMITS.receiveWindowBytes).toBeGreaterThan(HTTP2_DEFAULT_WINDOW);
    expect(() => resolveConnectionLimits({ receiveWindowBytes: HTTP2_DEFAULT_WINDOW - 1 })).toThrow(
      /receiveWindowBytes must be at least 65535/,
    );
  });

  it('forceShutdown closes the listener, admitted connections and pending handshakes', async () => {
    const { server, address } = await startServer({});
    const session = await http2Session(address);
    const pending = await rawSocket(address);
    server.forceShutdown();
    await Promise.all([closed(session), closed(pending.socket)]);
    const refused = net.connect({
      host: '127.0.0.1',
      port: Number(address.slice(address.lastIndexOf(':') + 1)),
    });
    const [err] = (await once(refused, 'error').catch((e: unknown) => [e])) as [
      NodeJS.ErrnoException,
    ];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('a node takes its limits from NodeOptions, and stop() closes what it listens on', async () => {
    const testNode = await startTestNode({ connectionLimits: { maxConcurrentStreams: 9 } });
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : testNode.close()));
    const session = await http2Session(testNode.address);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(9);
    const pending = await rawSocket(testNode.address);
    await testNode.close();
    stopped = true;
    await Promise.all([closed(session), closed(pending.socket)]);
    const refused = net.connect({ host: '127.0.0.1', port: testNode.node.port });
    const [err] = (await once(refused, 'error').catch((e: unknown) => [e])) as [
      NodeJS.ErrnoException,
    ];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('shutdownServer (tryShutdown) waits for the gate and resolves', async () => {
    const { server, address } = await startServer({});
    const pending = await rawSocket(address);
    await shutdownServer(server, 60_000);
    await closed(pending.socket);
  });

  it('rejects limits that are not positive integers, naming the option', () => {
    expect(resolveConnectionLimits({ maxConnections: 5 })).toEqual({
      ...DEFAULT_CONNECTION_LIMITS,
      maxConnections: 5,
    });
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => resolveConnectionLimits({ idleTimeoutMs: bad })).toThrow(ConnectionLimitError);
    }
    expect(() => resolveConnectionLimits({ maxConnections: 0 })).toThrow(/maxConnections/);
  });
});
