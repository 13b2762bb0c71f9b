// Original file: proto/raftvec/v1/vector.proto

import type { Point as _raftvec_v1_Point, Point__Output as _raftvec_v1_Point__Output } from '../../raftvec/v1/Point.js';

export interface UpsertOperation {
  'points'?: (_raftvec_v1_Point)[];
}

export interface UpsertOperation__Output {
  'points': (_raftvec_v1_Point__Output)[];
}
