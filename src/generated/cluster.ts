import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClusterServiceClient as _raftvec_v1_ClusterServiceClient, ClusterServiceDefinition as _raftvec_v1_ClusterServiceDefinition } from './raftvec/v1/ClusterService.js';
import type { NodeStatus as _raftvec_v1_NodeStatus, NodeStatus__Output as _raftvec_v1_NodeStatus__Output } from './raftvec/v1/NodeStatus.js';
import type { PeerProgress as _raftvec_v1_PeerProgress, PeerProgress__Output as _raftvec_v1_PeerProgress__Output } from './raftvec/v1/PeerProgress.js';
import type { StatusRequest as _raftvec_v1_StatusRequest, StatusRequest__Output as _raftvec_v1_StatusRequest__Output } from './raftvec/v1/StatusRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  raftvec: {
    v1: {
      ClusterService: SubtypeConstructor<typeof grpc.Client, _raftvec_v1_ClusterServiceClient> & { service: _raftvec_v1_ClusterServiceDefinition }
      NodeStatus: MessageTypeDefinition<_raftvec_v1_NodeStatus, _raftvec_v1_NodeStatus__Output>
      PeerProgress: MessageTypeDefinition<_raftvec_v1_PeerProgress, _raftvec_v1_PeerProgress__Output>
      StatusRequest: MessageTypeDefinition<_raftvec_v1_StatusRequest, _raftvec_v1_StatusRequest__Output>
    }
  }
}

