/**
 * Bulk ingest into one node, the issue's shape (batches of 1000 × 128-d into a Flat
 * collection, goal ≥ 50,000 vectors/s), and where the time goes:
 *  - end to end: one `raftvec serve` node, C clients each on its own connection,
 *    each upserting whole batches (unique ids, metadata {}) one after the other;
 *    vectors/s, per-batch latency, the ratio to the goal, and the CPU the server
 *    process and this one (the clients) spent per batch;
 *  - stages: the same kind of batch through each step of that write path, one step
 *    at a time, in this process, on the real modules (LevelDB and the Raft log in a
 *    temporary folder, FAISS): client encoding, server decoding, validation, command
 *    encoding, the Raft log's synced write, the state machine's apply, and inside the
 *    apply FAISS and LevelDB measured alone. Medians (and means) per batch, in ms and
 *    as shares; the server-side sum implies a ceiling, which the end-to-end rate is
 *    compared to. The node also does work the stages leave out (gRPC transport, the
 *    Raft runtime, index checkpoints, Raft snapshots every 64 MiB of log, GC): the
 *    server's CPU per batch next to the stages' sum says how much.
 *
 *   npm run bench -- ingest [--batches 200] [--clients 4] [--warmup-batches 20] [--stage-batches 50]
 *
 * Both parts run in the same process, one after the other (the server is stopped
 * before the stages run, so they do not compete for the 2 cores).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Level } from 'level';
import { RaftvecClient, type UpsertPoint } from '../src/client/client.js';
import { loadVectorProto } from '../src/api/proto.js';
import {
  metadataToStruct,
  structToMetadata,
  vectorToF32Bytes,
  wireVector,
  wireVectorLength,
  writeConcernToProto,
} from '../src/api/conversions.js';
import { validatePointCount, validatePoints, validateVectorLength } from '../src/validation.js';
import { decodeCommand, encodeCommand } from '../src/storage/command-codec.js';
import { RaftLogStore } from '../src/raft/storage/raft-log-store.js';
import { VectorStateMachine } from '../src/storage/state-machine.js';
import { FaissIndex } from '../src/index/faiss.js';
import { encodePointValue, labelKey, pointKey } from '../src/storage/keys.js';
import { sealRecord } from '../src/storage/checked-store.js';
import type { Command, Point } from '../src/domain.js';
import type { Point as ProtoPoint } from '../src/generated/raftvec/v1/Point.js';
import type { WriteStreamRequest } from '../src/generated/raftvec/v1/WriteStreamRequest.js';
import {
  fmt,
  percentile,
  processCpuSeconds,
  randomVectors,
  startServers,
  timed,
  type ServerProcess,
} from './common.js';
import { leaderOf } from './cluster-waits.js';
import { UsageError, flagsOf, integerOption } from './report.js';

const DIM = 128;
const BATCH = 1000;
const COLLECTION = 'ingest';
/** The issue's goal, in vectors per second. */
const GOAL_VECTORS_PER_SECOND = 50_000;
/** Distinct batches of vectors, reused under new ids: FAISS Flat and LevelDB do not look at the values. */
const POOL_BATCHES = 8;
/** Unmeasured batches before the stage breakdown (JIT, LevelDB and FAISS allocations). */
const STAGE_WARMUP_BATCHES = 10;
/** The stage breakdown's client, as a RaftvecClient would stamp its writes. */
const CLIENT_ID = 'bench-ingest-client';

interface Args {
  batches: number;
  clients: number;
  warmupBatches: number;
  stageBatches: number;
}

