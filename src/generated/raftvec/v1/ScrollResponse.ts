// Original file: proto/raftvec/v1/vector.proto

import type { Point as _raftvec_v1_Point, Point__Output as _raftvec_v1_Point__Output } from '../../raftvec/v1/Point.js';
import type { ReadInfo as _raftvec_v1_ReadInfo, ReadInfo__Output as _raftvec_v1_ReadInfo__Output } from '../../raftvec/v1/ReadInfo.js';

export interface ScrollResponse {
  'points'?: (_raftvec_v1_Point)[];
  /**
   * empty on the last page
   */
  'nextAfterId'?: (string);
  'readInfo'?: (_raftvec_v1_ReadInfo | null);
}

export interface ScrollResponse__Output {
  'points': (_raftvec_v1_Point__Output)[];
  /**
   * empty on the last page
   */
  'nextAfterId': (string);
  'readInfo': (_raftvec_v1_ReadInfo__Output | null);
}
