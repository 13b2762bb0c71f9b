/** Reads a node's Raft status through raftvec.v1.ClusterService (for `raftvec status` and write concern `all`). */
import * as grpc from '@grpc/grpc-js';
import { clusterServiceDefinition } from '../api/proto.js';
import { withApiKey } from './transport.js';
import type { NodeStatus__Output } from '../generated/raftvec/v1/NodeStatus.js';
import type { Membership__Output } from '../generated/raftvec/v1/Membership.js';

// Re-exported only for src/server/node.ts (being refactored separately); remove once
// it imports from src/api/proto.ts.

export type NodeStatus = NodeStatus__Output;

/** A reusable client for one node's ClusterService. */
export class ClusterStatusClient {
  private readonly client: grpc.Client;

  /**
   * With `apiKey`, every call carries `authorization: Bearer <key>` (a server run with
   * `--api-keys-file` asks a read key for Status and ListMembers, an admin key for the
   * admin calls, which otherwise take the cluster credential instead).
   */
  /** What a status call carries: a node's peer credentials, for write concern "all". */
  private readonly statusMetadata: grpc.Metadata;

  constructor(
    readonly address: string,
    options: {
      apiKey?: string | undefined;
      statusCredentials?: grpc.Metadata;
      /** TLS (client/tls.ts `channelCredentials`); default plaintext. */
      credentials?: grpc.ChannelCredentials | undefined;
    } = {},
  ) {
    this.statusMetadata = options.statusCredentials ?? new grpc.Metadata();
    const Client = grpc.makeGenericClientConstructor(clusterServiceDefinition(), 'ClusterService');
    this.client = new Client(
      address,
      options.credentials ?? grpc.credentials.createInsecure(),
      withApiKey({}, options.apiKey),
    );
  }

  /**
   * The node's status; with `digestAtIndex`, also its applied-entry digest at that
   * index if it still remembers it (`digestAt`).
   */
  status(deadlineMs = 2_000, digestAtIndex = 0): Promise<NodeStatus> {
    return new Promise((resolve, reject) => {
      const method = clusterServiceDefinition()['Status'];
      if (method === undefined) throw new Error('cluster.proto defines no Status method');
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => NodeStatus,
        { digestAtIndex },
        this.statusMetadata.clone(),
        { deadline: Date.now() + deadlineMs },
        (error, value) =>
          error || value === undefined
            ? reject(error ?? new Error('empty status'))
            : resolve(value),
      );
    });
  }

  /**
   * Asks the node to snapshot its state and compact its log now. `credentials` is the
   * cluster credential (peer id and key headers), or empty when this client has an
   * admin API key; the snapshot may take a while.
   */
  takeSnapshot(
    credentials: grpc.Metadata,
    deadlineMs = 600_000,
  ): Promise<{ index: number; firstIndex: number }> {
    return this.adminCall('TakeSnapshot', {}, credentials, deadlineMs);
  }

  /**
   * Asks the leader to hand leadership to `to` (empty: the most up-to-date other
   * voter); resolves with the new leader. `credentials` as for takeSnapshot.
   */
  transferLeadership(
    credentials: grpc.Metadata,
    request: { to: string; timeoutMs: number },
    deadlineMs = 30_000,
  ): Promise<{ leaderId: string; term: number }> {
    return this.adminCall('TransferLeadership', request, credentials, deadlineMs);
  }

  /** The configuration in force on this node. */
  listMembers(deadlineMs = 5_000): Promise<Membership__Output> {
    return this.adminCall('ListMembers', {}, new grpc.Metadata(), deadlineMs);
  }

  /**
   * Membership changes (asked of the leader; `credentials` as for takeSnapshot): each
   * resolves with the configuration once the change is committed.
   */
  addMember(
    credentials: grpc.Metadata,
    request: {
      id: string;
      peerAddress: string;
      clientAddress?: string;
      learner: boolean;
      timeoutMs?: number;
    },
    deadlineMs = 90_000,
  ): Promise<Membership__Output> {
    return this.adminCall('AddMember', request, credentials, deadlineMs);
  }

  promoteMember(
    credentials: grpc.Metadata,
    request: { id: string; timeoutMs?: number },
    deadlineMs = 90_000,
  ): Promise<Membership__Output> {
    return this.adminCall('PromoteMember', request, credentials, deadlineMs);
  }

  removeMember(
    credentials: grpc.Metadata,
    request: { id: string },
    deadlineMs = 30_000,
  ): Promise<Membership__Output> {
    return this.adminCall('RemoveMember', request, credentials, deadlineMs);
  }

  /** One unary ClusterService call; rejects with the grpc ServiceError. */
  private adminCall<T>(
    name: string,
    request: object,
    metadata: grpc.Metadata,
    deadlineMs: number,
  ): Promise<T> {
    const method = clusterServiceDefinition()[name];
    if (method === undefined) throw new Error(`cluster.proto defines no ${name} method`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => T,
        request,
        metadata,
        { deadline: Date.now() + deadlineMs },
        (error, value) =>
          error || value === undefined ? reject(error ?? new Error('empty reply')) : resolve(value),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** A node's digest at a log index, as `raftvec status` compares them. */
export interface DigestSample {
  id: string;
  index: number;
  digest: string;
}

/**
 * Replicas that report different digests at the same applied index have diverged:
 * they applied different entries, or the same entries with different outcomes.
 * Returns one message per disagreeing index (empty when all agree).
 */
export function digestMismatches(samples: readonly DigestSample[]): string[] {
  const byIndex = new Map<number, DigestSample[]>();
  for (const s of samples) {
    if (s.index === 0 || s.digest === '') continue;
    byIndex.set(s.index, [...(byIndex.get(s.index) ?? []), s]);
  }
  const out: string[] = [];
  for (const [index, group] of byIndex) {
    const distinct = new Set(group.map((s) => s.digest));
    if (distinct.size > 1) {
      out.push(
        `replicas diverged at applied index ${index}: ${group.map((s) => `${s.id} has ${s.digest.slice(0, 16)}`).join(', ')}`,
      );
    }
  }
  return out;
}

/**
 * One node's status, asked on a connection of its own, or undefined when it does
 * not answer within `deadlineMs`. With `digestAtIndex`, `digestAt` holds its
 * applied-entry digest at that index if it remembers it.
 */
export async function nodeStatus(
  address: string,
  deadlineMs = 1_000,
  digestAtIndex = 0,
  apiKey?: string,
  credentials?: grpc.ChannelCredentials,
): Promise<NodeStatus | undefined> {
  const client = new ClusterStatusClient(address, { apiKey, credentials });
  try {
    return await client.status(deadlineMs, digestAtIndex);
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}
