/**
 * One raftvec node: the state machine (`<dataDir>/state`), the Raft log
 * (`<dataDir>/raft`) and the runtime that drives the Raft core, and one gRPC
 * server with the client API, the peer API, cluster status, health and reflection.
 * A node started without peers is a cluster of one: its writes go through the
 * same Raft log, so the single-node and clustered forms behave alike.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthImplementation } from 'grpc-health-check';
import { Metadata, credentials as grpcCredentials, status as grpcStatus } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import { RaftvecError } from '../errors.js';
import { StateCorruptionError, levelChecksumsVerified } from '../storage/checked-store.js';
import { RaftLogStore } from '../raft/storage/raft-log-store.js';
import { StateFormatError, type LoadProgress, type OpenOptions } from '../storage/state-machine.js';
import { ReplicaState, replicaPaths } from '../storage/replica-state.js';
import { StateSnapshots, readMeta, type SnapshotMeta } from '../storage/state-snapshot.js';
import { VECTOR_SERVICE_NAME, clusterServiceDefinition, loadVectorProto } from '../api/proto.js';
import type { VectorServiceHandlers } from '../generated/raftvec/v1/VectorService.js';
import {
  DEFAULT_LEASE,
  DEFAULT_RAFT_TIMING,
  RaftRuntime,
  voteQuietWindowMs,
  type LeaseConfig,
  type RaftTiming,
} from '../raft/runtime/raft-runtime.js';
import { RaftReadPath } from './raft-read-path.js';
import { fromRaftError } from './raft-errors.js';
import { systemClock, type SnapshotRef, type SnapshotStore } from '../raft/runtime/ports.js';
import { SNAPSHOT_META_FILE, snapshotReceiver } from '../raft/runtime/snapshot-transfer.js';
import type { SnapshotPolicy } from '../raft/runtime/snapshotting.js';
import {
  PeerTransport,
  peerCredentials,
  raftPeerServer,
  raftPeerServiceDefinition,
} from '../raft/runtime/peer-transport.js';
import type { ApplyResult } from '../domain.js';
import { limits } from '../limits.js';
import { faissBuildInfo, releaseFreeMemory } from '../index/faiss.js';
import { RaftWritePath } from './raft-write-path.js';
import type { WritePath } from './write-path.js';
import { VectorService, type VectorReader } from './vector-service.js';
import {
  clusterServiceHandlers,
  clusterStatusOf,
  membershipToProto,
  type MemberControl,
} from './cluster-service.js';
import { joinCluster, promoteSelf } from './join.js';
import { memberOf } from '../raft/membership.js';
import { bindServer, createGrpcServer, shutdownServer } from './grpc-server.js';
import type { ApiKeys } from './api-keys.js';
import { NodeMetrics } from './metrics.js';
import { stderrLogger, type Logger } from './status.js';
import { resolveConnectionLimits, type ConnectionLimits } from './connection-limits.js';
import { NodeTls, type NodeTlsOptions } from './tls.js';
import { startReadiness, type Readiness } from './readiness.js';
import {
  checkUnsafeFlagsAllowed,
  SAFE,
  unsafeFlagNames,
  type UnsafeTestFlags,
} from './unsafe-test-flags.js';

export interface NodeOptions {
  /** HOST:PORT to listen on; port 0 picks a free port (see `address`). */
  listen: string;
  /**
   * HOST:PORT clients should use to reach this node, put in the leader hints other
   * members send (proxies, Kubernetes services, NAT). Default: the bound address.
   */
  advertise?: string;
  /** The leader lease's drift margin and the wall-clock skew bound (see DEFAULT_LEASE). */
  lease?: Partial<Pick<LeaseConfig, 'driftMs' | 'maxClockSkewMs'>>;
  /** Folder for this node's data (created if missing). */
  dataDir: string;
  /** This node's id in the cluster. Default `n1`. */
  id?: string;
  /**
   * Every voter's id and peer address, this node included, for a cluster that starts
   * from nothing. Absent: a cluster of one (this node alone), or, with `join`, the
   * cluster it joins. A node with a stored configuration uses that one.
   */
  peers?: ReadonlyMap<string, string>;
  /**
   * Join a running cluster through the member at this address (`serve --join`): asked
   * to add this node as a learner, it answers the configuration; the node then asks to
   * be promoted once it has caught up (unless `joinAsLearner`). Ignored once this
   * node has a stored configuration (a restart).
   */
  join?: string;
  joinAsLearner?: boolean;
  /** Shared by all members; peers without it are refused. Required with more than one member. */
  clusterSecret?: string;
  /**
   * API keys with roles every client call must present (api-keys.ts); absent: none
   * asked. Health and the Raft peer service stay open to callers without a key.
   */
  apiKeys?: ApiKeys;
  /**
   * TLS on the node's port (`--tls-cert --tls-key`) and mutual TLS between nodes
   * (`--peer-ca --peer-cert --peer-key`); see tls.ts. A cluster of more than one node
   * with TLS needs the mutual part. Absent: plaintext.
   */
  tls?: NodeTlsOptions;
  /** HOST:PORT to serve Prometheus metrics on (HTTP `GET /metrics`, metrics.ts); absent: none. */
  metricsListen?: string;
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
  /**
   * stop() on the leader of a cluster first hands leadership to the most up-to-date
   * voter (default true), so that a restart costs no election timeout.
   */
  transferLeadershipOnStop?: boolean;
  /**
   * Called as the node loads its state at start (it is bound and answers NOT_SERVING
   * meanwhile); loading waits for a returned promise.
   */
  onLoadProgress?: (progress: LoadProgress) => void | Promise<void>;
  /**
   * fsync every applied batch of the state store (default false: the Raft log is the
   * durable record; see openReplica). For comparison in benchmarks.
   */
  syncStateWrites?: boolean;
  /** When to snapshot the state and compact the log (see DEFAULT_SNAPSHOT_POLICY). */
  snapshots?: Partial<SnapshotPolicy>;
  /** Connection count, handshake, idle, keepalive and stream limits (DEFAULT_CONNECTION_LIMITS). */
  connectionLimits?: Partial<ConnectionLimits>;
  log?: Logger;
  /** Called when the node can no longer be trusted (disk error, broken invariant). */
  onFatal?: (error: unknown) => void;
  /** Safety broken on purpose, for jepsen-lite only (refused unless the environment allows it). */
  unsafe?: Partial<UnsafeTestFlags>;
}

