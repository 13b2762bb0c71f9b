/**
 * Node lifecycle: how long a restart takes to load the state, with the FAISS
 * indexes rebuilt from the stored vectors (no checkpoint; --rebuild no skips it),
 * loaded from an index checkpoint with its point table (a graceful restart: the store
 * stands at the checkpoint), and from the checkpoint with a scan of the store (as
 * after a crash), next to the baseline of reading the same bytes from disk (state
 * store and checkpoint files), all in one run. The state machine is opened
 * in-process on a real LevelDB; n random 128-d vectors per index type.
 *
 * Then, on a 3-node cluster of real `raftvec serve` processes with a small
 * --snapshot-threshold-entries (so the leader snapshots and compacts its log while
 * loading; after the load it takes one more on request, TakeSnapshot, so that the
 * snapshot holds the whole state):
 *  - catch-up of a follower that has none of the data until its applied index reaches
 *    the leader's commit, next to the baseline of copying the leader's data directory
 *    (fs.cp) in the same run; MB/s of the snapshot transfer. --follower behind (the
 *    default): the follower is stopped before the load and restarted on its (empty)
 *    data after it; --follower wiped: stopped after the load, its data dir deleted,
 *    restarted (today the wiped node never catches up: it drops the leader's
 *    heartbeats, whose commit is beyond its empty log, and the leader, which still
 *    counts it as up to date, never probes it; the bench then stops with that message);
 *  - VmRSS of each node after the load, after the catch-up and after a plain restart,
 *    next to the raw vector bytes n·d·4, with the parts that can be measured;
 *  - peak VmRSS (sampled every 50 ms) and VmHWM of the sender and the receiver
 *    during InstallSnapshot, next to their RSS before.
 *
 *   npm run bench -- lifecycle [--n 50000] [--specs Flat,HNSW32] [--parts restart,catchup]
 *     [--cluster-spec Flat] [--batch 1000] [--snapshot-threshold-entries N]
 *     [--snapshot-trailing-entries 2] [--follower behind|wiped] [--timeout-s 600] [--idle-s 30]
 *     [--rebuild yes|no]
 *
 * --snapshot-threshold-entries defaults to a quarter of the load's entries (at least 2),
 * so the leader takes about four snapshots while loading.
 */
import { allApplied, leaderOf, sizeOf, snapshotsSettled, until } from './cluster-waits.js';
import { spawnSync } from 'node:child_process';
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../src/domain.js';
import { VectorStateMachine, type LoadProgress } from '../src/storage/state-machine.js';
import { encodeCommand } from '../src/storage/command-codec.js';
import { RaftvecClient } from '../src/client/client.js';
import { ClusterStatusClient, nodeStatus, type NodeStatus } from '../src/client/cluster-status.js';
import { peerCredentials } from '../src/raft/runtime/peer-transport.js';
import {
  BENCH_CLUSTER_SECRET,
  fmt,
  killAndWait,
  randomVectors,
  spawnServer,
  startServers,
  timed,
  type ServerProcess,
} from './common.js';

const DIM = 128;
const BATCH = 1_000;

interface Args {
  n: number;
  specs: string[];
  parts: string[];
  clusterSpec: string;
  batch: number;
  /** 0: a quarter of the load's entries, at least 2. */
  snapshotThreshold: number;
  snapshotTrailing: number;
  timeoutS: number;
  /** behind: down during the whole load, restarted on its data; wiped: data dir deleted after the load. */
  follower: 'behind' | 'wiped';
  /** Seconds the cluster is left without load after it, before RSS is read again. */
  idleS: number;
  /** Also time a restart that rebuilds the indexes (minutes for HNSW at 100k and more). */
  rebuild: boolean;
}

