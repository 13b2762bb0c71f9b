// Original file: proto/raftvec/v1/raft_storage.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Where the stored log starts: every entry up to `index` (whose term was `term`) is
 * gone, covered by a snapshot of the state machine. Absent: the log starts at 1.
 * `membership` is the configuration in force at `index` (the log no longer holds the
 * entry that set it); index 0 with a membership: the configuration a cluster started
 * from, before any entry.
 */
export interface SnapshotPoint {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  /**
   * encodeMembership; empty: none recorded (an older version)
   */
  'membership'?: (Buffer | Uint8Array | string);
  /**
   * From which index `membership` is known to be in force, when after `index`: a node
   * that joined a running cluster learned the one at the leader's log start.
   */
  'membershipFrom'?: (number | string | Long);
  /**
   * The first segment file of the log: older ones are left over from before a reset
   * to a snapshot (or from a crash while they were being removed) and are ignored.
   */
  'firstSegment'?: (number | string | Long);
}

/**
 * Where the stored log starts: every entry up to `index` (whose term was `term`) is
 * gone, covered by a snapshot of the state machine. Absent: the log starts at 1.
 * `membership` is the configuration in force at `index` (the log no longer holds the
 * entry that set it); index 0 with a membership: the configuration a cluster started
 * from, before any entry.
 */
export interface SnapshotPoint__Output {
  'index': (number);
  'term': (number);
  /**
   * encodeMembership; empty: none recorded (an older version)
   */
  'membership': (Buffer);
  /**
   * From which index `membership` is known to be in force, when after `index`: a node
   * that joined a running cluster learned the one at the leader's log start.
   */
  'membershipFrom': (number);
  /**
   * The first segment file of the log: older ones are left over from before a reset
   * to a snapshot (or from a crash while they were being removed) and are ignored.
   */
  'firstSegment': (number);
}
