// Original file: proto/raftvec/v1/vector.proto

import type { Value as _google_protobuf_Value, Value__Output as _google_protobuf_Value__Output } from '../../google/protobuf/Value.js';
import type { ListValue as _google_protobuf_ListValue, ListValue__Output as _google_protobuf_ListValue__Output } from '../../google/protobuf/ListValue.js';
import type { Range as _raftvec_v1_Range, Range__Output as _raftvec_v1_Range__Output } from '../../raftvec/v1/Range.js';

/**
 * One condition on a metadata key (a dotted path into nested objects).
 */
export interface Condition {
  'key'?: (string);
  'equals'?: (_google_protobuf_Value | null);
  'in'?: (_google_protobuf_ListValue | null);
  'range'?: (_raftvec_v1_Range | null);
  'match'?: "equals"|"in"|"range";
}

/**
 * One condition on a metadata key (a dotted path into nested objects).
 */
export interface Condition__Output {
  'key': (string);
  'equals'?: (_google_protobuf_Value__Output | null);
  'in'?: (_google_protobuf_ListValue__Output | null);
  'range'?: (_raftvec_v1_Range__Output | null);
  'match'?: "equals"|"in"|"range";
}
