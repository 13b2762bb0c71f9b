/**
 * InstallSnapshot over real gRPC on loopback: a snapshot folder streamed in chunks
 * arrives byte-identical and is handed over for installation; a damaged, misaddressed
 * or unauthenticated transfer is refused and leaves nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/processes.js';
import {
  PeerTransport,
  peerCredentials,
  raftPeerServer,
  raftPeerServiceDefinition,
} from '../../../src/raft/runtime/peer-transport.js';
import {
  snapshotReceiver,
  streamSnapshot,
  type SnapshotHeader,
} from '../../../src/raft/runtime/snapshot-transfer.js';

const SECRET = 'snapshot-transfer-secret';
let server: grpc.Server;
let address: string;
let root: string;
const installed: Array<{ header: SnapshotHeader; folder: string }> = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'raftvec-snap-transfer-'));
  const peer = raftPeerServer({
    selfId: 'n2',
    clusterSecret: SECRET,
    deliver: () => {},
    receiveSnapshot: snapshotReceiver({
      selfId: 'n2',
      root: join(root, 'received'),
      install: async (header, folder) => {
        installed.push({ header, folder });
        return { installed: true, reason: '' };
      },
      log: () => {},
    }),
  });
  server = new grpc.Server({ 'grpc.max_receive_message_length': 8 << 20 });
  server.addService(raftPeerServiceDefinition(), peer.handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(async () => {
  server.forceShutdown();
  await rm(root, { recursive: true, force: true });
});

/** A snapshot folder with a few files (one spanning several chunks) and its meta. */
async function makeSnapshot(name: string): Promise<{ folder: string; meta: Uint8Array }> {
  const folder = join(root, name);
  const files: Record<string, Buffer> = {
    'state.records': randomBytes(3 * 1024 * 1024 + 17),
    'index/9/1.faiss': randomBytes(1000),
    'index/9/manifest.json': Buffer.from('{}'),
    'empty.bin': Buffer.alloc(0),
  };
  for (const [path, bytes] of Object.entries(files)) {
    await mkdir(join(folder, path, '..'), { recursive: true });
    await writeFile(join(folder, path), bytes);
  }
  const meta = Buffer.from(
    JSON.stringify({
      format: 1,
      index: 9,
      digest: 'ab',
      files: Object.entries(files).map(([path, bytes]) => ({
        path,
        bytes: bytes.byteLength,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      })),
    }),
  );
  await writeFile(join(folder, 'meta.json'), meta);
  return { folder, meta };
}

const header: SnapshotHeader = { from: 'n1', to: 'n2', term: 3, index: 9, snapshotTerm: 2 };

