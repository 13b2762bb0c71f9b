// Original file: proto/raftvec/v1/vector.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct.js';

export interface Point {
  'id'?: (string);
  /**
   * The vector as a list of floats; or set `vector_f32` instead (not both).
   */
  'vector'?: (number | string)[];
  'metadata'?: (_google_protobuf_Struct | null);
  /**
   * The vector as little-endian float32 bytes, 4 per component: encoded and decoded
   * as one copy instead of float by float. The TypeScript client sends this.
   */
  'vectorF32'?: (Buffer | Uint8Array | string);
}

export interface Point__Output {
  'id': (string);
  /**
   * The vector as a list of floats; or set `vector_f32` instead (not both).
   */
  'vector': (number)[];
  'metadata': (_google_protobuf_Struct__Output | null);
  /**
   * The vector as little-endian float32 bytes, 4 per component: encoded and decoded
   * as one copy instead of float by float. The TypeScript client sends this.
   */
  'vectorF32': (Buffer);
}
