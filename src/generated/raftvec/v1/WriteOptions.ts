// Original file: proto/raftvec/v1/vector.proto

import type { WriteConcern as _raftvec_v1_WriteConcern, WriteConcern__Output as _raftvec_v1_WriteConcern__Output } from '../../raftvec/v1/WriteConcern.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Identifies a client's write so that a retry after a failover applies once.
 */
export interface WriteOptions {
  'writeConcern'?: (_raftvec_v1_WriteConcern);
  /**
   * empty: no deduplication
   */
  'clientId'?: (string);
  /**
   * strictly increasing per client_id
   */
  'sequence'?: (number | string | Long);
}

/**
 * Identifies a client's write so that a retry after a failover applies once.
 */
export interface WriteOptions__Output {
  'writeConcern': (_raftvec_v1_WriteConcern__Output);
  /**
   * empty: no deduplication
   */
  'clientId': (string);
  /**
   * strictly increasing per client_id
   */
  'sequence': (number);
}
