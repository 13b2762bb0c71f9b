// Original file: proto/raftvec/v1/cluster.proto

import type { PeerProgress as _raftvec_v1_PeerProgress, PeerProgress__Output as _raftvec_v1_PeerProgress__Output } from '../../raftvec/v1/PeerProgress.js';
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
}
