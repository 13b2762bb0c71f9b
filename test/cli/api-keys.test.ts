/**
 * API keys through the CLI: `raftvec keys generate` makes the key (stdout) and the
 * entry of the keys file (stderr) that a spawned `raftvec serve --api-keys-file`
 * accepts; the client commands send --api-key or RAFTVEC_API_KEY, and fail with exit
 * code 1 and UNAUTHENTICATED without one. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcessGroup, runCli, type CliResult, type NodeProcess } from '../support/processes.js';

const procs = new ProcessGroup();
let node: NodeProcess;
let dir: string;
const keys: Record<'read' | 'write' | 'admin', string> = { read: '', write: '', admin: '' };
const entries: Array<{ id: string; role: string; sha256: string }> = [];

/** The CLI against the test node, RAFTVEC_API_KEY unset unless `env` sets it. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runCli(['--address', node.address, ...args], { env: { RAFTVEC_API_KEY: '', ...env } });

function ok(r: CliResult): unknown {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

beforeAll(async () => {
  dir = await procs.tempDir('cli-api-keys');
  for (const role of ['read', 'write', 'admin'] as const) {
    const r = await runCli(['keys', 'generate', '--role', role, '--id', `${role}-key`]);
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^rvk_[A-Za-z0-9_-]{43}$/);
    expect(r.stdout).toBe(`${key}\n`);
    const entry = JSON.parse(r.stderr) as { id: string; role: string; sha256: string };
    expect(entry).toMatchObject({ id: `${role}-key`, role });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.stderr).not.toContain(key);
    keys[role] = key;
    entries.push(entry);
  }
  const file = join(dir, 'keys.json');
  await writeFile(file, JSON.stringify({ keys: entries }, null, 2));
  node = await procs.startNode({
    dataDir: join(dir, 'data'),
    name: 'api-keys-server',
    args: ['--api-keys-file', file],
  });
  ok(await cli(['--api-key', keys.admin, 'create-collection', 'docs', '--dim', '2']));
});
afterAll(() => procs.cleanup());

describe('raftvec CLI with API keys', () => {
  it('count with --api-key (before or after the command) or RAFTVEC_API_KEY succeeds', async () => {
    expect(ok(await cli(['--api-key', keys.read, 'count', 'docs']))).toEqual({ count: 0 });
    expect(ok(await cli(['count', 'docs', '--api-key', keys.read]))).toEqual({ count: 0 });
    expect(ok(await cli(['count', 'docs'], { RAFTVEC_API_KEY: keys.read }))).toEqual({ count: 0 });
  });

  it('count without a key, or with a wrong one: exit 1, UNAUTHENTICATED', async () => {
    const none = await cli(['count', 'docs']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/UNAUTHENTICATED/);
    expect(none.stderr).toMatch(/--api-key/);
    const wrong = await cli(['count', 'docs', '--api-key', 'rvk_wrong']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/UNAUTHENTICATED/);
    expect(wrong.stderr).not.toContain('rvk_wrong');
  });

  it('roles: read cannot upsert (PERMISSION_DENIED), write can; no key appears in the output', async () => {
    const file = join(dir, 'points.jsonl');
    await writeFile(file, `${JSON.stringify({ id: 'p1', values: [1, 0] })}\n`);
    const args = ['upsert', 'docs', '--file', file];
    const denied = await cli([...args, '--api-key', keys.read]);
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.stderr).toMatch(/PERMISSION_DENIED/);
    expect(ok(await cli([...args, '--api-key', keys.write]))).toMatchObject({ upserted: 1 });
    expect(ok(await cli(['count', 'docs', '--api-key', keys.read]))).toEqual({ count: 1 });
    for (const r of [denied])
      for (const key of Object.values(keys)) expect(r.stderr).not.toContain(key);
  });

  it('status and snapshot with an admin key alone (no cluster secret)', async () => {
    const status = await cli(['status', '--json', '--api-key', keys.read]);
    const nodes = (ok(status) as { nodes: Array<{ role?: string }> }).nodes;
    expect(nodes[0]?.role).toBe('leader');
    const snap = await cli(['snapshot', '--api-key', keys.admin], { RAFTVEC_CLUSTER_SECRET: '' });
    expect((ok(snap) as Array<{ index: number }>)[0]?.index).toBeGreaterThan(0);
    const refused = await cli(['snapshot', '--api-key', keys.read], {
      RAFTVEC_CLUSTER_SECRET: '',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/PERMISSION_DENIED/);
    const neither = await cli(['snapshot'], { RAFTVEC_CLUSTER_SECRET: '' });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/needs the cluster secret: .*; or an admin API key/);
  });

  it('keys generate refuses a bad role and an empty id', async () => {
    const role = await runCli(['keys', 'generate', '--role', 'root', '--id', 'x']);
    expect(role.code).toBe(2);
    expect(role.stdout).toBe('');
    const id = await runCli(['keys', 'generate', '--role', 'read', '--id', '']);
    expect(id.code).toBe(2);
    expect(id.stdout).toBe('');
  });
});
