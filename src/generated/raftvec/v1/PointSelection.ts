// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';

/**
 * The points an operation applies to: ids, or every point that matches the filter.
 */
export interface PointSelection {
  'ids'?: (string)[];
  'filter'?: (_raftvec_v1_Filter | null);
}

/**
 * The points an operation applies to: ids, or every point that matches the filter.
 */
export interface PointSelection__Output {
  'ids': (string)[];
  'filter': (_raftvec_v1_Filter__Output | null);
}
