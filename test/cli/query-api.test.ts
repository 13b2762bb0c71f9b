/**
 * The CLI's filter, payload and payload-index commands (node bin/raftvec.js) against a
 * real server process. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcessGroup, runCli, type CliResult, type NodeProcess } from '../support/processes.js';

const procs = new ProcessGroup();
let node: NodeProcess;

/** Runs the CLI against the test server. */
const cli = (...args: string[]): Promise<CliResult> => runCli(['--address', node.address, ...args]);

function ok(r: CliResult): unknown {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

/** A run that fails with exit code `code` and a message on stderr matching `message`. */
function fails(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(message);
}

type Point = { id: string; metadata?: Record<string, unknown> };
const ids = (points: unknown): string[] => (points as Point[]).map((p) => p.id);

beforeAll(async () => {
  const dir = await procs.tempDir('cli-query');
  node = await procs.startNode({ dataDir: join(dir, 'data'), name: 'cli-query-server' });
  const file = join(dir, 'points.jsonl');
  const cities = ['London', 'Berlin', 'London', 'Moscow', 'Moscow'];
  await writeFile(
    file,
    cities
      .map((city, i) =>
        JSON.stringify({ id: `p${i + 1}`, vector: [i, 0], metadata: { city, n: i + 1 } }),
      )
      .join('\n'),
  );
  for (const name of ['q', 'del']) {
    ok(await runCli(['--address', node.address, 'create-collection', name, '--dim', '2']));
    ok(await runCli(['--address', node.address, 'upsert', name, '--file', file]));
  }
});
afterAll(() => procs.cleanup());

describe('raftvec CLI: filters, payloads, payload indexes', () => {
  it('delete --filter deletes every match (full filter form); ids still work', async () => {
    const res = ok(
      await cli(
        'delete',
        'del',
        '--filter',
        '{"should":[{"key":"city","equals":"Moscow"},{"key":"n","range":{"lt":2}}],"mustNot":[{"key":"n","equals":5}]}',
      ),
    );
    expect(res).toMatchObject({ deleted: 2 }); // p1 and p4
    const page = ok(await cli('scroll', 'del', '--no-vector', '--no-metadata')) as {
      points: Point[];
    };
    expect(ids(page.points)).toEqual(['p2', 'p3', 'p5']);
    expect(ok(await cli('delete', 'del', 'p2'))).toMatchObject({ deleted: 1 });
    expect(ok(await cli('count', 'del'))).toEqual({ count: 2 });
  });

  it('set-payload, overwrite-payload and delete-payload-keys, by --ids and by --filter', async () => {
    expect(
      ok(await cli('set-payload', 'q', '--ids', 'p1,p2', '--payload', '{"tag":"x","n":10}')),
    ).toMatchObject({ updated: 2 });
    expect(
      ok(
        await cli(
          'set-payload',
          'q',
          '--filter',
          '{"city":"Moscow"}',
          '--payload',
          '{"east":true}',
        ),
      ),
    ).toMatchObject({ updated: 2 });
    expect(
      ok(await cli('overwrite-payload', 'q', '--ids', 'p3', '--payload', '{"only":1}')),
    ).toMatchObject({ updated: 1 });
    expect(
      ok(
        await cli(
          'delete-payload-keys',
          'q',
          '--filter',
          '{"must":[{"key":"tag","exists":true}]}',
          '--keys',
          'tag,city',
        ),
      ),
    ).toMatchObject({ updated: 2 });
    expect(ok(await cli('get', 'q', 'p1', 'p2', 'p3', 'p4', '--no-vector'))).toEqual([
      { id: 'p1', metadata: { n: 10 } },
      { id: 'p2', metadata: { n: 10 } },
      { id: 'p3', metadata: { only: 1 } },
      { id: 'p4', metadata: { city: 'Moscow', n: 4, east: true } },
    ]);
  });

  it('a payload write naming a missing id: NOT_FOUND, exit 1, nothing changed', async () => {
    fails(
      await cli('set-payload', 'q', '--ids', 'p1,nope', '--payload', '{"touched":true}'),
      1,
      /^raftvec: NOT_FOUND: .*"nope".*nothing was changed/,
    );
    expect(ok(await cli('count', 'q', '--filter', '{"touched":true}'))).toEqual({ count: 0 });
  });

  it('create-payload-index and drop-payload-index; describe and collections show them', async () => {
    expect(ok(await cli('create-payload-index', 'q', 'city', 'keyword'))).toMatchObject({
      logIndex: expect.any(Number) as number,
    });
    ok(await cli('create-payload-index', 'q', 'n', 'integer'));
    const expected = [
      { key: 'city', type: 'keyword' },
      { key: 'n', type: 'integer' },
    ];
    expect(ok(await cli('describe', 'q'))).toMatchObject({ payloadIndexes: expected });
    expect(ok(await cli('describe-collection', 'q'))).toMatchObject({ payloadIndexes: expected });
    const all = ok(await cli('collections')) as Array<{ name: string; payloadIndexes: unknown }>;
    expect(all.find((c) => c.name === 'q')?.payloadIndexes).toEqual(expected);
    // a filter on indexed keys
    expect(ok(await cli('count', 'q', '--filter', '{"city":"Moscow","n":{"gte":5}}'))).toEqual({
      count: 1,
    });
    ok(await cli('drop-payload-index', 'q', 'city'));
    expect(ok(await cli('describe', 'q'))).toMatchObject({
      payloadIndexes: [{ key: 'n', type: 'integer' }],
    });
    fails(
      await cli('drop-payload-index', 'q', 'city'),
      1,
      /NOT_FOUND: .*no payload index on "city"/,
    );
  });

  it('search --by-point, --score-threshold and --metadata-keys', async () => {
    const hits = ok(
      await cli(
        'search',
        'q',
        '--by-point',
        'p3',
        '-k',
        '4',
        '--score-threshold',
        '1',
        '--metadata-keys',
        'n',
      ),
    ) as Array<{ id: string; score: number; metadata: unknown }>;
    // p2 and p4 are 1 away (squared l2); p1 and p5 4, beyond the threshold; p3 itself left out
    expect(ids(hits).sort()).toEqual(['p2', 'p4']);
    expect(hits.map((h) => h.score)).toEqual([1, 1]);
    expect(hits.map((h) => h.metadata)).toContainEqual({ n: 4 });
    expect(
      ids(ok(await cli('search', 'q', '--vector', '[4,0]', '-k', '1', '--score-threshold', '0'))),
    ).toEqual(['p5']);
    fails(await cli('search', 'q', '--by-point', 'nope'), 1, /NOT_FOUND: .*"nope"/);
  });

  it('usage errors name the option, exit 2, and send nothing', async () => {
    fails(
      await cli('delete', 'q', '--filter', '{bad json'),
      2,
      /option '--filter <json>' argument .* is invalid\. --filter is not valid JSON/,
    );
    fails(
      await cli('set-payload', 'q', '--ids', 'p1', '--payload', '[1,2]'),
      2,
      /--payload must be a JSON object/,
    );
    fails(
      await cli('count', 'q', '--filter', '{"must":[],"must_not":[]}'),
      2,
      /--filter: "must_not" is not a field of a filter/,
    );
    fails(await cli('delete', 'q', 'p1', '--filter', '{"n":1}'), 2, /ids or --filter, not both/);
    fails(await cli('delete', 'q'), 2, /give the ids of the points to delete, or --filter/);
    fails(
      await cli('set-payload', 'q', '--payload', '{"a":1}'),
      2,
      /set-payload: say which points: --ids a,b or --filter/,
    );
    fails(
      await cli('delete-payload-keys', 'q', '--ids', 'p1', '--filter', '{"n":1}', '--keys', 'a'),
      2,
      /--ids or --filter, not both/,
    );
    fails(await cli('search', 'q', '-k', '2'), 2, /give the query as --vector .* or as --by-point/);
    fails(
      await cli('search', 'q', '--vector', '[0,0]', '--by-point', 'p1'),
      2,
      /--vector .* or as --by-point ID \(one of them\)/,
    );
    fails(
      await cli('create-payload-index', 'q', 'city', 'text'),
      2,
      /Allowed choices are keyword, integer, float, bool, datetime/,
    );
    fails(
      await cli('search', 'q', '--vector', '[0,0]', '--score-threshold', 'near'),
      2,
      /--score-threshold must be a number/,
    );
    fails(
      await cli('get', 'q', 'p1', '--no-metadata', '--metadata-keys', 'n'),
      2,
      /--metadata-keys or --no-metadata, not both/,
    );
    // nothing was written by any of them
    expect(ok(await cli('count', 'q'))).toEqual({ count: 5 });
  });

  it('raftvec --help lists the new commands; set-payload --help its options', async () => {
    const all = await runCli(['--help']);
    expect(all.code, all.stderr).toBe(0);
    for (const command of [
      'set-payload',
      'overwrite-payload',
      'delete-payload-keys',
      'create-payload-index',
      'drop-payload-index',
    ])
      expect(all.stdout).toContain(command);
    const one = await runCli(['set-payload', '--help']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^Usage: raftvec set-payload \[options\] <collection>/);
    for (const option of ['--ids', '--filter', '--payload', '--write-concern'])
      expect(one.stdout).toContain(option);
  });
});
