import { createHmac, timingSafeEqual } from 'node:crypto';
import { commitTraceOn, traceReplication } from '../../commit-trace.js';
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { limits } from '../../limits.js';
import { raftPeerServiceDefinition } from '../../api/proto.js';
import { DEFAULT_RAFT_CONFIG } from '../config.js';
import type { Member } from '../membership.js';
import type { Message, NodeId } from '../types.js';
import type { Transport } from './ports.js';
import { streamSnapshot, type SnapshotAck, type SnapshotHeader } from './snapshot-transfer.js';
import {
  MalformedMessageError,
  messageFromWire,
  messageToWire,
  nodeIdProblem,
  type WireRaftMessage,
} from './message-codec.js';

/**
 * Peer authentication. Each call carries the caller's node id and that node's key,
 * HMAC-SHA256(clusterSecret, "raftvec-peer:" + id): the server recomputes the key
 * for the claimed id, so a caller is bound to one identity and may only send
 * messages `from` it. The cluster secret itself never travels.
 */
export const PEER_ID_HEADER = 'x-raftvec-peer-id';
export const PEER_KEY_HEADER = 'x-raftvec-peer-key';
/**
 * Where raftvec before per-node keys sent the raw cluster secret. No longer sent
 * nor accepted; recognized only to tell the operator why such a peer is refused.
 */
export const CLUSTER_SECRET_HEADER = 'x-raftvec-cluster-secret';

const PEER_KEY_PREFIX = 'raftvec-peer:';
const KEY_HEX = /^[0-9a-f]{64}$/;

function peerKeyBytes(clusterSecret: string, nodeId: NodeId): Buffer {
  return createHmac('sha256', clusterSecret)
    .update(PEER_KEY_PREFIX + nodeId)
    .digest();
}

/** The credential of `nodeId`, as sent in PEER_KEY_HEADER (lowercase hex). */
export function peerKey(clusterSecret: string, nodeId: NodeId): string {
  return peerKeyBytes(clusterSecret, nodeId).toString('hex');
}

/** Whether `presented` is `claimedId`'s key under `clusterSecret`; constant-time in the key. */
export function peerKeyMatches(
  clusterSecret: string,
  claimedId: NodeId,
  presented: grpc.MetadataValue | undefined,
): boolean {
  // The format says nothing about the secret, so checking it first leaks nothing.
  if (typeof presented !== 'string' || !KEY_HEX.test(presented)) return false;
  return timingSafeEqual(Buffer.from(presented, 'hex'), peerKeyBytes(clusterSecret, claimedId));
}

export { raftPeerServiceDefinition };

/**
 * Who is calling: the node id a peer call authenticates as, or why it is refused
 * (`refusal` for the caller, `logLine` for this node's log).
 */
export function authenticatePeer(
  metadata: grpc.Metadata,
  clusterSecret: string,
  certificate?: PeerCertificateCheck,
): { peer: NodeId } | { refusal: string; logLine: string } {
  const claimedId = metadata.get(PEER_ID_HEADER)[0];
  const key = metadata.get(PEER_KEY_HEADER)[0];
  if (
    claimedId === undefined &&
    key === undefined &&
    metadata.get(CLUSTER_SECRET_HEADER).length > 0
  ) {
    return {
      refusal: `peer calls authenticate with ${PEER_ID_HEADER} and ${PEER_KEY_HEADER} (a per-node key derived from the cluster secret); the raw cluster secret is not accepted`,
      logLine:
        'it sent the raw cluster secret (an older raftvec?); peers now present per-node keys',
    };
  }
  const idProblem = nodeIdProblem(claimedId);
  if (typeof claimedId !== 'string' || idProblem !== undefined) {
    return {
      refusal: `peer calls need ${PEER_ID_HEADER} (the caller's node id) and ${PEER_KEY_HEADER} (its key, derived from the cluster secret)`,
      logLine: `no valid ${PEER_ID_HEADER}: it ${idProblem ?? 'is not text'}`,
    };
  }
  if (!peerKeyMatches(clusterSecret, claimedId, key)) {
    return {
      refusal: `the key in ${PEER_KEY_HEADER} is not node ${claimedId}'s key under this cluster's secret`,
      logLine: `wrong key for claimed node ${JSON.stringify(claimedId)} (a different cluster secret, or an impostor)`,
    };
  }
  if (certificate !== undefined) {
    const problem = certificateProblem(certificate.authContext(), claimedId);
    if (problem !== undefined)
      return {
        refusal: `with mutual TLS on, a peer call needs a certificate from the cluster's peer CA that names the node it claims to be: ${problem}`,
        logLine: `${problem} (claimed node ${JSON.stringify(claimedId)})`,
      };
  }
  return { peer: claimedId };
}

