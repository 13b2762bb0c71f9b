// Original file: proto/raftvec/v1/vector.proto


export interface QueryVector {
  /**
   * The query as a list of floats; or set `values_f32` instead (not both).
   */
  'values'?: (number | string)[];
  /**
   * The query as little-endian float32 bytes, 4 per component: one copy each way
   * instead of float by float. The TypeScript client sends this.
   */
  'valuesF32'?: (Buffer | Uint8Array | string);
}

export interface QueryVector__Output {
  /**
   * The query as a list of floats; or set `values_f32` instead (not both).
   */
  'values': (number)[];
  /**
   * The query as little-endian float32 bytes, 4 per component: one copy each way
   * instead of float by float. The TypeScript client sends this.
   */
  'valuesF32': (Buffer);
}
