// Original file: proto/raftvec/v1/vector.proto

import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';
import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';

export interface DeleteRequest {
  'collection'?: (string);
  /**
   * or:
   */
  'ids'?: (string)[];
  'options'?: (_raftvec_v1_WriteOptions | null);
  /**
   * every point that matches (not with ids)
   */
  'filter'?: (_raftvec_v1_Filter | null);
}

export interface DeleteRequest__Output {
  'collection': (string);
  /**
   * or:
   */
  'ids': (string)[];
  'options': (_raftvec_v1_WriteOptions__Output | null);
  /**
   * every point that matches (not with ids)
   */
  'filter': (_raftvec_v1_Filter__Output | null);
}
