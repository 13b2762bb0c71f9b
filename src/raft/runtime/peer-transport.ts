import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { limits } from '../../limits.js';
import { protoDir } from '../../package-root.js';
import type { Message, NodeId } from '../types.js';
import {
  MalformedMessageError,
  messageFromWire,
  messageToWire,
  type WireRaftMessage,
} from './message-codec.js';

/** Metadata key carrying the cluster secret on every peer call. */
export const CLUSTER_SECRET_HEADER = 'x-raftvec-cluster-secret';

let cachedService: grpc.ServiceDefinition | undefined;

/** The `raftvec.v1.RaftPeer` service definition, loaded with longs as numbers. */
export function raftPeerServiceDefinition(): grpc.ServiceDefinition {
  if (cachedService) return cachedService;
  const definition = protoLoader.loadSync(join(protoDir(), 'raftvec/v1/raft.proto'), {
    includeDirs: [protoDir()],
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const service = definition['raftvec.v1.RaftPeer'];
  if (service === undefined || !('Deliver' in service)) {
    throw new Error('raft.proto does not define raftvec.v1.RaftPeer');
  }
  cachedService = service as grpc.ServiceDefinition;
  return cachedService;
}

const digest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** Constant-time comparison of the presented secret with ours. */
export function secretMatches(
  presented: grpc.MetadataValue | undefined,
  expected: string,
): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

export interface PeerServerOptions {
  selfId: NodeId;
  clusterSecret: string;
  /** Hands a message from a peer to the local Raft node. */
  deliver: (message: Message) => void;
  log?: (line: string) => void;
}

export interface PeerServer {
  handlers: grpc.UntypedServiceImplementation;
  /** Ends every open incoming stream, so the gRPC server can shut down without waiting on them. */
  disconnectAll(): void;
}

/** Server side of the peer API: authenticates the caller, decodes and delivers. */
export function raftPeerServer(options: PeerServerOptions): PeerServer {
  const log = options.log ?? (() => {});
  const open = new Set<() => void>();
  const deliver: grpc.handleClientStreamingCall<WireRaftMessage, Record<string, never>> = (
    call,
    callback,
  ) => {
    if (!secretMatches(call.metadata.get(CLUSTER_SECRET_HEADER)[0], options.clusterSecret)) {
      callback({
        code: grpc.status.UNAUTHENTICATED,
        details: 'peer calls need the cluster secret (x-raftvec-cluster-secret)',
      });
      return;
    }
    call.on('data', (wire: WireRaftMessage) => {
      try {
        const message = messageFromWire(wire);
        if (message.to !== options.selfId) {
          log(`dropping a raft message for ${message.to} delivered to ${options.selfId}`);
          return;
        }
        options.deliver(message);
      } catch (error) {
        if (error instanceof MalformedMessageError) log(error.message);
        else throw error;
      }
    });
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      open.delete(finish);
      callback(null, {});
    };
    open.add(finish);
    call.on('end', finish);
    call.on('error', () => open.delete(finish));
  };
  return {
    handlers: { Deliver: deliver },
    disconnectAll: () => {
      for (const finish of [...open]) finish();
    },
  };
}

interface PeerStream {
  call: grpc.ClientWritableStream<WireRaftMessage>;
  broken: boolean;
  /**
   * The stream's buffer is full (write() returned false): drop messages until it
   * drains. Raft tolerates loss (the leader re-sends); an unbounded queue toward a
   * dead or slow peer would not be tolerated by the process's memory.
   */
  congested: boolean;
}

/**
 * Client side: one ordered stream per peer, opened lazily and reopened after it
 * breaks. Sending never blocks and never throws: a message that cannot go out is
 * dropped, which Raft's retries absorb.
 */
export class PeerTransport {
  private readonly clients = new Map<NodeId, grpc.Client>();
  private readonly streams = new Map<NodeId, PeerStream>();
  private readonly ServiceClient: grpc.ServiceClientConstructor;
  private closed = false;

  /** When each peer's stream failure was last logged: once in a while, not at every tick. */
  private readonly failureLoggedAt = new Map<NodeId, number>();

  constructor(
    private readonly peerAddresses: ReadonlyMap<NodeId, string>,
    private readonly clusterSecret: string,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.ServiceClient = grpc.makeGenericClientConstructor(raftPeerServiceDefinition(), 'RaftPeer');
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const message of messages) {
      const stream = this.streamTo(message.to);
      if (stream === undefined || stream.broken || stream.congested) continue;
      if (!stream.call.write(messageToWire(message))) stream.congested = true;
    }
  }

  private streamTo(peer: NodeId): PeerStream | undefined {
    const existing = this.streams.get(peer);
    if (existing !== undefined && !existing.broken) return existing;
    const client = this.clientFor(peer);
    if (client === undefined) return undefined;
    const metadata = new grpc.Metadata();
    metadata.set(CLUSTER_SECRET_HEADER, this.clusterSecret);
    const stream: PeerStream = {
      call: client.makeClientStreamRequest(
        '/raftvec.v1.RaftPeer/Deliver',
        (m: WireRaftMessage) => raftMessageSerializer(m),
        () => ({}),
        metadata,
        (error) => {
          stream.broken = true;
          if (error) this.noteFailure(peer, error);
        },
      ),
      broken: false,
      congested: false,
    };
    stream.call.on('error', () => {
      stream.broken = true;
    });
    stream.call.on('drain', () => {
      stream.congested = false;
    });
    this.streams.set(peer, stream);
    return stream;
  }

  private clientFor(peer: NodeId): grpc.Client | undefined {
    const existing = this.clients.get(peer);
    if (existing) return existing;
    const address = this.peerAddresses.get(peer);
    if (address === undefined) return undefined;
    const client = new this.ServiceClient(address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': limits.maxMessageBytes,
      'grpc.max_receive_message_length': limits.maxMessageBytes,
      'grpc.keepalive_time_ms': 10_000,
      // gRPC's default reconnect backoff grows to 2 minutes: a peer back from a long
      // outage would wait that long to hear from the leader.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    });
    this.clients.set(peer, client);
    return client;
  }

  private noteFailure(peer: NodeId, error: grpc.ServiceError): void {
    const now = Date.now();
    if (this.closed || now - (this.failureLoggedAt.get(peer) ?? -Infinity) < 30_000) return;
    this.failureLoggedAt.set(peer, now);
    const hint =
      error.code === grpc.status.UNAUTHENTICATED
        ? ' (do both nodes have the same cluster secret?)'
        : '';
    this.log(
      `cannot reach peer ${peer} at ${this.peerAddresses.get(peer)}: ${error.details || error.message}${hint}`,
    );
  }

  close(): void {
    this.closed = true;
    for (const stream of this.streams.values()) {
      if (!stream.broken) stream.call.end();
    }
    for (const client of this.clients.values()) client.close();
    this.streams.clear();
    this.clients.clear();
  }
}

/** Serializes with the service definition's own serializer for Deliver's request type. */
function raftMessageSerializer(message: WireRaftMessage): Buffer {
  const method = raftPeerServiceDefinition()['Deliver'];
  if (method === undefined) throw new Error('RaftPeer.Deliver is missing');
  return method.requestSerialize(message);
}
