/**
 * `GET /metrics` (src/server/metrics.ts): parsed by a Prometheus text-format parser,
 * holding the names the operations docs list, with values that follow the node: on one
 * node, and on an in-process three-node cluster for elections, leader changes, a
 * snapshot installed on a follower and writes waiting in the proposal queue.
 */
// @ts-expect-error -- the parser ships no type declarations
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdPort } from '../../src/cli/local-cluster.js';
import { packageRoot } from '../../src/package-root.js';
import { RaftvecClient } from '../../src/client/index.js';
import type { NodeOptions } from '../../src/server/node.js';
import { startTestNode, type TestNode } from '../support/in-process.js';
import { waitFor } from '../support/processes.js';

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

/** A scraped page: its families as the parser reads them, and its text. */
type Families = Map<string, Family> & { text: string };

/** The metrics this issue added, with their Prometheus types. */
const RAFT_OBSERVATIONS: Record<string, string> = {
  raftvec_raft_elections_started_total: 'COUNTER',
  raftvec_raft_elections_won_total: 'COUNTER',
  raftvec_raft_leader_changes_total: 'COUNTER',
  raftvec_raft_proposal_queue_depth: 'GAUGE',
  raftvec_raft_proposal_queue_limit: 'GAUGE',
  raftvec_raft_log_fsync_duration_seconds: 'HISTOGRAM',
  raftvec_raft_log_synced_entries_total: 'COUNTER',
  raftvec_raft_apply_duration_seconds: 'HISTOGRAM',
  raftvec_raft_snapshot_duration_seconds: 'HISTOGRAM',
  raftvec_raft_snapshot_size_bytes: 'GAUGE',
};

let t: TestNode;
let client: RaftvecClient;

beforeAll(async () => {
  t = await startTestNode({ metricsListen: '127.0.0.1:0', maxPendingWrites: 100 });
  client = new RaftvecClient(t.address);
});
afterAll(async () => {
  client.close();
  await t.close();
});

