// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface TakeSnapshotReply {
  /**
   * the applied index the snapshot holds
   */
  'index'?: (number | string | Long);
  /**
   * where the log starts after compacting
   */
  'firstIndex'?: (number | string | Long);
}

export interface TakeSnapshotReply__Output {
  /**
   * the applied index the snapshot holds
   */
  'index': (number);
  /**
   * where the log starts after compacting
   */
  'firstIndex': (number);
}
