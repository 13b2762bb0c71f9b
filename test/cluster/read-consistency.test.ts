/**
 * Read consistency during and after a failover, with real processes, partitions
 * (TCP proxies on every peer link), SIGSTOP and SIGKILL (docs/consistency.md).
 *
 * Each guarantee is checked twice: on the real build, where it must hold, and on a
 * build with that guarantee switched off by an unsafe test flag
 * (src/server/unsafe-test-flags.ts), where the same scenario must catch the
 * violation: the proof that the scenario can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RaftvecClient } from '../../src/client/client.js';
import { RaftvecClientError } from '../../src/client/errors.js';
import { Session } from '../../src/client/session.js';
import type { ReadConsistency, ReadInfo } from '../../src/api/conversions.js';
import { APPLIED_INDEX_KEY } from '../../src/api/metadata-keys.js';
import { TestCluster, type ClusterMember } from '../support/cluster.js';
import { ProcessGroup, waitFor } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const group = new ProcessGroup();
const clusters: TestCluster[] = [];
const proxies: TcpProxy[] = [];
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(clusters.map((c) => c.close()));
  await group.cleanup();
});

const COLLECTION = 'reg';
const BOUND_MS = 300;

/** A client that talks to `addresses` only, in that order, with `attempts` tries in all. */
function pinned(addresses: string[], attempts = 1, deadlineMs = 10_000): RaftvecClient {
  return new RaftvecClient(addresses, {
    deadlineMs,
    retry: { maxAttempts: attempts, initialBackoffMs: 20, maxBackoffMs: 200 },
  });
}

/** The register's value as `client` reads it, or the error's status name. */
async function readValue(
  client: RaftvecClient,
  consistency: ReadConsistency,
  extra: { session?: Session; maxStalenessMs?: number; onReadInfo?: (i: ReadInfo) => void } = {},
): Promise<number | string> {
  try {
    const [point] = await client.get(COLLECTION, ['k'], { consistency, ...extra });
    return Number(point?.metadata?.['v'] ?? 0);
  } catch (err) {
    if (err instanceof RaftvecClientError) return err.code;
    throw err;
  }
}

async function writeValue(client: RaftvecClient, v: number, session?: Session): Promise<number> {
  const { logIndex } = await client.upsert(
    COLLECTION,
    [{ id: 'k', vector: [1, 0], metadata: { v } }],
    session ? { session } : {},
  );
  return logIndex;
}

async function signal(member: ClusterMember, sig: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  process.kill(member.process!.pid, sig);
}

/** Heals every link, resumes stopped members and waits for the whole cluster to agree on a leader. */
async function recover(cluster: TestCluster, stopped: ClusterMember[] = []): Promise<void> {
  for (const m of stopped) await signal(m, 'SIGCONT');
  cluster.heal();
  await cluster.waitForLeader();
}

/** What each scenario saw; `violated` is true when the guarantee did not hold. */
interface Observation {
  violated: boolean;
  what: string;
}

/**
 * A deposed leader in a minority (cut off, then stopped while a new leader is elected
 * and commits) is asked for LINEARIZABLE and LEASE reads the moment it resumes.
 */
async function deposedLeaderReads(cluster: TestCluster): Promise<Record<string, Observation>> {
  const writer = cluster.client();
  await writeValue(writer, 1);
  const old = cluster.member((await cluster.waitForLeader()).id);
  const atOld = pinned([old.address]);
  // Connected, and the lease in force, before the partition.
  expect(await readValue(atOld, 'lease')).toBe(1);
  cluster.isolate(old.id);
  await signal(old, 'SIGSTOP');
  const rest = cluster.members.filter((m) => m !== old);
  await cluster.waitForLeader(rest.map((m) => m.id));
  const fresh = cluster.client({ addresses: rest.map((m) => m.address) });
  await writeValue(fresh, 2);
  // Sent while the old leader is stopped: it finds them waiting when it resumes.
  const reads = (['linearizable', 'lease'] as const).map((c) => readValue(atOld, c));
  await signal(old, 'SIGCONT');
  const [linearizable, lease] = await Promise.all(reads);
  atOld.close();
  fresh.close();
  writer.close();
  await recover(cluster);
  const observe = (v: number | string): Observation => ({
    violated: v === 1,
    what: v === 1 ? 'served the value the new leader had overwritten' : `answered ${v}`,
  });
  return { linearizable: observe(linearizable!), lease: observe(lease!) };
}

/**
 * A session that wrote through the leader reads first at a follower cut off before
 * the write: the follower must not answer from before the session's own write; the
 * client moves on to another replica.
 */