export interface NodeHandle {
  /** The address actually bound, e.g. `127.0.0.1:40123`. */
  readonly address: string;
  readonly port: number;
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  readonly stateMachine: ReplicaState;
  readonly runtime: RaftRuntime<ApplyResult>;
  readonly writePath: WritePath;
  /** Where `GET /metrics` is served (with `metricsListen`), e.g. `127.0.0.1:9464`. */
  readonly metricsAddress?: string;
  /**
   * Graceful stop: NOT_SERVING, finish in-flight calls (bounded by the grace
   * period), stop Raft after its in-progress disk write, close LevelDB. Idempotent.
   */
  stop(): Promise<void>;
}

export const LISTENING_PREFIX = 'raftvec listening on ';

/** How often a node hands the memory its allocator holds free back to the OS. */
const MEMORY_RELEASE_INTERVAL_MS = 10_000;

/** Peer addresses announced on streams, kept until the transport exists (then it bounds them). */
const MAX_ANNOUNCED_PEERS = 64;

/** How long `serve --join` tries to be added before it gives up. */
const JOIN_TIMEOUT_MS = 60_000;

/** The membership calls of ClusterService, carried out by this node's runtime. */
function memberControl(
  runtime: () => RaftRuntime<ApplyResult> | undefined,
  id: string,
): MemberControl {
  const running = (): RaftRuntime<ApplyResult> => {
    const raft = runtime();
    if (raft === undefined) throw new RaftvecError('UNAVAILABLE', `node ${id} is still starting`);
    return raft;
  };
  const current = (raft: RaftRuntime<ApplyResult>) => {
    const status = raft.status();
    return membershipToProto(status.membership, status.membershipIndex, status.commitIndex);
  };
  const changed = async (
    raft: RaftRuntime<ApplyResult>,
    work: () => Promise<unknown>,
  ): Promise<ReturnType<typeof current>> => {
    try {
      await work();
    } catch (err) {
      throw fromRaftError(err);
    }
    return current(raft);
  };
  return {
    list: () => current(running()),
    add: async (request) => {
      const raft = running();
      try {
        raft.ensureLeader();
      } catch (err) {
        throw fromRaftError(err);
      }
      const existing = memberOf(raft.currentMembership(), request.id);
      if (existing !== undefined && existing.peerAddress !== request.peerAddress)
        throw new RaftvecError(
          'FAILED_PRECONDITION',
          `${request.id} is already a ${existing.role} at ${existing.peerAddress}; to move it, remove it first`,
        );
      const answer = await changed(raft, async () => {
        if (existing === undefined)
          await raft.changeMembership(
            {
              type: 'add',
              id: request.id,
              role: 'learner',
              peerAddress: request.peerAddress,
              clientAddress: request.clientAddress,
            },
            request.timeoutMs,
          );
        const now = memberOf(raft.currentMembership(), request.id);
        if (!request.learner && now?.role === 'learner')
          await raft.promoteWhenCaughtUp(request.id, request.timeoutMs);
      });
      // Where a joining node's history of configurations begins.
      const start = raft.logStartMembership();
      return {
        ...answer,
        logStartMembers: membershipToProto(start.membership, 0, 0).members,
        logStartIndex: start.index,
      };
    },
    promote: (memberId, timeoutMs) => {
      const raft = running();
      return changed(raft, () => raft.promoteWhenCaughtUp(memberId, timeoutMs));
    },
    remove: (memberId) => {
      const raft = running();
      return changed(raft, () =>
        raft.changeMembership({ type: 'remove', id: memberId }, REMOVE_TIMEOUT_MS),
      );
    },
  };
}

