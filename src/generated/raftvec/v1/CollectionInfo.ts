// Original file: proto/raftvec/v1/vector.proto

import type { Metric as _raftvec_v1_Metric, Metric__Output as _raftvec_v1_Metric__Output } from '../../raftvec/v1/Metric.js';
import type { PayloadIndexInfo as _raftvec_v1_PayloadIndexInfo, PayloadIndexInfo__Output as _raftvec_v1_PayloadIndexInfo__Output } from '../../raftvec/v1/PayloadIndexInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface CollectionInfo {
  'name'?: (string);
  'dimension'?: (number);
  'metric'?: (_raftvec_v1_Metric);
  'indexSpec'?: (string);
  'pointCount'?: (number | string | Long);
  /**
   * the collection's default HNSW efSearch; 0: the default, 256
   */
  'efSearch'?: (number);
  /**
   * sorted by key
   */
  'payloadIndexes'?: (_raftvec_v1_PayloadIndexInfo)[];
}

export interface CollectionInfo__Output {
  'name': (string);
  'dimension': (number);
  'metric': (_raftvec_v1_Metric__Output);
  'indexSpec': (string);
  'pointCount': (number);
  /**
   * the collection's default HNSW efSearch; 0: the default, 256
   */
  'efSearch': (number);
  /**
   * sorted by key
   */
  'payloadIndexes': (_raftvec_v1_PayloadIndexInfo__Output)[];
}
