// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface InstallSnapshot {
  'lastIncludedIndex'?: (number | string | Long);
  'lastIncludedTerm'?: (number | string | Long);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'done'?: (boolean);
}

export interface InstallSnapshot__Output {
  'lastIncludedIndex': (number);
  'lastIncludedTerm': (number);
  'offset': (number);
  'data': (Buffer);
  'done': (boolean);
}
