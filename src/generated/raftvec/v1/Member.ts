// Original file: proto/raftvec/v1/cluster.proto


export interface Member {
  'id'?: (string);
  /**
   * "voter" | "learner"
   */
  'role'?: (string);
  'peerAddress'?: (string);
  /**
   * empty: the peer address
   */
  'clientAddress'?: (string);
}

export interface Member__Output {
  'id': (string);
  /**
   * "voter" | "learner"
   */
  'role': (string);
  'peerAddress': (string);
  /**
   * empty: the peer address
   */
  'clientAddress': (string);
}
