/**
 * API keys end to end: an in-process node started with keys, called through
 * RaftvecClient (unary and WriteStream), ClusterStatusClient and raw gRPC. Each role
 * is admitted to its calls and refused the others; no key and unknown keys are
 * UNAUTHENTICATED; `api-key` works as well as `authorization: Bearer`; health stays
 * open; a caller cannot grant itself a role with the interceptor's own header; and
 * neither a key nor its digest reaches the node's log or an error message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftvecClient, RaftvecClientError, checkHealth } from '../../src/client/index.js';
import { ClusterStatusClient } from '../../src/client/cluster-status.js';
import { loadVectorProto } from '../../src/api/proto.js';
import {
  ApiKeys,
  ApiKeysFileError,
  VERIFIED_ROLE_HEADER,
  generateApiKey,
  loadApiKeys,
} from '../../src/server/api-keys.js';
import { expectStatus } from '../support/expect-error.js';
import { startTestNode, type TestNode } from '../support/in-process.js';

const reader = generateApiKey('reader', 'read');
const writer = generateApiKey('writer', 'write');
const admin = generateApiKey('admin', 'admin');
const ALL = [reader, writer, admin];

let dir: string;
let t: TestNode;
/** Every line the node logged (message and error), for the no-secret-in-logs check. */
const logged: string[] = [];
const clients: Array<{ close(): void }> = [];

/** A RaftvecClient with `apiKey` (none if undefined), closed after the tests. */
function client(apiKey?: string, writeStream = true): RaftvecClient {
  const c = new RaftvecClient(t.address, {
    deadlineMs: 5_000,
    retry: { maxAttempts: 1 },
    writeStream,
    ...(apiKey !== undefined && { apiKey }),
  });
  clients.push(c);
  return c;
}

function cluster(apiKey?: string): ClusterStatusClient {
  const c = new ClusterStatusClient(t.address, { ...(apiKey !== undefined && { apiKey }) });
  clients.push(c);
  return c;
}

/** A ClusterService call's rejection as a RaftvecClientError (for expectStatus). */
const wrapped = <T>(method: string, p: Promise<T>): Promise<T> =>
  p.catch((err: unknown) => {
    throw RaftvecClientError.fromServiceError(method, err);
  });

