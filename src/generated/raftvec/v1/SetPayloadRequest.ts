// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface SetPayloadRequest {
  'collection'?: (string);
  /**
   * every one must exist; or:
   */
  'ids'?: (string)[];
  /**
   * every point that matches (not with ids)
   */
  'filter'?: (_raftvec_v1_Filter | null);
  'payload'?: (_google_protobuf_Struct | null);
  'options'?: (_raftvec_v1_WriteOptions | null);
}

export interface SetPayloadRequest__Output {
  'collection': (string);
  /**
   * every one must exist; or:
   */
  'ids': (string)[];
  /**
   * every point that matches (not with ids)
   */
  'filter': (_raftvec_v1_Filter__Output | null);
  'payload': (_google_protobuf_Struct__Output | null);
  'options': (_raftvec_v1_WriteOptions__Output | null);
}