/** How long RemoveMember waits for the change to commit. */
const REMOVE_TIMEOUT_MS = 30_000;

export async function startNode(options: NodeOptions): Promise<NodeHandle> {
  const log = options.log ?? stderrLogger;
  const id = options.id ?? 'n1';
  const peers =
    options.peers ?? (options.join !== undefined ? new Map() : new Map([[id, options.listen]]));
  const unsafe: UnsafeTestFlags = { ...SAFE, ...options.unsafe };
  checkUnsafeFlagsAllowed(unsafe);
  const unsafeOn = unsafeFlagNames(unsafe);
  if (unsafeOn.length > 0)
    log(`${id}: UNSAFE TEST FLAGS ON (${unsafeOn.join(', ')}): this node breaks safety on purpose`);
  if ((peers.size > 1 || options.join !== undefined) && !options.clusterSecret) {
    throw new Error(
      'a cluster of more than one node needs a cluster secret (--cluster-secret or RAFTVEC_CLUSTER_SECRET)',
    );
  }
  if (options.join !== undefined && options.peers !== undefined)
    throw new Error(
      'give --join or --peers, not both: a joining node learns its peers from the cluster',
    );
  const clusterSecret = options.clusterSecret || randomBytes(16).toString('hex');
  const tls =
    options.tls?.server !== undefined || options.tls?.peer !== undefined
      ? NodeTls.load(
          options.tls,
          id,
          log,
          resolveConnectionLimits(options.connectionLimits).handshakeTimeoutMs,
        )
      : undefined;
  if (tls !== undefined && !tls.mutual && (peers.size > 1 || options.join !== undefined))
    throw new Error(
      'a cluster of more than one node with TLS needs mutual TLS between its nodes too: --peer-ca, --peer-cert and --peer-key (scripts/dev-certs.sh makes a local set)',
    );
  if (tls !== undefined) log(`${id}: ${tls.describe()}`);
  const peerChannel = (): grpc.ChannelCredentials =>
    tls?.peerChannelCredentials() ?? grpcCredentials.createInsecure();
  const raftTiming = { ...DEFAULT_RAFT_TIMING, ...options.raftTiming };
  // Time for a transferee to catch up and win: two election timeouts.
  const transferTimeoutMs = 2 * raftTiming.electionTick * raftTiming.tickMs;
  const lease: LeaseConfig = {
    ...DEFAULT_LEASE,
    ...options.lease,
    neverExpires: unsafe.leaseNeverExpires,
  };
  // Each member's advertised client address, as it tells us on its peer stream.
  const clientAddresses = new Map<string, string>();
  // Each member's vote-quiet window (ms), as it tells us: the lease honours the shortest.
  const voteQuietWindows = new Map<string, number>();
  const faiss = faissBuildInfo();
  log(
    `${id}: FAISS ${faiss.faissVersion} ${faiss.variant} (${faiss.source})${faiss.variant === 'generic' ? '; the avx2 build is several times faster where the CPU has AVX2: see "FAISS builds" in the README' : ''}`,
  );
  if (!levelChecksumsVerified()) {
    log(
      'warning: LevelDB checksum checks are off (the prebuilt classic-level binding is in use); run `node native/leveldb-checked.mjs` to turn them on',
    );
  }

  // Bind first, so that a node loading a large state answers health (NOT_SERVING) and
  // status (its loading progress) instead of refusing connections until it is ready.
  let stateMachine: ReplicaState | undefined;
  let metricsEndpoint: { address: string; close: () => Promise<void> } | undefined;
  let runtime: RaftRuntime<ApplyResult> | undefined;
  let transport: PeerTransport | undefined;
  // Where each peer said it listens, as it tells us on its stream (PEER_ADDRESS_HEADER).
  const announcedPeerAddresses = new Map<string, string>();
  /** Set by stop(): a join or promotion in progress gives up. */
  let stoppingNow: true | undefined;
  let writePath: WritePath | undefined;
  let live: VectorServiceHandlers | undefined;
  let progress: LoadProgress = {
    collectionsTotal: 0,
    collectionsLoaded: 0,
    pointsLoaded: 0,
    indexesRestored: 0,
    pointTablesRead: 0,
  };
  let address = options.listen;
  const statusSource = {
    id,
    address: () => address,
    runtime: () => runtime,
    stateMachine: () => stateMachine,
    loading: () => progress,
  };
  const metrics =
    options.metricsListen === undefined
      ? undefined
      : new NodeMetrics({
          status: () => clusterStatusOf(statusSource),
          collections: () => stateMachine?.listCollections(),
          // The leader's whole backlog (raft-write-path.ts), which is what the limit bounds.
          proposalQueue: () => {
            const p = writePath instanceof RaftWritePath ? writePath.pending() : undefined;
            return p && { pending: p.backlog, limit: p.maxBacklog };
          },
        });
  const parts = createGrpcServer(
    handlersOnceLoaded(
      () => live,
      () => loadingError(id, progress),
    ),
    {
      connectionLimits: options.connectionLimits,
      log,
      apiKeys: options.apiKeys,
      clusterSecret,
      metrics,
      credentials: tls?.serverCredentials,
      requirePeerCertificate: tls?.mutual ?? false,
    },
  );
  const { health, server } = parts;
  const peerServer = raftPeerServer({
    selfId: id,
    clusterSecret,
    requireCertificate: tls?.mutual ?? false,
    // Messages that arrive while the node loads are dropped; Raft re-sends them.
    deliver: (m) => runtime?.deliver(m),
    onAnnouncement: (peer, { clientAddress, voteQuietMs, peerAddress }) => {
      if (peerAddress !== undefined) {
        // Kept until the transport exists: a peer's stream may arrive while this node loads.
        announcedPeerAddresses.delete(peer);
        announcedPeerAddresses.set(peer, peerAddress);
        // Bounded like the transport's own table of former members (newest kept).
        if (announcedPeerAddresses.size > MAX_ANNOUNCED_PEERS)
          announcedPeerAddresses.delete(announcedPeerAddresses.keys().next().value!);
        transport?.learnAddress(peer, peerAddress);
      }
      if (clientAddress !== undefined) clientAddresses.set(peer, clientAddress);
      if (voteQuietMs !== undefined) voteQuietWindows.set(peer, voteQuietMs);
    },
    receiveSnapshot: snapshotReceiver({
      selfId: id,
      root: replicaPaths(options.dataDir).snapshots,
      install: (header, folder) =>
        runtime === undefined
          ? Promise.resolve({ installed: false, reason: `node ${id} is still starting` })
          : runtime.receiveSnapshot(header, folder),
      log: (line) => log(line),
    }),
    log: (line) => log(line),
  });
  server.addService(raftPeerServiceDefinition(), peerServer.handlers);
  server.addService(
    clusterServiceDefinition(),
    clusterServiceHandlers(statusSource, {
      clusterSecret,
      requirePeerCertificate: tls?.mutual ?? false,
      log,
      takeSnapshot: async () => {
        if (runtime === undefined) throw new Error(`node ${id} is still starting`);
        const { index } = await runtime.snapshotNow();
        return { index, firstIndex: runtime.status().firstIndex };
      },
      members: memberControl(() => runtime, id),
      transferLeadership: async (to, timeoutMs) => {
        if (runtime === undefined)
          throw new RaftvecError('UNAVAILABLE', `node ${id} is still starting`);
        const raft = runtime;
        try {
          const leaderId = await raft.transferLeadership(to, timeoutMs ?? transferTimeoutMs);
          return { leaderId, term: raft.status().term };
        } catch (err) {
          throw fromRaftError(err);
        }
      },
    }),
  );
  let unwatchTls: (() => void) | undefined;
  let readiness: Readiness | undefined;
  try {
    address = await bindServer(server, options.listen);
    // Certificates are read again on SIGHUP and when their files change.
    unwatchTls = tls?.watch();
    if (options.announce ?? true) process.stdout.write(`${LISTENING_PREFIX}${address}\n`);
    if (metrics !== undefined && options.metricsListen !== undefined) {
      metricsEndpoint = await metrics.serve(options.metricsListen);
      log(`${id}: metrics on http://${metricsEndpoint.address}/metrics`);
    }
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    const advertised = options.advertise ?? address;
    clientAddresses.set(id, advertised);

    const loadStarted = Date.now();
    let corrupted = false;
    readiness = await startReadiness(health, {
      runtime: () => runtime,
      serving: () => stoppingNow === undefined && !corrupted,
      listen: options.listen,
      log,
    });
    const sm = await openReplica(options.dataDir, options.syncStateWrites ?? false, log, {
      unsafeSkipSessionTable: unsafe.skipSessionTable,
      onProgress: (p) => {
        progress = p;
        return options.onLoadProgress?.(p);
      },
      onCorruption: (err) => {
        corrupted = true;
        log(`${err.message}; the node answers NOT_SERVING from now on`);
        health.setStatus('', 'NOT_SERVING');
        health.setStatus(VECTOR_SERVICE_NAME, 'NOT_SERVING');
      },
    });
    if (progress.collectionsTotal > 0)
      log(
        `${id}: loaded ${progress.pointsLoaded} points in ${progress.collectionsTotal} collections in ${Date.now() - loadStarted} ms (${progress.indexesRestored} indexes from a checkpoint, ${progress.pointTablesRead} of them with their point table and no scan of the store; the others rebuilt)`,
      );
    stateMachine = sm;
    transport = new PeerTransport(
      peers,
      clusterSecret,
      (line) => log(line),
      {
        clientAddress: advertised,
        peerAddress: advertised,
        voteQuietMs: voteQuietWindowMs(raftTiming),
      },
      peerChannel,
    );
    const peerTransport = transport;
    // New certificates: the streams to the peers are dialled again with them.
    tls?.onReload(() => peerTransport.reconnect());
    for (const [peer, peerAddress] of announcedPeerAddresses)
      transport.learnAddress(peer, peerAddress);
    let joined = false;
    const joinOptions = {
      address: options.join ?? '',
      clusterSecret,
      id,
      peerAddress: advertised,
      clientAddress: advertised,
      timeoutMs: JOIN_TIMEOUT_MS,
      log,
      active: () => stoppingNow === undefined,
      credentials: peerChannel,
    };
    const raft = await RaftRuntime.open<ApplyResult>(
      {
        id,
        peers,
        ...(options.join !== undefined && {
          initialMembership: async () => {
            joined = true;
            return joinCluster(joinOptions);
          },
        }),
        maxEntryBytes: limits.maxLogEntryBytes,
        log: (line) => log(line),
        ...(metrics && { observer: metrics }),
        lease,
        clientAddress: (member) => clientAddresses.get(member),
        peerVoteQuietMs: (member) => voteQuietWindows.get(member),
        ...(options.raftTiming && { timing: options.raftTiming }),
        ...(options.maxPendingWrites !== undefined && {
          maxPendingProposals: options.maxPendingWrites,
        }),
        ...(options.onFatal && { onFatal: options.onFatal }),
        ...(options.snapshots && { snapshots: options.snapshots }),
      },
      {
        log: await RaftLogStore.open(join(options.dataDir, 'raft')),
        stateMachine: {
          get appliedIndex() {
            return sm.appliedIndex;
          },
          apply: (first, payloads, decided) => sm.applyEntries(first, payloads, decided),
        },
        transport,
        clock: systemClock,
        random: Math.random,
        snapshots: { store: snapshotStoreOf(sm), sender: transport },
      },
    );
    runtime = raft;
    log.attach?.(() => raft.status());
    if (options.join !== undefined && !joined)
      log(
        `${id}: has a stored configuration; --join ${options.join} is not needed and was ignored`,
      );
    if (joined && !(options.joinAsLearner ?? false)) void promoteSelf(joinOptions);
    // Writes allocate and free many small buffers (requests, entries, batches); glibc
    // keeps freed memory in its arenas, so RSS would only grow. Trimming is cheap
    // (milliseconds) and runs on a timer rather than on the write path.
    const trim = setInterval(releaseFreeMemory, MEMORY_RELEASE_INTERVAL_MS);
    trim.unref();
    const wp = new RaftWritePath(raft, unsafe, peerCredentials(clusterSecret, id), peerChannel, {
      ...(options.maxPendingWrites !== undefined && {
        maxPendingWrites: options.maxPendingWrites,
      }),
    });
    writePath = wp;
    const service = new VectorService(metrics ? timedSearches(sm, metrics) : sm, wp, {
      log,
      readPath: new RaftReadPath(raft, { maxClockSkewMs: lease.maxClockSkewMs, unsafe }),
      ...(options.defaultWriteTimeoutMs !== undefined && {
        defaultWriteTimeoutMs: options.defaultWriteTimeoutMs,
      }),
    });
    live = service.handlers();
    let stopping: Promise<void> | undefined;
    // SERVING once the node has joined a cluster with a leader; until then it could
    // only turn every call away.
    void raft.leaderKnown().then(() => {
      // Damage found meanwhile (the background scrub may find it before a leader is known).
      if (stopping !== undefined || corrupted) return;
      health.setStatus('', 'SERVING');
      health.setStatus(VECTOR_SERVICE_NAME, 'SERVING');
    });

    return {
      address,
      port,
      server,
      health,
      stateMachine: sm,
      runtime: raft,
      writePath: wp,
      ...(metricsEndpoint && { metricsAddress: metricsEndpoint.address }),
      stop() {
        stoppingNow = true;
        stopping ??= (async () => {
          if (
            (options.transferLeadershipOnStop ?? true) &&
            raft.role === 'leader' &&
            raft.voters().length > 1
          ) {
            // Hand leadership over first: the others need not wait out an election
            // timeout, and writes refused meanwhile are retried at the new leader.
            const started = Date.now();
            await raft.transferLeadership(undefined, transferTimeoutMs).then(
              (leader) =>
                log(
                  `${id}: handed leadership to ${leader} in ${Date.now() - started} ms before stopping`,
                ),
              (err: unknown) =>
                log(
                  `${id}: stopping without handing leadership over: ${err instanceof Error ? err.message : String(err)}`,
                ),
            );
          }
          health.setStatus('', 'NOT_SERVING');
          health.setStatus(VECTOR_SERVICE_NAME, 'NOT_SERVING');
          // New calls are refused from here; calls in progress may still need Raft
          // (a write waiting to commit), so peers keep talking until they finish.
          const shutdown = shutdownServer(server, options.shutdownGraceMs ?? 10_000);
          try {
            await service.drain(options.shutdownGraceMs ?? 10_000);
            await wp.close();
            await raft.close();
            peerServer.disconnectAll();
            await shutdown;
            await sm.close();
          } finally {
            // Whatever failed above, nothing of the node is left listening or watching.
            clearInterval(trim);
            unwatchTls?.();
            readiness?.close();
            await metricsEndpoint?.close();
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    server.forceShutdown();
    unwatchTls?.();
    readiness?.close();
    await metricsEndpoint?.close();
    await writePath?.close().catch(() => undefined);
    await runtime?.close().catch(() => undefined);
    await stateMachine?.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Opens the replica's state (`<dataDir>/state`, its index checkpoints and
 * snapshots). A state store that fails its checks (a record's checksum, LevelDB's
 * own, or another layout version) is rebuilt from sources it can prove correct:
 * the Raft log alone when it still holds every entry from index 1 (the log is
 * checksummed, and only committed entries are applied from it), or the newest
 * verified local snapshot plus the log after it. The damaged store is kept aside as
 * `state.damaged-<time>` and the node says so. Otherwise the node refuses to start,
 * naming the store and the record.
 */
async function openReplica(
  dataDir: string,
  syncStateWrites: boolean,
  log: Logger,
  hooks: Pick<OpenOptions, 'onProgress' | 'onCorruption' | 'unsafeSkipSessionTable'>,
): Promise<ReplicaState> {
  const paths = replicaPaths(dataDir);
  // The state store's batches need no fsync of their own: each carries its applied
  // index, so a batch lost in a crash is applied again from the Raft log (synced), and
  // the log is compacted only behind a durable snapshot (the state is synced first).
  const open = () =>
    ReplicaState.open(paths, {
      sync: syncStateWrites,
      checkpoints: { dir: paths.checkpoints },
      ...hooks,
    });
  try {
    return await open();
  } catch (err) {
    if (!(err instanceof StateCorruptionError || err instanceof StateFormatError)) throw err;
    const raftDir = join(dataDir, 'raft');
    const stored = await RaftLogStore.read(raftDir);
    const point = stored.snapshot;
    const first = stored.entries[0]?.index;
    const wholeLog = point === undefined && (first === undefined || first === 1);
    const snapshot = wholeLog ? undefined : await new StateSnapshots(paths.snapshots).newest();
    const usable = snapshot !== undefined && snapshot.index >= (point?.index ?? 0);
    if (!wholeLog && !usable) {
      throw new RaftvecError(
        'INTERNAL',
        `${err.message}. The Raft log starts after entry ${point?.index ?? (first ?? 1) - 1} and no local snapshot covers it, so the state cannot be rebuilt here: restore this node's data directory, or remove it and let the node catch up from the cluster`,
      );
    }
    const aside = `${paths.state}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(paths.state, aside);
    const source = wholeLog
      ? 'the Raft log (every entry from index 1 is there)'
      : `snapshot ${snapshot!.index} and the Raft log after it`;
    log(
      `${err.message}\nThe damaged state store was moved to ${aside}; rebuilding the state from ${source}.`,
    );
    const replica = await open();
    if (!wholeLog)
      await replica.installSnapshot(new StateSnapshots(paths.snapshots).folder(snapshot!.index));
    return replica;
  }
}

/** The replica's snapshots as the Raft runtime's SnapshotStore port. */
function snapshotStoreOf(replica: ReplicaState): SnapshotStore {
  const refOf = async (meta: SnapshotMeta): Promise<SnapshotRef> => {
    const folder = replica.snapshots.folder(meta.index);
    const description = await readFile(join(folder, SNAPSHOT_META_FILE));
    const bytes = meta.files.reduce((sum, file) => sum + file.bytes, description.byteLength);
    return { index: meta.index, folder, meta: description, bytes };
  };
  return {
    take: async () => refOf(await replica.takeSnapshot()),
    capture: async () => {
      const writeOut = await replica.captureSnapshot();
      return async () => refOf(await writeOut());
    },
    newest: async () => {
      const meta = await replica.snapshots.newest();
      return meta === undefined ? undefined : refOf(meta);
    },
    find: async (index) => {
      const meta = await readMeta(replica.snapshots.folder(index)).catch(() => undefined);
      return meta?.index === index ? refOf(meta) : undefined;
    },
    install: async (folder) => {
      await replica.installSnapshot(folder);
    },
  };
}

function loadingError(id: string, p: LoadProgress): grpc.ServiceError {
  const where =
    p.collection === undefined
      ? `${p.collectionsLoaded} of ${p.collectionsTotal} collections`
      : `collection ${JSON.stringify(p.collection)}, ${p.collectionsLoaded + 1} of ${p.collectionsTotal}`;
  const error = new Error(
    `node ${id} is starting: loading its state (${where}, ${p.pointsLoaded} points so far); retry shortly or ask another node`,
  ) as grpc.ServiceError;
  error.code = grpcStatus.UNAVAILABLE;
  error.details = error.message;
  error.metadata = new Metadata();
  return error;
}

/**
 * The VectorService's handlers before the node has loaded: each call is answered
 * UNAVAILABLE with the loading progress, then handed to the real handler once there.
 */
function handlersOnceLoaded(
  live: () => VectorServiceHandlers | undefined,
  notYet: () => grpc.ServiceError,
): VectorServiceHandlers {
  const out: Record<string, grpc.UntypedHandleCall> = {};
  const service = loadVectorProto().proto.raftvec.v1.VectorService.service;
  for (const [name, method] of Object.entries(service)) {
    if (method.requestStream || method.responseStream) {
      // A streaming call has no callback: its status is sent by emitting it.
      out[name] = (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        const handlers = live() as
          Record<string, grpc.handleBidiStreamingCall<unknown, unknown>> | undefined;
        const handler = handlers?.[name];
        if (handler === undefined) call.emit('error', notYet());
        else handler(call);
      };
      continue;
    }
    out[name] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const handlers = live() as Record<string, grpc.handleUnaryCall<unknown, unknown>> | undefined;
      const handler = handlers?.[name];
      if (handler === undefined) callback(notYet());
      else handler(call, callback);
    };
  }
  return out as unknown as VectorServiceHandlers;
}

/** The state machine's reads, with each search timed into `metrics`. */
function timedSearches(sm: ReplicaState, metrics: NodeMetrics): VectorReader {
  return {
    listCollections: () => sm.listCollections(),
    describeCollection: (name) => sm.describeCollection(name),
    get: (collection, ids, opts) => sm.get(collection, ids, opts),
    count: (collection, filter) => sm.count(collection, filter),
    scroll: (query) => sm.scroll(query),
    search: async (query) => {
      const started = process.hrtime.bigint();
      try {
        return await sm.search(query);
      } finally {
        metrics.observeSearch(Number(process.hrtime.bigint() - started) / 1e9);
      }
    },
  };
}
