// Original file: proto/raftvec/v1/vector.proto

import type { ScoredPoint as _raftvec_v1_ScoredPoint, ScoredPoint__Output as _raftvec_v1_ScoredPoint__Output } from '../../raftvec/v1/ScoredPoint.js';

export interface SearchResult {
  'hits'?: (_raftvec_v1_ScoredPoint)[];
}

export interface SearchResult__Output {
  'hits': (_raftvec_v1_ScoredPoint__Output)[];
}
