// Original file: proto/raftvec/v1/cluster.proto

import type { Member as _raftvec_v1_Member, Member__Output as _raftvec_v1_Member__Output } from '../../raftvec/v1/Member.js';
import type { Long } from '@grpc/proto-loader';

export interface Membership {
  'members'?: (_raftvec_v1_Member)[];
  /**
   * the log entry that set it (0: the configuration the cluster started with)
   */
  'index'?: (number | string | Long);
  /**
   * whether that entry is committed, as the answering node knows
   */
  'committed'?: (boolean);
  /**
   * The configuration at the start of the answering node's log, and that index (AddMember
   * only): where a joining node's history of configurations begins. At 0 it is the one
   * the cluster started with, which no log entry holds.
   */
  'logStartMembers'?: (_raftvec_v1_Member)[];
  'logStartIndex'?: (number | string | Long);
}

export interface Membership__Output {
  'members': (_raftvec_v1_Member__Output)[];
  /**
   * the log entry that set it (0: the configuration the cluster started with)
   */
  'index': (number);
  /**
   * whether that entry is committed, as the answering node knows
   */
  'committed': (boolean);
  /**
   * The configuration at the start of the answering node's log, and that index (AddMember
   * only): where a joining node's history of configurations begins. At 0 it is the one
   * the cluster started with, which no log entry holds.
   */
  'logStartMembers': (_raftvec_v1_Member__Output)[];
  'logStartIndex': (number);
}
