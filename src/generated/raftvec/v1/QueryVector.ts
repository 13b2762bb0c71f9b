// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';

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
  /**
   * Or: search by the vector of this stored point, which is left out of the hits.
   */
  'pointId'?: (string);
  /**
   * This query's own filter and k, instead of the request's.
   */
  'filter'?: (_raftvec_v1_Filter | null);
  'k'?: (number);
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
  /**
   * Or: search by the vector of this stored point, which is left out of the hits.
   */
  'pointId': (string);
  /**
   * This query's own filter and k, instead of the request's.
   */
  'filter': (_raftvec_v1_Filter__Output | null);
  'k': (number);
}
