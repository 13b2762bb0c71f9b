// Original file: proto/raftvec/v1/command.proto

import type { UpsertCommand as _raftvec_v1_UpsertCommand, UpsertCommand__Output as _raftvec_v1_UpsertCommand__Output } from '../../raftvec/v1/UpsertCommand.js';
import type { DeleteCommand as _raftvec_v1_DeleteCommand, DeleteCommand__Output as _raftvec_v1_DeleteCommand__Output } from '../../raftvec/v1/DeleteCommand.js';
import type { DeleteByFilterCommand as _raftvec_v1_DeleteByFilterCommand, DeleteByFilterCommand__Output as _raftvec_v1_DeleteByFilterCommand__Output } from '../../raftvec/v1/DeleteByFilterCommand.js';
import type { UpdatePayloadCommand as _raftvec_v1_UpdatePayloadCommand, UpdatePayloadCommand__Output as _raftvec_v1_UpdatePayloadCommand__Output } from '../../raftvec/v1/UpdatePayloadCommand.js';

export interface BatchOperationRecord {
  'upsert'?: (_raftvec_v1_UpsertCommand | null);
  'delete'?: (_raftvec_v1_DeleteCommand | null);
  'deleteByFilter'?: (_raftvec_v1_DeleteByFilterCommand | null);
  'updatePayload'?: (_raftvec_v1_UpdatePayloadCommand | null);
  'operation'?: "upsert"|"delete"|"deleteByFilter"|"updatePayload";
}

export interface BatchOperationRecord__Output {
  'upsert'?: (_raftvec_v1_UpsertCommand__Output | null);
  'delete'?: (_raftvec_v1_DeleteCommand__Output | null);
  'deleteByFilter'?: (_raftvec_v1_DeleteByFilterCommand__Output | null);
  'updatePayload'?: (_raftvec_v1_UpdatePayloadCommand__Output | null);
  'operation'?: "upsert"|"delete"|"deleteByFilter"|"updatePayload";
}
