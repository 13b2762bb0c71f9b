/**
 * Readiness, as a health service name of its own (`raftvec.v1.Ready`), and a plaintext
 * port that serves only the health service, for Kubernetes' gRPC probes.
 *
 * The node's overall status ("") turns SERVING once it has loaded its state and a
 * leader is known, and stays so until it stops or finds its state damaged: it says the
 * process is alive and worth keeping (the liveness and startup probes). Ready says more:
 * this replica is worth sending calls to now. It is SERVING while
 *
 * - the node is serving (loaded, not stopping, no damage found),
 * - it knows a leader now (not during an election, nor cut off from the majority), and
 * - its applied index is within `maxApplyLagEntries` of the commit index it knows of
 *   (the leader's, as stamped on its heartbeats, or its own), so that a replica still
 *   catching up after a restart or a snapshot is not put back behind the client
 *   Service, and a rolling update waits for it before stopping the next pod.
 *
 * Kubernetes' gRPC probes speak plaintext only: on a node whose port speaks TLS they
 * cannot reach the health service there. With a probe port (RAFTVEC_PROBE_PORT), the
 * same health service (every name: "", raftvec.v1.VectorService, raftvec.v1.Ready) is
 * also served in plaintext on that port, on the host the node listens on, and nothing
 * else is: no data, no peer calls. The node closes it when it stops, or fails to start.
 */
import type { HealthImplementation, ServingStatus } from 'grpc-health-check';
import {
  RaftvecServer,
  bindServer,
  formatAddress,
  parseListenAddress,
  serverChannelOptions,
} from './grpc-server.js';

/** The health service name that says whether this replica is ready for calls. */
export const READY_SERVICE_NAME = 'raftvec.v1.Ready';

/** The environment variable that turns the plaintext probe port on (a port number). */
export const PROBE_PORT_ENV = 'RAFTVEC_PROBE_PORT';

/**
 * How far the applied index may trail the commit index for Ready. Far above what a
 * replica that keeps up trails by (a few batches), and below what a restarted or
 * lagging one does; a learner is promoted within 256 entries of the leader's log.
 */
export const READY_MAX_APPLY_LAG_ENTRIES = 1_000;

/** How often readiness is worked out again (a read of the runtime's status). */
export const READY_CHECK_INTERVAL_MS = 250;

/** At most this many connections to the probe port at once (the kubelet needs one). */
const PROBE_MAX_CONNECTIONS = 16;

/** A health check and its answer are a few bytes. */
const PROBE_MAX_MESSAGE_BYTES = 64 * 1024;

/** What readiness reads of the Raft runtime (RaftRuntime has it). */
export interface ReadinessSource {
  readonly leaderId: string | undefined;
  replicaFreshness(): { appliedIndex: number; leaderCommitIndex: number };
}

export interface ReadinessVerdict {
  ready: boolean;
  /** Why, in a few words: for the log. */
  reason: string;
}

/** Whether a replica is ready; pure. `source` is undefined while Raft has not started. */
export function readinessOf(
  source: ReadinessSource | undefined,
  serving: boolean,
  maxApplyLagEntries: number = READY_MAX_APPLY_LAG_ENTRIES,
): ReadinessVerdict {
  if (!serving || source === undefined)
    return { ready: false, reason: 'not serving (starting, stopping or state damaged)' };
  if (source.leaderId === undefined) return { ready: false, reason: 'no leader known' };
  const { appliedIndex, leaderCommitIndex } = source.replicaFreshness();
  const lag = leaderCommitIndex - appliedIndex;
  if (lag > maxApplyLagEntries)
    return {
      ready: false,
      reason: `applied index ${appliedIndex} is ${lag} entries behind the commit index ${leaderCommitIndex} (at most ${maxApplyLagEntries})`,
    };
  return {
    ready: true,
    reason: `leader ${source.leaderId} known, applied index ${appliedIndex} within ${maxApplyLagEntries} of the commit index ${leaderCommitIndex}`,
  };
}

