/**
 * Write concern on a real three-node cluster: `all` waits for every member to apply
 * a write, and says clearly what happened when one member cannot.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/server/api-keys.js';
import { RaftvecClientError } from '../../src/client/errors.js';
import { TestCluster } from '../support/cluster.js';
import { ProcessGroup } from '../support/processes.js';

const group = new ProcessGroup();
let cluster: TestCluster | undefined;
afterAll(async () => {
  await cluster?.close();
  await group.cleanup();
});

describe('write concern', () => {
  it('"all" returns only once every member applied the write, and fails clearly when one is down', async () => {
    cluster = await TestCluster.start(group, 3);
    const leader = await cluster.waitForLeader();
    const client = cluster.client();
    await client.createCollection('docs', { dimension: 2 });

    const everywhere = await client.upsert('docs', [{ id: 'a', vector: [1, 0] }], {
      writeConcern: 'all',
    });
    for (const member of cluster.members) {
      const status = await cluster.status(member.id);
      expect(status?.appliedIndex, `${member.id} applied the "all" write`).toBeGreaterThanOrEqual(
        everywhere.logIndex,
      );
    }

    const follower = cluster.members.find((m) => m.id !== leader.id)!;
    await cluster.kill(follower.id, 'SIGKILL');
    const outcome = await client
      .upsert('docs', [{ id: 'b', vector: [0, 1] }], { writeConcern: 'all', deadlineMs: 2_000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(outcome).toBeInstanceOf(RaftvecClientError);
    const error = outcome as RaftvecClientError;
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.message).toContain('committed on a majority');
    expect(error.message).toContain(follower.id);

    // It did commit: a majority write concern sees it, and majority writes go on.
    const ids = (await client.get('docs', ['a', 'b'])).map((p) => p.id);
    expect(ids).toEqual(['a', 'b']);
    await client.upsert('docs', [{ id: 'c', vector: [1, 1] }], { writeConcern: 'majority' });
    expect(await client.count('docs')).toBe(3);
    client.close();
  });

  it('"all" works with API keys on: the leader reads the others\' status with its peer key', async () => {
    await cluster?.close();
    const { key, entry } = generateApiKey('writer', 'admin');
    const keysFile = join(await group.tempDir('keys'), 'keys.json');
    await writeFile(keysFile, JSON.stringify({ keys: [entry] }));
    cluster = await TestCluster.start(group, 3, {
      serveArgs: ['--api-keys-file', keysFile],
      apiKey: key,
    });
    await cluster.waitForLeader();
    const client = cluster.client();
    await client.createCollection('docs', { dimension: 2 });
    const write = await client.upsert('docs', [{ id: 'a', vector: [1, 0] }], {
      writeConcern: 'all',
      deadlineMs: 10_000,
    });
    for (const member of cluster.members)
      expect((await cluster.status(member.id))?.appliedIndex).toBeGreaterThanOrEqual(
        write.logIndex,
      );
    client.close();
  });
});
