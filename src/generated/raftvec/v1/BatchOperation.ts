// Original file: proto/raftvec/v1/vector.proto

import type { UpsertOperation as _raftvec_v1_UpsertOperation, UpsertOperation__Output as _raftvec_v1_UpsertOperation__Output } from '../../raftvec/v1/UpsertOperation.js';
import type { PointSelection as _raftvec_v1_PointSelection, PointSelection__Output as _raftvec_v1_PointSelection__Output } from '../../raftvec/v1/PointSelection.js';
import type { SetPayloadOperation as _raftvec_v1_SetPayloadOperation, SetPayloadOperation__Output as _raftvec_v1_SetPayloadOperation__Output } from '../../raftvec/v1/SetPayloadOperation.js';
import type { DeletePayloadKeysOperation as _raftvec_v1_DeletePayloadKeysOperation, DeletePayloadKeysOperation__Output as _raftvec_v1_DeletePayloadKeysOperation__Output } from '../../raftvec/v1/DeletePayloadKeysOperation.js';

export interface BatchOperation {
  'upsert'?: (_raftvec_v1_UpsertOperation | null);
  'delete'?: (_raftvec_v1_PointSelection | null);
  'setPayload'?: (_raftvec_v1_SetPayloadOperation | null);
  'overwritePayload'?: (_raftvec_v1_SetPayloadOperation | null);
  'deletePayloadKeys'?: (_raftvec_v1_DeletePayloadKeysOperation | null);
  'operation'?: "upsert"|"delete"|"setPayload"|"overwritePayload"|"deletePayloadKeys";
}

export interface BatchOperation__Output {
  'upsert'?: (_raftvec_v1_UpsertOperation__Output | null);
  'delete'?: (_raftvec_v1_PointSelection__Output | null);
  'setPayload'?: (_raftvec_v1_SetPayloadOperation__Output | null);
  'overwritePayload'?: (_raftvec_v1_SetPayloadOperation__Output | null);
  'deletePayloadKeys'?: (_raftvec_v1_DeletePayloadKeysOperation__Output | null);
  'operation'?: "upsert"|"delete"|"setPayload"|"overwritePayload"|"deletePayloadKeys";
}
