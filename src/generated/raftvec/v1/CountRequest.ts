// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';
import type { ReadOptions as _raftvec_v1_ReadOptions, ReadOptions__Output as _raftvec_v1_ReadOptions__Output } from '../../raftvec/v1/ReadOptions.js';

export interface CountRequest {
  'collection'?: (string);
  'filter'?: (_raftvec_v1_Filter | null);
  'readOptions'?: (_raftvec_v1_ReadOptions | null);
}

export interface CountRequest__Output {
  'collection': (string);
  'filter': (_raftvec_v1_Filter__Output | null);
  'readOptions': (_raftvec_v1_ReadOptions__Output | null);
}
