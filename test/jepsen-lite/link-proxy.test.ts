/**
 * LinkProxy against a real TCP server on loopback: open (with and without delay),
 * drop, stall and heal, and close. Conditions are waited for, never slept for;
 * "nothing arrived" is checked only once the proxy has provably taken the bytes
 * (it asks for a delay per chunk it accepts) and a round trip through another
 * proxy to the same server has completed.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LinkProxy } from '../../jepsen-lite/link-proxy.js';
import { Rng } from '../../jepsen-lite/random.js';
import { waitFor } from '../support/processes.js';

/** One connection as the server sees it. */
interface ServerConn {
  socket: Socket;
  received: Buffer[];
  closed: boolean;
}

const text = (chunks: readonly Buffer[]): string => Buffer.concat(chunks).toString('latin1');

/** A TCP server on loopback that records what each connection sends and (if `echo`) sends it back. */
class EchoServer {
  readonly conns: ServerConn[] = [];
  echo = true;

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  static async start(): Promise<EchoServer> {
    const holder: { self?: EchoServer } = {};
    const server = createServer((socket) => {
      const self = holder.self!;
      const conn: ServerConn = { socket, received: [], closed: false };
      const echo = self.echo;
      self.conns.push(conn);
      socket.on('data', (bytes: Buffer) => {
        conn.received.push(bytes);
        if (echo) socket.write(bytes);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => (conn.closed = true));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const bound = server.address();
    if (typeof bound !== 'object' || bound === null) throw new Error('echo server did not bind');
    holder.self = new EchoServer(server, `127.0.0.1:${bound.port}`);
    return holder.self;
  }

  async close(): Promise<void> {
    for (const conn of this.conns) conn.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A client connection that records what it receives and how it ended. */
class Client {
  readonly socket: Socket;
  readonly received: Buffer[] = [];
  closed = false;
  error: NodeJS.ErrnoException | undefined;

  constructor(address: string) {
    const separator = address.lastIndexOf(':');
    this.socket = connect(Number(address.slice(separator + 1)), address.slice(0, separator));
    this.socket.setNoDelay(true);
    this.socket.on('data', (bytes: Buffer) => this.received.push(bytes));
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err));
    this.socket.on('close', () => (this.closed = true));
  }

  get text(): string {
    return text(this.received);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Writes `data` and waits until the echo of everything so far is exactly `expected`. */
  async roundTrip(data: string, expected: string): Promise<void> {
    this.write(data);
    await waitFor(`echo "${expected}" (have "${this.text}")`, () => this.text === expected);
  }
}

const servers: EchoServer[] = [];
const proxies: LinkProxy[] = [];
const clients: Client[] = [];

async function echoServer(): Promise<EchoServer> {
  const server = await EchoServer.start();
  servers.push(server);
  return server;
}

async function proxyTo(server: EchoServer, seed = 1): Promise<LinkProxy> {
  const proxy = await LinkProxy.start('a', 'b', server.address, new Rng(seed));
  proxies.push(proxy);
  return proxy;
}

function client(address: string): Client {
  const c = new Client(address);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  vi.restoreAllMocks();
});

describe('LinkProxy', () => {
  it('listens on loopback and passes bytes in order both ways when open', async () => {
    const server = await echoServer();
    const proxy = await proxyTo(server);
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxy.address).not.toBe(server.address);
    expect(proxy.mode).toBe('open');
    expect([proxy.from, proxy.to]).toEqual(['a', 'b']);

    const c = client(proxy.address);
    await c.roundTrip('hello', 'hello');
    // a large binary payload, split by TCP into many chunks on the way
    const big = randomBytes(512 * 1024);
    c.write(big);
    await waitFor('the big echo', () => Buffer.concat(c.received).length >= 5 + big.length);
    expect(Buffer.concat(c.received).equals(Buffer.concat([Buffer.from('hello'), big]))).toBe(true);
    expect(Buffer.concat(server.conns[0]!.received).subarray(5).equals(big)).toBe(true);

    // the server can speak first, too
    server.conns[0]!.socket.write('from the server');
    await waitFor('the server push', () => c.text.endsWith('from the server'));
    expect(server.conns).toHaveLength(1);
  });

  it('with delay and jitter, keeps every byte and its order in both directions', async () => {
    const server = await echoServer();
    server.echo = false;
    const proxy = await proxyTo(server, 7);
    proxy.setDelay(30, 20);
    const delays = vi.spyOn(proxy, 'nextDelayMs');
    const c = client(proxy.address);
    await waitFor('the proxied connection', () => server.conns.length === 1);
    const conn = server.conns[0]!;

    // One chunk at a time: the next write only once the proxy took the previous one
    // as its own chunk, so each chunk gets its own random delay.
    const send = async (write: (data: string) => void, count: number, tag: string) => {
      let expected = '';
      for (let i = 0; i < count; i++) {
        const before = delays.mock.calls.length;
        const data = `${tag}${i};`;
        expected += data;
        write(data);
        await waitFor(`the proxy to take ${data}`, () => delays.mock.calls.length > before, {
          intervalMs: 1,
        });
      }
      return expected;
    };

    const up = await send((d) => c.write(d), 60, 'c');
    await waitFor('all client chunks at the server', () => text(conn.received).length >= up.length);
    expect(text(conn.received)).toBe(up);

    const down = await send((d) => conn.socket.write(d), 60, 's');
    await waitFor('all server chunks at the client', () => c.text.length >= down.length);
    expect(c.text).toBe(down);

    // every chunk was given a delay within delay ± jitter, and they differ
    const given = delays.mock.results.map((r) => r.value as number);
    expect(given.length).toBeGreaterThanOrEqual(120);
    for (const d of given) {
      expect(d).toBeGreaterThanOrEqual(10);
      expect(d).toBeLessThanOrEqual(50);
    }
    expect(new Set(given).size).toBeGreaterThan(1);

    proxy.setDelay(0, 0);
    expect(proxy.nextDelayMs()).toBe(0);
  });

  it('with delay and jitter, echoes a burst of small writes complete and in order', async () => {
    const server = await echoServer();
    const proxy = await proxyTo(server, 3);
    proxy.setDelay(30, 20);
    const c = client(proxy.address);
    let expected = '';
    for (let i = 0; i < 200; i++) {
      const data = `<${i}>`;
      expected += data;
      c.write(data);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor('the whole echo', () => c.text.length >= expected.length);
    expect(c.text).toBe(expected);
    expect(text(server.conns[0]!.received)).toBe(expected);
  });

  it('drop resets open connections and refuses new ones until heal', async () => {
    const server = await echoServer();
    const proxy = await proxyTo(server);
    const c = client(proxy.address);
    await c.roundTrip('before', 'before');
    const conn = server.conns[0]!;

    proxy.drop();
    expect(proxy.mode).toBe('drop');
    await waitFor('the client connection to be reset', () => c.closed);
    expect(c.error?.code).toBe('ECONNRESET');
    await waitFor('the upstream connection to close', () => conn.closed);

    // a new connection is accepted by the kernel, then reset by the proxy; it never reaches the server
    const refused = client(proxy.address);
    refused.write('lost');
    await waitFor('the new connection to be reset', () => refused.closed);
    expect(refused.text).toBe('');
    expect(server.conns).toHaveLength(1);
    expect(text(conn.received)).toBe('before');

    proxy.heal();
    expect(proxy.mode).toBe('open');
    const after = client(proxy.address);
    await after.roundTrip('after', 'after');
    expect(server.conns).toHaveLength(2);
    expect(text(server.conns[1]!.received)).toBe('after');
  });

  it('stall holds bytes in both directions, and heal delivers exactly them, in order', async () => {
    const server = await echoServer();
    const stalled = await proxyTo(server, 5);
    const control = await proxyTo(server, 6);
    const c = client(stalled.address);
    await c.roundTrip('hello', 'hello');
    const conn = server.conns[0]!;
    const other = client(control.address);
    await other.roundTrip('x', 'x');

    const taken = vi.spyOn(stalled, 'nextDelayMs');
    stalled.stall();
    expect(stalled.mode).toBe('stall');
    c.write('held-1;');
    await waitFor('the proxy to take held-1', () => taken.mock.calls.length === 1);
    c.write('held-2;');
    await waitFor('the proxy to take held-2', () => taken.mock.calls.length === 2);
    conn.socket.write('push;');
    await waitFor('the proxy to take push', () => taken.mock.calls.length === 3);

    // A few round trips through the other proxy to the same server: anything the
    // stalled proxy had let through would have arrived by now.
    await other.roundTrip('y', 'xy');
    await other.roundTrip('z', 'xyz');
    expect(text(conn.received)).toBe('hello');
    expect(c.text).toBe('hello');
    expect(c.closed).toBe(false);
    expect(conn.closed).toBe(false);

    stalled.heal();
    expect(stalled.mode).toBe('open');
    await waitFor('the held bytes at the server', () => text(conn.received).length >= 19);
    expect(text(conn.received)).toBe('helloheld-1;held-2;');
    // the held push comes first (delivered on heal), then the echo of the held bytes
    await c.roundTrip('tail', 'hellopush;held-1;held-2;tail');
    expect(text(conn.received)).toBe('helloheld-1;held-2;tail');
  });

  it('a connection opened while stalled is held too, and works after heal', async () => {
    const server = await echoServer();
    const proxy = await proxyTo(server);
    const taken = vi.spyOn(proxy, 'nextDelayMs');
    proxy.stall();
    const c = client(proxy.address);
    c.write('early');
    await waitFor('the proxy to take the bytes', () => taken.mock.calls.length >= 1);
    await waitFor('the upstream connection', () => server.conns.length === 1);
    const control = client(server.address);
    await control.roundTrip('ping', 'ping');
    expect(text(server.conns[0]!.received)).toBe('');
    proxy.heal();
    await waitFor('the echo after heal', () => c.text === 'early');
  });

  it('a sender that closes while its bytes are held still has them delivered, then its FIN', async () => {
    for (const hold of ['delay', 'stall'] as const) {
      const server = await echoServer();
      server.echo = false;
      const proxy = await proxyTo(server);
      if (hold === 'delay') proxy.setDelay(30, 0);
      const c = client(proxy.address);
      await waitFor('the server to accept', () => server.conns.length === 1);
      if (hold === 'stall') proxy.stall();
      c.socket.end('last words');
      if (hold === 'stall') {
        await waitFor('the client to finish sending', () => c.socket.writableFinished);
        proxy.heal();
      }
      const conn = server.conns[0]!;
      await waitFor(`the held bytes (${hold})`, () => text(conn.received) === 'last words');
      await waitFor(`the FIN after them (${hold})`, () => conn.socket.readableEnded);
    }
  });

  it('close() resets its connections and stops listening', async () => {
    const server = await echoServer();
    const proxy = await proxyTo(server);
    const c = client(proxy.address);
    await c.roundTrip('hi', 'hi');
    await proxy.close();
    await waitFor('the client connection to close', () => c.closed);
    await waitFor('the upstream connection to close', () => server.conns[0]!.closed);
    const late = client(proxy.address);
    await waitFor('the late connection to fail', () => late.closed);
    expect(late.error?.code).toBe('ECONNREFUSED');
  });
});