async function sessionReadAtLaggingReplica(cluster: TestCluster): Promise<Observation> {
  const leader = await cluster.waitForLeader();
  const lagging = cluster.members.find((m) => m.id !== leader.id)!;
  const others = cluster.members.filter((m) => m !== lagging);
  const setup = cluster.client();
  await writeValue(setup, 1);
  await cluster.waitForApplied(lagging.id, (await cluster.status(leader.id))!.commitIndex);
  setup.close();
  cluster.isolate(lagging.id);
  const session = new Session();
  const writer = cluster.client({ addresses: others.map((m) => m.address) });
  await writeValue(writer, 2, session);
  writer.close();
  // The first replica this client tries is the lagging one.
  const reader = pinned([lagging.address, ...others.map((m) => m.address)], 5, 8_000);
  let servedBy = '';
  const v = await readValue(reader, 'session', {
    session,
    onReadInfo: (info) => (servedBy = info.replicaId),
  });
  reader.close();
  await recover(cluster);
  if (v === 1)
    return { violated: true, what: `${servedBy} served a read from before the session's write` };
  expect(v, 'the session read moved on to an up-to-date replica').toBe(2);
  expect(servedBy).not.toBe(lagging.id);
  return { violated: false, what: `served by ${servedBy}` };
}

/**
 * A follower cut off before a write is asked, more than the bound after that write
 * was acknowledged, for a BOUNDED read: the value it has is older than the bound.
 */
async function boundedReadAtCutOffReplica(cluster: TestCluster): Promise<Observation> {
  const leader = await cluster.waitForLeader();
  const follower = cluster.members.find((m) => m.id !== leader.id)!;
  const others = cluster.members.filter((m) => m !== follower);
  const setup = cluster.client();
  await writeValue(setup, 1);
  setup.close();
  const atFollower = pinned([follower.address]);
  // While connected, the follower serves BOUNDED reads itself, within the bound.
  const healthy = await waitFor('a BOUNDED read served by the follower', async () => {
    let info: ReadInfo | undefined;
    const v = await readValue(atFollower, 'bounded', {
      maxStalenessMs: BOUND_MS,
      onReadInfo: (i) => (info = i),
    });
    return v === 1 && info !== undefined ? info : undefined;
  });
  expect(healthy.replicaId).toBe(follower.id);
  expect(healthy.stalenessBoundMs).toBeLessThanOrEqual(BOUND_MS);

  cluster.isolate(follower.id);
  const writer = cluster.client({ addresses: others.map((m) => m.address) });
  await writeValue(writer, 2);
  const acknowledgedAt = Date.now();
  writer.close();
  // Wait until the write is older than the bound: value 1 is then too stale to serve.
  await waitFor('the write to be older than the bound', () =>
    Date.now() > acknowledgedAt + BOUND_MS + 20 ? true : undefined,
  );
  const readAt = Date.now();
  let refusal: RaftvecClientError | undefined;
  let v: number | string;
  try {
    const [point] = await atFollower.get(COLLECTION, ['k'], {
      consistency: 'bounded',
      maxStalenessMs: BOUND_MS,
    });
    v = Number(point?.metadata?.['v'] ?? 0);
  } catch (err) {
    if (!(err instanceof RaftvecClientError)) throw err;
    refusal = err;
    v = err.code;
  }
  atFollower.close();
  await recover(cluster);
  if (v === 1)
    return {
      violated: readAt - BOUND_MS > acknowledgedAt,
      what: `served a value overwritten ${readAt - acknowledgedAt} ms before (bound ${BOUND_MS} ms)`,
    };
  expect(refusal?.code).toBe('UNAVAILABLE');
  // Its applied index, and the leader's address while it still knows one (an isolated
  // follower soon campaigns and forgets it).
  expect(refusal?.details[APPLIED_INDEX_KEY]).toMatch(/^\d+$/);
  return { violated: false, what: `refused: ${refusal?.message}` };
}

/**
 * A write whose request reaches the leader but whose answer is lost; meanwhile another
 * client deletes the point; then the connection is cut and the client retries the
 * write elsewhere. Applied once, the delete stands; applied twice, the point is back.
 */
