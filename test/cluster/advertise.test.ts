/**
 * `serve --advertise`: each member tells the others the address clients should use
 * for it, and leader hints carry that address rather than the peer address. Here
 * every client reaches the members only through proxies (as through a load balancer
 * or NAT), and each member advertises its proxy.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { RaftvecClient } from '../../src/client/client.js';
import { RaftvecClientError } from '../../src/client/errors.js';
import { LEADER_ADDRESS_KEY, LEADER_ID_KEY } from '../../src/api/metadata-keys.js';
import { TestCluster } from '../support/cluster.js';
import { ProcessGroup, runCli } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const group = new ProcessGroup();
const proxies = new Map<string, TcpProxy>();
let cluster: TestCluster | undefined;
afterAll(async () => {
  await Promise.all([...proxies.values()].map((p) => p.close()));
  await cluster?.close();
  await group.cleanup();
});

describe('serve --advertise', () => {
  it('leader hints name the advertised client address, which a client follows', async () => {
    cluster = await TestCluster.start(group, 3, {
      argsFor: async (member) => {
        const proxy = await TcpProxy.start(member.address);
        proxies.set(member.id, proxy);
        return ['--advertise', proxy.address];
      },
    });
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m.id !== leader.id)!;
    const atFollower = new RaftvecClient([proxies.get(follower.id)!.address], {
      retry: { maxAttempts: 1 },
    });
    const refusal = await atFollower.createCollection('docs', { dimension: 2 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(RaftvecClientError);
    const details = (refusal as RaftvecClientError).details;
    expect((refusal as RaftvecClientError).code).toBe('UNAVAILABLE');
    expect(details[LEADER_ID_KEY]).toBe(leader.id);
    expect(details[LEADER_ADDRESS_KEY]).toBe(proxies.get(leader.id)!.address);
    atFollower.close();

    // A client that knows only the follower's proxy follows the hint to the leader's.
    const client = new RaftvecClient([proxies.get(follower.id)!.address], { deadlineMs: 10_000 });
    await client.createCollection('docs', { dimension: 2 });
    expect(client.address).toBe(proxies.get(leader.id)!.address);
    const { logIndex } = await client.upsert('docs', [{ id: 'a', vector: [1, 0] }]);
    expect(logIndex).toBeGreaterThan(0);
    client.close();
  }, 60_000);

  it('refuses an advertised address that is not HOST:PORT', async () => {
    const dir = await group.tempDir('advertise-bad');
    const r = await runCli([
      'serve',
      '--listen',
      '127.0.0.1:0',
      '--data',
      join(dir, 'data'),
      '--advertise',
      'no port here',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--advertise: "no port here" is not HOST:PORT/);
  });
});
