// Original file: proto/raftvec/v1/raft_storage.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Term, vote and commit index: synced before a vote is granted or an entry acknowledged.
 */
export interface HardState {
  'term'?: (number | string | Long);
  /**
   * empty: voted for nobody in this term
   */
  'vote'?: (string);
  'commit'?: (number | string | Long);
}

/**
 * Term, vote and commit index: synced before a vote is granted or an entry acknowledged.
 */
export interface HardState__Output {
  'term': (number);
  /**
   * empty: voted for nobody in this term
   */
  'vote': (string);
  'commit': (number);
}
