// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface VoteRequest {
  'lastLogIndex'?: (number | string | Long);
  'lastLogTerm'?: (number | string | Long);
}

export interface VoteRequest__Output {
  'lastLogIndex': (number);
  'lastLogTerm': (number);
}
