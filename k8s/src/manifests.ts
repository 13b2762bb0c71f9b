/**
 * raftvec's Kubernetes manifests as typed objects (kubernetes-types): a headless Service
 * and a client Service, the StatefulSet, its PodDisruptionBudget, ConfigMap and
 * NetworkPolicy, and an example of the Secret the operator creates. render.ts writes
 * them to k8s/*.yaml; docs/kubernetes.md explains them.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type {
  ConfigMap,
  Container,
  EnvVar,
  Probe,
  Secret,
  Service,
  ServicePort,
} from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import {
  HOSTS_OVERRIDE_ENV,
  STATEFULSET_BOOTSTRAP,
  STATEFULSET_ENV,
} from '../../src/cli/statefulset.js';
import { PROBE_PORT_ENV, READY_SERVICE_NAME } from '../../src/server/readiness.js';
import {
  CLIENT_LABEL,
  CLIENT_SERVICE,
  CLUSTER_DOMAIN,
  CONFIG_MAP,
  DATA_DIR,
  DATA_MOUNT,
  GRPC_PORT,
  HEADLESS_SERVICE,
  IMAGE,
  LABELS,
  METRICS_LABEL,
  METRICS_PORT,
  NETWORK_POLICY,
  PDB,
  PROBE_PORT,
  REPLICAS,
  SECRET,
  SECRET_KEYS,
  SECRETS_MOUNT,
  SELECTOR,
  SET_NAME,
  UID,
  VOLUME_CLAIM,
} from './config.js';
import {
  CPU_REQUEST,
  MAX_OLD_SPACE_MIB,
  PROBES,
  TERMINATION_GRACE_SECONDS,
  VOLUME_SIZE,
  memoryLimit,
  memoryRequest,
} from './sizing.js';

const metadata = (name: string) => ({ name, labels: { ...LABELS } });

const grpcPort: ServicePort = {
  name: 'grpc',
  port: GRPC_PORT,
  targetPort: 'grpc',
  protocol: 'TCP',
};

/**
 * Gives every pod a stable DNS name, SET-ORDINAL.raftvec-headless.NAMESPACE.svc.DOMAIN,
 * the address its peers dial. Published before the pods are ready: a node turns ready
 * only once a leader is elected, which needs its peers' names first.
 */
export const headlessService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: metadata(HEADLESS_SERVICE),
  spec: {
    clusterIP: 'None',
    publishNotReadyAddresses: true,
    selector: { ...SELECTOR },
    ports: [grpcPort],
  },
};

/**
 * Where clients connect, and where a joining pod finds the cluster: only ready pods (a
 * leader known, caught up). gRPC keeps one connection, so a client of this Service
 * talks to one pod; writes on a follower are answered with the leader's address, which
 * the client follows (give the client the pods' names to spread its reads).
 */
export const clientService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: metadata(CLIENT_SERVICE),
  spec: {
    type: 'ClusterIP',
    selector: { ...SELECTOR },
    ports: [grpcPort],
  },
};

/** The environment the bootstrap reads (src/cli/statefulset.ts), and the log level. */
export const configMap: ConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: metadata(CONFIG_MAP),
  data: {
    [STATEFULSET_ENV.peerService]: HEADLESS_SERVICE,
    [STATEFULSET_ENV.clientService]: CLIENT_SERVICE,
    // The replica count the set is created with. Leave it when scaling: it names the
    // pods that may start a new cluster, and pods above it join the running one.
    [STATEFULSET_ENV.initialReplicas]: String(REPLICAS),
    // `new` while the cluster forms for the first time; set it to `existing` once it has
    // (docs/kubernetes.md): a pod whose volume is lost then joins instead of starting a
    // cluster of its own.
    [STATEFULSET_ENV.initialClusterState]: 'new',
    [STATEFULSET_ENV.port]: String(GRPC_PORT),
    [PROBE_PORT_ENV]: String(PROBE_PORT),
    [STATEFULSET_ENV.clusterDomain]: CLUSTER_DOMAIN,
    RAFTVEC_LOG_LEVEL: 'info',
  },
};

const fromConfig = (name: string): EnvVar => ({
  name,
  valueFrom: { configMapKeyRef: { name: CONFIG_MAP, key: name } },
});

