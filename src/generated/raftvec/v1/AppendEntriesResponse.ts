// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface AppendEntriesResponse {
  'success'?: (boolean);
  'matchIndex'?: (number | string | Long);
  'rejectedIndex'?: (number | string | Long);
  'conflictTerm'?: (number | string | Long);
  'hintIndex'?: (number | string | Long);
}

export interface AppendEntriesResponse__Output {
  'success': (boolean);
  'matchIndex': (number);
  'rejectedIndex': (number);
  'conflictTerm': (number);
  'hintIndex': (number);
}
