/**
 * Readiness (src/server/readiness.ts): `raftvec.v1.Ready` means "a leader is known and
 * the applied index is within a bound of the commit index", and the plaintext probe
 * port serves the health service (only) for the kubelet's gRPC probes, also when the
 * node's own port speaks TLS only. Runs a real node in-process and asks it the way the
 * StatefulSet's probes do (the service names are taken from k8s/statefulset.yaml).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { checkHealth } from '../../src/client/health.js';
import { channelCredentials } from '../../src/client/tls.js';
import {
  READY_MAX_APPLY_LAG_ENTRIES,
  READY_SERVICE_NAME,
  probePortFromEnv,
  readinessOf,
  startReadiness,
  type ReadinessSource,
} from '../../src/server/readiness.js';
import { startTestNode, type TestNode } from '../support/in-process.js';
import { waitFor } from '../support/processes.js';
import { manifests } from './manifests.js';

const source = (leaderId: string | undefined, applied: number, commit: number) =>
  ({
    leaderId,
    replicaFreshness: () => ({ appliedIndex: applied, leaderCommitIndex: commit }),
  }) satisfies ReadinessSource;

/** The service names the StatefulSet's probes ask for ("" when none is named). */
const probed = () => {
  const c = manifests.container();
  return {
    startup: c.startupProbe!.grpc!.service ?? '',
    liveness: c.livenessProbe!.grpc!.service ?? '',
    readiness: c.readinessProbe!.grpc!.service ?? '',
  };
};

describe('readiness', () => {
  it('is a leader known, and the applied index within the bound of the commit index', () => {
    expect(readinessOf(source('n1', 10, 10), true).ready).toBe(true);
    expect(readinessOf(source('n1', 10, 10 + READY_MAX_APPLY_LAG_ENTRIES), true).ready).toBe(true);
    const behind = readinessOf(source('n1', 10, 11 + READY_MAX_APPLY_LAG_ENTRIES), true);
    expect(behind).toEqual({
      ready: false,
      reason: `applied index 10 is ${READY_MAX_APPLY_LAG_ENTRIES + 1} entries behind the commit index ${
        11 + READY_MAX_APPLY_LAG_ENTRIES
      } (at most ${READY_MAX_APPLY_LAG_ENTRIES})`,
    });
    expect(readinessOf(source(undefined, 10, 10), true)).toEqual({
      ready: false,
      reason: 'no leader known',
    });
    expect(readinessOf(source('n1', 10, 10), false).ready).toBe(false);
    expect(readinessOf(undefined, true).ready).toBe(false);
    expect(readinessOf(source('n1', 0, 50), true, 49).ready).toBe(false);
  });

  it('follows the node: NOT_SERVING, SERVING, NOT_SERVING once it stops', async () => {
    const health = new HealthImplementation({ '': 'NOT_SERVING' });
    let state = source(undefined, 0, 0);
    let serving = true;
    const lines: string[] = [];
    const readiness = await startReadiness(health, {
      runtime: () => state,
      serving: () => serving,
      listen: '127.0.0.1:0',
      probePort: 0,
      intervalMs: 10,
      log: (line) => lines.push(line),
    });
    try {
      const address = readiness.probeAddress!;
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const ready = () => checkHealth(address, READY_SERVICE_NAME, 2_000);
      expect(await ready()).toBe('NOT_SERVING');
      state = source('n2', 5, 5);
      await waitFor('Ready SERVING', async () => (await ready()) === 'SERVING');
      state = source('n2', 5, 5 + READY_MAX_APPLY_LAG_ENTRIES + 1);
      await waitFor('Ready NOT_SERVING (behind)', async () => (await ready()) === 'NOT_SERVING');
      state = source('n2', 5, 6);
      await waitFor('Ready SERVING again', async () => (await ready()) === 'SERVING');
      serving = false;
      await waitFor('Ready NOT_SERVING (stopping)', async () => (await ready()) === 'NOT_SERVING');
      expect(lines.some((l) => l.startsWith('not ready: applied index 5 is'))).toBe(true);
      // Only the health service is there.
      expect(
        await checkHealth(address, 'raftvec.v1.Unknown', 2_000).catch((e: Error) => e.message),
      ).toMatch(/NOT_FOUND|unknown/i);
    } finally {
      readiness.close();
    }
    expect(readiness.current().ready).toBe(false);
    await expect(checkHealth(readiness.probeAddress!, '', 1_000)).rejects.toThrow();
  });

  it('reads RAFTVEC_PROBE_PORT, and refuses what is not a port', () => {
    expect(probePortFromEnv({})).toBeUndefined();
    expect(probePortFromEnv({ RAFTVEC_PROBE_PORT: ' 7001 ' })).toBe(7001);
    expect(() => probePortFromEnv({ RAFTVEC_PROBE_PORT: 'http' })).toThrow(/not a port/);
  });

  describe('on a real node whose port speaks TLS only', () => {
    let certs: string;
    let node: TestNode;
    let probes: Awaited<ReturnType<typeof startReadiness>>;

    beforeAll(async () => {
      certs = await mkdtemp(join(tmpdir(), 'raftvec-k8s-ready-'));
      const devCerts = join(import.meta.dirname, '..', '..', 'scripts', 'dev-certs.sh');
      execFileSync('bash', [devCerts, certs, 'n1'], { stdio: 'ignore' });
      node = await startTestNode({
        tls: { server: { certFile: join(certs, 'n1.pem'), keyFile: join(certs, 'n1-key.pem') } },
      });
      probes = await startReadiness(node.node.health, {
        runtime: () => node.node.runtime,
        serving: () => true,
        listen: node.address,
        probePort: 0,
      });
    });
    afterAll(async () => {
      probes?.close();
      await node?.close();
      await rm(certs, { recursive: true, force: true });
    });

    it("answers the StatefulSet's probes in plaintext on the probe port", async () => {
      const address = probes.probeAddress!;
      const { startup, liveness, readiness } = probed();
      for (const service of [startup, liveness, readiness])
        await waitFor(`${service || '""'} SERVING on the probe port`, async () => {
          return (await checkHealth(address, service, 2_000)) === 'SERVING';
        });
      // The node's own port: TLS only, where the same names answer too.
      const tls = channelCredentials({ ca: readFileSync(join(certs, 'ca.pem')) });
      expect(await checkHealth(node.address, readiness, 2_000, tls)).toBe('SERVING');
      await expect(
        checkHealth(node.address, readiness, 1_000, grpc.credentials.createInsecure()),
      ).rejects.toThrow();
    });
  });
});
