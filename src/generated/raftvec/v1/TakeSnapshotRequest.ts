// Original file: proto/raftvec/v1/cluster.proto


export interface TakeSnapshotRequest {
}

export interface TakeSnapshotRequest__Output {
}
