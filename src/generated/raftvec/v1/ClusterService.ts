// Original file: proto/raftvec/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddMemberRequest as _raftvec_v1_AddMemberRequest, AddMemberRequest__Output as _raftvec_v1_AddMemberRequest__Output } from '../../raftvec/v1/AddMemberRequest.js';
import type { ListMembersRequest as _raftvec_v1_ListMembersRequest, ListMembersRequest__Output as _raftvec_v1_ListMembersRequest__Output } from '../../raftvec/v1/ListMembersRequest.js';
import type { Membership as _raftvec_v1_Membership, Membership__Output as _raftvec_v1_Membership__Output } from '../../raftvec/v1/Membership.js';
import type { NodeStatus as _raftvec_v1_NodeStatus, NodeStatus__Output as _raftvec_v1_NodeStatus__Output } from '../../raftvec/v1/NodeStatus.js';
import type { PromoteMemberRequest as _raftvec_v1_PromoteMemberRequest, PromoteMemberRequest__Output as _raftvec_v1_PromoteMemberRequest__Output } from '../../raftvec/v1/PromoteMemberRequest.js';
import type { RemoveMemberRequest as _raftvec_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _raftvec_v1_RemoveMemberRequest__Output } from '../../raftvec/v1/RemoveMemberRequest.js';
import type { StatusRequest as _raftvec_v1_StatusRequest, StatusRequest__Output as _raftvec_v1_StatusRequest__Output } from '../../raftvec/v1/StatusRequest.js';
import type { TakeSnapshotReply as _raftvec_v1_TakeSnapshotReply, TakeSnapshotReply__Output as _raftvec_v1_TakeSnapshotReply__Output } from '../../raftvec/v1/TakeSnapshotReply.js';
import type { TakeSnapshotRequest as _raftvec_v1_TakeSnapshotRequest, TakeSnapshotRequest__Output as _raftvec_v1_TakeSnapshotRequest__Output } from '../../raftvec/v1/TakeSnapshotRequest.js';
import type { TransferLeadershipReply as _raftvec_v1_TransferLeadershipReply, TransferLeadershipReply__Output as _raftvec_v1_TransferLeadershipReply__Output } from '../../raftvec/v1/TransferLeadershipReply.js';
import type { TransferLeadershipRequest as _raftvec_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _raftvec_v1_TransferLeadershipRequest__Output } from '../../raftvec/v1/TransferLeadershipRequest.js';

