// Original file: proto/raftvec/v1/command.proto

import type { CreateCollectionCommand as _raftvec_v1_CreateCollectionCommand, CreateCollectionCommand__Output as _raftvec_v1_CreateCollectionCommand__Output } from '../../raftvec/v1/CreateCollectionCommand.js';
import type { DropCollectionCommand as _raftvec_v1_DropCollectionCommand, DropCollectionCommand__Output as _raftvec_v1_DropCollectionCommand__Output } from '../../raftvec/v1/DropCollectionCommand.js';
import type { UpsertCommand as _raftvec_v1_UpsertCommand, UpsertCommand__Output as _raftvec_v1_UpsertCommand__Output } from '../../raftvec/v1/UpsertCommand.js';
import type { DeleteCommand as _raftvec_v1_DeleteCommand, DeleteCommand__Output as _raftvec_v1_DeleteCommand__Output } from '../../raftvec/v1/DeleteCommand.js';
import type { DeleteByFilterCommand as _raftvec_v1_DeleteByFilterCommand, DeleteByFilterCommand__Output as _raftvec_v1_DeleteByFilterCommand__Output } from '../../raftvec/v1/DeleteByFilterCommand.js';
import type { UpdatePayloadCommand as _raftvec_v1_UpdatePayloadCommand, UpdatePayloadCommand__Output as _raftvec_v1_UpdatePayloadCommand__Output } from '../../raftvec/v1/UpdatePayloadCommand.js';
import type { CreatePayloadIndexCommand as _raftvec_v1_CreatePayloadIndexCommand, CreatePayloadIndexCommand__Output as _raftvec_v1_CreatePayloadIndexCommand__Output } from '../../raftvec/v1/CreatePayloadIndexCommand.js';
import type { DropPayloadIndexCommand as _raftvec_v1_DropPayloadIndexCommand, DropPayloadIndexCommand__Output as _raftvec_v1_DropPayloadIndexCommand__Output } from '../../raftvec/v1/DropPayloadIndexCommand.js';
import type { BatchCommand as _raftvec_v1_BatchCommand, BatchCommand__Output as _raftvec_v1_BatchCommand__Output } from '../../raftvec/v1/BatchCommand.js';
import type { Long } from '@grpc/proto-loader';

export interface LogCommand {
  'clientId'?: (string);
  'sequence'?: (number | string | Long);
  /**
   * The leader's wall-clock time (ms since the epoch) when it accepted the write;
   * 0 when absent. Apply reads no clock but this one (session expiry).
   */
  'leaderTimeMs'?: (number | string | Long);
  'createCollection'?: (_raftvec_v1_CreateCollectionCommand | null);
  'dropCollection'?: (_raftvec_v1_DropCollectionCommand | null);
  'upsert'?: (_raftvec_v1_UpsertCommand | null);
  'delete'?: (_raftvec_v1_DeleteCommand | null);
  'deleteByFilter'?: (_raftvec_v1_DeleteByFilterCommand | null);
  'updatePayload'?: (_raftvec_v1_UpdatePayloadCommand | null);
  'createPayloadIndex'?: (_raftvec_v1_CreatePayloadIndexCommand | null);
  'dropPayloadIndex'?: (_raftvec_v1_DropPayloadIndexCommand | null);
  'batch'?: (_raftvec_v1_BatchCommand | null);
  'command'?: "createCollection"|"dropCollection"|"upsert"|"delete"|"deleteByFilter"|"updatePayload"|"createPayloadIndex"|"dropPayloadIndex"|"batch";
}

export interface LogCommand__Output {
  'clientId': (string);
  'sequence': (number);
  /**
   * The leader's wall-clock time (ms since the epoch) when it accepted the write;
   * 0 when absent. Apply reads no clock but this one (session expiry).
   */
  'leaderTimeMs': (number);
  'createCollection'?: (_raftvec_v1_CreateCollectionCommand__Output | null);
  'dropCollection'?: (_raftvec_v1_DropCollectionCommand__Output | null);
  'upsert'?: (_raftvec_v1_UpsertCommand__Output | null);
  'delete'?: (_raftvec_v1_DeleteCommand__Output | null);
  'deleteByFilter'?: (_raftvec_v1_DeleteByFilterCommand__Output | null);
  'updatePayload'?: (_raftvec_v1_UpdatePayloadCommand__Output | null);
  'createPayloadIndex'?: (_raftvec_v1_CreatePayloadIndexCommand__Output | null);
  'dropPayloadIndex'?: (_raftvec_v1_DropPayloadIndexCommand__Output | null);
  'batch'?: (_raftvec_v1_BatchCommand__Output | null);
  'command'?: "createCollection"|"dropCollection"|"upsert"|"delete"|"deleteByFilter"|"updatePayload"|"createPayloadIndex"|"dropPayloadIndex"|"batch";
}
