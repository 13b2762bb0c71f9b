/**
 * The rendered manifests (k8s/*.yaml) as the tests read them: parsed from the files,
 * not taken from k8s/src, so that what is checked is what `kubectl apply -k` applies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap, Container, EnvVar, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { repoRoot } from '../support/processes.js';

export const k8sDir = join(repoRoot, 'k8s');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** Every object of a k8s/ file. */
export function readManifest(file: string): KubeObject[] {
  const text = readFileSync(join(k8sDir, file), 'utf8');
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return doc.toJS() as KubeObject;
  });
}

/** The files kustomization.yaml lists. */
export function kustomizationResources(): string[] {
  const [k] = readManifest('kustomization.yaml') as unknown as [{ resources: string[] }];
  return k.resources;
}

/** Every object `kubectl apply -k k8s/` applies. */
export function appliedObjects(): KubeObject[] {
  return kustomizationResources().flatMap(readManifest);
}

function only<T>(kind: string, name?: string): T {
  const found = appliedObjects().filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as unknown as T;
}

export const manifests = {
  statefulSet: () => only<StatefulSet>('StatefulSet'),
  configMap: () => only<ConfigMap>('ConfigMap'),
  pdb: () => only<PodDisruptionBudget>('PodDisruptionBudget'),
  networkPolicy: () => only<NetworkPolicy>('NetworkPolicy'),
  service: (name: string) => only<Service>('Service', name),
  services: () => appliedObjects().filter((o) => o.kind === 'Service') as unknown as Service[],
  secretExample: () => readManifest('secret.example.yaml')[0] as unknown as Secret,
  container: (): Container => {
    const containers = manifests.statefulSet().spec!.template.spec!.containers;
    if (containers.length !== 1) throw new Error('expected one container');
    return containers[0]!;
  },
};

/**
 * The environment the kubelet gives the container of pod `podName` in `namespace`:
 * `value`s as they are, the downward API's metadata.name and metadata.namespace, and
 * ConfigMap keys from the rendered ConfigMap. Anything else is refused.
 */
export function podEnvironment(podName: string, namespace: string): Record<string, string> {
  const configMap = manifests.configMap();
  const env: Record<string, string> = {};
  for (const e of manifests.container().env ?? []) env[e.name] = envValue(e);
  return env;

  function envValue(e: EnvVar): string {
    if (e.value !== undefined) return e.value;
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === 'metadata.name') return podName;
    if (field === 'metadata.namespace') return namespace;
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref !== undefined) {
      if (ref.name !== configMap.metadata!.name)
        throw new Error(`${e.name}: ConfigMap ${ref.name} is not the set's`);
      const value = configMap.data?.[ref.key];
      if (value === undefined) throw new Error(`${e.name}: the ConfigMap has no key ${ref.key}`);
      return value;
    }
    throw new Error(`${e.name}: a source the test does not resolve: ${JSON.stringify(e)}`);
  }
}

/** The container's args with $(VAR) expanded from `env`, as the kubelet does. */
export function expandArgs(args: readonly string[], env: Record<string, string>): string[] {
  return args.map((a) =>
    a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole),
  );
}
