// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotFileChunk {
  /**
   * a file named in the meta
   */
  'path'?: (string);
  /**
   * where the chunk goes in the file: chunks of a file arrive in order
   */
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * of data
   */
  'crc32'?: (number);
}

export interface SnapshotFileChunk__Output {
  /**
   * a file named in the meta
   */
  'path': (string);
  /**
   * where the chunk goes in the file: chunks of a file arrive in order
   */
  'offset': (number);
  'data': (Buffer);
  /**
   * of data
   */
  'crc32': (number);
}
