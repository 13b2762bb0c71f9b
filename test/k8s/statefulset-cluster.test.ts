/**
 * Three real `raftvec serve` processes run as the StatefulSet runs its pods: the
 * container's environment and args are read from k8s/statefulset.yaml and
 * k8s/configmap.yaml (POD_NAME, POD_NAMESPACE, RAFTVEC_BOOTSTRAP=statefulset, ...), the
 * Secret is made of real files (cluster secret, an admin API key, a CA and a peer
 * certificate per pod: mutual TLS as in the manifests), and each pod's volume is a folder.
 *
 * One documented override stands in for the cluster's DNS: RAFTVEC_HOSTS_OVERRIDE maps
 * each pod's stable name (raftvec-N.raftvec-headless.NS.svc.cluster.local) to a loopback
 * address of its own, 127.A.B.N+1, where that process listens; all of them then keep the
 * pods' one port. The mount paths are mapped to temp folders, and 0.0.0.0 in the args to
 * the pod's address. If the manifests' ports are taken on this machine, free ones are
 * used instead (and said so).
 *
 * The scenario: the three form a cluster, a write is acknowledged by a majority and
 * found by a search; the leader is killed with SIGKILL; the point is read back and a
 * new write succeeds; the killed pod restarts on its volume and catches up; a fourth
 * pod (a scale-up) joins through the client Service and is promoted to voter.
 * Needs `npm run build` and openssl (scripts/dev-certs.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { RaftvecClient } from '../../src/client/client.js';
import { nodeStatus, type NodeStatus } from '../../src/client/cluster-status.js';
import { channelCredentials } from '../../src/client/tls.js';
import {
  HOSTS_OVERRIDE_ENV,
  STATEFULSET_ENV,
  clientServiceDnsName,
  podDnsName,
  statefulSetIdentity,
} from '../../src/cli/statefulset.js';
import { PROBE_PORT_ENV } from '../../src/server/readiness.js';
import { DATA_MOUNT, SECRETS_MOUNT } from '../../k8s/src/config.js';
import {
  LISTENING_RE,
  ProcessGroup,
  repoRoot,
  runCli,
  waitFor,
  waitForServing,
  type NodeProcess,
} from '../support/processes.js';
import { expandArgs, manifests, podEnvironment } from './manifests.js';

const NAMESPACE = 'raftvec-test';
const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

interface Pod {
  name: string;
  ordinal: number;
  ip: string;
  volume: string;
  process?: NodeProcess;
  address?: string;
}

/** Whether every (ip, port) can be listened on now. */
async function canListen(ips: readonly string[], ports: readonly number[]): Promise<boolean> {
  const servers: ReturnType<typeof createServer>[] = [];
  try {
    for (const ip of ips)
      for (const port of ports) {
        const server = createServer();
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, ip, () => resolve());
        });
      }
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

let secrets: string;
let apiKey: string;
let tls: ChannelCredentials;
let base: string;
/** Ports moved off the manifests' (only when those are taken here). */
let portEnv: Record<string, string> = {};
let metricsPort: number;
const pods: Pod[] = [];

const ipOf = (ordinal: number) => `${base}.${ordinal + 1}`;

/**
 * The environment of pod `ordinal`, as the kubelet gives it (from the manifests), plus
 * the loopback override; the client Service leads to `serviceTo` (a ready pod).
 */
function envOf(ordinal: number, serviceTo: number): Record<string, string> {
  const env = { ...podEnvironment(`raftvec-${ordinal}`, NAMESPACE), ...portEnv };
  const identity = statefulSetIdentity(env);
  const hosts = [0, 1, 2, 3].map((i) => `${podDnsName(identity, i)}=${ipOf(i)}`);
  hosts.push(`${clientServiceDnsName(identity)}=${ipOf(serviceTo)}`);
  return { ...env, [HOSTS_OVERRIDE_ENV]: hosts.join(',') };
}

/** The container's args, with the mounts mapped to this machine's folders. */
function argsOf(pod: Pod, env: Record<string, string>): string[] {
  return expandArgs(manifests.container().args!, env).map((arg) =>
    arg
      .replace(DATA_MOUNT, pod.volume)
      .replace(SECRETS_MOUNT, secrets)
      .replace(/^0\.0\.0\.0:\d+$/, `${pod.ip}:${metricsPort}`),
  );
}

