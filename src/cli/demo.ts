/**
 * The reference scenario of the design brief, on a local three-node cluster:
 * insert under majority write concern, search, kill -9 the leader, read back from
 * the new leader, write again, restart the killed node and watch it catch up.
 */
import { rmSync } from 'node:fs';
import { RaftvecClient } from '../client/client.js';
import { printStatusTable } from './status-table.js';
import {
  clusterCredentials,
  clusterStatus,
  isAlive,
  loadCluster,
  spawnNode,
  startLocalCluster,
  stopLocalCluster,
  waitForLeader,
  waitUntil,
  type LocalCluster,
} from './local-cluster.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const step = (n: number, title: string): void => say(`\n[${n}] ${title}`);
const json = (value: unknown): string => JSON.stringify(value);

export async function runDemo(root: string, options: { tls?: boolean } = {}): Promise<void> {
  const previous = loadCluster(root);
  if (previous !== undefined) {
    const stopped = await stopLocalCluster(previous);
    if (stopped.length > 0) say(`stopped the previous demo cluster (${stopped.join(', ')})`);
  }
  rmSync(root, { recursive: true, force: true });

  step(0, 'starting a local three-node cluster');
  const cluster = await startLocalCluster(root, 3, options);
  const addresses = cluster.nodes.map((n) => n.address);
  for (const node of cluster.nodes)
    say(`    ${node.id}  ${node.address}  pid ${node.pid}  data ${node.dataDir}`);
  if (cluster.certs !== undefined)
    say(
      `    TLS on: mutual TLS between the nodes, clients trust ${cluster.certs}/ca.pem (certificates from scripts/dev-certs.sh)`,
    );
  const credentials = clusterCredentials(cluster);
  const leader = await waitForLeader(addresses, 30_000, credentials);
  say(`    leader: ${leader.id} at ${leader.address} (term ${leader.term})`);

  const client = new RaftvecClient(addresses, { deadlineMs: 15_000, credentials });
  try {
    step(1, 'insert vec1 under write concern "majority"');
    await client.createCollection('docs', { dimension: 3, metric: 'l2' });
    say(
      '    {"command":"insert","vectors":[{"id":"vec1","values":[0.1,0.2,0.3],"metadata":{"source":"docA"}}]}',
    );
    const write = await client.upsert(
      'docs',
      [{ id: 'vec1', vector: [0.1, 0.2, 0.3], metadata: { source: 'docA' } }],
      { writeConcern: 'majority' },
    );
    say(
      `    acknowledged at log index ${write.logIndex}: committed on a majority (fsynced) and applied`,
    );

    step(2, 'search for [0.1, 0.2, 0.3]');
    const hits = await client.search('docs', [0.1, 0.2, 0.3], { k: 1, withMetadata: true });
    say(
      `    nearest: ${json(hits.map((h) => ({ id: h.id, score: h.score, metadata: h.metadata })))}`,
    );

    step(3, `kill -9 the leader ${leader.id}`);
    const victim = cluster.nodes.find((n) => n.id === leader.id)!;
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(victim.pid), 10_000, `${victim.id} to die`);
    const survivors = addresses.filter((a) => a !== victim.address);
    const newLeader = await waitForLeader(survivors, 30_000, credentials);
    say(
      `    new leader: ${newLeader.id} at ${newLeader.address} (term ${newLeader.term}), ${Date.now() - killedAt} ms after the kill`,
    );

    step(4, 'read vec1 back from the new leader');
    const [vec1] = await client.get('docs', ['vec1'], { withVector: true, withMetadata: true });
    say(
      `    get vec1: ${json({ id: vec1?.id, vector: vec1?.vector && Array.from(vec1.vector, (x) => Number(x.toPrecision(7))), metadata: vec1?.metadata })}`,
    );
    const again = await client.search('docs', [0.1, 0.2, 0.3], { k: 1, withMetadata: true });
    say(`    search: ${json(again.map((h) => ({ id: h.id, metadata: h.metadata })))}`);
    if (vec1?.metadata?.['source'] !== 'docA' || again[0]?.id !== 'vec1') {
      throw new Error('vec1 or its metadata is missing after failover: this is a bug');
    }

    step(5, 'write again through the new leader');
    const second = await client.upsert('docs', [
      { id: 'vec2', vector: [0.9, 0.1, 0.0], metadata: { source: 'docB' } },
    ]);
    say(
      `    vec2 acknowledged at log index ${second.logIndex}; the collection holds ${await client.count('docs')} points`,
    );

    step(6, `restart ${victim.id} on its data directory`);
    spawnNode(cluster, victim);
    await waitUntil(
      async () => {
        const statuses = await clusterStatus(addresses, credentials);
        const restarted = statuses.find((s) => s.id === victim.id);
        return restarted !== undefined && restarted.appliedIndex >= second.logIndex;
      },
      60_000,
      `${victim.id} to catch up`,
    );
    say(
      `    ${victim.id} rejoined as a follower and applied everything up to log index ${second.logIndex}`,
    );
  } finally {
    client.close();
  }

  step(7, 'cluster status');
  const statuses = await clusterStatus(addresses, credentials);
  const leaderCommit = Math.max(0, ...statuses.map((s) => s.commitIndex));
  printStatusTable(
    statuses.map((s) => ({ ...s, lag: leaderCommit - s.appliedIndex })),
    '    ',
  );
  printHowToContinue(cluster);
}

function printHowToContinue(cluster: LocalCluster): void {
  const addresses = cluster.nodes.map((n) => n.address).join(',');
  const tls = cluster.certs === undefined ? '' : ` --tls-ca ${cluster.certs}/ca.pem`;
  say('\nThe cluster is still running. Try:');
  say(`    node bin/raftvec.js --address ${addresses}${tls} status`);
  say(`    node bin/raftvec.js --address ${addresses}${tls} search docs --vector '[0.1,0.2,0.3]'`);
  say(`Logs: ${cluster.root}/n*.log. Stop it with:`);
  say('    ./scripts/demo.sh stop');
}
