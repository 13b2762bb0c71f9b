// Original file: proto/raftvec/v1/cluster.proto

import type { PeerProgress as _raftvec_v1_PeerProgress, PeerProgress__Output as _raftvec_v1_PeerProgress__Output } from '../../raftvec/v1/PeerProgress.js';
import type { LoadProgress as _raftvec_v1_LoadProgress, LoadProgress__Output as _raftvec_v1_LoadProgress__Output } from '../../raftvec/v1/LoadProgress.js';
import type { AppliedDigest as _raftvec_v1_AppliedDigest, AppliedDigest__Output as _raftvec_v1_AppliedDigest__Output } from '../../raftvec/v1/AppliedDigest.js';
import type { MemoryUsage as _raftvec_v1_MemoryUsage, MemoryUsage__Output as _raftvec_v1_MemoryUsage__Output } from '../../raftvec/v1/MemoryUsage.js';
import type { Membership as _raftvec_v1_Membership, Membership__Output as _raftvec_v1_Membership__Output } from '../../raftvec/v1/Membership.js';
import type { FaissBuild as _raftvec_v1_FaissBuild, FaissBuild__Output as _raftvec_v1_FaissBuild__Output } from '../../raftvec/v1/FaissBuild.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeStatus {
  'id'?: (string);
  'address'?: (string);
  /**
   * "follower" | "pre-candidate" | "candidate" | "leader"
   */
  'role'?: (string);
  'term'?: (number | string | Long);
  'leaderId'?: (string);
  /**
   * empty when no leader is known
   */
  'leaderAddress'?: (string);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'lastIndex'?: (number | string | Long);
  /**
   * only on the leader
   */
  'progress'?: (_raftvec_v1_PeerProgress)[];
  /**
   * "loading" while the node reads its state (it answers health NOT_SERVING and
   * refuses other calls), then "running".
   */
  'phase'?: (string);
  'loading'?: (_raftvec_v1_LoadProgress | null);
  /**
   * at applied_index
   */
  'appliedDigest'?: (_raftvec_v1_AppliedDigest | null);
  /**
   * at StatusRequest.digest_at_index, when known
   */
  'digestAt'?: (_raftvec_v1_AppliedDigest | null);
  /**
   * The log holds entries from first_index to last_index; everything up to
   * snapshot_index is in a snapshot of the state (0: the log was never compacted).
   */
  'firstIndex'?: (number | string | Long);
  'snapshotIndex'?: (number | string | Long);
  'memory'?: (_raftvec_v1_MemoryUsage | null);
  /**
   * on a leader handing leadership over: the voter it hands it to
   */
  'transferee'?: (string);
  /**
   * the configuration in force on this node
   */
  'membership'?: (_raftvec_v1_Membership | null);
  /**
   * the FAISS library this node searches with
   */
  'faiss'?: (_raftvec_v1_FaissBuild | null);
}

export interface NodeStatus__Output {
  'id': (string);
  'address': (string);
  /**
   * "follower" | "pre-candidate" | "candidate" | "leader"
   */
  'role': (string);
  'term': (number);
  'leaderId': (string);
  /**
   * empty when no leader is known
   */
  'leaderAddress': (string);
  'commitIndex': (number);
  'appliedIndex': (number);
  'lastIndex': (number);
  /**
   * only on the leader
   */
  'progress': (_raftvec_v1_PeerProgress__Output)[];
  /**
   * "loading" while the node reads its state (it answers health NOT_SERVING and
   * refuses other calls), then "running".
   */
  'phase': (string);
  'loading': (_raftvec_v1_LoadProgress__Output | null);
  /**
   * at applied_index
   */
  'appliedDigest': (_raftvec_v1_AppliedDigest__Output | null);
  /**
   * at StatusRequest.digest_at_index, when known
   */
  'digestAt': (_raftvec_v1_AppliedDigest__Output | null);
  /**
   * The log holds entries from first_index to last_index; everything up to
   * snapshot_index is in a snapshot of the state (0: the log was never compacted).
   */
  'firstIndex': (number);
  'snapshotIndex': (number);
  'memory': (_raftvec_v1_MemoryUsage__Output | null);
  /**
   * on a leader handing leadership over: the voter it hands it to
   */
  'transferee': (string);
  /**
   * the configuration in force on this node
   */
  'membership': (_raftvec_v1_Membership__Output | null);
  /**
   * the FAISS library this node searches with
   */
  'faiss': (_raftvec_v1_FaissBuild__Output | null);
}
