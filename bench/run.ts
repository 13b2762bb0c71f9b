/**
 * Benchmarks. Each prints ratios against a baseline measured in the same run:
 * these machines are shared and noisy, so absolute figures do not compare across runs.
 *
 *   npm run bench -- search   # gRPC floor and per-call overhead, gRPC vs in-process, raw FAISS and memory
 *                             # bandwidth, build variants, recall@10 (uniform and clustered), batch precision
 *   npm run bench -- raft     # 3 nodes vs 1: write throughput, commit latency; failover; elections under load
 *   npm run bench -- lifecycle  # restart: index rebuilt vs checkpoint vs reading the bytes; 3 nodes: catch-up by snapshot vs fs.cp, RSS
 *   npm run bench -- state-sync # state store fsync per applied entry, on vs off
 *   npm run bench -- writes     # 1/16/64 concurrent single writes, 3 nodes vs etcd (or one node)
 *   npm run bench -- reads      # reads at each consistency level, 3 nodes: QPS, p50/p99 vs EVENTUAL; spread vs leader only
 *   npm run bench -- rolling    # rolling restart of 3 nodes under load: write/read gaps, leadership handed over on SIGTERM vs not
 *   npm run bench -- membership # a new node joining a running 3-node cluster (serve --join): time to catch up and to voter vs n, vs fs.cp
 *   npm run bench -- filter     # filtered search at 1%/10%/50% selectivity, with vs without a payload index: QPS, recall@10
 *   npm run bench -- ingest     # bulk ingest into one node (1000 × 128-d batches, Flat) vs the 50k vectors/s goal; time per stage
 *   npm run bench -- raft-log   # the Raft log's synced append alone: segment files vs the former LevelDB batch
 *   npm run bench -- commit-path # where one write's latency goes, stage by stage, 3 nodes vs 1
 *   npm run bench -- apply      # the state machine's apply per single-point upsert, in process, vs its LevelDB + FAISS floor
 *
 * `--json [PATH]` (benches that report through bench/report.ts: search, filter) also writes every
 * figure, its baseline and ratio, the parameters and the machine as one JSON document, to
 * PATH, or to stdout (the human output then goes to stderr).
 */
import { runSearchBench } from './search.js';
import { runRaftBench } from './raft.js';
import { runLifecycleBench } from './lifecycle.js';
import { runStateSyncBench } from './state-sync.js';
import { runWritesBench } from './writes.js';
import { runReadsBench } from './reads.js';
import { runRollingRestartBench } from './rolling-restart.js';
import { runMembershipBench } from './membership.js';
import { runFilterBench } from './filter.js';
import { runIngestBench } from './ingest.js';
import { runRaftLogBench } from './raft-log.js';
import { runCommitPathBench } from './commit-path.js';
import { runApplyBench } from './apply.js';
import { takeJsonOption, UsageError, type BenchOptions } from './report.js';

const [which, ...args] = process.argv.slice(2);
const benches: Record<string, (argv: readonly string[], options: BenchOptions) => Promise<void>> = {
  search: runSearchBench,
  raft: runRaftBench,
  lifecycle: runLifecycleBench,
  'state-sync': runStateSyncBench,
  writes: runWritesBench,
  reads: runReadsBench,
  rolling: runRollingRestartBench,
  membership: runMembershipBench,
  filter: runFilterBench,
  ingest: runIngestBench,
  'raft-log': runRaftLogBench,
  'commit-path': runCommitPathBench,
  apply: runApplyBench,
};

/** The benches that report through bench/report.ts, and so take --json. */
const reporting: ReadonlySet<string> = new Set(['search', 'filter']);

async function main(): Promise<void> {
  const selected = which === undefined || which === 'all' ? Object.keys(benches) : [which];
  const { argv: rest, json } = takeJsonOption(args);
  if (json !== undefined && !selected.every((name) => reporting.has(name))) {
    throw new UsageError(
      `--json is supported by: ${[...reporting].join(', ')} (run one of them alone)`,
    );
  }
  for (const name of selected) {
    const bench = benches[name];
    if (bench === undefined) {
      console.error(
        `unknown benchmark "${name}"; choose one of: ${Object.keys(benches).join(', ')}, all`,
      );
      process.exit(2);
    }
    await bench(rest, json === undefined ? {} : { json });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
