// Original file: proto/raftvec/v1/raft.proto


export interface VoteResponse {
  'granted'?: (boolean);
}

export interface VoteResponse__Output {
  'granted': (boolean);
}
