/**
 * Concurrent single writes, the load shape of issue 8: W writers, each upserting one
 * 128-d vector (512 bytes) per call and waiting for its acknowledgement (write
 * concern majority) before the next, over C connections, for a fixed time per shape.
 * Throughput and p50/p99 latency, for a 3-node cluster next to a baseline measured in
 * the same run: etcd (three members on loopback, 512-byte puts over its gRPC KV API)
 * when `etcd` is installed (Debian: `apt-get install etcd-server`), else raftvec with
 * one node.
 *
 *   npm run bench -- writes [--seconds 10] [--warmup-s 5] [--shapes 1/1,16/16,64/16] [--baseline etcd|one-node]
 *
 * A shape is writers/connections. Writers never share a client session (a session's
 * writes are ordered); writers on one connection share one HTTP/2 connection.
 *
 * Each shape also prints the CPU the server processes spent per write (all of them,
 * then each) and the throughput that bounds on this machine's cores, and their CPU at
 * rest: the cluster and its clients share the machine, so on 2 cores a write path that
 * costs more CPU per write saturates first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { RaftvecClient } from '../src/client/client.js';
import { freePort } from '../src/cli/local-cluster.js';
import { fmt, killAndWait, percentile, processCpuSeconds, startServers } from './common.js';

const DIM = 128;

interface Shape {
  writers: number;
  connections: number;
}

interface Args {
  seconds: number;
  /** Unmeasured load before each measurement (see drive). */
  warmupSeconds: number;
  shapes: Shape[];
  baseline: 'etcd' | 'one-node' | 'auto';
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seconds: 10,
    warmupSeconds: 5,
    shapes: [
      { writers: 1, connections: 1 },
      { writers: 16, connections: 16 },
      { writers: 64, connections: 16 },
    ],
    baseline: 'auto',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--seconds') {
      args.seconds = Number(value);
      if (!(args.seconds > 0)) throw new Error('--seconds must be a positive number');
    } else if (flag === '--warmup-s') {
      args.warmupSeconds = Number(value);
      if (!(args.warmupSeconds >= 0)) throw new Error('--warmup-s must be a number ≥ 0');
    } else if (flag === '--shapes') {
      args.shapes = value.split(',').map((s) => {
        const [w, c] = s.split('/').map(Number);
        if (!Number.isInteger(w) || !Number.isInteger(c) || w! < 1 || c! < 1 || c! > w!)
          throw new Error(`a shape is writers/connections with 1 ≤ connections ≤ writers: ${s}`);
        return { writers: w!, connections: c! };
      });
    } else if (flag === '--baseline' && (value === 'etcd' || value === 'one-node'))
      args.baseline = value;
    else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

/** What one shape measured. */
interface Run {
  writes: number;
  seconds: number;
  latenciesMs: number[];
  /** CPU seconds each server process used over the measured seconds. */
  serverCpuSeconds: number[];
  /** CPU seconds per second each server process used at rest, before any load. */
  restCpuPerSecond: number[];
}

/** How long the servers are watched at rest before the load. */
const REST_SECONDS = 2;

const cpuOf = (pids: readonly number[]): number[] => pids.map(processCpuSeconds);
const minus = (after: readonly number[], before: readonly number[]): number[] =>
  after.map((a, i) => a - before[i]!);
const sum = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0);

/**
 * Runs `writers` loops of `write` for `seconds`; each loop waits for its write before
 * the next. The same load runs unmeasured for `warmupSeconds` first (connections made,
 * the leader found, and Node's JIT compilers done with the hot paths: a cold Node
 * process runs its first seconds several times slower, which is not what a
 * long-running server does), with negative write numbers. Before that the server
 * processes `pids` are watched at rest for REST_SECONDS; their CPU is counted over the
 * measured seconds too: on a machine with few cores the CPU a write costs the whole
 * cluster bounds the throughput.
 */
