/**
 * A real raftvec cluster for tests: N `raftvec serve` processes on loopback, each
 * peer link optionally through a TcpProxy so a test can partition nodes.
 */
import { writeFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { holdPort } from '../../src/cli/local-cluster.js';
import { join } from 'node:path';
import { RaftvecClient } from '../../src/client/client.js';
import { nodeStatus, type NodeStatus } from '../../src/client/cluster-status.js';
import { TcpProxy } from './tcp-proxy.js';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { LISTENING_RE, waitFor, type NodeProcess, type ProcessGroup } from './processes.js';

export const TEST_CLUSTER_SECRET = 'test-cluster-secret';

export interface ClusterMember {
  id: string;
  /** The node's own listen address (clients may use it directly). */
  address: string;
  dataDir: string;
  /** Set when the member reads the secret with --cluster-secret-file instead of the environment. */
  secretFile?: string;
  /** A member that joined a running cluster: started with `--join` this address, no --peers. */
  joinVia?: string;
  /** With joinVia: started with --learner. */
  learner?: boolean;
  process?: NodeProcess;
}

export class TestCluster {
  /** proxies.get(`${from}->${to}`): the link `from` uses to reach `to`. */
  private readonly proxies = new Map<string, TcpProxy>();

  private constructor(
    private readonly group: ProcessGroup,
    readonly members: ClusterMember[],
    private readonly serveArgs: readonly string[] = [],
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly argsFor: (member: ClusterMember) => readonly string[] = () => [],
    private readonly apiKey?: string,
    /** How the helper dials the members (TLS); default plaintext. */
    readonly credentials?: ChannelCredentials,
  ) {}

  /** Starts `size` nodes and waits until every one serves. */
  static async start(
    group: ProcessGroup,
    size: number,
    options: {
      proxied?: boolean;
      /**
       * Members given the secret by --cluster-secret-file (mode 600, with the trailing
       * newline an editor leaves) and not by the environment.
       */
      secretFileFor?: readonly string[];
      /** More `raftvec serve` flags for every member. */
      serveArgs?: readonly string[];
      /** The key this helper's status reads and clients send (for `--api-keys-file`). */
      apiKey?: string;
      /** More environment variables for every member. */
      env?: NodeJS.ProcessEnv;
      /** How this helper's status reads, health checks and clients dial (TLS). */
      credentials?: ChannelCredentials;
      /**
       * More `raftvec serve` flags for one member; called before any member starts
       * (with the member's id and listen address known).
       */
      argsFor?: (member: ClusterMember) => readonly string[] | Promise<readonly string[]>;
    } = {},
  ): Promise<TestCluster> {
    const members: ClusterMember[] = [];
    // Each member's port stays held (listened on) until the members start: a port only
    // looked up and let go could be handed by the kernel to a proxy created meanwhile.
    const held: Server[] = [];
    for (let i = 1; i <= size; i++) {
      const id = `n${i}`;
      const hold = await holdPort();
      held.push(hold);
      const member: ClusterMember = {
        id,
        address: `127.0.0.1:${(hold.address() as AddressInfo).port}`,
        dataDir: await group.tempDir(id),
      };
      if (options.secretFileFor?.includes(id)) {
        member.secretFile = join(await group.tempDir(`${id}-secret`), 'cluster-secret');
        await writeFile(member.secretFile, `${TEST_CLUSTER_SECRET}\n`, { mode: 0o600 });
      }
      members.push(member);
    }
    const memberArgs = new Map<string, readonly string[]>();
    for (const m of members) memberArgs.set(m.id, (await options.argsFor?.(m)) ?? []);
    const cluster = new TestCluster(
      group,
      members,
      options.serveArgs ?? [],
      options.env ?? {},
      (m) => memberArgs.get(m.id) ?? [],
      options.apiKey,
      options.credentials,
    );
    if (options.proxied) {
      for (const from of members) {
        for (const to of members) {
          if (from !== to)
            cluster.proxies.set(`${from.id}->${to.id}`, await TcpProxy.start(to.address));
        }
      }
    }
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(members.map((m) => cluster.startMember(m)));
    return cluster;
  }

  get addresses(): string[] {
    return this.members.map((m) => m.address);
  }

  member(id: string): ClusterMember {
    const member = this.members.find((m) => m.id === id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }

  private peersFor(self: ClusterMember): string {
    return this.members
      .map(
        (m) =>
          `${m.id}=${m === self ? m.address : (this.proxies.get(`${self.id}->${m.id}`)?.address ?? m.address)}`,
      )
      .join(',');
  }

  /** The `raftvec serve` flags startMember gives `member`, less --listen and --data. */
  private serveFlagsFor(member: ClusterMember, peers: string = this.peersFor(member)): string[] {
    return [
      '--id',
      member.id,
      ...(member.joinVia === undefined
        ? ['--peers', peers]
        : ['--join', member.joinVia, ...(member.learner === true ? ['--learner'] : [])]),
      ...(member.secretFile === undefined ? [] : ['--cluster-secret-file', member.secretFile]),
      ...this.serveArgs,
      ...this.argsFor(member),
    ];
  }

  /** The environment startMember gives `member`. */
  private envFor(member: ClusterMember): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...this.env,
      // Empty with a secret file: the node must then take the secret from the file.
      RAFTVEC_CLUSTER_SECRET: member.secretFile === undefined ? TEST_CLUSTER_SECRET : '',
    };
  }

  /** (Re)starts a member on its data directory. */
  async startMember(member: ClusterMember): Promise<NodeProcess> {
    member.process = await this.group.startNode({
      name: member.id,
      dataDir: member.dataDir,
      listen: member.address,
      args: this.serveFlagsFor(member),
      env: this.envFor(member),
      ...(this.credentials && { credentials: this.credentials }),
    });
    return member.process;
  }

  /**
   * (Re)starts a member on its data directory as startMember does, but with `peers` as
   * its --peers list (ID=HOST:PORT,...) when given, and with `serving: false` waiting
   * only for its listening line, not for health SERVING (a node that knows no leader,
   * such as a removed member, never turns SERVING).
   */
  async startMemberWith(
    member: ClusterMember,
    options: { peers?: string; serving?: boolean } = {},
  ): Promise<NodeProcess> {
    const args = this.serveFlagsFor(member, options.peers);
    if (options.serving ?? true) {
      member.process = await this.group.startNode({
        name: member.id,
        dataDir: member.dataDir,
        listen: member.address,
        args,
        env: this.envFor(member),
        ...(this.credentials && { credentials: this.credentials }),
      });
      return member.process;
    }
    const p = this.group.spawnRaftvec(
      ['serve', '--listen', member.address, '--data', member.dataDir, ...args],
      { name: member.id, env: this.envFor(member) },
    );
    try {
      const address = await p.waitForLine(LISTENING_RE, 30_000);
      member.process = Object.assign(p, { address });
      return member.process;
    } catch (err) {
      await p.kill('SIGKILL').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Starts a new member `id` on an empty data directory that joins the running cluster
   * through `via` (default: the first member's address) with `serve --join`.
   */
  async join(
    id: string,
    options: { via?: string; learner?: boolean; dataDir?: string } = {},
  ): Promise<ClusterMember> {
    const hold = await holdPort();
    const member: ClusterMember = {
      id,
      address: `127.0.0.1:${(hold.address() as AddressInfo).port}`,
      dataDir: options.dataDir ?? (await this.group.tempDir(id)),
      joinVia: options.via ?? this.members[0]!.address,
      ...(options.learner === true && { learner: true }),
    };
    await new Promise((resolve) => hold.close(resolve));
    this.members.push(member);
    await this.startMember(member);
    return member;
  }

  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.member(id).process?.kill(signal);
  }

  running(): ClusterMember[] {
    return this.members.filter((m) => m.process?.running);
  }

  /** Cuts every link between `id` and the other members, both ways. */
  isolate(id: string): void {
    for (const [link, proxy] of this.proxies) {
      const [from, to] = link.split('->');
      if (from === id || to === id) proxy.cut();
    }
  }

  heal(): void {
    for (const proxy of this.proxies.values()) proxy.heal();
  }

  async status(id: string): Promise<NodeStatus | undefined> {
    return nodeStatus(this.member(id).address, 1_000, 0, this.apiKey, this.credentials);
  }

  /** Waits for a leader among `among` (default: running members) that they all agree on. */
  async waitForLeader(
    among: readonly string[] = this.running().map((m) => m.id),
    timeoutMs = 30_000,
  ): Promise<NodeStatus> {
    return waitFor(
      `a leader among ${among.join(', ')}`,
      async () => {
        const statuses = await Promise.all(among.map((id) => this.status(id)));
        const leader = statuses.find((s) => s?.role === 'leader');
        if (!leader) return undefined;
        const agreed = statuses.every(
          (s) => s !== undefined && s.leaderId === leader.id && s.term === leader.term,
        );
        return agreed ? leader : undefined;
      },
      { timeoutMs },
    );
  }

  /** Waits until member `id` has applied at least `index`. */
  async waitForApplied(id: string, index: number, timeoutMs = 30_000): Promise<NodeStatus> {
    return waitFor(
      `${id} to apply index ${index}`,
      async () => {
        const s = await this.status(id);
        return s !== undefined && s.appliedIndex >= index ? s : undefined;
      },
      { timeoutMs },
    );
  }

  client(
    options: { addresses?: string[]; deadlineMs?: number; maxAttempts?: number } = {},
  ): RaftvecClient {
    return new RaftvecClient(options.addresses ?? this.addresses, {
      ...(this.apiKey !== undefined && { apiKey: this.apiKey }),
      ...(this.credentials && { credentials: this.credentials }),
      deadlineMs: options.deadlineMs ?? 20_000,
      retry: { maxAttempts: options.maxAttempts ?? 20, initialBackoffMs: 25, maxBackoffMs: 500 },
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}
