/**
 * `raftvec status` compares the replicas' applied-entry digests and reports a
 * divergence as an error. Two independent single-node clusters stand in for two
 * replicas that applied different entries at the same log indexes.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecClient } from '../../src/client/client.js';
import { digestMismatches } from '../../src/client/cluster-status.js';
import { ProcessGroup, runCli, waitForServing } from '../support/processes.js';

const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

describe('raftvec status: applied digests', () => {
  it('finds no divergence among equal digests and reports each disagreeing index', () => {
    expect(
      digestMismatches([
        { id: 'n1', index: 7, digest: 'aa' },
        { id: 'n2', index: 7, digest: 'aa' },
        { id: 'n3', index: 9, digest: 'bb' },
      ]),
    ).toEqual([]);
    const found = digestMismatches([
      { id: 'n1', index: 7, digest: 'aa' },
      { id: 'n2', index: 7, digest: 'ab' },
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/diverged at applied index 7: n1 has aa, n2 has ab/);
  });

  it('shows each node digest and fails when two nodes differ at the same index', async () => {
    const dir = await procs.tempDir('digest');
    const nodes = await Promise.all(
      ['a', 'b'].map((name) => procs.startNode({ dataDir: join(dir, name), name })),
    );
    for (const [i, node] of nodes.entries()) {
      await waitForServing(node.address);
      const client = new RaftvecClient(node.address);
      await client.createCollection('docs', { dimension: 2 });
      await client.upsert('docs', [{ id: 'p', vector: [1, i] }]);
      client.close();
    }
    const same = await runCli(['--address', nodes[0]!.address, 'status']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/digest/);
    expect(same.stdout).toMatch(/[0-9a-f]{12}/);

    const both = await runCli(['--address', nodes.map((n) => n.address).join(','), 'status']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/ERROR: replicas diverged at applied index \d+/);
  });
});