async function drive(
  writers: number,
  seconds: number,
  warmupSeconds: number,
  pids: readonly number[],
  write: (writer: number, n: number) => Promise<void>,
): Promise<Run> {
  const restStart = cpuOf(pids);
  const restStarted = performance.now();
  await new Promise((resolve) => setTimeout(resolve, REST_SECONDS * 1000));
  const restSeconds = (performance.now() - restStarted) / 1000;
  const restCpuPerSecond = minus(cpuOf(pids), restStart).map((cpu) => cpu / restSeconds);
  const warmEnd = performance.now() + warmupSeconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      let n = -1;
      do await write(writer, n--);
      while (performance.now() < warmEnd);
    }),
  );
  const latenciesMs: number[] = [];
  const cpuBefore = cpuOf(pids);
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        await write(writer, n);
        latenciesMs.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const serverCpuSeconds = minus(cpuOf(pids), cpuBefore);
  return {
    writes: latenciesMs.length,
    seconds: elapsed,
    latenciesMs,
    serverCpuSeconds,
    restCpuPerSecond,
  };
}

/**
 * The servers' CPU per write (ms, all processes together, then each), what it bounds
 * the throughput to on this machine's cores, and their CPU at rest (cores).
 */
const describeCpu = (r: Run): string => {
  const perWriteMs = (cpu: number) => (1000 * cpu) / r.writes;
  const total = perWriteMs(sum(r.serverCpuSeconds));
  return `${fmt(total, 2)} ms (${r.serverCpuSeconds.map((c) => fmt(perWriteMs(c), 2)).join(' + ')}), at most ${fmt((1000 * availableParallelism()) / total, 0)} writes/s on ${availableParallelism()} cores; at rest ${fmt(sum(r.restCpuPerSecond), 3)} cores`;
};

const describe = (r: Run): string => {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return `${fmt(r.writes / r.seconds, 0)}/s, p50 ${fmt(percentile(sorted, 50), 2)} ms, p99 ${fmt(percentile(sorted, 99), 2)} ms, max ${fmt(sorted.at(-1) ?? NaN, 0)} ms`;
};

// ---- raftvec -------------------------------------------------------------------------

async function raftvecShape(
  addresses: readonly string[],
  pids: readonly number[],
  shape: Shape,
  args: Args,
) {
  // grpc-js shares one connection among clients with equal options: a distinct option
  // per connection group gives `connections` connections.
  const clients = Array.from(
    { length: shape.writers },
    (_, w) =>
      new RaftvecClient(addresses, {
        deadlineMs: 30_000,
        channelOptions: { 'raftvec.bench.connection': w % shape.connections },
      }),
  );
  try {
    await clients[0]!
      .createCollection('w', { dimension: DIM, indexSpec: 'Flat' })
      .catch((err: unknown) => {
        if (!/exists/i.test(String(err))) throw err;
      });
    const vector = new Float32Array(DIM).fill(0.25);
    return await drive(shape.writers, args.seconds, args.warmupSeconds, pids, async (writer, n) => {
      await clients[writer]!.upsert('w', [{ id: `w${writer}-${n}`, vector }]);
    });
  } finally {
    for (const c of clients) c.close();
  }
}

// ---- etcd ----------------------------------------------------------------------------

const ETCD_PROTO = fileURLToPath(new URL('./etcd-kv.proto', import.meta.url));

interface EtcdKv extends grpc.Client {
  Put(
    request: { key: Buffer; value: Buffer },
    callback: (error: grpc.ServiceError | null) => void,
  ): grpc.ClientUnaryCall;
}

