/**
 * TLS end to end, with certificates from scripts/dev-certs.sh (openssl):
 *
 * - TLS off: plaintext clients work, TLS clients cannot connect.
 * - TLS on (`--tls-cert`): only TLS clients that trust the CA get in; the files are read
 *   again on SIGHUP and when they change, a bad new set is refused and the old one kept.
 * - Mutual TLS between nodes (`--peer-*`, real `serve` processes): the cluster elects
 *   and replicates; a peer call without a certificate, with one from another CA, or
 *   with one naming another node is refused, even with a valid peer key; a message
 *   whose `from` is not the stream's node is dropped; cluster-secret admin calls need a
 *   certificate naming the caller too; the CLI connects with --tls-ca.
 * - A node refuses to start with files that do not fit together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { RaftvecClient, channelCredentials } from '../../src/client/index.js';
import { ClusterStatusClient } from '../../src/client/cluster-status.js';
import { NodeTls, TlsConfigError } from '../../src/server/tls.js';
import {
  PEER_ID_HEADER,
  PEER_KEY_HEADER,
  peerCredentials,
  peerKey,
} from '../../src/raft/runtime/peer-transport.js';
import { startTestNode, type TestNode } from '../support/in-process.js';
import { deliverAsPeer } from '../support/peer-stream.js';
import { ProcessGroup, runCli, waitFor } from '../support/processes.js';
import { TEST_CLUSTER_SECRET, TestCluster } from '../support/cluster.js';

const devCerts = join(import.meta.dirname, '..', '..', 'scripts', 'dev-certs.sh');

let certs: string;
let rogue: string;
let scratch: string;

const pem = (dir: string, name: string): Buffer => readFileSync(join(dir, name));

/** The SHA-256 fingerprint of the certificate `address` presents in a TLS handshake. */
function servedFingerprint(address: string, ca: Buffer): Promise<string> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    address.slice(address.lastIndexOf(':') + 1),
  ];
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host, port: Number(port), ca, ALPNProtocols: ['h2'], servername: 'localhost' },
      () => {
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        socket.destroy();
        resolve(fingerprint);
      },
    );
    socket.once('error', reject);
  });
}

const fingerprintOf = (file: string): string =>
  new X509Certificate(readFileSync(file)).fingerprint256;

beforeAll(async () => {
  certs = await mkdtemp(join(tmpdir(), 'raftvec-tls-certs-'));
  rogue = await mkdtemp(join(tmpdir(), 'raftvec-tls-rogue-'));
  scratch = await mkdtemp(join(tmpdir(), 'raftvec-tls-scratch-'));
  execFileSync('bash', [devCerts, certs, 'n1', 'n2', 'n3', 'raftvec-cli'], { stdio: 'ignore' });
  // Another CA, with a certificate that claims to be n2.
  execFileSync('bash', [devCerts, rogue, 'n2'], { stdio: 'ignore' });
});

afterAll(async () => {
  for (const dir of [certs, rogue, scratch]) await rm(dir, { recursive: true, force: true });
});

const trusting = (): grpc.ChannelCredentials => channelCredentials({ ca: pem(certs, 'ca.pem') });

async function writesAndReads(
  address: string,
  credentials: grpc.ChannelCredentials,
): Promise<void> {
  const client = new RaftvecClient(address, { credentials, deadlineMs: 10_000 });
  try {
    await client.createCollection('docs', { dimension: 2 });
    await client.upsert('docs', [{ id: 'a', vector: [1, 0] }]);
    const hits = await client.search('docs', [1, 0], { k: 1 });
    expect(hits.map((h) => h.id)).toEqual(['a']);
  } finally {
    client.close();
  }
}

async function refused(address: string, credentials: grpc.ChannelCredentials): Promise<unknown> {
  const client = new RaftvecClient(address, {
    credentials,
    deadlineMs: 2_000,
    retry: { maxAttempts: 1 },
  });
  try {
    return await client.listCollections().then(
      () => undefined,
      (err: unknown) => err,
    );
  } finally {
    client.close();
  }
}

