/**
 * The gRPC server of a node: message size and connection limits, the client API,
 * the standard health service (grpc.health.v1) and server reflection (so grpcurl
 * works).
 */
import * as grpc from '@grpc/grpc-js';
import type * as http2 from 'node:http2';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { limits } from '../limits.js';
import { loadVectorProto, reflectionPackageDefinition, VECTOR_SERVICE_NAME } from '../api/proto.js';
import type { VectorServiceHandlers } from '../generated/raftvec/v1/VectorService.js';
import { MalformedRequest } from './vector-service.js';
import {
  ConnectionGate,
  grpcConnectionOptions,
  resolveConnectionLimits,
  type ConnectionLimits,
  type ConnectionStats,
} from './connection-limits.js';
import { stderrLogger, type Logger } from './status.js';
import { authInterceptor, type ApiKeys } from './api-keys.js';
import type { NodeMetrics } from './metrics.js';

export interface GrpcServerParts {
  server: RaftvecServer;
  health: HealthImplementation;
}

/**
 * A grpc.Server that listens through ConnectionGates (see bindServer) rather than
 * gRPC's own listeners, and whose shutdown closes them too: tryShutdown and
 * forceShutdown keep their gRPC meaning for everything the node listens on.
 */
export class RaftvecServer extends grpc.Server {
  readonly connectionLimits: ConnectionLimits;
  readonly #log: Logger;
  readonly #gates: ConnectionGate[] = [];

  readonly #credentials: grpc.ServerCredentials;

  constructor(
    options: grpc.ServerOptions = {},
    connectionLimits: Partial<ConnectionLimits> = {},
    log: Logger = stderrLogger,
    /** TLS (tls.ts `NodeTls.serverCredentials`); default plaintext. */
    credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  ) {
    const resolved = resolveConnectionLimits(connectionLimits);
    super({ ...options, ...grpcConnectionOptions(resolved) });
    this.connectionLimits = resolved;
    this.#log = log;
    this.#credentials = credentials;
    widenReceiveWindows(this, resolved.receiveWindowBytes);
  }

  /** Whether the server speaks TLS. */
  get secure(): boolean {
    return this.#credentials._isSecure();
  }