async function startPod(pod: Pod, serviceTo: number): Promise<NodeProcess> {
  const env = envOf(pod.ordinal, serviceTo);
  const p = procs.spawnRaftvec(['serve', ...argsOf(pod, env)], { name: pod.name, env });
  try {
    const address = await p.waitForLine(LISTENING_RE, 60_000);
    await waitForServing(address, '', 90_000, tls);
    pod.address = address;
    pod.process = Object.assign(p, { address });
    return pod.process;
  } catch (err) {
    await p.kill('SIGKILL').catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${p.describe()}`, { cause: err });
  }
}

const statusOf = (pod: Pod): Promise<NodeStatus | undefined> =>
  nodeStatus(pod.address!, 2_000, 0, apiKey, tls);

async function leaderAmong(among: readonly Pod[]): Promise<Pod> {
  const leader = await waitFor(
    `a leader among ${among.map((p) => p.name).join(', ')}`,
    async () => {
      const statuses = await Promise.all(among.map(statusOf));
      const lead = statuses.find((s) => s?.role === 'leader');
      if (lead === undefined) return undefined;
      return statuses.every((s) => s?.leaderId === lead.id && s.term === lead.term)
        ? lead
        : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return among.find((p) => p.name === leader.id)!;
}

const clientFor = (among: readonly Pod[]) =>
  new RaftvecClient(
    among.map((p) => p.address!),
    {
      tls: { ca: readFileSync(join(secrets, 'ca.pem')) },
      apiKey,
      deadlineMs: 30_000,
      retry: { maxAttempts: 40, initialBackoffMs: 50, maxBackoffMs: 500 },
    },
  );

beforeAll(async () => {
  const config = manifests.configMap().data!;
  const grpcPort = Number(config[STATEFULSET_ENV.port]);
  const probePort = Number(config[PROBE_PORT_ENV]);
  const metricsFlag = manifests.container().args!.find((a) => a.startsWith('0.0.0.0:'))!;
  metricsPort = Number(metricsFlag.slice('0.0.0.0:'.length));
  // A loopback /24 of our own, where the manifests' ports are free.
  let found = false;
  for (let attempt = 0; attempt < 5 && !found; attempt++) {
    base = `127.${randomInt(2, 250)}.${randomInt(0, 250)}`;
    found = await canListen([0, 1, 2, 3].map(ipOf), [grpcPort, probePort, metricsPort]);
  }
  if (!found) {
    const [a, b, c] = [
      randomInt(20_000, 30_000),
      randomInt(30_000, 40_000),
      randomInt(40_000, 50_000),
    ];
    portEnv = { [STATEFULSET_ENV.port]: String(a), [PROBE_PORT_ENV]: String(b) };
    metricsPort = c;
    process.stderr.write(
      `statefulset-cluster: ports ${grpcPort}/${probePort}/${metricsFlag} are taken here; using ${a}/${b}/${c}\n`,
    );
  }

  // The Secret, as files: what docs/kubernetes.md says to put in it.
  secrets = await procs.tempDir('k8s-secrets');
  await writeFile(join(secrets, 'cluster-secret'), `${randomBytes(24).toString('base64')}\n`, {
    mode: 0o600,
  });
  const key = await runCli(['keys', 'generate', '--role', 'admin', '--id', 'k8s-test']);
  expect(key.code, key.stderr).toBe(0);
  apiKey = key.stdout.trim();
  await writeFile(
    join(secrets, 'api-keys.json'),
    JSON.stringify({ keys: [JSON.parse(key.stderr.trim())] }),
  );
  execFileSync(
    'bash',
    [
      join(repoRoot, 'scripts', 'dev-certs.sh'),
      secrets,
      'raftvec-0',
      'raftvec-1',
      'raftvec-2',
      'raftvec-3',
    ],
    {
      stdio: 'ignore',
      env: { ...process.env, RAFTVEC_CERT_SAN: [0, 1, 2, 3].map((i) => `IP:${ipOf(i)}`).join(',') },
    },
  );
  tls = channelCredentials({ ca: readFileSync(join(secrets, 'ca.pem')) });

  for (let i = 0; i < 4; i++) {
    const volume = join(await procs.tempDir(`k8s-raftvec-${i}`), 'volume');
    await mkdir(volume);
    pods.push({ name: `raftvec-${i}`, ordinal: i, ip: ipOf(i), volume });
  }
  // podManagementPolicy: Parallel. The client Service leads to raftvec-0 (unused: no joins).
  await Promise.all(pods.slice(0, 3).map((pod) => startPod(pod, 0)));
});

describe('three pods with the StatefulSet environment', () => {
  let acknowledged = 0;
  let killed: Pod;

  it('form a cluster, survive kill -9 of the leader, and take writes again', async () => {
    const three = pods.slice(0, 3);
    // Each knows itself by its pod name, at its stable name's address.
    for (const pod of three) {
      const s = await statusOf(pod);
      expect(s?.id).toBe(pod.name);
      expect(pod.address).toBe(`${pod.ip}:${portEnv[STATEFULSET_ENV.port] ?? 7000}`);
    }
    // The kubelet's probes, as the manifests write them, on the plaintext probe port.
    const probePort = Number(
      portEnv[PROBE_PORT_ENV] ?? manifests.configMap().data![PROBE_PORT_ENV],
    );
    const c = manifests.container();
    for (const pod of three)
      for (const probe of [c.startupProbe!, c.livenessProbe!, c.readinessProbe!])
        await waitForServing(`${pod.ip}:${probePort}`, probe.grpc!.service ?? '', 30_000);
    const leader = await leaderAmong(three);
    const client = clientFor(three);
    try {
      await client.createCollection('docs', { dimension: 3, metric: 'l2' });
      const insert = await client.upsert('docs', [
        { id: 'vec1', vector: [0.1, 0.2, 0.3], metadata: { source: 'docA' } },
      ]);
      expect(insert.upserted).toBe(1);
      const hits = await client.search('docs', [0.1, 0.2, 0.3], { k: 1 });
      expect(hits[0]?.id).toBe('vec1');

      await leader.process!.kill('SIGKILL');
      killed = leader;
      const rest = three.filter((p) => p !== leader);
      const next = await leaderAmong(rest);
      expect(next).not.toBe(leader);

      const [point] = await client.get('docs', ['vec1']);
      expect(point?.metadata).toEqual({ source: 'docA' });
      expect((await client.search('docs', [0.1, 0.2, 0.3], { k: 1 }))[0]?.id).toBe('vec1');
      const again = await client.upsert('docs', [
        { id: 'vec2', vector: [0.3, 0.2, 0.1], metadata: { source: 'docB' } },
      ]);
      expect(again.upserted).toBe(1);
      acknowledged = again.logIndex;
    } finally {
      client.close();
    }
  }, 240_000);

  it('a pod restarted on its volume rejoins with its data and catches up', async () => {
    expect(killed).toBeDefined();
    const serviceTo = pods.slice(0, 3).find((p) => p !== killed)!.ordinal;
    await startPod(killed, serviceTo);
    const s = await waitFor(
      `${killed.name} to apply index ${acknowledged}`,
      async () => {
        const status = await statusOf(killed);
        return status !== undefined && status.appliedIndex >= acknowledged ? status : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const voters = (s.membership?.members ?? []).filter((m) => m.role === 'voter');
    expect(voters.map((m) => m.id).sort()).toEqual(['raftvec-0', 'raftvec-1', 'raftvec-2']);
    // It started from its stored configuration: no join, and the same peers.
    expect(killed.process!.stderr).not.toContain('joined the cluster');
  }, 180_000);

  it('a fourth pod (a scale-up) joins through the client Service and becomes a voter', async () => {
    const three = pods.slice(0, 3);
    const leader = await leaderAmong(three);
    const fourth = pods[3]!;
    await startPod(fourth, leader.ordinal);
    expect(fourth.process!.stderr).toContain('joined the cluster');
    await waitFor(
      'raftvec-3 promoted to voter',
      async () => {
        const s = await statusOf(leader);
        const member = s?.membership?.members?.find((m) => m.id === 'raftvec-3');
        return member?.role === 'voter' && s?.membership?.committed === true;
      },
      { timeoutMs: 90_000 },
    );
    const client = clientFor([fourth]);
    try {
      const [point] = await client.get('docs', ['vec1'], { consistency: 'eventual' });
      expect(point?.metadata).toEqual({ source: 'docA' });
    } finally {
      client.close();
    }
  }, 240_000);
});
