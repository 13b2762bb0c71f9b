// Original file: proto/raftvec/v1/vector.proto

import type { Point as _raftvec_v1_Point, Point__Output as _raftvec_v1_Point__Output } from '../../raftvec/v1/Point.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface UpsertRequest {
  'collection'?: (string);
  'points'?: (_raftvec_v1_Point)[];
  'options'?: (_raftvec_v1_WriteOptions | null);
}

export interface UpsertRequest__Output {
  'collection': (string);
  'points': (_raftvec_v1_Point__Output)[];
  'options': (_raftvec_v1_WriteOptions__Output | null);
}
