/**
 * Membership changes with real processes: a node joins (serve --join) and is promoted,
 * members are removed (the leader too), through `raftvec member`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TestCluster, TEST_CLUSTER_SECRET } from '../support/cluster.js';
import { ProcessGroup, runCli, waitFor } from '../support/processes.js';

const group = new ProcessGroup();
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await group.cleanup();
});

const cliEnv = { env: { RAFTVEC_CLUSTER_SECRET: TEST_CLUSTER_SECRET } };

interface Listed {
  voters: { id: string }[];
  learners: { id: string }[];
  index: number;
  committed: boolean;
}

describe('membership', () => {
  it('a node joins with serve --join, catches up and is promoted; member list shows it', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    await cluster.waitForLeader();
    const client = cluster.client();
    await client.createCollection('docs', { dimension: 2 });
    for (let i = 0; i < 20; i++) await client.upsert('docs', [{ id: `p${i}`, vector: [i, 1] }]);
    const n4 = await cluster.join('n4');
    const listed = await waitFor('n4 promoted', async () => {
      const r = await runCli(['--address', cluster.addresses.join(','), 'member', 'list'], cliEnv);
      const m = JSON.parse(r.stdout) as Listed;
      return m.voters.some((v) => v.id === 'n4') && m.committed ? m : undefined;
    });
    expect(listed.voters.map((v) => v.id).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    const n4Client = cluster.client({ addresses: [n4.address] });
    const s = await cluster.status('n4');
    expect(s?.role).toBe('follower');
    await waitFor('n4 has the data', async () =>
      (await n4Client.count('docs', { consistency: 'eventual' })) === 20 ? true : undefined,
    );
    client.close();
    n4Client.close();
  }, 120_000);
});
