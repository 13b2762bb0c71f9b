// Original file: proto/raftvec/v1/vector.proto

import type { Condition as _raftvec_v1_Condition, Condition__Output as _raftvec_v1_Condition__Output } from '../../raftvec/v1/Condition.js';

/**
 * Every condition must hold.
 */
export interface Filter {
  'must'?: (_raftvec_v1_Condition)[];
}

/**
 * Every condition must hold.
 */
export interface Filter__Output {
  'must': (_raftvec_v1_Condition__Output)[];
}
