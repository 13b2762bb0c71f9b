/**
 * Speaks the peer API as a (possibly hostile) peer would: opens one
 * RaftPeer/Deliver stream to `address` with the given call headers, writes raw
 * wire messages, ends it, and resolves the call's status (null when accepted).
 * `credentials`: TLS (with a client certificate, for mutual TLS); default plaintext.
 */
import * as grpc from '@grpc/grpc-js';
import type { WireRaftMessage } from '../../src/raft/runtime/message-codec.js';
import { raftPeerServiceDefinition } from '../../src/raft/runtime/peer-transport.js';

export function deliverAsPeer(
  address: string,
  headers: Record<string, string>,
  messages: WireRaftMessage[],
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<grpc.ServiceError | null> {
  const Client = grpc.makeGenericClientConstructor(raftPeerServiceDefinition(), 'RaftPeer');
  const client = new Client(address, credentials);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(
      '/raftvec.v1.RaftPeer/Deliver',
      (m: WireRaftMessage) => raftPeerServiceDefinition()['Deliver']!.requestSerialize(m),
      () => ({}),
      metadata,
      { deadline: Date.now() + 10_000 },
      (error) => {
        client.close();
        resolve(error);
      },
    );
    for (const m of messages) call.write(m);
    call.end();
  });
}
