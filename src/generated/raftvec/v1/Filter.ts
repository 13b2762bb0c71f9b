// Original file: proto/raftvec/v1/vector.proto

import type { Condition as _raftvec_v1_Condition, Condition__Output as _raftvec_v1_Condition__Output } from '../../raftvec/v1/Condition.js';

/**
 * A point matches when every `must` condition holds, at least `min_should` (0: one)
 * of the `should` conditions hold (if there are any) and no `must_not` condition holds.
 */
export interface Filter {
  'must'?: (_raftvec_v1_Condition)[];
  'should'?: (_raftvec_v1_Condition)[];
  'minShould'?: (number);
  'mustNot'?: (_raftvec_v1_Condition)[];
}

/**
 * A point matches when every `must` condition holds, at least `min_should` (0: one)
 * of the `should` conditions hold (if there are any) and no `must_not` condition holds.
 */
export interface Filter__Output {
  'must': (_raftvec_v1_Condition__Output)[];
  'should': (_raftvec_v1_Condition__Output)[];
  'minShould': (number);
  'mustNot': (_raftvec_v1_Condition__Output)[];
}
