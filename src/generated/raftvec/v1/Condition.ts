// Original file: proto/raftvec/v1/vector.proto

import type { Value as _google_protobuf_Value, Value__Output as _google_protobuf_Value__Output } from '../../google/protobuf/Value.js';
import type { ListValue as _google_protobuf_ListValue, ListValue__Output as _google_protobuf_ListValue__Output } from '../../google/protobuf/ListValue.js';
import type { Range as _raftvec_v1_Range, Range__Output as _raftvec_v1_Range__Output } from '../../raftvec/v1/Range.js';
import type { DatetimeRange as _raftvec_v1_DatetimeRange, DatetimeRange__Output as _raftvec_v1_DatetimeRange__Output } from '../../raftvec/v1/DatetimeRange.js';
import type { IdList as _raftvec_v1_IdList, IdList__Output as _raftvec_v1_IdList__Output } from '../../raftvec/v1/IdList.js';
import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';

/**
 * One condition: on the values at a metadata key (a dotted path into nested objects;
 * on an array, any element), on the point's id, or a nested filter. docs/filters.md
 * gives the exact semantics.
 */
export interface Condition {
  'key'?: (string);
  'equals'?: (_google_protobuf_Value | null);
  'in'?: (_google_protobuf_ListValue | null);
  'range'?: (_raftvec_v1_Range | null);
  /**
   * no value, or a value not in the list
   */
  'notIn'?: (_google_protobuf_ListValue | null);
  'datetimeRange'?: (_raftvec_v1_DatetimeRange | null);
  /**
   * true: the key holds null
   */
  'isNull'?: (boolean);
  /**
   * true: the key is missing, null or []
   */
  'isEmpty'?: (boolean);
  /**
   * true: the key is present (null and [] included)
   */
  'exists'?: (boolean);
  /**
   * the point's id is one of these (no key)
   */
  'hasId'?: (_raftvec_v1_IdList | null);
  /**
   * a nested filter (no key)
   */
  'filter'?: (_raftvec_v1_Filter | null);
  'match'?: "equals"|"in"|"range"|"notIn"|"datetimeRange"|"isNull"|"isEmpty"|"exists"|"hasId"|"filter";
}

/**
 * One condition: on the values at a metadata key (a dotted path into nested objects;
 * on an array, any element), on the point's id, or a nested filter. docs/filters.md
 * gives the exact semantics.
 */
export interface Condition__Output {
  'key': (string);
  'equals'?: (_google_protobuf_Value__Output | null);
  'in'?: (_google_protobuf_ListValue__Output | null);
  'range'?: (_raftvec_v1_Range__Output | null);
  /**
   * no value, or a value not in the list
   */
  'notIn'?: (_google_protobuf_ListValue__Output | null);
  'datetimeRange'?: (_raftvec_v1_DatetimeRange__Output | null);
  /**
   * true: the key holds null
   */
  'isNull'?: (boolean);
  /**
   * true: the key is missing, null or []
   */
  'isEmpty'?: (boolean);
  /**
   * true: the key is present (null and [] included)
   */
  'exists'?: (boolean);
  /**
   * the point's id is one of these (no key)
   */
  'hasId'?: (_raftvec_v1_IdList__Output | null);
  /**
   * a nested filter (no key)
   */
  'filter'?: (_raftvec_v1_Filter__Output | null);
  'match'?: "equals"|"in"|"range"|"notIn"|"datetimeRange"|"isNull"|"isEmpty"|"exists"|"hasId"|"filter";
}
