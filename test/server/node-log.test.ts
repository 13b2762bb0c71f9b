/**
 * The node's structured log (src/server/node-log.ts): JSON lines with the node id and
 * its live Raft term and role, levels and --log-level, redaction, pretty output with
 * a fallback; then a real `raftvec serve --log-level debug` (needs `npm run build`)
 * whose stderr must hold only such lines and no API key, cluster secret or vector.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecClient } from '../../src/client/client.js';
import { ClusterStatusClient } from '../../src/client/cluster-status.js';
import { peerCredentials } from '../../src/raft/runtime/peer-transport.js';
import { generateApiKey } from '../../src/server/api-keys.js';
import {
  createNodeLog,
  levelOf,
  logAt,
  type LogLevelSetting,
  type NodeLogOptions,
} from '../../src/server/node-log.js';
import { ProcessGroup, runCli } from '../support/processes.js';

type Line = Record<string, unknown>;

/** A node log writing into an array of parsed lines. */
function captured(options: Partial<NodeLogOptions> = {}) {
  const lines: Line[] = [];
  const log = createNodeLog({
    nodeId: 'n1',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) },
    ...options,
  });
  return { log, lines };
}

describe('createNodeLog', () => {
  it('writes JSON lines with level, time, nodeId, role, msg; term and role once attached', () => {
    const { log, lines } = captured();
    log('n1: opening the state');
    let term = 3;
    log.attach(() => ({ term, role: 'leader' }));
    log('n1 became leader in term 3');
    term = 4;
    log.at('warn', 'n1: something odd');

    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 'info', nodeId: 'n1', role: 'starting' });
    expect(lines[0]).not.toHaveProperty('term');
    expect(lines[0]!['msg']).toBe('n1: opening the state');
    expect(lines[1]).toMatchObject({
      level: 'info',
      nodeId: 'n1',
      term: 3,
      role: 'leader',
      msg: 'n1 became leader in term 3',
    });
    expect(lines[2]).toMatchObject({ level: 'warn', term: 4, role: 'leader' });
    for (const line of lines) expect(Date.parse(String(line['time']))).not.toBeNaN();
  });

  it('filters by level', () => {
    const levels = (level: LogLevelSetting): unknown[] => {
      const { log, lines } = captured({ level });
      for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)
        log.at(l, `at ${l}`);
      return lines.map((line) => line['level']);
    };
    expect(levels('info')).toEqual(['info', 'warn', 'error', 'fatal']);
    expect(levels('debug')).toEqual(['debug', 'info', 'warn', 'error', 'fatal']);
    expect(levels('warn')).toEqual(['warn', 'error', 'fatal']);
    expect(levels('silent')).toEqual([]);
  });

  it('gives the plain call a level: error with an err, warn for a problem, fatal, else info', () => {
    expect(levelOf('n1 became leader in term 2')).toBe('info');
    expect(levelOf('Search: unexpected error', new Error('x'))).toBe('error');
    expect(levelOf('warning: LevelDB checksum checks are off')).toBe('warn');
    expect(levelOf('n1: UNSAFE TEST FLAGS ON (x): this node breaks safety on purpose')).toBe(
      'warn',
    );
    expect(levelOf('n1: refused a peer call from ipv4:1.2.3.4:5: wrong key')).toBe('warn');
    expect(levelOf('FATAL on n1: storage: disk full')).toBe('fatal');

    const { log, lines } = captured();
    log('Search: unexpected error', new TypeError('boom'));
    expect(lines[0]).toMatchObject({ level: 'error', err: { type: 'TypeError', message: 'boom' } });
  });

  it('logAt uses a level where the logger has one, the plain call elsewhere', () => {
    const { log, lines } = captured({ level: 'debug' });
    logAt(log, 'debug', 'detail');
    expect(lines[0]).toMatchObject({ level: 'debug', msg: 'detail' });
    const plain: string[] = [];
    logAt((m) => plain.push(m), 'debug', 'detail');
    expect(plain).toEqual(['detail']);
  });

  it('censors secret fields, and cuts known secrets out of messages and errors', () => {
    const secret = 'cluster-secret-do-not-print';
    const { log, lines } = captured({ secrets: [secret, undefined] });
    log.pino.info(
      {
        clusterSecret: secret,
        apiKey: 'rvk_abc',
        request: { authorization: 'Bearer rvk_abc', vector: [0.25, 0.5] },
        'x-raftvec-peer-key': 'k',
        payload: { text: 'private' },
      },
      'fields',
    );
    log(`joining with ${secret}`, Object.assign(new Error(`bad ${secret}`), { apiKey: 'rvk_x' }));

    const text = JSON.stringify(lines);
    for (const leaked of [secret, 'rvk_abc', 'rvk_x', '0.25', 'private'])
      expect(text).not.toContain(leaked);
    expect(lines[0]).toMatchObject({
      clusterSecret: '[redacted]',
      apiKey: '[redacted]',
      request: { authorization: '[redacted]', vector: '[redacted]' },
      'x-raftvec-peer-key': '[redacted]',
      payload: '[redacted]',
    });
    expect(lines[1]).toMatchObject({
      level: 'error',
      msg: 'joining with [redacted]',
      err: { message: 'bad [redacted]', apiKey: '[redacted]' },
    });
  });

  it('pretty-prints with pino-pretty, and falls back to JSON without it', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const pretty = createNodeLog({ nodeId: 'n1', pretty: true, destination: out });
    expect(pretty.pretty).toBe(true);
    pretty.attach(() => ({ term: 7, role: 'follower' }));
    pretty('n1: hello');
    await new Promise((r) => setImmediate(r));
    const text = chunks.join('');
    expect(text).toMatch(/INFO.*n1 follower t7: hello/);
    expect(() => JSON.parse(text) as unknown).toThrow();

    const { log, lines } = captured({ pretty: true, prettyModule: 'pino-pretty-not-installed' });
    expect(log.pretty).toBe(false);
    log('n1: hello');
    expect(lines[0]).toMatchObject({ msg: 'n1: hello', nodeId: 'n1' });
  });
});