/** The container's environment: the pod's identity, and the bootstrap's settings. */
export const containerEnv: EnvVar[] = [
  { name: STATEFULSET_ENV.bootstrap, value: STATEFULSET_BOOTSTRAP },
  { name: STATEFULSET_ENV.podName, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  {
    name: STATEFULSET_ENV.podNamespace,
    valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
  },
  fromConfig(STATEFULSET_ENV.peerService),
  fromConfig(STATEFULSET_ENV.clientService),
  fromConfig(STATEFULSET_ENV.initialReplicas),
  fromConfig(STATEFULSET_ENV.initialClusterState),
  fromConfig(STATEFULSET_ENV.port),
  fromConfig(PROBE_PORT_ENV),
  fromConfig(STATEFULSET_ENV.clusterDomain),
  fromConfig('RAFTVEC_LOG_LEVEL'),
  { name: 'NODE_OPTIONS', value: `--max-old-space-size=${MAX_OLD_SPACE_MIB}` },
];

/** Env names never to set in a pod (test-only overrides). */
export const TEST_ONLY_ENV = [HOSTS_OVERRIDE_ENV] as const;

const secretFile = (name: string) => `${SECRETS_MOUNT}/${name}`;

/**
 * `raftvec serve`'s flags after the image's entrypoint (`node /app/bin/raftvec.js
 * serve`). --id, --listen, --advertise and --peers or --join come from the pod's
 * identity (RAFTVEC_BOOTSTRAP=statefulset). The kubelet expands $(POD_NAME).
 */
export const serveArgs: string[] = [
  '--data',
  DATA_DIR,
  '--cluster-secret-file',
  secretFile(SECRET_KEYS.clusterSecret),
  '--api-keys-file',
  secretFile(SECRET_KEYS.apiKeys),
  '--peer-ca',
  secretFile(SECRET_KEYS.peerCa),
  '--peer-cert',
  secretFile(SECRET_KEYS.peerCert(`$(${STATEFULSET_ENV.podName})`)),
  '--peer-key',
  secretFile(SECRET_KEYS.peerKey(`$(${STATEFULSET_ENV.podName})`)),
  '--metrics-listen',
  `0.0.0.0:${METRICS_PORT}`,
];

/** A gRPC probe on the plaintext probe port ("" = the node as a whole). */
const grpcProbe = (service: string, timing: Probe): Probe => ({
  grpc: { port: PROBE_PORT, ...(service !== '' && { service }) },
  ...timing,
});

export const container: Container = {
  name: 'raftvec',
  image: IMAGE,
  imagePullPolicy: 'IfNotPresent',
  args: serveArgs,
  env: containerEnv,
  ports: [
    { name: 'grpc', containerPort: GRPC_PORT, protocol: 'TCP' },
    { name: 'probes', containerPort: PROBE_PORT, protocol: 'TCP' },
    { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
  ],
  // Loaded, and a leader known once; not stopping, no damage found.
  startupProbe: grpcProbe('', { ...PROBES.startup }),
  livenessProbe: grpcProbe('', { ...PROBES.liveness }),
  // A leader known now, and the applied index within a bound of the commit index.
  readinessProbe: grpcProbe(READY_SERVICE_NAME, { ...PROBES.readiness }),
  resources: {
    requests: { cpu: CPU_REQUEST, memory: memoryRequest },
    limits: { memory: memoryLimit },
  },
  securityContext: {
    runAsNonRoot: true,
    runAsUser: UID,
    runAsGroup: UID,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  },
  volumeMounts: [
    { name: VOLUME_CLAIM, mountPath: DATA_MOUNT },
    { name: 'secrets', mountPath: SECRETS_MOUNT, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ],
};

export const statefulSet: StatefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: metadata(SET_NAME),
  spec: {
    serviceName: HEADLESS_SERVICE,
    replicas: REPLICAS,
    // All pods start at once: a new cluster needs a majority of them to elect a leader.
    podManagementPolicy: 'Parallel',
    selector: { matchLabels: { ...SELECTOR } },
    // One pod at a time, highest ordinal first, each ready (caught up) before the next.
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    minReadySeconds: 10,
    // Never delete a volume with the set or on a scale-down: a removed member's volume
    // goes only once it is out of the configuration (docs/kubernetes.md).
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    template: {
      metadata: {
        labels: { ...LABELS },
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(METRICS_PORT),
          'prometheus.io/path': '/metrics',
        },
      },
      spec: {
        terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
        // A Service named raftvec would put RAFTVEC_PORT=tcp://... in the environment.
        enableServiceLinks: false,
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: UID,
          runAsGroup: UID,
          fsGroup: UID,
          fsGroupChangePolicy: 'OnRootMismatch',
          seccompProfile: { type: 'RuntimeDefault' },
        },
        affinity: {
          // Two members on one machine would lose the majority with it.
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: { ...SELECTOR } },
              },
            ],
          },
        },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { ...SELECTOR } },
          },
        ],
        containers: [container],
        volumes: [
          // Root-owned, readable by the pod's group (fsGroup) only.
          { name: 'secrets', secret: { secretName: SECRET, defaultMode: 0o440 } },
          // The root filesystem is read-only; /tmp is the only scratch space.
          { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        ],
      },
    },
    volumeClaimTemplates: [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        // Selector labels only: a StatefulSet's claim templates cannot change later.
        metadata: { name: VOLUME_CLAIM, labels: { ...SELECTOR } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: VOLUME_SIZE } },
        },
      },
    ],
  },
};

