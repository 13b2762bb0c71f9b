// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface StatusRequest {
  /**
   * Also report the node's applied-entry digest at this log index, if it still
   * remembers it (recent indexes only): lets `raftvec status` compare replicas
   * that have applied different amounts. 0: not asked.
   */
  'digestAtIndex'?: (number | string | Long);
}

export interface StatusRequest__Output {
  /**
   * Also report the node's applied-entry digest at this log index, if it still
   * remembers it (recent indexes only): lets `raftvec status` compare replicas
   * that have applied different amounts. 0: not asked.
   */
  'digestAtIndex': (number);
}
