/**
 * Limits on the TCP/HTTP/2 connections of a node, so that idle, half-open or
 * simply too many connections cannot pin its memory and file descriptors.
 *
 * gRPC enforces the per-connection limits (keepalive, idle timeout, streams per
 * connection). It has no limit on the number of connections and no timeout
 * before the HTTP/2 preface, so the node owns its listening sockets
 * (`ConnectionGate`): it counts them, refuses those past the limit, waits for the
 * client's HTTP/2 preface with a deadline, and only then hands the socket to gRPC
 * (`Server.createConnectionInjector`).
 */
import type * as grpc from '@grpc/grpc-js';
import { lookup } from 'node:dns/promises';
import * as net from 'node:net';
import type { Logger } from './status.js';

export interface ConnectionLimits {
  /**
   * Open connections per node, clients and peers together (each peer holds one).
   * A connection past the limit is closed as soon as it is accepted.
   */
  maxConnections: number;
  /** Time a new connection has to send the HTTP/2 client preface before it is closed. */
  handshakeTimeoutMs: number;
  /** A connection without a call in progress for this long is closed (GOAWAY, then close). */
  idleTimeoutMs: number;
  /** Interval of the server's HTTP/2 keepalive pings, on every connection. */
  keepaliveTimeMs: number;
  /** A connection whose keepalive ping is not answered within this time is closed. */
  keepaliveTimeoutMs: number;
  /** Calls in progress at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: number;
  /**
   * HTTP/2 receive window, of each stream and of the whole connection: how many bytes
   * a sender may have in flight toward this node before it waits for the node to read
   * them. It bounds what a connection buffers here while its calls are not read.
   */
  receiveWindowBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  // Leaves room for the peers' streams and many clients, well below the descriptor
  // limit Node raises itself to at start-up.
  maxConnections: 1024,
  // A plaintext client sends its preface with the first packet; 10 s covers a slow
  // network, not a client that never speaks.
  handshakeTimeoutMs: 10_000,
  // Clients reconnect transparently after a GOAWAY, so closing idle connections costs
  // them one handshake. An open stream (each peer's Raft stream) is never idle.
  idleTimeoutMs: 5 * 60_000,
  // Finds half-open connections (the other end vanished without a FIN or RST) that an
  // open stream keeps from ever being idle.
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  // RFC 9113 §6.5.2 recommends no less than 100. Clients queue calls past the limit
  // rather than fail them.
  maxConcurrentStreams: 100,
  // HTTP/2's default of 64 KiB held replication to a busy follower near 1 MB/s and cut a
  // 600 KB upsert into ten round trips (a window per event-loop turn of the reader).
  receiveWindowBytes: 1 << 20,
});

/** HTTP/2's initial flow-control window (RFC 9113 §6.9.2). */
export const HTTP2_DEFAULT_WINDOW = 65_535;

/** A value out of range in ConnectionLimits. */
export class ConnectionLimitError extends RangeError {
  constructor(
    readonly option: keyof ConnectionLimits,
    value: unknown,
    requirement = 'a positive integer',
  ) {
    super(`connection limit ${option} must be ${requirement}, got ${String(value)}`);
    this.name = 'ConnectionLimitError';
  }
}

/** Defaults filled in; throws ConnectionLimitError on a value that is not a positive integer. */
export function resolveConnectionLimits(
  overrides: Partial<ConnectionLimits> = {},
): ConnectionLimits {
  const resolved: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS };
  for (const key of Object.keys(DEFAULT_CONNECTION_LIMITS) as (keyof ConnectionLimits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    // gRPC keeps its timers in 32-bit signed milliseconds and treats 2^31-1 as "never".
    if (!Number.isSafeInteger(value) || value < 1 || value >= 2 ** 31 - 1)
      throw new ConnectionLimitError(key, value);
    // HTTP/2 allows no window below its initial 65,535 bytes (RFC 9113 §6.9.2).
    if (key === 'receiveWindowBytes' && value < HTTP2_DEFAULT_WINDOW)
      throw new ConnectionLimitError(key, value, `at least ${HTTP2_DEFAULT_WINDOW}`);
    resolved[key] = value;
  }
  return resolved;
}

/** The limits that gRPC enforces itself, as server channel options. */
export function grpcConnectionOptions(limits: ConnectionLimits): grpc.ServerOptions {
  return {
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    // gRPC counts a connection as idle only while it has no open stream.
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
  };
}

/** What every HTTP/2 client sends first (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * What every TLS client sends first: a handshake record (content type 22) of TLS major
 * version 3 (RFC 8446 §5.1; TLS 1.0 to 1.3 all write 3 there).
 */
const TLS_HANDSHAKE_RECORD = Buffer.from([0x16, 0x03]);

/** How often refusals and accept errors are logged at most: a flood must not flood the log. */
const LOG_INTERVAL_MS = 10_000;

export interface ConnectionStats {
  /** Connections open now, waiting for their preface or handed to gRPC. */
  open: number;
  /** Closed on arrival because `maxConnections` were open. */
  refused: number;
  /** Closed because no HTTP/2 preface arrived within `handshakeTimeoutMs`. */
  handshakeTimeouts: number;
  /** Closed because their first bytes were not the HTTP/2 preface. */
  badPrefaces: number;
}

/** Where a gate sends the connections it admits (gRPC's ConnectionInjector). */
export interface ConnectionSink {
  injectConnection(connection: net.Socket): void;
}

/**
 * The node's listening sockets. Connections are counted from accept to close,
 * across every address the gate listens on.
 */
