// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'commit'?: (number | string | Long);
  'readContext'?: (number | string | Long);
  /**
   * Set by a leader whose lease held when it sent this (0 otherwise): every write
   * committed before `lease_time_ms` (the leader's wall clock, ms since the epoch) is
   * at or below `lease_commit`. Followers use it to bound their staleness (BOUNDED
   * reads); the Raft core ignores it.
   */
  'leaseCommit'?: (number | string | Long);
  'leaseTimeMs'?: (number | string | Long);
}

export interface Heartbeat__Output {
  'commit': (number);
  'readContext': (number);
  /**
   * Set by a leader whose lease held when it sent this (0 otherwise): every write
   * committed before `lease_time_ms` (the leader's wall clock, ms since the epoch) is
   * at or below `lease_commit`. Followers use it to bound their staleness (BOUNDED
   * reads); the Raft core ignores it.
   */
  'leaseCommit': (number);
  'leaseTimeMs': (number);
}