const USAGE =
  'usage: npm run bench -- ingest [--batches N] [--clients C] [--warmup-batches N] [--stage-batches N]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { batches: 200, clients: 4, warmupBatches: 20, stageBatches: 50 };
  const integer = integerOption(USAGE);
  for (const { arg, flag, value } of flagsOf(argv)) {
    switch (flag) {
      case '--batches':
        args.batches = integer('--batches', value(), 1, 100_000);
        break;
      case '--clients':
        args.clients = integer('--clients', value(), 1, 256);
        break;
      case '--warmup-batches':
        args.warmupBatches = integer('--warmup-batches', value(), 0, 10_000);
        break;
      case '--stage-batches':
        args.stageBatches = integer('--stage-batches', value(), 1, 10_000);
        break;
      case '--help':
      case '-h':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown option "${arg}"\n${USAGE}`);
    }
  }
  return args;
}

// ---- data -----------------------------------------------------------------------------

/** The vectors of batch `b` (one of POOL_BATCHES), contiguous: 1000 × 128 floats. */
function batchVectors(pool: Float32Array, b: number): Float32Array {
  const at = (b % POOL_BATCHES) * BATCH * DIM;
  return pool.subarray(at, at + BATCH * DIM);
}

/** Batch `b` as a client sends it: ids `<prefix><b>-<i>`, unique across the run, metadata {}. */
function batchPoints(pool: Float32Array, b: number, prefix: string): UpsertPoint[] {
  const vectors = batchVectors(pool, b);
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `${prefix}${b}-${i}`,
    vector: vectors.subarray(i * DIM, (i + 1) * DIM),
    metadata: {},
  }));
}

// ---- end to end -----------------------------------------------------------------------

interface EndToEnd {
  vectorsPerSecond: number;
  latenciesMs: number[];
  /** CPU seconds (all threads) of the server process per measured batch, in ms. */
  serverCpuMsPerBatch: number;
  /** CPU seconds of this process (the clients) per measured batch, in ms. */
  clientCpuMsPerBatch: number;
  /** Average cores busy in the server process over the measured run. */
  serverCores: number;
  /**
   * Raft snapshots the server finished during the measured run (a snapshot's write-out
   * runs beside applies, so one begun near the end finishes after it and is not counted).
   */
  snapshots: number;
}

async function endToEnd(args: Args): Promise<EndToEnd> {
  const servers = await startServers(1, 'ingest', { captureLog: true });
  const node: ServerProcess = servers.nodes[0]!;
  const pid = node.child.pid;
  const clients: RaftvecClient[] = [];
  try {
    if (pid === undefined) throw new Error('the server process has no pid');
    await leaderOf(servers.nodes);
    // grpc-js shares one connection among clients with equal options: a distinct
    // option per client gives each its own connection (and its own write stream).
    for (let c = 0; c < args.clients; c++)
      clients.push(
        new RaftvecClient(node.address, {
          deadlineMs: 60_000,
          channelOptions: { 'raftvec.bench.connection': c },
        }),
      );
    await clients[0]!.createCollection(COLLECTION, { dimension: DIM, indexSpec: 'Flat' });
    const pool = randomVectors(POOL_BATCHES * BATCH, DIM, 11);
    // Each client takes the next batch as soon as its previous one is acknowledged
    // (a client's writes go one at a time: see RaftvecClient).
    const upsertBatches = async (count: number, prefix: string, latencies?: number[]) => {
      let next = 0;
      await Promise.all(
        clients.map(async (client) => {
          while (next < count) {
            const points = batchPoints(pool, next++, prefix);
            const start = performance.now();
            await client.upsert(COLLECTION, points);
            latencies?.push(performance.now() - start);
          }
        }),
      );
    };
    // Unmeasured first, under other ids: connections made, Node's JIT compilers done
    // with the hot paths of both processes, as in a server that has run for a while.
    await upsertBatches(args.warmupBatches, 'w');
    const latenciesMs: number[] = [];
    const logFrom = performance.now();
    const serverCpuBefore = processCpuSeconds(pid);
    const clientCpuBefore = process.cpuUsage();
    const run = await timed(() => upsertBatches(args.batches, 'b', latenciesMs));
    const serverCpu = processCpuSeconds(pid) - serverCpuBefore;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    return {
      vectorsPerSecond: (args.batches * BATCH) / run.seconds,
      latenciesMs: latenciesMs.sort((a, b) => a - b),
      serverCpuMsPerBatch: (serverCpu * 1000) / args.batches,
      clientCpuMsPerBatch: (clientCpu.user + clientCpu.system) / 1000 / args.batches,
      serverCores: serverCpu / run.seconds,
      snapshots: (node.log ?? []).filter((l) => l.at >= logFrom && l.line.includes('took snapshot'))
        .length,
    };
  } finally {
    for (const c of clients) c.close();
    await servers.stop();
  }
}

// ---- stages ---------------------------------------------------------------------------

const STAGES = [
  'clientEncode',
  'serverDecode',
  'serverConvert',
  'validate',
  'encodeCommand',
  'decodeCommand',
  'persistSynced',
  'persistUnsynced',
  'apply',
  'faiss',
  'leveldb',
] as const;
type Stage = (typeof STAGES)[number];

const writeStream = loadVectorProto().proto.raftvec.v1.VectorService.service.WriteStream;

/** What RaftvecClient does to an upsert before it leaves (pointToProto, the WriteStream message), then protobuf. */
function clientEncode(points: readonly UpsertPoint[], sequence: number): Buffer {
  const wire: ProtoPoint[] = points.map((p) => ({
    id: p.id,
    vectorF32: vectorToF32Bytes(p.vector),
    metadata: metadataToStruct(p.metadata ?? {}),
  }));
  const request: WriteStreamRequest = {
    requestId: sequence,
    timeoutMs: 60_000,
    upsert: {
      collection: COLLECTION,
      points: wire,
      options: { writeConcern: writeConcernToProto(undefined), clientId: CLIENT_ID, sequence },
    },
  };
  return writeStream.requestSerialize(request);
}

/**
 * The LevelDB writes the state machine makes for a batch (planUpsert): per point, its
 * record (label, vector, metadata JSON) and its label → id record, each value sealed
 * with its 4-byte checksum as CheckedStore stores it. Built before the clock starts.
 */
function levelOps(points: readonly Point[], firstLabel: number): [Uint8Array, Uint8Array][] {
  const uid = 1;
  return points.flatMap((p, i): [Uint8Array, Uint8Array][] => {
    const label = firstLabel + i;
    const key = pointKey(uid, p.id);
    const labelK = labelKey(uid, label);
    return [
      [key, sealRecord(key, encodePointValue(label, p.vector, JSON.stringify(p.metadata)))],
      [labelK, sealRecord(labelK, new TextEncoder().encode(p.id))],
    ];
  });
}

/**
 * Each stage on every batch, one after the other (so stages never overlap and noise
 * spreads over all of them alike); returns every measured batch's times in ms.
 */
async function measureStages(stageBatches: number): Promise<{
  times: Record<Stage, number[]>;
  messageBytes: number;
  commandBytes: number;
  /** Garbage-collection pauses of this process over the measured batches, in ms. */
  gcMs: number;
}> {
  const times = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<
    Stage,
    number[]
  >;
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-ingest-stages-'));
  let log: RaftLogStore | undefined;
  let sm: VectorStateMachine | undefined;
  let db: Level<Uint8Array, Uint8Array> | undefined;
  // Pauses land inside whichever stage runs: the medians mostly miss them, the means do not.
  let gcMs = 0;
  let counting = false;
  const gc = new PerformanceObserver((list) => {
    if (counting) for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  try {
    log = await RaftLogStore.open(join(root, 'raft-log'));
    await log.load();
    // As the node opens it by default: the Raft log is the durable record.
    sm = await VectorStateMachine.open(join(root, 'state'), { sync: false });
    db = new Level<Uint8Array, Uint8Array>(join(root, 'raw-level'), {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    const faiss = FaissIndex.create(DIM, 'Flat', 'l2');
    const created = await sm.applyEntry(
      1,
      encodeCommand({
        kind: 'createCollection',
        spec: { name: COLLECTION, dimension: DIM, metric: 'l2', indexSpec: 'Flat' },
      }),
    );
    if (!created.ok) throw new Error(`createCollection failed: ${created.message}`);
    const pool = randomVectors(POOL_BATCHES * BATCH, DIM, 12);
    let logIndex = 0;
    let messageBytes = 0;
    let commandBytes = 0;
    for (let b = -STAGE_WARMUP_BATCHES; b < stageBatches; b++) {
      const n = b + STAGE_WARMUP_BATCHES;
      const measured = b >= 0;
      counting = measured;
      const upsertPoints = batchPoints(pool, n, 's');
      // Each lap records the time since the previous one (or since `t` was reset).
      let t = performance.now();
      const lap = (stage: Stage): void => {
        const now = performance.now();
        if (measured) times[stage].push(now - t);
        t = now;
      };

      const bytes = clientEncode(upsertPoints, n + 1);
      lap('clientEncode');
      messageBytes = bytes.length;

      const request = writeStream.requestDeserialize(bytes).upsert;
      if (!request) throw new Error('the WriteStream message holds no upsert');
      lap('serverDecode');

      // As VectorService#upsert: shapes first, then the points, then validatePoints.
      validatePointCount(request.points.length);
      request.points.forEach((p, i) => {
        const where = `point ${i} (id ${p.id})`;
        validateVectorLength(DIM, wireVectorLength(p, where), where);
      });
      const points: Point[] = request.points.map((p, i) => ({
        id: p.id,
        vector: wireVector(p),
        metadata: structToMetadata(p.metadata, `metadata of point ${i} (id ${p.id})`),
      }));
      lap('serverConvert');

      validatePoints(DIM, points, 'l2');
      lap('validate');

      const command: Command = {
        kind: 'upsert',
        collection: COLLECTION,
        points,
        session: { clientId: CLIENT_ID, sequence: n + 1 },
        leaderTimeMs: Date.now(),
      };
      const data = encodeCommand(command);
      lap('encodeCommand');
      commandBytes = data.length;

      decodeCommand(data);
      lap('decodeCommand');

      // One entry and the hard state per write, as a Ready of a lone write carries.
      logIndex++;
      await log.persist([{ index: logIndex, term: 1, type: 'normal', data }], {
        term: 1,
        vote: 'n1',
        commit: logIndex - 1,
      });
      lap('persistSynced');

      // The same write without the fsync: the difference is what the disk's flush costs.
      logIndex++;
      await log.persist(
        [{ index: logIndex, term: 1, type: 'normal', data }],
        { term: 1, vote: 'n1', commit: logIndex - 1 },
        false,
      );
      lap('persistUnsynced');

      // Index 1 holds the createCollection.
      const [applied] = await sm.applyEntries(n + 2, [data]);
      if (!applied?.ok) throw new Error(`apply failed: ${JSON.stringify(applied)}`);
      lap('apply');

      const labels = new BigInt64Array(BATCH);
      for (let i = 0; i < BATCH; i++) labels[i] = BigInt(n * BATCH + i);
      const vectors = batchVectors(pool, n);
      t = performance.now();
      await faiss.add(vectors, labels);
      lap('faiss');

      const ops = levelOps(points, n * BATCH);
      t = performance.now();
      // A chained batch, unsynced, as CheckedStore writes it.
      const batch = db.batch();
      for (const [key, value] of ops) batch.put(key, value);
      await batch.write();
      lap('leveldb');
    }
    // Entries are delivered asynchronously: let the last ones arrive.
    await new Promise((r) => setImmediate(r));
    return { times, messageBytes, commandBytes, gcMs };
  } finally {
    gc.disconnect();
    // Each closed whatever happens to the others, and the folder removed after all.
    await Promise.allSettled([sm?.close(), log?.close(), db?.close()]);
    rmSync(root, { recursive: true, force: true });
  }
}

// ---- the report -----------------------------------------------------------------------

const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const mean = (values: readonly number[]): number =>
  values.reduce((sum, v) => sum + v, 0) / values.length;

/** The figures of the breakdown, from one statistic (median or mean) of each stage. */
interface Breakdown {
  stage: Record<Stage, number>;
  /** Apply minus what was measured of it alone (decode, validation, FAISS, LevelDB). */
  applyOther: number;
  /** Every server-side stage (the decoded command's apply included once). */
  server: number;
  /** The same, with the Raft log write unsynced: the server's CPU, not its disk wait. */
  serverWithoutFsync: number;
  total: number;
}

function breakdown(
  times: Record<Stage, number[]>,
  stat: (v: readonly number[]) => number,
): Breakdown {
  const stage = Object.fromEntries(STAGES.map((s) => [s, stat(times[s])])) as Record<Stage, number>;
  const server =
    stage.serverDecode +
    stage.serverConvert +
    stage.validate +
    stage.encodeCommand +
    stage.persistSynced +
    stage.apply;
  return {
    stage,
    // Inside the apply the command is decoded again, validatePoints runs again
    // (planUpsert), and FAISS and LevelDB do their part; the rest is the state
    // machine's own work (keys, records, checksums, maps, digest, session table).
    applyOther: stage.apply - stage.decodeCommand - stage.validate - stage.faiss - stage.leveldb,
    server,
    serverWithoutFsync: server - stage.persistSynced + stage.persistUnsynced,
    total: stage.clientEncode + server,
  };
}

/** The rows of the table: label, and the figure from a breakdown. */
const ROWS: readonly [string, (b: Breakdown) => number][] = [
  ['client: points → WriteStream message, serialize', (b) => b.stage.clientEncode],
  ['server: decode the message (protobuf)', (b) => b.stage.serverDecode],
  ['server: wire → points (vectors, metadata, lengths)', (b) => b.stage.serverConvert],
  ['server: validatePoints', (b) => b.stage.validate],
  ['server: encodeCommand', (b) => b.stage.encodeCommand],
  ['server: Raft log persist, synced (fsync)', (b) => b.stage.persistSynced],
  ['server: state machine apply (applyEntries)', (b) => b.stage.apply],
  ['  of which decodeCommand', (b) => b.stage.decodeCommand],
  ['  of which validatePoints again (planUpsert; as above)', (b) => b.stage.validate],
  ['  of which FAISS add (Flat, measured alone)', (b) => b.stage.faiss],
  ['  of which LevelDB batch, 2000 puts (alone)', (b) => b.stage.leveldb],
  ['  of which other (apply − the four above)', (b) => b.applyOther],
  ['total', (b) => b.total],
  ['server side (the server: rows)', (b) => b.server],
];

export async function runIngestBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(
    `ingest: batches of ${BATCH} × ${DIM}-d (metadata {}), Flat, one node; ${args.batches} batches from ${args.clients} clients (own connection each) after ${args.warmupBatches} unmeasured; stage breakdown over ${args.stageBatches} batches after ${STAGE_WARMUP_BATCHES} unmeasured, in this process`,
  );

  const e2e = await endToEnd(args);
  console.log('end to end (raftvec serve, 1 node):');
  console.log(
    `  ${fmt(e2e.vectorsPerSecond, 0)} vectors/s; per batch p50 ${fmt(percentile(e2e.latenciesMs, 50), 1)} ms, p99 ${fmt(percentile(e2e.latenciesMs, 99), 1)} ms; goal ${fmt(GOAL_VECTORS_PER_SECOND, 0)} vectors/s: ratio ${fmt(e2e.vectorsPerSecond / GOAL_VECTORS_PER_SECOND, 2)}`,
  );
  console.log(
    `  CPU per batch: server process ${fmt(e2e.serverCpuMsPerBatch, 1)} ms (${fmt(e2e.serverCores, 2)} cores busy on average), clients (this process) ${fmt(e2e.clientCpuMsPerBatch, 1)} ms; Raft snapshots finished meanwhile: ${e2e.snapshots} (one still being written out at the end is not counted)`,
  );

  const stages = await measureStages(args.stageBatches);
  const med = breakdown(stages.times, median);
  const avg = breakdown(stages.times, mean);
  const width = Math.max(...ROWS.map(([label]) => label.length));
  console.log(
    `stage breakdown, ms per ${BATCH}-vector batch over ${args.stageBatches} (share: of the median total):`,
  );
  console.log(
    `  ${''.padEnd(width)}  ${'median'.padStart(8)}  ${'share'.padStart(6)}  ${'mean'.padStart(8)}`,
  );
  for (const [label, figure] of ROWS)
    console.log(
      `  ${label.padEnd(width)}  ${fmt(figure(med), 2).padStart(8)}  ${`${fmt((100 * figure(med)) / med.total, 1)}%`.padStart(6)}  ${fmt(figure(avg), 2).padStart(8)}`,
    );
  console.log(
    `  the same Raft log write unsynced: ${fmt(med.stage.persistUnsynced, 2)} ms, so the fsync is ≈ ${fmt(med.stage.persistSynced - med.stage.persistUnsynced, 2)} ms; GC pauses in this process: ${fmt(stages.gcMs / args.stageBatches, 2)} ms per batch (inside the stages: the means count them, the medians mostly not); a batch is ${fmt(stages.messageBytes / 1024, 0)} KiB on the wire, ${fmt(stages.commandBytes / 1024, 0)} KiB as a log entry`,
  );
  const ceiling = (ms: number): number => BATCH / (ms / 1000);
  const vs = (ms: number): string =>
    `${fmt(ceiling(ms), 0)} vectors/s (${fmt(ceiling(ms) / GOAL_VECTORS_PER_SECOND, 2)} of the goal); end to end reached ${fmt(e2e.vectorsPerSecond / ceiling(ms), 2)} of it`;
  console.log(
    `implied ceiling, one batch at a time through the server-side stages (medians): ${vs(med.server)}`,
  );
  console.log(`  from the means: ${vs(avg.server)}`);
  // The fsync waits on the disk without using a core; the rest is CPU (the main
  // thread's, or LevelDB's and FAISS's threads').
  console.log(
    `  without the fsync (as if group commit hid it entirely), medians: ${vs(med.serverWithoutFsync)}`,
  );
  console.log(
    `  server CPU per batch end to end (${fmt(e2e.serverCpuMsPerBatch, 1)} ms) / server-side stages without the fsync (${fmt(med.serverWithoutFsync, 1)} ms, medians) = ${fmt(e2e.serverCpuMsPerBatch / med.serverWithoutFsync, 2)}`,
  );
}
