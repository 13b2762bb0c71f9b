/**
 * The StatefulSet bootstrap (src/cli/statefulset.ts): serve's flags from the pod's
 * identity, and its wiring into `raftvec serve` (RAFTVEC_BOOTSTRAP=statefulset).
 * The serve checks need `npm run build`.
 */
import { describe, expect, it } from 'vitest';
import {
  HOSTS_OVERRIDE_ENV,
  parseHostsOverride,
  statefulSetDefaults,
  statefulSetServeOptions,
  type BootstrapFlag,
} from '../../src/cli/statefulset.js';
import { UsageError } from '../../src/cli/errors.js';
import { runCli } from '../support/processes.js';

const pod = (name: string, more: Record<string, string> = {}) => ({
  RAFTVEC_BOOTSTRAP: 'statefulset',
  POD_NAME: name,
  POD_NAMESPACE: 'db',
  RAFTVEC_STATEFULSET_SERVICE: 'raftvec-headless',
  RAFTVEC_CLIENT_SERVICE: 'raftvec',
  RAFTVEC_INITIAL_REPLICAS: '3',
  ...more,
});
const dns = (i: number, domain = 'cluster.local') =>
  `raftvec-${i}.raftvec-headless.db.svc.${domain}`;

describe('StatefulSet bootstrap', () => {
  it('a pod of the initial replicas starts the cluster with them as voters', () => {
    expect(statefulSetServeOptions(pod('raftvec-1'))).toEqual({
      id: 'raftvec-1',
      listen: '0.0.0.0:7000',
      advertise: `${dns(1)}:7000`,
      peers: `raftvec-0=${dns(0)}:7000,raftvec-1=${dns(1)}:7000,raftvec-2=${dns(2)}:7000`,
    });
    // Port and domain from the environment; any set name.
    expect(
      statefulSetServeOptions({
        ...pod('vectors-db-0', { RAFTVEC_PORT: '7100', RAFTVEC_CLUSTER_DOMAIN: 'k8s.example' }),
        RAFTVEC_INITIAL_REPLICAS: '1',
      }),
    ).toEqual({
      id: 'vectors-db-0',
      listen: '0.0.0.0:7100',
      advertise: 'vectors-db-0.raftvec-headless.db.svc.k8s.example:7100',
      peers: 'vectors-db-0=vectors-db-0.raftvec-headless.db.svc.k8s.example:7100',
    });
  });

  it('a pod above them, or any pod of an existing cluster, joins through the client Service', () => {
    const join = 'raftvec.db.svc.cluster.local:7000';
    expect(statefulSetServeOptions(pod('raftvec-3'))).toEqual({
      id: 'raftvec-3',
      listen: '0.0.0.0:7000',
      advertise: `${dns(3)}:7000`,
      join,
    });
    expect(
      statefulSetServeOptions(pod('raftvec-0', { RAFTVEC_INITIAL_CLUSTER_STATE: 'existing' })),
    ).toMatchObject({ id: 'raftvec-0', join });
    expect(
      statefulSetServeOptions(pod('raftvec-0', { RAFTVEC_INITIAL_CLUSTER_STATE: 'existing' })),
    ).not.toHaveProperty('peers');
  });

  it('says which variable is missing or wrong', () => {
    const env = pod('raftvec-0');
    const without = (name: keyof typeof env) => {
      const copy: Record<string, string> = { ...env };
      delete copy[name];
      return copy;
    };
    expect(() => statefulSetServeOptions(without('POD_NAME'))).toThrow(/POD_NAME is not set/);
    expect(() => statefulSetServeOptions(without('POD_NAMESPACE'))).toThrow(/POD_NAMESPACE/);
    expect(() => statefulSetServeOptions(without('RAFTVEC_STATEFULSET_SERVICE'))).toThrow(
      /RAFTVEC_STATEFULSET_SERVICE is not set/,
    );
    expect(() => statefulSetServeOptions(without('RAFTVEC_INITIAL_REPLICAS'))).toThrow(
      /RAFTVEC_INITIAL_REPLICAS/,
    );
    expect(() => statefulSetServeOptions(pod('raftvec'))).toThrow(/not a StatefulSet pod name/);
    expect(() => statefulSetServeOptions(pod('Raftvec-0'))).toThrow(/not a StatefulSet pod name/);
    expect(() => statefulSetServeOptions(pod('raftvec-01'))).toThrow(/not a StatefulSet pod/);
    expect(() =>
      statefulSetServeOptions(pod('raftvec-0', { RAFTVEC_INITIAL_REPLICAS: '0' })),
    ).toThrow(/not a replica count/);
    expect(() =>
      statefulSetServeOptions(pod('raftvec-0', { RAFTVEC_INITIAL_CLUSTER_STATE: 'old' })),
    ).toThrow(/expected new or existing/);
    expect(() => statefulSetServeOptions(pod('raftvec-0', { RAFTVEC_PORT: '70000' }))).toThrow(
      /not a port/,
    );
    expect(() => statefulSetServeOptions(pod('raftvec-0'))).not.toThrow();
    try {
      statefulSetServeOptions(without('POD_NAME'));
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
    }
  });

  it('maps DNS names to loopback addresses with the test override, listening there', () => {
    const hosts = [0, 1, 2].map((i) => `${dns(i)}=127.0.0.${i + 1}`);
    const env = pod('raftvec-1', {
      [HOSTS_OVERRIDE_ENV]: [...hosts, 'raftvec.db.svc.cluster.local=127.0.0.3'].join(','),
    });
    expect(statefulSetServeOptions(env)).toEqual({
      id: 'raftvec-1',
      listen: '127.0.0.2:7000',
      advertise: '127.0.0.2:7000',
      peers: 'raftvec-0=127.0.0.1:7000,raftvec-1=127.0.0.2:7000,raftvec-2=127.0.0.3:7000',
    });
    expect(statefulSetServeOptions({ ...env, POD_NAME: 'raftvec-3' })).toEqual({
      id: 'raftvec-3',
      listen: '0.0.0.0:7000',
      advertise: `${dns(3)}:7000`,
      join: '127.0.0.3:7000',
    });
    expect(parseHostsOverride(undefined).size).toBe(0);
    expect(parseHostsOverride('a.b=[::1]').get('a.b')).toBe('[::1]');
    expect(() => parseHostsOverride('a.b:127.0.0.1')).toThrow(/not NAME=IP/);
  });

  it('fills in only the flags the command line left out', () => {
    const none = (): string | undefined => 'default';
    expect(statefulSetDefaults({ ...pod('raftvec-0'), RAFTVEC_BOOTSTRAP: '' }, none)).toBe(
      undefined,
    );
    expect(() =>
      statefulSetDefaults({ ...pod('raftvec-0'), RAFTVEC_BOOTSTRAP: 'kubernetes' }, none),
    ).toThrow(/the only bootstrap is statefulset/);
    const all = statefulSetDefaults(pod('raftvec-0'), none);
    expect(all).toEqual(statefulSetServeOptions(pod('raftvec-0')));
    const given =
      (...flags: BootstrapFlag[]) =>
      (flag: BootstrapFlag) =>
        flags.includes(flag) ? 'cli' : 'default';
    expect(statefulSetDefaults(pod('raftvec-0'), given('listen', 'id'))).toEqual({
      advertise: `${dns(0)}:7000`,
      peers: all!.peers,
    });
    // --join given: no --peers added (and the reverse).
    expect(statefulSetDefaults(pod('raftvec-0'), given('join'))).not.toHaveProperty('peers');
    expect(statefulSetDefaults(pod('raftvec-3'), given('peers'))).not.toHaveProperty('join');
  });

  it('raftvec serve refuses a pod environment it cannot read, before starting anything', async () => {
    const env = {
      ...pod('raftvec-0'),
      RAFTVEC_INITIAL_CLUSTER_STATE: 'sometimes',
      RAFTVEC_CLUSTER_SECRET: 'x',
    };
    const r = await runCli(['serve', '--data', '/nonexistent/raftvec-k8s-test'], {
      env,
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'RAFTVEC_BOOTSTRAP=statefulset: RAFTVEC_INITIAL_CLUSTER_STATE="sometimes": expected new or existing',
    );
    const unknown = await runCli(['serve', '--data', '/nonexistent/raftvec-k8s-test'], {
      env: { RAFTVEC_BOOTSTRAP: 'compose' },
      timeoutMs: 30_000,
    });
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain('the only bootstrap is statefulset');
  });
});
