/**
 * ClusterService: a node's Raft role, term, commit and applied index, and (on the
 * leader) every member's replication progress. Open to clients, like etcd's
 * endpoint status: it reveals no data.
 */
import type * as grpc from '@grpc/grpc-js';
import type { NodeStatus } from '../generated/raftvec/v1/NodeStatus.js';
import type { RaftRuntime } from '../raft/runtime/raft-runtime.js';

export function clusterStatusOf(runtime: RaftRuntime, selfAddress: string): NodeStatus {
  const status = runtime.status();
  return {
    id: status.id,
    address: selfAddress,
    role: status.role,
    term: status.term,
    leaderId: status.leaderId ?? '',
    leaderAddress: runtime.leaderAddress() ?? '',
    commitIndex: status.commitIndex,
    appliedIndex: runtime.appliedIndex,
    lastIndex: status.lastIndex,
    progress: Object.entries(status.progress ?? {}).map(([id, p]) => ({
      id,
      matchIndex: p.match,
      nextIndex: p.next,
      state: p.state,
    })),
  };
}

export function clusterServiceHandlers(
  runtime: RaftRuntime,
  selfAddress: () => string,
): grpc.UntypedServiceImplementation {
  const status: grpc.handleUnaryCall<unknown, NodeStatus> = (_call, callback) => {
    callback(null, clusterStatusOf(runtime, selfAddress()));
  };
  return { Status: status };
}
