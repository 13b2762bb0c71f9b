// Original file: proto/raftvec/v1/command.proto

import type { PointRecord as _raftvec_v1_PointRecord, PointRecord__Output as _raftvec_v1_PointRecord__Output } from '../../raftvec/v1/PointRecord.js';

export interface UpsertCommand {
  'collection'?: (string);
  'points'?: (_raftvec_v1_PointRecord)[];
}

export interface UpsertCommand__Output {
  'collection': (string);
  'points': (_raftvec_v1_PointRecord__Output)[];
}