/** At most one member down by choice (drains, upgrades): a majority of 3 or 5 stays. */
export const podDisruptionBudget: PodDisruptionBudget = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: metadata(PDB),
  spec: {
    maxUnavailable: 1,
    selector: { matchLabels: { ...SELECTOR } },
  },
};

/**
 * One port serves clients and peers, so this policy cannot keep clients off the peer
 * API: peers authenticate instead (keys derived from the cluster secret, and mutual TLS:
 * a peer certificate from the peer CA naming the node). It admits to the gRPC port the
 * set's own pods, pods labelled raftvec-client=true in this namespace and every pod of a
 * namespace labelled so; to the metrics port, namespaces labelled raftvec-metrics=true.
 * The probe port is in no rule: only the kubelet (on the node) probes it.
 */
export const networkPolicy: NetworkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: metadata(NETWORK_POLICY),
  spec: {
    podSelector: { matchLabels: { ...SELECTOR } },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { ...SELECTOR } } }],
        ports: [{ protocol: 'TCP', port: GRPC_PORT }],
      },
      {
        from: [
          { podSelector: { matchLabels: { ...CLIENT_LABEL } } },
          { namespaceSelector: { matchLabels: { ...CLIENT_LABEL } } },
        ],
        ports: [{ protocol: 'TCP', port: GRPC_PORT }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { ...METRICS_LABEL } } }],
        ports: [{ protocol: 'TCP', port: METRICS_PORT }],
      },
    ],
  },
};

const PLACEHOLDER_PEM = (what: string) =>
  `-----BEGIN ${what}-----\nREPLACE ME (docs/kubernetes.md, "Secrets")\n-----END ${what}-----\n`;

/**
 * The Secret's keys, with placeholders that a node refuses (bad PEM, bad JSON), so that
 * applying this example as it is starts nothing. Create the real one from files
 * (docs/kubernetes.md); it is not part of the kustomization, so that `kubectl apply -k`
 * never overwrites it.
 */
export const secretExample: Secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: metadata(SECRET),
  type: 'Opaque',
  stringData: {
    [SECRET_KEYS.clusterSecret]: 'REPLACE ME: openssl rand -base64 32',
    [SECRET_KEYS.apiKeys]:
      'REPLACE ME: {"keys": [...]} from raftvec keys generate --role ROLE --id ID (its stderr)\n',
    [SECRET_KEYS.peerCa]: PLACEHOLDER_PEM('CERTIFICATE'),
    ...Object.fromEntries(
      Array.from({ length: REPLICAS }, (_, i) => `${SET_NAME}-${i}`).flatMap((pod) => [
        [SECRET_KEYS.peerCert(pod), PLACEHOLDER_PEM('CERTIFICATE')],
        [SECRET_KEYS.peerKey(pod), PLACEHOLDER_PEM('PRIVATE KEY')],
      ]),
    ),
  },
};
