// Original file: proto/raftvec/v1/vector.proto

import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface DropPayloadIndexRequest {
  'collection'?: (string);
  'key'?: (string);
  'options'?: (_raftvec_v1_WriteOptions | null);
}

export interface DropPayloadIndexRequest__Output {
  'collection': (string);
  'key': (string);
  'options': (_raftvec_v1_WriteOptions__Output | null);
}
