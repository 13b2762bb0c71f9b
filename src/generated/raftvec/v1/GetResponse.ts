// Original file: proto/raftvec/v1/vector.proto

import type { Point as _raftvec_v1_Point, Point__Output as _raftvec_v1_Point__Output } from '../../raftvec/v1/Point.js';
import type { ReadInfo as _raftvec_v1_ReadInfo, ReadInfo__Output as _raftvec_v1_ReadInfo__Output } from '../../raftvec/v1/ReadInfo.js';

export interface GetResponse {
  /**
   * Only the points that exist, in the order asked.
   */
  'points'?: (_raftvec_v1_Point)[];
  'readInfo'?: (_raftvec_v1_ReadInfo | null);
}

export interface GetResponse__Output {
  /**
   * Only the points that exist, in the order asked.
   */
  'points': (_raftvec_v1_Point__Output)[];
  'readInfo': (_raftvec_v1_ReadInfo__Output | null);
}
