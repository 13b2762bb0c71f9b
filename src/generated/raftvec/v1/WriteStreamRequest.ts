// Original file: proto/raftvec/v1/vector.proto

import type { UpsertRequest as _raftvec_v1_UpsertRequest, UpsertRequest__Output as _raftvec_v1_UpsertRequest__Output } from '../../raftvec/v1/UpsertRequest.js';
import type { DeleteRequest as _raftvec_v1_DeleteRequest, DeleteRequest__Output as _raftvec_v1_DeleteRequest__Output } from '../../raftvec/v1/DeleteRequest.js';
import type { Long } from '@grpc/proto-loader';

export interface WriteStreamRequest {
  /**
   * Chosen by the client, echoed in the response; unique among its writes in flight.
   */
  'requestId'?: (number | string | Long);
  /**
   * How long the node may take, as a unary call's deadline (0: the node's default).
   */
  'timeoutMs'?: (number);
  'upsert'?: (_raftvec_v1_UpsertRequest | null);
  'delete'?: (_raftvec_v1_DeleteRequest | null);
  'write'?: "upsert"|"delete";
}

export interface WriteStreamRequest__Output {
  /**
   * Chosen by the client, echoed in the response; unique among its writes in flight.
   */
  'requestId': (number);
  /**
   * How long the node may take, as a unary call's deadline (0: the node's default).
   */
  'timeoutMs': (number);
  'upsert'?: (_raftvec_v1_UpsertRequest__Output | null);
  'delete'?: (_raftvec_v1_DeleteRequest__Output | null);
  'write'?: "upsert"|"delete";
}
