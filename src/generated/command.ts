import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BatchCommand as _raftvec_v1_BatchCommand, BatchCommand__Output as _raftvec_v1_BatchCommand__Output } from './raftvec/v1/BatchCommand.js';
import type { BatchOperationRecord as _raftvec_v1_BatchOperationRecord, BatchOperationRecord__Output as _raftvec_v1_BatchOperationRecord__Output } from './raftvec/v1/BatchOperationRecord.js';
import type { CreateCollectionCommand as _raftvec_v1_CreateCollectionCommand, CreateCollectionCommand__Output as _raftvec_v1_CreateCollectionCommand__Output } from './raftvec/v1/CreateCollectionCommand.js';
import type { CreatePayloadIndexCommand as _raftvec_v1_CreatePayloadIndexCommand, CreatePayloadIndexCommand__Output as _raftvec_v1_CreatePayloadIndexCommand__Output } from './raftvec/v1/CreatePayloadIndexCommand.js';
import type { DeleteByFilterCommand as _raftvec_v1_DeleteByFilterCommand, DeleteByFilterCommand__Output as _raftvec_v1_DeleteByFilterCommand__Output } from './raftvec/v1/DeleteByFilterCommand.js';
import type { DeleteCommand as _raftvec_v1_DeleteCommand, DeleteCommand__Output as _raftvec_v1_DeleteCommand__Output } from './raftvec/v1/DeleteCommand.js';
import type { DropCollectionCommand as _raftvec_v1_DropCollectionCommand, DropCollectionCommand__Output as _raftvec_v1_DropCollectionCommand__Output } from './raftvec/v1/DropCollectionCommand.js';
import type { DropPayloadIndexCommand as _raftvec_v1_DropPayloadIndexCommand, DropPayloadIndexCommand__Output as _raftvec_v1_DropPayloadIndexCommand__Output } from './raftvec/v1/DropPayloadIndexCommand.js';
import type { LogCommand as _raftvec_v1_LogCommand, LogCommand__Output as _raftvec_v1_LogCommand__Output } from './raftvec/v1/LogCommand.js';
import type { PointRecord as _raftvec_v1_PointRecord, PointRecord__Output as _raftvec_v1_PointRecord__Output } from './raftvec/v1/PointRecord.js';
import type { UpdatePayloadCommand as _raftvec_v1_UpdatePayloadCommand, UpdatePayloadCommand__Output as _raftvec_v1_UpdatePayloadCommand__Output } from './raftvec/v1/UpdatePayloadCommand.js';
import type { UpsertCommand as _raftvec_v1_UpsertCommand, UpsertCommand__Output as _raftvec_v1_UpsertCommand__Output } from './raftvec/v1/UpsertCommand.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  raftvec: {
    v1: {
      BatchCommand: MessageTypeDefinition<_raftvec_v1_BatchCommand, _raftvec_v1_BatchCommand__Output>
      BatchOperationRecord: MessageTypeDefinition<_raftvec_v1_BatchOperationRecord, _raftvec_v1_BatchOperationRecord__Output>
      CreateCollectionCommand: MessageTypeDefinition<_raftvec_v1_CreateCollectionCommand, _raftvec_v1_CreateCollectionCommand__Output>
      CreatePayloadIndexCommand: MessageTypeDefinition<_raftvec_v1_CreatePayloadIndexCommand, _raftvec_v1_CreatePayloadIndexCommand__Output>
      DeleteByFilterCommand: MessageTypeDefinition<_raftvec_v1_DeleteByFilterCommand, _raftvec_v1_DeleteByFilterCommand__Output>
      DeleteCommand: MessageTypeDefinition<_raftvec_v1_DeleteCommand, _raftvec_v1_DeleteCommand__Output>
      DropCollectionCommand: MessageTypeDefinition<_raftvec_v1_DropCollectionCommand, _raftvec_v1_DropCollectionCommand__Output>
      DropPayloadIndexCommand: MessageTypeDefinition<_raftvec_v1_DropPayloadIndexCommand, _raftvec_v1_DropPayloadIndexCommand__Output>
      LogCommand: MessageTypeDefinition<_raftvec_v1_LogCommand, _raftvec_v1_LogCommand__Output>
      PointRecord: MessageTypeDefinition<_raftvec_v1_PointRecord, _raftvec_v1_PointRecord__Output>
      UpdatePayloadCommand: MessageTypeDefinition<_raftvec_v1_UpdatePayloadCommand, _raftvec_v1_UpdatePayloadCommand__Output>
      UpsertCommand: MessageTypeDefinition<_raftvec_v1_UpsertCommand, _raftvec_v1_UpsertCommand__Output>
    }
  }
}