async function scrape(node: TestNode = t): Promise<Families> {
  const res = await fetch(`http://${node.node.metricsAddress}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  const families = (parsePrometheusTextFormat as (text: string) => Family[])(text);
  return Object.assign(new Map(families.map((f) => [f.name, f])), { text });
}

/**
 * The `_count` of histogram `name`'s series with `labels`, read from the page's text: the
 * parser folds a histogram's labelled series into one, without labels.
 */
function histogramCount(page: Families, name: string, labels: Record<string, string>): number {
  for (const line of page.text.split('\n')) {
    const sample = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (sample?.[1] !== `${name}_count`) continue;
    const found = Object.fromEntries(
      [...sample[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(sample[3]);
  }
  expect.fail(`no ${name}_count ${JSON.stringify(labels)} on the page`);
}

/**
 * The value of the first series of `name` whose labels include `labels`: a gauge's or
 * counter's value, a histogram's count.
 */
function valueIn(families: Families, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  expect(family, name).toBeDefined();
  if (family!.type === 'HISTOGRAM' && Object.keys(labels).length > 0)
    return histogramCount(families, name, labels);
  const metric = family!.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
  );
  expect(metric, `${name} ${JSON.stringify(labels)}`).toBeDefined();
  return Number(metric!.value ?? metric!.count);
}

/** Scrapes `node` until `name` (as valueIn reads it) passes `check`; resolves with the value. */
function waitForMetric(
  node: TestNode,
  name: string,
  check: (value: number) => boolean,
  labels: Record<string, string> = {},
): Promise<number> {
  return waitFor(`${name}${JSON.stringify(labels)} on ${node.address} to move`, async () => {
    const value = valueIn(await scrape(node), name, labels);
    return check(value) ? { value } : undefined;
  }).then(({ value }) => value);
}

/** Bytes of every file under `dir`. */
async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
  return bytes;
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
    const value = (name: string, labels: Record<string, string> = {}): number =>
      valueIn(families, name, labels);
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

  it('reports elections, the proposal queue, fsync and apply latency, and snapshots', async () => {
    await client.createCollection('q', { dimension: 2 });
    for (let i = 0; i < 3; i++) await client.upsert('q', [{ id: `p${i}`, vector: [i, 1] }]);
    const families = await scrape();
    for (const [name, type] of Object.entries(RAFT_OBSERVATIONS))
      expect(families.get(name)?.type, name).toBe(type);
    const value = (name: string, labels: Record<string, string> = {}): number =>
      valueIn(families, name, labels);
    // A lone voter elects itself at start.
    const won = value('raftvec_raft_elections_won_total');
    expect(won).toBeGreaterThanOrEqual(1);
    expect(value('raftvec_raft_elections_started_total')).toBeGreaterThanOrEqual(won);
    expect(value('raftvec_raft_leader_changes_total')).toBeGreaterThanOrEqual(1);
    // Every write above was answered once applied: none waits; the limit is the node's.
    expect(value('raftvec_raft_proposal_queue_depth')).toBe(0);
    expect(value('raftvec_raft_proposal_queue_limit')).toBe(100);
    // Each write was fsynced (its entry with it) and applied before it was answered.
    expect(value('raftvec_raft_log_fsync_duration_seconds')).toBeGreaterThanOrEqual(1);
    expect(value('raftvec_raft_log_synced_entries_total')).toBeGreaterThanOrEqual(4);
    expect(value('raftvec_raft_apply_duration_seconds')).toBeGreaterThanOrEqual(1);
    const fsync = families.get('raftvec_raft_log_fsync_duration_seconds')!.metrics[0]!;
    expect(Number(fsync.buckets?.['+Inf'])).toBe(Number(fsync.count));
    // No snapshot yet: both operations shown at zero.
    expect(value('raftvec_raft_snapshot_duration_seconds', { operation: 'take' })).toBe(0);
    expect(value('raftvec_raft_snapshot_duration_seconds', { operation: 'install' })).toBe(0);
    expect(value('raftvec_raft_snapshot_size_bytes')).toBe(0);

    const { index } = await t.node.runtime.snapshotNow();
    const after = await scrape();
    expect(valueIn(after, 'raftvec_raft_snapshot_duration_seconds', { operation: 'take' })).toBe(1);
    // The size is the snapshot's folder on disk, its description included.
    const onDisk = await folderBytes(join(t.dataDir, 'snapshots', String(index)));
    expect(onDisk).toBeGreaterThan(0);
    expect(valueIn(after, 'raftvec_raft_snapshot_size_bytes')).toBe(onDisk);
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

describe('metrics of a three-node cluster', () => {
  const ids = ['n1', 'n2', 'n3'];
  const nodes = new Map<string, TestNode>();
  let options: (id: string) => Partial<NodeOptions>;
  const dataDirs: string[] = [];

  beforeAll(async () => {
    const held = await Promise.all(ids.map(() => holdPort()));
    const addresses = held.map((h) => `127.0.0.1:${(h.address() as AddressInfo).port}`);
    await Promise.all(held.map((h) => new Promise((resolve) => h.close(resolve))));
    const peers = new Map(ids.map((id, i) => [id, addresses[i]!]));
    for (const _ of ids) dataDirs.push(await mkdtemp(join(tmpdir(), 'raftvec-test-metrics-')));
    options = (id) => {
      const i = ids.indexOf(id);
      return {
        id,
        listen: addresses[i]!,
        dataDir: dataDirs[i]!,
        peers,
        clusterSecret: 'metrics-test-secret',
        metricsListen: '127.0.0.1:0',
        // A snapshot compacts the whole log: a follower that missed entries needs it.
        snapshots: { trailingEntries: 0 },
      };
    };
    await Promise.all(ids.map(async (id) => nodes.set(id, await startTestNode(options(id)))));
  });
  afterAll(async () => {
    await Promise.all([...nodes.values()].map((n) => n.close()));
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const leader = (): Promise<TestNode> =>
    waitFor('a leader that every member knows', () => {
      const all = [...nodes.values()];
      const lead = all.find((n) => n.node.runtime.role === 'leader');
      return lead !== undefined &&
        all.every((n) => n.node.runtime.leaderId === lead.node.runtime.id)
        ? lead
        : undefined;
    });

  it('counts elections won and started, and the leader changes each member sees', async () => {
    const first = await leader();
    const families = await scrape(first);
    const won = valueIn(families, 'raftvec_raft_elections_won_total');
    expect(won).toBeGreaterThanOrEqual(1);
    expect(valueIn(families, 'raftvec_raft_elections_started_total')).toBeGreaterThanOrEqual(won);
    for (const n of nodes.values())
      expect(valueIn(await scrape(n), 'raftvec_raft_leader_changes_total')).toBeGreaterThanOrEqual(
        1,
      );

    // A leadership transfer is an election the transferee stands in and wins.
    const target = [...nodes.values()].find((n) => n !== first)!;
    const before = await scrape(target);
    const changesSeen = valueIn(families, 'raftvec_raft_leader_changes_total');
    const newLeader = await first.node.runtime.transferLeadership(target.node.runtime.id, 10_000);
    expect(newLeader).toBe(target.node.runtime.id);
    await waitForMetric(
      target,
      'raftvec_raft_elections_won_total',
      (v) => v >= valueIn(before, 'raftvec_raft_elections_won_total') + 1,
    );
    await waitForMetric(
      target,
      'raftvec_raft_elections_started_total',
      (v) => v >= valueIn(before, 'raftvec_raft_elections_started_total') + 1,
    );
    await waitForMetric(first, 'raftvec_raft_leader_changes_total', (v) => v >= changesSeen + 1);
  });

  it('counts a snapshot taken on the leader and installed on a follower that fell behind', async () => {
    const lead = await leader();
    const behind = [...nodes.values()].find((n) => n !== lead)!;
    const behindId = behind.node.runtime.id;
    await behind.close();
    nodes.delete(behindId);
    const writer = new RaftvecClient(lead.address);
    try {
      await writer.createCollection('s', { dimension: 2 });
      for (let i = 0; i < 5; i++) await writer.upsert('s', [{ id: `p${i}`, vector: [i, 2] }]);
    } finally {
      writer.close();
    }
    const { index } = await lead.node.runtime.snapshotNow();
    expect(lead.node.runtime.status().snapshotIndex).toBe(index);
    const taken = await scrape(lead);
    expect(
      valueIn(taken, 'raftvec_raft_snapshot_duration_seconds', { operation: 'take' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueIn(taken, 'raftvec_raft_snapshot_size_bytes')).toBeGreaterThan(0);

    const back = await startTestNode(options(behindId));
    nodes.set(behindId, back);
    await waitForMetric(back, 'raftvec_raft_snapshot_duration_seconds', (v) => v >= 1, {
      operation: 'install',
    });
    // It took none itself: the size is of snapshots taken here.
    const installed = await scrape(back);
    expect(
      valueIn(installed, 'raftvec_raft_snapshot_duration_seconds', { operation: 'take' }),
    ).toBe(0);
    expect(valueIn(installed, 'raftvec_raft_snapshot_index')).toBeGreaterThanOrEqual(index);
  });

  it('shows a write that cannot commit in the proposal queue depth', async () => {
    const lead = await leader();
    // The followers' Raft runtimes stop at once (as if frozen): nothing can commit, and
    // the leader accepts the write before check-quorum makes it step down.
    for (const n of nodes.values()) if (n !== lead) void n.node.runtime.close();
    const stuck = lead.node.runtime.propose(new Uint8Array([1]), 60_000).catch(() => undefined);
    expect(await waitForMetric(lead, 'raftvec_raft_proposal_queue_depth', (v) => v >= 1)).toBe(1);
    expect(valueIn(await scrape(lead), 'raftvec_raft_proposal_queue_limit')).toBe(4096);
    await Promise.all([...nodes.values()].map((n) => n.close()));
    nodes.clear();
    await stuck;
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics the node serves, and every Raft observation', async () => {
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
    const functions = new Set(['max', 'sum', 'rate', 'increase', 'histogram_quantile']);
    let queried = 0;
    const names = new Set<string>();
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
          names.add(name.replace(/_(bucket|sum|count)$/, ''));
          queried++;
        }
      }
    }
    expect(queried).toBeGreaterThanOrEqual(dashboard.panels.length);
    for (const name of Object.keys(RAFT_OBSERVATIONS)) expect(names, name).toContain(name);
  });
});
