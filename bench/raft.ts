/**
 * Replication costs and failover, on real processes over loopback gRPC:
 *  - upsert throughput (batches of 100 × 128-d) with three nodes vs the same build with one,
 *    and the CPU the servers (all of them) and the clients spent per vector: the
 *    replicas share the machine's cores, so their CPU per vector bounds the ratio;
 *  - commit latency p50/p99 of single small writes, three nodes vs one;
 *  - failover: leader kill -9 → first acknowledged write, over many trials (min/median/max);
 *  - elections during a write-and-search load with no faults (should be zero);
 *  - catch-up: a follower paused (SIGSTOP) under write load, then resumed: how fast
 *    it applies what it missed, next to the rate the cluster wrote meanwhile.
 *
 *   npm run bench -- raft [--trials 20] [--load-seconds 60] [--batches 300]
 *     [--pause-seconds 30] [--parts throughput,failover,load,catchup]
 *     [--election-timeout-ms N] [--heartbeat-ms N]
 */
import { availableParallelism } from 'node:os';
import { RaftvecClient } from '../src/client/client.js';
import { ClusterStatusClient, type NodeStatus } from '../src/client/cluster-status.js';
import {
  fmt,
  killAndWait,
  percentile,
  processCpuSeconds,
  randomVectors,
  spawnServer,
  startServers,
  timed,
  waitServing,
  type ServerProcess,
} from './common.js';

const DIM = 128;

interface Args {
  trials: number;
  loadSeconds: number;
  batches: number;
  latencyWrites: number;
  /** `raftvec serve` timing flags for every node (--election-timeout-ms, --heartbeat-ms). */
  serveArgs: string[];
  parts: string[];
  /** How long the catch-up part keeps its follower stopped. */
  pauseSeconds: number;
}

const PARTS = ['throughput', 'failover', 'load', 'catchup'];

/** Concurrent single-vector writers of the catch-up part's load. */
const CATCHUP_WRITERS = 16;

async function statuses(nodes: readonly ServerProcess[]): Promise<(NodeStatus | undefined)[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const client = new ClusterStatusClient(n.address);
      try {
        return await client.status(500);
      } catch {
        return undefined;
      } finally {
        client.close();
      }
    }),
  );
}

