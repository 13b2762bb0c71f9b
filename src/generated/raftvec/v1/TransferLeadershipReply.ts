// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferLeadershipReply {
  /**
   * the new leader
   */
  'leaderId'?: (string);
  /**
   * the term this node saw the new leader in
   */
  'term'?: (number | string | Long);
}

export interface TransferLeadershipReply__Output {
  /**
   * the new leader
   */
  'leaderId': (string);
  /**
   * the term this node saw the new leader in
   */
  'term': (number);
}
