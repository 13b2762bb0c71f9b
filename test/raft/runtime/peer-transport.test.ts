/**
 * Peer identity: a caller authenticates as one node with that node's key, derived
 * from the cluster secret, and may only send messages from that node. An in-process
 * gRPC server with the real peer service; no Raft behind it, just a recorder.
 */
import { createHmac } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireRaftMessage } from '../../../src/raft/runtime/message-codec.js';
import {
  CLUSTER_SECRET_HEADER,
  PEER_ID_HEADER,
  PEER_KEY_HEADER,
  PeerTransport,
  REDIAL_AFTER_MS,
  peerKey,
  raftPeerServer,
  raftPeerServiceDefinition,
} from '../../../src/raft/runtime/peer-transport.js';
import type { Message } from '../../../src/raft/types.js';
import { waitFor } from '../../support/processes.js';
import { deliverAsPeer } from '../../support/peer-stream.js';

const SECRET = 'peer-transport-test-secret';

const delivered: Message[] = [];
const logged: string[] = [];
let server: grpc.Server;
let address: string;

beforeAll(async () => {
  const peer = raftPeerServer({
    selfId: 'n1',
    clusterSecret: SECRET,
    deliver: (m) => delivered.push(m),
    log: (line) => logged.push(line),
  });
  server = new grpc.Server();
  server.addService(raftPeerServiceDefinition(), peer.handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) =>
      error ? reject(error) : resolve(p),
    ),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => server.forceShutdown());

const heartbeat = (from: string, term: number): WireRaftMessage => ({
  from,
  to: 'n1',
  term,
  heartbeat: { commit: 0, readContext: 0 },
});

const deliver = (headers: Record<string, string>, messages: WireRaftMessage[]) =>
  deliverAsPeer(address, headers, messages);

const as = (id: string, key = peerKey(SECRET, id)): Record<string, string> => ({
  [PEER_ID_HEADER]: id,
  [PEER_KEY_HEADER]: key,
});

describe('peer keys', () => {
  it('are HMAC-SHA256(clusterSecret, "raftvec-peer:" + nodeId), in hex', () => {
    const expected = createHmac('sha256', SECRET).update('raftvec-peer:n2').digest('hex');
    expect(peerKey(SECRET, 'n2')).toBe(expected);
    expect(peerKey(SECRET, 'n3')).not.toBe(expected);
    expect(peerKey('another secret', 'n2')).not.toBe(expected);
  });
});

describe('the peer server', () => {
  it('delivers a message from the node whose key the caller presented', async () => {
    const before = delivered.length;
    expect(await deliver(as('n2'), [heartbeat('n2', 3)])).toBeNull();
    expect(delivered.slice(before)).toEqual([
      { type: 'Heartbeat', from: 'n2', to: 'n1', term: 3, commit: 0, readContext: 0 },
    ]);
  });

  it.each([
    ['another node’s key', as('n2', peerKey(SECRET, 'n3'))],
    ['a key made with another secret', as('n2', peerKey('guess', 'n2'))],
    ['a key that is not hex of 32 bytes', as('n2', 'abc')],
    ['an id without a key', { [PEER_ID_HEADER]: 'n2' }],
    ['a key without an id', { [PEER_KEY_HEADER]: peerKey(SECRET, 'n2') }],
    ['nothing', {}],
    ['the raw cluster secret (as earlier versions sent it)', { [CLUSTER_SECRET_HEADER]: SECRET }],
  ])('refuses %s with UNAUTHENTICATED and delivers nothing', async (_what, headers) => {
    const before = delivered.length;
    const status = await deliver(headers, [heartbeat('n2', 4)]);
    expect(status?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(delivered.length).toBe(before);
  });

  it('tells an old peer that sends the raw secret what changed', async () => {
    const status = await deliver({ [CLUSTER_SECRET_HEADER]: SECRET }, []);
    expect(status?.details).toMatch(/raw cluster secret is not accepted/);
  });

  it("drops and logs a message whose sender is not the stream's node, and keeps the stream", async () => {
    const before = delivered.length;
    logged.length = 0;
    const status = await deliver(as('n2'), [heartbeat('n3', 5), heartbeat('n2', 5)]);
    expect(status).toBeNull();
    expect(delivered.slice(before).map((m) => m.from)).toEqual(['n2']);
    expect(logged).toEqual([
      expect.stringMatching(
        /dropped a raft message on the stream of peer n2: Heartbeat claims to be from n3, but the stream authenticated as n2/,
      ),
    ]);
  });

  it('drops and logs malformed messages, and one addressed to another node', async () => {
    const before = delivered.length;
    logged.length = 0;
    const status = await deliver(as('n2'), [
      { from: 'n2', to: 'n1', term: 5 },
      { ...heartbeat('n2', 5), to: 'n9' },
    ]);
    expect(status).toBeNull();
    expect(delivered.length).toBe(before);
    expect(logged).toEqual([
      expect.stringMatching(/malformed raft message: the message has no body \(1 dropped/),
      expect.stringMatching(/addressed to n9, not to n1 \(2 dropped/),
    ]);
  });
});

describe('the peer transport', () => {
  it("authenticates as the messages' sender, without sending the secret", async () => {
    const before = delivered.length;
    const transport = new PeerTransport(new Map([['n1', address]]), SECRET);
    const message: Message = {
      type: 'HeartbeatResponse',
      from: 'n3',
      to: 'n1',
      term: 6,
      readContext: 2,
    };
    transport.send([message]);
    await waitFor('the message to arrive', () => delivered.length > before);
    transport.close();
    expect(delivered.slice(before)).toEqual([message]);
  });

  it('is refused, and says so, with another secret', async () => {
    const before = delivered.length;
    const lines: string[] = [];
    const transport = new PeerTransport(new Map([['n1', address]]), 'wrong', (l) => lines.push(l));
    transport.send([{ type: 'HeartbeatResponse', from: 'n3', to: 'n1', term: 6, readContext: 2 }]);
    await waitFor('the refusal to be logged', () => lines.length > 0);
    transport.close();
    expect(lines[0]).toMatch(/cannot reach peer n1 .*not node n3's key.*same cluster secret/);
    expect(delivered.length).toBe(before);
  });

  it('dials a peer it cannot connect to afresh, rather than wait on one connection attempt', async () => {
    // A port nobody listens on: the channel never connects.
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const transport = new PeerTransport(new Map([['n1', `127.0.0.1:${closed}`]]), SECRET);
    const heartbeat: Message = {
      type: 'HeartbeatResponse',
      from: 'n3',
      to: 'n1',
      term: 6,
      readContext: 2,
    };
    try {
      await waitFor(
        'a second and a third channel',
        () => {
          transport.send([heartbeat]);
          return transport.dials >= 3 ? true : undefined;
        },
        { timeoutMs: 10 * REDIAL_AFTER_MS },
      );
    } finally {
      transport.close();
    }
  });

  it('keeps a connected channel, however long it is used', async () => {
    const before = delivered.length;
    const transport = new PeerTransport(new Map([['n1', address]]), SECRET);
    try {
      let sent = 0;
      const started = Date.now();
      // Over twice the redial delay, sending all along.
      while (Date.now() - started < 2 * REDIAL_AFTER_MS + 200) {
        transport.send([
          { type: 'HeartbeatResponse', from: 'n3', to: 'n1', term: 6, readContext: ++sent },
        ]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await waitFor('every message to arrive', () => delivered.length - before >= sent);
      expect(transport.dials).toBe(1);
    } finally {
      transport.close();
    }
  });
});