export class ConnectionGate {
  readonly #listeners: net.Server[] = [];
  /** Every open accepted socket, admitted or not yet. */
  readonly #sockets = new Set<net.Socket>();
  /** Sockets still waiting for their preface, with the cleanup that cancels the wait. */
  readonly #handshaking = new Map<net.Socket, () => void>();
  readonly #stats = { refused: 0, handshakeTimeouts: 0, badPrefaces: 0 };
  #closed = false;
  #closing: Promise<void> | undefined;
  /** When each kind of trouble was last logged. */
  readonly #loggedAt = new Map<'refused' | 'accept', number>();
  #unloggedRefusals = 0;

  constructor(
    private readonly sink: ConnectionSink,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    /**
     * What a connection opens with: the HTTP/2 preface, or with TLS on, the header of a
     * TLS handshake record (the ClientHello); the TLS handshake itself is then bounded
     * by the TLS server's own handshake timeout (tls.ts).
     */
    private readonly opening: 'http2' | 'tls' = 'http2',
  ) {}

  stats(): ConnectionStats {
    return { open: this.#sockets.size, ...this.#stats };
  }

  /**
   * Listens on every address `host` resolves to (as grpc-js's own bind does, so
   * `localhost` covers IPv4 and IPv6), all on one port; `port` 0 picks it. Resolves
   * the port bound. Fails only if no address could be bound.
   */
  async listen(host: string, port: number): Promise<number> {
    const addresses =
      net.isIP(host) !== 0
        ? [host]
        : [...new Set((await lookup(host, { all: true })).map((a) => a.address))];
    let boundPort = port;
    let firstError: Error | undefined;
    for (const address of addresses) {
      try {
        boundPort = await this.#listenOne(address, boundPort);
      } catch (err) {
        firstError ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (this.#listeners.length === 0) throw firstError ?? new Error(`${host} has no address`);
    return boundPort;
  }

  #listenOne(address: string, port: number): Promise<number> {
    const listener = net.createServer((socket) => this.#accept(socket));
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: address, port }, () => {
        listener.off('error', reject);
        if (this.#closed) {
          // Shut down while binding: this listener would outlive the server.
          listener.close();
          reject(new Error('the server was shut down while binding'));
          return;
        }
        // After listening, errors come from accept() (EMFILE when out of descriptors):
        // the listener keeps listening, and an unhandled 'error' would kill the node.
        listener.on('error', (err) =>
          this.#note('accept', `cannot accept a connection: ${err.message}`),
        );
        this.#listeners.push(listener);
        resolve((listener.address() as net.AddressInfo).port);
      });
    });
  }

  #accept(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    // Errors (a reset by the client) end in 'close', which is all that matters here;
    // without a listener they would be thrown.
    socket.on('error', () => undefined);
    if (this.#sockets.size >= this.limits.maxConnections) {
      this.#stats.refused += 1;
      this.#unloggedRefusals += 1;
      this.#note(
        'refused',
        `refusing connections: ${this.#sockets.size} open, the limit (maxConnections, ` +
          `--max-connections) is ${this.limits.maxConnections}`,
      );
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    this.#awaitPreface(socket);
  }

  /**
   * Reads the first 24 bytes without consuming them for good: once they are the
   * HTTP/2 preface, they go back into the socket (Node's HTTP/2 session reads what a
   * socket has buffered) and the socket goes to gRPC.
   */
  #awaitPreface(socket: net.Socket): void {
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      this.#handshaking.delete(socket);
    };
    const timer = setTimeout(() => {
      this.#stats.handshakeTimeouts += 1;
      stop();
      socket.destroy();
    }, this.limits.handshakeTimeoutMs);
    timer.unref();
    const onEnd = (): void => {
      stop();
      socket.destroy();
    };
    const onReadable = (): void => {
      for (let chunk: unknown; (chunk = socket.read()) !== null;) {
        chunks.push(chunk as Buffer);
        length += (chunk as Buffer).length;
      }
      const received = Buffer.concat(chunks, length);
      const expected = this.opening === 'tls' ? TLS_HANDSHAKE_RECORD : HTTP2_PREFACE;
      const compared = Math.min(received.length, expected.length);
      if (!received.subarray(0, compared).equals(expected.subarray(0, compared))) {
        this.#stats.badPrefaces += 1;
        stop();
        socket.destroy();
        return;
      }
      if (compared < expected.length) return;
      stop();
      socket.unshift(received);
      this.sink.injectConnection(socket);
    };
    this.#handshaking.set(socket, stop);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
  }

  /** Logs each kind at most once per LOG_INTERVAL_MS; refusals with their count since the last line. */
  #note(kind: 'refused' | 'accept', message: string): void {
    const now = Date.now();
    if (now - (this.#loggedAt.get(kind) ?? -Infinity) < LOG_INTERVAL_MS) return;
    this.#loggedAt.set(kind, now);
    if (kind === 'refused') {
      const refused = this.#unloggedRefusals;
      this.#unloggedRefusals = 0;
      if (refused > 1) message += ` (${refused} refused since the last report)`;
    }
    this.log(message);
  }

  /**
   * Stops accepting and closes the connections still waiting for their preface;
   * those handed to gRPC are left to gRPC's own (graceful) shutdown. Resolves once
   * every listener and every connection it accepted is closed.
   */
  close(): Promise<void> {
    this.#closed = true;
    for (const [socket, stop] of [...this.#handshaking]) {
      stop();
      socket.destroy();
    }
    this.#closing ??= Promise.all(
      this.#listeners.map(
        // An error here only says that the listener was already closed.
        (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
      ),
    ).then(() => undefined);
    return this.#closing;
  }

  /** close(), and every connection is destroyed at once. */
  destroy(): void {
    void this.close();
    for (const socket of [...this.#sockets]) socket.destroy();
  }
}
