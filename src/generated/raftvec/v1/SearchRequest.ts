// Original file: proto/raftvec/v1/vector.proto

import type { QueryVector as _raftvec_v1_QueryVector, QueryVector__Output as _raftvec_v1_QueryVector__Output } from '../../raftvec/v1/QueryVector.js';
import type { Filter as _raftvec_v1_Filter, Filter__Output as _raftvec_v1_Filter__Output } from '../../raftvec/v1/Filter.js';
import type { ReadOptions as _raftvec_v1_ReadOptions, ReadOptions__Output as _raftvec_v1_ReadOptions__Output } from '../../raftvec/v1/ReadOptions.js';

export interface SearchRequest {
  'collection'?: (string);
  'queries'?: (_raftvec_v1_QueryVector)[];
  'k'?: (number);
  'filter'?: (_raftvec_v1_Filter | null);
  'withVector'?: (boolean);
  'withMetadata'?: (boolean);
  /**
   * HNSW only; 0 = the collection's default (256 unless set)
   */
  'efSearch'?: (number);
  /**
   * IVF only; 0 = index default
   */
  'nprobe'?: (number);
  'readOptions'?: (_raftvec_v1_ReadOptions | null);
  /**
   * Leave out hits beyond this score: for METRIC_L2 farther than it (a larger
   * distance), for METRIC_IP and METRIC_COSINE less similar (a smaller product).
   */
  'scoreThreshold'?: (number | string);
  /**
   * only these keys (dotted paths); implies with_metadata
   */
  'metadataKeys'?: (string)[];
  '_scoreThreshold'?: "scoreThreshold";
}

export interface SearchRequest__Output {
  'collection': (string);
  'queries': (_raftvec_v1_QueryVector__Output)[];
  'k': (number);
  'filter': (_raftvec_v1_Filter__Output | null);
  'withVector': (boolean);
  'withMetadata': (boolean);
  /**
   * HNSW only; 0 = the collection's default (256 unless set)
   */
  'efSearch': (number);
  /**
   * IVF only; 0 = index default
   */
  'nprobe': (number);
  'readOptions': (_raftvec_v1_ReadOptions__Output | null);
  /**
   * Leave out hits beyond this score: for METRIC_L2 farther than it (a larger
   * distance), for METRIC_IP and METRIC_COSINE less similar (a smaller product).
   */
  'scoreThreshold'?: (number);
  /**
   * only these keys (dotted paths); implies with_metadata
   */
  'metadataKeys': (string)[];
  '_scoreThreshold'?: "scoreThreshold";
}