describe('InstallSnapshot transfer', () => {
  it('arrives byte-identical, in a folder named by its index, and is installed', async () => {
    const { folder, meta } = await makeSnapshot('good');
    const transport = new PeerTransport(new Map([['n2', address]]), SECRET);
    const ack = await transport.sendSnapshot(header, folder, meta, 30_000);
    transport.close();
    expect(ack).toEqual({ installed: true, reason: '' });
    const got = installed.at(-1)!;
    expect(got.header).toEqual(header);
    for (const path of ['state.records', 'index/9/1.faiss', 'empty.bin', 'meta.json']) {
      const [sent, received] = [join(folder, path), join(got.folder, path)];
      // Buffer.equals: a deep toEqual over megabytes takes vitest seconds.
      expect((await readFile(received)).equals(await readFile(sent)), path).toBe(true);
    }
  });

  it('refuses a file that does not match its meta, leaving nothing behind', async () => {
    const { folder, meta } = await makeSnapshot('bad');
    await writeFile(join(folder, 'index/9/1.faiss'), randomBytes(1000));
    const before = installed.length;
    const transport = new PeerTransport(new Map([['n2', address]]), SECRET);
    const ack = await transport.sendSnapshot({ ...header, index: 10 }, folder, meta, 30_000);
    transport.close();
    expect(ack.installed).toBe(false);
    expect(ack.reason).toMatch(/1\.faiss arrived with .* another SHA-256/);
    expect(installed.length).toBe(before);
    const left = await readdir(join(root, 'received'));
    expect(left.filter((n) => n.startsWith('.incoming') || n === '10')).toEqual([]);
  });

  it('refuses a snapshot addressed to another node, or sent with a wrong key', async () => {
    const { folder, meta } = await makeSnapshot('misaddressed');
    const transport = new PeerTransport(new Map([['n2', address]]), SECRET);
    const wrongTo = await transport.sendSnapshot({ ...header, to: 'n3' }, folder, meta, 30_000);
    expect(wrongTo).toEqual({ installed: false, reason: 'no address for n3' });
    const outsider = new PeerTransport(new Map([['n2', address]]), 'another secret');
    const unauthenticated = await outsider.sendSnapshot(header, folder, meta, 30_000);
    outsider.close();
    transport.close();
    expect(unauthenticated.installed).toBe(false);
    expect(unauthenticated.reason).toMatch(/not node n1's key/);
  });

  it('refuses a meta that names a file outside the snapshot', async () => {
    const { folder } = await makeSnapshot('escape');
    const meta = Buffer.from(
      JSON.stringify({ files: [{ path: '../../etc/passwd', bytes: 1, sha256: 'a'.repeat(64) }] }),
    );
    const transport = new PeerTransport(new Map([['n2', address]]), SECRET);
    const ack = await transport.sendSnapshot({ ...header, index: 11 }, folder, meta, 30_000);
    transport.close();
    expect(ack.installed).toBe(false);
    expect(ack.reason).toMatch(/outside the snapshot/);
  });

  it('after a transfer cut halfway, the next one is taken and installed', async () => {
    const { folder, meta } = await makeSnapshot('cut');
    const Client = grpc.makeGenericClientConstructor(raftPeerServiceDefinition(), 'RaftPeer');
    const client = new Client(address, grpc.credentials.createInsecure());
    const method = raftPeerServiceDefinition()['InstallSnapshot']!;
    const cut = client.makeClientStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      peerCredentials(SECRET, 'n1'),
      () => {},
    );
    cut.write({ header: { ...header, index: 12, meta } });
    const received = join(root, 'received');
    await waitFor('the follower to start receiving', async () =>
      (await readdir(received)).some((n) => n.startsWith('.incoming-12')),
    );
    cut.cancel();
    client.close();
    await waitFor('the cut transfer to be dropped', async () =>
      (await readdir(received)).every((n) => !n.startsWith('.incoming-12')),
    );

    const transport = new PeerTransport(new Map([['n2', address]]), SECRET);
    const ack = await transport.sendSnapshot({ ...header, index: 13 }, folder, meta, 30_000);
    transport.close();
    expect(ack).toEqual({ installed: true, reason: '' });
  });

  it('stops sending, and lets go of the file, when the follower answers before the end', async () => {
    // A follower that refuses at the first message and reads no further: the sender's
    // buffer fills, and 'drain' never comes.
    const refusing = new grpc.Server();
    refusing.addService(raftPeerServiceDefinition(), {
      Deliver: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, {}),
      InstallSnapshot: (
        call: grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        call.once('data', () => {
          call.pause();
          callback({ code: grpc.status.FAILED_PRECONDITION, details: 'not now' });
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      refusing.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    const folder = join(root, 'large');
    await mkdir(folder, { recursive: true });
    const big = randomBytes(32 * 1024 * 1024);
    await writeFile(join(folder, 'state.records'), big);
    const meta = Buffer.from(
      JSON.stringify({
        files: [
          {
            path: 'state.records',
            bytes: big.byteLength,
            sha256: createHash('sha256').update(big).digest('hex'),
          },
        ],
      }),
    );
    const Client = grpc.makeGenericClientConstructor(raftPeerServiceDefinition(), 'RaftPeer');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const method = raftPeerServiceDefinition()['InstallSnapshot']!;
    let answer: grpc.ServiceError | null | undefined;
    const call = client.makeClientStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      peerCredentials(SECRET, 'n1'),
      (error) => (answer = error),
    );
    try {
      await expect(streamSnapshot(call, header, folder, meta)).rejects.toThrow(
        /ended before the whole snapshot was sent/,
      );
      expect(answer?.code).toBe(grpc.status.FAILED_PRECONDITION);
    } finally {
      client.close();
      refusing.forceShutdown();
    }
  });
});
