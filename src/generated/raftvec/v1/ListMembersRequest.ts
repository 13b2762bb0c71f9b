// Original file: proto/raftvec/v1/cluster.proto


export interface ListMembersRequest {
}

export interface ListMembersRequest__Output {
}
