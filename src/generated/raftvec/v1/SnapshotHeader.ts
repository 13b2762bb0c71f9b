// Original file: proto/raftvec/v1/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotHeader {
  /**
   * the leader sending it: must be the authenticated caller
   */
  'from'?: (string);
  'to'?: (string);
  /**
   * the leader's term
   */
  'term'?: (number | string | Long);
  /**
   * the last entry the snapshot covers
   */
  'index'?: (number | string | Long);
  /**
   * that entry's term
   */
  'snapshotTerm'?: (number | string | Long);
  /**
   * the snapshot's meta.json: every file with its size and SHA-256
   */
  'meta'?: (Buffer | Uint8Array | string);
  /**
   * the configuration in force at `index` (encodeMembership, JSON)
   */
  'membership'?: (Buffer | Uint8Array | string);
}

export interface SnapshotHeader__Output {
  /**
   * the leader sending it: must be the authenticated caller
   */
  'from': (string);
  'to': (string);
  /**
   * the leader's term
   */
  'term': (number);
  /**
   * the last entry the snapshot covers
   */
  'index': (number);
  /**
   * that entry's term
   */
  'snapshotTerm': (number);
  /**
   * the snapshot's meta.json: every file with its size and SHA-256
   */
  'meta': (Buffer);
  /**
   * the configuration in force at `index` (encodeMembership, JSON)
   */
  'membership': (Buffer);
}