describe('raftvec serve --log-level', () => {
  const procs = new ProcessGroup();
  afterAll(() => procs.cleanup());

  it('refuses an unknown level, from the flag or RAFTVEC_LOG_LEVEL', async () => {
    const dir = await procs.tempDir('log-level-bad');
    const flag = await runCli(['serve', '--data', join(dir, 'a'), '--log-level', 'loud']);
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/--log-level.*loud/);
    const env = await runCli(['serve', '--data', join(dir, 'b')], {
      env: { RAFTVEC_LOG_LEVEL: 'loud' },
    });
    expect(env.code).not.toBe(0);
    expect(env.stderr).toMatch(/loud/);
  });

  it('logs JSON lines with nodeId, term and role, and never a key, the secret or a vector', async () => {
    const dir = await procs.tempDir('node-log');
    const secret = 'log-test-cluster-secret-7f3a9c';
    const secretFile = join(dir, 'secret');
    await writeFile(secretFile, `${secret}\n`);
    await chmod(secretFile, 0o600);
    const admin = generateApiKey('admin', 'admin');
    const keysFile = join(dir, 'keys.json');
    await writeFile(keysFile, JSON.stringify({ keys: [admin.entry] }));

    const node = await procs.startNode({
      dataDir: join(dir, 'data'),
      name: 'node-log',
      args: [
        '--log-level',
        'debug',
        '--cluster-secret-file',
        secretFile,
        '--api-keys-file',
        keysFile,
      ],
      env: { RAFTVEC_LOG_LEVEL: 'error' },
    });
    // Exactly representable in float32, and unlike anything else a log line holds.
    const vectors = [
      [12345.5, 6789.25, 4242.125],
      [9876.5, 5432.75, 1357.625],
    ];
    const client = new RaftvecClient(node.address, { apiKey: admin.key });
    const wrongKey = new RaftvecClient(node.address, { apiKey: 'rvk_wrong-key-for-the-log-test' });
    const cluster = new ClusterStatusClient(node.address, { apiKey: admin.key });
    const impostor = new ClusterStatusClient(node.address);
    try {
      await client.createCollection('docs', { dimension: 3 });
      await client.upsert('docs', [
        { id: 'a', vector: vectors[0]!, metadata: { note: 'first' } },
        { id: 'b', vector: vectors[1]!, metadata: { note: 'second' } },
      ]);
      expect(await client.search('docs', vectors[0]!, { k: 1 })).toHaveLength(1);
      expect(await client.get('docs', ['a', 'b'])).toHaveLength(2);
      await expect(wrongKey.count('docs')).rejects.toThrow(/API key/);
      await cluster.takeSnapshot(new grpc.Metadata());
      await expect(
        impostor.takeSnapshot(peerCredentials('another-cluster-secret', 'n9')),
      ).rejects.toThrow();
    } finally {
      client.close();
      wrongKey.close();
      cluster.close();
      impostor.close();
    }
    const exit = await node.kill('SIGTERM');
    expect(exit, node.describe()).toEqual({ code: 0, signal: null });

    const stderr = node.stderr;
    for (const leaked of [
      admin.key,
      admin.key.slice(4),
      'rvk_wrong-key-for-the-log-test',
      secret,
      peerCredentials(secret, 'n1').get('x-raftvec-peer-key')[0] as string,
      ...vectors.flat().map(String),
    ])
      expect(stderr, `stderr holds ${leaked}`).not.toContain(leaked);

    const lines = stderr.split('\n').filter((l) => l !== '');
    const parsed = lines.map((l) => {
      expect(() => JSON.parse(l) as unknown, `not JSON: ${l}`).not.toThrow();
      return JSON.parse(l) as Line;
    });
    // The flag wins over RAFTVEC_LOG_LEVEL=error: info lines are there.
    expect(parsed.some((l) => l['level'] === 'info')).toBe(true);
    expect(parsed.some((l) => /took snapshot/.test(String(l['msg'])))).toBe(true);
    expect(parsed.at(-1)).toMatchObject({ msg: 'stopped' });
    const started = parsed.findIndex((l) => typeof l['term'] === 'number');
    expect(started, stderr).toBeGreaterThanOrEqual(0);
    parsed.forEach((l, i) => {
      expect(l, lines[i]).toMatchObject({ nodeId: 'n1', role: expect.any(String) as unknown });
      expect(typeof l['level'], lines[i]).toBe('string');
      expect(typeof l['time'], lines[i]).toBe('string');
      if (i >= started) expect(typeof l['term'], lines[i]).toBe('number');
      else expect(l['role'], lines[i]).toBe('starting');
    });
  });
});
