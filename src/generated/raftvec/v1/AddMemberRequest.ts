// Original file: proto/raftvec/v1/cluster.proto


export interface AddMemberRequest {
  'id'?: (string);
  /**
   * HOST:PORT its peers reach it at
   */
  'peerAddress'?: (string);
  /**
   * optional: HOST:PORT clients reach it at
   */
  'clientAddress'?: (string);
  /**
   * stay a learner (no promotion)
   */
  'learner'?: (boolean);
  /**
   * how long to wait for it to catch up before promoting; 0: 60 s
   */
  'timeoutMs'?: (number);
}

export interface AddMemberRequest__Output {
  'id': (string);
  /**
   * HOST:PORT its peers reach it at
   */
  'peerAddress': (string);
  /**
   * optional: HOST:PORT clients reach it at
   */
  'clientAddress': (string);
  /**
   * stay a learner (no promotion)
   */
  'learner': (boolean);
  /**
   * how long to wait for it to catch up before promoting; 0: 60 s
   */
  'timeoutMs': (number);
}
