/**
 * Prometheus metrics of a node (`serve --metrics-listen HOST:PORT`, HTTP `GET /metrics`),
 * with prom-client. Names follow Prometheus's conventions: a `raftvec_` prefix, the unit
 * as a suffix (`_seconds`, `_bytes`), `_total` on counters.
 *
 * - Raft, read from the node's status at each scrape: `raftvec_raft_term`,
 *   `raftvec_raft_role{role}` (1 for the node's role), `raftvec_raft_commit_index`,
 *   `raftvec_raft_applied_index`, `raftvec_raft_last_index`,
 *   `raftvec_raft_snapshot_index`, and on a leader `raftvec_raft_follower_match_index{peer}`
 *   and `raftvec_raft_follower_lag_entries{peer}`; `raftvec_raft_proposal_queue_depth` and
 *   `raftvec_raft_proposal_queue_limit`.
 * - Raft, as the runtime reports it (NodeMetrics is its RuntimeObserver):
 *   `raftvec_raft_elections_started_total`, `raftvec_raft_elections_won_total`,
 *   `raftvec_raft_leader_changes_total`, `raftvec_raft_log_fsync_duration_seconds`,
 *   `raftvec_raft_log_synced_entries_total`, `raftvec_raft_apply_duration_seconds`,
 *   `raftvec_raft_snapshot_duration_seconds{operation}` (`take` or `install`) and
 *   `raftvec_raft_snapshot_size_bytes`.
 * - Data: `raftvec_collection_points{collection}`.
 * - Calls: `raftvec_grpc_requests_total{method, code}` and
 *   `raftvec_grpc_request_duration_seconds{method}`, counted by a server interceptor;
 *   `raftvec_search_duration_seconds`, the state machine's part of a search (the index
 *   search and reading the hits).
 * - The process: prom-client's default `process_*` and `nodejs_*` metrics.
 *
 * Labels are bounded: methods are those the server serves, peers the cluster's members,
 * collections those that exist.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CollectionInfo } from '../domain.js';
import type { NodeStatus } from '../generated/raftvec/v1/NodeStatus.js';
import type { RuntimeObserver, SnapshotRef } from '../raft/runtime/ports.js';
import { formatAddress, parseListenAddress } from './grpc-server.js';

/** What the metrics read at each scrape. */
export interface MetricsSource {
  status(): NodeStatus;
  /** Undefined while the node loads. */
  collections(): CollectionInfo[] | undefined;
  /** The write path's backlog and its limit (RaftWritePath.pending); undefined while the node loads. */
  proposalQueue?(): { pending: number; limit: number } | undefined;
}

