// Original file: proto/raftvec/v1/vector.proto

import type { WriteResponse as _raftvec_v1_WriteResponse, WriteResponse__Output as _raftvec_v1_WriteResponse__Output } from '../../raftvec/v1/WriteResponse.js';
import type { Long } from '@grpc/proto-loader';

export interface UpdateBatchResponse {
  /**
   * one per operation, in order (log_index unset)
   */
  'results'?: (_raftvec_v1_WriteResponse)[];
  'logIndex'?: (number | string | Long);
}

export interface UpdateBatchResponse__Output {
  /**
   * one per operation, in order (log_index unset)
   */
  'results': (_raftvec_v1_WriteResponse__Output)[];
  'logIndex': (number);
}