export interface ReadinessOptions {
  /** The Raft runtime, once it runs. */
  runtime: () => ReadinessSource | undefined;
  /** False while the node loads, once it stops, and once its state is found damaged. */
  serving: () => boolean;
  /** The node's listen address (HOST:PORT): the probe port listens on the same host. */
  listen: string;
  /** The plaintext probe port; default: RAFTVEC_PROBE_PORT; absent: none. */
  probePort?: number | undefined;
  maxApplyLagEntries?: number;
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface Readiness {
  /** Where the plaintext probe port listens (HOST:PORT), if it does. */
  readonly probeAddress: string | undefined;
  /** The verdict as last worked out. */
  current(): ReadinessVerdict;
  /** Stops working it out (Ready turns NOT_SERVING) and closes the probe port. */
  close(): void;
}

/** RAFTVEC_PROBE_PORT, checked; undefined when unset or empty. */
export function probePortFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  const text = env[PROBE_PORT_ENV]?.trim();
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65_535)
    throw new Error(`${PROBE_PORT_ENV}=${JSON.stringify(text)} is not a port (0 to 65535)`);
  return port;
}

/**
 * Publishes Ready on `health` (NOT_SERVING at first), worked out every `intervalMs`, and
 * opens the plaintext probe port when one is asked for (rejects if it cannot listen).
 */
export async function startReadiness(
  health: HealthImplementation,
  options: ReadinessOptions,
): Promise<Readiness> {
  const maxLag = options.maxApplyLagEntries ?? READY_MAX_APPLY_LAG_ENTRIES;
  const log = options.log ?? (() => undefined);
  let verdict: ReadinessVerdict = { ready: false, reason: 'starting' };
  let published: ServingStatus = 'NOT_SERVING';
  health.setStatus(READY_SERVICE_NAME, published);
  const update = (): void => {
    let next: ReadinessVerdict;
    try {
      next = readinessOf(options.runtime(), options.serving(), maxLag);
    } catch (err) {
      next = { ready: false, reason: err instanceof Error ? err.message : String(err) };
    }
    const status: ServingStatus = next.ready ? 'SERVING' : 'NOT_SERVING';
    if (status !== published) {
      published = status;
      health.setStatus(READY_SERVICE_NAME, status);
      log(`${next.ready ? 'ready' : 'not ready'}: ${next.reason}`);
    }
    verdict = next;
  };
  const timer = setInterval(update, options.intervalMs ?? READY_CHECK_INTERVAL_MS);
  timer.unref();

  const probePort = options.probePort ?? probePortFromEnv(process.env);
  let probe: { address: string; close: () => void } | undefined;
  if (probePort !== undefined) {
    try {
      probe = await serveProbePort(health, parseListenAddress(options.listen).host, probePort);
    } catch (err) {
      clearInterval(timer);
      throw err;
    }
    log(`health probes (plaintext, health service only) on ${probe.address}`);
  }
  update();
  let closed = false;
  return {
    probeAddress: probe?.address,
    current: () => verdict,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      published = 'NOT_SERVING';
      health.setStatus(READY_SERVICE_NAME, published);
      verdict = { ready: false, reason: 'stopped' };
      probe?.close();
    },
  };
}

/**
 * A plaintext gRPC server with only `health` on HOST:PORT, behind the node's own
 * connection gate (connection count, handshake timeout, accept errors).
 */
async function serveProbePort(
  health: HealthImplementation,
  host: string,
  port: number,
): Promise<{ address: string; close: () => void }> {
  const server = new RaftvecServer(serverChannelOptions(PROBE_MAX_MESSAGE_BYTES), {
    maxConnections: PROBE_MAX_CONNECTIONS,
  });
  health.addToServer(server);
  let address: string;
  try {
    address = await bindServer(server, formatAddress(host, port));
  } catch (err) {
    server.forceShutdown();
    throw new Error(
      `cannot listen for health probes: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return { address, close: () => server.forceShutdown() };
}
