/**
 * Resources and timings of a pod, from what the benchmarks measured (README.md,
 * "Benchmarks", the lifecycle table) and from the node's own stop sequence.
 */

/**
 * The memory benchmark the pods are sized from: `npm run bench -- lifecycle --parts
 * catchup --n 1000000` (README.md, Benchmarks, lifecycle table, 2026-11-30): three
 * nodes, 1M × 128-d vectors in a Flat index (512 MB of raw vectors), every node holding
 * all of them. test/k8s reads the VmRSS rows of that table and checks these figures.
 */
export const MEMORY_BENCHMARK = {
  vectors: 1_000_000,
  dimension: 128,
  /** n · d · 4 bytes. */
  rawVectorBytes: 512_000_000,
  /** The highest VmRSS any node reached: the other follower right after the load. */
  highestRssBytes: 1_004_000_000,
  /** The leader after 30 s without load. */
  idleRssBytes: 889_000_000,
} as const;

const MiB = 1024 * 1024;

/**
 * The memory request covers the highest RSS measured at the sizing point (1M × 128-d per
 * node): 1 GiB = 1,074 MB ≥ 1,004 MB. The limit leaves half as much again for what the
 * benchmark did not load (more metadata, an HNSW graph's links, a Raft log that grew to
 * its 64 MiB snapshot threshold, requests in flight), so that a node near the sizing point
 * is not OOM-killed: 1.5 GiB = 1,611 MB ≥ 1.5 × 1,004 MB. Scale both with the data: about
 * 1.6 × the raw vector bytes + 150 MB (the project's goal, which the run met) plus the
 * same headroom.
 */
export const MEMORY_REQUEST_MIB = 1024;
export const MEMORY_LIMIT_MIB = 1536;
/** How much above the highest measured RSS the limit must be (checked by test/k8s). */
export const MEMORY_LIMIT_HEADROOM = 1.5;

export const memoryRequest = `${MEMORY_REQUEST_MIB}Mi`;
export const memoryLimit = `${MEMORY_LIMIT_MIB}Mi`;
export const memoryRequestBytes = MEMORY_REQUEST_MIB * MiB;
export const memoryLimitBytes = MEMORY_LIMIT_MIB * MiB;

/**
 * V8's old space, bounded below the container's limit so that the heap is collected
 * before the cgroup kills the process: the benchmark's heap was 195 MB reserved (184 B
 * per point); FAISS's vectors and LevelDB's caches live outside it.
 */
export const MAX_OLD_SPACE_MIB = 512;

/**
 * One core requested, and no CPU limit: a CFS quota throttles the whole process,
 * heartbeats included, and a throttled leader costs an election (the election timeout is
 * 250 ms by default). Searches and index builds run on the libuv pool (8 threads).
 */
export const CPU_REQUEST = '1';

/**
 * The data volume: 1M × 128-d Flat took 4.1 GB of data directory on the leader (the
 * catch-up benchmark copied it), two snapshots of 1.2 GB each included; 20 GiB leaves
 * room for a log at its threshold, an index checkpoint being rewritten and a damaged
 * store moved aside.
 */
export const VOLUME_SIZE = '20Gi';

/**
 * SIGTERM on the leader: hand leadership over (at most two election timeouts: 500 ms at
 * the defaults), then let in-flight calls finish (shutdownGraceMs, 10 s in
 * src/server/node.ts), stop Raft, and write each collection's index checkpoint and point
 * table (a few seconds for the 1M × 128 Flat index, 530 MB: reading it back took 3.2 s).
 * 60 s covers that with room. The kubelet SIGKILLs at the end of it, which is safe but
 * costs a slower restart (no checkpoint: the index is rebuilt or reconciled).
 */
export const TERMINATION_GRACE_SECONDS = 60;
/** What test/k8s requires beyond transfer + drain for Raft's stop and the checkpoints. */
export const STOP_MARGIN_SECONDS = 30;

/**
 * Probe timing. Startup: loading can take long (1M × 128 Flat: 5 s from a checkpoint,
 * 15 s rebuilt; a large HNSW index rebuilt without a checkpoint far longer), and a node
 * also waits for a leader: 180 × 10 s = 30 min before the kubelet gives up and restarts
 * it. Liveness: a minute of failures (a node found damaged turns NOT_SERVING; a restart
 * rebuilds the store). Readiness: every 5 s.
 */
export const PROBES = {
  startup: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 },
  liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
  readiness: { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 },
} as const;
