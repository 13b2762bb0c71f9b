import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AppendEntries as _raftvec_v1_AppendEntries, AppendEntries__Output as _raftvec_v1_AppendEntries__Output } from './raftvec/v1/AppendEntries.js';
import type { AppendEntriesResponse as _raftvec_v1_AppendEntriesResponse, AppendEntriesResponse__Output as _raftvec_v1_AppendEntriesResponse__Output } from './raftvec/v1/AppendEntriesResponse.js';
import type { DeliverAck as _raftvec_v1_DeliverAck, DeliverAck__Output as _raftvec_v1_DeliverAck__Output } from './raftvec/v1/DeliverAck.js';
import type { HardState as _raftvec_v1_HardState, HardState__Output as _raftvec_v1_HardState__Output } from './raftvec/v1/HardState.js';
import type { Heartbeat as _raftvec_v1_Heartbeat, Heartbeat__Output as _raftvec_v1_Heartbeat__Output } from './raftvec/v1/Heartbeat.js';
import type { HeartbeatResponse as _raftvec_v1_HeartbeatResponse, HeartbeatResponse__Output as _raftvec_v1_HeartbeatResponse__Output } from './raftvec/v1/HeartbeatResponse.js';
import type { InstallSnapshot as _raftvec_v1_InstallSnapshot, InstallSnapshot__Output as _raftvec_v1_InstallSnapshot__Output } from './raftvec/v1/InstallSnapshot.js';
import type { LogEntry as _raftvec_v1_LogEntry, LogEntry__Output as _raftvec_v1_LogEntry__Output } from './raftvec/v1/LogEntry.js';
import type { RaftMessage as _raftvec_v1_RaftMessage, RaftMessage__Output as _raftvec_v1_RaftMessage__Output } from './raftvec/v1/RaftMessage.js';
import type { RaftPeerClient as _raftvec_v1_RaftPeerClient, RaftPeerDefinition as _raftvec_v1_RaftPeerDefinition } from './raftvec/v1/RaftPeer.js';
import type { SnapshotAck as _raftvec_v1_SnapshotAck, SnapshotAck__Output as _raftvec_v1_SnapshotAck__Output } from './raftvec/v1/SnapshotAck.js';
import type { SnapshotChunk as _raftvec_v1_SnapshotChunk, SnapshotChunk__Output as _raftvec_v1_SnapshotChunk__Output } from './raftvec/v1/SnapshotChunk.js';
import type { SnapshotFileChunk as _raftvec_v1_SnapshotFileChunk, SnapshotFileChunk__Output as _raftvec_v1_SnapshotFileChunk__Output } from './raftvec/v1/SnapshotFileChunk.js';
import type { SnapshotHeader as _raftvec_v1_SnapshotHeader, SnapshotHeader__Output as _raftvec_v1_SnapshotHeader__Output } from './raftvec/v1/SnapshotHeader.js';
import type { SnapshotPoint as _raftvec_v1_SnapshotPoint, SnapshotPoint__Output as _raftvec_v1_SnapshotPoint__Output } from './raftvec/v1/SnapshotPoint.js';
import type { TimeoutNow as _raftvec_v1_TimeoutNow, TimeoutNow__Output as _raftvec_v1_TimeoutNow__Output } from './raftvec/v1/TimeoutNow.js';
import type { VoteRequest as _raftvec_v1_VoteRequest, VoteRequest__Output as _raftvec_v1_VoteRequest__Output } from './raftvec/v1/VoteRequest.js';
import type { VoteResponse as _raftvec_v1_VoteResponse, VoteResponse__Output as _raftvec_v1_VoteResponse__Output } from './raftvec/v1/VoteResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  raftvec: {
    v1: {
      AppendEntries: MessageTypeDefinition<_raftvec_v1_AppendEntries, _raftvec_v1_AppendEntries__Output>
      AppendEntriesResponse: MessageTypeDefinition<_raftvec_v1_AppendEntriesResponse, _raftvec_v1_AppendEntriesResponse__Output>
      DeliverAck: MessageTypeDefinition<_raftvec_v1_DeliverAck, _raftvec_v1_DeliverAck__Output>
      EntryType: EnumTypeDefinition
      HardState: MessageTypeDefinition<_raftvec_v1_HardState, _raftvec_v1_HardState__Output>
      Heartbeat: MessageTypeDefinition<_raftvec_v1_Heartbeat, _raftvec_v1_Heartbeat__Output>
      HeartbeatResponse: MessageTypeDefinition<_raftvec_v1_HeartbeatResponse, _raftvec_v1_HeartbeatResponse__Output>
      InstallSnapshot: MessageTypeDefinition<_raftvec_v1_InstallSnapshot, _raftvec_v1_InstallSnapshot__Output>
      LogEntry: MessageTypeDefinition<_raftvec_v1_LogEntry, _raftvec_v1_LogEntry__Output>
      RaftMessage: MessageTypeDefinition<_raftvec_v1_RaftMessage, _raftvec_v1_RaftMessage__Output>
      RaftPeer: SubtypeConstructor<typeof grpc.Client, _raftvec_v1_RaftPeerClient> & { service: _raftvec_v1_RaftPeerDefinition }
      SnapshotAck: MessageTypeDefinition<_raftvec_v1_SnapshotAck, _raftvec_v1_SnapshotAck__Output>
      SnapshotChunk: MessageTypeDefinition<_raftvec_v1_SnapshotChunk, _raftvec_v1_SnapshotChunk__Output>
      SnapshotFileChunk: MessageTypeDefinition<_raftvec_v1_SnapshotFileChunk, _raftvec_v1_SnapshotFileChunk__Output>
      SnapshotHeader: MessageTypeDefinition<_raftvec_v1_SnapshotHeader, _raftvec_v1_SnapshotHeader__Output>
      SnapshotPoint: MessageTypeDefinition<_raftvec_v1_SnapshotPoint, _raftvec_v1_SnapshotPoint__Output>
      TimeoutNow: MessageTypeDefinition<_raftvec_v1_TimeoutNow, _raftvec_v1_TimeoutNow__Output>
      VoteRequest: MessageTypeDefinition<_raftvec_v1_VoteRequest, _raftvec_v1_VoteRequest__Output>
      VoteResponse: MessageTypeDefinition<_raftvec_v1_VoteResponse, _raftvec_v1_VoteResponse__Output>
    }
  }
}

