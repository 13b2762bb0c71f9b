// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatResponse {
  'readContext'?: (number | string | Long);
}

export interface HeartbeatResponse__Output {
  'readContext': (number);
}
