/**
 * The Kubernetes manifests (k8s/*.yaml), checked without a cluster: up to date with
 * k8s/src, valid against Kubernetes' schemas (kubernetes-models), rendered by
 * `kubectl kustomize`, and in agreement with the code they run: ports, probe service
 * names, labels and selectors, the disruption budget, the bootstrap's environment,
 * the serve flags, the secrets, the stop sequence and the memory benchmark.
 * The `serve --help` check needs `npm run build`.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as coreV1 from 'kubernetes-models/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';
import { MANIFEST_FILES, renderAll, staleFiles } from '../../k8s/src/render.js';
import {
  MEMORY_BENCHMARK,
  MEMORY_LIMIT_HEADROOM,
  STOP_MARGIN_SECONDS,
} from '../../k8s/src/sizing.js';
import { TEST_ONLY_ENV } from '../../k8s/src/manifests.js';
import { IMAGE, UID } from '../../k8s/src/config.js';
import {
  DEFAULT_PORT,
  STATEFULSET_BOOTSTRAP,
  STATEFULSET_ENV,
  statefulSetServeOptions,
} from '../../src/cli/statefulset.js';
import { DEFAULT_ADDRESS } from '../../src/cli/main.js';
import { PROBE_PORT_ENV, READY_SERVICE_NAME } from '../../src/server/readiness.js';
import { DEFAULT_RAFT_TIMING } from '../../src/raft/runtime/raft-runtime.js';
import { repoRoot, runCli } from '../support/processes.js';
import {
  appliedObjects,
  expandArgs,
  k8sDir,
  kustomizationResources,
  manifests,
  podEnvironment,
  readManifest,
  type KubeObject,
} from './manifests.js';

/** kubernetes-models' class for each apiVersion and kind the manifests use. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 StatefulSet': appsV1.StatefulSet,
  'v1 Service': coreV1.Service,
  'v1 ConfigMap': coreV1.ConfigMap,
  'v1 Secret': coreV1.Secret,
  'policy/v1 PodDisruptionBudget': policyV1.PodDisruptionBudget,
  'networking.k8s.io/v1 NetworkPolicy': networkingV1.NetworkPolicy,
};

const yamlFiles = () => readdirSync(k8sDir).filter((f) => f.endsWith('.yaml'));
const port = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));
const selectorOf = () => manifests.statefulSet().spec!.selector.matchLabels!;
/** Whether `labels` has every label of `selector`. */
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('k8s manifests', () => {
  it('are what npm run k8s:render writes from k8s/src', async () => {
    expect(await staleFiles(), 'run npm run k8s:render').toEqual([]);
    expect(yamlFiles().sort()).toEqual([...(await renderAll()).keys()].sort());
  });

  it("validate against Kubernetes' schemas (kubernetes-models)", () => {
    const files = yamlFiles().filter((f) => f !== 'kustomization.yaml');
    let count = 0;
    for (const file of files) {
      for (const object of readManifest(file)) {
        const Model = MODELS[`${object.apiVersion} ${object.kind}`];
        expect(Model, `${file}: a model for ${object.apiVersion} ${object.kind}`).toBeDefined();
        expect(() => new Model!(object as never).validate(), file).not.toThrow();
        count++;
      }
    }
    expect(count).toBe(7);
    // The schemas bite: a wrong type is refused.
    const broken = structuredClone(manifests.statefulSet()) as unknown as KubeObject;
    (broken['spec'] as { replicas: unknown }).replicas = 'three';
    expect(() => new appsV1.StatefulSet(broken as never).validate()).toThrow(/replicas/);
  });

  it('kustomization.yaml applies every manifest but the Secret example', () => {
    expect(kustomizationResources().sort()).toEqual(
      MANIFEST_FILES.filter((f) => f.inKustomization)
        .map((f) => f.file)
        .sort(),
    );
    expect(kustomizationResources()).not.toContain('secret.example.yaml');
    expect(appliedObjects().map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/raftvec-config',
      'Service/raftvec-headless',
      'Service/raftvec',
      'StatefulSet/raftvec',
      'PodDisruptionBudget/raftvec',
      'NetworkPolicy/raftvec',
    ]);
  });

  it('kubectl kustomize k8s/ renders exactly those objects', () => {
    let out: string;
    try {
      out = execFileSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(
        `kubectl kustomize failed (kubectl comes with scripts/setup.sh: Debian's kubernetes-client): ${String(err)}`,
        { cause: err },
      );
    }
    const rendered = parseAllDocuments(out).map((d) => d.toJS() as KubeObject);
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
    const byKey = new Map(rendered.map((o) => [key(o), o]));
    expect([...byKey.keys()].sort()).toEqual(appliedObjects().map(key).sort());
    for (const object of appliedObjects()) expect(byKey.get(key(object))).toEqual(object);
  });

  it("use serve's port, and agree on every port", () => {
    const c = manifests.container();
    const ports = new Map(c.ports!.map((p) => [p.name, p.containerPort]));
    const config = manifests.configMap().data!;
    expect(ports.get('grpc')).toBe(DEFAULT_PORT);
    expect(ports.get('grpc')).toBe(port(DEFAULT_ADDRESS));
    expect(Number(config[STATEFULSET_ENV.port])).toBe(ports.get('grpc'));
    expect(Number(config[PROBE_PORT_ENV])).toBe(ports.get('probes'));
    const metricsFlag = c.args![c.args!.indexOf('--metrics-listen') + 1]!;
    expect(port(metricsFlag)).toBe(ports.get('metrics'));
    for (const service of manifests.services()) {
      expect(service.spec!.ports, service.metadata!.name).toEqual([
        { name: 'grpc', port: ports.get('grpc'), targetPort: 'grpc', protocol: 'TCP' },
      ]);
    }
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
      expect(probe!.grpc!.port).toBe(ports.get('probes'));
    // The policy opens the gRPC and metrics ports, not the probe port (the kubelet's).
    const opened = manifests
      .networkPolicy()
      .spec!.ingress!.flatMap((rule) => rule.ports!.map((p) => p.port));
    expect(new Set(opened)).toEqual(new Set([ports.get('grpc'), ports.get('metrics')]));
  });

  it("probe the health service names the node publishes: '' and raftvec.v1.Ready", () => {
    const c = manifests.container();
    expect(c.startupProbe!.grpc!.service ?? '').toBe('');
    expect(c.livenessProbe!.grpc!.service ?? '').toBe('');
    expect(c.readinessProbe!.grpc!.service).toBe(READY_SERVICE_NAME);
    // A startup budget long enough to load a large state; liveness not on readiness.
    const startup = c.startupProbe!;
    expect(startup.periodSeconds! * startup.failureThreshold!).toBeGreaterThanOrEqual(600);
  });

  it('select the set’s pods with one set of labels everywhere', () => {
    const sts = manifests.statefulSet();
    const selector = selectorOf();
    const podLabels = sts.spec!.template.metadata!.labels;
    expect(matches(selector, podLabels)).toBe(true);
    expect(selector).not.toHaveProperty('app.kubernetes.io/version');
    for (const service of manifests.services()) expect(service.spec!.selector).toEqual(selector);
    expect(manifests.pdb().spec!.selector!.matchLabels).toEqual(selector);
    const policy = manifests.networkPolicy().spec!;
    expect(policy.podSelector.matchLabels).toEqual(selector);
    expect(policy.ingress![0]!.from).toEqual([{ podSelector: { matchLabels: selector } }]);
    const pod = sts.spec!.template.spec!;
    for (const term of pod.affinity!.podAntiAffinity!
      .requiredDuringSchedulingIgnoredDuringExecution!)
      expect(term.labelSelector!.matchLabels).toEqual(selector);
    for (const spread of pod.topologySpreadConstraints!)
      expect(spread.labelSelector!.matchLabels).toEqual(selector);
    // The claim template carries no label that changes with a release (it is immutable).
    expect(sts.spec!.volumeClaimTemplates![0]!.metadata!.labels).toEqual(selector);
    // The headless Service gives the pods their DNS names, even before they are ready.
    const headless = manifests.service(sts.spec!.serviceName!);
    expect(headless.spec!.clusterIP).toBe('None');
    expect(headless.spec!.publishNotReadyAddresses).toBe(true);
    expect(manifests.configMap().data![STATEFULSET_ENV.peerService]).toBe(headless.metadata!.name);
    const client = manifests.service(manifests.configMap().data![STATEFULSET_ENV.clientService]!);
    expect(client.spec!.clusterIP).toBeUndefined();
    expect(client.spec!.publishNotReadyAddresses).toBeUndefined();
  });

  it('keep a majority through voluntary disruptions, at 3 replicas and at 5', () => {
    const sts = manifests.statefulSet();
    const { maxUnavailable } = manifests.pdb().spec!;
    expect(typeof maxUnavailable).toBe('number');
    for (const replicas of [sts.spec!.replicas!, 3, 5]) {
      const majority = Math.floor(replicas / 2) + 1;
      expect(replicas - (maxUnavailable as number), `${replicas} replicas`).toBeGreaterThanOrEqual(
        majority,
      );
    }
    expect(sts.spec!.replicas).toBe(3);
    expect(sts.spec!.podManagementPolicy).toBe('Parallel');
    // The pods that start the cluster are the set's replicas.
    expect(Number(manifests.configMap().data![STATEFULSET_ENV.initialReplicas])).toBe(
      sts.spec!.replicas,
    );
  });

  it('set every environment variable the bootstrap reads, and no test override', () => {
    const env = manifests.container().env!;
    const names = env.map((e) => e.name);
    for (const name of [...Object.values(STATEFULSET_ENV), PROBE_PORT_ENV])
      expect(names, name).toContain(name);
    for (const name of TEST_ONLY_ENV) expect(names).not.toContain(name);
    expect(new Set(names).size).toBe(names.length);
    const byName = new Map(env.map((e) => [e.name, e]));
    expect(byName.get(STATEFULSET_ENV.bootstrap)!.value).toBe(STATEFULSET_BOOTSTRAP);
    expect(byName.get(STATEFULSET_ENV.podName)!.valueFrom!.fieldRef!.fieldPath).toBe(
      'metadata.name',
    );
    expect(byName.get(STATEFULSET_ENV.podNamespace)!.valueFrom!.fieldRef!.fieldPath).toBe(
      'metadata.namespace',
    );
    // Every ConfigMap key is used, and RAFTVEC_PORT cannot come from a service link.
    const used = env.flatMap((e) => e.valueFrom?.configMapKeyRef?.key ?? []);
    expect(used.sort()).toEqual(Object.keys(manifests.configMap().data!).sort());
    expect(manifests.statefulSet().spec!.template.spec!.enableServiceLinks).toBe(false);
    // What the bootstrap makes of it, for each pod and for one more (a scale-up).
    const sts = manifests.statefulSet();
    const ns = 'prod';
    const fqdn = (i: number) => `raftvec-${i}.${sts.spec!.serviceName}.${ns}.svc.cluster.local`;
    const peers = [0, 1, 2].map((i) => `raftvec-${i}=${fqdn(i)}:7000`).join(',');
    for (const i of [0, 1, 2])
      expect(statefulSetServeOptions(podEnvironment(`raftvec-${i}`, ns))).toEqual({
        id: `raftvec-${i}`,
        listen: '0.0.0.0:7000',
        advertise: `${fqdn(i)}:7000`,
        peers,
      });
    expect(statefulSetServeOptions(podEnvironment('raftvec-3', ns))).toEqual({
      id: 'raftvec-3',
      listen: '0.0.0.0:7000',
      advertise: `${fqdn(3)}:7000`,
      join: `raftvec.${ns}.svc.cluster.local:7000`,
    });
  });

  it("give serve only flags it has, and leave the pod's identity to the bootstrap", async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.code, help.stderr).toBe(0);
    const args = manifests.container().args!;
    const flags = args.filter((a) => a.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(help.stdout, flag).toContain(`${flag} `);
    for (const flag of ['--id', '--listen', '--advertise', '--peers', '--join'])
      expect(args).not.toContain(flag);
    // The stop sequence is the default one: leadership handed over on SIGTERM.
    expect(args).not.toContain('--no-transfer-on-stop');
    expect(args).not.toContain('--election-timeout-ms');
  });

  it('mount every file the flags name, from the Secret whose keys the example shows', () => {
    const sts = manifests.statefulSet();
    const pod = sts.spec!.template.spec!;
    const c = manifests.container();
    const secretVolume = pod.volumes!.find((v) => v.secret !== undefined)!;
    const secretMount = c.volumeMounts!.find((m) => m.name === secretVolume.name)!;
    expect(secretMount.readOnly).toBe(true);
    const example = manifests.secretExample();
    expect(example.metadata!.name).toBe(secretVolume.secret!.secretName);
    const keys = Object.keys(example.stringData ?? {});
    for (let i = 0; i < sts.spec!.replicas!; i++) {
      const args = expandArgs(c.args!, podEnvironment(`raftvec-${i}`, 'prod'));
      const files = args.filter((a) => a.startsWith(`${secretMount.mountPath}/`));
      expect(files.length).toBe(5);
      for (const file of files)
        expect(keys, file).toContain(file.slice(secretMount.mountPath.length + 1));
    }
    // The data folder is on the claim; /tmp is the only other writable place.
    const data = c.args![c.args!.indexOf('--data') + 1]!;
    const dataMount = c.volumeMounts!.find(
      (m) => m.name === sts.spec!.volumeClaimTemplates![0]!.metadata!.name,
    )!;
    expect(data.startsWith(`${dataMount.mountPath}/`)).toBe(true);
    const tmp = c.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
    expect(pod.volumes!.find((v) => v.name === tmp.name)!.emptyDir).toBeDefined();
  });

  it('run as the image’s non-root user on a read-only root filesystem', () => {
    const pod = manifests.statefulSet().spec!.template.spec!;
    const c = manifests.container();
    expect(c.image).toBe(IMAGE);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(c.image).toBe(`raftvec:${pkg.version}`);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: UID,
      fsGroup: UID,
    });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: UID,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('give SIGTERM time to hand leadership over, drain calls and write checkpoints', () => {
    const node = readFileSync(join(repoRoot, 'src/server/node.ts'), 'utf8');
    const graces = [...node.matchAll(/shutdownGraceMs \?\? ([\d_]+)/g)].map((m) =>
      Number(m[1]!.replace(/_/g, '')),
    );
    expect(graces.length).toBeGreaterThan(0);
    const electionTimeoutMs = DEFAULT_RAFT_TIMING.electionTick * DEFAULT_RAFT_TIMING.tickMs;
    // node.ts: the transfer is given two election timeouts.
    expect(node).toContain('2 * raftTiming.electionTick * raftTiming.tickMs');
    const needed = (2 * electionTimeoutMs + Math.max(...graces)) / 1000 + STOP_MARGIN_SECONDS;
    const grace = manifests.statefulSet().spec!.template.spec!.terminationGracePeriodSeconds!;
    expect(grace).toBeGreaterThanOrEqual(needed);
  });

  it("size memory from the memory benchmark's highest RSS (README)", () => {
    // Every VmRSS figure of the README's lifecycle table, in MB ("A / B MB" lists
    // included; ratios in parentheses and the goal left out).
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const rows = readme
      .split('\n')
      .filter((l) => /^\| (VmRSS|peak during InstallSnapshot)/.test(l));
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const figures = rows.flatMap((row) =>
      (row.split('|')[2] ?? '')
        .replace(/\([^)]*\)/g, '')
        .split(';')
        .filter((part) => part.includes('MB') && !part.includes('goal'))
        .flatMap((part) =>
          [...part.matchAll(/\d{1,3}(?:,\d{3})+|\d+/g)].map((m) => Number(m[0].replace(/,/g, ''))),
        ),
    );
    const highestMb = Math.max(...figures);
    expect(highestMb * 1e6).toBe(MEMORY_BENCHMARK.highestRssBytes);
    expect(readme).toContain(`${MEMORY_BENCHMARK.idleRssBytes / 1e6} MB`);
    const c = manifests.container();
    const bytes = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      if (m === null) throw new Error(`unexpected quantity ${q}`);
      return Number(m[1]) * (m[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2);
    };
    const request = bytes(String(c.resources!.requests!['memory']));
    const limit = bytes(String(c.resources!.limits!['memory']));
    expect(request).toBeGreaterThanOrEqual(MEMORY_BENCHMARK.highestRssBytes);
    expect(limit).toBeGreaterThanOrEqual(MEMORY_LIMIT_HEADROOM * MEMORY_BENCHMARK.highestRssBytes);
    // No CPU limit: throttling stalls heartbeats.
    expect(c.resources!.limits!['cpu']).toBeUndefined();
    // The JavaScript heap is bounded well inside the limit.
    const nodeOptions = c.env!.find((e) => e.name === 'NODE_OPTIONS')!.value!;
    const heapMib = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)![1]);
    expect(heapMib * 1024 ** 2).toBeLessThan(limit / 2);
  });
  it('are explained by docs/kubernetes.md with names the code has', () => {
    const doc = readFileSync(join(repoRoot, 'docs/kubernetes.md'), 'utf8');
    const metricsSource = readFileSync(join(repoRoot, 'src/server/metrics.ts'), 'utf8');
    const named = new Set([...doc.matchAll(/\braftvec_[a-z_]+/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThan(5);
    for (const metric of named) expect(metricsSource, metric).toContain(`'${metric}'`);
    for (const name of [...Object.values(STATEFULSET_ENV), PROBE_PORT_ENV])
      expect(doc, name).toContain(`\`${name}\``);
    expect(doc).toContain(READY_SERVICE_NAME);
    for (const { file } of MANIFEST_FILES) expect(doc, file).toContain(`\`${file}\``);
  });
});
