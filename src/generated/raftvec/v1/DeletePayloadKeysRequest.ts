// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface DeletePayloadKeysRequest {
  'collection'?: (string);
  /**
   * every one must exist; or:
   */
  'ids'?: (string)[];
  /**
   * every point that matches (not with ids)
   */
  'filter'?: (_raftvec_v1_Filter | null);
  /**
   * dotted paths
   */
  'keys'?: (string)[];
  'options'?: (_raftvec_v1_WriteOptions | null);
}

export interface DeletePayloadKeysRequest__Output {
  'collection': (string);
  /**
   * every one must exist; or:
   */
  'ids': (string)[];
  /**
   * every point that matches (not with ids)
   */
  'filter': (_raftvec_v1_Filter__Output | null);
  /**
   * dotted paths
   */
  'keys': (string)[];
  'options': (_raftvec_v1_WriteOptions__Output | null);
}
