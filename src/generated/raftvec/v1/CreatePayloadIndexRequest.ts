// Original file: proto/raftvec/v1/vector.proto

import type { PayloadIndexType as _raftvec_v1_PayloadIndexType, PayloadIndexType__Output as _raftvec_v1_PayloadIndexType__Output } from '../../raftvec/v1/PayloadIndexType.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface CreatePayloadIndexRequest {
  'collection'?: (string);
  /**
   * a dotted path
   */
  'key'?: (string);
  'type'?: (_raftvec_v1_PayloadIndexType);
  'options'?: (_raftvec_v1_WriteOptions | null);
}

export interface CreatePayloadIndexRequest__Output {
  'collection': (string);
  /**
   * a dotted path
   */
  'key': (string);
  'type': (_raftvec_v1_PayloadIndexType__Output);
  'options': (_raftvec_v1_WriteOptions__Output | null);
}
