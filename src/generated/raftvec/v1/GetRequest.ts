// Original file: proto/raftvec/v1/vector.proto

import type { ReadOptions as _raftvec_v1_ReadOptions, ReadOptions__Output as _raftvec_v1_ReadOptions__Output } from '../../raftvec/v1/ReadOptions.js';

export interface GetRequest {
  'collection'?: (string);
  'ids'?: (string)[];
  'withVector'?: (boolean);
  'withMetadata'?: (boolean);
  'readOptions'?: (_raftvec_v1_ReadOptions | null);
  /**
   * only these keys (dotted paths); implies with_metadata
   */
  'metadataKeys'?: (string)[];
}

export interface GetRequest__Output {
  'collection': (string);
  'ids': (string)[];
  'withVector': (boolean);
  'withMetadata': (boolean);
  'readOptions': (_raftvec_v1_ReadOptions__Output | null);
  /**
   * only these keys (dotted paths); implies with_metadata
   */
  'metadataKeys': (string)[];
}
