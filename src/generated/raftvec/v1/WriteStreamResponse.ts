// Original file: proto/raftvec/v1/vector.proto

import type { WriteResponse as _raftvec_v1_WriteResponse, WriteResponse__Output as _raftvec_v1_WriteResponse__Output } from '../../raftvec/v1/WriteResponse.js';
import type { WriteStreamError as _raftvec_v1_WriteStreamError, WriteStreamError__Output as _raftvec_v1_WriteStreamError__Output } from '../../raftvec/v1/WriteStreamError.js';
import type { Long } from '@grpc/proto-loader';

export interface WriteStreamResponse {
  'requestId'?: (number | string | Long);
  'ok'?: (_raftvec_v1_WriteResponse | null);
  'error'?: (_raftvec_v1_WriteStreamError | null);
  'outcome'?: "ok"|"error";
}

export interface WriteStreamResponse__Output {
  'requestId': (number);
  'ok'?: (_raftvec_v1_WriteResponse__Output | null);
  'error'?: (_raftvec_v1_WriteStreamError__Output | null);
  'outcome'?: "ok"|"error";
}
