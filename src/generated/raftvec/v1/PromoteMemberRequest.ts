// Original file: proto/raftvec/v1/cluster.proto


export interface PromoteMemberRequest {
  'id'?: (string);
  /**
   * 0: 60 s
   */
  'timeoutMs'?: (number);
}

export interface PromoteMemberRequest__Output {
  'id': (string);
  /**
   * 0: 60 s
   */
  'timeoutMs': (number);
}
