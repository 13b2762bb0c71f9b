import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddMemberRequest as _raftvec_v1_AddMemberRequest, AddMemberRequest__Output as _raftvec_v1_AddMemberRequest__Output } from './raftvec/v1/AddMemberRequest.js';
import type { AppliedDigest as _raftvec_v1_AppliedDigest, AppliedDigest__Output as _raftvec_v1_AppliedDigest__Output } from './raftvec/v1/AppliedDigest.js';
import type { ClusterServiceClient as _raftvec_v1_ClusterServiceClient, ClusterServiceDefinition as _raftvec_v1_ClusterServiceDefinition } from './raftvec/v1/ClusterService.js';
import type { FaissBuild as _raftvec_v1_FaissBuild, FaissBuild__Output as _raftvec_v1_FaissBuild__Output } from './raftvec/v1/FaissBuild.js';
import type { ListMembersRequest as _raftvec_v1_ListMembersRequest, ListMembersRequest__Output as _raftvec_v1_ListMembersRequest__Output } from './raftvec/v1/ListMembersRequest.js';
import type { LoadProgress as _raftvec_v1_LoadProgress, LoadProgress__Output as _raftvec_v1_LoadProgress__Output } from './raftvec/v1/LoadProgress.js';
import type { Member as _raftvec_v1_Member, Member__Output as _raftvec_v1_Member__Output } from './raftvec/v1/Member.js';
import type { Membership as _raftvec_v1_Membership, Membership__Output as _raftvec_v1_Membership__Output } from './raftvec/v1/Membership.js';
import type { MemoryUsage as _raftvec_v1_MemoryUsage, MemoryUsage__Output as _raftvec_v1_MemoryUsage__Output } from './raftvec/v1/MemoryUsage.js';
import type { NodeStatus as _raftvec_v1_NodeStatus, NodeStatus__Output as _raftvec_v1_NodeStatus__Output } from './raftvec/v1/NodeStatus.js';
import type { PeerProgress as _raftvec_v1_PeerProgress, PeerProgress__Output as _raftvec_v1_PeerProgress__Output } from './raftvec/v1/PeerProgress.js';
import type { PromoteMemberRequest as _raftvec_v1_PromoteMemberRequest, PromoteMemberRequest__Output as _raftvec_v1_PromoteMemberRequest__Output } from './raftvec/v1/PromoteMemberRequest.js';
import type { RemoveMemberRequest as _raftvec_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _raftvec_v1_RemoveMemberRequest__Output } from './raftvec/v1/RemoveMemberRequest.js';
import type { StatusRequest as _raftvec_v1_StatusRequest, StatusRequest__Output as _raftvec_v1_StatusRequest__Output } from './raftvec/v1/StatusRequest.js';
import type { TakeSnapshotReply as _raftvec_v1_TakeSnapshotReply, TakeSnapshotReply__Output as _raftvec_v1_TakeSnapshotReply__Output } from './raftvec/v1/TakeSnapshotReply.js';
import type { TakeSnapshotRequest as _raftvec_v1_TakeSnapshotRequest, TakeSnapshotRequest__Output as _raftvec_v1_TakeSnapshotRequest__Output } from './raftvec/v1/TakeSnapshotRequest.js';
import type { TransferLeadershipReply as _raftvec_v1_TransferLeadershipReply, TransferLeadershipReply__Output as _raftvec_v1_TransferLeadershipReply__Output } from './raftvec/v1/TransferLeadershipReply.js';
import type { TransferLeadershipRequest as _raftvec_v1_TransferLeadershipRequest, TransferLeadershipRequest__Output as _raftvec_v1_TransferLeadershipRequest__Output } from './raftvec/v1/TransferLeadershipRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  raftvec: {
    v1: {
      AddMemberRequest: MessageTypeDefinition<_raftvec_v1_AddMemberRequest, _raftvec_v1_AddMemberRequest__Output>
      AppliedDigest: MessageTypeDefinition<_raftvec_v1_AppliedDigest, _raftvec_v1_AppliedDigest__Output>
      ClusterService: SubtypeConstructor<typeof grpc.Client, _raftvec_v1_ClusterServiceClient> & { service: _raftvec_v1_ClusterServiceDefinition }
      FaissBuild: MessageTypeDefinition<_raftvec_v1_FaissBuild, _raftvec_v1_FaissBuild__Output>
      ListMembersRequest: MessageTypeDefinition<_raftvec_v1_ListMembersRequest, _raftvec_v1_ListMembersRequest__Output>
      LoadProgress: MessageTypeDefinition<_raftvec_v1_LoadProgress, _raftvec_v1_LoadProgress__Output>
      Member: MessageTypeDefinition<_raftvec_v1_Member, _raftvec_v1_Member__Output>
      Membership: MessageTypeDefinition<_raftvec_v1_Membership, _raftvec_v1_Membership__Output>
      MemoryUsage: MessageTypeDefinition<_raftvec_v1_MemoryUsage, _raftvec_v1_MemoryUsage__Output>
      NodeStatus: MessageTypeDefinition<_raftvec_v1_NodeStatus, _raftvec_v1_NodeStatus__Output>
      PeerProgress: MessageTypeDefinition<_raftvec_v1_PeerProgress, _raftvec_v1_PeerProgress__Output>
      PromoteMemberRequest: MessageTypeDefinition<_raftvec_v1_PromoteMemberRequest, _raftvec_v1_PromoteMemberRequest__Output>
      RemoveMemberRequest: MessageTypeDefinition<_raftvec_v1_RemoveMemberRequest, _raftvec_v1_RemoveMemberRequest__Output>
      StatusRequest: MessageTypeDefinition<_raftvec_v1_StatusRequest, _raftvec_v1_StatusRequest__Output>
      TakeSnapshotReply: MessageTypeDefinition<_raftvec_v1_TakeSnapshotReply, _raftvec_v1_TakeSnapshotReply__Output>
      TakeSnapshotRequest: MessageTypeDefinition<_raftvec_v1_TakeSnapshotRequest, _raftvec_v1_TakeSnapshotRequest__Output>
      TransferLeadershipReply: MessageTypeDefinition<_raftvec_v1_TransferLeadershipReply, _raftvec_v1_TransferLeadershipReply__Output>
      TransferLeadershipRequest: MessageTypeDefinition<_raftvec_v1_TransferLeadershipRequest, _raftvec_v1_TransferLeadershipRequest__Output>
    }
  }
}

