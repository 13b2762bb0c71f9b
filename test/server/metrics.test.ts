/**
 * `GET /metrics` (src/server/metrics.ts): parsed by a Prometheus text-format parser,
 * holding the names the operations docs list, with values that follow the node.
 */
// @ts-expect-error -- the parser ships no type declarations
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/package-root.js';
import { RaftvecClient } from '../../src/client/index.js';
import { startTestNode, type TestNode } from '../support/in-process.js';

interface Family {
  name: string;
  type: string;
  help: string;
  metrics: Array<{
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
  }>;
}

let t: TestNode;
let client: RaftvecClient;

beforeAll(async () => {
  t = await startTestNode({ metricsListen: '127.0.0.1:0' });
  client = new RaftvecClient(t.address);
});
afterAll(async () => {
  client.close();
  await t.close();
});

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`http://${t.node.metricsAddress}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const families = (parsePrometheusTextFormat as (text: string) => Family[])(await res.text());
  return new Map(families.map((f) => [f.name, f]));
}

describe('metrics', () => {
  it('serves the raft, data, call and process metrics, named by the conventions', async () => {
    await client.createCollection('m', { dimension: 2 });
    await client.upsert('m', [
      { id: 'a', vector: [1, 1] },
      { id: 'b', vector: [2, 2] },
    ]);
    await client.search('m', [1, 1], { k: 1 });
    const families = await scrape();
    const value = (name: string, labels: Record<string, string> = {}): number => {
      const family = families.get(name);
      expect(family, name).toBeDefined();
      const metric = family!.metrics.find((m) =>
        Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
      );
      expect(metric, `${name} ${JSON.stringify(labels)}`).toBeDefined();
      return Number(metric!.value ?? metric!.count);
    };
    expect(value('raftvec_raft_term')).toBeGreaterThanOrEqual(1);
    expect(value('raftvec_raft_role', { role: 'leader' })).toBe(1);
    expect(value('raftvec_raft_role', { role: 'follower' })).toBe(0);
    const applied = value('raftvec_raft_applied_index');
    expect(applied).toBeGreaterThanOrEqual(3);
    expect(value('raftvec_raft_commit_index')).toBeGreaterThanOrEqual(applied);
    expect(value('raftvec_raft_last_index')).toBeGreaterThanOrEqual(applied);
    expect(value('raftvec_collection_points', { collection: 'm' })).toBe(2);
    expect(
      value('raftvec_grpc_requests_total', {
        method: 'raftvec.v1.VectorService/Search',
        code: 'OK',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(families.get('raftvec_grpc_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(value('raftvec_search_duration_seconds')).toBeGreaterThanOrEqual(1);
    expect(families.has('process_resident_memory_bytes')).toBe(true);
    for (const [name, family] of families) {
      if (!name.startsWith('raftvec_')) continue;
      expect(family.help, name).not.toBe('');
      if (family.type === 'COUNTER') expect(name, 'counters end in _total').toMatch(/_total$/);
      if (family.type === 'HISTOGRAM') expect(name, 'durations in seconds').toMatch(/_seconds$/);
    }
  });

  it('counts refused calls by their code, and answers 404 off /metrics', async () => {
    await expect(client.search('missing', [1, 1], { k: 1 })).rejects.toThrow();
    const families = await scrape();
    const search = families
      .get('raftvec_grpc_requests_total')!
      .metrics.find(
        (m) =>
          m.labels?.method === 'raftvec.v1.VectorService/Search' && m.labels?.code === 'NOT_FOUND',
      );
    expect(Number(search?.value)).toBeGreaterThanOrEqual(1);
    expect((await fetch(`http://${t.node.metricsAddress}/other`)).status).toBe(404);
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics the node serves', async () => {
    const dashboard = JSON.parse(
      await readFile(join(packageRoot(), 'deploy', 'grafana', 'raftvec.json'), 'utf8'),
    ) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const served = new Set(
      [...(await scrape()).values()].flatMap((f) =>
        f.type === 'HISTOGRAM'
          ? [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`]
          : [f.name],
      ),
    );
    const functions = new Set(['max', 'sum', 'rate', 'histogram_quantile']);
    let queried = 0;
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        // Metric names: what is left without label matchers, ranges and `by (…)` clauses.
        const stripped = expr
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .replace(/\bby \([^)]*\)/g, '');
        for (const name of stripped.match(/[a-z_][a-z0-9_]*/g) ?? []) {
          if (functions.has(name) || /^\d/.test(name)) continue;
          expect(served.has(name), `${panel.title}: ${name}`).toBe(true);
          queried++;
        }
      }
    }
    expect(queried).toBeGreaterThanOrEqual(dashboard.panels.length);
  });
});
