/** Reads a node's Raft status through raftvec.v1.ClusterService (for `raftvec status` and write concern `all`). */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../package-root.js';
import type { NodeStatus__Output } from '../generated/raftvec/v1/NodeStatus.js';
import { PROTO_LOADER_OPTIONS } from './proto.js';

export type NodeStatus = NodeStatus__Output;

let definition: grpc.ServiceDefinition | undefined;

export function clusterServiceDefinition(): grpc.ServiceDefinition {
  if (!definition) {
    const packageDefinition = protoLoader.loadSync(join('raftvec', 'v1', 'cluster.proto'), {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [protoDir()],
    });
    definition = packageDefinition['raftvec.v1.ClusterService'] as grpc.ServiceDefinition;
  }
  return definition;
}

/** A reusable client for one node's ClusterService. */
export class ClusterStatusClient {
  private readonly client: grpc.Client;

  constructor(readonly address: string) {
    const Client = grpc.makeGenericClientConstructor(clusterServiceDefinition(), 'ClusterService');
    this.client = new Client(address, grpc.credentials.createInsecure());
  }

  status(deadlineMs = 2_000): Promise<NodeStatus> {
    return new Promise((resolve, reject) => {
      const method = clusterServiceDefinition()['Status'];
      if (method === undefined) throw new Error('cluster.proto defines no Status method');
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => NodeStatus,
        {},
        { deadline: Date.now() + deadlineMs },
        (error, value) =>
          error || value === undefined
            ? reject(error ?? new Error('empty status'))
            : resolve(value),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
