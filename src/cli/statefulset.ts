/**
 * `serve` inside a Kubernetes StatefulSet (RAFTVEC_BOOTSTRAP=statefulset): the node's
 * id, peers, listen and advertised addresses, or the cluster it joins, worked out from
 * the pod's identity instead of flags (k8s/, docs/kubernetes.md).
 *
 * A pod of a StatefulSet named SET is SET-ORDINAL, reachable at the stable DNS name
 * SET-ORDINAL.SERVICE.NAMESPACE.svc.DOMAIN through the set's headless Service. So:
 *
 * - the node id is the pod name (`raftvec-2`): a peer certificate names it (CN);
 * - a pod whose ordinal is below the replica count the set was created with starts a
 *   new cluster with those pods as voters (`--peers`), like etcd's
 *   `--initial-cluster` with `--initial-cluster-state new`;
 * - a pod above them (the set scaled up), or any pod once the cluster exists
 *   (RAFTVEC_INITIAL_CLUSTER_STATE=existing), joins through the client Service
 *   (`--join`: added as a learner, promoted to voter once caught up);
 * - a pod restarted on its volume has a stored configuration, and the node then ignores
 *   `--peers` and `--join` alike (src/raft/runtime/raft-runtime.ts, src/server/node.ts).
 *
 * Pure: reads nothing but the environment it is given.
 */
import { UsageError } from './errors.js';

/** RAFTVEC_BOOTSTRAP's value that turns this on. */
export const STATEFULSET_BOOTSTRAP = 'statefulset';

/** The port a node listens on in a pod when RAFTVEC_PORT is not set (serve's default port). */
export const DEFAULT_PORT = 7000;

/** Kubernetes' default cluster domain. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/**
 * Every environment variable the StatefulSet bootstrap reads, with what the StatefulSet
 * puts there. k8s/src/statefulset.ts sets each one; test/k8s checks that it does.
 */
export const STATEFULSET_ENV = {
  /** `statefulset` turns the bootstrap on (serve reads it). */
  bootstrap: 'RAFTVEC_BOOTSTRAP',
  /** The pod's name, SET-ORDINAL (downward API: metadata.name). */
  podName: 'POD_NAME',
  /** The pod's namespace (downward API: metadata.namespace). */
  podNamespace: 'POD_NAMESPACE',
  /** The StatefulSet's headless Service (spec.serviceName): the peers' DNS names. */
  peerService: 'RAFTVEC_STATEFULSET_SERVICE',
  /** The client Service: where a joining pod finds the cluster. */
  clientService: 'RAFTVEC_CLIENT_SERVICE',
  /** The replica count the set was created with: the voters of a new cluster. */
  initialReplicas: 'RAFTVEC_INITIAL_REPLICAS',
  /** `new` (default) or `existing`: whether pods below the initial count may start a cluster. */
  initialClusterState: 'RAFTVEC_INITIAL_CLUSTER_STATE',
  /** The gRPC port of every pod (clients and peers). Default 7000. */
  port: 'RAFTVEC_PORT',
  /** The cluster's DNS domain. Default cluster.local. */
  clusterDomain: 'RAFTVEC_CLUSTER_DOMAIN',
} as const;

/**
 * For tests only, never set in a pod: NAME=IP[,NAME=IP...] maps DNS names the bootstrap
 * computes to IP addresses, so that three processes on one machine can run with the
 * pods' environment. Each pod name maps to its own loopback address (127.0.0.1,
 * 127.0.0.2, ...; all of 127.0.0.0/8 is loopback on Linux), where that process then also
 * listens (instead of 0.0.0.0), so the pods keep one port as they do in Kubernetes.
 */
export const HOSTS_OVERRIDE_ENV = 'RAFTVEC_HOSTS_OVERRIDE';

export type InitialClusterState = 'new' | 'existing';

