// Original file: proto/raftvec/v1/vector.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteResponse {
  'upserted'?: (number);
  'deleted'?: (number);
  /**
   * The Raft log index of this write: a token for read-your-writes reads.
   */
  'logIndex'?: (number | string | Long);
  /**
   * points a payload update applied to (selected by ids or filter)
   */
  'updated'?: (number);
}

export interface WriteResponse__Output {
  'upserted': (number);
  'deleted': (number);
  /**
   * The Raft log index of this write: a token for read-your-writes reads.
   */
  'logIndex': (number);
  /**
   * points a payload update applied to (selected by ids or filter)
   */
  'updated': (number);
}