export interface ClusterServiceClient extends grpc.Client {
  /**
   * Adds a member. As a learner it gets the log (by snapshot first if the leader
   * compacted it) but neither votes nor counts; as a voter (learner = false) it is
   * added as a learner, and promoted once it has caught up. Adding a member that is
   * already there with the same peer address changes nothing and answers the
   * configuration (so a joining node can ask again).
   */
  AddMember(argument: _raftvec_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _raftvec_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _raftvec_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _raftvec_v1_AddMemberRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  /**
   * Adds a member. As a learner it gets the log (by snapshot first if the leader
   * compacted it) but neither votes nor counts; as a voter (learner = false) it is
   * added as a learner, and promoted once it has caught up. Adding a member that is
   * already there with the same peer address changes nothing and answers the
   * configuration (so a joining node can ask again).
   */
  addMember(argument: _raftvec_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  addMember(argument: _raftvec_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  addMember(argument: _raftvec_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  addMember(argument: _raftvec_v1_AddMemberRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  
  /**
   * Membership (`raftvec member ...`): single-server changes through the Raft log
   * (docs/membership.md). Each needs the cluster credential, as TakeSnapshot does.
   * Changes are made by the leader: asked of a follower, UNAVAILABLE with the
   * leader's address. They answer once the change is committed.
   * The configuration in force on the node asked (no credential needed: it is in
   * every node's status too).
   */
  ListMembers(argument: _raftvec_v1_ListMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _raftvec_v1_ListMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _raftvec_v1_ListMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _raftvec_v1_ListMembersRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  /**
   * Membership (`raftvec member ...`): single-server changes through the Raft log
   * (docs/membership.md). Each needs the cluster credential, as TakeSnapshot does.
   * Changes are made by the leader: asked of a follower, UNAVAILABLE with the
   * leader's address. They answer once the change is committed.
   * The configuration in force on the node asked (no credential needed: it is in
   * every node's status too).
   */
  listMembers(argument: _raftvec_v1_ListMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _raftvec_v1_ListMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _raftvec_v1_ListMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _raftvec_v1_ListMembersRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  
  /**
   * Promotes a learner to voter once its log is within the promotion bound of the
   * leader's (waits for it, up to timeout_ms).
   */
  PromoteMember(argument: _raftvec_v1_PromoteMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  PromoteMember(argument: _raftvec_v1_PromoteMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  PromoteMember(argument: _raftvec_v1_PromoteMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  PromoteMember(argument: _raftvec_v1_PromoteMemberRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  /**
   * Promotes a learner to voter once its log is within the promotion bound of the
   * leader's (waits for it, up to timeout_ms).
   */
  promoteMember(argument: _raftvec_v1_PromoteMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  promoteMember(argument: _raftvec_v1_PromoteMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  promoteMember(argument: _raftvec_v1_PromoteMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  promoteMember(argument: _raftvec_v1_PromoteMemberRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes a member. Removing the leader itself: it hands leadership to a voter and
   * steps down once the change commits.
   */
  RemoveMember(argument: _raftvec_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _raftvec_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _raftvec_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _raftvec_v1_RemoveMemberRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  /**
   * Removes a member. Removing the leader itself: it hands leadership to a voter and
   * steps down once the change commits.
   */
  removeMember(argument: _raftvec_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _raftvec_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _raftvec_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _raftvec_v1_RemoveMemberRequest, callback: grpc.requestCallback<_raftvec_v1_Membership__Output>): grpc.ClientUnaryCall;
  
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
  /**
   * Adds a member. As a learner it gets the log (by snapshot first if the leader
   * compacted it) but neither votes nor counts; as a voter (learner = false) it is
   * added as a learner, and promoted once it has caught up. Adding a member that is
   * already there with the same peer address changes nothing and answers the
   * configuration (so a joining node can ask again).
   */
  AddMember: grpc.handleUnaryCall<_raftvec_v1_AddMemberRequest__Output, _raftvec_v1_Membership>;
  
  /**
   * Membership (`raftvec member ...`): single-server changes through the Raft log
   * (docs/membership.md). Each needs the cluster credential, as TakeSnapshot does.
   * Changes are made by the leader: asked of a follower, UNAVAILABLE with the
   * leader's address. They answer once the change is committed.
   * The configuration in force on the node asked (no credential needed: it is in
   * every node's status too).
   */
  ListMembers: grpc.handleUnaryCall<_raftvec_v1_ListMembersRequest__Output, _raftvec_v1_Membership>;
  
  /**
   * Promotes a learner to voter once its log is within the promotion bound of the
   * leader's (waits for it, up to timeout_ms).
   */
  PromoteMember: grpc.handleUnaryCall<_raftvec_v1_PromoteMemberRequest__Output, _raftvec_v1_Membership>;
  
  /**
   * Removes a member. Removing the leader itself: it hands leadership to a voter and
   * steps down once the change commits.
   */
  RemoveMember: grpc.handleUnaryCall<_raftvec_v1_RemoveMemberRequest__Output, _raftvec_v1_Membership>;
  
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
  AddMember: MethodDefinition<_raftvec_v1_AddMemberRequest, _raftvec_v1_Membership, _raftvec_v1_AddMemberRequest__Output, _raftvec_v1_Membership__Output>
  ListMembers: MethodDefinition<_raftvec_v1_ListMembersRequest, _raftvec_v1_Membership, _raftvec_v1_ListMembersRequest__Output, _raftvec_v1_Membership__Output>
  PromoteMember: MethodDefinition<_raftvec_v1_PromoteMemberRequest, _raftvec_v1_Membership, _raftvec_v1_PromoteMemberRequest__Output, _raftvec_v1_Membership__Output>
  RemoveMember: MethodDefinition<_raftvec_v1_RemoveMemberRequest, _raftvec_v1_Membership, _raftvec_v1_RemoveMemberRequest__Output, _raftvec_v1_Membership__Output>
  Status: MethodDefinition<_raftvec_v1_StatusRequest, _raftvec_v1_NodeStatus, _raftvec_v1_StatusRequest__Output, _raftvec_v1_NodeStatus__Output>
  TakeSnapshot: MethodDefinition<_raftvec_v1_TakeSnapshotRequest, _raftvec_v1_TakeSnapshotReply, _raftvec_v1_TakeSnapshotRequest__Output, _raftvec_v1_TakeSnapshotReply__Output>
  TransferLeadership: MethodDefinition<_raftvec_v1_TransferLeadershipRequest, _raftvec_v1_TransferLeadershipReply, _raftvec_v1_TransferLeadershipRequest__Output, _raftvec_v1_TransferLeadershipReply__Output>
}
