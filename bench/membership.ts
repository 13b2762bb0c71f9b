/**
 * Membership: how long a NEW node takes to join a running cluster and catch up, vs
 * the data size, next to the baseline of copying the leader's data directory (fs.cp)
 * in the same run.
 *
 * For each n: a 3-node cluster of real `raftvec serve` processes with a small
 * --snapshot-threshold-entries (a quarter of the load's entries, at least 2, as in
 * `lifecycle`), a Flat collection of n random 128-d vectors loaded in batches from two
 * clients; once every node has applied the load and the snapshots have settled, the
 * leader takes one more snapshot on request (TakeSnapshot), so that the snapshot holds
 * the whole state and the leader's log is compacted behind it. Then:
 *  - baseline: fs.cp of the leader's data directory (then `sync`, so that its dirty
 *    pages are not written back during the join);
 *  - a 4th node `raftvec serve --id n4 --join <leader>` on an empty data dir; timed from
 *    its spawn to (a) its applied index reaching the leader's commit index at the spawn
 *    and (b) the leader listing it as a voter in a committed configuration. The phases
 *    come from the nodes' output lines and when they arrived: port bound, added as a
 *    learner ("joined the cluster"), the leader sending the snapshot, the snapshot whole
 *    on n4's disk, installed, promoted to voter. (The leader promotes a learner whose
 *    match index is within maxPromotionLag = 256 entries of its last index; a load here
 *    is about n / batch entries, so n4 may be a voter before it holds any data: the line
 *    says so when that happens);
 *  - snapshot MB/s: its bytes (meta.json) over the time from the sender's (the leader
 *    then) "sending snapshot" line to the snapshot being whole on the receiver's disk.
 * One line per n.
 *
 *   npm run bench -- membership [--n 20000,100000] [--batch 1000]
 *     [--snapshot-threshold-entries N] [--snapshot-trailing-entries 2] [--timeout-s 600]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { cp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftvecClient } from '../src/client/client.js';
import { ClusterStatusClient, nodeStatus } from '../src/client/cluster-status.js';
import { allApplied, leaderOf, sizeOf, snapshotsSettled, until } from './cluster-waits.js';
import { freePort } from '../src/cli/local-cluster.js';
import { DEFAULT_RAFT_CONFIG } from '../src/raft/config.js';
import { peerCredentials } from '../src/raft/runtime/peer-transport.js';
import {
  BENCH_CLUSTER_SECRET,
  fmt,
  killAndWait,
  randomVectors,
  spawnServer,
  startServers,
  timed,
  type LogLine,
  type ServerProcess,
} from './common.js';

const DIM = 128;
const SPEC = 'Flat';
const JOINER_ID = 'n4';

interface Args {
  ns: number[];
  batch: number;
  /** 0: a quarter of the load's entries, at least 2. */
  snapshotThreshold: number;
  snapshotTrailing: number;
  timeoutS: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    ns: [20_000, 100_000],
    batch: 1_000,
    snapshotThreshold: 0,
    snapshotTrailing: 2,
    timeoutS: 600,
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
    if (flag === '--n') args.ns = value.split(',').map((v) => count(flag, v, 1));
    else if (flag === '--batch') args.batch = count(flag, value, 1);
    else if (flag === '--snapshot-threshold-entries')
      args.snapshotThreshold = count(flag, value, 1);
    else if (flag === '--snapshot-trailing-entries') args.snapshotTrailing = count(flag, value, 0);
    else if (flag === '--timeout-s') args.timeoutS = count(flag, value, 1);
    else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

export async function runMembershipBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(
    `membership: a new node (serve --join) catching up with a running 3-node cluster, ${SPEC}, d = ${DIM}, batches of ${fmt(args.batch, 0)} from 2 clients, --snapshot-trailing-entries ${args.snapshotTrailing}; leader snapshot on request after the load; baseline fs.cp of the leader's data dir`,
  );
  for (const n of args.ns) await benchJoin(n, args);
}

// ---- helpers ----