/** The serve flags the bootstrap works out (as serve's options: `peers` in --peers form). */
export interface StatefulSetServeOptions {
  id: string;
  listen: string;
  advertise: string;
  /** ID=HOST:PORT,... : set when this pod starts a new cluster. */
  peers?: string;
  /** HOST:PORT of the client Service: set when this pod joins a running cluster. */
  join?: string;
}

/** What the bootstrap read from the pod's name and environment (for messages and tests). */
export interface StatefulSetIdentity {
  setName: string;
  ordinal: number;
  namespace: string;
  peerService: string;
  clientService: string;
  initialReplicas: number;
  initialClusterState: InitialClusterState;
  port: number;
  clusterDomain: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

function problem(message: string): UsageError {
  return new UsageError(`${STATEFULSET_ENV.bootstrap}=${STATEFULSET_BOOTSTRAP}: ${message}`);
}

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '')
    throw problem(`${name} is not set (${what}); k8s/statefulset.yaml sets it`);
  return value;
}

function dnsLabel(env: Env, name: string, what: string): string {
  const value = required(env, name, what);
  if (!DNS_LABEL.test(value))
    throw problem(`${name}=${JSON.stringify(value)} is not a DNS label (${what})`);
  return value;
}

function portOf(env: Env): number {
  const text = env[STATEFULSET_ENV.port]?.trim();
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65_535)
    throw problem(`${STATEFULSET_ENV.port}=${JSON.stringify(text)} is not a port (1 to 65535)`);
  return port;
}

/** Reads and checks the pod's identity from its environment. */
export function statefulSetIdentity(env: Env): StatefulSetIdentity {
  const podName = required(env, STATEFULSET_ENV.podName, 'the downward API metadata.name');
  const match = /^(.+)-(0|[1-9]\d{0,8})$/.exec(podName);
  if (match === null || !DNS_LABEL.test(podName))
    throw problem(
      `${STATEFULSET_ENV.podName}=${JSON.stringify(podName)} is not a StatefulSet pod name (SET-ORDINAL)`,
    );
  const [, setName, ordinalText] = match as unknown as [string, string, string];
  const namespace = dnsLabel(
    env,
    STATEFULSET_ENV.podNamespace,
    'the downward API metadata.namespace',
  );
  const peerService = dnsLabel(
    env,
    STATEFULSET_ENV.peerService,
    "the StatefulSet's headless Service, spec.serviceName",
  );
  const clientService = dnsLabel(env, STATEFULSET_ENV.clientService, 'the client Service');
  const replicasText = required(
    env,
    STATEFULSET_ENV.initialReplicas,
    'the replica count the set was created with',
  );
  const initialReplicas = Number(replicasText);
  if (!/^\d{1,3}$/.test(replicasText) || initialReplicas < 1)
    throw problem(
      `${STATEFULSET_ENV.initialReplicas}=${JSON.stringify(replicasText)} is not a replica count (1 to 999)`,
    );
  const stateText = env[STATEFULSET_ENV.initialClusterState]?.trim() || 'new';
  if (stateText !== 'new' && stateText !== 'existing')
    throw problem(
      `${STATEFULSET_ENV.initialClusterState}=${JSON.stringify(stateText)}: expected new or existing`,
    );
  const clusterDomain = env[STATEFULSET_ENV.clusterDomain]?.trim() || DEFAULT_CLUSTER_DOMAIN;
  if (!DNS_NAME.test(clusterDomain))
    throw problem(
      `${STATEFULSET_ENV.clusterDomain}=${JSON.stringify(clusterDomain)} is not a DNS name`,
    );
  return {
    setName,
    ordinal: Number(ordinalText),
    namespace,
    peerService,
    clientService,
    initialReplicas,
    initialClusterState: stateText,
    port: portOf(env),
    clusterDomain,
  };
}