/**
 * With mutual TLS on (server/tls.ts), how to read the certificate a call came with:
 * grpc-js reports it only when it verified against the peer CA.
 */
export interface PeerCertificateCheck {
  authContext(): ConnectionSecurity;
}

/** grpc-js's AuthContext of a call (the package does not export the type). */
export interface ConnectionSecurity {
  transportSecurityType?: string;
  sslPeerCertificate?: PeerCertificate;
}

/** Why the connection's certificate does not prove `claimedId`, or undefined when it does. */
function certificateProblem(context: ConnectionSecurity, claimedId: NodeId): string | undefined {
  const certificate = context.sslPeerCertificate;
  if (context.transportSecurityType !== 'ssl' || certificate === undefined)
    return 'the connection has no client certificate signed by the peer CA';
  const cn = (certificate.subject as Record<string, unknown> | undefined)?.['CN'];
  if (cn !== claimedId)
    return `the client certificate names ${typeof cn === 'string' ? `CN=${cn}` : 'no CN'}, not ${claimedId}`;
  return undefined;
}

/**
 * Call metadata of a peer stream: the sender's client address (`serve --advertise`),
 * which the receiver puts in its leader hints.
 */
export const CLIENT_ADDRESS_HEADER = 'x-raftvec-client-address';

/**
 * Call metadata of a peer stream: how long, in ms, the sender refuses to help elect
 * another leader after it last heard from its leader ((electionTick - 1) · tickMs).
 * A leader's lease may last no longer than the shortest such window among its voters.
 */
export const VOTE_QUIET_HEADER = 'x-raftvec-vote-quiet-ms';

/**
 * Call metadata of a peer stream: where the sender's peers reach it. A receiver whose
 * configuration does not list the sender yet (its log lags the entry that added it, e.g.
 * a new leader) needs it to answer.
 */
export const PEER_ADDRESS_HEADER = 'x-raftvec-peer-address';

/** What a peer tells about itself on its stream (each part only if valid). */
export interface PeerAnnouncement {
  clientAddress?: string;
  voteQuietMs?: number;
  peerAddress?: string;
}

/** Longest advertised client address accepted from a peer. */
const MAX_CLIENT_ADDRESS_LENGTH = 256;

/** Why `value` cannot be an advertised client address (HOST:PORT), or undefined. */
export function clientAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'it is not text';
  if (value.length === 0 || value.length > MAX_CLIENT_ADDRESS_LENGTH)
    return `it must be 1 to ${MAX_CLIENT_ADDRESS_LENGTH} characters`;
  if (!/^[A-Za-z0-9._:[\]-]+:\d{1,5}$/.test(value))
    return `${JSON.stringify(value)} is not HOST:PORT`;
  return undefined;
}

/** The call metadata that authenticates this node as `self` to its peers. */
export function peerCredentials(clusterSecret: string, self: NodeId): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(PEER_ID_HEADER, self);
  metadata.set(PEER_KEY_HEADER, peerKey(clusterSecret, self));
  return metadata;
}

export interface PeerServerOptions {
  selfId: NodeId;
  clusterSecret: string;
  /** Hands a message from a peer to the local Raft node. */
  deliver: (message: Message) => void;
  /**
   * Told what an authenticated peer announces on its stream (CLIENT_ADDRESS_HEADER,
   * VOTE_QUIET_HEADER); invalid parts are logged and left out.
   */
  onAnnouncement?: (peer: NodeId, announcement: PeerAnnouncement) => void;
  /**
   * Receives a snapshot a leader streams (RaftPeer.InstallSnapshot), from the
   * authenticated `peer`; absent: such calls are refused.
   */
  receiveSnapshot?: (
    peer: NodeId,
    call: grpc.ServerReadableStream<unknown, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) => void;
  log?: (line: string) => void;
  /**
   * Mutual TLS is on: a call must also come over a connection whose certificate the
   * peer CA signed for the node it claims (authenticatePeer).
   */
  requireCertificate?: boolean;
}

