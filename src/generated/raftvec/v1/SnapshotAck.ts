// Original file: proto/raftvec/v1/raft.proto


export interface SnapshotAck {
  'installed'?: (boolean);
  /**
   * why not, when not installed
   */
  'reason'?: (string);
}

export interface SnapshotAck__Output {
  'installed': (boolean);
  /**
   * why not, when not installed
   */
  'reason': (string);
}
