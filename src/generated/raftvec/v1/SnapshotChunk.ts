// Original file: proto/raftvec/v1/raft.proto

import type { SnapshotHeader as _raftvec_v1_SnapshotHeader, SnapshotHeader__Output as _raftvec_v1_SnapshotHeader__Output } from '../../raftvec/v1/SnapshotHeader.js';
import type { SnapshotFileChunk as _raftvec_v1_SnapshotFileChunk, SnapshotFileChunk__Output as _raftvec_v1_SnapshotFileChunk__Output } from '../../raftvec/v1/SnapshotFileChunk.js';

export interface SnapshotChunk {
  'header'?: (_raftvec_v1_SnapshotHeader | null);
  'file'?: (_raftvec_v1_SnapshotFileChunk | null);
  'part'?: "header"|"file";
}

export interface SnapshotChunk__Output {
  'header'?: (_raftvec_v1_SnapshotHeader__Output | null);
  'file'?: (_raftvec_v1_SnapshotFileChunk__Output | null);
  'part'?: "header"|"file";
}
