// Original file: proto/raftvec/v1/vector.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct.js';

export interface ScoredPoint {
  'id'?: (string);
  /**
   * Squared L2 distance for METRIC_L2; inner product for METRIC_IP and METRIC_COSINE.
   */
  'score'?: (number | string);
  'vector'?: (number | string)[];
  'metadata'?: (_google_protobuf_Struct | null);
}

export interface ScoredPoint__Output {
  'id': (string);
  /**
   * Squared L2 distance for METRIC_L2; inner product for METRIC_IP and METRIC_COSINE.
   */
  'score': (number);
  'vector': (number)[];
  'metadata': (_google_protobuf_Struct__Output | null);
}