/** An error message that gives away no key and no digest. */
function expectNoSecret(text: string): void {
  for (const { key, entry } of ALL) {
    expect(text).not.toContain(key);
    expect(text).not.toContain(entry.sha256);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftvec-api-keys-'));
  const file = join(dir, 'keys.json');
  await writeFile(file, JSON.stringify({ keys: ALL.map((k) => k.entry) }));
  t = await startTestNode({
    apiKeys: await loadApiKeys(file),
    log: (message, err) =>
      logged.push(`${message} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  await client(admin.key).createCollection('docs', { dimension: 2 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('roles on a node with API keys', () => {
  it('read: search, count, get, scroll, collections and Status; no upsert, no createCollection', async () => {
    const c = client(reader.key);
    await client(writer.key).upsert('docs', [{ id: 'r1', vector: [1, 0] }]);
    expect(await c.count('docs')).toBeGreaterThanOrEqual(1);
    expect((await c.search('docs', [1, 0], { k: 1 }))[0]?.id).toBeDefined();
    expect(await c.get('docs', ['r1'])).toHaveLength(1);
    expect((await c.scroll('docs')).points.length).toBeGreaterThanOrEqual(1);
    expect((await c.listCollections()).map((x) => x.name)).toContain('docs');
    expect((await cluster(reader.key).status()).role).toBe('leader');
    for (const streamed of [true, false]) {
      const e = await expectStatus(
        client(reader.key, streamed).upsert('docs', [{ id: 'no', vector: [0, 1] }]),
        'PERMISSION_DENIED',
        /write role/,
        /"reader" has read/,
      );
      expectNoSecret(e.message);
    }
    await expectStatus(c.createCollection('nope', { dimension: 2 }), 'PERMISSION_DENIED');
    await expectStatus(
      wrapped('TakeSnapshot', cluster(reader.key).takeSnapshot(new grpc.Metadata())),
      'PERMISSION_DENIED',
    );
  });

  it('write: upsert (stream and unary), delete, payload and batch; no createCollection', async () => {
    for (const streamed of [true, false]) {
      const c = client(writer.key, streamed);
      expect(await c.upsert('docs', [{ id: `w-${streamed}`, vector: [0, 1] }])).toMatchObject({
        upserted: 1,
      });
      expect((await c.setPayload('docs', [`w-${streamed}`], { seen: true })).updated).toBe(1);
      expect((await c.delete('docs', [`w-${streamed}`])).deleted).toBe(1);
    }
    const c = client(writer.key);
    await c.updateBatch('docs', [{ upsert: [{ id: 'b1', vector: [1, 1] }] }, { delete: ['b1'] }]);
    expect(await c.count('docs')).toBeGreaterThanOrEqual(1);
    await expectStatus(c.createCollection('nope', { dimension: 2 }), 'PERMISSION_DENIED');
    await expectStatus(c.createPayloadIndex('docs', 'n', 'integer'), 'PERMISSION_DENIED');
  });

  it('admin: collections, payload indexes, and ClusterService TakeSnapshot without the cluster secret', async () => {
    const c = client(admin.key);
    await c.createCollection('admin-made', { dimension: 3 });
    await c.createPayloadIndex('admin-made', 'n', 'integer');
    await c.upsert('admin-made', [{ id: 'a', vector: [1, 2, 3], metadata: { n: 1 } }]);
    expect(await c.count('admin-made', { filter: { must: [{ key: 'n', equals: 1 }] } })).toBe(1);
    await c.dropCollection('admin-made');
    const taken = await cluster(admin.key).takeSnapshot(new grpc.Metadata());
    expect(taken.index).toBeGreaterThan(0);
    expect((await cluster(admin.key).listMembers()).members.map((m) => m.id)).toEqual(['n1']);
  });

  it('no key, or a key the node does not hold: UNAUTHENTICATED, without echoing the key', async () => {
    await expectStatus(client().count('docs'), 'UNAUTHENTICATED', /needs an API key/);
    await expectStatus(
      client(undefined, true).upsert('docs', [{ id: 'x', vector: [0, 0] }]),
      'UNAUTHENTICATED',
    );
    await expectStatus(
      wrapped('Status', cluster().status()),
      'UNAUTHENTICATED',
      /needs an API key/,
    );
    const stranger = generateApiKey('stranger', 'admin').key;
    const e = await expectStatus(client(stranger).count('docs'), 'UNAUTHENTICATED', /not one/);
    expect(e.message).not.toContain(stranger);
    expectNoSecret(e.message);
  });

  it('the api-key header works as well as authorization: Bearer', async () => {
    const { proto } = loadVectorProto();
    const raw = new proto.raftvec.v1.VectorService(t.address, grpc.credentials.createInsecure());
    clients.push(raw);
    const count = (metadata: grpc.Metadata) =>
      new Promise<number>((resolve, reject) =>
        raw.Count({ collection: 'docs' }, metadata, (err, res) =>
          err ? reject(RaftvecClientError.fromServiceError('Count', err)) : resolve(res!.count),
        ),
      );
    const md = (entries: Record<string, string>): grpc.Metadata => {
      const m = new grpc.Metadata();
      for (const [k, v] of Object.entries(entries)) m.set(k, v);
      return m;
    };
    expect(await count(md({ 'api-key': reader.key }))).toBeGreaterThanOrEqual(1);
    expect(await count(md({ authorization: `Bearer ${reader.key}` }))).toBeGreaterThanOrEqual(1);
    await expectStatus(count(md({ 'api-key': 'rvk_wrong' })), 'UNAUTHENTICATED');
    await expectStatus(count(md({ authorization: reader.key })), 'UNAUTHENTICATED');
  });

  it('health answers without a key', async () => {
    expect(await checkHealth(t.address)).toBe('SERVING');
  });

  it(`a caller's own ${VERIFIED_ROLE_HEADER} header grants nothing`, async () => {
    const forged = new grpc.Metadata();
    forged.set(VERIFIED_ROLE_HEADER, 'admin');
    // With a read key: still read.
    await expectStatus(
      wrapped('TakeSnapshot', cluster(reader.key).takeSnapshot(forged)),
      'PERMISSION_DENIED',
    );
    // With no key: still none.
    await expectStatus(wrapped('TakeSnapshot', cluster().takeSnapshot(forged)), 'UNAUTHENTICATED');
  });

  it('a bad apiKey option is refused at construction, without echoing it', () => {
    for (const bad of ['', 'has space', 'new\nline']) {
      let message = '';
      try {
        new RaftvecClient(t.address, { apiKey: bad });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/apiKey must be/);
      if (bad !== '') expect(message).not.toContain(bad);
    }
  });

  it('neither a key nor its digest appears in the node log', () => {
    expectNoSecret(logged.join('\n'));
  });
});

describe('without API keys', () => {
  it(`TakeSnapshot with a forged ${VERIFIED_ROLE_HEADER}: admin and no cluster secret is UNAUTHENTICATED`, async () => {
    const open = await startTestNode();
    const c = new ClusterStatusClient(open.address);
    try {
      const forged = new grpc.Metadata();
      forged.set(VERIFIED_ROLE_HEADER, 'admin');
      await expectStatus(wrapped('TakeSnapshot', c.takeSnapshot(forged)), 'UNAUTHENTICATED');
      // And a key sent to a node that asks none is simply not looked at.
      const keyed = new RaftvecClient(open.address, { apiKey: reader.key });
      try {
        await keyed.createCollection('c', { dimension: 2 });
      } finally {
        keyed.close();
      }
    } finally {
      c.close();
      await open.close();
    }
  });
});

describe('loadApiKeys', () => {
  const sha = (c: string): string => c.repeat(64);

  async function refusal(content: string): Promise<string> {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, content);
    try {
      await loadApiKeys(file);
    } catch (err) {
      expect(err).toBeInstanceOf(ApiKeysFileError);
      return (err as Error).message;
    }
    throw new Error(`loadApiKeys accepted ${content}`);
  }

  it('refuses bad JSON, a bad role, a bad sha256 and a duplicate id, never echoing a digest', async () => {
    const digests = [sha('a'), sha('b'), `${sha('c').slice(0, 63)}z`, sha('d').slice(0, 40)];
    const cases: Array<[string, RegExp]> = [
      [`{"keys": [{"id": "x", "role": "read", "sha256": "${digests[0]}"}`, /is not valid JSON/],
      [JSON.stringify({ keys: [{ id: 'x', role: 'root', sha256: digests[0] }] }), /role must be/],
      [JSON.stringify({ keys: [{ id: 'x', role: 'read', sha256: digests[2] }] }), /sha256 must/],
      [JSON.stringify({ keys: [{ id: 'x', role: 'read', sha256: digests[3] }] }), /sha256 must/],
      [
        JSON.stringify({
          keys: [
            { id: 'x', role: 'read', sha256: digests[0] },
            { id: 'x', role: 'admin', sha256: digests[1] },
          ],
        }),
        /"x" is used twice/,
      ],
      [JSON.stringify({ keys: [] }), /at least one key/],
      [JSON.stringify({ nokeys: true }), /at least one key/],
    ];
    for (const [content, expected] of cases) {
      const message = await refusal(content);
      expect(message).toMatch(expected);
      for (const d of digests) expect(message).not.toContain(d);
    }
  });

  it('accepts a good file (digests in either case) and checks keys against it', async () => {
    const file = join(dir, 'good.json');
    await writeFile(
      file,
      JSON.stringify({ keys: [{ ...reader.entry, sha256: reader.entry.sha256.toUpperCase() }] }),
    );
    const keys = await loadApiKeys(file);
    expect(keys).toBeInstanceOf(ApiKeys);
    expect(keys.size).toBe(1);
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${reader.key}`);
    expect(keys.check('/raftvec.v1.VectorService/Count', md)).toMatchObject({
      ok: true,
      role: 'read',
      keyId: 'reader',
    });
  });
});
