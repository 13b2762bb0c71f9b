// Original file: proto/raftvec/v1/vector.proto

import type { ReadInfo as _raftvec_v1_ReadInfo, ReadInfo__Output as _raftvec_v1_ReadInfo__Output } from '../../raftvec/v1/ReadInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface CountResponse {
  'count'?: (number | string | Long);
  'readInfo'?: (_raftvec_v1_ReadInfo | null);
}

export interface CountResponse__Output {
  'count': (number);
  'readInfo': (_raftvec_v1_ReadInfo__Output | null);
}
