// Original file: proto/raftvec/v1/vector.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Which replica answered a read, and how fresh its state was.
 */
export interface ReadInfo {
  'replicaId'?: (string);
  /**
   * The last log index applied to the state the read was served from.
   */
  'appliedIndex'?: (number | string | Long);
  /**
   * The commit index this replica last heard from a leader (its own, on the leader).
   */
  'leaderCommitIndex'?: (number | string | Long);
  /**
   * An upper bound, in ms, on how much older than now the state is (a write committed
   * longer ago than that is in it): 0 for a linearizable read (LINEARIZABLE, LEASE),
   * unset when the replica cannot bound it.
   */
  'stalenessBoundMs'?: (number | string | Long);
  '_stalenessBoundMs'?: "stalenessBoundMs";
}

/**
 * Which replica answered a read, and how fresh its state was.
 */
export interface ReadInfo__Output {
  'replicaId': (string);
  /**
   * The last log index applied to the state the read was served from.
   */
  'appliedIndex': (number);
  /**
   * The commit index this replica last heard from a leader (its own, on the leader).
   */
  'leaderCommitIndex': (number);
  /**
   * An upper bound, in ms, on how much older than now the state is (a write committed
   * longer ago than that is in it): 0 for a linearizable read (LINEARIZABLE, LEASE),
   * unset when the replica cannot bound it.
   */
  'stalenessBoundMs'?: (number);
  '_stalenessBoundMs'?: "stalenessBoundMs";
}
