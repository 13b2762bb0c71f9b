// Original file: proto/raftvec/v1/vector.proto

import type { SearchResult as _raftvec_v1_SearchResult, SearchResult__Output as _raftvec_v1_SearchResult__Output } from '../../raftvec/v1/SearchResult.js';
import type { ReadInfo as _raftvec_v1_ReadInfo, ReadInfo__Output as _raftvec_v1_ReadInfo__Output } from '../../raftvec/v1/ReadInfo.js';

export interface SearchResponse {
  /**
   * One result per query, in the order of the queries.
   */
  'results'?: (_raftvec_v1_SearchResult)[];
  'readInfo'?: (_raftvec_v1_ReadInfo | null);
}

export interface SearchResponse__Output {
  /**
   * One result per query, in the order of the queries.
   */
  'results': (_raftvec_v1_SearchResult__Output)[];
  'readInfo': (_raftvec_v1_ReadInfo__Output | null);
}