export interface PeerServer {
  handlers: grpc.UntypedServiceImplementation;
  /** Ends every open incoming stream, so the gRPC server can shut down without waiting on them. */
  disconnectAll(): void;
}

/** How often a refused peer call is logged at most (a misconfigured peer retries every second). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** 1, 2, 4, 8, …: when a repeated drop is worth another log line. */
const isPowerOfTwo = (n: number): boolean => n > 0 && Number.isInteger(Math.log2(n));

/**
 * Server side of the peer API: authenticates the caller as one node, decodes,
 * validates and delivers. Everything it drops is logged, never fatal.
 */
export function raftPeerServer(options: PeerServerOptions): PeerServer {
  const log = options.log ?? (() => {});
  const open = new Set<() => void>();
  let refusalLoggedAt = -Infinity;
  let refusalsNotLogged = 0;
  const refuse = <Req, Res>(
    call: grpc.ServerReadableStream<Req, Res>,
    callback: grpc.sendUnaryData<Res>,
    details: string,
    logLine: string,
  ): void => {
    const now = Date.now();
    if (now - refusalLoggedAt >= REFUSAL_LOG_INTERVAL_MS) {
      const more =
        refusalsNotLogged > 0
          ? ` (and ${refusalsNotLogged} more refused since the last such line)`
          : '';
      log(`${options.selfId}: refused a peer call from ${call.getPeer()}: ${logLine}${more}`);
      refusalLoggedAt = now;
      refusalsNotLogged = 0;
    } else refusalsNotLogged++;
    callback({ code: grpc.status.UNAUTHENTICATED, details });
  };
  const deliver: grpc.handleClientStreamingCall<WireRaftMessage, Record<string, never>> = (
    call,
    callback,
  ) => {
    const auth = authenticatePeer(
      call.metadata,
      options.clusterSecret,
      options.requireCertificate ? { authContext: () => call.getAuthContext() } : undefined,
    );
    if ('refusal' in auth) {
      refuse(call, callback, auth.refusal, auth.logLine);
      return;
    }
    const peer: NodeId = auth.peer;
    const announcement: PeerAnnouncement = {};
    const advertised = call.metadata.get(CLIENT_ADDRESS_HEADER)[0];
    if (advertised !== undefined) {
      const problem = clientAddressProblem(advertised);
      if (problem === undefined) announcement.clientAddress = advertised as string;
      else log(`${options.selfId}: ignored the client address peer ${peer} advertises: ${problem}`);
    }
    const peerAddress = call.metadata.get(PEER_ADDRESS_HEADER)[0];
    if (peerAddress !== undefined) {
      const problem = clientAddressProblem(peerAddress);
      if (problem === undefined) announcement.peerAddress = peerAddress as string;
      else log(`${options.selfId}: ignored the peer address peer ${peer} announces: ${problem}`);
    }
    const quiet = call.metadata.get(VOTE_QUIET_HEADER)[0];
    if (quiet !== undefined) {
      const ms = typeof quiet === 'string' && /^\d{1,9}$/.test(quiet) ? Number(quiet) : NaN;
      if (Number.isSafeInteger(ms)) announcement.voteQuietMs = ms;
      else
        log(`${options.selfId}: ignored the vote-quiet window of peer ${peer}: ${String(quiet)}`);
    }
    options.onAnnouncement?.(peer, announcement);
    // Drops on this stream, logged at the 1st, 2nd, 4th, … so a peer cannot flood the log.
    let dropped = 0;
    const drop = (reason: string): void => {
      dropped++;
      if (isPowerOfTwo(dropped))
        log(
          `${options.selfId}: dropped a raft message on the stream of peer ${peer}: ${reason} (${dropped} dropped on this stream)`,
        );
    };
    call.on('data', (wire: WireRaftMessage) => {
      let message: Message;
      try {
        message = messageFromWire(wire);
        if (commitTraceOn) traceReplication([message], false);
      } catch (error) {
        if (error instanceof MalformedMessageError) {
          drop(error.message);
          return;
        }
        throw error;
      }
      if (message.from !== peer) {
        drop(
          `${message.type} claims to be from ${message.from}, but the stream authenticated as ${peer}; a peer may only speak for itself`,
        );
        return;
      }
      if (message.to !== options.selfId) {
        drop(`${message.type} is addressed to ${message.to}, not to ${options.selfId}`);
        return;
      }
      options.deliver(message);
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
  const installSnapshot: grpc.handleClientStreamingCall<unknown, unknown> = (call, callback) => {
    const auth = authenticatePeer(
      call.metadata,
      options.clusterSecret,
      options.requireCertificate ? { authContext: () => call.getAuthContext() } : undefined,
    );
    if ('refusal' in auth) {
      refuse(call, callback, auth.refusal, auth.logLine);
      return;
    }
    if (options.receiveSnapshot === undefined) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'this node takes no snapshots' });
      return;
    }
    options.receiveSnapshot(auth.peer, call, callback);
  };
  return {
    handlers: { Deliver: deliver, InstallSnapshot: installSnapshot },
    disconnectAll: () => {
      for (const finish of [...open]) finish();
    },
  };
}

