/**
 * The names, labels, ports, paths and sizes the manifests share. The manifests are
 * written as typed objects (kubernetes-types) in k8s/src and rendered to k8s/*.yaml by
 * `npm run k8s:render`; test/k8s checks the YAML against the code.
 */

/** The StatefulSet, and the prefix of its pods' names (raftvec-0, raftvec-1, ...). */
export const SET_NAME = 'raftvec';
/** The headless Service that gives each pod a stable DNS name (spec.serviceName). */
export const HEADLESS_SERVICE = 'raftvec-headless';
/** The Service clients (and joining pods) use. */
export const CLIENT_SERVICE = 'raftvec';
export const CONFIG_MAP = 'raftvec-config';
/** Created by the operator (k8s/secret.example.yaml shows its keys); not in kustomization. */
export const SECRET = 'raftvec-secrets';
export const PDB = 'raftvec';
export const NETWORK_POLICY = 'raftvec';

/** The image another part of issue 14 builds (Dockerfile at the repo root). */
export const IMAGE = 'raftvec:0.1.0';
export const VERSION = '0.1.0';
/** The image's user: `raftvec`, uid and gid 10001. */
export const UID = 10001;

export const REPLICAS = 3;

/** Selects the set's pods: never changes (a StatefulSet's selector is immutable). */
export const SELECTOR = {
  'app.kubernetes.io/name': 'raftvec',
  'app.kubernetes.io/instance': 'raftvec',
} as const;

/** On every object and pod. */
export const LABELS = {
  ...SELECTOR,
  'app.kubernetes.io/component': 'database',
  'app.kubernetes.io/version': VERSION,
  'app.kubernetes.io/part-of': 'raftvec',
} as const;

/** Pods with this label (in the set's namespace), or namespaces with it, may call the API. */
export const CLIENT_LABEL = { 'raftvec-client': 'true' } as const;
/** Namespaces with this label (Prometheus's) may scrape the metrics port. */
export const METRICS_LABEL = { 'raftvec-metrics': 'true' } as const;

/** The one gRPC port, for clients and peers alike (serve's default port). */
export const GRPC_PORT = 7000;
/** The plaintext port that serves only the health service, for the kubelet's gRPC probes. */
export const PROBE_PORT = 7001;
/** Prometheus metrics over HTTP (GET /metrics). */
export const METRICS_PORT = 9464;

export const DATA_MOUNT = '/var/lib/raftvec';
/** serve --data: a folder of the volume (its root may hold lost+found). */
export const DATA_DIR = `${DATA_MOUNT}/data`;
export const SECRETS_MOUNT = '/etc/raftvec/secrets';
/** Secret keys (file names under SECRETS_MOUNT). */
export const SECRET_KEYS = {
  clusterSecret: 'cluster-secret',
  apiKeys: 'api-keys.json',
  peerCa: 'ca.pem',
  /** Each pod's peer certificate and key, CN = its node id = its pod name. */
  peerCert: (pod: string) => `${pod}.pem`,
  peerKey: (pod: string) => `${pod}-key.pem`,
} as const;

/** A PersistentVolumeClaim per pod (see sizing.ts). */
export const VOLUME_CLAIM = 'data';

/** Kubernetes' default cluster domain. */
export const CLUSTER_DOMAIN = 'cluster.local';
