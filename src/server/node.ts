/**
 * One raftvec node: opens the state machine under `dataDir`, builds the write
 * path (single node: LocalWritePath; Raft replaces it), starts the gRPC server.
 */
import type { HealthImplementation } from 'grpc-health-check';
import type * as grpc from '@grpc/grpc-js';
import { VectorStateMachine } from '../storage/state-machine.js';
import { VECTOR_SERVICE_NAME } from '../client/proto.js';
import { LocalWritePath, type WritePath } from './write-path.js';
import { VectorService } from './vector-service.js';
import { bindServer, createGrpcServer, shutdownServer } from './grpc-server.js';
import { stderrLogger, type Logger } from './status.js';

export interface NodeOptions {
  /** HOST:PORT to listen on; port 0 picks a free port (see `address`). */
  listen: string;
  /** Folder for this node's data (created if missing). */
  dataDir: string;
  /** Print `raftvec listening on HOST:PORT` to stdout once serving. Default true. */
  announce?: boolean;
  /** Writes accepted but not yet applied before RESOURCE_EXHAUSTED. Default 1024. */
  maxQueuedWrites?: number;
  /** Deadline for writes whose call has none. Default 30 s. */
  defaultWriteTimeoutMs?: number;
  /** How long stop() lets in-flight calls finish before cancelling them. Default 10 s. */
  shutdownGraceMs?: number;
  log?: Logger;
  /**
   * The write path (the Raft seam). Default: a LocalWritePath over the state
   * machine (single node). Its close() is called on stop, before LevelDB closes.
   */
  createWritePath?: (stateMachine: VectorStateMachine) => WritePath | Promise<WritePath>;
  /** Adds more services (e.g. the peer API) to the server before it binds. */
  configureServer?: (server: grpc.Server) => void;
}

export interface NodeHandle {
  /** The address actually bound, e.g. `127.0.0.1:40123`. */
  readonly address: string;
  readonly port: number;
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  readonly stateMachine: VectorStateMachine;
  readonly writePath: WritePath;
  /**
   * Graceful stop: NOT_SERVING, finish in-flight calls (bounded by the grace
   * period), drain accepted writes, close LevelDB. Idempotent.
   */
  stop(): Promise<void>;
}

export const LISTENING_PREFIX = 'raftvec listening on ';

export async function startNode(options: NodeOptions): Promise<NodeHandle> {
  const log = options.log ?? stderrLogger;
  const stateMachine = await VectorStateMachine.open(options.dataDir, { sync: true });
  let writePath: WritePath | undefined;
  let server: grpc.Server | undefined;
  try {
    const wp: WritePath = options.createWritePath
      ? await options.createWritePath(stateMachine)
      : new LocalWritePath(stateMachine, {
          ...(options.maxQueuedWrites !== undefined && {
            maxQueuedWrites: options.maxQueuedWrites,
          }),
        });
    writePath = wp;
    const service = new VectorService(stateMachine, wp, {
      log,
      ...(options.defaultWriteTimeoutMs !== undefined && {
        defaultWriteTimeoutMs: options.defaultWriteTimeoutMs,
      }),
    });
    const parts = createGrpcServer(service.handlers());
    server = parts.server;
    const { health } = parts;
    options.configureServer?.(parts.server);
    const address = await bindServer(parts.server, options.listen);
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    health.setStatus('', 'SERVING');
    health.setStatus(VECTOR_SERVICE_NAME, 'SERVING');

    let stopping: Promise<void> | undefined;
    const grpcServer = parts.server;
    const handle: NodeHandle = {
      address,
      port,
      server: grpcServer,
      health,
      stateMachine,
      writePath: wp,
      stop() {
        stopping ??= (async () => {
          health.setStatus('', 'NOT_SERVING');
          health.setStatus(VECTOR_SERVICE_NAME, 'NOT_SERVING');
          await shutdownServer(grpcServer, options.shutdownGraceMs ?? 10_000);
          await wp.close();
          await stateMachine.close();
        })();
        return stopping;
      },
    };
    if (options.announce ?? true) process.stdout.write(`${LISTENING_PREFIX}${address}\n`);
    return handle;
  } catch (err) {
    server?.forceShutdown();
    await writePath?.close().catch(() => undefined);
    await stateMachine.close().catch(() => undefined);
    throw err;
  }
}
