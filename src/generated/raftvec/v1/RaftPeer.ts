// Original file: proto/raftvec/v1/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeliverAck as _raftvec_v1_DeliverAck, DeliverAck__Output as _raftvec_v1_DeliverAck__Output } from '../../raftvec/v1/DeliverAck.js';
import type { RaftMessage as _raftvec_v1_RaftMessage, RaftMessage__Output as _raftvec_v1_RaftMessage__Output } from '../../raftvec/v1/RaftMessage.js';
import type { SnapshotAck as _raftvec_v1_SnapshotAck, SnapshotAck__Output as _raftvec_v1_SnapshotAck__Output } from '../../raftvec/v1/SnapshotAck.js';
import type { SnapshotChunk as _raftvec_v1_SnapshotChunk, SnapshotChunk__Output as _raftvec_v1_SnapshotChunk__Output } from '../../raftvec/v1/SnapshotChunk.js';

export interface RaftPeerClient extends grpc.Client {
  /**
   * One long-lived stream per (sender, receiver) pair carries every Raft message
   * from the sender, in order: votes (with pre-vote), AppendEntries, heartbeats and
   * their responses. Responses travel on the receiver's own stream back to the
   * sender, so the Raft core stays purely message-driven (as in etcd) and
   * several AppendEntries can be in flight at once (pipelining).
   */
  Deliver(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  Deliver(metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  Deliver(options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  Deliver(callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  /**
   * One long-lived stream per (sender, receiver) pair carries every Raft message
   * from the sender, in order: votes (with pre-vote), AppendEntries, heartbeats and
   * their responses. Responses travel on the receiver's own stream back to the
   * sender, so the Raft core stays purely message-driven (as in etcd) and
   * several AppendEntries can be in flight at once (pipelining).
   */
  deliver(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  deliver(metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  deliver(options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  deliver(callback: grpc.requestCallback<_raftvec_v1_DeliverAck__Output>): grpc.ClientWritableStream<_raftvec_v1_RaftMessage>;
  
  /**
   * Streams a snapshot of the state to a follower whose log is too far behind (or
   * empty) for AppendEntries: first a header, then each file of the snapshot in
   * chunks, in order. Answered once the follower has installed it, or refused it.
   * Its own call, so that its bytes flow under gRPC's flow control without delaying
   * Raft messages, and neither side ever holds a whole snapshot in memory.
   */
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  /**
   * Streams a snapshot of the state to a follower whose log is too far behind (or
   * empty) for AppendEntries: first a header, then each file of the snapshot in
   * chunks, in order. Answered once the follower has installed it, or refused it.
   * Its own call, so that its bytes flow under gRPC's flow control without delaying
   * Raft messages, and neither side ever holds a whole snapshot in memory.
   */
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_raftvec_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_raftvec_v1_SnapshotChunk>;
  
}

export interface RaftPeerHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One long-lived stream per (sender, receiver) pair carries every Raft message
   * from the sender, in order: votes (with pre-vote), AppendEntries, heartbeats and
   * their responses. Responses travel on the receiver's own stream back to the
   * sender, so the Raft core stays purely message-driven (as in etcd) and
   * several AppendEntries can be in flight at once (pipelining).
   */
  Deliver: grpc.handleClientStreamingCall<_raftvec_v1_RaftMessage__Output, _raftvec_v1_DeliverAck>;
  
  /**
   * Streams a snapshot of the state to a follower whose log is too far behind (or
   * empty) for AppendEntries: first a header, then each file of the snapshot in
   * chunks, in order. Answered once the follower has installed it, or refused it.
   * Its own call, so that its bytes flow under gRPC's flow control without delaying
   * Raft messages, and neither side ever holds a whole snapshot in memory.
   */
  InstallSnapshot: grpc.handleClientStreamingCall<_raftvec_v1_SnapshotChunk__Output, _raftvec_v1_SnapshotAck>;
  
}

export interface RaftPeerDefinition extends grpc.ServiceDefinition {
  Deliver: MethodDefinition<_raftvec_v1_RaftMessage, _raftvec_v1_DeliverAck, _raftvec_v1_RaftMessage__Output, _raftvec_v1_DeliverAck__Output>
  InstallSnapshot: MethodDefinition<_raftvec_v1_SnapshotChunk, _raftvec_v1_SnapshotAck, _raftvec_v1_SnapshotChunk__Output, _raftvec_v1_SnapshotAck__Output>
}
