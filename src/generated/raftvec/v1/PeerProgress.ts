// Original file: proto/raftvec/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface PeerProgress {
  'id'?: (string);
  'matchIndex'?: (number | string | Long);
  'nextIndex'?: (number | string | Long);
  /**
   * "probe" | "replicate"
   */
  'state'?: (string);
}

export interface PeerProgress__Output {
  'id': (string);
  'matchIndex': (number);
  'nextIndex': (number);
  /**
   * "probe" | "replicate"
   */
  'state': (string);
}
