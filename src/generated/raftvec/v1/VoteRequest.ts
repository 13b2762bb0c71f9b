// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface VoteRequest {
  'lastLogIndex'?: (number | string | Long);
  'lastLogTerm'?: (number | string | Long);
  /**
   * RequestVote only: the leader asked this candidate to campaign (TimeoutNow), so
   * voters set leader stickiness aside for it.
   */
  'leadershipTransfer'?: (boolean);
}

export interface VoteRequest__Output {
  'lastLogIndex': (number);
  'lastLogTerm': (number);
  /**
   * RequestVote only: the leader asked this candidate to campaign (TimeoutNow), so
   * voters set leader stickiness aside for it.
   */
  'leadershipTransfer': (boolean);
}
