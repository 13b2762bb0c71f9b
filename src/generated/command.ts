import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CreateCollectionCommand as _raftvec_v1_CreateCollectionCommand, CreateCollectionCommand__Output as _raftvec_v1_CreateCollectionCommand__Output } from './raftvec/v1/CreateCollectionCommand.js';
import type { DeleteCommand as _raftvec_v1_DeleteCommand, DeleteCommand__Output as _raftvec_v1_DeleteCommand__Output } from './raftvec/v1/DeleteCommand.js';
import type { DropCollectionCommand as _raftvec_v1_DropCollectionCommand, DropCollectionCommand__Output as _raftvec_v1_DropCollectionCommand__Output } from './raftvec/v1/DropCollectionCommand.js';
import type { LogCommand as _raftvec_v1_LogCommand, LogCommand__Output as _raftvec_v1_LogCommand__Output } from './raftvec/v1/LogCommand.js';
import type { PointRecord as _raftvec_v1_PointRecord, PointRecord__Output as _raftvec_v1_PointRecord__Output } from './raftvec/v1/PointRecord.js';
import type { UpsertCommand as _raftvec_v1_UpsertCommand, UpsertCommand__Output as _raftvec_v1_UpsertCommand__Output } from './raftvec/v1/UpsertCommand.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  raftvec: {
    v1: {
      CreateCollectionCommand: MessageTypeDefinition<_raftvec_v1_CreateCollectionCommand, _raftvec_v1_CreateCollectionCommand__Output>
      DeleteCommand: MessageTypeDefinition<_raftvec_v1_DeleteCommand, _raftvec_v1_DeleteCommand__Output>
      DropCollectionCommand: MessageTypeDefinition<_raftvec_v1_DropCollectionCommand, _raftvec_v1_DropCollectionCommand__Output>
      LogCommand: MessageTypeDefinition<_raftvec_v1_LogCommand, _raftvec_v1_LogCommand__Output>
      PointRecord: MessageTypeDefinition<_raftvec_v1_PointRecord, _raftvec_v1_PointRecord__Output>
      UpsertCommand: MessageTypeDefinition<_raftvec_v1_UpsertCommand, _raftvec_v1_UpsertCommand__Output>
    }
  }
}