const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'] as const;
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Synced log writes and applies: from a fast disk's fsync up to a stalled one. */
const DISK_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** A snapshot copies the whole state: from an empty one to a large one on a slow disk. */
const SNAPSHOT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const SNAPSHOT_OPERATIONS = ['take', 'install'] as const;
const GRPC_CODE_NAMES = new Map(
  Object.entries(grpc.status)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

export class NodeMetrics implements RuntimeObserver {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'code'>;
  readonly #requestSeconds: Histogram<'method'>;
  readonly #searchSeconds: Histogram;
  readonly #electionsStarted: Counter;
  readonly #electionsWon: Counter;
  readonly #leaderChanges: Counter;
  readonly #fsyncSeconds: Histogram;
  readonly #syncedEntries: Counter;
  readonly #applySeconds: Histogram;
  readonly #snapshotSeconds: Histogram<'operation'>;
  readonly #snapshotBytes: Gauge;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const status = (): NodeStatus => source.status();
    const raftGauge = (name: string, help: string, read: (s: NodeStatus) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(status()));
        },
      });
    };
    raftGauge('raftvec_raft_term', 'The current Raft term of this node.', (s) => Number(s.term));
    raftGauge('raftvec_raft_commit_index', 'The highest log index known committed.', (s) =>
      Number(s.commitIndex),
    );
    raftGauge('raftvec_raft_applied_index', 'The highest log index applied to the state.', (s) =>
      Number(s.appliedIndex),
    );
    raftGauge('raftvec_raft_last_index', 'The index of the last entry in the log.', (s) =>
      Number(s.lastIndex),
    );
    raftGauge(
      'raftvec_raft_snapshot_index',
      'The index the log starts after: where it was last compacted, behind a snapshot (0: never compacted).',
      (s) => Number(s.snapshotIndex),
    );
    new Gauge({
      name: 'raftvec_raft_role',
      help: 'The Raft role of this node: 1 for its role, 0 for the others.',
      labelNames: ['role'],
      registers,
      collect() {
        const role = status().role;
        for (const r of ROLES) this.set({ role: r }, r === role ? 1 : 0);
      },
    });
    const progress = (help: string, name: string, read: (s: NodeStatus, match: number) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['peer'],
        registers,
        collect() {
          this.reset();
          const s = status();
          for (const p of s.progress ?? [])
            this.set({ peer: p.id ?? '' }, read(s, Number(p.matchIndex)));
        },
      });
    progress(
      'On the leader: the highest log index known replicated on each follower.',
      'raftvec_raft_follower_match_index',
      (_s, match) => match,
    );
    progress(
      'On the leader: how many entries each follower is behind the leader’s last index.',
      'raftvec_raft_follower_lag_entries',
      (s, match) => Math.max(0, Number(s.lastIndex) - match),
    );
    const queueGauge = (name: string, help: string, key: 'pending' | 'limit'): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(source.proposalQueue?.()?.[key] ?? 0);
        },
      });
    };
    queueGauge(
      'raftvec_raft_proposal_queue_depth',
      "Entries appended to this node's log and not yet applied here, on a leader: the writes waiting to commit and apply, those whose caller gave up included.",
      'pending',
    );
    queueGauge(
      'raftvec_raft_proposal_queue_limit',
      'The proposal queue depth at which new writes are refused with RESOURCE_EXHAUSTED.',
      'limit',
    );
    this.#electionsStarted = new Counter({
      name: 'raftvec_raft_elections_started_total',
      help: 'Elections this node stood in: it became a candidate in a new term (pre-votes not counted).',
      registers,
    });
    this.#electionsWon = new Counter({
      name: 'raftvec_raft_elections_won_total',
      help: 'Elections this node won: it became leader.',
      registers,
    });
    this.#leaderChanges = new Counter({
      name: 'raftvec_raft_leader_changes_total',
      help: 'Leaders this node learned of, one per term at most (itself included).',
      registers,
    });
    this.#fsyncSeconds = new Histogram({
      name: 'raftvec_raft_log_fsync_duration_seconds',
      help: 'Time of each synced write of the Raft log (entries and hard state in one batch) until durable.',
      buckets: DISK_BUCKETS,
      registers,
    });
    this.#syncedEntries = new Counter({
      name: 'raftvec_raft_log_synced_entries_total',
      help: 'Log entries written by synced writes (per fsync on average: group commit).',
      registers,
    });
    this.#applySeconds = new Histogram({
      name: 'raftvec_raft_apply_duration_seconds',
      help: 'Time the state machine takes to apply one group of committed entries (one call, one batch).',
      buckets: DISK_BUCKETS,
      registers,
    });
    this.#snapshotSeconds = new Histogram({
      name: 'raftvec_raft_snapshot_duration_seconds',
      help: 'Time to take a snapshot of the state (operation="take") or install one from the leader (operation="install"); _count counts them.',
      labelNames: ['operation'],
      buckets: SNAPSHOT_BUCKETS,
      registers,
    });
    for (const operation of SNAPSHOT_OPERATIONS) this.#snapshotSeconds.zero({ operation });
    this.#snapshotBytes = new Gauge({
      name: 'raftvec_raft_snapshot_size_bytes',
      help: 'Size on disk of the last snapshot this node took (0: none taken since start).',
      registers,
    });
    new Gauge({
      name: 'raftvec_collection_points',
      help: 'Points in each collection.',
      labelNames: ['collection'],
      registers,
      collect() {
        this.reset();
        for (const c of source.collections() ?? []) this.set({ collection: c.name }, c.pointCount);
      },
    });
    this.#requests = new Counter({
      name: 'raftvec_grpc_requests_total',
      help: 'gRPC calls answered, by method and status code.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: 'raftvec_grpc_request_duration_seconds',
      help: 'Time from a gRPC call’s arrival to its status, by method.',
      labelNames: ['method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#searchSeconds = new Histogram({
      name: 'raftvec_search_duration_seconds',
      help: 'Time the state machine takes to answer a search (index search and reading the hits).',
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  electionStarted(): void {
    this.#electionsStarted.inc();
  }

  electionWon(): void {
    this.#electionsWon.inc();
  }

  leaderChanged(): void {
    this.#leaderChanges.inc();
  }

  logSynced(entries: number, seconds: number): void {
    this.#fsyncSeconds.observe(seconds);
    this.#syncedEntries.inc(entries);
  }

  applied(_entries: number, seconds: number): void {
    this.#applySeconds.observe(seconds);
  }

  snapshotTaken(snapshot: SnapshotRef, seconds: number): void {
    this.#snapshotSeconds.observe({ operation: 'take' }, seconds);
    if (snapshot.bytes !== undefined) this.#snapshotBytes.set(snapshot.bytes);
  }

  snapshotInstalled(_index: number, seconds: number): void {
    this.#snapshotSeconds.observe({ operation: 'install' }, seconds);
  }

  /** Records a search's duration, for the caller that timed it. */
  observeSearch(seconds: number): void {
    this.#searchSeconds.observe(seconds);
  }

  /** A server interceptor counting and timing every call by method and status. */
  interceptor(): grpc.ServerInterceptor {
    return (method, call) => {
      const started = process.hrtime.bigint();
      const name = method.path.replace(/^\//, '');
      return new grpc.ServerInterceptingCall(call, {
        sendStatus: (status, next) => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          this.#requests.inc({
            method: name,
            code: GRPC_CODE_NAMES.get(status.code) ?? String(status.code),
          });
          this.#requestSeconds.observe({ method: name }, seconds);
          next(status);
        },
      });
    };
  }

  /** Serves `GET /metrics` on `listen` (HOST:PORT); resolves with the bound address. */
  async serve(listen: string): Promise<{ address: string; close: () => Promise<void> }> {
    const { host, port } = parseListenAddress(listen);
    const server: Server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
      );
    });
    server.requestTimeout = 10_000;
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    return {
      address: formatAddress(host, bound),
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }
}
