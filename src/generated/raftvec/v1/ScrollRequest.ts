// Original file: proto/raftvec/v1/vector.proto

import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';
import type { ReadOptions as _raftvec_v1_ReadOptions, ReadOptions__Output as _raftvec_v1_ReadOptions__Output } from '../../raftvec/v1/ReadOptions.js';

export interface ScrollRequest {
  'collection'?: (string);
  /**
   * empty: from the start
   */
  'afterId'?: (string);
  'limit'?: (number);
  'filter'?: (_raftvec_v1_Filter | null);
  'withVector'?: (boolean);
  'withMetadata'?: (boolean);
  'readOptions'?: (_raftvec_v1_ReadOptions | null);
  /**
   * only these keys (dotted paths); implies with_metadata
   */
  'metadataKeys'?: (string)[];
}

export interface ScrollRequest__Output {
  'collection': (string);
  /**
   * empty: from the start
   */
  'afterId': (string);
  'limit': (number);
  'filter': (_raftvec_v1_Filter__Output | null);
  'withVector': (boolean);
  'withMetadata': (boolean);
  'readOptions': (_raftvec_v1_ReadOptions__Output | null);
  /**
   * only these keys (dotted paths); implies with_metadata
   */
  'metadataKeys': (string)[];
}
