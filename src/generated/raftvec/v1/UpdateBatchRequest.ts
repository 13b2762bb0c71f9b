// Original file: proto/raftvec/v1/vector.proto

import type { BatchOperation as _raftvec_v1_BatchOperation, BatchOperation__Output as _raftvec_v1_BatchOperation__Output } from '../../raftvec/v1/BatchOperation.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface UpdateBatchRequest {
  'collection'?: (string);
  /**
   * 1 to 256
   */
  'operations'?: (_raftvec_v1_BatchOperation)[];
  'options'?: (_raftvec_v1_WriteOptions | null);
}

export interface UpdateBatchRequest__Output {
  'collection': (string);
  /**
   * 1 to 256
   */
  'operations': (_raftvec_v1_BatchOperation__Output)[];
  'options': (_raftvec_v1_WriteOptions__Output | null);
}