const PARTS = ['restart', 'catchup'];

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    n: 50_000,
    specs: ['Flat', 'HNSW32'],
    parts: PARTS,
    clusterSpec: 'Flat',
    batch: 1_000,
    snapshotThreshold: 0,
    snapshotTrailing: 2,
    timeoutS: 600,
    follower: 'behind',
    idleS: 30,
    rebuild: true,
  };
  const count = (flag: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--n') args.n = count(flag, value, 1);
    else if (flag === '--specs') args.specs = value.split(',');
    else if (flag === '--parts') args.parts = value.split(',');
    else if (flag === '--cluster-spec') args.clusterSpec = value;
    else if (flag === '--batch') args.batch = count(flag, value, 1);
    else if (flag === '--snapshot-threshold-entries')
      args.snapshotThreshold = count(flag, value, 1);
    else if (flag === '--snapshot-trailing-entries') args.snapshotTrailing = count(flag, value, 0);
    else if (flag === '--timeout-s') args.timeoutS = count(flag, value, 1);
    else if (flag === '--idle-s') args.idleS = count(flag, value, 0);
    else if (flag === '--rebuild' && (value === 'yes' || value === 'no'))
      args.rebuild = value === 'yes';
    else if (flag === '--follower' && (value === 'behind' || value === 'wiped'))
      args.follower = value;
    else throw new Error(`unknown argument ${flag}`);
  }
  const unknown = args.parts.filter((p) => !PARTS.includes(p));
  if (unknown.length > 0)
    throw new Error(`unknown part ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  return args;
}

/** Bytes of every file under `dir`, read once (the cost of just getting them off disk). */
async function readAll(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await readFile(join(entry.parentPath, entry.name))).byteLength;
  }
  return bytes;
}

async function open(root: string, checkpoints: boolean) {
  let progress: LoadProgress | undefined;
  const sm = await VectorStateMachine.open(join(root, 'state'), {
    sync: false,
    ...(checkpoints && { checkpoints: { dir: join(root, 'checkpoints'), minChangedPoints: 1e12 } }),
    onProgress: (p) => {
      progress = p;
    },
  });
  return { sm, progress: () => progress! };
}

async function benchSpec(spec: string, args: Args): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-lifecycle-'));
  try {
    const data = randomVectors(args.n, DIM, 42);
    const load = await timed(async () => {
      const { sm } = await open(root, true);
      const create: Command = {
        kind: 'createCollection',
        spec: { name: 'c', dimension: DIM, metric: 'l2', indexSpec: spec },
      };
      await sm.apply(1, create);
      for (let start = 0; start < args.n; start += BATCH) {
        const count = Math.min(BATCH, args.n - start);
        await sm.apply(sm.appliedIndex + 1, {
          kind: 'upsert',
          collection: 'c',
          points: Array.from({ length: count }, (_, i) => ({
            id: `p${start + i}`,
            vector: data.subarray((start + i) * DIM, (start + i + 1) * DIM),
            metadata: { n: start + i },
          })),
        });
      }
      await sm.close(); // graceful: writes the checkpoint
    });
    const rawMb = (args.n * DIM * 4) / 1e6;
    console.log(
      `  ${spec}: loaded ${fmt(args.n, 0)} × ${DIM} (${fmt(rawMb)} MB of vectors) in ${fmt(load.seconds)} s; state ${fmt((await sizeOf(join(root, 'state'))) / 1e6)} MB, checkpoint ${fmt((await sizeOf(join(root, 'checkpoints'))) / 1e6)} MB`,
    );

    const bytesRead = await timed(async () => {
      return (await readAll(join(root, 'state'))) + (await readAll(join(root, 'checkpoints')));
    });
    const rebuilt = args.rebuild
      ? await timed(async () => {
          const { sm, progress } = await open(root, false);
          await sm.close();
          return progress().indexesRestored;
        })
      : undefined;
    const restored = await timed(async () => {
      const { sm, progress } = await open(root, true);
      const p = progress();
      await sm.close();
      return p;
    });
    // After a crash the store has moved past its newest checkpoint, and the store is
    // scanned for the points: the same as with no point table, removed here.
    for (const entry of await readdir(join(root, 'checkpoints'), { recursive: true }))
      if (entry.endsWith('.points')) await rm(join(root, 'checkpoints', entry));
    const scanned = await timed(async () => {
      const { sm, progress } = await open(root, true);
      const p = progress();
      await sm.close();
      return p;
    });
    if (scanned.value.pointTablesRead !== 0 || scanned.value.indexesRestored !== 1)
      throw new Error('expected a restore with a scan of the store');
    if (rebuilt?.value !== undefined && rebuilt.value !== 0)
      throw new Error(`expected a rebuild, got ${rebuilt.value} indexes restored`);
    if (restored.value.indexesRestored !== 1)
      throw new Error(`expected a restore, got ${restored.value.indexesRestored}`);
    console.log(
      `    read the same bytes from disk: ${fmt(bytesRead.seconds, 2)} s (${fmt(bytesRead.value / 1e6)} MB)`,
    );
    if (rebuilt)
      console.log(
        `    restart, index rebuilt:        ${fmt(rebuilt.seconds, 2)} s (${fmt(rebuilt.seconds / bytesRead.seconds)}× reading)`,
      );
    console.log(
      `    restart, index checkpoint${restored.value.pointTablesRead > 0 ? ' and point table' : ''}: ${fmt(restored.seconds, 2)} s (${fmt(restored.seconds / bytesRead.seconds)}× reading${rebuilt ? `; ${fmt(rebuilt.seconds / restored.seconds)}× faster than a rebuild` : ''})`,
    );
    console.log(
      `    restart, index checkpoint, store scanned (as after a crash): ${fmt(scanned.seconds, 2)} s (${fmt(scanned.seconds / bytesRead.seconds)}× reading)`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function runLifecycleBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  if (args.parts.includes('restart')) {
    console.log(`lifecycle: restart time, n = ${fmt(args.n, 0)}, d = ${DIM}`);
    for (const spec of args.specs) await benchSpec(spec, args);
  }
  if (args.parts.includes('catchup')) await benchCatchUp(args);
}

// ---- A 3-node cluster: catch-up of a follower that has none of the data, and memory ----

const mb = (bytes: number): string => `${fmt(bytes / 1e6)} MB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Mem {
  /** VmRSS, bytes. */
  rss: number;
  /** VmHWM (peak RSS since start or since the last reset), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process, from /proc/PID/status (undefined once it is gone). */
function procMem(pid: number | undefined): Mem | undefined {
  if (pid === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, own processes); false if refused. */
function resetPeak(pid: number | undefined): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS of some processes every `intervalMs` until stopped: (performance.now(), bytes) pairs. */
function sampleRss(
  pids: Record<string, () => number | undefined>,
  intervalMs = 50,
): () => Record<string, { at: number; rss: number }[]> {
  const out: Record<string, { at: number; rss: number }[]> = {};
  const sample = (): void => {
    for (const [name, pid] of Object.entries(pids)) {
      const rss = procMem(pid())?.rss;
      if (rss !== undefined && Number.isFinite(rss))
        (out[name] ??= []).push({ at: performance.now(), rss });
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return out;
  };
}

/** The last sample before `at` (or the first one), and the largest. */
function beforeAndPeak(samples: readonly { at: number; rss: number }[], at: number | undefined) {
  const before = samples.filter((x) => at === undefined || x.at < at).at(-1) ?? samples[0]!;
  return {
    before: before.rss,
    peak: Math.max(...samples.map((x) => x.rss)),
    count: samples.length,
  };
}

const statusOf = (address: string): Promise<NodeStatus | undefined> => nodeStatus(address);

function findLine(node: ServerProcess, re: RegExp, from = 0) {
  const log = node.log ?? [];
  for (let i = from; i < log.length; i++) {
    const m = re.exec(log[i]!.line);
    if (m) return { at: log[i]!.at, match: m };
  }
  return undefined;
}

/** Bytes of the newest index checkpoint under `dir`: serialized FAISS indexes, and their labels. */
async function checkpointBytes(
  dir: string,
): Promise<{ faiss: number; labels: number } | undefined> {
  const folders = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => /^\d+$/.test(f))
    .sort((a, b) => Number(b) - Number(a));
  if (folders.length === 0) return undefined;
  const manifest = JSON.parse(await readFile(join(dir, folders[0]!, 'manifest.json'), 'utf8')) as {
    indexes: { indexBytes: number; labelCount: number }[];
  };
  return {
    faiss: manifest.indexes.reduce((s, i) => s + i.indexBytes, 0),
    labels: manifest.indexes.reduce((s, i) => s + i.labelCount * 8, 0),
  };
}

/** Stops a node gracefully and starts it again on the same (maybe wiped) data dir. */
async function restart(node: ServerProcess, wipe: boolean): Promise<{ spawnedAt: number }> {
  await killAndWait(node.child, 'SIGTERM');
  if (wipe) await rm(node.dataDir, { recursive: true, force: true });
  node.log!.length = 0;
  const spawnedAt = performance.now();
  node.child = spawnServer(node.args, node.log);
  return { spawnedAt };
}

/**
 * Waits until a restarted node listens, then until it applied the index `whenListening`
 * returns; returns when its port was bound and when it got there.
 */
async function caughtUp(
  node: ServerProcess,
  timeoutMs: number,
  whenListening: () => Promise<number>,
  stalled: () => string | undefined = () => undefined,
) {
  const listening = await until(
    `${node.id} to listen`,
    timeoutMs,
    () => {
      if (node.child.exitCode !== null || node.child.signalCode !== null)
        throw new Error(
          `${node.id} exited: ${(node.log ?? [])
            .slice(-10)
            .map((l) => l.line)
            .join('\n')}`,
        );
      return findLine(node, /^raftvec listening on /)?.at;
    },
    10,
  );
  const target = await whenListening();
  // A client made only now: its first connection attempt finds the port bound (a
  // client that failed to connect waits out gRPC's reconnect backoff, up to seconds).
  const client = new ClusterStatusClient(node.address);
  try {
    const done = await until(
      `${node.id} to apply ${target}`,
      timeoutMs,
      async () => {
        if (node.child.exitCode !== null || node.child.signalCode !== null)
          throw new Error(`${node.id} exited`);
        const stall = stalled();
        if (stall !== undefined) throw new Error(stall);
        const s = await client.status(1_000).catch(() => undefined);
        return s !== undefined && s.appliedIndex >= target
          ? { at: performance.now(), s }
          : undefined;
      },
      20,
    );
    return { listeningAt: listening, doneAt: done.at, status: done.s, target };
  } finally {
    client.close();
  }
}

async function benchCatchUp(args: Args): Promise<void> {
  const batches = Math.ceil(args.n / args.batch);
  const threshold = args.snapshotThreshold || Math.max(2, Math.ceil((batches + 2) / 4));
  const rawBytes = args.n * DIM * 4;
  const timeoutMs = args.timeoutS * 1000;
  console.log(
    `catch-up and memory: 3 × raftvec serve, ${args.clusterSpec}, n = ${fmt(args.n, 0)} × ${DIM} (${mb(rawBytes)} of vectors) in ${fmt(batches, 0)} batches of ${fmt(args.batch, 0)} from 2 clients; --snapshot-threshold-entries ${threshold} --snapshot-trailing-entries ${args.snapshotTrailing}; follower ${args.follower === 'behind' ? 'down during the load' : 'wiped after the load'}`,
  );
  const servers = await startServers(3, 'catchup', {
    captureLog: true,
    serveArgs: [
      '--snapshot-threshold-entries',
      String(threshold),
      '--snapshot-trailing-entries',
      String(args.snapshotTrailing),
    ],
  });
  const { nodes } = servers;
  const copyRoot = mkdtempSync(join(tmpdir(), 'raftvec-bench-copy-'));
  const clients = [0, 1].map(
    () =>
      new RaftvecClient(
        nodes.map((n) => n.address),
        { deadlineMs: 120_000 },
      ),
  );
  try {
    const leader = await leaderOf(nodes);
    const [lagging, restarted] = nodes.filter((n) => n !== leader) as [
      ServerProcess,
      ServerProcess,
    ];
    const emptyRss = nodes.map((n) => procMem(n.child.pid)?.rss ?? NaN);
    const emptyMean = emptyRss.reduce((a, b) => a + b, 0) / emptyRss.length;

    const created = (
      await clients[0]!.createCollection('c', { dimension: DIM, indexSpec: args.clusterSpec })
    ).logIndex;
    await allApplied(nodes, created, timeoutMs);
    if (args.follower === 'behind') await killAndWait(lagging.child, 'SIGTERM');
    const running = nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);

    // Load n points in batches from two clients.
    const batchPoints = (b: number) => {
      const count = Math.min(args.batch, args.n - b * args.batch);
      const data = randomVectors(count, DIM, 1_000 + b);
      return Array.from({ length: count }, (_, i) => ({
        id: `p${b * args.batch + i}`,
        vector: data.subarray(i * DIM, (i + 1) * DIM),
        metadata: { n: b * args.batch + i },
      }));
    };
    const entryBytes = encodeCommand({
      kind: 'upsert',
      collection: 'c',
      points: batchPoints(0),
    }).byteLength;
    let next = 0;
    const load = await timed(() =>
      Promise.all(
        clients.map(async (client) => {
          while (next < batches) await client.upsert('c', batchPoints(next++));
        }),
      ),
    );
    const target = (await statusOf(leader.address))!.commitIndex;
    await allApplied(running, target, timeoutMs);
    await snapshotsSettled(running, timeoutMs);
    // The snapshots the threshold triggered may stop short of the last entries: take
    // one at the end on the leader, so that the follower gets the whole state in it.
    const control = new ClusterStatusClient(leader.address);
    const taken = await timed(() =>
      control.takeSnapshot(peerCredentials(BENCH_CLUSTER_SECRET, 'raftvec-bench')),
    ).finally(() => control.close());
    const leaderStatus = (await statusOf(leader.address))!;
    console.log(
      `  load: ${fmt(load.seconds)} s (${fmt(args.n / load.seconds, 0)} vectors/s); ${running.map((n) => n.id).join(', ')} applied ${target}; leader ${leader.id} took snapshot ${taken.value.index} on request in ${fmt(taken.seconds, 2)} s; its log ${leaderStatus.firstIndex}..${leaderStatus.lastIndex}, snapshot index ${leaderStatus.snapshotIndex}`,
    );
    if (leaderStatus.snapshotIndex === 0)
      throw new Error(
        'the leader never compacted its log: lower --snapshot-threshold-entries (or raise --n)',
      );
    const afterLoad = new Map(running.map((n) => [n, procMem(n.child.pid)!]));
    // Right after a load a node still holds garbage its runtime has not collected; left
    // idle, V8 collects it and shrinks its heap, and the node trims its allocator.
    await sleep(args.idleS * 1000);
    const afterIdle = new Map(running.map((n) => [n, procMem(n.child.pid)!]));
    const idleStatus = (await statusOf(leader.address))!;

    // Baseline: copy the leader's data directory.
    const dirBytes = await sizeOf(leader.dataDir);
    const copy = await timed(() =>
      cp(leader.dataDir, join(copyRoot, leader.id), { recursive: true }),
    );
    await rm(copyRoot, { recursive: true, force: true });
    // The copy left GBs of dirty pages; flushed now, so that their writeback does not
    // slow the transfer measured next.
    spawnSync('sync');
    const copyMBps = dirBytes / 1e6 / copy.seconds;
    console.log(
      `  baseline, fs.cp of the leader's data dir: ${fmt(copy.seconds, 2)} s for ${mb(dirBytes)} (${fmt(copyMBps, 0)} MB/s)`,
    );

    // (Re)start the lagging follower and time its catch-up; sample both ends' RSS meanwhile.
    const leaderBefore = procMem(leader.child.pid)!;
    const hwmReset = resetPeak(leader.child.pid);
    const leaderLogFrom = leader.log!.length;
    const sendingRe = new RegExp(`sending snapshot (\\d+) to ${lagging.id}\\b`);
    const { spawnedAt } = await restart(lagging, args.follower === 'wiped');
    // When the whole snapshot is on the receiver's disk (it renames the received folder
    // to snapshots/<index> with its meta.json, then installs it).
    let arrivedAt: number | undefined;
    const arrival = setInterval(() => {
      const index = findLine(leader, sendingRe, leaderLogFrom)?.match[1];
      if (
        arrivedAt === undefined &&
        index !== undefined &&
        existsSync(join(lagging.dataDir, 'snapshots', index, 'meta.json'))
      )
        arrivedAt = performance.now();
    }, 10);
    const stopSampling = sampleRss({
      sender: () => leader.child.pid,
      receiver: () => lagging.child.pid,
    });
    let up: Awaited<ReturnType<typeof caughtUp>>;
    let samples: ReturnType<typeof stopSampling>;
    try {
      up = await caughtUp(
        lagging,
        timeoutMs,
        // A wiped node: one more write, so that the leader has something to append.
        async () =>
          args.follower === 'wiped'
            ? (await clients[0]!.upsert('c', [{ id: 'tick', vector: new Float32Array(DIM) }]))
                .logIndex
            : target,
        () =>
          performance.now() - spawnedAt > 30_000 &&
          findLine(leader, sendingRe, leaderLogFrom) === undefined &&
          findLine(lagging, /beyond this node's last index 0\b/) !== undefined
            ? `${lagging.id} (wiped) is not catching up: it drops the leader's heartbeats (their commit is beyond its empty log) and after 30 s the leader has not sent it a snapshot (it still counts it as up to date); use --follower behind`
            : undefined,
      );
    } finally {
      samples = stopSampling();
      clearInterval(arrival);
    }
    const leaderHwm = procMem(leader.child.pid)!.hwm;
    const receiver = procMem(lagging.child.pid)!;
    const catchUpS = (up.doneAt - spawnedAt) / 1000;
    const sending = findLine(leader, sendingRe, leaderLogFrom);
    const installed = findLine(lagging, /installed snapshot (\d+) from/);
    const at = (t: number | undefined): string =>
      t === undefined ? '—' : `${fmt((t - spawnedAt) / 1000, 2)} s`;
    console.log(
      `  ${args.follower === 'behind' ? 'follower down during the load' : 'wiped follower'} ${lagging.id} caught up to ${up.target} in ${fmt(catchUpS, 2)} s from its start = ${fmt(catchUpS / copy.seconds)}× the copy (port bound ${at(up.listeningAt)}, leader sends snapshot ${sending?.match[1] ?? '—'} ${at(sending?.at)}, installed ${at(installed?.at)}, applied ${up.target} ${at(up.doneAt)})`,
    );
    if (sending !== undefined && installed !== undefined) {
      const index = installed.match[1]!;
      const meta = JSON.parse(
        await readFile(join(leader.dataDir, 'snapshots', index, 'meta.json'), 'utf8'),
      ) as { files: { path: string; bytes: number }[] };
      const snapBytes = meta.files.reduce((sum, f) => sum + f.bytes, 0);
      const indexFiles = meta.files
        .filter((f) => f.path.startsWith('index/'))
        .reduce((sum, f) => sum + f.bytes, 0);
      const totalS = (installed.at - sending.at) / 1000;
      const transferS = ((arrivedAt ?? NaN) - sending.at) / 1000;
      const snapMBps = snapBytes / 1e6 / transferS;
      console.log(
        `  snapshot ${index}: ${mb(snapBytes)} (state records ${mb(snapBytes - indexFiles)}, FAISS index ${mb(indexFiles)}); streamed to the receiver's disk in ${fmt(transferS, 2)} s = ${fmt(snapMBps, 0)} MB/s (${fmt(snapMBps / copyMBps, 2)}× fs.cp's MB/s), installed ${fmt(totalS - transferS, 2)} s later; sending → installed ${fmt(totalS, 2)} s = ${fmt(snapBytes / 1e6 / totalS, 0)} MB/s`,
      );
    } else {
      console.log(
        `  no snapshot was sent (the follower caught up from the log): lower --snapshot-threshold-entries`,
      );
    }

    // A plain restart (graceful stop, which writes an index checkpoint, then start on the same data).
    const restartedBefore = procMem(restarted.child.pid)!;
    const again = await restart(restarted, false);
    const back = await caughtUp(restarted, timeoutMs, () => Promise.resolve(up.target));
    const afterRestart = procMem(restarted.child.pid)!;
    const checkpoint = await checkpointBytes(join(restarted.dataDir, 'index-checkpoints'));

    const ratio = (bytes: number): string => `${mb(bytes)} (${fmt(bytes / rawBytes, 2)}× raw)`;
    console.log(`  memory, VmRSS vs the raw vector bytes n·d·4 = ${mb(rawBytes)}:`);
    console.log(`    node with no data, at start: ${mb(emptyMean)} (mean of 3)`);
    console.log(
      `    after the load: ${[...afterLoad].map(([n, m]) => `${n.id}${n === leader ? ' (leader)' : ''} ${ratio(m.rss)}`).join(', ')}`,
    );
    console.log(
      `    after ${args.idleS} s without load: ${[...afterIdle].map(([n, m]) => `${n.id}${n === leader ? ' (leader)' : ''} ${ratio(m.rss)}`).join(', ')}; goal ≤ 1.6 × raw + 150 MB = ${mb(1.6 * rawBytes + 150e6)}`,
    );
    console.log(`    ${lagging.id} after its catch-up by snapshot: ${ratio(receiver.rss)}`);
    console.log(
      `    ${restarted.id} after a restart on its own data (${fmt((back.doneAt - again.spawnedAt) / 1000, 2)} s to applied ${up.target}): ${ratio(afterRestart.rss)}; before it ${ratio(restartedBefore.rss)}`,
    );
    const logEntries = leaderStatus.lastIndex - leaderStatus.firstIndex + 1;
    const logTail = Math.min(logEntries, batches) * entryBytes;
    const faiss = checkpoint?.faiss ?? NaN;
    const labels = checkpoint?.labels ?? NaN;
    const parts = (when: string, rss: number, status: NodeStatus): void => {
      const heap = status.memory;
      const heapTotal = Number(heap?.heapTotal ?? NaN);
      const heapUsed = Number(heap?.heapUsed ?? NaN);
      const external = Number(heap?.external ?? NaN);
      const rest = rss - emptyMean - faiss - labels - heapTotal - external;
      console.log(
        `    parts of the leader's ${mb(rss)} ${when}: the process with no data ${mb(emptyMean)}; FAISS index ${mb(faiss)} (serialized size) + its labels ${mb(labels)}; JavaScript heap ${mb(heapTotal)} reserved, ${mb(heapUsed)} in use (${fmt(heapUsed / args.n, 0)} B per point: id → label and label → point maps, metadata, sessions, garbage not yet collected); buffers outside the heap ${mb(external)} (Raft log held ≈ ${logEntries} entries × ${mb(entryBytes)} = ${mb(logTail)}, request and batch buffers not yet collected); the rest ${mb(rest)} (${fmt(rest / rawBytes, 2)}× raw): FAISS's label map (IDMap2), LevelDB's block caches (≤ 8 MiB each) and write buffers (≤ 4 MiB each) for 2 stores, allocator slack, thread stacks`,
      );
    };
    parts('after the load', afterLoad.get(leader)!.rss, leaderStatus);
    parts(`after ${args.idleS} s idle`, afterIdle.get(leader)!.rss, idleStatus);
    console.log(
      `  RSS during the catch-up (VmRSS sampled every 50 ms, "before" = the last sample before the leader starts sending; VmHWM${hwmReset ? ', reset on the sender at the restart' : ' of the sender since its start (could not reset it)'}):`,
    );
    if (samples.sender !== undefined) {
      const s = beforeAndPeak(samples.sender, sending?.at);
      console.log(
        `    sender ${leader.id}: before ${mb(s.before)}, peak ${mb(s.peak)} = ${fmt(s.peak / s.before, 2)}× before (${s.count} samples), VmHWM ${mb(leaderHwm)} = ${fmt(leaderHwm / s.before, 2)}× before`,
      );
    }
    if (samples.receiver !== undefined) {
      const r = beforeAndPeak(samples.receiver, sending?.at);
      console.log(
        `    receiver ${lagging.id}: before ${mb(r.before)}, peak ${mb(r.peak)} = ${fmt(r.peak / r.before, 2)}× before (${r.count} samples), VmHWM ${mb(receiver.hwm)}; after the catch-up ${mb(receiver.rss)}: VmHWM = ${fmt(receiver.hwm / receiver.rss, 2)}× after, ${fmt(receiver.hwm / leaderBefore.rss, 2)}× the leader's RSS, ${fmt(receiver.hwm / rawBytes, 2)}× raw`,
      );
    }
  } catch (error) {
    for (const n of nodes) {
      const tail = (n.log ?? []).slice(-8).map((l) => `    ${n.id}| ${l.line}`);
      if (tail.length > 0) console.error(tail.join('\n'));
    }
    throw error;
  } finally {
    for (const c of clients) c.close();
    await servers.stop();
    await rm(copyRoot, { recursive: true, force: true });
  }
}
