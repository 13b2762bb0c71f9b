// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';

export interface CountRequest {
  'collection'?: (string);
  'filter'?: (_raftvec_v1_Filter | null);
}

export interface CountRequest__Output {
  'collection': (string);
  'filter': (_raftvec_v1_Filter__Output | null);
}
