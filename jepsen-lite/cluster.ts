/**
 * The cluster under test: real `raftvec serve` processes on loopback, each with its
 * own --peers map in which the other nodes resolve to link proxies (link-proxy.ts),
 * so the nemesis can cut, stall or slow any directed peer link. Clients reach the
 * nodes directly. Every process started here is tracked by PID and killed when the
 * run ends, however it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../src/package-root.js';
import { holdPort } from '../src/cli/local-cluster.js';
import type { AddressInfo, Server } from 'node:net';
import { ClusterStatusClient, type NodeStatus } from '../src/client/cluster-status.js';
import { LinkProxy } from './link-proxy.js';
import type { Rng } from './random.js';

export const CLUSTER_SECRET = 'jepsen-lite';
const LISTENING = /^raftvec listening on (\S+)$/;

export interface NodeProcess {
  id: string;
  /** The node's own address: what clients use. */
  address: string;
  dataDir: string;
  args: string[];
  child: ChildProcess | undefined;
  paused: boolean;
  /** Times this node was started (1 after the first start). */
  starts: number;
}

/** Every child started by any cluster in this process: killed on exit, even after a crash. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});
// Interrupted runs clean up too ('exit' does not fire on a signal's default action).
for (const [signal, status] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    process.exit(status);
  });

export interface ClusterOptions {
  size: number;
  /** Where the nodes' data directories go. */
  root: string;
  /** Where each node's output goes (`<id>.log`, appended across restarts). */
  logDir: string;
  random: Rng;
  /** More `serve` flags for every node (e.g. the unsafe test flags). */
  serveArgs?: readonly string[];
  /** Environment added for the server processes. */
  env?: NodeJS.ProcessEnv;
  electionTimeoutMs?: number;
}

/** How long a node may take to listen after it is started. */
const START_TIMEOUT_MS = 60_000;
/** How long a SIGTERM may take before the node is killed. */
const STOP_TIMEOUT_MS = 30_000;

/** A node that exited without being told to: a crash (exit 70 is the server's fatal error). */
export interface UnexpectedExit {
  node: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms since the cluster started. */
  at: number;
}

export class Cluster {
  readonly nodes: NodeProcess[];
  readonly unexpectedExits: UnexpectedExit[] = [];
  readonly #started = performance.now();
  /** Children this harness is killing: their exit is expected. */
  readonly #killing = new Set<ChildProcess>();
  /** links.get(`${from}->${to}`): the proxy `from` dials to reach `to`. */
  readonly links = new Map<string, LinkProxy>();
  readonly #statusClients = new Map<string, ClusterStatusClient>();
  readonly #logs = new Map<string, WriteStream>();
  readonly #options: ClusterOptions;

  private constructor(nodes: NodeProcess[], options: ClusterOptions) {
    this.nodes = nodes;
    this.#options = options;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
    const addresses = new Map<string, string>();
    // Each node's port stays held (listened on) until the nodes start: a port only looked
    // up and let go could be handed by the kernel to one of the proxies created meanwhile.
    const held: Server[] = [];
    for (const id of ids) {
      const hold = await holdPort();
      held.push(hold);
      addresses.set(id, `127.0.0.1:${(hold.address() as AddressInfo).port}`);
    }
    const links = new Map<string, LinkProxy>();
    for (const from of ids)
      for (const to of ids)
        if (from !== to)
          links.set(
            `${from}->${to}`,
            await LinkProxy.start(
              from,
              to,
              addresses.get(to)!,
              options.random.fork(`${from}->${to}`),
            ),
          );
    const nodes = ids.map((id): NodeProcess => {
      const peers = ids
        .map((other) =>
          other === id
            ? `${other}=${addresses.get(other)!}`
            : `${other}=${links.get(`${id}->${other}`)!.address}`,
        )
        .join(',');
      const dataDir = join(options.root, 'data', id);
      mkdirSync(dataDir, { recursive: true });
      return {
        id,
        address: addresses.get(id)!,
        dataDir,
        args: [
          'serve',
          '--id',
          id,
          '--listen',
          addresses.get(id)!,
          '--peers',
          peers,
          '--data',
          dataDir,
          ...(options.electionTimeoutMs !== undefined
            ? ['--election-timeout-ms', String(options.electionTimeoutMs)]
            : []),
          ...(options.serveArgs ?? []),
        ],
        child: undefined,
        paused: false,
        starts: 0,
      };
    });
    const cluster = new Cluster(nodes, options);
    for (const [key, link] of links) cluster.links.set(key, link);
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(nodes.map((n) => cluster.startNode(n.id)));
    return cluster;
  }

