/**
 * One raftvec node: the state machine (`<dataDir>/state`), the Raft log
 * (`<dataDir>/raft`) and the runtime that drives the Raft core, and one gRPC
 * server with the client API, the peer API, cluster status, health and reflection.
 * A node started without peers is a cluster of one: its writes go through the
 * same Raft log, so the single-node and clustered forms behave alike.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { HealthImplementation } from 'grpc-health-check';
import type * as grpc from '@grpc/grpc-js';
import { VectorStateMachine } from '../storage/state-machine.js';
import { VECTOR_SERVICE_NAME } from '../client/proto.js';
import { clusterServiceDefinition } from '../client/cluster-status.js';
import { RaftRuntime, type RaftTiming } from '../raft/runtime/raft-runtime.js';
import { RaftWritePath } from '../raft/runtime/raft-write-path.js';
import { raftPeerServer, raftPeerServiceDefinition } from '../raft/runtime/peer-transport.js';
import type { WritePath } from './write-path.js';
import { VectorService } from './vector-service.js';
import { clusterServiceHandlers } from './cluster-service.js';
import { bindServer, createGrpcServer, shutdownServer } from './grpc-server.js';
import { stderrLogger, type Logger } from './status.js';

export interface NodeOptions {
  /** HOST:PORT to listen on; port 0 picks a free port (see `address`). */
  listen: string;
  /** Folder for this node's data (created if missing). */
  dataDir: string;
  /** This node's id in the cluster. Default `n1`. */
  id?: string;
  /**
   * Every voter's id and peer address, this node included. Absent: a cluster of
   * one (this node alone).
   */
  peers?: ReadonlyMap<string, string>;
  /** Shared by all members; peers without it are refused. Required with more than one member. */
  clusterSecret?: string;
  /** Raft tick length and timeouts (see DEFAULT_RAFT_TIMING). */
  raftTiming?: Partial<RaftTiming>;
  /** Print `raftvec listening on HOST:PORT` to stdout once bound. Default true. */
  announce?: boolean;
  /** Writes waiting to commit before RESOURCE_EXHAUSTED. Default 4096. */
  maxPendingWrites?: number;
  /** Deadline for writes whose call has none. Default 30 s. */
  defaultWriteTimeoutMs?: number;
  /** How long stop() lets in-flight calls finish before cancelling them. Default 10 s. */
  shutdownGraceMs?: number;
  log?: Logger;
  /** Called when the node can no longer be trusted (disk error, broken invariant). */
  onFatal?: (error: unknown) => void;
}

export interface NodeHandle {
  /** The address actually bound, e.g. `127.0.0.1:40123`. */
  readonly address: string;
  readonly port: number;
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  readonly stateMachine: VectorStateMachine;
  readonly runtime: RaftRuntime;
  readonly writePath: WritePath;
  /**
   * Graceful stop: NOT_SERVING, finish in-flight calls (bounded by the grace
   * period), stop Raft after its in-progress disk write, close LevelDB. Idempotent.
   */
  stop(): Promise<void>;
}

export const LISTENING_PREFIX = 'raftvec listening on ';

export async function startNode(options: NodeOptions): Promise<NodeHandle> {
  const log = options.log ?? stderrLogger;
  const id = options.id ?? 'n1';
  const peers = options.peers ?? new Map([[id, options.listen]]);
  if (peers.size > 1 && !options.clusterSecret) {
    throw new Error(
      'a cluster of more than one node needs a cluster secret (--cluster-secret or RAFTVEC_CLUSTER_SECRET)',
    );
  }
  const clusterSecret = options.clusterSecret || randomBytes(16).toString('hex');
  // Applied state is synced too: after a power loss LevelDB may keep a later batch and
  // lose an earlier one, and an applied index ahead of its effects would diverge silently.
  const stateMachine = await VectorStateMachine.open(join(options.dataDir, 'state'), {
    sync: true,
  });
  let runtime: RaftRuntime | undefined;
  let writePath: WritePath | undefined;
  let server: grpc.Server | undefined;
  try {
    const raft = await RaftRuntime.open({
      id,
      peers,
      dataDir: join(options.dataDir, 'raft'),
      clusterSecret,
      stateMachine,
      log: (line) => log(line),
      ...(options.raftTiming && { timing: options.raftTiming }),
      ...(options.maxPendingWrites !== undefined && {
        maxPendingProposals: options.maxPendingWrites,
      }),
      ...(options.onFatal && { onFatal: options.onFatal }),
    });
    runtime = raft;
    const wp = new RaftWritePath(raft);
    writePath = wp;
    const service = new VectorService(stateMachine, wp, {
      log,
      readBarrier: (deadline) => raft.readBarrier(deadline),
      ...(options.defaultWriteTimeoutMs !== undefined && {
        defaultWriteTimeoutMs: options.defaultWriteTimeoutMs,
      }),
    });
    const parts = createGrpcServer(service.handlers());
    server = parts.server;
    const { health } = parts;
    let address = options.listen;
    let stopping: Promise<void> | undefined;
    const peerServer = raftPeerServer({
      selfId: id,
      clusterSecret,
      deliver: (m) => raft.deliver(m),
      log: (line) => log(line),
    });
    parts.server.addService(raftPeerServiceDefinition(), peerServer.handlers);
    parts.server.addService(
      clusterServiceDefinition(),
      clusterServiceHandlers(raft, () => address),
    );
    address = await bindServer(parts.server, options.listen);
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    // SERVING once the node has joined a cluster with a leader; until then it could
    // only turn every call away.
    void raft.leaderKnown().then(() => {
      if (stopping !== undefined) return;
      health.setStatus('', 'SERVING');
      health.setStatus(VECTOR_SERVICE_NAME, 'SERVING');
    });

    const grpcServer = parts.server;
    const handle: NodeHandle = {
      address,
      port,
      server: grpcServer,
      health,
      stateMachine,
      runtime: raft,
      writePath: wp,
      stop() {
        stopping ??= (async () => {
          health.setStatus('', 'NOT_SERVING');
          health.setStatus(VECTOR_SERVICE_NAME, 'NOT_SERVING');
          // New calls are refused from here; calls in progress may still need Raft
          // (a write waiting to commit), so peers keep talking until they finish.
          const shutdown = shutdownServer(grpcServer, options.shutdownGraceMs ?? 10_000);
          await service.drain(options.shutdownGraceMs ?? 10_000);
          await wp.close();
          await raft.close();
          peerServer.disconnectAll();
          await shutdown;
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
    await runtime?.close().catch(() => undefined);
    await stateMachine.close().catch(() => undefined);
    throw err;
  }
}
