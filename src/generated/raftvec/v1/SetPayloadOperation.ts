// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct.js';

export interface SetPayloadOperation {
  /**
   * or:
   */
  'ids'?: (string)[];
  'filter'?: (_raftvec_v1_Filter | null);
  'payload'?: (_google_protobuf_Struct | null);
}

export interface SetPayloadOperation__Output {
  /**
   * or:
   */
  'ids': (string)[];
  'filter': (_raftvec_v1_Filter__Output | null);
  'payload': (_google_protobuf_Struct__Output | null);
}
