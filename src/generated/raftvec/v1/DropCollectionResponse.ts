// Original file: proto/raftvec/v1/vector.proto

import type { Long } from '@grpc/proto-loader';

export interface DropCollectionResponse {
  'logIndex'?: (number | string | Long);
}

export interface DropCollectionResponse__Output {
  'logIndex': (number);
}