async function writeRetriedAfterLostAnswer(cluster: TestCluster): Promise<Observation> {
  const leader = cluster.member((await cluster.waitForLeader()).id);
  const proxy = await TcpProxy.start(leader.address);
  proxies.push(proxy);
  const client = new RaftvecClient([proxy.address, leader.address], {
    deadlineMs: 15_000,
    retry: { maxAttempts: 4, initialBackoffMs: 20, maxBackoffMs: 200 },
  });
  const other = cluster.client();
  await client.count(COLLECTION); // connected through the proxy
  proxy.dropAnswers();
  const write = client.upsert(COLLECTION, [{ id: 'once', vector: [0, 1] }]);
  await waitFor('the write to be applied', async () =>
    (await other.get(COLLECTION, ['once'])).length === 1 ? true : undefined,
  );
  await other.delete(COLLECTION, ['once']);
  proxy.cut();
  await write; // the retry's answer
  const after = await other.get(COLLECTION, ['once']);
  client.close();
  other.close();
  return after.length === 0
    ? { violated: false, what: 'applied once: the delete made after it stands' }
    : { violated: true, what: 'applied twice: the retry brought the deleted point back' };
}

const WEAKENING_FLAGS = [
  '--unsafe-reads-without-read-index',
  '--unsafe-lease-never-expires',
  '--unsafe-bounded-reads-ignore-staleness',
  '--unsafe-session-reads-ignore-index',
  '--unsafe-skip-session-table',
];

describe.each([
  { build: 'the real build', weakened: false },
  { build: 'a build with the guarantees switched off', weakened: true },
])('read consistency across failovers, on $build', ({ weakened }) => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start(group, 3, {
      proxied: true,
      ...(weakened && { serveArgs: WEAKENING_FLAGS, env: { RAFTVEC_UNSAFE_TEST_FLAGS: '1' } }),
    });
    clusters.push(cluster);
    await cluster.waitForLeader();
    const setup = cluster.client();
    await setup.createCollection(COLLECTION, { dimension: 2 });
    setup.close();
  }, 60_000);

  const expectHeld = (o: Observation, label: string): void =>
    expect(o.violated, `${label}: ${o.what}`).toBe(weakened);

  it('a deposed leader in a minority serves no LINEARIZABLE or LEASE read once a new leader committed', async () => {
    const seen = await deposedLeaderReads(cluster);
    expectHeld(seen['linearizable']!, 'LINEARIZABLE');
    expectHeld(seen['lease']!, 'LEASE');
  }, 90_000);

  it('a SESSION read never goes back behind its own write when it lands on a lagging replica', async () => {
    expectHeld(await sessionReadAtLaggingReplica(cluster), 'SESSION');
  }, 90_000);

  it('a BOUNDED read never returns a state older than its bound', async () => {
    expectHeld(await boundedReadAtCutOffReplica(cluster), 'BOUNDED');
  }, 90_000);

  it('a write whose answer was lost, retried, applies exactly once', async () => {
    expectHeld(await writeRetriedAfterLostAnswer(cluster), 'exactly once');
  }, 90_000);
});

describe('a SESSION across a failover', () => {
  it('reads its last write after the leader is killed, and never goes back as it moves between replicas, the restarted one included', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    const setup = cluster.client();
    await setup.createCollection(COLLECTION, { dimension: 2 });
    setup.close();
    const session = new Session();
    const client = new RaftvecClient(cluster.addresses, {
      deadlineMs: 20_000,
      session,
      retry: { maxAttempts: 20, initialBackoffMs: 25, maxBackoffMs: 500 },
    });
    for (let v = 1; v <= 20; v++) await writeValue(client, v);
    const leader = await cluster.waitForLeader();
    await cluster.kill(leader.id, 'SIGKILL');
    // Spread over the replicas in turn: the dead one is skipped, the others must have
    // applied the session's last write before they answer.
    let lastApplied = 0;
    const seen: string[] = [];
    const read = async (): Promise<number> => {
      const [point] = await client.get(COLLECTION, ['k'], {
        consistency: 'session',
        onReadInfo: (info) => {
          expect(info.appliedIndex).toBeGreaterThanOrEqual(lastApplied);
          lastApplied = info.appliedIndex;
          seen.push(info.replicaId);
        },
      });
      return Number(point?.metadata?.['v']);
    };
    for (let i = 0; i < 6; i++) expect(await read()).toBe(20);
    expect(seen).not.toContain(leader.id);
    await cluster.waitForLeader(cluster.running().map((m) => m.id));
    await writeValue(client, 21);
    await cluster.startMember(cluster.member(leader.id));
    seen.length = 0;
    // Until the restarted replica has served one (the client's channel to it reconnects
    // with a backoff): every answer must hold the session's last write.
    await waitFor('a read served by the restarted replica', async () => {
      expect(await read()).toBe(21);
      return seen.includes(leader.id) ? true : undefined;
    });
    expect(session.token).toBeGreaterThanOrEqual(lastApplied);
    client.close();
  }, 120_000);
});
