// Original file: proto/raftvec/v1/vector.proto

import type { ReadConsistency as _raftvec_v1_ReadConsistency, ReadConsistency__Output as _raftvec_v1_ReadConsistency__Output } from '../../raftvec/v1/ReadConsistency.js';
import type { Long } from '@grpc/proto-loader';

export interface ReadOptions {
  'consistency'?: (_raftvec_v1_ReadConsistency);
  /**
   * BOUNDED only: 1 or more
   */
  'maxStalenessMs'?: (number);
  /**
   * SESSION only: the highest log index the client has seen
   */
  'minAppliedIndex'?: (number | string | Long);
}

export interface ReadOptions__Output {
  'consistency': (_raftvec_v1_ReadConsistency__Output);
  /**
   * BOUNDED only: 1 or more
   */
  'maxStalenessMs': (number);
  /**
   * SESSION only: the highest log index the client has seen
   */
  'minAppliedIndex': (number);
}
