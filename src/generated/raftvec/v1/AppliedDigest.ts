// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A fingerprint of everything a node applied up to `index`: a SHA-256 chain over
 * every applied entry. Replicas that applied the same entries have the same one.
 */
export interface AppliedDigest {
  'index'?: (number | string | Long);
  /**
   * hex
   */
  'digest'?: (string);
}

/**
 * A fingerprint of everything a node applied up to `index`: a SHA-256 chain over
 * every applied entry. Replicas that applied the same entries have the same one.
 */
export interface AppliedDigest__Output {
  'index': (number);
  /**
   * hex
   */
  'digest': (string);
}
