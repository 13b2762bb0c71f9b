// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'commit'?: (number | string | Long);
  'readContext'?: (number | string | Long);
}

export interface Heartbeat__Output {
  'commit': (number);
  'readContext': (number);
}