/**
 * Bytes of messages one peer stream may hold that gRPC has not yet handed to HTTP/2
 * (written, their write not yet complete). A message that would take a stream past it
 * is dropped (one message always goes on an empty stream, whatever its size).
 *
 * As much as the Raft core's flow control lets a leader have in flight to one follower
 * (maxInflightMessages appends of up to maxBytesPerMessage), and 1 MiB for heartbeats
 * and answers: the core stops sending appends to a follower that does not acknowledge
 * them, so a slow or stopped peer costs at most this, while a link that is merely slower
 * than the leader (HTTP/2 moves a stream's 64 KiB window per turn of the receiver's
 * event loop) loses nothing. Dropping within the core's window does not save memory for
 * long and costs much: the follower sees a gap, rejects, and the leader falls back to
 * probing it one message at a time (seen under load with a 4 MiB bound).
 */
export const MAX_PEER_STREAM_BUFFERED_BYTES =
  DEFAULT_RAFT_CONFIG.maxInflightMessages * DEFAULT_RAFT_CONFIG.maxBytesPerMessage + 1024 * 1024;

/**
 * Messages one peer stream may hold (a bound on their per-message overhead, for many
 * small ones). Not the stream's own high-water mark (16 messages): gRPC hands a stream's
 * messages to HTTP/2 one at a time, each after the last was sent, so a busy leader's
 * burst (appends to a pipeline, heartbeats, answers) passes 16 within one turn of the
 * event loop on a healthy link, and dropping there cost retransmissions and probes
 * (a follower falls back to probing when an append goes missing) under plain load.
 */
export const MAX_PEER_STREAM_BUFFERED_MESSAGES = 1024;

interface PeerStream {
  /** Carries serialized messages (see send): their size is known before they are written. */
  call: grpc.ClientWritableStream<Buffer>;
  /** The node this stream authenticated as: the sender of every message it carries. */
  sender: NodeId;
  broken: boolean;
  /**
   * Bytes written to `call` whose write has not completed: what this node holds for
   * the peer beyond HTTP/2. At most MAX_PEER_STREAM_BUFFERED_BYTES (or one message), in
   * at most MAX_PEER_STREAM_BUFFERED_MESSAGES messages: past either, messages are
   * dropped until the stream drains. Raft tolerates loss (the leader re-sends); an
   * unbounded queue toward a dead or slow peer would not be tolerated by the process's
   * memory.
   */
  bufferedBytes: number;
  /** Messages dropped on this stream because it was full (for the log and stats). */
  dropped: number;
}

/** What a peer stream holds and has dropped (PeerTransport.streamBuffers). */
export interface PeerStreamBuffer {
  peer: NodeId;
  /** Bytes written and not yet handed to HTTP/2 (see MAX_PEER_STREAM_BUFFERED_BYTES). */
  bufferedBytes: number;
  /** Messages waiting in the stream's own buffer. */
  bufferedMessages: number;
  /** Messages dropped on this stream because it was full. */
  dropped: number;
}