/** Three etcd members on loopback, in a temporary folder; resolves with their client URLs. */
async function startEtcd(): Promise<{
  endpoints: string[];
  pids: number[];
  stop: () => Promise<void>;
}> {
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-etcd-'));
  const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const names = ['e1', 'e2', 'e3'];
  const peerUrl = (i: number) => `http://127.0.0.1:${ports[2 * i]}`;
  const clientUrl = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const cluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  const children: ChildProcess[] = names.map((name, i) =>
    spawn(
      'etcd',
      [
        '--name',
        name,
        '--data-dir',
        join(root, name),
        '--listen-peer-urls',
        peerUrl(i),
        '--initial-advertise-peer-urls',
        peerUrl(i),
        '--listen-client-urls',
        clientUrl(i),
        '--advertise-client-urls',
        clientUrl(i),
        '--initial-cluster',
        cluster,
        '--initial-cluster-state',
        'new',
        '--log-level',
        'error',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => killAndWait(c, 'SIGKILL')));
    rmSync(root, { recursive: true, force: true });
  };
  const endpoints = names.map((_, i) => clientUrl(i).replace('http://', ''));
  // Ready once a put is acknowledged (a leader is elected and the cluster formed).
  const kv = etcdClient(endpoints[0]!, 0);
  const until = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) =>
      kv.Put({ key: Buffer.from('ready'), value: Buffer.from('1') }, (error) => resolve(!error)),
    );
    if (ok) break;
    if (Date.now() > until) {
      kv.close();
      await stop();
      throw new Error('etcd did not accept a put within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  kv.close();
  return { endpoints, pids: children.map((c) => c.pid!), stop };
}

type EtcdKvConstructor = new (
  address: string,
  creds: grpc.ChannelCredentials,
  options: object,
) => EtcdKv;
let etcdKv: EtcdKvConstructor | undefined;

function etcdClient(endpoint: string, connection: number): EtcdKv {
  etcdKv ??= (
    grpc.loadPackageDefinition(protoLoader.loadSync(ETCD_PROTO, { keepCase: true })) as unknown as {
      etcdserverpb: { KV: EtcdKvConstructor };
    }
  ).etcdserverpb.KV;
  return new etcdKv(endpoint, grpc.credentials.createInsecure(), {
    'raftvec.bench.connection': connection,
  });
}

async function etcdShape(
  endpoints: readonly string[],
  pids: readonly number[],
  shape: Shape,
  args: Args,
) {
  // Writers go to the members in turn, as etcd's own benchmark spreads its clients.
  const clients = Array.from({ length: shape.connections }, (_, c) =>
    etcdClient(endpoints[c % endpoints.length]!, c),
  );
  const value = Buffer.alloc(512, 7);
  try {
    return await drive(shape.writers, args.seconds, args.warmupSeconds, pids, (writer, n) => {
      const client = clients[writer % shape.connections]!;
      return new Promise<void>((resolve, reject) =>
        client.Put({ key: Buffer.from(`w${writer}-${n}`), value }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
    });
  } finally {
    for (const c of clients) c.close();
  }
}

// ---- the run -------------------------------------------------------------------------

export async function runWritesBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const etcdInstalled = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
  const baseline = args.baseline === 'auto' ? (etcdInstalled ? 'etcd' : 'one-node') : args.baseline;
  if (baseline === 'etcd' && !etcdInstalled)
    throw new Error('etcd is not installed (Debian: apt-get install etcd-server)');
  console.log(
    `writes: single ${DIM}-d upserts (512 bytes), each writer waits for its acknowledgement; ${args.seconds} s per shape after ${args.warmupSeconds} s of the same load unmeasured; baseline: ${baseline === 'etcd' ? 'etcd, 3 members, 512-byte puts' : 'raftvec with one node (etcd is not installed)'}`,
  );
  const results: { shape: Shape; raftvec: Run; base: Run }[] = [];
  for (const shape of args.shapes) {
    const cluster = await startServers(3, 'writes');
    let raftvec: Run;
    try {
      raftvec = await raftvecShape(
        cluster.nodes.map((n) => n.address),
        cluster.nodes.map((n) => n.child.pid!),
        shape,
        args,
      );
    } finally {
      await cluster.stop();
    }
    let base: Run;
    if (baseline === 'etcd') {
      const etcd = await startEtcd();
      try {
        base = await etcdShape(etcd.endpoints, etcd.pids, shape, args);
      } finally {
        await etcd.stop();
      }
    } else {
      const one = await startServers(1, 'writes-one');
      try {
        base = await raftvecShape([one.nodes[0]!.address], [one.nodes[0]!.child.pid!], shape, args);
      } finally {
        await one.stop();
      }
    }
    results.push({ shape, raftvec, base });
    console.log(
      `  ${shape.writers} writers / ${shape.connections} connections: raftvec 3 nodes ${describe(raftvec)}; ${baseline} ${describe(base)}; throughput ratio ${fmt(raftvec.writes / raftvec.seconds / (base.writes / base.seconds), 2)}`,
    );
    console.log(
      `    server CPU per write: raftvec ${describeCpu(raftvec)}; ${baseline} ${describeCpu(base)}; ratio ${fmt(sum(raftvec.serverCpuSeconds) / raftvec.writes / (sum(base.serverCpuSeconds) / base.writes), 2)}`,
    );
  }
  const first = results[0];
  if (first !== undefined) {
    const p50 = (r: Run) =>
      percentile(
        [...r.latenciesMs].sort((a, b) => a - b),
        50,
      );
    console.log(
      `  ${first.shape.writers}-writer p50 latency: raftvec / ${baseline} = ${fmt(p50(first.raftvec) / p50(first.base), 2)}×`,
    );
  }
}