async function waitForLeader(nodes: readonly ServerProcess[]): Promise<NodeStatus> {
  for (;;) {
    const leader = (await statuses(nodes)).find((s) => s?.role === 'leader');
    if (leader) return leader;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function writeThroughput(
  size: number,
  args: Args,
): Promise<{
  vectorsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU microseconds per vector over the measured batches: all servers, and this process (the clients). */
  serverCpuUs: number;
  clientCpuUs: number;
}> {
  const servers = await startServers(size, `w${size}`, { serveArgs: args.serveArgs });
  const addresses = servers.nodes.map((n) => n.address);
  try {
    await waitForLeader(servers.nodes);
    const clients = Array.from(
      { length: 8 },
      () => new RaftvecClient(addresses, { deadlineMs: 60_000 }),
    );
    await clients[0]!.createCollection('bench', { dimension: DIM });
    await clients[0]!.createCollection('small', { dimension: 4 });
    const data = randomVectors(args.batches * 100, DIM, 3);
    const upsertBatches = (from: number, to: number, prefix: string): Promise<unknown> => {
      let next = from;
      return Promise.all(
        clients.map(async (client) => {
          while (next < to) {
            const b = next++;
            const points = Array.from({ length: 100 }, (_, i) => ({
              id: `${prefix}${b}-${i}`,
              vector: data.subarray((b * 100 + i) * DIM, (b * 100 + i + 1) * DIM),
              metadata: { batch: b },
            }));
            await client.upsert('bench', points);
          }
        }),
      );
    };
    // A third of the batches unmeasured first, under other ids: Node's JIT compilers
    // finish with the hot paths, as in a server that has been running for a while.
    await upsertBatches(0, Math.ceil(args.batches / 3), 'warm');
    const pids = servers.nodes.map((n) => n.child.pid!);
    const serverCpuBefore = pids.map(processCpuSeconds);
    const clientCpuBefore = process.cpuUsage();
    const run = await timed(() => upsertBatches(0, args.batches, 'b'));
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpu = pids.reduce(
      (sum, pid, i) => sum + processCpuSeconds(pid) - serverCpuBefore[i]!,
      0,
    );
    const vectors = args.batches * 100;
    const latencies: number[] = [];
    for (let i = -Math.ceil(args.latencyWrites / 3); i < 0; i++)
      await clients[0]!.upsert('small', [{ id: `warm${i}`, vector: [i, 1, 2, 3] }]);
    for (let i = 0; i < args.latencyWrites; i++) {
      const start = process.hrtime.bigint();
      await clients[0]!.upsert('small', [{ id: `s${i}`, vector: [i, 1, 2, 3] }]);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    for (const c of clients) c.close();
    return {
      vectorsPerSecond: vectors / run.seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      serverCpuUs: (1e6 * serverCpu) / vectors,
      clientCpuUs: (clientCpu.user + clientCpu.system) / vectors,
    };
  } finally {
    await servers.stop();
  }
}

async function failover(args: Args): Promise<number[]> {
  const servers = await startServers(3, 'failover', { serveArgs: args.serveArgs });
  const addresses = servers.nodes.map((n) => n.address);
  const client = new RaftvecClient(addresses, {
    deadlineMs: 30_000,
    retry: { maxAttempts: 1000, initialBackoffMs: 10, maxBackoffMs: 50 },
  });
  const times: number[] = [];
  try {
    await waitForLeader(servers.nodes);
    await client.createCollection('failover', { dimension: 4 });
    for (let trial = 0; trial < args.trials; trial++) {
      await client.upsert('failover', [{ id: `before-${trial}`, vector: [trial, 0, 0, 1] }]);
      const leader = await waitForLeader(servers.nodes);
      const victim = servers.nodes.find((n) => n.id === leader.id)!;
      const killedAt = process.hrtime.bigint();
      await killAndWait(victim.child, 'SIGKILL');
      await client.upsert('failover', [{ id: `after-${trial}`, vector: [trial, 1, 0, 1] }]);
      times.push(Number(process.hrtime.bigint() - killedAt) / 1e6);
      // Bring the node back and let it catch up before the next trial.
      victim.child = spawnServer(victim.args);
      await waitServing(victim.address);
      const target = (await waitForLeader(servers.nodes)).commitIndex;
      for (;;) {
        const s = (await statuses([victim]))[0];
        if (s !== undefined && s.appliedIndex >= target) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      process.stdout.write(
        `  failover trial ${trial + 1}/${args.trials}: ${fmt(times.at(-1)!, 0)} ms\n`,
      );
    }
    return times;
  } finally {
    client.close();
    await servers.stop();
  }
}

async function electionsUnderLoad(
  args: Args,
): Promise<{ elections: number; writes: number; searches: number }> {
  const servers = await startServers(3, 'load', { serveArgs: args.serveArgs });
  const addresses = servers.nodes.map((n) => n.address);
  const client = new RaftvecClient(addresses, { deadlineMs: 30_000 });
  try {
    await waitForLeader(servers.nodes);
    await client.createCollection('load', { dimension: DIM, indexSpec: 'HNSW32' });
    const startTerm = Math.max(...(await statuses(servers.nodes)).map((s) => s?.term ?? 0));
    const data = randomVectors(1000, DIM, 4);
    const until = Date.now() + args.loadSeconds * 1000;
    let writes = 0;
    let searches = 0;
    const writer = async (): Promise<void> => {
      for (let b = 0; Date.now() < until; b++) {
        const points = Array.from({ length: 100 }, (_, i) => ({
          id: `l${b}-${i}`,
          vector: data.subarray(((b * 100 + i) % 1000) * DIM, (((b * 100 + i) % 1000) + 1) * DIM),
        }));
        await client.upsert('load', points);
        writes++;
      }
    };
    const searcher = async (): Promise<void> => {
      for (let q = 0; Date.now() < until; q++) {
        await client.search('load', data.subarray((q % 1000) * DIM, ((q % 1000) + 1) * DIM), {
          k: 10,
        });
        searches++;
      }
    };
    await Promise.all([writer(), writer(), searcher(), searcher()]);
    const endTerm = Math.max(...(await statuses(servers.nodes)).map((s) => s?.term ?? 0));
    return { elections: endTerm - startTerm, writes, searches };
  } finally {
    client.close();
    await servers.stop();
  }
}

export async function runRaftBench(argv: readonly string[]): Promise<void> {
  const args: Args = {
    trials: 20,
    loadSeconds: 60,
    batches: 300,
    latencyWrites: 300,
    serveArgs: [],
    parts: PARTS,
    pauseSeconds: 30,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const raw = argv[i + 1];
    if (raw === undefined) throw new Error(`${flag} needs a value`);
    const value = Number(raw);
    if (flag === '--trials') args.trials = value;
    else if (flag === '--load-seconds') args.loadSeconds = value;
    else if (flag === '--batches') args.batches = value;
    else if (flag === '--latency-writes') args.latencyWrites = value;
    else if (flag === '--pause-seconds') args.pauseSeconds = value;
    else if (flag === '--election-timeout-ms' || flag === '--heartbeat-ms')
      args.serveArgs.push(flag, String(value));
    else if (flag === '--parts') {
      args.parts = raw.split(',');
      const unknown = args.parts.filter((p) => !PARTS.includes(p));
      if (unknown.length > 0)
        throw new Error(`unknown part ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
    } else throw new Error(`unknown argument ${flag}`);
  }
  console.log(
    `raft bench: ${args.batches} batches of 100 × ${DIM}-d from 8 clients; ${args.latencyWrites} single writes (each after a third as many unmeasured); ${args.trials} failover trials; ${args.loadSeconds} s load${args.serveArgs.length > 0 ? `; serve ${args.serveArgs.join(' ')}` : ''}`,
  );
  if (args.parts.includes('throughput')) await throughputPart(args);
  if (args.parts.includes('failover')) {
    const times = (await failover(args)).sort((a, b) => a - b);
    console.log(
      `failover (leader kill -9 → first acknowledged write) over ${times.length} trials: min ${fmt(times[0]!, 0)} ms, median ${fmt(percentile(times, 50), 0)} ms, max ${fmt(times.at(-1)!, 0)} ms`,
    );
  }
  if (args.parts.includes('catchup')) {
    const c = await catchUp(args);
    console.log(
      `catch-up: a follower stopped for ${args.pauseSeconds} s under ${CATCHUP_WRITERS} writers fell ${c.behind} entries behind (the cluster wrote ${fmt(c.writeRate, 0)} entries/s); resumed, it was level again after ${fmt(c.seconds, 2)} s, applying ${fmt(c.catchUpRate, 0)} entries/s${c.bySnapshot ? ' (by snapshot)' : ''}: ${fmt(c.catchUpRate / c.writeRate, 2)}× the write rate`,
    );
    // Whether the catch-up was bound by the machine's cores rather than by replication.
    const { follower, others, client } = c.cores;
    console.log(
      `  while it caught up: the follower used ${fmt(follower, 2)} cores (${fmt((1e6 * follower) / c.catchUpRate, 0)} µs of CPU per entry applied), the other two servers ${fmt(others, 2)}, the writers ${fmt(client, 2)}: ${fmt(follower + others + client, 2)} of ${availableParallelism()} cores`,
    );
  }
  if (args.parts.includes('load')) {
    const load = await electionsUnderLoad(args);
    console.log(
      `elections during ${args.loadSeconds} s of writes and searches with no faults: ${load.elections} (${load.writes} batches written, ${load.searches} searches)`,
    );
  }
}

/**
 * A follower is stopped (SIGSTOP) for `pauseSeconds` while writers keep the cluster
 * busy, then resumed (SIGCONT) with the load still on. It is level again once it has
 * applied everything the leader had committed when it was resumed; its catch-up rate
 * counts every entry it applied until then.
 */
async function catchUp(args: Args): Promise<{
  behind: number;
  writeRate: number;
  catchUpRate: number;
  seconds: number;
  bySnapshot: boolean;
  /** Cores used while it caught up: the resumed follower, the other two servers, this bench (the writers). */
  cores: { follower: number; others: number; client: number };
}> {
  const servers = await startServers(3, 'catchup', {
    serveArgs: args.serveArgs,
    captureLog: true,
  });
  const addresses = servers.nodes.map((n) => n.address);
  const clients = Array.from(
    { length: CATCHUP_WRITERS },
    () => new RaftvecClient(addresses, { deadlineMs: 30_000 }),
  );
  let writing = true;
  let load: Promise<void> = Promise.resolve();
  let loadFailure: unknown;
  try {
    const leader = await waitForLeader(servers.nodes);
    const leaderNode = servers.nodes.find((n) => n.id === leader.id)!;
    const follower = servers.nodes.find((n) => n.id !== leader.id)!;
    await clients[0]!.createCollection('catchup', { dimension: DIM, indexSpec: 'Flat' });
    const data = randomVectors(1000, DIM, 5);
    // A failed write ends the load; it is reported once the part is over.
    load = Promise.all(
      clients.map(async (client, w) => {
        for (let n = 0; writing; n++) {
          const i = (w * 7919 + n) % 1000;
          await client.upsert('catchup', [
            { id: `c${w}-${n}`, vector: data.subarray(i * DIM, (i + 1) * DIM) },
          ]);
        }
      }),
    ).then(
      () => undefined,
      (error: unknown) => {
        loadFailure = error;
      },
    );
    const leaderStatus = async (): Promise<NodeStatus> => {
      const [s] = await statuses([leaderNode]);
      if (s === undefined) throw new Error('the leader did not answer a status call');
      return s;
    };
    // A few seconds of load first, so that the pause starts from a steady state.
    await new Promise((r) => setTimeout(r, 3_000));
    const [before] = await statuses([follower]);
    follower.child.kill('SIGSTOP');
    const pausedAt = performance.now();
    const commitAtPause = (await leaderStatus()).commitIndex;
    await new Promise((r) => setTimeout(r, args.pauseSeconds * 1000));
    const commitAtResume = (await leaderStatus()).commitIndex;
    const writeRate = (commitAtResume - commitAtPause) / ((performance.now() - pausedAt) / 1000);
    // What the follower had applied when it stopped: nothing moved since.
    const appliedAtResume = before?.appliedIndex ?? 0;
    const others = servers.nodes.filter((n) => n !== follower).map((n) => n.child.pid!);
    const followerCpuBefore = processCpuSeconds(follower.child.pid!);
    const othersCpuBefore = others.map(processCpuSeconds);
    const clientCpuBefore = process.cpuUsage();
    follower.child.kill('SIGCONT');
    const resumedAt = performance.now();
    let now: NodeStatus | undefined;
    do {
      await new Promise((r) => setTimeout(r, 20));
      [now] = await statuses([follower]);
    } while ((now?.appliedIndex ?? 0) < commitAtResume);
    const seconds = (performance.now() - resumedAt) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const cores = {
      follower: (processCpuSeconds(follower.child.pid!) - followerCpuBefore) / seconds,
      others:
        others.reduce((sum, pid, i) => sum + processCpuSeconds(pid) - othersCpuBefore[i]!, 0) /
        seconds,
      client: (clientCpu.user + clientCpu.system) / 1e6 / seconds,
    };
    writing = false;
    await load;
    if (loadFailure !== undefined) throw loadFailure;
    return {
      behind: commitAtResume - appliedAtResume,
      writeRate,
      catchUpRate: (now!.appliedIndex - appliedAtResume) / seconds,
      seconds,
      bySnapshot: (follower.log ?? []).some(
        (l) => l.at > resumedAt && l.line.includes('installed snapshot'),
      ),
      cores,
    };
  } finally {
    writing = false;
    await load;
    for (const c of clients) c.close();
    await servers.stop();
  }
}

async function throughputPart(args: Args): Promise<void> {
  const one = await writeThroughput(1, args);
  const three = await writeThroughput(3, args);
  console.log(
    `upsert throughput: 1 node ${fmt(one.vectorsPerSecond, 0)} vectors/s, 3 nodes ${fmt(three.vectorsPerSecond, 0)} vectors/s, ratio 3/1 = ${fmt(three.vectorsPerSecond / one.vectorsPerSecond, 2)}`,
  );
  // The whole machine's CPU per vector (servers and clients) bounds the rate on its cores.
  const bound = (r: { serverCpuUs: number; clientCpuUs: number }): number =>
    (1e6 * availableParallelism()) / (r.serverCpuUs + r.clientCpuUs);
  console.log(
    `  CPU per vector, servers + clients: 1 node ${fmt(one.serverCpuUs, 1)} + ${fmt(one.clientCpuUs, 1)} µs, 3 nodes ${fmt(three.serverCpuUs, 1)} + ${fmt(three.clientCpuUs, 1)} µs (servers 3/1 = ${fmt(three.serverCpuUs / one.serverCpuUs, 2)}); on ${availableParallelism()} cores that allows at most ${fmt(bound(one), 0)} and ${fmt(bound(three), 0)} vectors/s, a ratio of ${fmt(bound(three) / bound(one), 2)}`,
  );
  console.log(
    `commit latency p50: 1 node ${fmt(one.p50, 2)} ms, 3 nodes ${fmt(three.p50, 2)} ms, ratio 3/1 = ${fmt(three.p50 / one.p50, 2)}`,
  );
  console.log(
    `commit latency p99: 1 node ${fmt(one.p99, 2)} ms, 3 nodes ${fmt(three.p99, 2)} ms, ratio 3/1 = ${fmt(three.p99 / one.p99, 2)}`,
  );
}