const mb = (bytes: number): string => `${fmt(bytes / 1e6)} MB`;

/** The first line matching `re` in `log` that arrived at or after `since` (performance.now()). */
function findLine(log: readonly LogLine[] | undefined, re: RegExp, since = 0) {
  for (const l of log ?? []) {
    if (l.at < since) continue;
    const m = re.exec(l.line);
    if (m) return { at: l.at, match: m };
  }
  return undefined;
}

const exited = (p: ServerProcess): boolean =>
  p.child.exitCode !== null || p.child.signalCode !== null;

/** Bytes of snapshot `index` as its meta.json lists them, from the first folder that has it. */
async function snapshotBytes(index: string, dirs: readonly string[]): Promise<number | undefined> {
  for (const dir of dirs) {
    try {
      const meta = JSON.parse(
        await readFile(join(dir, 'snapshots', index, 'meta.json'), 'utf8'),
      ) as { files: { bytes: number }[] };
      return meta.files.reduce((sum, f) => sum + f.bytes, 0);
    } catch {
      // Not there (or not yet whole): the next one.
    }
  }
  return undefined;
}

// ---- one n ----

async function benchJoin(n: number, args: Args): Promise<void> {
  const batches = Math.ceil(n / args.batch);
  const threshold = args.snapshotThreshold || Math.max(2, Math.ceil((batches + 2) / 4));
  const timeoutMs = args.timeoutS * 1000;
  const serveArgs = [
    '--snapshot-threshold-entries',
    String(threshold),
    '--snapshot-trailing-entries',
    String(args.snapshotTrailing),
  ];
  const servers = await startServers(3, 'membership', { captureLog: true, serveArgs });
  const { nodes } = servers;
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-membership-join-'));
  const clients = [0, 1].map(
    () =>
      new RaftvecClient(
        nodes.map((x) => x.address),
        { deadlineMs: 120_000 },
      ),
  );
  const statusClients: ClusterStatusClient[] = [];
  let joiner: ServerProcess | undefined;
  /** Set when this n is over: background polls stop. */
  let done = false;
  try {
    const loadStart = performance.now();
    const created = (await clients[0]!.createCollection('c', { dimension: DIM, indexSpec: SPEC }))
      .logIndex;
    await allApplied(nodes, created, timeoutMs);

    // Load n points in batches from two clients.
    const batchPoints = (b: number) => {
      const count = Math.min(args.batch, n - b * args.batch);
      const data = randomVectors(count, DIM, 1_000 + b);
      return Array.from({ length: count }, (_, i) => ({
        id: `p${b * args.batch + i}`,
        vector: data.subarray(i * DIM, (i + 1) * DIM),
        metadata: { n: b * args.batch + i },
      }));
    };
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < batches) await client.upsert('c', batchPoints(next++));
      }),
    );
    const loaded = (await nodeStatus((await leaderOf(nodes)).address))!.commitIndex;
    await allApplied(nodes, loaded, timeoutMs);
    await snapshotsSettled(nodes, timeoutMs);
    // The snapshots the threshold triggered may stop short of the last entries: one
    // more on the leader, so that the new node gets the whole state in it.
    const control = new ClusterStatusClient((await leaderOf(nodes)).address);
    await control
      .takeSnapshot(peerCredentials(BENCH_CLUSTER_SECRET, 'raftvec-bench'))
      .finally(() => control.close());
    await snapshotsSettled(nodes, timeoutMs);
    // The leader now (an election may have happened since the load).
    const leader = await leaderOf(nodes);
    const leaderStatus = (await nodeStatus(leader.address))!;
    if (leaderStatus.snapshotIndex === 0 || leaderStatus.firstIndex <= 1)
      throw new Error(
        `the leader never compacted its log (log ${leaderStatus.firstIndex}..${leaderStatus.lastIndex}, snapshot ${leaderStatus.snapshotIndex}): lower --snapshot-threshold-entries`,
      );

    // Baseline: copy the leader's data directory.
    const dirBytes = await sizeOf(leader.dataDir);
    const copy = await timed(() => cp(leader.dataDir, join(root, 'copy'), { recursive: true }));
    await rm(join(root, 'copy'), { recursive: true, force: true });
    // The copy left dirty pages; flushed now, so that their writeback does not slow
    // the join measured next.
    spawnSync('sync');

    // A new node joins through the leader.
    const address = `127.0.0.1:${await freePort()}`;
    const dataDir = join(root, JOINER_ID);
    const joinArgs = [
      'serve',
      '--id',
      JOINER_ID,
      '--listen',
      address,
      '--data',
      dataDir,
      '--join',
      leader.address,
      ...serveArgs,
    ];
    const target = (await nodeStatus(leader.address))!.commitIndex;
    const log: LogLine[] = [];
    const spawnedAt = performance.now();
    const node: ServerProcess = {
      id: JOINER_ID,
      address,
      dataDir,
      args: joinArgs,
      child: spawnServer(joinArgs, log),
      log,
    };
    joiner = node;
    const alive = (): void => {
      if (done) throw new Error('stopped');
      if (exited(node))
        throw new Error(
          `${JOINER_ID} exited (code ${node.child.exitCode}, signal ${node.child.signalCode}) before it caught up and became a voter`,
        );
    };
    // When the whole snapshot is on n4's disk (it renames the received folder to
    // snapshots/<index> with its meta.json, then installs it).
    const sendingRe = new RegExp(`sending snapshot (\\d+) to ${JOINER_ID}\\b`);
    let arrivedAt: number | undefined;
    // Whichever node leads by then sends it.
    const sendingLine = () =>
      nodes
        .map((x) => ({ x, line: findLine(x.log, sendingRe, spawnedAt) }))
        .filter((f) => f.line !== undefined)
        .sort((a, b) => a.line!.at - b.line!.at)
        .map((f) => ({ ...f.line!, from: f.x }))[0];
    const arrival = setInterval(() => {
      const index = sendingLine()?.match[1];
      if (
        arrivedAt === undefined &&
        index !== undefined &&
        existsSync(join(dataDir, 'snapshots', index, 'meta.json'))
      )
        arrivedAt = performance.now();
    }, 10);

    let caughtUpAt: number;
    let voterAt: number;
    try {
      const caughtUp = (async () => {
        await until(
          `${JOINER_ID} to listen`,
          timeoutMs,
          () => {
            alive();
            return findLine(log, /^raftvec listening on /) !== undefined ? true : undefined;
          },
          10,
        );
        // A client made only now: its first connection finds the port bound (one that
        // failed to connect waits out gRPC's reconnect backoff, up to seconds).
        const client = new ClusterStatusClient(address);
        statusClients.push(client);
        return until(
          `${JOINER_ID} to apply ${target} (the leader's commit index when it was spawned)`,
          timeoutMs - (performance.now() - spawnedAt),
          async () => {
            alive();
            const s = await client.status(1_000).catch(() => undefined);
            return s !== undefined && s.appliedIndex >= target ? performance.now() : undefined;
          },
          20,
        );
      })();
      const leaderClient = new ClusterStatusClient(leader.address);
      statusClients.push(leaderClient);
      const voter = until(
        `the leader ${leader.id} to list ${JOINER_ID} as a voter`,
        timeoutMs,
        async () => {
          alive();
          const m = await leaderClient.listMembers(1_000).catch(() => undefined);
          const self = m?.members.find((x) => x.id === JOINER_ID);
          return m?.committed === true && self?.role === 'voter' ? performance.now() : undefined;
        },
        20,
      );
      // Neither left unobserved if the other one fails first.
      caughtUp.catch(() => undefined);
      voter.catch(() => undefined);
      [caughtUpAt, voterAt] = await Promise.all([caughtUp, voter]);
    } finally {
      clearInterval(arrival);
    }

    // The status poll may see the applied index before n4's "installed snapshot" line
    // arrives: a moment for it, when the leader sent one.
    const sending = sendingLine();
    if (sending !== undefined)
      await until(
        `${JOINER_ID}'s "installed snapshot" line`,
        2_000,
        () => findLine(log, /installed snapshot (\d+) from/)?.at,
        10,
      ).catch(() => undefined);
    const at = (t: number | undefined): string =>
      t === undefined ? '—' : `${fmt((t - spawnedAt) / 1000, 2)} s`;
    const listening = findLine(log, /^raftvec listening on /);
    const joined = findLine(log, /joined the cluster/);
    const installed = findLine(log, /installed snapshot (\d+) from/);
    const promoted = findLine(log, /promoted to voter/);
    const elections = nodes
      .flatMap((x) => (x.log ?? []).filter((l) => l.at >= loadStart))
      .filter((l) => /became leader/.test(l.line))
      .map((l) => `${l.line.replace(/^.*raftvec: /, '')} at ${at(l.at)}`);
    const retries = log.filter((l) => /not promoted yet/.test(l.line)).length;
    const catchUpS = (caughtUpAt - spawnedAt) / 1000;
    const voterS = (voterAt - spawnedAt) / 1000;
    const index = installed?.match[1] ?? sending?.match[1];
    const snapBytes =
      index === undefined
        ? undefined
        : await snapshotBytes(index, [(sending?.from ?? leader).dataDir, dataDir]);
    const transferS =
      sending !== undefined && arrivedAt !== undefined ? (arrivedAt - sending.at) / 1000 : NaN;
    const snapshot =
      snapBytes === undefined
        ? 'no snapshot was sent (caught up from the log): lower --snapshot-threshold-entries'
        : Number.isFinite(transferS)
          ? `snapshot ${index} ${mb(snapBytes)} at ${fmt(snapBytes / 1e6 / transferS, 0)} MB/s (${fmt(snapBytes / 1e6 / transferS / (dirBytes / 1e6 / copy.seconds), 2)}× fs.cp's MB/s)`
          : `snapshot ${index} ${mb(snapBytes)} at — MB/s (its arrival was not seen)`;
    console.log(
      `  ${fmt(n, 0)} points: leader ${leader.id}'s data dir ${mb(dirBytes)}; join → caught up ${fmt(catchUpS, 2)} s, join → voter ${fmt(voterS, 2)} s; fs.cp ${fmt(copy.seconds, 2)} s; ratio ${fmt(catchUpS / copy.seconds)}× fs.cp; ${snapshot} [threshold ${threshold}; port bound ${at(listening?.at)}, joined as learner ${at(joined?.at)}, ${sending?.from.id ?? 'leader'} sends snapshot ${at(sending?.at)}, on ${JOINER_ID}'s disk ${at(arrivedAt)}, installed ${at(installed?.at)}, applied ${target} ${at(caughtUpAt)}, promoted ${at(promoted?.at)} after ${retries} refusals, voter at the leader ${at(voterAt)}${voterAt < caughtUpAt ? ` (before it caught up: the promotion bound is ${DEFAULT_RAFT_CONFIG.maxPromotionLag} entries behind the leader's last index, and the whole log is ${leaderStatus.lastIndex} entries)` : ''}${elections.length > 0 ? `; elections since the load: ${elections.join(', ')}` : ''}]`,
    );
  } catch (error) {
    for (const x of [...nodes, ...(joiner ? [joiner] : [])]) {
      const tail = (x.log ?? []).slice(-8).map((l) => `    ${x.id}| ${l.line}`);
      if (tail.length > 0) console.error(tail.join('\n'));
    }
    throw error;
  } finally {
    done = true;
    for (const c of clients) c.close();
    for (const c of statusClients) c.close();
    // With node flags (profiling), a graceful stop lets it write what it collected.
    if (joiner)
      await killAndWait(
        joiner.child,
        (process.env.RAFTVEC_BENCH_NODE_ARGS ?? '').trim() !== '' ? 'SIGTERM' : 'SIGKILL',
      );
    await servers.stop();
    await rm(root, { recursive: true, force: true });
  }
}
