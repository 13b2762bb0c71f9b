/**
 * A local cluster of `raftvec serve` child processes on loopback, for the README's
 * demo and for trying raftvec out. Its description (ids, addresses, pids, secret)
 * lives in `<root>/cluster.json` so a later command can stop it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { checkHealth } from '../client/health.js';
import { nodeStatus, type NodeStatus } from '../client/cluster-status.js';
import { channelCredentials } from '../client/tls.js';
import type { ChannelCredentials } from '@grpc/grpc-js';

export interface LocalNode {
  id: string;
  address: string;
  dataDir: string;
  logFile: string;
  pid: number;
}

export interface LocalCluster {
  root: string;
  secret: string;
  nodes: LocalNode[];
  /**
   * With TLS: the folder of scripts/dev-certs.sh's CA and node certificates; every node
   * then runs with mutual TLS (--peer-ca/--peer-cert/--peer-key) and clients trust ca.pem.
   */
  certs?: string;
}

/** How clients of `cluster` dial it: TLS trusting its dev CA, or plaintext. */
export function clusterCredentials(cluster: LocalCluster): ChannelCredentials {
  return cluster.certs === undefined
    ? channelCredentials(false)
    : channelCredentials({ ca: readFileSync(join(cluster.certs, 'ca.pem')) });
}

const describeFile = (root: string): string => join(root, 'cluster.json');

/** A loopback port the kernel chose, listened on until the returned server closes. */
export function holdPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Finds a free loopback port by binding port 0 and releasing it. */
export async function freePort(): Promise<number> {
  const server = await holdPort();
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const peersArgument = (cluster: LocalCluster): string =>
  cluster.nodes.map((n) => `${n.id}=${n.address}`).join(',');

/** Starts (or restarts) one node of the cluster as a detached child process. */
export function spawnNode(cluster: LocalCluster, node: LocalNode): number {
  mkdirSync(node.dataDir, { recursive: true });
  const log = openSync(node.logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      join(packageRoot(), 'bin', 'raftvec.js'),
      'serve',
      '--id',
      node.id,
      '--listen',
      node.address,
      '--peers',
      peersArgument(cluster),
      '--data',
      node.dataDir,
      ...(cluster.certs === undefined
        ? []
        : [
            '--peer-ca',
            join(cluster.certs, 'ca.pem'),
            '--peer-cert',
            join(cluster.certs, `${node.id}.pem`),
            '--peer-key',
            join(cluster.certs, `${node.id}-key.pem`),
          ]),
    ],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, RAFTVEC_CLUSTER_SECRET: cluster.secret },
    },
  );
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start node ${node.id}`);
  node.pid = child.pid;
  saveCluster(cluster);
  return child.pid;
}

export function saveCluster(cluster: LocalCluster): void {
  writeFileSync(describeFile(cluster.root), `${JSON.stringify(cluster, null, 2)}\n`);
}

export function loadCluster(root: string): LocalCluster | undefined {
  const file = describeFile(root);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as LocalCluster;
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Whether `node`'s process still runs. A pid recorded by an earlier run may have been
 * reused since (a kernel worker took one here, and SIGTERM never ended it): where
 * /proc shows the command line, the process must be the `serve` of this node's data dir.
 */
export function isNodeRunning(node: LocalNode): boolean {
  if (node.pid <= 0 || !isAlive(node.pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc: trust the pid
  }
  const args = cmdline.split('\0');
  return args.includes('serve') && args.includes(node.dataDir);
}

/**
 * Starts `size` nodes with data under `root`; with `tls`, makes a development CA and
 * certificates in `<root>/certs` (scripts/dev-certs.sh, openssl) and runs them with
 * mutual TLS.
 */
export async function startLocalCluster(
  root: string,
  size = 3,
  options: { tls?: boolean } = {},
): Promise<LocalCluster> {
  mkdirSync(root, { recursive: true });
  const cluster: LocalCluster = { root, secret: randomBytes(16).toString('hex'), nodes: [] };
  if (options.tls === true) {
    cluster.certs = join(root, 'certs');
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    execFileSync(
      'bash',
      [join(packageRoot(), 'scripts', 'dev-certs.sh'), cluster.certs, ...ids, 'raftvec-cli'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  for (let i = 1; i <= size; i++) {
    const id = `n${i}`;
    cluster.nodes.push({
      id,
      address: `127.0.0.1:${await freePort()}`,
      dataDir: join(root, id),
      logFile: join(root, `${id}.log`),
      pid: 0,
    });
  }
  for (const node of cluster.nodes) spawnNode(cluster, node);
  const credentials = clusterCredentials(cluster);
  await Promise.all(cluster.nodes.map((node) => waitForServing(node, credentials)));
  return cluster;
}

/** SIGTERM every node still running and waits for it to exit. */
export async function stopLocalCluster(cluster: LocalCluster): Promise<string[]> {
  const stopped: string[] = [];
  for (const node of cluster.nodes) {
    if (isNodeRunning(node)) {
      process.kill(node.pid, 'SIGTERM');
      stopped.push(node.id);
    }
  }
  await waitUntil(() => cluster.nodes.every((n) => !isNodeRunning(n)), 20_000, 'nodes to exit');
  return stopped;
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function waitForServing(node: LocalNode, credentials: ChannelCredentials): Promise<void> {
  await waitUntil(
    async () => {
      if (!isAlive(node.pid)) {
        throw new Error(`node ${node.id} exited during start; see ${node.logFile}`);
      }
      const health = await checkHealth(node.address, '', 1_000, credentials).catch(() => 'UNKNOWN');
      return health === 'SERVING';
    },
    60_000,
    `node ${node.id} to serve at ${node.address}`,
  );
}

/** Every reachable node's status (unreachable nodes are left out). */
export async function clusterStatus(
  addresses: readonly string[],
  credentials?: ChannelCredentials,
): Promise<NodeStatus[]> {
  const statuses = await Promise.all(
    addresses.map((address) => nodeStatus(address, 1_000, 0, undefined, credentials)),
  );
  return statuses.filter((s): s is NodeStatus => s !== undefined);
}

/** Waits until a leader is known to itself; returns its status. */
export async function waitForLeader(
  addresses: readonly string[],
  timeoutMs = 30_000,
  credentials?: ChannelCredentials,
): Promise<NodeStatus> {
  let leader: NodeStatus | undefined;
  await waitUntil(
    async () => {
      leader = (await clusterStatus(addresses, credentials)).find((s) => s.role === 'leader');
      return leader !== undefined;
    },
    timeoutMs,
    'a leader to be elected',
  );
  return leader!;
}
