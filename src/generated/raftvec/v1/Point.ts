// Original file: proto/raftvec/v1/vector.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct.js';

export interface Point {
  'id'?: (string);
  'vector'?: (number | string)[];
  'metadata'?: (_google_protobuf_Struct | null);
}

export interface Point__Output {
  'id': (string);
  'vector': (number)[];
  'metadata': (_google_protobuf_Struct__Output | null);
}