/**
 * How long a peer's channel may first stay unconnected before it is dropped and dialled
 * anew; each redial of a peer that has not connected since doubles it, up to
 * MAX_REDIAL_AFTER_MS (a connection that needs longer, e.g. a slow TLS handshake on a
 * distant link, still gets through).
 */
export const REDIAL_AFTER_MS = 1_000;
const MAX_REDIAL_AFTER_MS = 4_000;

/** Addresses of former members kept (see PeerTransport.setMembers). */
const MAX_FORMER_PEERS = 64;

/**
 * Client side: one ordered stream per peer, opened lazily and reopened after it
 * breaks. Sending never blocks and never throws: a message that cannot go out is
 * dropped, which Raft's retries absorb.
 *
 * A stream authenticates as the `from` of the messages it carries — always this
 * node, whose runtime hands over only its own core's messages — with that node's
 * key derived from the cluster secret, so the transport needs no separate identity;
 * with mutual TLS, the connection also presents this node's peer certificate.
 */
export class PeerTransport implements Transport {
  private readonly clients = new Map<NodeId, grpc.Client>();
  /**
   * Peers whose channel has not been connected: since when, and the wait before the next
   * redial (redialIfStuck).
   */
  private readonly unready = new Map<NodeId, { since: number; waitMs: number }>();
  private dialCount = 0;
  private readonly streams = new Map<NodeId, PeerStream>();
  private readonly ServiceClient: grpc.ServiceClientConstructor;
  private closed = false;

  /** When each peer's stream failure was last logged: once in a while, not at every tick. */
  private readonly failureLoggedAt = new Map<NodeId, number>();
  /** Where each peer listens: the configuration in force (setMembers), at first `--peers`. */
  private readonly peerAddresses: Map<NodeId, string>;
  /** Peers no longer in the configuration whose address is kept, oldest first. */
  private readonly formerPeers = new Set<NodeId>();

  constructor(
    peerAddresses: ReadonlyMap<NodeId, string>,
    private readonly clusterSecret: string,
    private readonly log: (line: string) => void = () => {},
    /** What this node tells every peer on its stream. */
    private readonly announcement: PeerAnnouncement = {},
    /** How to dial a peer: its TLS credentials with mutual TLS (server/tls.ts), else none. */
    private readonly credentials: () => grpc.ChannelCredentials = () =>
      grpc.credentials.createInsecure(),
  ) {
    this.ServiceClient = grpc.makeGenericClientConstructor(raftPeerServiceDefinition(), 'RaftPeer');
    this.peerAddresses = new Map(peerAddresses);
  }

  /**
   * The configuration in force changed: a peer that moved loses its stream and channel;
   * new ones are dialled on first send. Peers that left keep their address (the newest
   * MAX_FORMER_PEERS of them): the core sends them nothing of its own, but may have to
   * answer one, e.g. a leader that removed itself leads until the change commits, and
   * needs the acknowledgements.
   */
  setMembers(members: readonly Member[]): void {
    for (const m of members) {
      if (m.peerAddress === '') continue;
      this.formerPeers.delete(m.id);
      if (this.peerAddresses.get(m.id) === m.peerAddress) continue;
      this.forget(m.id);
      this.peerAddresses.set(m.id, m.peerAddress);
    }
    const current = new Set(members.map((m) => m.id));
    for (const id of this.peerAddresses.keys()) {
      if (!current.has(id)) this.formerPeers.add(id);
    }
    this.evictFormerPeers();
  }

  /**
   * A peer announced where it listens (PEER_ADDRESS_HEADER, on a stream authenticated as
   * `id`): kept, like a former member's, only when the configuration gives no address
   * for it, so that this node can answer it.
   */
  learnAddress(id: NodeId, address: string): void {
    if (this.closed || (this.peerAddresses.has(id) && !this.formerPeers.has(id))) return;
    if (this.peerAddresses.get(id) !== address) this.forget(id);
    this.peerAddresses.set(id, address);
    this.formerPeers.delete(id);
    this.formerPeers.add(id);
    this.evictFormerPeers();
  }

