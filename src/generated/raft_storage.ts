import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { HardState as _raftvec_v1_HardState, HardState__Output as _raftvec_v1_HardState__Output } from './raftvec/v1/HardState.js';
import type { LogEntry as _raftvec_v1_LogEntry, LogEntry__Output as _raftvec_v1_LogEntry__Output } from './raftvec/v1/LogEntry.js';
import type { SnapshotPoint as _raftvec_v1_SnapshotPoint, SnapshotPoint__Output as _raftvec_v1_SnapshotPoint__Output } from './raftvec/v1/SnapshotPoint.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  raftvec: {
    v1: {
      EntryType: EnumTypeDefinition
      HardState: MessageTypeDefinition<_raftvec_v1_HardState, _raftvec_v1_HardState__Output>
      LogEntry: MessageTypeDefinition<_raftvec_v1_LogEntry, _raftvec_v1_LogEntry__Output>
      SnapshotPoint: MessageTypeDefinition<_raftvec_v1_SnapshotPoint, _raftvec_v1_SnapshotPoint__Output>
    }
  }
}