describe('TLS off', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(() => t.close());

  it('serves plaintext clients and no TLS client', async () => {
    await writesAndReads(t.address, grpc.credentials.createInsecure());
    const err = await refused(t.address, trusting());
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('TLS on one node (--tls-cert, --tls-key)', () => {
  let t: TestNode;
  const logged: string[] = [];
  const certFile = (): string => join(scratch, 'live.pem');
  const keyFile = (): string => join(scratch, 'live-key.pem');

  beforeAll(async () => {
    copyFileSync(join(certs, 'n1.pem'), certFile());
    copyFileSync(join(certs, 'n1-key.pem'), keyFile());
    t = await startTestNode({
      tls: { server: { certFile: certFile(), keyFile: keyFile() } },
      log: (message) => logged.push(message),
    });
  });
  afterAll(() => t.close());

  it('serves TLS clients that trust its CA', async () => {
    await writesAndReads(t.address, trusting());
  });

  it('turns away plaintext clients and clients that do not trust the CA', async () => {
    expect(await refused(t.address, grpc.credentials.createInsecure())).toMatchObject({
      code: 'UNAVAILABLE',
    });
    // The system's roots do not include the development CA.
    expect(await refused(t.address, channelCredentials(true))).toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('reloads the certificate on SIGHUP, and keeps it when the new files do not fit', async () => {
    const ca = pem(certs, 'ca.pem');
    expect(await servedFingerprint(t.address, ca)).toBe(fingerprintOf(join(certs, 'n1.pem')));

    // A new certificate and key for the same node, from the same CA.
    const next = await mkdtemp(join(scratch, 'next-'));
    copyFileSync(join(certs, 'ca.pem'), join(next, 'ca.pem'));
    copyFileSync(join(certs, 'ca-key.pem'), join(next, 'ca-key.pem'));
    execFileSync('bash', [devCerts, next, 'n1'], { stdio: 'ignore' });
    copyFileSync(join(next, 'n1.pem'), certFile());
    copyFileSync(join(next, 'n1-key.pem'), keyFile());
    process.emit('SIGHUP', 'SIGHUP');
    expect(await servedFingerprint(t.address, ca)).toBe(fingerprintOf(join(next, 'n1.pem')));
    expect(logged.some((l) => /reloaded the TLS certificates \(SIGHUP\)/.test(l))).toBe(true);

    // A certificate whose key is not in the key file: refused, the current one stays.
    copyFileSync(join(certs, 'n2.pem'), certFile());
    process.emit('SIGHUP', 'SIGHUP');
    expect(logged.some((l) => /kept the current TLS certificates \(SIGHUP\)/.test(l))).toBe(true);
    expect(await servedFingerprint(t.address, ca)).toBe(fingerprintOf(join(next, 'n1.pem')));
    await writesAndReads(t.address, trusting()).catch((err: unknown) => {
      // The collection exists from the first test: only the search matters here.
      if (!/already exists/.test(String(err))) throw err;
    });
  });

  it('reloads the certificate when its files change, without a signal', async () => {
    const ca = pem(certs, 'ca.pem');
    copyFileSync(join(certs, 'n1.pem'), certFile());
    copyFileSync(join(certs, 'n1-key.pem'), keyFile());
    await waitFor(
      'the node to present the certificate written to its files',
      async () =>
        (await servedFingerprint(t.address, ca)) === fingerprintOf(join(certs, 'n1.pem'))
          ? true
          : undefined,
      { timeoutMs: 20_000 },
    );
    expect(logged.some((l) => /reloaded the TLS certificates \(.*live.*changed\)/.test(l))).toBe(
      true,
    );
  });
});

describe('files that do not fit together', () => {
  const load =
    (options: Parameters<typeof NodeTls.load>[0], id = 'n1') =>
    () =>
      NodeTls.load(options, id, () => undefined, 10_000);

  it('refuses a peer certificate that names another node', () => {
    const peer = {
      caFile: join(certs, 'ca.pem'),
      certFile: join(certs, 'n2.pem'),
      keyFile: join(certs, 'n2-key.pem'),
    };
    expect(load({ peer })).toThrow(TlsConfigError);
    expect(load({ peer })).toThrow(
      /names CN=n2; a node's peer certificate must name its node id \(CN=n1\)/,
    );
  });

  it('takes a --peer-ca bundle of several CAs, whichever signed the peer certificate', () => {
    const bundle = join(scratch, 'bundle.pem');
    writeFileSync(bundle, Buffer.concat([pem(rogue, 'ca.pem'), pem(certs, 'ca.pem')]));
    const peer = {
      caFile: bundle,
      certFile: join(certs, 'n1.pem'),
      keyFile: join(certs, 'n1-key.pem'),
    };
    expect(load({ peer })()).toBeInstanceOf(NodeTls);
  });

  it('refuses a peer certificate another CA signed', () => {
    const peer = {
      caFile: join(certs, 'ca.pem'),
      certFile: join(rogue, 'n2.pem'),
      keyFile: join(rogue, 'n2-key.pem'),
    };
    expect(load({ peer }, 'n2')).toThrow(/is not signed by the CA in --peer-ca/);
  });

  it('refuses a key that is not the certificate’s, and a missing file', () => {
    const server = { certFile: join(certs, 'n1.pem'), keyFile: join(certs, 'n2-key.pem') };
    expect(load({ server })).toThrow(/--tls-key .*n2-key.pem is not the key of the certificate/);
    expect(load({ server: { ...server, certFile: join(certs, 'nope.pem') } })).toThrow(
      /--tls-cert .*nope.pem: cannot read it/,
    );
  });

  it('refuses TLS without mutual TLS in a cluster of more than one node', async () => {
    await expect(
      startTestNode({
        id: 'n1',
        clusterSecret: 'x'.repeat(32),
        peers: new Map([
          ['n1', '127.0.0.1:0'],
          ['n2', '127.0.0.1:1'],
        ]),
        tls: { server: { certFile: join(certs, 'n1.pem'), keyFile: join(certs, 'n1-key.pem') } },
      }),
    ).rejects.toThrow(
      /needs mutual TLS between its nodes too: --peer-ca, --peer-cert and --peer-key/,
    );
  });
});

describe('mutual TLS between nodes (--peer-ca, --peer-cert, --peer-key)', () => {
  const group = new ProcessGroup();
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(group, 3, {
      credentials: trusting(),
      argsFor: (m) => [
        '--peer-ca',
        join(certs, 'ca.pem'),
        '--peer-cert',
        join(certs, `${m.id}.pem`),
        '--peer-key',
        join(certs, `${m.id}-key.pem`),
      ],
    });
  }, 90_000);
  afterAll(() => group.cleanup());

  const n1 = (): string => cluster.member('n1').address;
  const as = (id: string): Record<string, string> => ({
    [PEER_ID_HEADER]: id,
    [PEER_KEY_HEADER]: peerKey(TEST_CLUSTER_SECRET, id),
  });
  const withCertificate = (dir: string, id: string): grpc.ChannelCredentials =>
    grpc.credentials.createSsl(
      pem(certs, 'ca.pem'),
      pem(dir, `${id}-key.pem`),
      pem(dir, `${id}.pem`),
    );
  const heartbeat = (from: string, term: number) => ({
    from,
    to: 'n1',
    term,
    heartbeat: { commit: 0, readContext: 0 },
  });

  it('elects a leader and replicates writes to every node', async () => {
    const leader = await cluster.waitForLeader();
    const client = cluster.client();
    try {
      await client.createCollection('docs', { dimension: 2 });
      const write = await client.upsert('docs', [{ id: 'a', vector: [0, 1] }], {
        writeConcern: 'all',
      });
      for (const m of cluster.members) await cluster.waitForApplied(m.id, write.logIndex);
    } finally {
      client.close();
    }
    expect(leader.term).toBeGreaterThan(0);
  });

  it('refuses a peer call without a certificate, even with a valid peer key', async () => {
    const status = await deliverAsPeer(n1(), as('n2'), [heartbeat('n2', 1)], trusting());
    expect(status?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(status?.details).toMatch(/no client certificate signed by the peer CA/);
    // And plaintext does not even reach gRPC.
    const plain = await deliverAsPeer(n1(), as('n2'), [], grpc.credentials.createInsecure());
    expect(plain?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses a certificate from another CA that claims the right node', async () => {
    const status = await deliverAsPeer(
      n1(),
      as('n2'),
      [heartbeat('n2', 1)],
      withCertificate(rogue, 'n2'),
    );
    expect(status?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(status?.details).toMatch(/no client certificate signed by the peer CA/);
  });

  it("refuses a node's certificate used to claim another node (a spoofed peer id)", async () => {
    const status = await deliverAsPeer(
      n1(),
      as('n2'),
      [heartbeat('n2', 1)],
      withCertificate(certs, 'n3'),
    );
    expect(status?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(status?.details).toMatch(/names CN=n3, not n2/);
  });

  it("drops a message whose from is not the certificate's node (a spoofed from)", async () => {
    const status = await deliverAsPeer(
      n1(),
      as('n3'),
      [heartbeat('n2', 1)],
      withCertificate(certs, 'n3'),
    );
    expect(status).toBeNull();
    const node = cluster.member('n1').process!;
    await waitFor(
      'n1 to log the dropped message',
      () =>
        /claims to be from n2, but the stream authenticated as n3/.test(node.stderr)
          ? true
          : undefined,
      { timeoutMs: 10_000 },
    );
  });

  it('takes cluster-secret admin calls only with a certificate naming the caller', async () => {
    const leader = await cluster.waitForLeader();
    const secret = peerCredentials(TEST_CLUSTER_SECRET, 'raftvec-cli');
    const without = new ClusterStatusClient(leader.address, { credentials: trusting() });
    const withCert = new ClusterStatusClient(leader.address, {
      credentials: withCertificate(certs, 'raftvec-cli'),
    });
    try {
      await expect(without.takeSnapshot(secret, 10_000)).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
      const taken = await withCert.takeSnapshot(secret, 10_000);
      expect(Number(taken.index)).toBeGreaterThan(0);
    } finally {
      without.close();
      withCert.close();
    }
  });

  it('lets the CLI in with --tls-ca, and not without', async () => {
    const ok = await runCli(['--address', n1(), '--tls-ca', join(certs, 'ca.pem'), 'collections']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('docs');
    const plain = await runCli(['--address', n1(), '--timeout', '2000', 'collections']);
    expect(plain.code).not.toBe(0);
  });
});
