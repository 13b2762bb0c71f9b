// Original file: proto/raftvec/v1/vector.proto

import type { CollectionInfo as _raftvec_v1_CollectionInfo, CollectionInfo__Output as _raftvec_v1_CollectionInfo__Output } from '../../raftvec/v1/CollectionInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface CreateCollectionResponse {
  'collection'?: (_raftvec_v1_CollectionInfo | null);
  'logIndex'?: (number | string | Long);
}

export interface CreateCollectionResponse__Output {
  'collection': (_raftvec_v1_CollectionInfo__Output | null);
  'logIndex': (number);
}