/** Parses RAFTVEC_HOSTS_OVERRIDE (NAME=IP,...); an empty map when unset. */
export function parseHostsOverride(text: string | undefined): Map<string, string> {
  const hosts = new Map<string, string>();
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const match = /^([A-Za-z0-9.-]+)=([0-9.]+|\[[0-9A-Fa-f:]+\])$/.exec(item);
    if (match === null)
      throw problem(
        `${HOSTS_OVERRIDE_ENV}: ${JSON.stringify(item)} is not NAME=IP (an IPv6 address in brackets)`,
      );
    hosts.set(match[1]!.toLowerCase(), match[2]!);
  }
  return hosts;
}

/** The stable DNS name of the pod with `ordinal` (no port). */
export function podDnsName(identity: StatefulSetIdentity, ordinal: number): string {
  const { setName, peerService, namespace, clusterDomain } = identity;
  return `${setName}-${ordinal}.${peerService}.${namespace}.svc.${clusterDomain}`;
}

/** The client Service's DNS name (no port). */
export function clientServiceDnsName(identity: StatefulSetIdentity): string {
  return `${identity.clientService}.${identity.namespace}.svc.${identity.clusterDomain}`;
}

/**
 * The serve options of this pod, from its environment: see the module comment.
 * RAFTVEC_HOSTS_OVERRIDE (tests) replaces the DNS names it maps.
 */
export function statefulSetServeOptions(env: Env): StatefulSetServeOptions {
  const identity = statefulSetIdentity(env);
  const hosts = parseHostsOverride(env[HOSTS_OVERRIDE_ENV]);
  const at = (host: string): string => `${hosts.get(host) ?? host}:${identity.port}`;
  const self = podDnsName(identity, identity.ordinal);
  const id = `${identity.setName}-${identity.ordinal}`;
  const base = {
    id,
    listen: `${hosts.get(self) ?? '0.0.0.0'}:${identity.port}`,
    advertise: at(self),
  };
  const founder =
    identity.ordinal < identity.initialReplicas && identity.initialClusterState === 'new';
  if (!founder) return { ...base, join: at(clientServiceDnsName(identity)) };
  const peers = Array.from(
    { length: identity.initialReplicas },
    (_, i) => `${identity.setName}-${i}=${at(podDnsName(identity, i))}`,
  );
  return { ...base, peers: peers.join(',') };
}

/** serve's flags that the bootstrap may fill in (commander's option names). */
export type BootstrapFlag = keyof StatefulSetServeOptions;

/**
 * The flags to give serve when RAFTVEC_BOOTSTRAP=statefulset: those the bootstrap works
 * out and the command line did not set. `sourceOf(flag)` is commander's
 * getOptionValueSource: a flag from `cli` or `env` was given, one from `default` (or
 * unset) was not; `--peers` or `--join` given explicitly leaves both to the command
 * line. Undefined without the bootstrap.
 */
export function statefulSetDefaults(
  env: Env,
  sourceOf: (flag: BootstrapFlag) => string | undefined,
): Partial<StatefulSetServeOptions> | undefined {
  const mode = env[STATEFULSET_ENV.bootstrap]?.trim();
  if (mode === undefined || mode === '') return undefined;
  if (mode !== STATEFULSET_BOOTSTRAP)
    throw new UsageError(
      `${STATEFULSET_ENV.bootstrap}=${JSON.stringify(mode)}: the only bootstrap is ${STATEFULSET_BOOTSTRAP}`,
    );
  const given = (flag: BootstrapFlag): boolean => {
    const source = sourceOf(flag);
    return source === 'cli' || source === 'env';
  };
  const computed = statefulSetServeOptions(env);
  const membershipGiven = given('peers') || given('join');
  const out: Partial<StatefulSetServeOptions> = {};
  for (const flag of ['id', 'listen', 'advertise', 'peers', 'join'] as const) {
    if (given(flag)) continue;
    if ((flag === 'peers' || flag === 'join') && membershipGiven) continue;
    if (computed[flag] !== undefined) out[flag] = computed[flag];
  }
  return out;
}
