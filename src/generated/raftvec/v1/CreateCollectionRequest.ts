// Original file: proto/raftvec/v1/vector.proto

import type { Metric as _raftvec_v1_Metric, Metric__Output as _raftvec_v1_Metric__Output } from '../../raftvec/v1/Metric.js';
import type { WriteOptions as _raftvec_v1_WriteOptions, WriteOptions__Output as _raftvec_v1_WriteOptions__Output } from '../../raftvec/v1/WriteOptions.js';

export interface CreateCollectionRequest {
  'name'?: (string);
  'dimension'?: (number);
  'metric'?: (_raftvec_v1_Metric);
  /**
   * FAISS factory string; empty means "Flat"
   */
  'indexSpec'?: (string);
  'options'?: (_raftvec_v1_WriteOptions | null);
  /**
   * Default HNSW search breadth for this collection's searches (a search's own
   * ef_search overrides it). 0: the default, 256. HNSW indexes only.
   */
  'efSearch'?: (number);
}

export interface CreateCollectionRequest__Output {
  'name': (string);
  'dimension': (number);
  'metric': (_raftvec_v1_Metric__Output);
  /**
   * FAISS factory string; empty means "Flat"
   */
  'indexSpec': (string);
  'options': (_raftvec_v1_WriteOptions__Output | null);
  /**
   * Default HNSW search breadth for this collection's searches (a search's own
   * ef_search overrides it). 0: the default, 256. HNSW indexes only.
   */
  'efSearch': (number);
}
