// Original file: proto/raftvec/v1/cluster.proto


export interface TransferLeadershipRequest {
  /**
   * a voter's id; empty: the most up-to-date other voter
   */
  'to'?: (string);
  /**
   * 0: twice the election timeout
   */
  'timeoutMs'?: (number);
}

export interface TransferLeadershipRequest__Output {
  /**
   * a voter's id; empty: the most up-to-date other voter
   */
  'to': (string);
  /**
   * 0: twice the election timeout
   */
  'timeoutMs': (number);
}
