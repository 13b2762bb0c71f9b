// Original file: proto/raftvec/v1/raft_storage.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Where the stored log starts: every entry up to `index` (whose term was `term`) is
 * gone, covered by a snapshot of the state machine. Absent: the log starts at 1.
 */
export interface SnapshotPoint {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
}

/**
 * Where the stored log starts: every entry up to `index` (whose term was `term`) is
 * gone, covered by a snapshot of the state machine. Absent: the log starts at 1.
 */
export interface SnapshotPoint__Output {
  'index': (number);
  'term': (number);
}
