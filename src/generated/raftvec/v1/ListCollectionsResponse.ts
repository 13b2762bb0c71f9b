// Original file: proto/raftvec/v1/vector.proto

import type { CollectionInfo as _raftvec_v1_CollectionInfo, CollectionInfo__Output as _raftvec_v1_CollectionInfo__Output } from '../../raftvec/v1/CollectionInfo.js';

export interface ListCollectionsResponse {
  'collections'?: (_raftvec_v1_CollectionInfo)[];
}

export interface ListCollectionsResponse__Output {
  'collections': (_raftvec_v1_CollectionInfo__Output)[];
}
