// Original file: proto/raftvec/v1/raft_storage.proto

import type { EntryType as _raftvec_v1_EntryType, EntryType__Output as _raftvec_v1_EntryType__Output } from '../../raftvec/v1/EntryType.js';
import type { Long } from '@grpc/proto-loader';

export interface LogEntry {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'type'?: (_raftvec_v1_EntryType);
  'data'?: (Buffer | Uint8Array | string);
}

export interface LogEntry__Output {
  'index': (number);
  'term': (number);
  'type': (_raftvec_v1_EntryType__Output);
  'data': (Buffer);
}
