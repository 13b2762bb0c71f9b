// Original file: proto/raftvec/v1/vector.proto

import type { SearchResult as _raftvec_v1_SearchResult, SearchResult__Output as _raftvec_v1_SearchResult__Output } from '../../raftvec/v1/SearchResult.js';

export interface SearchResponse {
  /**
   * One result per query, in the order of the queries.
   */
  'results'?: (_raftvec_v1_SearchResult)[];
}

export interface SearchResponse__Output {
  /**
   * One result per query, in the order of the queries.
   */
  'results': (_raftvec_v1_SearchResult__Output)[];
}
