// Original file: proto/raftvec/v1/raft.proto


export interface DeliverAck {
}

export interface DeliverAck__Output {
}
