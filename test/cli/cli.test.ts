/**
 * The `raftvec` CLI (node bin/raftvec.js) against a real server process.
 * Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { faissBuildInfo } from '../../src/index/faiss.js';
import { ProcessGroup, runCli, type CliResult, type NodeProcess } from '../support/processes.js';

const procs = new ProcessGroup();
let node: NodeProcess;
let dir: string;

beforeAll(async () => {
  dir = await procs.tempDir('cli');
  node = await procs.startNode({ dataDir: join(dir, 'data'), name: 'cli-server' });
});
afterAll(() => procs.cleanup());

/** Runs the CLI against the test server. */
const cli = (...args: string[]): Promise<CliResult> => runCli(['--address', node.address, ...args]);

function ok(r: CliResult): unknown {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

describe('raftvec CLI', () => {
  it('create-collection, collections, describe', async () => {
    const created = ok(await cli('create-collection', 'docs', '--dim', '3')) as {
      collection: object;
      logIndex: number;
    };
    expect(created.collection).toEqual({
      name: 'docs',
      dimension: 3,
      metric: 'l2',
      indexSpec: 'Flat',
      pointCount: 0,
      payloadIndexes: [],
    });
    expect(created.logIndex).toBeGreaterThan(0);
    ok(
      await cli('create-collection', 'cos', '--dim', '2', '--metric', 'cosine', '--index', 'Flat'),
    );
    expect((ok(await cli('collections')) as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'cos',
      'docs',
    ]);
    expect(ok(await cli('describe', 'cos'))).toMatchObject({
      name: 'cos',
      metric: 'cosine',
      dimension: 2,
    });
  });

  it('upsert from a JSONL file (both "values" and "vector", and the reference-scenario form)', async () => {
    const file = join(dir, 'points.jsonl');
    const lines = [
      JSON.stringify({
        command: 'insert',
        vectors: [{ id: 'vec1', values: [0.1, 0.2, 0.3], metadata: { source: 'docA' } }],
      }),
      '',
      ...Array.from({ length: 1200 }, (_, i) =>
        JSON.stringify({
          id: `p${i}`,
          [i % 2 ? 'values' : 'vector']: [i, i + 1, i + 2],
          metadata: { i, source: i % 2 ? 'odd' : 'even' },
        }),
      ),
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    const r = await cli('upsert', 'docs', '--file', file, '--batch', '500');
    const summary = ok(r) as { upserted: number; requests: number };
    expect(summary).toMatchObject({ collection: 'docs', upserted: 1201, requests: 3 });
    // not a TTY: plain progress lines on stderr
    expect(r.stderr).toMatch(/upsert docs: 1201\/1201 \(100%\) done/);
    expect(ok(await cli('count', 'docs'))).toEqual({ count: 1201 });
  });

  it('a JSONL file with bad lines: each is reported with its line number, and nothing is written', async () => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify({ id: 'new-1', values: [1, 2, 3] }),
        JSON.stringify({ id: 'new-2', values: [1, 2] }),
        JSON.stringify({ id: 'new-3', values: [1, 2, 3] }),
        '{"id": "new-4", "values": [1, 2, 3',
        JSON.stringify({ id: '', values: [1, 2, 3] }),
        JSON.stringify({ id: 'new-6', values: [1, 'x', 3] }),
      ].join('\n'),
    );
    const r = await cli('upsert', 'docs', '--file', file, '--batch', '2');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT/);
    expect(r.stderr).toMatch(/bad\.jsonl:2: .*2 values.*dimension is 3/);
    expect(r.stderr).toMatch(/bad\.jsonl:4: not valid JSON/);
    expect(r.stderr).toMatch(/bad\.jsonl:5: .*id is empty/);
    expect(r.stderr).toMatch(/bad\.jsonl:6: .*values\[1\] is "x"/);
    expect(r.stderr).toMatch(/nothing was sent/);
    expect(r.stderr).not.toMatch(/bad\.jsonl:[13]:/);
    expect(ok(await cli('count', 'docs'))).toEqual({ count: 1201 });
    expect(ok(await cli('get', 'docs', 'new-1', 'new-3'))).toEqual([]);
  });

  it('get prints the points with their vectors and metadata', async () => {
    expect(ok(await cli('get', 'docs', 'vec1', 'missing', 'p7'))).toEqual([
      { id: 'vec1', vector: [0.1, 0.2, 0.3], metadata: { source: 'docA' } },
      { id: 'p7', vector: [7, 8, 9], metadata: { i: 7, source: 'odd' } },
    ]);
    expect(ok(await cli('get', 'docs', 'vec1', '--no-vector'))).toEqual([
      { id: 'vec1', metadata: { source: 'docA' } },
    ]);
  });

  it('search: vec1 first for its own vector; -k; --filter (shorthand and full form)', async () => {
    const hits = ok(await cli('search', 'docs', '--vector', '[0.1,0.2,0.3]', '-k', '3')) as Array<{
      id: string;
      score: number;
      metadata: unknown;
    }>;
    expect(hits).toHaveLength(3);
    expect(hits[0]).toEqual({ id: 'vec1', score: 0, metadata: { source: 'docA' } });

    const odd = ok(
      await cli('search', 'docs', '--vector', '[0,1,2]', '-k', '2', '--filter', '{"source":"odd"}'),
    ) as Array<{ id: string }>;
    expect(odd.map((h) => h.id)).toEqual(['p1', 'p3']);

    const full = ok(
      await cli(
        'search',
        'docs',
        '--vector',
        '0,1,2',
        '-k',
        '5',
        '--filter',
        '{"must":[{"key":"i","range":{"gte":10,"lt":12}}]}',
      ),
    ) as Array<{ id: string }>;
    expect(full.map((h) => h.id)).toEqual(['p10', 'p11']);
  });

  it('count with a filter, and scroll pages', async () => {
    expect(ok(await cli('count', 'docs', '--filter', '{"source":"even"}'))).toEqual({ count: 600 });
    const page = ok(await cli('scroll', 'docs', '--limit', '2', '--no-vector')) as {
      points: Array<{ id: string }>;
      nextAfterId: string | null;
    };
    expect(page.points.map((p) => p.id)).toEqual(['p0', 'p1']);
    expect(page.nextAfterId).toBe('p1');
    const next = ok(await cli('scroll', 'docs', '--limit', '2', '--after', 'p1')) as {
      points: Array<{ id: string }>;
    };
    expect(next.points.map((p) => p.id)).toEqual(['p10', 'p100']);
  });

  it('reads take --consistency (and its parameters), and --read-info says who answered', async () => {
    for (const level of ['linearizable', 'lease', 'eventual']) {
      const r = await cli('count', 'docs', '--consistency', level, '--read-info');
      expect(ok(r)).toEqual({ count: 1201 });
      expect(r.stderr).toMatch(
        /^read served by n1: applied index \d+, leader commit index \d+, staleness at most 0 ms$/m,
      );
    }
    const bounded = await cli(
      'get',
      'docs',
      'vec1',
      '--consistency',
      'bounded',
      '--max-staleness-ms',
      '500',
    );
    expect(ok(bounded)).toHaveLength(1);
    // A write's logIndex is the token of a session read: the read sees the write.
    const written = ok(await cli('delete', 'docs', 'nope-x')) as { logIndex: number };
    const session = await cli(
      'search',
      'docs',
      '--vector',
      '[0.1,0.2,0.3]',
      '-k',
      '1',
      '--session',
      String(written.logIndex),
      '--read-info',
    );
    expect((ok(session) as Array<{ id: string }>)[0]!.id).toBe('vec1');
    const applied = Number(/applied index (\d+)/.exec(session.stderr)?.[1]);
    expect(applied).toBeGreaterThanOrEqual(written.logIndex);
    expect(
      ok(await cli('scroll', 'docs', '--limit', '1', '--consistency', 'session', '--session', '1')),
    ).toMatchObject({ nextAfterId: 'p0' });

    const usage = async (args: string[], message: RegExp): Promise<void> => {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    };
    await usage(['count', 'docs', '--consistency', 'strong'], /--consistency.*strong.*choices/s);
    await usage(
      ['count', 'docs', '--max-staleness-ms', '100'],
      /--max-staleness-ms goes with --consistency bounded/,
    );
    await usage(
      ['count', 'docs', '--consistency', 'lease', '--session', '5'],
      /--session goes with --consistency session/,
    );
    await usage(['count', 'docs', '--session', 'abc'], /--session: a session token is a log index/);
  });

  it('delete, then the points are gone', async () => {
    expect(ok(await cli('delete', 'docs', 'vec1', 'p0', 'nope'))).toMatchObject({ deleted: 2 });
    expect(ok(await cli('get', 'docs', 'vec1', 'p0'))).toEqual([]);
    expect(ok(await cli('count', 'docs'))).toEqual({ count: 1199 });
  });

  it('errors: status code and message on stderr, non-zero exit', async () => {
    const r = await cli('describe', 'nope');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^raftvec: NOT_FOUND: collection "nope" does not exist/);

    const dup = await cli('create-collection', 'docs', '--dim', '3');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/ALREADY_EXISTS: collection "docs" already exists/);

    const badName = await cli('create-collection', '../x', '--dim', '3');
    expect(badName.stderr).toMatch(/INVALID_ARGUMENT: collection name "..\/x" is not allowed/);

    const k0 = await cli('search', 'docs', '--vector', '[1,2,3]', '-k', '0');
    expect(k0.code).not.toBe(0);
    expect(k0.stderr).toMatch(/-k must be an integer/);

    const badVector = await cli('search', 'docs', '--vector', 'not a vector');
    expect(badVector.code).not.toBe(0);
    expect(badVector.stderr).toMatch(/expected a JSON list of numbers/);
  });

  it('an unreachable server: UNAVAILABLE, quickly', async () => {
    const r = await runCli(['--address', '127.0.0.1:1', '--timeout', '3000', 'collections']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/UNAVAILABLE/);
  });

  it('RAFTVEC_ADDRESS sets the address', async () => {
    const r = await runCli(['collections'], { env: { RAFTVEC_ADDRESS: node.address } });
    expect((ok(r) as Array<{ name: string }>).map((c) => c.name)).toContain('docs');
  });

  it('status reports the node SERVING as the leader of its cluster of one', async () => {
    const { nodes } = ok(await cli('status', '--json')) as {
      nodes: {
        address: string;
        health: string;
        id: string;
        role: string;
        lag: number;
        appliedIndex: number;
        memory: { rss: string; heapUsed: string };
        faiss: { variant: string; version: string; source: string };
      }[];
    };
    expect(nodes).toHaveLength(1);
    // The FAISS build the node links, as this process's addon reports it.
    const build = faissBuildInfo();
    expect(nodes[0]!.faiss).toEqual({
      variant: build.variant,
      version: build.faissVersion,
      source: build.source,
    });
    // The process's memory as Node reports it (uint64 fields travel as decimal strings).
    expect(Number(nodes[0]!.memory.rss)).toBeGreaterThan(Number(nodes[0]!.memory.heapUsed));
    expect(nodes[0]).toMatchObject({
      address: node.address,
      health: 'SERVING',
      id: 'n1',
      role: 'leader',
      lag: 0,
    });
    const table = await cli('status');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^id\s+address\s+role\s+member\s+term\s+commit\s+applied\s+lag\s+digest\s+rss\s+faiss\s+health/,
    );
    // A cluster of one: the node is its only voter.
    expect(table.stdout).toContain(`n1  ${node.address}  leader  voter`);
    // The node's resident memory, in MB.
    expect(table.stdout).toMatch(new RegExp(`\\s\\d+ MB\\s+${build.variant}\\s+SERVING`));
  });

  it('drop-collection', async () => {
    ok(await cli('drop-collection', 'cos'));
    expect((await cli('describe', 'cos')).stderr).toMatch(/NOT_FOUND/);
  });

  it.each([
    'serve',
    'status',
    'create-collection',
    'drop-collection',
    'collections',
    'describe',
    'upsert',
    'get',
    'search',
    'delete',
    'count',
    'scroll',
  ])('%s --help', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: raftvec ${command}\\b`));
    expect(r.stdout).toMatch(/--help/);
  });

  it('raftvec --help lists every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'create-collection', 'upsert', 'search', 'scroll', 'status'])
      expect(r.stdout).toContain(c);
  });
});