  node(id: string): NodeProcess {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new RangeError(`no node ${id}`);
    return node;
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.id);
  }

  /** Starts `id` on its data directory and resolves once it listens. */
  async startNode(id: string): Promise<void> {
    const node = this.node(id);
    if (node.child !== undefined) throw new Error(`${id} is already running`);
    const logFile = this.#log(id);
    const child = spawn(
      process.execPath,
      [join(packageRoot(), 'bin', 'raftvec.js'), ...node.args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...this.#options.env, RAFTVEC_CLUSTER_SECRET: CLUSTER_SECRET },
      },
    );
    node.child = child;
    node.paused = false;
    node.starts++;
    liveChildren.add(child);
    logFile.write(
      `--- start ${node.starts} pid ${child.pid ?? '?'} at ${new Date().toISOString()}\n`,
    );
    child.stderr?.pipe(logFile, { end: false });
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${id} did not listen within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        logFile.write(`${line}\n`);
        if (LISTENING.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        liveChildren.delete(child);
        if (node.child === child) node.child = undefined;
        if (!this.#killing.delete(child))
          this.unexpectedExits.push({
            node: id,
            code,
            signal,
            at: performance.now() - this.#started,
          });
        logFile.write(`--- exit code ${code} signal ${signal}\n`);
        reject(new Error(`${id} exited (code ${code}, signal ${signal}) before listening`));
      });
    });
    await listening;
  }

  /** Kills `id` with `signal` and waits for it to exit. SIGCONTs it first if paused, so SIGTERM can land. */
  async killNode(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(id);
    const child = node.child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#killing.add(child);
    if (node.paused && signal !== 'SIGKILL') this.resumeNode(id);
    child.kill(signal);
    const timer =
      signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    node.child = undefined;
    node.paused = false;
  }

  pauseNode(id: string): void {
    const node = this.node(id);
    if (node.child?.pid === undefined || node.paused) return;
    process.kill(node.child.pid, 'SIGSTOP');
    node.paused = true;
  }

  resumeNode(id: string): void {
    const node = this.node(id);
    if (node.child?.pid === undefined || !node.paused) return;
    process.kill(node.child.pid, 'SIGCONT');
    node.paused = false;
  }

  /** The link `from` dials to reach `to`. */
  link(from: string, to: string): LinkProxy {
    const link = this.links.get(`${from}->${to}`);
    if (link === undefined) throw new RangeError(`no link ${from}->${to}`);
    return link;
  }

  /** Every link open and without delay; every node running and resumed. */
  async healAll(): Promise<void> {
    for (const link of this.links.values()) {
      link.setDelay(0, 0);
      link.heal();
    }
    for (const node of this.nodes) this.resumeNode(node.id);
    for (const node of this.nodes) if (node.child === undefined) await this.startNode(node.id);
  }

  /** A node's status, or undefined if it does not answer in time. */
  async status(id: string, deadlineMs = 500): Promise<NodeStatus | undefined> {
    const node = this.node(id);
    if (node.child === undefined || node.paused) return undefined;
    let client = this.#statusClients.get(id);
    if (client === undefined) {
      client = new ClusterStatusClient(node.address);
      this.#statusClients.set(id, client);
    }
    return client.status(deadlineMs).catch(() => undefined);
  }

  /**
   * The node that leads: the one that says so in the highest term, or else the one the
   * others name. A loaded node may answer slowly, so this asks a few times.
   */
  async leader(): Promise<string | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const statuses = (await Promise.all(this.ids.map((id) => this.status(id, 2_000)))).filter(
        (s) => s !== undefined,
      );
      const leaders = statuses
        .filter((s) => s.role === 'leader')
        .sort((a, b) => Number(b.term) - Number(a.term));
      if (leaders[0] !== undefined) return leaders[0].id;
      const named = statuses
        .filter((s) => s.leaderId !== '')
        .sort((a, b) => Number(b.term) - Number(a.term));
      if (named[0] !== undefined) return named[0].leaderId;
    }
    return undefined;
  }

  /** Freezes every node at once (SIGSTOP), so that none moves on while the others stop. */
  freezeAll(): void {
    for (const node of this.nodes) this.pauseNode(node.id);
  }

  /** Kills every process and closes every proxy. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.killNode(n.id, 'SIGKILL')));
    for (const client of this.#statusClients.values()) client.close();
    this.#statusClients.clear();
    await Promise.all([...this.links.values()].map((l) => l.close()));
    await Promise.all(
      [...this.#logs.values()].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))),
    );
  }

  #log(id: string): WriteStream {
    let stream = this.#logs.get(id);
    if (stream === undefined) {
      stream = createWriteStream(join(this.#options.logDir, `${id}.log`), { flags: 'a' });
      this.#logs.set(id, stream);
    }
    return stream;
  }
}
