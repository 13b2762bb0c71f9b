// Original file: proto/raftvec/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { NodeStatus as _raftvec_v1_NodeStatus, NodeStatus__Output as _raftvec_v1_NodeStatus__Output } from '../../raftvec/v1/NodeStatus.js';
import type { StatusRequest as _raftvec_v1_StatusRequest, StatusRequest__Output as _raftvec_v1_StatusRequest__Output } from '../../raftvec/v1/StatusRequest.js';

export interface ClusterServiceClient extends grpc.Client {
  Status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _raftvec_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _raftvec_v1_StatusRequest, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _raftvec_v1_StatusRequest, callback: grpc.requestCallback<_raftvec_v1_NodeStatus__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterServiceHandlers extends grpc.UntypedServiceImplementation {
  Status: grpc.handleUnaryCall<_raftvec_v1_StatusRequest__Output, _raftvec_v1_NodeStatus>;
  
}

export interface ClusterServiceDefinition extends grpc.ServiceDefinition {
  Status: MethodDefinition<_raftvec_v1_StatusRequest, _raftvec_v1_NodeStatus, _raftvec_v1_StatusRequest__Output, _raftvec_v1_NodeStatus__Output>
}
