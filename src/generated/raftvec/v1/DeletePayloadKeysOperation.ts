// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';

export interface DeletePayloadKeysOperation {
  /**
   * or:
   */
  'ids'?: (string)[];
  'filter'?: (_raftvec_v1_Filter | null);
  'keys'?: (string)[];
}

export interface DeletePayloadKeysOperation__Output {
  /**
   * or:
   */
  'ids': (string)[];
  'filter': (_raftvec_v1_Filter__Output | null);
  'keys': (string)[];
}