  private evictFormerPeers(): void {
    for (const id of this.formerPeers) {
      if (this.formerPeers.size <= MAX_FORMER_PEERS) break;
      this.formerPeers.delete(id);
      this.forget(id);
      this.peerAddresses.delete(id);
    }
  }

  /**
   * Drops every stream and channel, so that the next message dials anew with the
   * credentials now in force (after the TLS certificates were reloaded).
   */
  reconnect(): void {
    for (const id of [...this.clients.keys()]) this.forget(id);
  }

  /** Closes the stream and channel to `id`, if any. */
  private forget(id: NodeId): void {
    this.unready.delete(id);
    const stream = this.streams.get(id);
    if (stream !== undefined && !stream.broken) stream.call.end();
    this.streams.delete(id);
    this.clients.get(id)?.close();
    this.clients.delete(id);
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const message of messages) {
      const stream = this.streamTo(message.to, message.from);
      if (stream === undefined || stream.broken) continue;
      // The receiver drops a message whose sender is not the stream's identity.
      if (stream.sender !== message.from) continue;
      // Full: dropped before the work of serializing it.
      if (
        stream.bufferedBytes >= MAX_PEER_STREAM_BUFFERED_BYTES ||
        stream.call.writableLength >= MAX_PEER_STREAM_BUFFERED_MESSAGES
      ) {
        this.noteDrop(message.to, stream);
        continue;
      }
      const bytes = raftMessageSerializer(messageToWire(message));
      const size = bytes.byteLength;
      if (
        stream.bufferedBytes > 0 &&
        stream.bufferedBytes + size > MAX_PEER_STREAM_BUFFERED_BYTES
      ) {
        this.noteDrop(message.to, stream);
        continue;
      }
      stream.bufferedBytes += size;
      // The callback comes once gRPC has handed the message on (or the stream failed).
      // Past the stream's own high-water mark write() says false: the bounds above are
      // what limits the buffer (see MAX_PEER_STREAM_BUFFERED_MESSAGES).
      stream.call.write(bytes, () => {
        stream.bufferedBytes -= size;
      });
    }
  }

  /** Logs a message dropped on a full stream, at the 1st, 2nd, 4th, … drop of the stream. */
  private noteDrop(peer: NodeId, stream: PeerStream): void {
    stream.dropped++;
    if (!isPowerOfTwo(stream.dropped) || this.closed) return;
    this.log(
      `the stream to peer ${peer} is full (${stream.bufferedBytes} bytes and ${stream.call.writableLength} messages not yet sent; is the peer slow or stopped?): dropped a message, which Raft sends again once it drains (${stream.dropped} dropped on this stream)`,
    );
  }

  /**
   * What each open peer stream holds and has dropped: the bound on what a slow or
   * stopped peer makes this node buffer (for tests and diagnostics).
   */
  streamBuffers(): PeerStreamBuffer[] {
    return [...this.streams].map(([peer, stream]) => ({
      peer,
      bufferedBytes: stream.bufferedBytes,
      bufferedMessages: stream.call.writableLength,
      dropped: stream.dropped,
    }));
  }

  /** Channels dialled since this transport was made (a new channel is a new connection). */
  get dials(): number {
    return this.dialCount;
  }

  /**
   * A channel that has not been connected for REDIAL_AFTER_MS is dropped, so that the
   * next message dials afresh. gRPC keeps a TCP connect to a vanished host pending until
   * the kernel gives up (minutes), and a peer that comes back at that address is
   * reached only at the next SYN retransmission, seconds to tens of seconds later
   * (seen: a killed container rejoining after 47 s); a new channel also looks the name
   * up again (a restarted pod's new address).
   */
  private redialIfStuck(peer: NodeId): void {
    const client = this.clients.get(peer);
    if (client === undefined) return;
    const state = client.getChannel().getConnectivityState(false);
    if (state === grpc.connectivityState.READY) {
      this.unready.delete(peer);
      return;
    }
    const now = Date.now();
    const unready = this.unready.get(peer);
    if (unready === undefined) this.unready.set(peer, { since: now, waitMs: REDIAL_AFTER_MS });
    else if (now - unready.since >= unready.waitMs) {
      this.forget(peer);
      // Kept across the redial: the next channel gets twice as long.
      this.unready.set(peer, {
        since: now,
        waitMs: Math.min(2 * unready.waitMs, MAX_REDIAL_AFTER_MS),
      });
    }
  }

  private streamTo(peer: NodeId, sender: NodeId): PeerStream | undefined {
    this.redialIfStuck(peer);
    const existing = this.streams.get(peer);
    if (existing !== undefined && !existing.broken) return existing;
    const client = this.clientFor(peer);
    if (client === undefined) return undefined;
    const metadata = peerCredentials(this.clusterSecret, sender);
    const { clientAddress, voteQuietMs, peerAddress } = this.announcement;
    if (clientAddress !== undefined) metadata.set(CLIENT_ADDRESS_HEADER, clientAddress);
    if (peerAddress !== undefined) metadata.set(PEER_ADDRESS_HEADER, peerAddress);
    if (voteQuietMs !== undefined) metadata.set(VOTE_QUIET_HEADER, String(voteQuietMs));
    const stream: PeerStream = {
      sender,
      call: client.makeClientStreamRequest(
        '/raftvec.v1.RaftPeer/Deliver',
        // Serialized by send, which needs the size first.
        (bytes: Buffer) => bytes,
        () => ({}),
        metadata,
        (error) => {
          stream.broken = true;
          if (error) this.noteFailure(peer, error);
        },
      ),
      broken: false,
      bufferedBytes: 0,
      dropped: 0,
    };
    stream.call.on('error', () => {
      stream.broken = true;
    });
    this.streams.set(peer, stream);
    return stream;
  }

  /**
   * Streams the snapshot in `folder` (described by `meta`) to `header.to` and
   * resolves with its answer once the follower installed it or refused it; a
   * transport failure resolves as not installed. Bounded by `timeoutMs`.
   */
  sendSnapshot(
    header: SnapshotHeader,
    folder: string,
    meta: Uint8Array,
    timeoutMs: number,
  ): Promise<SnapshotAck> {
    const client = this.closed ? undefined : this.clientFor(header.to);
    if (client === undefined)
      return Promise.resolve({ installed: false, reason: `no address for ${header.to}` });
    const method = raftPeerServiceDefinition()['InstallSnapshot'];
    if (method === undefined) throw new Error('raft.proto defines no InstallSnapshot');
    return new Promise((resolve) => {
      const call = client.makeClientStreamRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => SnapshotAck,
        peerCredentials(this.clusterSecret, header.from),
        { deadline: Date.now() + timeoutMs },
        (error, ack) => {
          if (error || ack === undefined)
            resolve({ installed: false, reason: error?.details ?? 'no answer' });
          else resolve(ack);
        },
      );
      streamSnapshot(call, header, folder, meta).catch((error: unknown) => {
        call.cancel();
        resolve({
          installed: false,
          reason: error instanceof Error ? error.message : String(error),
        });
      });
    });
  }

  private clientFor(peer: NodeId): grpc.Client | undefined {
    const existing = this.clients.get(peer);
    if (existing) return existing;
    const address = this.peerAddresses.get(peer);
    if (address === undefined) return undefined;
    this.dialCount++;
    const client = new this.ServiceClient(address, this.credentials(), {
      'grpc.max_send_message_length': limits.maxMessageBytes,
      'grpc.max_receive_message_length': limits.maxMessageBytes,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.enable_channelz': 0,
      // Every message to a peer is dropped while its channel waits to reconnect, so the
      // wait must stay well below an election timeout: gRPC's default grows to 2
      // minutes, and even 1 s made failovers slow after a restart (the survivors' votes
      // to the node that had just come back were dropped for up to a second). etcd
      // redials a peer every 100 ms.
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 100,
      // A name may move (a restarted pod gets a new address): gRPC's default waits 30 s
      // between lookups.
      'grpc.dns_min_time_between_resolutions_ms': 1_000,
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
        ? ' (do both nodes have the same cluster secret and this raftvec version?)'
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