  /** A new gate whose admitted connections this server serves (for bindServer). */
  createGate(): ConnectionGate {
    const injector = this.createConnectionInjector(this.#credentials);
    const gate = new ConnectionGate(
      injector,
      this.connectionLimits,
      this.#log,
      this.secure ? 'tls' : 'http2',
    );
    this.#gates.push(gate);
    return gate;
  }

  /** Connection counts summed over every address this server listens on. */
  connectionStats(): ConnectionStats {
    const total: ConnectionStats = { open: 0, refused: 0, handshakeTimeouts: 0, badPrefaces: 0 };
    for (const gate of this.#gates) {
      const s = gate.stats();
      total.open += s.open;
      total.refused += s.refused;
      total.handshakeTimeouts += s.handshakeTimeouts;
      total.badPrefaces += s.badPrefaces;
    }
    return total;
  }

  /** Stops accepting, then gRPC's graceful shutdown; calls back once every socket is closed. */
  override tryShutdown(callback: (error?: Error) => void): void {
    const gatesClosed = Promise.all(this.#gates.map((gate) => gate.close()));
    super.tryShutdown((error) => {
      if (error) callback(error);
      else void gatesClosed.then(() => callback());
    });
  }

  override forceShutdown(): void {
    for (const gate of this.#gates) gate.destroy();
    super.forceShutdown();
  }
}

/**
 * Gives every HTTP/2 session of `server` a receive window of `bytes`, per stream and
 * for the connection. grpc-js has no server option for it (only its client channels
 * take 'grpc-node.flow_control_window'), so this wraps the one internal method that
 * sees each HTTP/2 server it creates; should a grpc-js release rename it, every
 * server fails here at construction instead of silently serving 64 KiB windows.
 */
function widenReceiveWindows(server: grpc.Server, bytes: number): void {
  type SetupHandlers = (http2Server: http2.Http2Server, ...rest: unknown[]) => void;
  const internals = server as unknown as { _setupHandlers?: SetupHandlers };
  const setupHandlers = internals._setupHandlers;
  if (typeof setupHandlers !== 'function')
    throw new Error(
      'this @grpc/grpc-js has no Server._setupHandlers: raftvec cannot set its HTTP/2 receive window (pin the grpc-js version of package-lock.json)',
    );
  internals._setupHandlers = function (this: grpc.Server, http2Server, ...rest) {
    setupHandlers.call(this, http2Server, ...rest);
    // The stream window is a SETTINGS value; the connection's grows only by a
    // WINDOW_UPDATE, which setLocalWindowSize sends (RFC 9113 §6.9.2).
    http2Server.updateSettings({ initialWindowSize: bytes });
    http2Server.on('session', (session: http2.ServerHttp2Session) => {
      try {
        if (!session.destroyed) session.setLocalWindowSize(bytes);
      } catch (error) {
        // A connection that cannot take the window is dropped, never the node.
        session.destroy(error as Error);
      }
    });
  };
}

/** Channel options that every raftvec server sets explicitly. */
export function serverChannelOptions(
  maxMessageBytes: number = limits.maxMessageBytes,
): grpc.ServerOptions {
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    // Channelz records every call for a debugging service raftvec does not serve.
    'grpc.enable_channelz': 0,
  };
}

/**
 * A server with the VectorService, health ("" and raftvec.v1.VectorService start
 * NOT_SERVING; the caller flips them once the node is ready) and reflection.
 */
export function createGrpcServer(
  handlers: VectorServiceHandlers,
  options: {
    maxMessageBytes?: number;
    /** Defaults: DEFAULT_CONNECTION_LIMITS. */
    connectionLimits?: Partial<ConnectionLimits> | undefined;
    /** Where refused connections are reported (rate-limited). */
    log?: Logger;
    /** API keys every call but health and Raft peers must present (api-keys.ts); absent: none. */
    apiKeys?: ApiKeys | undefined;
    /** With apiKeys: the cluster's own nodes may read each other's status with their peer keys. */
    clusterSecret?: string | undefined;
    /** Counts and times every call (metrics.ts). */
    metrics?: NodeMetrics | undefined;
    /** TLS (tls.ts); absent: plaintext. */
    credentials?: grpc.ServerCredentials | undefined;
    /** Mutual TLS: peer keys count only with their node's certificate. */
    requirePeerCertificate?: boolean;
  } = {},
): GrpcServerParts {
  const server = new RaftvecServer(
    {
      ...serverChannelOptions(options.maxMessageBytes),
      interceptors: [
        ...(options.metrics ? [options.metrics.interceptor()] : []),
        authInterceptor(options.apiKeys, options.clusterSecret, options.requirePeerCertificate),
      ],
    },
    options.connectionLimits,
    options.log,
    options.credentials,
  );
  const { proto } = loadVectorProto();
  server.addService(tolerantDeserializers(proto.raftvec.v1.VectorService.service), handlers);

  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    [VECTOR_SERVICE_NAME]: 'NOT_SERVING',
  });
  health.addToServer(server);

  new ReflectionService(reflectionPackageDefinition()).addToServer(server);
  return { server, health };
}

/**
 * grpc-js answers a request that does not decode with INTERNAL. Malformed input
 * is the client's fault: decode failures become a MalformedRequest, which the
 * service turns into INVALID_ARGUMENT.
 */
export function tolerantDeserializers<S extends grpc.ServiceDefinition>(service: S): S {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, def] of Object.entries(service)) {
    const method = def as grpc.MethodDefinition<unknown, unknown>;
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new MalformedRequest(name, err instanceof Error ? err.message : String(err));
        }
      },
    };
  }
  return out as unknown as S;
}

/** Splits "host:port" / "[v6]:port"; port 0 means "pick one". */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new Error(
      `bad listen address ${JSON.stringify(listen)}: expected HOST:PORT (port 0 picks a free port)`,
    );
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export const formatAddress = (host: string, port: number): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * Listens (with the server's credentials: plaintext or TLS) through a ConnectionGate,
 * which enforces the connection limit and the handshake timeout before gRPC sees a
 * connection, and resolves the address actually bound.
 */
export async function bindServer(server: RaftvecServer, listen: string): Promise<string> {
  const { host, port } = parseListenAddress(listen);
  try {
    const boundPort = await server.createGate().listen(host, port);
    return formatAddress(host, boundPort);
  } catch (err) {
    throw new Error(
      `cannot listen on ${formatAddress(host, port)}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** Waits for in-flight calls to finish, up to `graceMs`, then cancels the rest. */
export function shutdownServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
