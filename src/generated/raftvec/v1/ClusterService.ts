// Original file: proto/raftvec/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { NodeStatus as _raftvec_v1_NodeStatus, NodeStatus__Output as _raftvec_v1_NodeStatus__Output } from '../../raftvec/v1/NodeStatus.js';
import type { StatusRequest as _raftvec_v1_StatusRequest, StatusRequest__Output as _raftvec_v1_StatusRequest__Output } from '../../raftvec/v1/StatusRequest.js';
import type { TakeSnapshotReply as _raftvec_v1_TakeSnapshotReply, TakeSnapshotReply__Output as _raftvec_v1_TakeSnapshotReply__Output } from '../../raftvec/v1/TakeSnapshotReply.js';
import type { TakeSnapshotRequest as _raftvec_v1_TakeSnapshotRequest, TakeSnapshotRequest__Output as _raftvec_v1_TakeSnapshotRequest__Output } from '../../raftvec/v1/TakeSnapshotRequest.js';
import type { TransferLeadershipReply as _raftvec_v1_TransferLeadershipReply, TransferLeadershipReply__Output as _raftvec_v1_TransferLeadershipReply__Output } from '../../raftvec/v1/TransferLeadershipReply.js';
import type { TransferLeadershipRequest as _raftvec_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _raftvec_v1_TransferLeadershipRequest__Output } from '../../raftvec/v1/TransferLeadershipRequest.js';

export interface ClusterServiceClient extends grpc.Client {
  Status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _raftvec_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _raftvec_v1_StatusRequest, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  
  /**
   * Takes a snapshot of this node's state now and compacts its log behind it
   * (`raftvec snapshot`). Needs the cluster credential: call metadata
   * x-raftvec-peer-id and x-raftvec-peer-key, as peers send (any id, with the key
   * the cluster secret gives it), else UNAUTHENTICATED.
   */
  TakeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  TakeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  TakeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  TakeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  /**
   * Takes a snapshot of this node's state now and compacts its log behind it
   * (`raftvec snapshot`). Needs the cluster credential: call metadata
   * x-raftvec-peer-id and x-raftvec-peer-key, as peers send (any id, with the key
   * the cluster secret gives it), else UNAUTHENTICATED.
   */
  takeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  takeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  takeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  takeSnapshot(argument: _raftvec_v1_TakeSnapshotRequest, callback: grpc.requestCallback<_raftvec_v1_TakeSnapshotReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Hands leadership to another voter (`raftvec leader transfer`): asked of the
   * leader, it stops accepting writes, brings the target up to date, tells it to
   * campaign at once (TimeoutNow) and answers once another leader is known. Asked of a
   * follower: UNAVAILABLE with the leader's address. Needs the cluster credential,
   * as TakeSnapshot does.
   */
  TransferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  TransferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  /**
   * Hands leadership to another voter (`raftvec leader transfer`): asked of the
   * leader, it stops accepting writes, brings the target up to date, tells it to
   * campaign at once (TimeoutNow) and answers once another leader is known. Asked of a
   * follower: UNAVAILABLE with the leader's address. Needs the cluster credential,
   * as TakeSnapshot does.
   */
  transferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  transferLeadership(argument: _raftvec_v1_TransferLeadershipRequest, callback: grpc.requestCallback<_raftvec_v1_TransferLeadershipReply__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterServiceHandlers extends grpc.UntypedServiceImplementation {
  Status: grpc.handleUnaryCall<_raftvec_v1_StatusRequest__Output, _raftvec_v1_NodeStatus>;
  
  /**
   * Takes a snapshot of this node's state now and compacts its log behind it
   * (`raftvec snapshot`). Needs the cluster credential: call metadata
   * x-raftvec-peer-id and x-raftvec-peer-key, as peers send (any id, with the key
   * the cluster secret gives it), else UNAUTHENTICATED.
   */
  TakeSnapshot: grpc.handleUnaryCall<_raftvec_v1_TakeSnapshotRequest__Output, _raftvec_v1_TakeSnapshotReply>;
  
  /**
   * Hands leadership to another voter (`raftvec leader transfer`): asked of the
   * leader, it stops accepting writes, brings the target up to date, tells it to
   * campaign at once (TimeoutNow) and answers once another leader is known. Asked of a
   * follower: UNAVAILABLE with the leader's address. Needs the cluster credential,
   * as TakeSnapshot does.
   */
  TransferLeadership: grpc.handleUnaryCall<_raftvec_v1_TransferLeadershipRequest__Output, _raftvec_v1_TransferLeadershipReply>;
  
}

export interface ClusterServiceDefinition extends grpc.ServiceDefinition {
  Status: MethodDefinition<_raftvec_v1_StatusRequest, _raftvec_v1_NodeStatus, _raftvec_v1_StatusRequest__Output, _raftvec_v1_NodeStatus__Output>
  TakeSnapshot: MethodDefinition<_raftvec_v1_TakeSnapshotRequest, _raftvec_v1_TakeSnapshotReply, _raftvec_v1_TakeSnapshotRequest__Output, _raftvec_v1_TakeSnapshotReply__Output>
  TransferLeadership: MethodDefinition<_raftvec_v1_TransferLeadershipRequest, _raftvec_v1_TransferLeadershipReply, _raftvec_v1_TransferLeadershipRequest__Output, _raftvec_v1_TransferLeadershipReply__Output>
}
